//! The wrappers keep the OS error, name the failing call, and pass the
//! kernel's answers through unchanged.

use ch01_raw_syscalls::consts::errno::{EBADF, EEXIST, EINVAL, ENOENT, EPERM};
use ch01_raw_syscalls::error::failed_call;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, EPOLLIN, EPOLLOUT, Event,
    O_CLOEXEC, O_NONBLOCK, epoll_create1, epoll_ctl, epoll_wait, errno, ffi, pipe2, read, write,
};
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, AsRawFd};

fn assert_os_error(err: &io::Error, call: &str, code: i32, kind: ErrorKind) {
    assert_eq!(failed_call(err), Some(call), "{err}");
    assert_eq!(errno(err), Some(code), "{err}");
    assert_eq!(err.kind(), kind, "{err}");
    assert!(err.to_string().starts_with(&format!("{call}: ")), "{err}");
    assert!(
        err.to_string().ends_with(&format!("(os error {code})")),
        "{err}"
    );
}

#[test]
fn a_regular_file_gives_eperm() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let file = std::fs::File::open(std::env::current_exe().unwrap()).unwrap();
    let err = epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_ADD,
        file.as_fd(),
        Some(&Event::new(EPOLLIN, 0)),
    )
    .unwrap_err();
    assert_os_error(&err, "epoll_ctl(ADD)", EPERM, ErrorKind::PermissionDenied);
}

#[test]
fn adding_twice_gives_eexist_and_mod_or_del_of_a_stranger_gives_enoent() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (reader, _writer) = pipe2(O_CLOEXEC).unwrap();
    let interest = Event::new(EPOLLIN, 1);
    epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_ADD,
        reader.as_fd(),
        Some(&interest),
    )
    .unwrap();
    let err = epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_ADD,
        reader.as_fd(),
        Some(&interest),
    )
    .unwrap_err();
    assert_os_error(&err, "epoll_ctl(ADD)", EEXIST, ErrorKind::AlreadyExists);

    let (stranger, _w) = pipe2(O_CLOEXEC).unwrap();
    let err = epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_MOD,
        stranger.as_fd(),
        Some(&interest),
    )
    .unwrap_err();
    assert_os_error(&err, "epoll_ctl(MOD)", ENOENT, ErrorKind::NotFound);
    let err = epoll_ctl(epoll.as_fd(), EPOLL_CTL_DEL, stranger.as_fd(), None).unwrap_err();
    assert_os_error(&err, "epoll_ctl(DEL)", ENOENT, ErrorKind::NotFound);
    // DEL of a registered fd accepts a null event.
    epoll_ctl(epoll.as_fd(), EPOLL_CTL_DEL, reader.as_fd(), None).unwrap();
}

#[test]
fn an_empty_buffer_gives_einval() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let err = epoll_wait(epoll.as_fd(), &mut [], 0).unwrap_err();
    assert_os_error(&err, "epoll_wait", EINVAL, ErrorKind::InvalidInput);
}

#[test]
fn an_invalid_fd_gives_ebadf_through_the_raw_call() {
    // The safe wrappers take BorrowedFd, which cannot hold -1; the raw
    // declaration takes any int.
    // SAFETY: epoll_wait with fd -1 fails before touching the buffer.
    let ret = unsafe { ffi::epoll_wait(-1, std::ptr::null_mut(), 1, 0) };
    assert_eq!(ret, -1);
    assert_eq!(io::Error::last_os_error().raw_os_error(), Some(EBADF));
}

#[test]
fn the_token_comes_back_exactly_as_registered() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    let token = u64::MAX - 41;
    epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_ADD,
        reader.as_fd(),
        Some(&Event::new(EPOLLIN, token)),
    )
    .unwrap();
    assert_eq!(write(writer.as_fd(), b"abc").unwrap(), 3);
    let mut events = [Event::zeroed(); 4];
    assert_eq!(epoll_wait(epoll.as_fd(), &mut events, 1000).unwrap(), 1);
    assert_eq!(events[0].token(), token);
    assert_eq!({ events[0].events }, EPOLLIN);
    let mut buf = [0; 8];
    assert_eq!(read(reader.as_fd(), &mut buf).unwrap(), 3);
    assert_eq!(&buf[..3], b"abc");
}

#[test]
fn an_fd_token_comes_back_too() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (_reader, writer) = pipe2(O_CLOEXEC).unwrap();
    let fd = writer.as_raw_fd();
    epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_ADD,
        writer.as_fd(),
        Some(&Event::with_fd(EPOLLOUT, fd)),
    )
    .unwrap();
    let mut events = [Event::zeroed(); 1];
    assert_eq!(epoll_wait(epoll.as_fd(), &mut events, 1000).unwrap(), 1);
    assert_eq!(events[0].fd(), fd);
}

#[test]
fn timeout_zero_with_nothing_ready_returns_zero_events() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (reader, _writer) = pipe2(O_CLOEXEC).unwrap();
    epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_ADD,
        reader.as_fd(),
        Some(&Event::new(EPOLLIN, 1)),
    )
    .unwrap();
    let mut events = [Event::zeroed(); 1];
    assert_eq!(epoll_wait(epoll.as_fd(), &mut events, 0).unwrap(), 0);
}

#[test]
fn a_nonblocking_pipe_reports_would_block_as_eagain() {
    let (reader, _writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
    let err = read(reader.as_fd(), &mut [0; 4]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    assert_eq!(failed_call(&err), Some("read"));
}
