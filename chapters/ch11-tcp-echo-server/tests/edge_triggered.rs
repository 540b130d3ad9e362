//! The server with edge-triggered connections (`Config::mode` set to
//! `Mode::Edge`): the `echo_edge` example through the same process-level
//! checks as every echo server of the book, and the library on a thread
//! of this process, in the three places where an edge-triggered read path
//! can stall: a read budget that leaves data behind, an end-of-file queued
//! behind data, and backpressure.

use ch11_tcp_echo_server::{Config, Mode, Remote, Report, Server, ServerThread};
use echo_harness::contract::{
    CommandLine, Contract, OutOfFds, check_command_line, check_contract, check_out_of_fds,
};
use echo_harness::workloads::HALF_CLOSE_BYTES;
use echo_harness::{half_close, slow_reader};
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};
use testkit::examples::example_path;

const TIMEOUT: Duration = Duration::from_secs(10);

fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

fn edge(config: Config) -> Config {
    Config {
        mode: Mode::Edge,
        ..config
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(TIMEOUT)).unwrap();
    stream
}

// The example binary, through `echo_harness::contract`.

/// The built `echo_edge`, checked to be newer than its source: `cargo
/// test --test edge_triggered` alone does not build examples, and would
/// test yesterday's server.
fn echo_edge() -> PathBuf {
    let path = example_path("echo_edge");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/echo_edge.rs");
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified());
    match (modified(&path), modified(&source)) {
        (Ok(built), Ok(written)) if built >= written => path,
        _ => panic!(
            "echo_edge is not built, or older than its source: run `cargo test -p ch11-tcp-echo-server`, which builds the examples"
        ),
    }
}

#[test]
fn echo_edge_keeps_the_contract() {
    assert_eq!(check_contract(&echo_edge()).unwrap(), Contract::expected());
}

#[test]
fn echo_edge_has_the_shared_command_line_and_stops_on_sigint() {
    assert_eq!(
        check_command_line(&echo_edge()).unwrap(),
        CommandLine::expected()
    );
}

#[test]
fn echo_edge_out_of_fds_neither_spins_nor_stops_serving() {
    assert_eq!(
        check_out_of_fds(&echo_edge()).unwrap(),
        OutOfFds::expected()
    );
}

// The library, in process.

#[test]
fn the_one_shot_mode_is_refused() {
    let config = Config {
        mode: Mode::OneShot,
        signals: false,
        ..Config::default()
    };
    let refused = Server::bind(any_port(), config).err().unwrap();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        refused.to_string(),
        "Config::mode must be Mode::Level or Mode::Edge"
    );
}

#[test]
fn a_read_budget_that_leaves_data_behind_re_arms_the_connection() {
    // One read of 16 bytes per event: 64 KiB take 4096 events. Nothing
    // but the re-arm after each makes the next one come, once the
    // client's data has all arrived.
    let config = edge(Config {
        read_buffer: 16,
        reads_per_event: 1,
        ..Config::default()
    });
    let server = ServerThread::spawn(any_port(), config).unwrap();
    let mut client = connect(server.addr());
    let sent: Vec<u8> = (0..64 * 1024).map(|i: u32| (i % 251) as u8).collect();
    client.write_all(&sent).unwrap();
    let mut back = vec![0; sent.len()];
    client.read_exact(&mut back).unwrap();
    assert!(back == sent, "the echo differs from what was sent");
    let report = server.stop().unwrap();
    assert_eq!(report.stats.bytes_echoed, sent.len() as u64);
    assert!(report.stats.events >= (sent.len() / 16) as u64);
}

/// A server on a thread of its own that does nothing, not even accept,
/// until [`start`](HeldServer::start): a client can have its data and its
/// FIN queued in the server's socket before the server's first wait.
struct HeldServer {
    addr: SocketAddr,
    remote: Remote,
    start: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<io::Result<Report>>>,
}

