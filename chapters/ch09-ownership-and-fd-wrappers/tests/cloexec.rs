//! Every descriptor the book creates is close-on-exec, and a child started
//! with `std::process::Command` sees none of them; it sees exactly what it
//! is given as its standard input, output and error.

use ch04_libc_and_a_safe_wrapper::Epoll;
use ch05_eventfd_wakeups::{EventFd, Waker};
use ch06_everything_is_an_fd::{Inotify, TimerFd};
use ch07_a_reactor::Reactor;
use ch08_generic_sources::EventLoop;
use ch09_ownership_and_fd_wrappers::{
    PidFd, fdinfo_flags, is_close_on_exec, private_pipe, seen_by_child,
};
use std::fs::File;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::{Command, Stdio};
use testkit::assert_no_fd_leaks;

/// Asserts that `fd` is close-on-exec by both measures.
fn assert_close_on_exec(name: &str, fd: BorrowedFd<'_>) {
    assert!(
        is_close_on_exec(fd).unwrap(),
        "{name}: FD_CLOEXEC is not set"
    );
    assert_eq!(
        fdinfo_flags(fd).unwrap() & libc::O_CLOEXEC,
        libc::O_CLOEXEC,
        "{name}: fdinfo does not show O_CLOEXEC"
    );
}

#[test]
fn every_constructor_of_the_book_makes_close_on_exec_descriptors() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let waker = Waker::new(&epoll, 0).unwrap();
        let timer = TimerFd::new().unwrap();
        let inotify = Inotify::new().unwrap();
        let reactor = Reactor::new().unwrap();
        let mut sleep = Command::new("sleep");
        sleep.arg("10").stdin(Stdio::null());
        let (mut child, pidfd) = PidFd::spawn(&mut sleep).unwrap();
        let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
        let (private_reader, private_writer) = private_pipe().unwrap();
        // SAFETY: private_pipe's write end is owned by no Rust value; this
        // OwnedFd becomes its owner and closes it, once.
        let private_writer = unsafe { OwnedFd::from_raw_fd(private_writer) };

        let fds: Vec<(&str, BorrowedFd<'_>)> = vec![
            ("Epoll::new", epoll.as_fd()),
            ("Waker::new", waker.as_fd()),
            ("TimerFd::new", timer.as_fd()),
            ("Inotify::new", inotify.as_fd()),
            ("Reactor::new", reactor.as_fd()),
            ("EventLoop::new", event_loop.as_fd()),
            ("PidFd::spawn", pidfd.as_fd()),
            ("private_pipe (reader)", private_reader.as_fd()),
            ("private_pipe (writer)", private_writer.as_fd()),
        ];
        for (name, fd) in &fds {
            assert_close_on_exec(name, *fd);
        }
        let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|(_, fd)| *fd).collect();
        assert!(seen_by_child(&borrowed).unwrap().iter().all(|seen| !seen));

        drop(fds);
        drop((
            waker,
            timer,
            inotify,
            reactor,
            pidfd,
            private_reader,
            private_writer,
        ));
        child.kill().unwrap();
        child.wait().unwrap();
    });
}

#[test]
fn the_flag_is_the_callers_choice_where_the_book_takes_flags() {
    assert_no_fd_leaks(|| {
        // EventFd::new passes its flags through: the book always passes
        // EFD_CLOEXEC, and without it the kernel does not set the flag.
        let with = EventFd::new(0, libc::EFD_CLOEXEC).unwrap();
        let without = EventFd::new(0, 0).unwrap();
        assert_close_on_exec("EventFd::new(EFD_CLOEXEC)", with.as_fd());
        assert!(!is_close_on_exec(&without).unwrap());
        assert_eq!(
            seen_by_child(&[with.as_fd(), without.as_fd()]).unwrap(),
            [false, true]
        );
    });
}

#[test]
fn the_standard_library_makes_close_on_exec_descriptors() {
    assert_no_fd_leaks(|| {
        let file = File::open("/proc/self/status").unwrap();
        let (reader, writer) = std::io::pipe().unwrap();
        let (left, right) = UnixStream::pair().unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let clone = OwnedFd::from(file.try_clone().unwrap());

        let fds: Vec<(&str, BorrowedFd<'_>)> = vec![
            ("File::open", file.as_fd()),
            ("std::io::pipe (reader)", reader.as_fd()),
            ("std::io::pipe (writer)", writer.as_fd()),
            ("UnixStream::pair", left.as_fd()),
            ("UnixStream::pair", right.as_fd()),
            ("TcpListener::bind", listener.as_fd()),
            ("TcpStream::connect", client.as_fd()),
            ("TcpListener::accept", server.as_fd()),
            ("UdpSocket::bind", udp.as_fd()),
            ("File::try_clone", clone.as_fd()),
        ];
        for (name, fd) in &fds {
            assert_close_on_exec(name, *fd);
        }
        let borrowed: Vec<BorrowedFd<'_>> = fds.iter().map(|(_, fd)| *fd).collect();
        assert!(seen_by_child(&borrowed).unwrap().iter().all(|seen| !seen));
    });
}

#[test]
fn dup_drops_the_flag_and_the_child_inherits_the_copy() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        // SAFETY: dup takes no pointer; `epoll` is open.
        let plain = unsafe { libc::dup(epoll.as_raw_fd()) };
        assert!(plain >= 0);
        // SAFETY: dup just returned `plain`; the OwnedFd is its only owner.
        let plain = unsafe { OwnedFd::from_raw_fd(plain) };
        assert!(!is_close_on_exec(&plain).unwrap());
        assert_eq!(fdinfo_flags(&plain).unwrap() & libc::O_CLOEXEC, 0);
        assert_eq!(
            seen_by_child(&[epoll.as_fd(), plain.as_fd()]).unwrap(),
            [false, true]
        );
    });
}

#[test]
fn command_gives_the_child_its_stdio_and_nothing_else() {
    assert_no_fd_leaks(|| {
        let (reader, _writer) = std::io::pipe().unwrap();
        let target = std::fs::read_link(format!("/proc/self/fd/{}", reader.as_raw_fd())).unwrap();
        let target = target.to_string_lossy().into_owned();
        let number = reader.as_raw_fd();
        // The child's fd 0 is a duplicate of `reader`, made by dup2 in the
        // child, which leaves the new descriptor without close-on-exec.
        let output = Command::new("ls")
            .args(["-l", "/proc/self/fd"])
            .stdin(Stdio::from(reader))
            .output()
            .unwrap();
        assert!(output.status.success());
        let listing = String::from_utf8(output.stdout).unwrap();
        let links: Vec<(i32, &str)> = listing
            .lines()
            .filter_map(|line| {
                let (left, target) = line.split_once(" -> ")?;
                Some((left.split_whitespace().last()?.parse().ok()?, target))
            })
            .collect();
        // The pipe is the child's fd 0, and under no other number: not the
        // one it has here, nor any other.
        let holders: Vec<i32> = links
            .iter()
            .filter(|&&(_, link)| link == target)
            .map(|&(fd, _)| fd)
            .collect();
        assert_eq!(holders, [0], "the parent's fd {number}; {listing}");
    });
}
