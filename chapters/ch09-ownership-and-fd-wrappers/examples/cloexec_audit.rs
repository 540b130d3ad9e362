//! Every kind of descriptor the book creates, and the standard library's,
//! checked for close-on-exec from both sides: the flag in this process, and
//! what a child started with `std::process::Command` can see.
//!
//! Run it with `cargo run -p ch09-ownership-and-fd-wrappers --example cloexec_audit`.

use ch04_libc_and_a_safe_wrapper::Epoll;
use ch05_eventfd_wakeups::Waker;
use ch06_everything_is_an_fd::{Inotify, TimerFd};
use ch07_a_reactor::Reactor;
use ch08_generic_sources::EventLoop;
use ch09_ownership_and_fd_wrappers::{PidFd, fdinfo_flags, is_close_on_exec, seen_by_child};
use std::fs::File;
use std::io;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// A child that is killed and reaped when this is dropped, however the
/// program leaves.
struct Sleeper(Child);

impl Drop for Sleeper {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// ANCHOR: main
pub fn main() -> io::Result<()> {
    // The book's constructors.
    let epoll = Epoll::new()?;
    let (child, pidfd) = PidFd::spawn(Command::new("sleep").arg("10").stdin(Stdio::null()))?;
    let _sleeper = Sleeper(child);
    let mut fds: Vec<(&str, Box<dyn AsFd + '_>)> = vec![("Epoll::new (ch04)", Box::new(&epoll))];
    fds.push(("Waker::new (ch05)", Box::new(Waker::new(&epoll, 0)?)));
    fds.push(("TimerFd::new (ch06)", Box::new(TimerFd::new()?)));
    fds.push(("Inotify::new (ch06)", Box::new(Inotify::new()?)));
    fds.push(("Reactor::new (ch07)", Box::new(Reactor::new()?)));
    let event_loop: EventLoop<'_, ()> = EventLoop::new()?;
    fds.push(("EventLoop::new (ch08)", Box::new(event_loop)));
    fds.push(("PidFd::spawn (ch09)", Box::new(pidfd)));

    // The standard library's.
    fds.push(("File::open", Box::new(File::open("/proc/self/status")?)));
    let (reader, writer) = std::io::pipe()?;
    let (left, right) = UnixStream::pair()?;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let stream = TcpStream::connect(listener.local_addr()?)?;
    fds.push(("std::io::pipe", Box::new(reader)));
    fds.push(("UnixStream::pair", Box::new(left)));
    fds.push(("TcpListener::bind", Box::new(listener)));
    fds.push(("TcpStream::connect", Box::new(stream)));
    fds.push(("UdpSocket::bind", Box::new(UdpSocket::bind("127.0.0.1:0")?)));
    fds.push((
        "OwnedFd::try_clone",
        Box::new(epoll.as_fd().try_clone_to_owned()?),
    ));

    // And one without the flag: dup(2) never sets it on the copy.
    // SAFETY: dup takes no pointer, and `epoll` is open.
    let plain = ch01_raw_syscalls::error::check("dup", unsafe { libc::dup(epoll.as_raw_fd()) })?;
    // SAFETY: dup just returned `plain`; the OwnedFd is its only owner.
    fds.push((
        "libc::dup",
        Box::new(unsafe { OwnedFd::from_raw_fd(plain) }),
    ));

    let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|(_, fd)| fd.as_fd()).collect();
    let in_child = seen_by_child(&borrowed)?;
    let header = [
        "made by",
        "FD_CLOEXEC",
        "fdinfo O_CLOEXEC",
        "seen by a child",
    ];
    println!(
        "{:<22} {:<11} {:<17} {}",
        header[0], header[1], header[2], header[3]
    );
    for ((name, fd), seen) in fds.iter().zip(in_child) {
        let flag = is_close_on_exec(fd)?;
        let fdinfo = fdinfo_flags(fd)? & libc::O_CLOEXEC != 0;
        println!(
            "{name:<22} {:<11} {:<17} {}",
            yes_no(flag),
            yes_no(fdinfo),
            yes_no(seen)
        );
    }

    drop((writer, right));
    Ok(())
}
// ANCHOR_END: main
