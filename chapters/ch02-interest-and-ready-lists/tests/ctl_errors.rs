//! Every error `epoll_ctl` returns that a test can produce without
//! changing the system, one test each, plus the call that looks like it
//! should fail and does not (DEL with a null event).
//!
//! Not produced: ENOMEM (the kernel out of memory) and ENOSPC (the
//! per-user limit in /proc/sys/fs/epoll/max_user_watches, which only
//! root can lower, for the whole system).

use ch01_raw_syscalls::consts::errno::{EBADF, EEXIST, EINVAL, ENOENT, EPERM};
use ch01_raw_syscalls::error::{check, failed_call};
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLEXCLUSIVE, EPOLLIN, EPOLLOUT, Event, O_CLOEXEC,
    epoll_create1, epoll_wait, errno, ffi, pipe2, write,
};
use ch02_interest_and_ready_lists::errors::{ELOOP, ENOMEM, ENOSPC, errno_name};
use ch02_interest_and_ready_lists::{add, delete, modify, registrations};
use std::ffi::c_int;
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// A new epoll instance and a pipe `(read end, write end)`.
fn setup() -> (OwnedFd, OwnedFd, OwnedFd) {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    (epoll, reader, writer)
}

fn assert_fails(result: io::Result<()>, call: &str, code: c_int) -> io::Error {
    let err = result.expect_err("the call should have failed");
    assert_eq!(errno(&err), Some(code), "{err}");
    assert_eq!(failed_call(&err), Some(call), "{err}");
    err
}

#[test]
fn eexist_adding_an_fd_that_is_already_registered() {
    let (epoll, reader, _writer) = setup();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    let err = assert_fails(
        add(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLOUT, 2),
        "epoll_ctl(ADD)",
        EEXIST,
    );
    assert_eq!(err.kind(), ErrorKind::AlreadyExists);
    // The failed ADD changed nothing: the first registration stands.
    let list = registrations(epoll.as_fd()).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].token, 1);
}

#[test]
fn enoent_modifying_an_fd_that_was_never_added() {
    let (epoll, reader, _writer) = setup();
    let err = assert_fails(
        modify(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1),
        "epoll_ctl(MOD)",
        ENOENT,
    );
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn enoent_deleting_an_fd_that_was_never_added_or_already_deleted() {
    let (epoll, reader, _writer) = setup();
    assert_fails(
        delete(epoll.as_fd(), reader.as_fd()),
        "epoll_ctl(DEL)",
        ENOENT,
    );
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    delete(epoll.as_fd(), reader.as_fd()).unwrap();
    assert_fails(
        delete(epoll.as_fd(), reader.as_fd()),
        "epoll_ctl(DEL)",
        ENOENT,
    );
}

#[test]
fn ebadf_for_an_fd_that_is_not_open() {
    let (epoll, _reader, _writer) = setup();
    let mut event = Event::new(EPOLLIN, 1);
    // SAFETY: `event` is a live Event; fd -1 is never open, so the call
    // fails without touching anything.
    let ret = unsafe { ffi::epoll_ctl(epoll.as_raw_fd(), EPOLL_CTL_ADD, -1, &mut event) };
    assert_fails(
        check("epoll_ctl(ADD)", ret).map(drop),
        "epoll_ctl(ADD)",
        EBADF,
    );
}

#[test]
fn ebadf_for_an_epoll_fd_that_is_not_open() {
    let (_epoll, reader, _writer) = setup();
    let mut event = Event::new(EPOLLIN, 1);
    // SAFETY: as above; this time the epoll fd is the one that is -1.
    let ret = unsafe { ffi::epoll_ctl(-1, EPOLL_CTL_ADD, reader.as_raw_fd(), &mut event) };
    assert_fails(
        check("epoll_ctl(ADD)", ret).map(drop),
        "epoll_ctl(ADD)",
        EBADF,
    );
}

#[test]
fn eperm_for_a_regular_file_and_a_directory() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
    let err = assert_fails(
        add(epoll.as_fd(), file.as_fd(), EPOLLIN, 1),
        "epoll_ctl(ADD)",
        EPERM,
    );
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let dir = std::fs::File::open(env!("CARGO_MANIFEST_DIR")).unwrap();
    assert_fails(
        add(epoll.as_fd(), dir.as_fd(), EPOLLIN, 1),
        "epoll_ctl(ADD)",
        EPERM,
    );
}

#[test]
fn einval_adding_an_epoll_instance_to_itself() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let err = assert_fails(
        add(epoll.as_fd(), epoll.as_fd(), EPOLLIN, 1),
        "epoll_ctl(ADD)",
        EINVAL,
    );
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[test]
fn einval_when_the_epoll_fd_is_not_an_epoll_instance() {
    let (_epoll, reader, writer) = setup();
    assert_fails(
        add(reader.as_fd(), writer.as_fd(), EPOLLIN, 1),
        "epoll_ctl(ADD)",
        EINVAL,
    );
}

#[test]
fn einval_for_epollexclusive_in_a_mod() {
    let (epoll, reader, _writer) = setup();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    assert_fails(
        modify(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLEXCLUSIVE, 1),
        "epoll_ctl(MOD)",
        EINVAL,
    );
}

#[test]
fn einval_for_epollexclusive_on_an_epoll_instance() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let inner = epoll_create1(EPOLL_CLOEXEC).unwrap();
    assert_fails(
        add(epoll.as_fd(), inner.as_fd(), EPOLLIN | EPOLLEXCLUSIVE, 1),
        "epoll_ctl(ADD)",
        EINVAL,
    );
}

#[test]
fn eloop_nesting_two_epoll_instances_in_each_other() {
    let outer = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let inner = epoll_create1(EPOLL_CLOEXEC).unwrap();
    // One epoll instance inside another is allowed (man 7 epoll) ...
    add(outer.as_fd(), inner.as_fd(), EPOLLIN, 1).unwrap();
    // ... a loop is not.
    assert_fails(
        add(inner.as_fd(), outer.as_fd(), EPOLLIN, 2),
        "epoll_ctl(ADD)",
        ELOOP,
    );
}

#[test]
fn del_with_a_null_event_succeeds_and_the_fd_is_no_longer_reported() {
    let (epoll, reader, writer) = setup();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    write(writer.as_fd(), b"x").unwrap();
    // `delete` passes None to chapter 1's epoll_ctl: a null pointer.
    delete(epoll.as_fd(), reader.as_fd()).unwrap();
    assert!(registrations(epoll.as_fd()).unwrap().is_empty());
    let mut events = [Event::zeroed(); 2];
    assert_eq!(epoll_wait(epoll.as_fd(), &mut events, 0).unwrap(), 0);
}

#[test]
fn the_chapters_errno_values_are_libcs() {
    assert_eq!(ELOOP, libc::ELOOP);
    assert_eq!(ENOMEM, libc::ENOMEM);
    assert_eq!(ENOSPC, libc::ENOSPC);
    assert_eq!(errno_name(libc::ELOOP), Some("ELOOP"));
    assert_eq!(errno_name(libc::EEXIST), Some("EEXIST"));
    assert_eq!(errno_name(libc::EAGAIN), None);
}
