//! `Generic`: an event source for any file descriptor.
//!
//! It owns what it wraps, so the fd it registered is the fd it holds until
//! it deregisters it; it gives its callback shared access only, through
//! [`Watched`]; and it takes its fd out of the interest list before the fd
//! can be closed, whether it is removed from the loop, dropped, or taken
//! apart with [`into_inner`](Generic::into_inner).

use crate::interest::{Interest, Mode, Readiness};
use crate::source::{EventSource, Poller, PostAction};
use crate::token::{Token, TokenFactory};
use std::error::Error as StdError;
use std::fmt;
use std::io::{self, ErrorKind};
use std::marker::PhantomData;
use std::ops::Deref;
use std::os::fd::{AsFd, BorrowedFd};

// ANCHOR: watched
/// A value whose fd an epoll instance is watching, lent to a callback.
///
/// It dereferences to the value (`&F`), which is enough for I/O: `&File`,
/// `&UnixStream`, `&TcpStream` and the book's `EventFd` all read and write
/// through a shared reference. It does not dereference mutably, and only
/// a [`Generic`] makes one, so a callback cannot replace the value, or
/// move it out and drop it, without `unsafe`.
pub struct Watched<F>(F);

impl<F> Deref for Watched<F> {
    type Target = F;

    fn deref(&self) -> &F {
        &self.0
    }
}

impl<F> Watched<F> {
    /// The value, mutably.
    ///
    /// # Safety
    ///
    /// While its `Generic` is registered, the caller must not replace the
    /// fd this value holds, close it, or move it out: after the call,
    /// `as_fd()` must still return the same open fd. The kernel's entry in
    /// the interest list names that fd, and the `Generic` will delete the
    /// entry by naming its fd again; a different fd there leaves the old
    /// entry behind, and the deletion fails (`ENOENT`) or, if that other fd
    /// is registered in the same instance, deletes the wrong entry.
    /// Changing anything else about the value is allowed.
    pub unsafe fn get_mut(&mut self) -> &mut F {
        &mut self.0
    }
}
// ANCHOR_END: watched

impl<F: AsFd> AsFd for Watched<F> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl<F: fmt::Debug> fmt::Debug for Watched<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Watched").field(&self.0).finish()
    }
}

// ANCHOR: generic
/// An event source for one file descriptor: it owns `file`, registers its
/// fd with an [`Interest`] and a [`Mode`], and calls its callback with the
/// [`Readiness`] and a shared borrow of `file` ([`Watched`]) each time the
/// kernel reports the fd.
///
/// The callback returns `Result<PostAction, E>`; an `Err` is returned by
/// [`EventLoop::dispatch`](crate::EventLoop::dispatch). `E` is `io::Error`
/// unless [`new_with_error`](Generic::new_with_error) says otherwise.
pub struct Generic<F: AsFd, E = io::Error> {
    /// `None` only while `into_inner` takes it out.
    file: Option<Watched<F>>,
    interest: Interest,
    mode: Mode,
    /// Where and under which token the fd is registered, if it is.
    registration: Option<Registration>,
    /// `fn() -> E`: the type names `E` without owning one, so a `Generic`
    /// is `Send` and `Sync` whenever `F` is, whatever `E` is.
    error: PhantomData<fn() -> E>,
}

/// The epoll instance a `Generic` is registered in (kept, to delete the
/// entry on drop) and its token.
struct Registration {
    poller: Poller,
    token: Token,
}
// ANCHOR_END: generic

impl<F: AsFd> Generic<F, io::Error> {
    // ANCHOR: new
    /// Wraps `file`, to be watched for `interest` in `mode` once inserted
    /// in a loop. Its callback's errors are `io::Error`s.
    pub fn new(file: F, interest: Interest, mode: Mode) -> Generic<F, io::Error> {
        Generic::new_with_error(file, interest, mode)
    }

    /// Like [`new`](Generic::new), with `E` as the callback's error type:
    /// `Generic::new_with_error::<MyError>(file, interest, mode)`.
    pub fn new_with_error<E>(file: F, interest: Interest, mode: Mode) -> Generic<F, E> {
        Generic {
            file: Some(Watched(file)),
            interest,
            mode,
            registration: None,
            error: PhantomData,
        }
    }
    // ANCHOR_END: new
}

impl<F: AsFd, E> Generic<F, E> {
    fn watched(&self) -> &Watched<F> {
        self.file
            .as_ref()
            .expect("a Generic holds its value until into_inner")
    }

    /// The wrapped value.
    pub fn get_ref(&self) -> &F {
        self.watched()
    }

    /// The wrapped value, mutably.
    ///
    /// # Safety
    ///
    /// As for [`Watched::get_mut`]: while the `Generic` is registered, the
    /// fd must stay the same open fd.
    pub unsafe fn get_mut(&mut self) -> &mut F {
        let watched = self
            .file
            .as_mut()
            .expect("a Generic holds its value until into_inner");
        // SAFETY: the caller keeps the contract of `Watched::get_mut`,
        // which is the contract of this function.
        unsafe { watched.get_mut() }
    }

    /// What it watches for.
    pub fn interest(&self) -> Interest {
        self.interest
    }

