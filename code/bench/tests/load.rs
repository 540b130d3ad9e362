//! The load generator against echo servers that run on threads of this
//! test: a faithful one, whose byte count shows exactly how many round
//! trips the client made, and servers that corrupt, repeat, cross, add or
//! cut bytes, each of which must make the run fail with the right kind of
//! error. Every test goes through `assert_no_fd_leaks`, which also runs
//! them one at a time: a run must close every fd it opens, the servers'
//! included.

use bench::load::{Client, Load, MIN_MESSAGE, Until};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use testkit::assert_no_fd_leaks;

/// A bound against hangs for the servers here: no accept, read or write
/// waits longer. No test expects to get anywhere near it.
const HANG_BOUND: Duration = Duration::from_secs(20);

/// A server on a thread of its own: it accepts a known number of
/// connections, hands them all to its behaviour, and returns what the
/// behaviour returns (bytes written back per connection).
struct Server {
    addr: SocketAddr,
    thread: JoinHandle<io::Result<Vec<u64>>>,
}

impl Server {
    /// Listens on a port of the kernel's choosing; `behave` gets the
    /// `connections` accepted streams, in the order they connected.
    fn start(
        connections: usize,
        behave: impl FnOnce(Vec<TcpStream>) -> Vec<u64> + Send + 'static,
    ) -> io::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let thread = thread::spawn(move || {
            let streams = accept(listener, connections)?;
            Ok(behave(streams))
        });
        Ok(Server { addr, thread })
    }

    /// Waits for the behaviour to end (the client must have closed its
    /// connections) and returns the bytes it wrote on each connection.
    fn finish(self) -> Vec<u64> {
        self.thread
            .join()
            .expect("a server thread panicked")
            .expect("the server could not accept the client's connections")
    }
}

/// Accepts `n` connections, then closes the listener. Blocking streams,
/// with `HANG_BOUND` as their read and write timeouts.
fn accept(listener: TcpListener, n: usize) -> io::Result<Vec<TcpStream>> {
    listener.set_nonblocking(true)?;
    let deadline = Instant::now() + HANG_BOUND;
    let mut streams = Vec::with_capacity(n);
    while streams.len() < n {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                stream.set_read_timeout(Some(HANG_BOUND))?;
                stream.set_write_timeout(Some(HANG_BOUND))?;
                streams.push(stream);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(1));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(streams)
}

/// Runs `serve` on every stream, each on a thread of its own.
fn each(
    serve: impl Fn(TcpStream) -> u64 + Send + Sync + 'static,
) -> impl FnOnce(Vec<TcpStream>) -> Vec<u64> + Send + 'static {
    move |streams| {
        let serve = &serve;
        thread::scope(|scope| {
            let threads: Vec<_> = streams
                .into_iter()
                .map(|stream| scope.spawn(move || serve(stream)))
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().expect("a connection's thread panicked"))
                .collect()
        })
    }
}

/// Echoes everything until the client closes, passing each chunk through
/// `edit` first with its offset in the stream. Returns the bytes written.
fn relay(mut stream: TcpStream, mut edit: impl FnMut(u64, &mut [u8])) -> u64 {
    let mut buf = vec![0u8; 64 * 1024];
    let mut offset = 0u64;
    loop {
        let n = match stream.read(&mut buf) {
            Ok(0) | Err(_) => return offset,
            Ok(n) => n,
        };
        edit(offset, &mut buf[..n]);
        if stream.write_all(&buf[..n]).is_err() {
            return offset;
        }
        offset += n as u64;
    }
}

/// A faithful echo.
fn echo(stream: TcpStream) -> u64 {
    relay(stream, |_, _| {})
}

/// An echo that flips the bits of the byte at offset `at` of the stream.
fn corrupt_at(at: u64) -> impl Fn(TcpStream) -> u64 + Send + Sync + 'static {
    move |stream| {
        relay(stream, |offset, chunk| {
            if (offset..offset + chunk.len() as u64).contains(&at) {
                chunk[(at - offset) as usize] ^= 0xff;
            }
        })
    }
}

fn load(connections: usize, message: usize) -> Load {
    Load {
        connections,
        message,
    }
}

