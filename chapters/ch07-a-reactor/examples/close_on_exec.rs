//! The reactor's epoll fd is close-on-exec: a program this one starts does
//! not inherit it. For contrast, an epoll fd made without `EPOLL_CLOEXEC`
//! is inherited.
//!
//! Run it with `cargo run -p ch07-a-reactor --example close_on_exec`.

use ch07_a_reactor::Reactor;
use std::fs;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::process::Command;

// ANCHOR: child_fds
/// The child's epoll fds: `ls -l /proc/self/fd` lists the fds of `ls`
/// itself, each with what it refers to.
fn epoll_fds_of_a_child() -> io::Result<usize> {
    let out = Command::new("ls").args(["-l", "/proc/self/fd"]).output()?;
    if !out.status.success() {
        return Err(io::Error::other(format!("ls failed: {}", out.status)));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| line.ends_with("anon_inode:[eventpoll]"))
        .count())
}
// ANCHOR_END: child_fds

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let reactor = Reactor::new()?;
    let link = fs::read_link(format!("/proc/self/fd/{}", reactor.as_raw_fd()))?;
    // SAFETY: F_GETFD only reads the fd's flags; the fd is open (the reactor).
    let flags = unsafe { libc::fcntl(reactor.as_raw_fd(), libc::F_GETFD) };
    println!("the reactor's fd here: {}", link.display());
    println!("  FD_CLOEXEC set: {}", flags & libc::FD_CLOEXEC != 0);
    println!(
        "  epoll fds in a child started with Command: {}",
        epoll_fds_of_a_child()?
    );

    // SAFETY: epoll_create1 takes no pointers; the flags are 0.
    let raw = unsafe { libc::epoll_create1(0) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the kernel just returned `raw`: open, and known to no one else.
    let inheritable = unsafe { OwnedFd::from_raw_fd(raw) };
    println!("one more epoll fd, made with epoll_create1(0)");
    println!(
        "  epoll fds in a child started with Command: {}",
        epoll_fds_of_a_child()?
    );
    drop(inheritable);
    Ok(())
}
// ANCHOR_END: main
