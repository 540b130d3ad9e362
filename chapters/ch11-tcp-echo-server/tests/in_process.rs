//! The server's library, run on a thread of the test process, where its
//! counters can be read (`Remote::stats`) while clients do things to it.

use ch08_generic_sources::{EventLoop, Generic, Interest, Mode, PostAction};
use ch11_tcp_echo_server::{Config, Connection, Next, ServerThread, listener};
use echo_harness::workloads::{AFTER_RESET_BYTES, HALF_CLOSE_BYTES};
use echo_harness::{half_close, reset_mid_stream};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(10);

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn pattern(i: usize) -> u8 {
    (i % 251) as u8
}

#[test]
fn backpressure_bounds_the_pending_output_and_the_loop_sleeps_meanwhile() {
    let config = Config::default();
    let server = ServerThread::spawn(any_port(), config).unwrap();
    let total = 16 << 20;
    let mut reader = TcpStream::connect(server.addr()).unwrap();
    reader.set_read_timeout(Some(TIMEOUT)).unwrap();
    let mut writer = reader.try_clone().unwrap();
    writer.set_write_timeout(Some(TIMEOUT)).unwrap();
    let writing = thread::spawn(move || {
        let chunk: Vec<u8> = (0..64 * 1024).map(pattern).collect();
        for _ in 0..total / chunk.len() {
            writer.write_all(&chunk).unwrap();
        }
    });

    // Wait until the server has filled the outbox and stopped hearing from
    // the connection: two looks at its counters 100 ms apart see the same
    // number of events. A server that kept polling a connection it does not
    // read from would never get here.
    let deadline = Instant::now() + TIMEOUT;
    let mut last = server.remote().stats().unwrap();
    let stalled = loop {
        thread::sleep(Duration::from_millis(100));
        let now = server.remote().stats().unwrap();
        if now.events == last.events && now.max_pending >= config.max_pending {
            break now;
        }
        assert!(Instant::now() < deadline, "never settled: {now:?}");
        last = now;
    };
    assert!(stalled.max_pending <= config.max_pending + config.read_buffer);
    assert_eq!(
        stalled.max_allocated,
        config.max_pending + config.read_buffer
    );
    assert!(stalled.bytes_echoed < total as u64, "{stalled:?}");
    eprintln!(
        "stalled after {} events: {} bytes echoed, at most {} pending",
        stalled.events, stalled.bytes_echoed, stalled.max_pending
    );

    // Reading lets everything through, in order.
    let mut buf = vec![0u8; 64 * 1024];
    let mut seen = 0;
    while seen < total {
        let n = reader.read(&mut buf).unwrap();
        assert_ne!(n, 0, "end-of-file after {seen} bytes");
        for (k, &byte) in buf[..n].iter().enumerate() {
            assert_eq!(byte, pattern((seen + k) % (64 * 1024)));
        }
        seen += n;
    }
    writing.join().unwrap();
    let report = server.stop().unwrap();
    assert_eq!(report.stats.bytes_echoed, total as u64);
    assert!(report.stats.max_pending <= config.max_pending + config.read_buffer);
}

#[test]
fn the_accept_queue_holds_hundreds_of_clients_nobody_has_accepted() {
    // std's backlog of 128 would leave the 130th connect waiting for a SYN
    // retransmission; `listener::bind` asks for the system's maximum.
    let listener = listener::bind(any_port()).unwrap();
    let addr = listener.local_addr().unwrap();
    let clients: Vec<TcpStream> = (0..300)
        .map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(5)).unwrap())
        .collect();
    assert_eq!(clients.len(), 300);
    let mut accepted = 0;
    while listener::accept(&listener).is_ok() {
        accepted += 1;
    }
    assert_eq!(accepted, 300);
}

