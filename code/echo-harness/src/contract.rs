//! The contract as checks: each starts a server binary, puts it through
//! one part of the contract, and returns a plain value that compares equal
//! to the `expected()` of its type exactly when the server kept that part.
//!
//! Any chapter's test puts its servers in a table and compares:
//! `assert_eq!(check_contract(&binary)?, Contract::expected())`. A value
//! that differs says which promise failed; how far things got before that
//! (buffer sizes, CPU time) goes to stderr as a measurement, since it
//! depends on the kernel's autotuning and on the machine.

use crate::cli::usage;
use crate::process::{ServerProcess, Signal, run_to_exit};
use crate::workloads::{
    AFTER_RESET_BYTES, HALF_CLOSE_BYTES, HalfClose, IO_TIMEOUT, echo_check, echo_check_total,
    half_close, reset_mid_stream, slow_reader,
};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;
use std::thread;
use std::time::Duration;

/// How long a server may take to exit after a signal, or to fail.
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(stream)
}

/// One byte there and back.
fn ping(stream: &mut TcpStream) -> io::Result<()> {
    stream.write_all(b"p")?;
    let mut byte = [0u8];
    stream.read_exact(&mut byte)?;
    if &byte != b"p" {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            "the ping came back changed",
        ));
    }
    Ok(())
}

fn name_of(binary: &Path) -> String {
    binary
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// What a server did under the contract's workloads, one after the other
/// on one server process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contract {
    /// Bytes echoed and checked by [`CONNECTIONS`] concurrent connections
    /// of [`MESSAGES`] messages each.
    pub echoed: u64,
    /// Bytes echoed to a client that sent [`SLOW_READER_MIB`] MiB before
    /// reading any.
    pub slow_reader_echoed: u64,
    /// Whether the server's peak memory grew by less than
    /// [`MEMORY_GROWTH_BOUND`] meanwhile: it stopped reading instead of
    /// keeping what the client would not take.
    pub slow_reader_memory_bounded: bool,
    /// What a client that half-closed got back before end-of-file.
    pub half_close: HalfClose,
    /// Bytes echoed to a new client after another was reset mid-stream.
    pub after_reset: u64,
    /// Whether the server's open fds came back to those it had at the
    /// start, once every client had gone.
    pub fds_back_to_start: bool,
    /// Whether SIGTERM closed the connection of a connected, idle client.
    pub idle_client_closed_on_sigterm: bool,
    /// The exit code after SIGTERM.
    pub exit_code: Option<i32>,
}

pub const CONNECTIONS: usize = 50;
pub const MESSAGES: usize = 20;
pub const SEED: u64 = 12;
/// More than the kernel's socket buffers on loopback can hold for one
/// connection when the peer does not read (several MiB to tens of MiB here,
/// with autotuning), so a server without backpressure would have to keep
/// a large part of it.
pub const SLOW_READER_MIB: u64 = 32;
/// Far above what a server that keeps at most about 1 MiB pending per
/// connection needs, far below what one that kept everything would.
pub const MEMORY_GROWTH_BOUND: u64 = 8 << 20;

impl Contract {
    /// What every server that keeps the contract reports.
    pub fn expected() -> Contract {
        Contract {
            echoed: echo_check_total(CONNECTIONS, MESSAGES, SEED),
            slow_reader_echoed: SLOW_READER_MIB << 20,
            slow_reader_memory_bounded: true,
            half_close: HalfClose {
                sent: HALF_CLOSE_BYTES,
                echoed_before_eof: HALF_CLOSE_BYTES,
            },
            after_reset: AFTER_RESET_BYTES,
            fds_back_to_start: true,
            idle_client_closed_on_sigterm: true,
            exit_code: Some(0),
        }
    }
}

// ANCHOR: check_contract
/// Starts `binary` and runs every workload against it, then stops it with
/// SIGTERM while an idle client is connected.
pub fn check_contract(binary: &Path) -> io::Result<Contract> {
    let name = name_of(binary);
    let mut server = ServerProcess::spawn(binary)?;
    let addr = server.addr();
    let start_fds = server.open_fds()?;
    let echoed = echo_check(addr, CONNECTIONS, MESSAGES, SEED)?;
    let before_slow = server.peak_memory()?;
    let slow = slow_reader(addr, SLOW_READER_MIB)?;
    let after_slow = server.peak_memory()?;
    eprintln!(
        "{name}: slow reader: writer stalled: {} after {} KiB; server peak memory {} KiB before, {} KiB after",
        slow.writer_stalled,
        slow.sent_before_stall / 1024,
        before_slow / 1024,
        after_slow / 1024
    );
    let half_close = half_close(addr)?;
    let after_reset = reset_mid_stream(addr)?;
    let fds = server.wait_for_open_fds(&start_fds, IO_TIMEOUT)?;

    let mut idle = connect(addr)?;
    ping(&mut idle)?;
    server.signal(Signal::Terminate)?;
    let status = server.wait_with_timeout(EXIT_TIMEOUT)?;
    let mut rest = Vec::new();
    let idle_closed = match idle.read_to_end(&mut rest) {
        Ok(_) => rest.is_empty(),
        Err(e) => e.kind() == ErrorKind::ConnectionReset,
    };
    Ok(Contract {
        echoed,
        slow_reader_echoed: slow.verified,
        // Peak memory as the kernel reports it may even dip a little.
        slow_reader_memory_bounded: after_slow.saturating_sub(before_slow) < MEMORY_GROWTH_BOUND,
        half_close,
        after_reset,
        fds_back_to_start: fds == start_fds,
        idle_client_closed_on_sigterm: idle_closed,
        exit_code: status.code(),
    })
}
// ANCHOR_END: check_contract

