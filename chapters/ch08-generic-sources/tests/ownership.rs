//! A `Generic` owns its fd: every way out of the loop deletes the fd from
//! the interest list before the fd is closed, or hands it back open. These
//! tests look at fd numbers being open or closed, so each runs inside
//! `assert_no_fd_leaks`, which also runs them one at a time.

mod common;

use ch01_raw_syscalls::error::errno;
use ch04_libc_and_a_safe_wrapper::{Epoll, IN};
use ch08_generic_sources::{
    EventLoop, EventSource, Generic, Interest, Mode, Poller, PostAction, Readiness,
    RegistrationToken, Token, TokenFactory, Watched,
};
use common::*;
use std::cell::RefCell;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use testkit::assert_no_fd_leaks;

/// A pipe's read end that, when dropped, writes down whether its fd was
/// still in the interest list of `epfd` at that moment, just before the
/// fd is closed.
struct Spy {
    fd: OwnedFd,
    epfd: RawFd,
    seen: Rc<RefCell<Vec<bool>>>,
}

impl AsFd for Spy {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Drop for Spy {
    fn drop(&mut self) {
        let listed = in_interest_list(self.epfd, self.fd.as_raw_fd());
        self.seen.borrow_mut().push(listed);
    }
}

/// A loop with one `Generic<Spy>`, whose pipe holds a byte.
struct SpyLoop {
    event_loop: EventLoop<'static, ()>,
    token: RegistrationToken,
    /// The spy's fd number.
    fd: RawFd,
    /// What the spy saw when it was dropped.
    seen: Rc<RefCell<Vec<bool>>>,
    _writer: OwnedFd,
}

fn loop_with_a_spy() -> SpyLoop {
    let event_loop = EventLoop::new().unwrap();
    let (reader, writer) = pipe();
    put(&writer, b"x");
    let fd = reader.as_raw_fd();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let spy = Spy {
        fd: reader,
        epfd: event_loop.as_raw_fd(),
        seen: Rc::clone(&seen),
    };
    let source = Generic::new(spy, Interest::READABLE, Mode::Level);
    let token = event_loop.handle().insert_source(source, ignore).unwrap();
    assert!(in_interest_list(event_loop.as_raw_fd(), fd));
    SpyLoop {
        event_loop,
        token,
        fd,
        seen,
        _writer: writer,
    }
}

#[test]
fn remove_deletes_the_entry_before_the_fd_is_closed() {
    assert_no_fd_leaks(|| {
        let SpyLoop {
            event_loop,
            token,
            fd,
            seen,
            _writer,
        } = loop_with_a_spy();
        event_loop.handle().remove(token).unwrap();
        assert_eq!(*seen.borrow(), [false], "not listed when dropped");
        assert!(!is_open(fd));
        assert!(!in_interest_list(event_loop.as_raw_fd(), fd));
    });
}

#[test]
fn returning_remove_deletes_the_entry_before_the_fd_is_closed() {
    assert_no_fd_leaks(|| {
        let mut event_loop = EventLoop::new().unwrap();
        let (reader, writer) = pipe();
        put(&writer, b"x");
        let fd = reader.as_raw_fd();
        let seen = Rc::new(RefCell::new(Vec::new()));
        let spy = Spy {
            fd: reader,
            epfd: event_loop.as_raw_fd(),
            seen: Rc::clone(&seen),
        };
        let source = Generic::new(spy, Interest::READABLE, Mode::Level);
        let handle = event_loop.handle();
        let token = handle
            .insert_source(source, |_, _, _: &mut ()| Ok(PostAction::Remove))
            .unwrap();
        event_loop.dispatch(NOW, &mut ()).unwrap();
        assert_eq!(*seen.borrow(), [false]);
        assert!(!is_open(fd));
        assert!(!handle.contains(token));
    });
}

#[test]
fn dropping_the_loop_deletes_each_entry_before_closing_its_fd() {
    assert_no_fd_leaks(|| {
        let SpyLoop {
            event_loop,
            fd,
            seen,
            _writer,
            ..
        } = loop_with_a_spy();
        // A duplicate keeps the epoll instance open after the loop is gone.
        let epoll = event_loop.as_fd().try_clone_to_owned().unwrap();
        drop(event_loop);
        assert_eq!(*seen.borrow(), [false]);
        assert!(!is_open(fd));
        assert_eq!(interest_list(epoll.as_raw_fd()), []);
    });
}

#[test]
fn a_duplicate_elsewhere_does_not_keep_a_removed_entry_alive() {
    assert_no_fd_leaks(|| {
        let mut event_loop: EventLoop<'_, usize> = EventLoop::new().unwrap();
        let (source, writer) = readable_pipe(b"x");
        let fd = source.get_ref().as_raw_fd();
        let duplicate = source.get_ref().try_clone().unwrap();
        let handle = event_loop.handle();
        let token = handle
            .insert_source(source, |_, _, calls: &mut usize| {
                *calls += 1;
                Ok(PostAction::Continue)
            })
            .unwrap();
        handle.remove(token).unwrap();
        assert!(!is_open(fd));
        assert!(is_open(duplicate.as_raw_fd()));
        assert!(!in_interest_list(event_loop.as_raw_fd(), fd));
        let mut calls = 0;
        event_loop.dispatch(NOW, &mut calls).unwrap();
        assert_eq!(calls, 0);

        // Closing without DEL, with a duplicate open, leaves the entry.
        let epoll = Epoll::new().unwrap();
        let (reader, _writer) = pipe();
        let fd = reader.as_raw_fd();
        let _duplicate = reader.try_clone().unwrap();
        epoll.add(&reader, IN, 1).unwrap();
        drop(reader);
        assert!(in_interest_list(epoll.as_raw_fd(), fd), "a stale entry");
        drop((writer, duplicate));
    });
}

#[test]
fn take_and_into_inner_give_the_fd_back_open_and_unregistered() {
    assert_no_fd_leaks(|| {
        let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
        let (source, writer) = readable_pipe(b"hi");
        let fd = source.get_ref().as_raw_fd();
        let handle = event_loop.handle();
        let token = handle.insert_source(source, ignore).unwrap();

        let source: Generic<OwnedFd> = handle.take(token).unwrap();
        assert_eq!(source.token(), None);
        assert!(!in_interest_list(event_loop.as_raw_fd(), fd));
        assert!(!handle.contains(token));
        let reader = source.into_inner();
        assert_eq!(reader.as_raw_fd(), fd);
        assert_eq!(drain(&reader).unwrap(), 2, "open, with its data");
        drop(writer);
    });
}

/// A source built on a `Generic` that, on its first event, takes the
/// `Generic` apart while it is still registered and keeps the fd.
struct KeepsTheFd {
    inner: Option<Generic<OwnedFd>>,
}

impl EventSource for KeepsTheFd {
    type Event = OwnedFd;
    type Metadata = ();
    type Ret = ();
    type Error = io::Error;

