//! Bad input is an `io::Error` that names the operation, never a panic.

mod common;

use ch01_raw_syscalls::error::{errno, failed_call};
use ch04_libc_and_a_safe_wrapper::{EXCLUSIVE, IN, ONESHOT};
use ch07_a_reactor::{Interest, Reactor, Token};
use common::{in_interest_list, pipe, put};
use std::fs::File;
use std::io::ErrorKind;
use std::mem::ManuallyDrop;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::Duration;

fn nothing(
    _: &OwnedFd,
    _: &mut ch07_a_reactor::Context<'_>,
    _: ch04_libc_and_a_safe_wrapper::Event,
) -> std::io::Result<()> {
    Ok(())
}

#[test]
fn the_same_fd_twice_is_eexist() {
    let mut reactor = Reactor::new().unwrap();
    let (reader, _writer) = pipe();
    // Two owners of one fd: the only way to hand the reactor the same fd
    // twice without unsafe code.
    let shared = Arc::new(reader);
    reactor
        .register(Arc::clone(&shared), Interest::READABLE, |_, _, _| Ok(()))
        .unwrap();
    let err = reactor
        .register(Arc::clone(&shared), Interest::READABLE, |_, _, _| Ok(()))
        .unwrap_err();
    assert_eq!(errno(&err), Some(libc::EEXIST));
    assert_eq!(failed_call(&err), Some("epoll_ctl(ADD)"));
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    assert_eq!(reactor.len(), 1);
    // The failed registration dropped its clone; the first one still holds
    // one, and so does the test.
    assert_eq!(Arc::strong_count(&shared), 2);
}

#[test]
fn a_regular_file_is_eperm() {
    let mut reactor = Reactor::new().unwrap();
    let file = File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap();
    let err = reactor
        .register(file, Interest::READABLE, |_, _, _| Ok(()))
        .unwrap_err();
    assert_eq!(errno(&err), Some(libc::EPERM));
    assert_eq!(failed_call(&err), Some("epoll_ctl(ADD)"));
    assert!(reactor.is_empty());
}

/// An `OwnedFd` for a number that is not open, which is never closed: the
/// `ManuallyDrop` keeps its `Drop` (a `close` of a number this process
/// does not own) from running.
struct NotOpen(ManuallyDrop<OwnedFd>);

impl AsFd for NotOpen {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

#[test]
fn a_closed_fd_is_ebadf() {
    // The kernel never hands out a number at or above fs.nr_open, whose
    // ceiling is below i32::MAX, so this number is not open now and cannot
    // become open while the test runs.
    const NUMBER: RawFd = RawFd::MAX;
    let nr_open: i64 = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(i64::from(NUMBER) >= nr_open);
    let mut reactor = Reactor::new().unwrap();
    // SAFETY: this breaks `OwnedFd`'s promise that the number is open, on
    // purpose, to show what the kernel says. The number cannot belong to
    // anything else (see above), only `epoll_ctl` ever sees it, and
    // `ManuallyDrop` makes sure it is never closed.
    let not_open = NotOpen(ManuallyDrop::new(unsafe { OwnedFd::from_raw_fd(NUMBER) }));
    let err = reactor
        .register(not_open, Interest::READABLE, |_, _, _| Ok(()))
        .unwrap_err();
    assert_eq!(errno(&err), Some(libc::EBADF));
    assert_eq!(failed_call(&err), Some("epoll_ctl(ADD)"));
    assert!(reactor.is_empty());
}

#[test]
fn a_token_never_issued_is_not_found() {
    let mut reactor = Reactor::new().unwrap();
    let (reader, _writer) = pipe();
    let token = reactor
        .register(reader, Interest::READABLE, nothing)
        .unwrap();
    assert_eq!(token, Token::new(0, 0));
    for never in [
        Token::new(9, 0),
        Token::new(0, 1),
        Token::from_u64(u64::MAX),
    ] {
        let err = reactor.deregister(never).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(
            err.to_string(),
            format!("deregister: no registration was ever given the token {never}")
        );
        let err = reactor.reregister(never, Interest::READABLE).unwrap_err();
        assert!(
            err.to_string().starts_with("reregister: no registration"),
            "{err}"
        );
        let err = reactor.remove::<OwnedFd>(never).unwrap_err();
        assert!(
            err.to_string().starts_with("remove: no registration"),
            "{err}"
        );
    }
    assert_eq!(reactor.len(), 1);
}

#[test]
fn a_token_already_removed_is_not_found_even_after_its_slot_is_reused() {
    let mut reactor = Reactor::new().unwrap();
    let (reader, _writer) = pipe();
    let old = reactor
        .register(reader, Interest::READABLE, nothing)
        .unwrap();
    reactor.deregister(old).unwrap();
    let err = reactor.deregister(old).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(
        err.to_string(),
        "deregister: the registration with token slot 0 generation 0 was removed"
    );

    let (reader, _writer) = pipe();
    let new = reactor
        .register(reader, Interest::READABLE, nothing)
        .unwrap();
    assert_eq!(new, Token::new(0, 1));
    let err = reactor.deregister(old).unwrap_err();
    assert!(err.to_string().ends_with("was removed"), "{err}");
    let err = reactor.reregister(old, Interest::WRITABLE).unwrap_err();
    assert!(err.to_string().starts_with("reregister: "), "{err}");
    assert!(reactor.contains(new), "the new tenant was not touched");
}

#[test]
fn removing_as_the_wrong_type_leaves_the_registration_alone() {
    let mut reactor = Reactor::new().unwrap();
    let (reader, _writer) = pipe();
    let fd = reader.as_raw_fd();
    let token = reactor
        .register(reader, Interest::READABLE, nothing)
        .unwrap();
    let err = reactor.remove::<UnixStream>(token).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.to_string().starts_with("remove: "), "{err}");
    assert!(reactor.contains(token));
    assert!(in_interest_list(reactor.as_raw_fd(), fd));