impl HeldServer {
    fn spawn(config: Config) -> HeldServer {
        let (ready, bound) = mpsc::channel();
        let (start, started) = mpsc::channel::<()>();
        let thread = thread::spawn(move || {
            let mut server = Server::bind(any_port(), config)?;
            ready
                .send((server.local_addr(), server.remote()?))
                .expect("the test waits for the address");
            // Run when told to, or when the test is dropping the sender.
            let _ = started.recv();
            server.run()
        });
        let (addr, remote) = bound.recv().expect("the server thread sends its address");
        HeldServer {
            addr,
            remote,
            start: Some(start),
            thread: Some(thread),
        }
    }

    fn start(&mut self) {
        if let Some(start) = self.start.take() {
            let _ = start.send(());
        }
    }

    fn stop(mut self) -> Report {
        self.start();
        self.remote.stop();
        let thread = self.thread.take().expect("joined only here and in drop");
        thread.join().expect("the server thread panicked").unwrap()
    }
}

impl Drop for HeldServer {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.start();
            self.remote.stop();
            let _ = thread.join();
        }
    }
}

/// `TCP_FIN_WAIT2` in `<netinet/tcp.h>`: our FIN has been acknowledged.
const TCP_FIN_WAIT2: u8 = 5;

/// The TCP state of `stream`, from `TCP_INFO` (`man 7 tcp`).
fn tcp_state(stream: &TcpStream) -> u8 {
    // SAFETY: `tcp_info` is plain integers, for which all zeros is a
    // valid value.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: the fd is open while `stream` is borrowed; the kernel writes
    // at most `len` bytes to `info`, which is that large, and writes the
    // length it used to `len`.
    let ret = unsafe {
        libc::getsockopt(
            stream.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            (&raw mut info).cast(),
            &mut len,
        )
    };
    assert_eq!(ret, 0, "{}", io::Error::last_os_error());
    info.tcpi_state
}

#[test]
fn an_end_of_file_queued_behind_data_is_read_at_once() {
    let mut server = HeldServer::spawn(edge(Config {
        signals: false,
        ..Config::default()
    }));
    let mut client = connect(server.addr);
    client.write_all(b"hello, edge").unwrap();
    client.shutdown(Shutdown::Write).unwrap();
    // The server's socket has acknowledged the FIN: the data and the
    // end-of-file are both queued there before the server's first wait.
    let deadline = Instant::now() + TIMEOUT;
    while tcp_state(&client) != TCP_FIN_WAIT2 {
        assert!(Instant::now() < deadline, "the FIN was never acknowledged");
        thread::sleep(Duration::from_millis(1));
    }
    server.start();
    // The first read returns the 11 bytes, short of the buffer; only a
    // second read sees the end-of-file, and no new edge would announce it.
    let mut back = Vec::new();
    client.read_to_end(&mut back).unwrap();
    assert_eq!(back, b"hello, edge");
    let stats = server
        .remote
        .wait_for(TIMEOUT, |s| s.finished == 1)
        .unwrap();
    assert_eq!((stats.finished, stats.failed, stats.open), (1, 0, 0));
    assert_eq!(server.stop().stats.bytes_echoed, 11);
}

#[test]
fn backpressure_holds_and_lets_go_edge_triggered() {
    let config = edge(Config {
        max_pending: 4096,
        read_buffer: 1000,
        ..Config::default()
    });
    let bound = config.max_pending + config.read_buffer;
    let server = ServerThread::spawn(any_port(), config).unwrap();
    // 16 MiB sent before anything is read, then read back and checked.
    let slow = slow_reader(server.addr(), 16).unwrap();
    assert_eq!(slow.verified, 16 << 20);
    // 200,000 bytes and a FIN, sent before anything is read: the last
    // data and the end-of-file wait in the kernel while the connection
    // is held back.
    let closed = half_close(server.addr()).unwrap();
    assert_eq!(closed.echoed_before_eof, HALF_CLOSE_BYTES);
    let stats = server
        .remote()
        .wait_for(TIMEOUT, |s| s.finished == 2)
        .unwrap();
    assert_eq!((stats.finished, stats.failed), (2, 0));
    assert_eq!(stats.bytes_echoed, (16 << 20) + HALF_CLOSE_BYTES);
    assert!(
        stats.max_pending >= config.max_pending && stats.max_pending <= bound,
        "{stats:?}"
    );
}
