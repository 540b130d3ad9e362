//! Registration variants: readable, writable, both, priority, explicit
//! flags; edge-triggered by default, level-triggered on request, one-shot
//! with a re-arm.

mod common;

use ch04_libc_and_a_safe_wrapper::{IN, RDHUP};
use ch07_a_reactor::io::{read_some, read_until_would_block, write_to_would_block};
use ch07_a_reactor::{Interest, Reactor};
use common::{Log, pipe, put};
use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

const PATIENCE: Option<Duration> = Some(Duration::from_secs(5));
const NOW: Option<Duration> = Some(Duration::ZERO);

/// Registers a pipe whose handler reads one byte per event, and writes
/// three bytes into it; returns the writer (keep it open).
fn one_byte_per_event(
    reactor: &mut Reactor,
    interest: Interest,
    log: &Log,
) -> std::os::fd::OwnedFd {
    let (reader, writer) = pipe();
    let log = log.clone();
    reactor
        .register(reader, interest, move |pipe, _, _| {
            let mut byte = [0];
            read_some(pipe.as_fd(), &mut byte)?;
            log.push(String::from_utf8_lossy(&byte));
            Ok(())
        })
        .unwrap();
    put(&writer, b"abc");
    writer
}

#[test]
fn level_triggered_calls_again_while_data_is_left() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let _writer = one_byte_per_event(&mut reactor, Interest::READABLE.level(), &log);
    for _ in 0..3 {
        assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    }
    assert_eq!(reactor.turn(NOW).unwrap().events, 0);
    assert_eq!(log.take(), ["a", "b", "c"]);
}

#[test]
fn edge_triggered_calls_once_per_change_so_a_partial_read_strands_data() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let writer = one_byte_per_event(&mut reactor, Interest::READABLE, &log);
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    // "b" and "c" are still in the pipe, and nobody is told.
    assert_eq!(reactor.turn(NOW).unwrap().events, 0);
    assert_eq!(log.take(), ["a"]);
    // Only new data makes a new edge.
    put(&writer, b"d");
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    assert_eq!(log.take(), ["b"]);
}

#[test]
fn edge_triggered_with_the_drain_helper_gets_everything() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let (reader, writer) = pipe();
    let handler_log = log.clone();
    reactor
        .register(reader, Interest::READABLE, move |pipe, _, _| {
            let mut data = Vec::new();
            read_until_would_block(pipe.as_fd(), &mut data)?;
            handler_log.push(String::from_utf8_lossy(&data));
            Ok(())
        })
        .unwrap();
    // More than one read's worth (chapter 3's loop reads 4096 at a time).
    let data = vec![b'z'; 10_000];
    put(&writer, &data);
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    assert_eq!(reactor.turn(NOW).unwrap().events, 0);
    assert_eq!(log.take(), [String::from_utf8(data).unwrap()]);
}

#[test]
fn one_shot_reports_once_until_rearmed() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let _writer = one_byte_per_event(&mut reactor, Interest::READABLE.level().oneshot(), &log);
    let token = ch07_a_reactor::Token::new(0, 0);
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    // Level-triggered and data left, but disabled after one event.
    assert_eq!(reactor.turn(NOW).unwrap().events, 0);
    reactor
        .reregister(token, Interest::READABLE.level().oneshot())
        .unwrap();
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    assert_eq!(reactor.turn(NOW).unwrap().events, 0);
    assert_eq!(log.take(), ["a", "b"]);
}

#[test]
fn writable_edge_triggered_comes_again_only_after_the_buffer_filled_and_drained() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let (reader, writer) = pipe();
    let handler_log = log.clone();
    reactor
        .register(writer, Interest::WRITABLE, move |_, _, event| {
            handler_log.push(format!("writable: {}", event.is_writable()));
            Ok(())
        })
        .unwrap();
    // An empty pipe has room: one event, then silence while nothing changes.
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    assert_eq!(reactor.turn(NOW).unwrap().events, 0);
    assert_eq!(log.take(), ["writable: true"]);

    // Filling the pipe and emptying it again is a change.
    let writer = reactor
        .remove::<std::os::fd::OwnedFd>(ch07_a_reactor::Token::new(0, 0))
        .unwrap();
    let (writer_token, filled) = {
        let filled = write_to_would_block(writer.as_fd(), &vec![0; 1 << 20]).unwrap();
        let log = log.clone();
        let token = reactor
            .register(writer, Interest::WRITABLE, move |_, _, event| {
                log.push(format!("writable: {}", event.is_writable()));
                Ok(())
            })
            .unwrap();
        (token, filled)
    };
    // Registered while full: no event.
    assert_eq!(reactor.turn(NOW).unwrap().events, 0);
    let mut sink = Vec::new();
    let drained = read_until_would_block(reader.as_fd(), &mut sink).unwrap();
    assert_eq!(drained.bytes, filled);
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    assert_eq!(log.take(), ["writable: true"]);
    assert!(reactor.contains(writer_token));
}

#[test]
fn both_reports_readable_and_writable_in_one_event() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let (ours, theirs) = UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    let handler_log = log.clone();
    reactor
        .register(ours, Interest::BOTH, move |_, _, event| {
            handler_log.push(format!(
                "readable {} writable {}",
                event.is_readable(),
                event.is_writable()
            ));
            Ok(())
        })
        .unwrap();
    io::Write::write_all(&mut &theirs, b"hello").unwrap();
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    assert_eq!(log.take(), ["readable true writable true"]);
}

#[test]
fn priority_reports_tcp_urgent_data() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    server.set_nonblocking(true).unwrap();
    let handler_log = log.clone();
    reactor
        .register(server, Interest::PRIORITY, move |socket, _, event| {
            let mut byte = 0u8;
            // SAFETY: `byte` is valid for a write of 1 byte; the socket is
            // open (the reactor owns it).
            let n =
                unsafe { libc::recv(socket.as_raw_fd(), (&raw mut byte).cast(), 1, libc::MSG_OOB) };
            handler_log.push(format!(
                "priority {} readable {}, urgent byte {:?} ({n})",
                event.is_priority(),
                event.is_readable(),
                char::from(byte)
            ));
            Ok(())
        })
        .unwrap();
    // SAFETY: the buffer is valid for a read of 1 byte; `client` is open.
    let sent = unsafe { libc::send(client.as_raw_fd(), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
    assert_eq!(sent, 1);
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    assert_eq!(
        log.take(),
        ["priority true readable false, urgent byte '!' (1)"]
    );
}

#[test]
fn explicit_flags_pass_through_unchanged() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let (ours, theirs) = UnixStream::pair().unwrap();
    ours.set_nonblocking(true).unwrap();
    let handler_log = log.clone();
    reactor
        .register(ours, Interest::from_bits(IN | RDHUP), move |_, _, event| {
            handler_log.push(format!(
                "read closed {}, rdhup {}",
                event.is_read_closed(),
                event.events() & RDHUP != 0
            ));
            Ok(())
        })
        .unwrap();
    theirs.shutdown(std::net::Shutdown::Write).unwrap();
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    // Level-triggered (no ET in the bits): the end of file stays readable.
    assert_eq!(reactor.turn(NOW).unwrap().dispatched, 1);
    assert_eq!(
        log.take(),
        [
            "read closed true, rdhup true",
            "read closed true, rdhup true"
        ]
    );
}