/// Runs `until` against a faithful echo server and returns the sample and
/// the bytes the server echoed in all.
fn against_echo(load: Load, until: Until, record: bool) -> io::Result<(u64, u64)> {
    let server = Server::start(load.connections, each(echo))?;
    let mut client = Client::connect(server.addr, load)?;
    let sample = client.run(until, record)?;
    if record {
        assert_eq!(
            sample.latencies_ns.len() as u64,
            sample.round_trips,
            "one latency per round trip when recording"
        );
    } else {
        assert!(
            sample.latencies_ns.is_empty(),
            "latencies recorded although not asked for: {}",
            sample.latencies_ns.len()
        );
    }
    drop(client);
    let echoed: u64 = server.finish().iter().sum();
    Ok((sample.round_trips, echoed))
}

#[test]
fn round_trips_are_exactly_as_many_as_asked_over_all_connections() -> io::Result<()> {
    assert_no_fd_leaks(|| {
        for (connections, n) in [(1, 1), (1, 25), (3, 10), (4, 1), (5, 5), (2, 0)] {
            for record in [true, false] {
                let load = load(connections, 64);
                let (round_trips, echoed) = against_echo(load, Until::RoundTrips(n), record)?;
                assert_eq!(
                    round_trips,
                    n,
                    "{} asked for {n} round trips (record {record})",
                    load.label()
                );
                assert_eq!(
                    echoed,
                    n * 64,
                    "{}: the server echoed {echoed} bytes for {n} round trips of 64 bytes: \
                     the client sent more or fewer messages than it counted",
                    load.label()
                );
            }
        }
        Ok(())
    })
}

#[test]
fn smallest_message_is_the_sequence_number_alone() -> io::Result<()> {
    assert_no_fd_leaks(|| {
        let (round_trips, echoed) = against_echo(load(2, MIN_MESSAGE), Until::RoundTrips(7), true)?;
        assert_eq!((round_trips, echoed), (7, 7 * MIN_MESSAGE as u64));
        Ok(())
    })
}

/// A faithful echo whose socket buffers are small and fixed (the kernel
/// no longer grows them), so that it can hold little of a message at once.
fn echo_with_small_buffers(stream: TcpStream) -> u64 {
    let size: libc::c_int = 64 * 1024;
    for option in [libc::SO_RCVBUF, libc::SO_SNDBUF] {
        // SAFETY: the fd is open (borrowed from `stream` for the call), and
        // the value is a live c_int whose size is passed with it; the
        // kernel only reads it.
        let rc = unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&raw const size).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0, "setsockopt: {}", io::Error::last_os_error());
    }
    echo(stream)
}

#[test]
fn large_messages_cross_in_many_writes_and_come_back_whole() -> io::Result<()> {
    // 16 MiB is more than the client's send buffer (4 MiB at most), the
    // server's small buffers and the client's receive buffer can hold
    // together while the client is not reading: its first write of each
    // message is short, and it must finish the message on EPOLLOUT.
    assert_no_fd_leaks(|| {
        let load = load(2, 16 * 1024 * 1024);
        let server = Server::start(load.connections, each(echo_with_small_buffers))?;
        let mut client = Client::connect(server.addr, load)?;
        let sample = client.run(Until::RoundTrips(3), true)?;
        drop(client);
        let echoed: u64 = server.finish().iter().sum();
        assert_eq!(sample.round_trips, 3, "16 MiB round trips");
        assert_eq!(
            echoed,
            3 * load.message as u64,
            "bytes echoed for 3 × 16 MiB"
        );
        Ok(())
    })
}

