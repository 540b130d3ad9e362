//! The contract between the loop and its sources.
//!
//! Chapter 7's reactor knew one kind of source: an fd and a closure. Every
//! source here implements [`EventSource`] instead, so the loop can hold
//! sources it knows nothing about: a [`Generic`](crate::Generic) wrapping
//! any fd, and the timers, channels and signals built on it later. A source
//! registers its own fds, through the [`Poller`] it is given, and turns the
//! kernel's readiness into events of its own type for its callback.

use crate::interest::{Interest, Mode, Readiness};
use crate::token::{Token, TokenFactory};
use ch04_libc_and_a_safe_wrapper::Epoll;
use std::error::Error as StdError;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;

// ANCHOR: post_action
/// What the loop does with a source after it processed an event.
///
/// The variants are ordered by strength: when a source's own callback asks
/// the [`LoopHandle`](crate::LoopHandle) for something about its source
/// while it runs, the loop does the stronger of that and what the callback
/// returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PostAction {
    /// Nothing: the registration stays as it is. No system call.
    Continue,
    /// Call the source's [`reregister`](EventSource::reregister): one
    /// `epoll_ctl(MOD)` per fd, which re-arms a one-shot registration and
    /// applies a changed interest or mode.
    Reregister,
    /// Call [`unregister`](EventSource::unregister) and keep the source,
    /// disabled, until [`LoopHandle::enable`](crate::LoopHandle::enable).
    Disable,
    /// Call `unregister`, then drop the source and its callback.
    Remove,
}
// ANCHOR_END: post_action

// ANCHOR: event_source
/// Something the loop can wait on.
///
/// The loop calls [`register`](EventSource::register) once, when the source
/// is inserted; [`process_events`](EventSource::process_events) for each
/// event that carries one of the source's tokens;
/// [`reregister`](EventSource::reregister) and
/// [`unregister`](EventSource::unregister) when the source or its user asks
/// for it ([`PostAction`], [`LoopHandle`](crate::LoopHandle)), and
/// `unregister` again before it lets go of the source.
pub trait EventSource {
    /// What the callback is told about, for each event.
    type Event;
    /// What the callback is lent besides the event: for a `Generic`, its fd.
    type Metadata;
    /// What the callback returns to the source.
    type Ret;
    /// What `process_events` fails with. The loop boxes it and returns it
    /// from [`dispatch`](crate::EventLoop::dispatch), with the source's
    /// token.
    type Error: Into<Box<dyn StdError + Send + Sync>>;

    /// Handles one event reported for `token` with `readiness`: does the
    /// source's I/O, calls `callback` as often as it has events for it
    /// (once, for a `Generic`), and says what should happen next.
    fn process_events<C>(
        &mut self,
        readiness: Readiness,
        token: Token,
        callback: C,
    ) -> Result<PostAction, Self::Error>
    where
        C: FnMut(Self::Event, &mut Self::Metadata) -> Self::Ret;

    /// Puts the source's fds in the interest list, each under a token from
    /// `tokens`.
    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()>;

    /// Changes the registration of the source's fds (`epoll_ctl(MOD)`),
    /// with tokens from a fresh factory.
    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()>;

    /// Takes the source's fds out of the interest list. After this the
    /// loop may drop the source, or give it back to its owner.
    fn unregister(&mut self, poller: &Poller) -> io::Result<()>;
}
// ANCHOR_END: event_source

// ANCHOR: poller
/// The loop's epoll instance, as a source sees it: the three `epoll_ctl`
/// operations, with an [`Interest`], a [`Mode`] and a [`Token`].
///
/// Cloning it is cheap (an `Arc`), and a source that must deregister itself
/// when dropped keeps a clone: the epoll instance then lives as long as the
/// last source that needs it.
#[derive(Clone, Debug)]
pub struct Poller {
    epoll: Arc<Epoll>,
}

impl Poller {
    pub(crate) fn new(epoll: Epoll) -> Poller {
        Poller {
            epoll: Arc::new(epoll),
        }
    }

    pub(crate) fn epoll(&self) -> &Epoll {
        &self.epoll
    }

    /// `epoll_ctl(ADD)`: fails with `EEXIST` if `fd` is registered
    /// already, `EPERM` if its file does not support epoll.
    pub fn add(
        &self,
        fd: BorrowedFd<'_>,
        interest: Interest,
        mode: Mode,
        token: Token,
    ) -> io::Result<()> {
        self.epoll
            .add(fd, interest.bits() | mode.bits(), token.as_u64())
    }

    /// `epoll_ctl(MOD)`: fails with `ENOENT` if `fd` is not registered.
    pub fn modify(
        &self,
        fd: BorrowedFd<'_>,
        interest: Interest,
        mode: Mode,
        token: Token,
    ) -> io::Result<()> {
        self.epoll
            .modify(fd, interest.bits() | mode.bits(), token.as_u64())
    }

    /// `epoll_ctl(DEL)`: fails with `ENOENT` if `fd` is not registered.
    pub fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        self.epoll.delete(fd)
    }
}

impl AsFd for Poller {
    /// The epoll instance's fd.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.epoll.as_fd()
    }
}
// ANCHOR_END: poller