/// How a server handles its command line and its signals, with its name
/// in messages replaced by `SERVER` so that servers compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandLine {
    /// `--help`: exit code, and whether stdout is exactly the shared
    /// [`usage`] text (the server's name and one line of its own) with
    /// nothing on stderr.
    pub help: (Option<i32>, bool),
    /// `--port 1`: exit code, stdout, stderr.
    pub bad_option: (Option<i32>, String, String),
    /// `--addr` with a port another server holds: exit code, stdout,
    /// stderr, with the address replaced by `ADDR`.
    pub address_in_use: (Option<i32>, String, String),
    /// The exit code after SIGINT.
    pub sigint_exit_code: Option<i32>,
}

impl CommandLine {
    pub fn expected() -> CommandLine {
        CommandLine {
            help: (Some(0), true),
            bad_option: (
                Some(2),
                String::new(),
                "SERVER: invalid option '--port'\nTry `SERVER --help` for the options.\n"
                    .to_owned(),
            ),
            address_in_use: (
                Some(1),
                String::new(),
                "SERVER: bind(ADDR): Address already in use (os error 98)\n".to_owned(),
            ),
            sigint_exit_code: Some(0),
        }
    }
}

/// Runs `binary` with `--help`, with a bad option, and on a port that a
/// second copy of it holds; then stops that copy with SIGINT.
pub fn check_command_line(binary: &Path) -> io::Result<CommandLine> {
    let name = name_of(binary);
    let anonymous = |text: &str| text.replace(&name, "SERVER");

    let help = run_to_exit(binary, &["--help"], EXIT_TIMEOUT)?;
    let first_line = help.stdout.lines().next().unwrap_or("");
    let about = first_line.strip_prefix(&format!("{name}: ")).unwrap_or("");
    let help_is_usage =
        !about.is_empty() && help.stdout == usage(&name, about) && help.stderr.is_empty();

    let bad = run_to_exit(binary, &["--port", "1"], EXIT_TIMEOUT)?;

    let mut holder = ServerProcess::spawn(binary)?;
    let addr = holder.addr().to_string();
    let busy = run_to_exit(binary, &["--addr", &addr], EXIT_TIMEOUT)?;
    holder.signal(Signal::Interrupt)?;
    let sigint = holder.wait_with_timeout(EXIT_TIMEOUT)?;
    Ok(CommandLine {
        help: (help.status.code(), help_is_usage),
        bad_option: (bad.status.code(), bad.stdout, anonymous(&bad.stderr)),
        address_in_use: (
            busy.status.code(),
            busy.stdout,
            anonymous(&busy.stderr).replace(&addr, "ADDR"),
        ),
        sigint_exit_code: sigint.code(),
    })
}

/// The open-file limit [`check_out_of_fds`] gives a server.
pub const FD_LIMIT: u64 = 32;
/// How many clients wait while the server has no fd to accept them with.
pub const WAITING: usize = 3;
/// The CPU time a server may use in the second it spends out of fds. The
/// book's servers use 0 to 10 ms there (retrying `accept` ten times a
/// second); one that spins on a readiness it cannot act on used 190 ms or
/// more, even while other tests' servers competed for the CPU.
pub const CPU_BUDGET: Duration = Duration::from_millis(50);

/// What a server did with no file descriptor to spare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutOfFds {
    /// Whether the server filled exactly its limit with connections.
    pub at_limit: bool,
    /// Whether the clients that came after were left waiting (in the
    /// kernel's backlog), not answered and not closed.
    pub newcomers_wait: bool,
    /// Whether it used less than [`CPU_BUDGET`] in that second, with idle
    /// connections, one connection held back by backpressure, and clients
    /// it cannot accept: nothing it could do, so nothing to spin on.
    pub quiet: bool,
    /// Whether an existing connection was still served meanwhile.
    pub serves_existing: bool,
    /// Whether the waiting clients were served once others left.
    pub newcomers_served_later: bool,
    pub exit_code: Option<i32>,
}