#[test]
fn elapsed_stops_with_nothing_in_flight_and_the_next_run_goes_on() -> io::Result<()> {
    assert_no_fd_leaks(|| {
        // Small messages, which one wait often gets back all at once, and
        // 256 KiB ones, which take many waits each way.
        for load in [load(3, 100), load(2, 256 * 1024)] {
            let label = load.label();
            let server = Server::start(load.connections, each(echo))?;
            let mut client = Client::connect(server.addr, load)?;
            assert_eq!(client.load(), load);
            let timed = client.run(Until::Elapsed(Duration::from_millis(30)), true)?;
            assert!(
                timed.round_trips >= load.connections as u64,
                "{label}: every connection sends at least once: {timed:?}"
            );
            assert_eq!(timed.latencies_ns.len() as u64, timed.round_trips);
            // A time already up still lets each connection's first message
            // go and come back, and no more.
            let zero = client.run(Until::Elapsed(Duration::ZERO), false)?;
            assert_eq!(
                zero.round_trips, load.connections as u64,
                "{label}: Elapsed(0) makes one whole round trip per connection"
            );
            // The next messages follow on: any echo left over from the runs
            // above would arrive as the start of one of these, changed.
            let counted = client.run(Until::RoundTrips(10), false)?;
            assert_eq!(counted.round_trips, 10, "{label}");
            drop(client);
            let echoed: u64 = server.finish().iter().sum();
            let total = timed.round_trips + zero.round_trips + counted.round_trips;
            assert_eq!(
                echoed,
                total * load.message as u64,
                "{label}: the server echoed {echoed} bytes, the client counted {total} round trips"
            );
        }
        Ok(())
    })
}

/// Runs ping-pong against `server` and returns the error it must end in.
fn run_error(server: Server, load: Load, until: Until) -> io::Error {
    let mut client = Client::connect(server.addr, load).expect("connecting");
    let result = client.run(until, true);
    drop(client);
    server.finish();
    match result {
        Ok(sample) => panic!("the run succeeded against a bad server: {sample:?}"),
        Err(e) => e,
    }
}

fn assert_error(error: &io::Error, kind: ErrorKind, words: &str) {
    assert_eq!(error.kind(), kind, "wrong kind of error: {error}");
    assert!(
        error.to_string().contains(words),
        "the error {error:?} does not say {words:?}"
    );
}

#[test]
fn a_changed_byte_anywhere_is_invalid_data() -> io::Result<()> {
    assert_no_fd_leaks(|| {
        // In the first message's sequence number, in the second message's
        // pattern, and in the very last byte of the fourth message.
        for (at, message) in [
            (3, "message 1 "),
            (64 + 20, "message 2 "),
            (4 * 64 - 1, "message 4 "),
        ] {
            let server = Server::start(1, each(corrupt_at(at)))?;
            let e = run_error(server, load(1, 64), Until::RoundTrips(10));
            assert_error(&e, ErrorKind::InvalidData, "came back changed");
            assert!(e.to_string().contains(message), "byte {at}: {e}");
        }
        Ok(())
    })
}

#[test]
fn a_repeated_echo_is_invalid_data() -> io::Result<()> {
    // The server sends the first message back again in place of the
    // second: same pattern, old sequence number.
    assert_no_fd_leaks(|| {
        let server = Server::start(
            1,
            each(|mut stream| {
                let mut first = [0u8; 64];
                let mut second = [0u8; 64];
                let ok = stream.read_exact(&mut first).is_ok()
                    && stream.write_all(&first).is_ok()
                    && stream.read_exact(&mut second).is_ok()
                    && stream.write_all(&first).is_ok();
                if ok { 128 + echo(stream) } else { 0 }
            }),
        )?;
        let e = run_error(server, load(1, 64), Until::RoundTrips(5));
        assert_error(&e, ErrorKind::InvalidData, "message 2 came back changed");
        Ok(())
    })
}

#[test]
fn an_echo_on_the_wrong_connection_is_invalid_data() -> io::Result<()> {
    // Two connections, each message sent back on the other one. Both carry
    // the same pattern, so only the sequence numbers tell them apart.
    assert_no_fd_leaks(|| {
        let server = Server::start(2, |streams| {
            let [mut a, mut b] = <[TcpStream; 2]>::try_from(streams).expect("two streams");
            let mut from_a = [0u8; 64];
            let mut from_b = [0u8; 64];
            let ok = a.read_exact(&mut from_a).is_ok()
                && b.read_exact(&mut from_b).is_ok()
                && a.write_all(&from_b).is_ok()
                && b.write_all(&from_a).is_ok();
            vec![if ok { 64 } else { 0 }; 2]
        })?;
        let e = run_error(server, load(2, 64), Until::RoundTrips(10));
        assert_error(&e, ErrorKind::InvalidData, "message");
        assert!(e.to_string().contains("came back changed"), "{e}");
        Ok(())
    })
}

