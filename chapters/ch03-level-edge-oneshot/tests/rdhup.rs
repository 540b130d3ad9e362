//! `EPOLLRDHUP`: the peer of a stream socket shut down its writing half.
//! Over TCP on the loopback interface (the FIN arrives asynchronously, so
//! the waits have a timeout) and over a Unix socket pair.

use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLRDHUP, Event, epoll_create1, epoll_wait,
};
use ch02_interest_and_ready_lists::add;
use ch03_level_edge_oneshot::{Stop, read_until_would_block, ready_now};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

/// Waits up to 5 s for events; `(token, bits)` of each.
fn wait(epoll: BorrowedFd<'_>) -> Vec<(u64, u32)> {
    let mut events = [Event::zeroed(); 4];
    let n = epoll_wait(epoll, &mut events, 5000).unwrap();
    events[..n]
        .iter()
        .map(|event| (event.token(), event.events))
        .collect()
}

/// A connected pair over TCP loopback: (accepted side, client side).
fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    (server, client)
}

#[test]
fn a_tcp_half_close_is_epollin_and_epollrdhup_and_the_socket_still_writes() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (mut server, mut client) = tcp_pair();
    server.set_nonblocking(true).unwrap();
    add(epoll.as_fd(), server.as_fd(), EPOLLIN | EPOLLRDHUP, 1).unwrap();

    client.write_all(b"request").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    // The data and the FIN may arrive as two events; wait for the FIN.
    // Level-triggered, the data alone is reported at once by every wait, so
    // the loop has its own bound against hanging.
    let patience = Instant::now() + Duration::from_secs(5);
    let mut seen = wait(epoll.as_fd());
    while seen != [(1, EPOLLIN | EPOLLRDHUP)] {
        assert_eq!(seen, [(1, EPOLLIN)], "only data may come before the FIN");
        assert!(Instant::now() < patience, "no FIN within 5 s");
        seen = wait(epoll.as_fd());
    }

    // What was sent before the shutdown is still there, then end of file.
    let mut data = Vec::new();
    let drained = read_until_would_block(server.as_fd(), &mut data).unwrap();
    assert_eq!(
        (data.as_slice(), drained.stop),
        (&b"request"[..], Stop::EndOfFile)
    );
    // Level-triggered: end of file stays readable, and stays reported.
    assert_eq!(
        ready_now(epoll.as_fd()).unwrap(),
        [(1, EPOLLIN | EPOLLRDHUP)]
    );

    // Half closed is not closed: the answer still goes out.
    server.write_all(b"reply").unwrap();
    server.shutdown(Shutdown::Write).unwrap();
    let mut answer = String::new();
    client.read_to_string(&mut answer).unwrap();
    assert_eq!(answer, "reply");
}

#[test]
fn epollhup_joins_when_both_directions_are_shut() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (server, client) = tcp_pair();
    add(epoll.as_fd(), server.as_fd(), EPOLLIN | EPOLLRDHUP, 1).unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    assert_eq!(wait(epoll.as_fd()), [(1, EPOLLIN | EPOLLRDHUP)]);
    // Our own write half shut too: both directions are done.
    server.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        ready_now(epoll.as_fd()).unwrap(),
        [(1, EPOLLIN | EPOLLHUP | EPOLLRDHUP)]
    );
}

#[test]
fn without_epollrdhup_a_half_close_looks_like_data() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (asks, asks_peer) = UnixStream::pair().unwrap();
    let (plain, plain_peer) = UnixStream::pair().unwrap();
    add(epoll.as_fd(), asks.as_fd(), EPOLLIN | EPOLLRDHUP, 1).unwrap();
    add(epoll.as_fd(), plain.as_fd(), EPOLLIN, 2).unwrap();
    asks_peer.shutdown(Shutdown::Write).unwrap();
    plain_peer.shutdown(Shutdown::Write).unwrap();
    let mut now = ready_now(epoll.as_fd()).unwrap();
    now.sort_unstable();
    assert_eq!(now, [(1, EPOLLIN | EPOLLRDHUP), (2, EPOLLIN)]);
}

#[test]
fn edge_triggered_epollrdhup_comes_once() {
    // With EPOLLET, the shutdown is one more edge: reported once, with
    // EPOLLRDHUP telling the handler that its drain will end in end of file.
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (socket, mut peer) = UnixStream::pair().unwrap();
    socket.set_nonblocking(true).unwrap();
    add(
        epoll.as_fd(),
        socket.as_fd(),
        EPOLLIN | EPOLLRDHUP | EPOLLET,
        1,
    )
    .unwrap();
    peer.write_all(b"last words").unwrap();
    assert_eq!(ready_now(epoll.as_fd()).unwrap(), [(1, EPOLLIN)]);
    peer.shutdown(Shutdown::Write).unwrap();
    assert_eq!(
        ready_now(epoll.as_fd()).unwrap(),
        [(1, EPOLLIN | EPOLLRDHUP)]
    );
    assert!(ready_now(epoll.as_fd()).unwrap().is_empty());
    let drained = read_until_would_block(socket.as_fd(), &mut Vec::new()).unwrap();
    assert_eq!((drained.bytes, drained.stop), (10, Stop::EndOfFile));
}
