//! Every bad input ends in an error that names the operation (and, from
//! the kernel, the call and the OS error), never in a panic, and leaves
//! the loop as it was.

mod common;

use ch01_raw_syscalls::error::{errno, failed_call};
use ch08_generic_sources::{
    EventLoop, EventSource, Generic, Interest, LoopHandle, Mode, Poller, PostAction, Readiness,
    RegistrationToken, Token, TokenFactory,
};
use common::*;
use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::sync::Arc;

#[test]
fn the_same_fd_twice_is_eexist_and_the_source_comes_back() {
    let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let (reader, _writer) = pipe();
    let shared = Arc::new(reader);
    let first = Generic::new(Arc::clone(&shared), Interest::READABLE, Mode::Level);
    handle.insert_source(first, ignore).unwrap();
    let again = Generic::new(Arc::clone(&shared), Interest::WRITABLE, Mode::Edge);
    let refused = handle.insert_source(again, ignore).unwrap_err();
    assert_eq!(errno(&refused.error), Some(libc::EEXIST));
    assert_eq!(failed_call(&refused.error), Some("epoll_ctl(ADD)"));
    assert_eq!(refused.error.kind(), ErrorKind::AlreadyExists);
    assert_eq!(
        refused.to_string(),
        "epoll_ctl(ADD): File exists (os error 17)"
    );
    // The source is back, unregistered, with what it was given.
    assert_eq!(refused.source.token(), None);
    assert_eq!(refused.source.interest(), Interest::WRITABLE);
    assert_eq!(Arc::strong_count(&shared), 3);
    assert_eq!(handle.len(), 1);
}

#[test]
fn a_regular_file_or_a_directory_is_eperm() {
    let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    for file in [
        File::open("Cargo.toml").unwrap(),
        File::open("src").unwrap(),
    ] {
        let source = Generic::new(file, Interest::READABLE, Mode::Level);
        let refused = handle.insert_source(source, ignore).unwrap_err();
        assert_eq!(errno(&refused.error), Some(libc::EPERM));
        assert_eq!(failed_call(&refused.error), Some("epoll_ctl(ADD)"));
        assert_eq!(refused.error.kind(), ErrorKind::PermissionDenied);
    }
    assert!(handle.is_empty());
}

#[test]
fn an_o_path_fd_is_ebadf() {
    // An `O_PATH` fd is open, but only for naming the file: epoll refuses
    // it with EBADF (chapter 4).
    let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
    let path_only = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH)
        .open(".")
        .unwrap();
    let source = Generic::new(path_only, Interest::READABLE, Mode::Level);
    let refused = event_loop
        .handle()
        .insert_source(source, ignore)
        .unwrap_err();
    assert_eq!(errno(&refused.error), Some(libc::EBADF));
}

#[test]
fn removing_twice_or_a_token_never_given_is_not_found() {
    let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let (source, _writer) = readable_pipe(b"");
    let token = handle.insert_source(source, ignore).unwrap();
    handle.remove(token).unwrap();
    let err = handle.remove(token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        err.to_string(),
        "remove: the source with token slot 0 generation 0 was removed"
    );
    for (op, result) in [
        ("update", handle.update(token)),
        ("enable", handle.enable(token)),
        ("disable", handle.disable(token)),
    ] {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.to_string().starts_with(op), "{err}");
    }
    let err = handle.take::<Generic<OwnedFd>>(token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);

    let never = RegistrationToken::new(4, 0);
    let err = handle.remove(never).unwrap_err();
    assert_eq!(
        err.to_string(),
        "remove: no source was ever given the token slot 4 generation 0"
    );
    // A later generation of an existing slot was never given out either.
    let err = handle.remove(RegistrationToken::new(0, 5)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "remove: no source was ever given the token slot 0 generation 5"
    );
}

#[test]
fn a_reused_slot_does_not_answer_to_the_old_token() {
    let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let (a, _wa) = readable_pipe(b"");
    let old = handle.insert_source(a, ignore).unwrap();
    handle.remove(old).unwrap();
    let (b, _wb) = readable_pipe(b"");
    let new = handle.insert_source(b, ignore).unwrap();
    assert_eq!(
        new,
        RegistrationToken::new(old.index(), old.generation() + 1)
    );
    assert!(handle.remove(old).is_err());
    assert!(handle.contains(new));
}