    fn process_events<C>(
        &mut self,
        _: Readiness,
        _: Token,
        mut callback: C,
    ) -> io::Result<PostAction>
    where
        C: FnMut(OwnedFd, &mut ()),
    {
        if let Some(generic) = self.inner.take() {
            assert!(generic.token().is_some(), "still registered");
            callback(generic.into_inner(), &mut ());
        }
        Ok(PostAction::Remove)
    }

    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner
            .as_mut()
            .map_or(Ok(()), |g| g.register(poller, tokens))
    }

    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner
            .as_mut()
            .map_or(Ok(()), |g| g.reregister(poller, tokens))
    }

    fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
        self.inner.as_mut().map_or(Ok(()), |g| g.unregister(poller))
    }
}

#[test]
fn into_inner_on_a_registered_generic_deletes_the_entry_first() {
    assert_no_fd_leaks(|| {
        let mut event_loop: EventLoop<'_, Option<OwnedFd>> = EventLoop::new().unwrap();
        let (source, writer) = readable_pipe(b"x");
        let fd = source.get_ref().as_raw_fd();
        let keeper = KeepsTheFd {
            inner: Some(source),
        };
        let token = event_loop
            .handle()
            .insert_source(keeper, |fd, _, kept: &mut Option<OwnedFd>| {
                *kept = Some(fd);
            })
            .unwrap();
        let mut kept = None;
        event_loop.dispatch(NOW, &mut kept).unwrap();
        let kept = kept.expect("the callback got the fd");
        assert_eq!(kept.as_raw_fd(), fd);
        assert!(!in_interest_list(event_loop.as_raw_fd(), fd));
        assert!(!event_loop.handle().contains(token));
        assert_eq!(drain(&kept).unwrap(), 1);
        drop(writer);
    });
}