    let back: OwnedFd = reactor.remove(token).unwrap();
    assert_eq!(back.as_raw_fd(), fd, "the same fd, open, and ours again");
    assert!(!in_interest_list(reactor.as_raw_fd(), fd));
    assert!(!reactor.contains(token));
}

#[test]
fn a_handler_cannot_take_its_own_source_away() {
    let mut reactor = Reactor::new().unwrap();
    let (reader, writer) = pipe();
    reactor
        .register(reader, Interest::READABLE, |_, cx, _| {
            let err = cx.remove::<OwnedFd>(cx.token()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ResourceBusy);
            assert!(err.to_string().starts_with("remove: "), "{err}");
            Err(err)
        })
        .unwrap();
    put(&writer, b"x");
    let err = reactor.turn(Some(Duration::from_secs(5))).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ResourceBusy);
    assert_eq!(reactor.len(), 1);
}

#[test]
fn exclusive_where_the_kernel_refuses_it_is_einval() {
    let mut reactor = Reactor::new().unwrap();
    let (reader, _writer) = pipe();
    // EPOLLEXCLUSIVE allows IN, OUT, WAKEUP, ET (and ERR, HUP) beside it.
    let err = reactor
        .register(
            reader,
            Interest::from_bits(IN | EXCLUSIVE | ONESHOT),
            nothing,
        )
        .unwrap_err();
    assert_eq!(errno(&err), Some(libc::EINVAL));
    assert_eq!(failed_call(&err), Some("epoll_ctl(ADD)"));

    // And MOD never takes it.
    let (reader, _writer) = pipe();
    let token = reactor
        .register(reader, Interest::READABLE, nothing)
        .unwrap();
    let err = reactor
        .reregister(token, Interest::from_bits(IN | EXCLUSIVE))
        .unwrap_err();
    assert_eq!(errno(&err), Some(libc::EINVAL));
    assert_eq!(failed_call(&err), Some("epoll_ctl(MOD)"));
}

#[test]
fn a_capacity_of_zero_is_refused() {
    let err = Reactor::with_capacity(0).err().unwrap();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(
        err.to_string().starts_with("Reactor::with_capacity: "),
        "{err}"
    );
}

#[test]
fn this_kernel_has_no_max_user_instances_limit() {
    // epoll_create1(2) lists EMFILE for /proc/sys/fs/epoll/max_user_instances;
    // the file is gone from current kernels, and only max_user_watches is left.
    assert!(std::path::Path::new("/proc/sys/fs/epoll/max_user_watches").exists());
    assert!(!std::path::Path::new("/proc/sys/fs/epoll/max_user_instances").exists());
}

#[test]
fn a_failed_del_leaves_the_registration_in_place() {
    let mut reactor = Reactor::new().unwrap();
    let (reader, _writer) = pipe();
    let fd = reader.as_raw_fd();
    let token = reactor
        .register(reader, Interest::READABLE, nothing)
        .unwrap();
    // Someone else takes the fd out of the instance behind the registry's
    // back (as a forked child can: see the example fork_shares_the_instance).
    // SAFETY: both numbers are open (the reactor owns them, and is alive);
    // a DEL reads no event, so a null pointer is allowed.
    let ret = unsafe {
        libc::epoll_ctl(
            reactor.as_raw_fd(),
            libc::EPOLL_CTL_DEL,
            fd,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(ret, 0);
    let err = reactor.deregister(token).unwrap_err();
    assert_eq!(errno(&err), Some(libc::ENOENT));
    assert_eq!(failed_call(&err), Some("epoll_ctl(DEL)"));
    assert!(
        reactor.contains(token),
        "the registry keeps what it could not remove"
    );
}