impl OutOfFds {
    pub fn expected() -> OutOfFds {
        OutOfFds {
            at_limit: true,
            newcomers_wait: true,
            quiet: true,
            serves_existing: true,
            newcomers_served_later: true,
            exit_code: Some(0),
        }
    }
}

fn spawn_with_fd_limit(binary: &Path) -> io::Result<ServerProcess> {
    let mut command = Command::new(binary);
    // SAFETY: the closure runs in the child between fork and exec, where
    // only async-signal-safe functions may be called. It calls setrlimit
    // (a plain system call) and reads errno; it allocates nothing and
    // takes no lock.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: FD_LIMIT,
                rlim_max: FD_LIMIT,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    ServerProcess::spawn_command(command)
}

/// Writes to `stream` without reading until a whole round of writes finds
/// the socket full and it stays full: the server has stopped reading it.
/// Gives up after 64 MiB (a server without backpressure would take
/// everything) or 200 rounds. Returns how much got in.
fn fill_until_stalled(stream: &mut TcpStream) -> io::Result<u64> {
    const LIMIT: u64 = 64 << 20;
    stream.set_nonblocking(true)?;
    let chunk = [b'x'; 64 * 1024];
    let mut sent = 0;
    for _ in 0..200 {
        let mut this_round = 0;
        while sent + this_round < LIMIT {
            match stream.write(&chunk) {
                Ok(n) => this_round += n as u64,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        sent += this_round;
        if this_round == 0 || sent >= LIMIT {
            break;
        }
        thread::sleep(Duration::from_millis(50));
    }
    stream.set_nonblocking(false)?;
    Ok(sent)
}

// ANCHOR: check_out_of_fds
/// Starts `binary` with at most [`FD_LIMIT`] open files, fills them with
/// connections, makes [`WAITING`] more clients wait, and watches the
/// server for a second; then frees the fds and checks that the waiting
/// clients get served.
pub fn check_out_of_fds(binary: &Path) -> io::Result<OutOfFds> {
    let name = name_of(binary);
    let mut server = spawn_with_fd_limit(binary)?;
    let addr = server.addr();
    // Free fd numbers below the limit (the server may hold inherited fds
    // above it).
    let below_limit = |fds: Vec<i32>| fds.iter().filter(|&&fd| (fd as u64) < FD_LIMIT).count();
    let room = FD_LIMIT as usize - below_limit(server.open_fds()?);
    // Fill every fd the server has left with a connection it has served.
    let mut served = Vec::new();
    for _ in 0..room {
        let mut client = connect(addr)?;
        ping(&mut client)?;
        served.push(client);
    }
    let at_limit = below_limit(server.open_fds()?) == FD_LIMIT as usize;
    // One of them sends without reading until the server stops reading it.
    let held_back = match served.get_mut(1) {
        Some(client) => fill_until_stalled(client)?,
        None => 0,
    };
    // These connect (the kernel completes the handshake and queues them
    // for accept) and send a byte, but the server cannot accept them.
    let mut waiting = Vec::new();
    for _ in 0..WAITING {
        let mut client = connect(addr)?;
        client.write_all(b"w")?;
        waiting.push(client);
    }
    let cpu_before = server.cpu_time()?;
    thread::sleep(Duration::from_secs(1));
    let cpu_used = server.cpu_time()?.saturating_sub(cpu_before);
    eprintln!(
        "{name}: {cpu_used:?} of CPU in 1 s out of fds; {} lines on stderr; \
         a client that does not read got {} KiB in",
        server.stderr().lines().count(),
        held_back / 1024
    );
    let newcomers_wait = waiting.iter().all(|client| {
        client.set_nonblocking(true).is_ok()
            && matches!(client.peek(&mut [0u8]), Err(e) if e.kind() == ErrorKind::WouldBlock)
    });
    let serves_existing = match served.first_mut() {
        Some(client) => ping(client).is_ok(),
        None => false,
    };

    // Free the fds: the server sees EOF (or a reset) on each and closes
    // them, and its next retry accepts the waiting clients and echoes
    // their bytes.
    drop(served);
    let mut newcomers_served_later = true;
    for client in &mut waiting {
        client.set_nonblocking(false)?;
        let mut byte = [0u8];
        newcomers_served_later &= client.read_exact(&mut byte).is_ok() && &byte == b"w";
    }
    server.signal(Signal::Terminate)?;
    let exit_code = server.wait_with_timeout(EXIT_TIMEOUT)?.code();
    Ok(OutOfFds {
        at_limit,
        newcomers_wait,
        quiet: cpu_used < CPU_BUDGET,
        serves_existing,
        newcomers_served_later,
        exit_code,
    })
}
// ANCHOR_END: check_out_of_fds
