//! The `echo_server` binary against the clients of `echo-harness`: the
//! contract every echo server of Part IV keeps. Each test starts its own
//! server process on a free port.

use ch11_tcp_echo_server::ABOUT;
use echo_harness::cli::usage;
use echo_harness::workloads::{AFTER_RESET_BYTES, HALF_CLOSE_BYTES, IO_TIMEOUT};
use echo_harness::{
    ServerProcess, Signal, echo_check, echo_check_total, half_close, reset_mid_stream, run_to_exit,
    slow_reader,
};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_echo_server"))
}

fn spawn() -> ServerProcess {
    ServerProcess::spawn(binary()).expect("starting echo_server")
}

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(stream)
}

fn ping(stream: &mut TcpStream, byte: u8) -> io::Result<()> {
    stream.write_all(&[byte])?;
    let mut back = [0u8];
    stream.read_exact(&mut back)?;
    assert_eq!(back, [byte]);
    Ok(())
}

/// Makes the soft limit on open files at least `wanted`, if the hard limit
/// allows; returns the soft limit in force. Children inherit it.
fn raise_fd_limit(wanted: u64) -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes one `rlimit` through a pointer to a live
    // one.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    if limit.rlim_cur < wanted {
        limit.rlim_cur = wanted.min(limit.rlim_max);
        // SAFETY: setrlimit reads one `rlimit` through a pointer to a live
        // one.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    }
    limit.rlim_cur
}

#[test]
fn two_hundred_concurrent_connections_get_every_byte_back() {
    let server = spawn();
    let (connections, messages, seed) = (200, 5, 11);
    let echoed = echo_check(server.addr(), connections, messages, seed).unwrap();
    assert_eq!(echoed, echo_check_total(connections, messages, seed));
    eprintln!("200 connections: {echoed} bytes echoed and checked");
}

#[test]
fn two_thousand_connections_are_held_at_once() {
    const CONNECTIONS: usize = 2000;
    // The test process and the server each hold one fd per connection.
    let limit = raise_fd_limit(CONNECTIONS as u64 + 200);
    assert!(
        limit >= CONNECTIONS as u64 + 100,
        "the hard limit on open files ({limit}) is too low for this test"
    );
    let server = spawn();
    let start_fds = server.open_fds().unwrap();
    let mut clients = Vec::with_capacity(CONNECTIONS);
    for _ in 0..CONNECTIONS {
        clients.push(connect(server.addr()).unwrap());
    }
    // Every client sends its number, then every client reads it back: all
    // the connections are open at the same time.
    for (i, client) in clients.iter_mut().enumerate() {
        client.write_all(&(i as u32).to_le_bytes()).unwrap();
    }
    for (i, client) in clients.iter_mut().enumerate() {
        let mut back = [0u8; 4];
        client.read_exact(&mut back).unwrap();
        assert_eq!(u32::from_le_bytes(back), i as u32);
    }
    let held = server.open_fds().unwrap().len() - start_fds.len();
    assert_eq!(held, CONNECTIONS);
    eprintln!("{held} connections open in the server at once");
    drop(clients);
    let after = server
        .wait_for_open_fds(&start_fds, Duration::from_secs(10))
        .unwrap();
    assert_eq!(after, start_fds, "the server closes every connection");
}

#[test]
fn a_client_that_does_not_read_cannot_grow_the_server() {
    let server = spawn();
    let before = server.peak_memory().unwrap();
    let slow = slow_reader(server.addr(), 16).unwrap();
    let after = server.peak_memory().unwrap();
    assert_eq!(slow.verified, 16 << 20);
    // 16 MiB held by the server would show; 256 KiB pending does not.
    assert!(
        after - before < 8 << 20,
        "peak memory grew from {before} to {after} bytes"
    );
    // Whether the writer stalls before it has sent all 16 MiB depends on
    // how large the kernel lets socket buffers grow (tcp_rmem can allow
    // 32 MiB): a measurement, not a result. The in-process test checks the
    // server's own bound, with its counters.
    eprintln!(
        "slow reader: writer stalled: {} after {} KiB; server peak memory {} KiB -> {} KiB",
        slow.writer_stalled,
        slow.sent_before_stall / 1024,
        before / 1024,
        after / 1024
    );
}

#[test]
fn a_half_close_gets_everything_back_then_end_of_file() {
    let server = spawn();
    let result = half_close(server.addr()).unwrap();
    assert_eq!(result.sent, HALF_CLOSE_BYTES);
    assert_eq!(result.echoed_before_eof, HALF_CLOSE_BYTES);
}

#[test]
fn resets_end_one_connection_and_the_server_goes_on() {
    let server = spawn();
    let start_fds = server.open_fds().unwrap();
    for _ in 0..5 {
        assert_eq!(reset_mid_stream(server.addr()).unwrap(), AFTER_RESET_BYTES);
    }
    // The reset connections, and the fresh ones that followed, are gone.
    let after = server
        .wait_for_open_fds(&start_fds, Duration::from_secs(10))
        .unwrap();
    assert_eq!(after, start_fds);
}

fn stops_on(signal: Signal) {
    let mut server = spawn();
    let mut clients: Vec<TcpStream> = (0..3).map(|_| connect(server.addr()).unwrap()).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        ping(client, i as u8).unwrap();
    }
    server.signal(signal).unwrap();
    let status = server.wait_with_timeout(EXIT_TIMEOUT).unwrap();
    assert_eq!(status.code(), Some(0), "{}", server.stderr());
    for client in &mut clients {
        // The server closed every connection: each client reads end-of-file.
        assert_eq!(client.read(&mut [0u8; 1]).unwrap(), 0);
    }
    assert!(connect(server.addr()).is_err(), "nobody listens any more");
}

#[test]
fn sigterm_closes_every_connection_and_exits_0() {
    stops_on(Signal::Terminate);
}

#[test]
fn sigint_closes_every_connection_and_exits_0() {
    stops_on(Signal::Interrupt);
}

#[test]
fn an_address_in_use_is_an_error_on_stderr() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let run = run_to_exit(binary(), &["--addr", &addr], EXIT_TIMEOUT).unwrap();
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        format!("echo_server: bind({addr}): Address already in use (os error 98)\n")
    );
}

#[test]
fn help_explains_the_options() {
    let run = run_to_exit(binary(), &["--help"], EXIT_TIMEOUT).unwrap();
    assert!(run.status.success());
    assert_eq!(run.stdout, usage("echo_server", ABOUT));
    assert!(run.stdout.contains("--addr HOST:PORT"));
}

#[test]
fn a_bad_command_line_exits_2() {
    let run = run_to_exit(binary(), &["--port", "1"], EXIT_TIMEOUT).unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(
        run.stderr.contains("invalid option '--port'"),
        "{}",
        run.stderr
    );
}