#[test]
fn take_checks_the_type_and_refuses_a_running_source() {
    let mut event_loop: EventLoop<'_, Option<io::Error>> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let (source, _writer) = readable_pipe(b"x");
    let token = handle.insert_source(source, ignore).unwrap();
    let err = handle.take::<Generic<File>>(token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.to_string(),
        "take: the source with token slot 0 generation 0 is not a Generic<File>"
    );
    assert!(handle.contains(token), "still there");
    handle.remove(token).unwrap();

    let (source, _writer) = readable_pipe(b"x");
    let h = handle.clone();
    let token = handle
        .insert_source(source, move |_, _, seen: &mut Option<io::Error>| {
            let own = RegistrationToken::new(0, 1);
            *seen = h.take::<Generic<OwnedFd>>(own).err();
            Ok(PostAction::Continue)
        })
        .unwrap();
    assert_eq!(token, RegistrationToken::new(0, 1));
    let mut seen = None;
    event_loop.dispatch(NOW, &mut seen).unwrap();
    let err = seen.expect("take failed");
    assert_eq!(err.kind(), ErrorKind::ResourceBusy);
    assert!(handle.contains(token));
}

#[test]
fn a_handle_that_outlives_its_loop_refuses_new_sources() {
    let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
    let handle: LoopHandle<'_, ()> = event_loop.handle();
    drop(event_loop);
    let (source, _writer) = readable_pipe(b"");
    let fd = source.get_ref().as_raw_fd();
    let refused = handle.insert_source(source, ignore).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "insert_source: the event loop was dropped"
    );
    assert_eq!(refused.source.get_ref().as_raw_fd(), fd);
}

#[test]
fn a_loop_needs_room_for_one_event() {
    let err = EventLoop::<()>::with_capacity(0).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(EventLoop::<()>::with_capacity(1).is_ok());
}

#[test]
fn a_source_that_uses_the_handle_in_its_register_gets_an_error_not_a_panic() {
    /// A source that, unusually, holds a handle of the loop it is put in.
    struct Meddler {
        handle: LoopHandle<'static, ()>,
    }

    impl EventSource for Meddler {
        type Event = ();
        type Metadata = ();
        type Ret = ();
        type Error = io::Error;

        fn process_events<C>(&mut self, _: Readiness, _: Token, _: C) -> io::Result<PostAction>
        where
            C: FnMut((), &mut ()),
        {
            Ok(PostAction::Continue)
        }

        fn register(&mut self, _: &Poller, _: &mut TokenFactory) -> io::Result<()> {
            self.handle.remove(RegistrationToken::new(0, 0))
        }

        fn reregister(&mut self, _: &Poller, _: &mut TokenFactory) -> io::Result<()> {
            Ok(())
        }

        fn unregister(&mut self, _: &Poller) -> io::Result<()> {
            Ok(())
        }
    }

    let event_loop: EventLoop<'static, ()> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let meddler = Meddler {
        handle: handle.clone(),
    };
    let refused = handle.insert_source(meddler, |_, _, _| {}).unwrap_err();
    assert_eq!(refused.error.kind(), ErrorKind::ResourceBusy);
    assert!(handle.is_empty());
}

#[test]
fn len_and_contains_from_a_sources_register_panic_and_leave_the_loop_usable() {
    /// A source whose `register` asks the handle a question that has no
    /// `Result` to answer with.
    struct Counter {
        handle: LoopHandle<'static, ()>,
    }

    impl EventSource for Counter {
        type Event = ();
        type Metadata = ();
        type Ret = ();
        type Error = io::Error;

        fn process_events<C>(&mut self, _: Readiness, _: Token, _: C) -> io::Result<PostAction>
        where
            C: FnMut((), &mut ()),
        {
            Ok(PostAction::Continue)
        }

        fn register(&mut self, _: &Poller, _: &mut TokenFactory) -> io::Result<()> {
            let _ = self.handle.len();
            Ok(())
        }

        fn reregister(&mut self, _: &Poller, _: &mut TokenFactory) -> io::Result<()> {
            Ok(())
        }

        fn unregister(&mut self, _: &Poller) -> io::Result<()> {
            Ok(())
        }
    }

    let event_loop: EventLoop<'static, ()> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let counter = Counter {
        handle: handle.clone(),
    };
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        handle.insert_source(counter, |_, _, _| {}).map(drop)
    }));
    assert!(caught.is_err(), "len() from register panics");
    // The table was released while unwinding: the loop works as before.
    assert!(handle.is_empty());
    let (source, _writer) = readable_pipe(b"");
    let token = handle.insert_source(source, ignore).unwrap();
    assert_eq!(token, RegistrationToken::new(0, 0));
}