#[test]
fn bytes_on_an_idle_connection_are_invalid_data() -> io::Result<()> {
    // One round trip over two connections: only the first sends. The
    // server writes on the second before it echoes the first.
    assert_no_fd_leaks(|| {
        let server = Server::start(2, |streams| {
            let [mut a, mut b] = <[TcpStream; 2]>::try_from(streams).expect("two streams");
            let mut message = [0u8; 64];
            let ok = b.write_all(b"unasked!").is_ok()
                && a.read_exact(&mut message).is_ok()
                && a.write_all(&message).is_ok();
            vec![if ok { 64 } else { 0 }, 8]
        })?;
        let e = run_error(server, load(2, 64), Until::RoundTrips(1));
        assert_error(&e, ErrorKind::InvalidData, "connection 1");
        assert!(e.to_string().contains("nobody asked for"), "{e}");
        Ok(())
    })
}

#[test]
fn an_extra_byte_after_an_echo_shifts_the_next_one() -> io::Result<()> {
    // The first run ends cleanly; the byte the server added after its echo
    // becomes the first byte of the next run's echo.
    assert_no_fd_leaks(|| {
        let server = Server::start(
            1,
            each(|mut stream| {
                let mut message = [0u8; 64];
                let ok = stream.read_exact(&mut message).is_ok()
                    && stream.write_all(&message).is_ok()
                    && stream.write_all(&[0]).is_ok();
                if ok { 65 + echo(stream) } else { 0 }
            }),
        )?;
        let mut client = Client::connect(server.addr, load(1, 64))?;
        let first = client.run(Until::RoundTrips(1), false);
        let second = client.run(Until::RoundTrips(1), false);
        drop(client);
        server.finish();
        assert_eq!(first?.round_trips, 1, "the first echo was whole");
        let e = second.expect_err("the second echo starts with a stray byte");
        assert_error(&e, ErrorKind::InvalidData, "message 2 came back changed");
        Ok(())
    })
}

#[test]
fn a_close_in_the_middle_of_an_echo_is_unexpected_eof() -> io::Result<()> {
    assert_no_fd_leaks(|| {
        let server = Server::start(
            1,
            each(|mut stream| {
                // Read the whole message, so that closing sends a FIN and
                // not a reset, and send half of it back.
                let mut message = [0u8; 64];
                let ok = stream.read_exact(&mut message).is_ok()
                    && stream.write_all(&message[..32]).is_ok();
                if ok { 32 } else { 0 }
            }),
        )?;
        let e = run_error(server, load(1, 64), Until::RoundTrips(3));
        assert_error(&e, ErrorKind::UnexpectedEof, "connection 0");
        assert!(e.to_string().contains("32 of 64 bytes"), "{e}");
        Ok(())
    })
}

#[test]
fn a_load_without_connections_or_room_for_the_sequence_is_refused() {
    assert_no_fd_leaks(|| {
        // Nothing listens at this address: a refused load must be refused
        // before any connection is tried.
        let addr: SocketAddr = "127.0.0.1:9".parse().unwrap();
        for bad in [load(0, 64), load(1, MIN_MESSAGE - 1), load(3, 0)] {
            match Client::connect(addr, bad) {
                Ok(_) => panic!("{bad:?} was accepted"),
                Err(e) => assert_error(&e, ErrorKind::InvalidInput, "at least 1 connection"),
            }
        }
    })
}

#[test]
fn a_refused_connection_is_named() -> io::Result<()> {
    assert_no_fd_leaks(|| {
        // A port that was just free: nothing listens on it.
        let addr = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        match Client::connect(addr, load(2, 64)) {
            Ok(_) => panic!("connected to {addr}, where nothing listens"),
            Err(e) => assert_error(
                &e,
                ErrorKind::ConnectionRefused,
                &format!("connect({addr}), connection 0"),
            ),
        }
        Ok(())
    })
}