    /// Changes what it watches for, from the next `register` or
    /// `reregister` on ([`LoopHandle::update`](crate::LoopHandle::update),
    /// or [`PostAction::Reregister`] from a source built on this one).
    pub fn set_interest(&mut self, interest: Interest) {
        self.interest = interest;
    }

    /// How it is told.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Changes the mode, from the next `register` or `reregister` on.
    pub fn set_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    /// The token its fd is registered under, or `None` if it is not
    /// registered.
    pub fn token(&self) -> Option<Token> {
        self.registration.as_ref().map(|r| r.token)
    }

    // ANCHOR: into_inner
    /// Takes the wrapped value back, with its fd open. If the fd is still
    /// registered, it is deleted from the interest list first.
    pub fn into_inner(mut self) -> F {
        self.deregister_on_the_way_out();
        let Watched(file) = self
            .file
            .take()
            .expect("a Generic holds its value until into_inner");
        file
        // `self` is dropped here with no value and no registration: its
        // `Drop` has nothing left to do.
    }

    /// `epoll_ctl(DEL)` for a registered fd, when there is no one to tell
    /// if it fails. It fails only if the fd is no longer the one registered
    /// (the contract of `get_mut` was broken, or `F`'s `as_fd` changed on
    /// its own), or if other code holding the epoll instance (a `Poller`
    /// clone, the loop's fd, another process) deleted the entry; either
    /// way there is nothing left to undo here.
    fn deregister_on_the_way_out(&mut self) {
        if let (Some(registration), Some(file)) = (self.registration.take(), &self.file) {
            let _ = registration.poller.delete(file.as_fd());
        }
    }
    // ANCHOR_END: into_inner
}

// ANCHOR: drop
impl<F: AsFd, E> Drop for Generic<F, E> {
    /// Deletes the fd from the interest list, then lets the fields drop:
    /// the value, and with it the fd, is closed only after the `DEL`.
    fn drop(&mut self) {
        self.deregister_on_the_way_out();
    }
}
// ANCHOR_END: drop

// ANCHOR: event_source_impl
impl<F, E> EventSource for Generic<F, E>
where
    F: AsFd,
    E: Into<Box<dyn StdError + Send + Sync>>,
{
    type Event = Readiness;
    type Metadata = Watched<F>;
    type Ret = Result<PostAction, E>;
    type Error = E;

    fn process_events<C>(
        &mut self,
        readiness: Readiness,
        token: Token,
        mut callback: C,
    ) -> Result<PostAction, E>
    where
        C: FnMut(Readiness, &mut Watched<F>) -> Result<PostAction, E>,
    {
        // Within a source made of several, an event for a sibling's fd.
        if self.token() != Some(token) {
            return Ok(PostAction::Continue);
        }
        let file = self
            .file
            .as_mut()
            .expect("a Generic holds its value until into_inner");
        callback(readiness, file)
    }

    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        if let Some(registration) = &self.registration {
            return Err(io::Error::new(
                ErrorKind::AlreadyExists,
                format!(
                    "Generic::register: registered already, as {}",
                    registration.token
                ),
            ));
        }
        let token = tokens.token()?;
        poller.add(self.watched().as_fd(), self.interest, self.mode, token)?;
        self.registration = Some(Registration {
            poller: poller.clone(),
            token,
        });
        Ok(())
    }

    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        if self.registration.is_none() {
            return Err(io::Error::new(
                ErrorKind::NotFound,
                "Generic::reregister: not registered",
            ));
        }
        let token = tokens.token()?;
        poller.modify(self.watched().as_fd(), self.interest, self.mode, token)?;
        self.registration = Some(Registration {
            poller: poller.clone(),
            token,
        });
        Ok(())
    }

    fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
        if self.registration.is_none() {
            return Ok(());
        }
        // If DEL fails, the registration is kept: the entry may still be
        // there, and `Drop` tries again.
        poller.delete(self.watched().as_fd())?;
        self.registration = None;
        Ok(())
    }
}
// ANCHOR_END: event_source_impl

impl<F: AsFd, E> AsFd for Generic<F, E> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.watched().as_fd()
    }
}

impl<F: AsFd + fmt::Debug, E> fmt::Debug for Generic<F, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generic")
            .field("file", &self.file)
            .field("interest", &self.interest)
            .field("mode", &self.mode)
            .field("token", &self.token())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::OwnedFd;
    use std::rc::Rc;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn a_generic_is_send_and_sync_when_its_value_is() {
        assert_send_sync::<Generic<OwnedFd>>();
        // Whatever the error type: it is only named, never stored.
        assert_send_sync::<Generic<OwnedFd, Rc<String>>>();
    }

    #[test]
    fn an_unregistered_generic_gives_its_value_back() {
        let (reader, _writer) = std::io::pipe().unwrap();
        let reader = OwnedFd::from(reader);
        let fd = std::os::fd::AsRawFd::as_raw_fd(&reader);
        let generic = Generic::new(reader, Interest::READABLE, Mode::Level);
        assert_eq!(generic.token(), None);
        assert_eq!(std::os::fd::AsRawFd::as_raw_fd(generic.get_ref()), fd);
        let back = generic.into_inner();
        assert_eq!(std::os::fd::AsRawFd::as_raw_fd(&back), fd);
    }
}
