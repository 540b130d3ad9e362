//! Every hand-written constant equals the `libc` crate's value for the
//! target the tests run on.

use ch01_raw_syscalls as ch01;
use ch01_raw_syscalls::consts::errno;

/// libc spells the event bits as `c_int`; the kernel's field is a `u32`.
/// Comparing bit patterns makes `EPOLLET` (bit 31) compare equal.
fn bits(value: libc::c_int) -> u32 {
    value as u32
}

#[test]
fn epoll_ctl_operations() {
    assert_eq!(ch01::EPOLL_CTL_ADD, libc::EPOLL_CTL_ADD);
    assert_eq!(ch01::EPOLL_CTL_DEL, libc::EPOLL_CTL_DEL);
    assert_eq!(ch01::EPOLL_CTL_MOD, libc::EPOLL_CTL_MOD);
}

#[test]
fn event_bits() {
    assert_eq!(ch01::EPOLLIN, bits(libc::EPOLLIN));
    assert_eq!(ch01::EPOLLPRI, bits(libc::EPOLLPRI));
    assert_eq!(ch01::EPOLLOUT, bits(libc::EPOLLOUT));
    assert_eq!(ch01::EPOLLERR, bits(libc::EPOLLERR));
    assert_eq!(ch01::EPOLLHUP, bits(libc::EPOLLHUP));
    assert_eq!(ch01::EPOLLRDHUP, bits(libc::EPOLLRDHUP));
}

#[test]
fn input_flags() {
    assert_eq!(ch01::EPOLLEXCLUSIVE, bits(libc::EPOLLEXCLUSIVE));
    assert_eq!(ch01::EPOLLWAKEUP, bits(libc::EPOLLWAKEUP));
    assert_eq!(ch01::EPOLLONESHOT, bits(libc::EPOLLONESHOT));
    assert_eq!(ch01::EPOLLET, bits(libc::EPOLLET));
    // EPOLLET is the top bit: negative as a C int.
    const { assert!(libc::EPOLLET < 0) };
}

#[test]
fn open_flags() {
    assert_eq!(ch01::EPOLL_CLOEXEC, libc::EPOLL_CLOEXEC);
    assert_eq!(ch01::O_CLOEXEC, libc::O_CLOEXEC);
    assert_eq!(ch01::O_NONBLOCK, libc::O_NONBLOCK);
}

#[test]
fn errno_values() {
    assert_eq!(errno::EPERM, libc::EPERM);
    assert_eq!(errno::ENOENT, libc::ENOENT);
    assert_eq!(errno::EINTR, libc::EINTR);
    assert_eq!(errno::EBADF, libc::EBADF);
    assert_eq!(errno::EAGAIN, libc::EAGAIN);
    assert_eq!(errno::EEXIST, libc::EEXIST);
    assert_eq!(errno::EINVAL, libc::EINVAL);
}
