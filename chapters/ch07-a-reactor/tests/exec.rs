//! The reactor's epoll fd is close-on-exec: a program started with
//! `std::process::Command` does not inherit it. One test in this binary:
//! its control experiment makes an fd that is *not* close-on-exec, which
//! any other test's child would inherit.

use ch07_a_reactor::Reactor;
use std::fs;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Command;

/// How many of the child's fds are epoll instances, by `ls -l
/// /proc/self/fd` run in the child (`/proc/self` is then the child).
fn epoll_fds_in_a_child() -> usize {
    let out = Command::new("ls")
        .args(["-l", "/proc/self/fd"])
        .output()
        .expect("running ls");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| line.ends_with("anon_inode:[eventpoll]"))
        .count()
}

#[test]
fn a_child_started_with_command_does_not_inherit_the_epoll_fd() {
    let reactor = Reactor::new().unwrap();
    let link = fs::read_link(format!("/proc/self/fd/{}", reactor.as_raw_fd())).unwrap();
    assert_eq!(link.to_str(), Some("anon_inode:[eventpoll]"));
    // SAFETY: F_GETFD reads the fd's flags; the fd is open (the reactor).
    let flags = unsafe { libc::fcntl(reactor.as_raw_fd(), libc::F_GETFD) };
    assert_eq!(flags & libc::FD_CLOEXEC, libc::FD_CLOEXEC);
    assert_eq!(epoll_fds_in_a_child(), 0);

    // The control: an epoll fd without EPOLL_CLOEXEC is inherited.
    // SAFETY: epoll_create1 takes no pointers.
    let raw = unsafe { libc::epoll_create1(0) };
    assert!(raw >= 0);
    // SAFETY: the kernel just returned `raw`, open and known to no one else.
    let inheritable = unsafe { OwnedFd::from_raw_fd(raw) };
    assert_eq!(epoll_fds_in_a_child(), 1);
    drop(inheritable);
    assert_eq!(epoll_fds_in_a_child(), 0);
    drop(reactor);
}
