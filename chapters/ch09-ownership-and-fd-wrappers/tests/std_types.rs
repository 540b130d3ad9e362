//! The standard library's `File`, `TcpStream` and `UdpSocket` are wrappers
//! of the kind this chapter writes: each owns one descriptor, closes it
//! once on drop, and lends it through `AsFd`, so each goes into an epoll
//! instance as it is.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch09_ownership_and_fd_wrappers::number_in_use;
use std::fs::File;
use std::io::Write;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsRawFd, OwnedFd};
use std::time::{Duration, Instant};
use testkit::assert_no_fd_leaks;

fn ready_tokens(epoll: &Epoll) -> Vec<u64> {
    let mut events = Events::with_capacity(8);
    epoll
        .wait(&mut events, Some(Duration::from_secs(5)))
        .unwrap();
    let mut tokens: Vec<u64> = events.iter().map(|event| event.token()).collect();
    tokens.sort_unstable();
    tokens
}

#[test]
fn udp_tcp_and_file_register_as_they_are() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();

        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.connect(udp.local_addr().unwrap()).unwrap();
        epoll.add(&udp, IN, 1).unwrap();
        udp.send(b"ping").unwrap();

        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        epoll.add(&server, IN, 2).unwrap();
        client.write_all(b"hello").unwrap();

        // A File is any descriptor: here the read end of a pipe.
        let (reader, mut writer) = std::io::pipe().unwrap();
        let file = File::from(OwnedFd::from(reader));
        epoll.add(&file, IN, 3).unwrap();
        writer.write_all(b"x").unwrap();

        // Wait until all three are ready (the TCP data may take a moment);
        // the deadline only keeps a lost event from hanging the test.
        let give_up = Instant::now() + Duration::from_secs(5);
        let mut seen = ready_tokens(&epoll);
        while seen.len() < 3 && Instant::now() < give_up {
            std::thread::yield_now();
            seen = ready_tokens(&epoll);
        }
        assert_eq!(seen, [1, 2, 3]);

        // Dropping each one closes its descriptor, and with it the entry.
        let numbers = [udp.as_raw_fd(), server.as_raw_fd(), file.as_raw_fd()];
        drop((udp, server, file));
        assert!(numbers.iter().all(|&n| !number_in_use(n)));
        let mut events = Events::with_capacity(8);
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    });
}