#[test]
fn a_read_shorter_than_the_buffer_leaves_the_socket_empty() {
    let listener = listener::bind(any_port()).unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    client.write_all(&[7u8; 100]).unwrap();
    let stream = loop {
        match listener::accept(&listener) {
            Ok(stream) => break stream,
            Err(e) if e.kind() == ErrorKind::WouldBlock => thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    };
    stream.set_nonblocking(false).unwrap();
    let mut buf = [0u8; 4096];
    let n = (&stream).read(&mut buf).unwrap();
    assert!(n > 0 && n < buf.len());
    stream.set_nonblocking(true).unwrap();
    let err = (&stream).read(&mut buf).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
}

/// A connected pair whose client has sent `hello` and shut down its
/// sending side, returned once the FIN has reached the server's end
/// (`poll` reports `POLLRDHUP`): data and end-of-file are both queued.
fn hello_then_fin() -> TcpStream {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (stream, _) = listener.accept().unwrap();
    stream.set_nonblocking(true).unwrap();
    client.write_all(b"hello").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    let mut pollfd = libc::pollfd {
        fd: stream.as_raw_fd(),
        events: libc::POLLRDHUP,
        revents: 0,
    };
    // SAFETY: `pollfd` is one live `pollfd` and the count passed is 1; its
    // fd is open while `stream` lives.
    let ready = unsafe { libc::poll(&mut pollfd, 1, 5000) };
    assert_eq!(ready, 1, "no FIN within 5 s");
    assert_ne!(pollfd.revents & libc::POLLRDHUP, 0);
    stream
}

#[test]
fn an_end_of_file_behind_a_short_read_comes_with_the_next_level_triggered_wait() {
    // The server's way: a `Connection` (level-triggered), one read per
    // event, which stops there because it is short.
    let mut event_loop: EventLoop<'_, Vec<usize>> = EventLoop::new().unwrap();
    let connection = Connection::new(hello_then_fin());
    event_loop
        .handle()
        .insert_source(connection, |_, stream, reads: &mut Vec<usize>| {
            reads.push((&**stream).read(&mut [0u8; 4096]).unwrap());
            Next::Wait(Interest::READABLE)
        })
        .unwrap();
    let mut reads = Vec::new();
    event_loop
        .dispatch(Some(Duration::from_secs(5)), &mut reads)
        .unwrap();
    assert_eq!(reads, [5], "the read stops before the end-of-file");
    event_loop
        .dispatch(Some(Duration::ZERO), &mut reads)
        .unwrap();
    assert_eq!(reads, [5, 0], "level-triggered: reported again");

    // Edge-triggered, the same short read leaves the end-of-file unheard:
    // no new edge comes, and the connection would wait for ever.
    let mut event_loop: EventLoop<'_, Vec<usize>> = EventLoop::new().unwrap();
    let edge = Generic::new(hello_then_fin(), Interest::READABLE, Mode::Edge);
    event_loop
        .handle()
        .insert_source(edge, |_, stream, reads: &mut Vec<usize>| {
            reads.push((&**stream).read(&mut [0u8; 4096])?);
            Ok(PostAction::Continue)
        })
        .unwrap();
    let mut reads = Vec::new();
    event_loop
        .dispatch(Some(Duration::from_secs(5)), &mut reads)
        .unwrap();
    assert_eq!(reads, [5]);
    event_loop
        .dispatch(Some(Duration::ZERO), &mut reads)
        .unwrap();
    assert_eq!(reads, [5], "edge-triggered: nothing more");
}

#[test]
fn resets_and_half_closes_end_their_connection_only() {
    let server = ServerThread::spawn(any_port(), Config::default()).unwrap();
    let mut bystander = TcpStream::connect(server.addr()).unwrap();
    bystander.set_read_timeout(Some(TIMEOUT)).unwrap();
    for _ in 0..3 {
        assert_eq!(reset_mid_stream(server.addr()).unwrap(), AFTER_RESET_BYTES);
        assert_eq!(
            half_close(server.addr()).unwrap().echoed_before_eof,
            HALF_CLOSE_BYTES
        );
        bystander.write_all(b"?").unwrap();
        let mut back = [0u8];
        bystander.read_exact(&mut back).unwrap();
        assert_eq!(&back, b"?");
    }
    // Each reset_mid_stream resets one connection and finishes another
    // (its fresh client's), each half_close finishes one.
    let stats = server
        .remote()
        .wait_for(TIMEOUT, |s| s.resets == 3 && s.finished == 6)
        .unwrap();
    assert_eq!((stats.resets, stats.failed, stats.finished), (3, 3, 6));
    assert_eq!(stats.open, 1, "the bystander");
    let report = server.stop().unwrap();
    assert_eq!(report.stats.closed_at_shutdown, 1);
}

#[test]
fn stats_count_what_clients_did() {
    let server = ServerThread::spawn(any_port(), Config::default()).unwrap();
    for message in [&b"one"[..], b"two", b"three"] {
        let mut client = TcpStream::connect(server.addr()).unwrap();
        client.set_read_timeout(Some(TIMEOUT)).unwrap();
        client.write_all(message).unwrap();
        let mut back = vec![0; message.len()];
        client.read_exact(&mut back).unwrap();
        assert_eq!(back, message);
    }
    let stats = server
        .remote()
        .wait_for(TIMEOUT, |s| s.finished == 3)
        .unwrap();
    assert_eq!((stats.accepted, stats.open, stats.bytes_echoed), (3, 0, 11));
    assert_eq!(stats.max_pending, 0, "every write went through at once");
    let report = server.stop().unwrap();
    assert_eq!(report.stats.closed_at_shutdown, 0);
}