#[test]
fn a_swapped_fd_leaves_the_old_entry_behind_and_remove_fails() {
    assert_no_fd_leaks(|| {
        let mut event_loop: EventLoop<'_, Option<OwnedFd>> = EventLoop::new().unwrap();
        let (source, old_writer) = readable_pipe(b"x");
        let old_fd = source.get_ref().as_raw_fd();
        let (new_reader, _new_writer) = pipe();
        let new_fd = new_reader.as_raw_fd();
        let handle = event_loop.handle();
        let token = handle
            .insert_source(
                source,
                |_, pipe: &mut Watched<OwnedFd>, spare: &mut Option<OwnedFd>| {
                    if let Some(other) = spare.as_mut() {
                        // SAFETY: broken on purpose, to see the consequences;
                        // both fds stay owned, so nothing unsound follows.
                        std::mem::swap(unsafe { pipe.get_mut() }, other);
                    }
                    Ok(PostAction::Continue)
                },
            )
            .unwrap();
        let mut spare = Some(new_reader);
        event_loop.dispatch(NOW, &mut spare).unwrap();
        let old_reader = spare.take().unwrap();
        assert_eq!(old_reader.as_raw_fd(), old_fd);

        let listed = interest_list(event_loop.as_raw_fd());
        let token_data = Token::from_u64(
            listed
                .iter()
                .find(|&&(fd, _)| fd == old_fd)
                .expect("the old fd's entry")
                .1,
        );
        assert_eq!(token_data.source(), token);
        assert!(!in_interest_list(event_loop.as_raw_fd(), new_fd));

        let err = handle.remove(token).unwrap_err();
        assert_eq!(errno(&err), Some(libc::ENOENT));
        assert!(err.to_string().starts_with("epoll_ctl(DEL)"), "{err}");
        assert!(!handle.contains(token), "removed all the same");
        assert!(!is_open(new_fd), "the Generic closed the fd it held");
        assert!(
            in_interest_list(event_loop.as_raw_fd(), old_fd),
            "stale entry"
        );
        drop(old_reader);
        assert!(!in_interest_list(event_loop.as_raw_fd(), old_fd));
        drop(old_writer);
    });
}

#[test]
fn a_panicking_callback_leaves_its_source_registered_and_the_batch_resumable() {
    assert_no_fd_leaks(|| {
        let mut event_loop: EventLoop<'_, Vec<&str>> = EventLoop::new().unwrap();
        let handle = event_loop.handle();
        let (bomb, bomb_writer) = readable_pipe(b"x");
        let bomb_fd = bomb.get_ref().as_raw_fd();
        let bomb_token = handle
            .insert_source(bomb, |_, _, _: &mut Vec<&str>| panic!("a callback panics"))
            .unwrap();
        let (calm, calm_writer) = readable_pipe(b"x");
        handle
            .insert_source(calm, |_, pipe, ran: &mut Vec<&str>| {
                drain(pipe)?;
                ran.push("calm");
                Ok(PostAction::Continue)
            })
            .unwrap();

        let mut ran = Vec::new();
        let caught = catch_unwind(AssertUnwindSafe(|| event_loop.dispatch(NOW, &mut ran)));
        assert!(caught.is_err(), "the panic reaches the caller");
        // Whichever came first in the batch, the other callback runs by
        // the next dispatch at the latest, without a second panic.
        if ran.is_empty() {
            event_loop.dispatch(NOW, &mut ran).unwrap();
        }
        assert_eq!(ran, ["calm"]);
        // The source is back in its slot, registered, its fd open.
        assert!(handle.contains(bomb_token));
        assert!(is_open(bomb_fd));
        assert!(in_interest_list(event_loop.as_raw_fd(), bomb_fd));
        handle.remove(bomb_token).unwrap();
        assert!(!is_open(bomb_fd));
        event_loop.dispatch(NOW, &mut ran).unwrap();
        assert_eq!(ran, ["calm"]);
        drop((bomb_writer, calm_writer));
    });
}

#[test]
fn a_callback_that_removes_itself_then_panics_is_removed() {
    assert_no_fd_leaks(|| {
        let mut event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
        let handle = event_loop.handle();
        let (source, writer) = readable_pipe(b"x");
        let fd = source.get_ref().as_raw_fd();
        let h = handle.clone();
        let token = handle
            .insert_source(source, move |_, _, _: &mut ()| {
                h.remove(RegistrationToken::new(0, 0))?;
                panic!("after asking for its own removal")
            })
            .unwrap();
        let caught = catch_unwind(AssertUnwindSafe(|| event_loop.dispatch(NOW, &mut ())));
        assert!(caught.is_err());
        assert!(!handle.contains(token));
        assert!(!is_open(fd), "unregistered and dropped while unwinding");
        assert!(!in_interest_list(event_loop.as_raw_fd(), fd));
        drop(writer);
    });
}

#[test]
fn callbacks_holding_handles_do_not_keep_the_loop_alive() {
    assert_no_fd_leaks(|| {
        let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
        let handle = event_loop.handle();
        for _ in 0..3 {
            let (source, _writer) = readable_pipe(b"");
            let own_handle = handle.clone();
            handle
                .insert_source(source, move |_, _, _: &mut ()| {
                    own_handle.len();
                    Ok(PostAction::Continue)
                })
                .unwrap();
        }
        assert_eq!(handle.len(), 3);
        drop(event_loop);
        // Every source, and the handle each callback held, is gone: the
        // fd check around this test finds nothing left open.
        assert!(handle.is_empty());
    });
}
