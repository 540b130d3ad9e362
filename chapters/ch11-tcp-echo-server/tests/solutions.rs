//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. Every test runs inside `assert_no_fd_leaks`.

use ch02_interest_and_ready_lists::registrations;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN, RDHUP};
use ch11_tcp_echo_server::solutions::{
    FileLimit, SoleStream, may_stop_after_short_read, prlimit_nofile, raise_nofile_limit,
    read_with_rdhup,
};
use std::io::{ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use testkit::assert_no_fd_leaks;

const PATIENCE: Option<Duration> = Some(Duration::from_secs(5));
const NOW: Option<Duration> = Some(Duration::ZERO);

/// A listener with one client connected to it.
fn connected() -> (TcpListener, TcpStream) {
    let listener = ch11_tcp_echo_server::listener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    (listener, client)
}

fn accept_sole(listener: &TcpListener) -> SoleStream {
    let give_up = Instant::now() + Duration::from_secs(5);
    loop {
        match SoleStream::accept(listener) {
            Err(err) if err.kind() == ErrorKind::WouldBlock && Instant::now() < give_up => {
                std::thread::yield_now();
            }
            result => return result.unwrap(),
        }
    }
}

#[test]
fn exercise_1_closing_the_only_descriptor_removes_the_entry() {
    assert_no_fd_leaks(|| {
        let (listener, mut client) = connected();
        let sole = accept_sole(&listener);
        let epoll = Epoll::new().unwrap();
        sole.register(&epoll, IN, 7).unwrap();
        client.write_all(b"ping").unwrap();
        let mut events = Events::with_capacity(4);
        assert_eq!(epoll.wait(&mut events, PATIENCE).unwrap(), 1);
        let mut buf = [0; 8];
        assert_eq!(sole.read(&mut buf).unwrap(), 4);
        assert_eq!(sole.write(b"pong").unwrap(), 4);

        sole.close(); // no DEL
        assert!(registrations(epoll.as_fd()).unwrap().is_empty());
        // The peer sees the close; nothing reports it to `epoll`.
        assert!(client.write_all(b"more").is_ok());
        assert_eq!(epoll.wait(&mut events, NOW).unwrap(), 0);
    });
}

#[test]
fn exercise_1_a_try_clone_keeps_the_entry_after_the_close() {
    assert_no_fd_leaks(|| {
        let (listener, mut client) = connected();
        let (stream, _) = listener.accept().unwrap();
        let epoll = Epoll::new().unwrap();
        epoll.add(&stream, IN, 7).unwrap();
        let clone = stream.try_clone().unwrap();
        drop(stream); // no DEL, and not the only descriptor
        let listed = registrations(epoll.as_fd()).unwrap();
        assert_eq!(listed.len(), 1, "the entry outlived the close");
        client.write_all(b"ping").unwrap();
        let mut events = Events::with_capacity(4);
        assert_eq!(epoll.wait(&mut events, PATIENCE).unwrap(), 1);
        assert_eq!(events.iter().next().unwrap().token(), 7);
        drop(clone);
        assert!(registrations(epoll.as_fd()).unwrap().is_empty());
    });
}

/// A `sleep` to change the limits of, and to read them back from.
fn sleeper() -> std::process::Child {
    Command::new("sleep")
        .arg("10")
        .stdin(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn exercise_2_the_soft_limit_rises_to_the_hard_one() {
    assert_no_fd_leaks(|| {
        let mut child = sleeper();
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        // What tests/emfile.rs does: the soft limit only.
        let hard = prlimit_nofile(pid, None).unwrap().hard;
        assert!(hard > 64, "this machine's hard limit is {hard}");
        prlimit_nofile(pid, Some(FileLimit { soft: 64, hard })).unwrap();
        let (before, after) = raise_nofile_limit(pid).unwrap();
        assert_eq!(before, FileLimit { soft: 64, hard });
        assert_eq!(after, FileLimit { soft: hard, hard });
        child.kill().unwrap();
        child.wait().unwrap();
    });
}

#[test]
fn exercise_2_a_lowered_hard_limit_keeps_the_test_honest() {
    assert_no_fd_leaks(|| {
        let mut child = sleeper();
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        let honest = FileLimit { soft: 64, hard: 64 };
        prlimit_nofile(pid, Some(honest)).unwrap();
        let (before, after) = raise_nofile_limit(pid).unwrap();
        assert_eq!((before, after), (honest, honest));
        child.kill().unwrap();
        child.wait().unwrap();
    });
}

#[test]
fn exercise_3_the_rule() {
    assert_no_fd_leaks(|| {
        assert!(may_stop_after_short_read(IN));
        assert!(!may_stop_after_short_read(IN | RDHUP));
    });
}

#[test]
fn exercise_3_a_fin_before_the_wait_needs_the_extra_read() {
    assert_no_fd_leaks(|| {
        assert_eq!(
            read_with_rdhup(true).unwrap(),
            ["wait: IN | RDHUP", "read: 5 bytes", "read: end of file"]
        );
    });
}

#[test]
fn exercise_3_a_fin_after_the_wait_makes_its_own_edge() {
    assert_no_fd_leaks(|| {
        assert_eq!(
            read_with_rdhup(false).unwrap(),
            [
                "wait: IN",
                "read: 5 bytes",
                "short read, no RDHUP: wait",
                "wait: IN | RDHUP",
                "read: end of file"
            ]
        );
    });
}
