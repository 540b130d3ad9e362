//! Clients that exercise the echo contract.
//!
//! Each workload talks to a server at `addr` with plain blocking std
//! sockets and threads, every read and write bounded by a timeout, and
//! returns a result that does not depend on timing or on which server
//! answered, so a test can put the results of several servers in one table
//! and compare them. A server that breaks the contract makes a workload
//! return an error saying what went wrong (a wrong byte, an early EOF, a
//! timeout), never hang.

use crate::prng::{ByteStream, Xorshift};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// How long a connect may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long any single read or write may block.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest message [`echo_check`] sends before reading the echo back.
pub const MAX_MESSAGE: usize = 64 * 1024;

const MIB: u64 = 1024 * 1024;

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(stream)
}

fn invalid(what: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what)
}

/// Reads exactly `len` bytes and checks them against `expected`, in reads
/// of whatever size the socket delivers.
fn read_and_check(
    stream: &mut TcpStream,
    expected: &mut ByteStream,
    len: u64,
    offset: u64,
) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    let mut done = 0;
    while done < len {
        let want = usize::try_from(len - done)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = match stream.read(&mut buf[..want]) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("EOF after {} of {} bytes", offset + done, offset + len),
                ));
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Err(at) = expected.check(&buf[..n]) {
            return Err(invalid(format!(
                "byte {} came back changed",
                offset + done + at as u64
            )));
        }
        done += n as u64;
    }
    Ok(())
}

/// Runs `jobs` on threads of their own and adds up what they return; the
/// first error wins.
fn run_all(jobs: Vec<Box<dyn FnOnce() -> io::Result<u64> + Send>>) -> io::Result<u64> {
    let threads: Vec<_> = jobs.into_iter().map(thread::spawn).collect();
    let mut total = 0;
    let mut first_error = None;
    for thread in threads {
        match thread.join() {
            Ok(Ok(n)) => total += n,
            Ok(Err(e)) => {
                first_error.get_or_insert(e);
            }
            Err(_) => {
                first_error.get_or_insert(io::Error::other("a client thread panicked"));
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(total),
    }
}

// ANCHOR: echo_check
/// Opens `connections` concurrent connections; on each, sends `messages`
/// messages of 1 to [`MAX_MESSAGE`] pseudo-random bytes, each cut into
/// writes of random sizes, and reads every message back before the next.
/// Returns the number of bytes that came back and were checked, which is
/// [`echo_check_total`] of the same arguments.
pub fn echo_check(
    addr: SocketAddr,
    connections: usize,
    messages: usize,
    seed: u64,
) -> io::Result<u64> {
    let jobs = (0..connections)
        .map(|i| {
            let seed = connection_seed(seed, i);
            Box::new(move || echo_messages(addr, messages, seed)) as Box<_>
        })
        .collect();
    run_all(jobs)
}
// ANCHOR_END: echo_check

/// The number of bytes [`echo_check`] sends (and expects back) for these
/// arguments, worked out without a server.
pub fn echo_check_total(connections: usize, messages: usize, seed: u64) -> u64 {
    (0..connections)
        .map(|i| {
            let mut lengths = Xorshift::new(connection_seed(seed, i));
            (0..messages)
                .map(|_| lengths.range(1, MAX_MESSAGE) as u64)
                .sum::<u64>()
        })
        .sum()
}

fn connection_seed(seed: u64, connection: usize) -> u64 {
    seed ^ (connection as u64).wrapping_mul(0xD134_2543_DE82_EF95)
}

fn echo_messages(addr: SocketAddr, messages: usize, seed: u64) -> io::Result<u64> {
    let mut stream = connect(addr)?;
    stream.set_nodelay(true)?;
    // Message lengths and write sizes come from two generators, so the
    // lengths (and so the total) do not depend on how messages are cut.
    let mut lengths = Xorshift::new(seed);
    let mut cuts = Xorshift::new(!seed);
    let mut outgoing = ByteStream::new(seed);
    let mut incoming = outgoing.clone();
    let mut chunk = vec![0u8; MAX_MESSAGE];
    let mut total = 0;
    for _ in 0..messages {
        let len = lengths.range(1, MAX_MESSAGE);
        let mut sent = 0;
        while sent < len {
            let piece = &mut chunk[..cuts.range(1, len - sent)];
            outgoing.fill(piece);
            stream.write_all(piece)?;
            sent += piece.len();
        }
        read_and_check(&mut stream, &mut incoming, len as u64, total)?;
        total += len as u64;
    }
    Ok(total)
}

/// What [`slow_reader`] saw.
#[derive(Clone, Debug)]
pub struct SlowReader {
    /// Bytes sent, and then read back and checked.
    pub verified: u64,
    /// Whether the writer got stuck before the client started reading:
    /// true when the server stops reading from a client that does not read
    /// (a server that buffered everything would let the writer finish).
    pub writer_stalled: bool,
    /// How far the writer got before it stalled: what the kernel's socket
    /// buffers on both sides and the server's pending output held. Depends
    /// on buffer autotuning, so it is a measurement, not a result to compare.
    pub sent_before_stall: u64,
}

// ANCHOR: slow_reader
/// Sends `megabytes` MiB on one connection without reading, until the
/// writer makes no progress for half a second (or has sent everything);
/// then reads everything back and checks it while the writer finishes.
pub fn slow_reader(addr: SocketAddr, megabytes: u64) -> io::Result<SlowReader> {
    let total = megabytes * MIB;
    let mut reader = connect(addr)?;
    let mut writer = reader.try_clone()?;
    let progress = Arc::new(AtomicU64::new(0));
    let finished = Arc::new(AtomicBool::new(false));
    let (sent, done) = (Arc::clone(&progress), Arc::clone(&finished));
    let seed = 0x510_4EAD;
    let write_all = thread::spawn(move || -> io::Result<()> {
        let mut data = ByteStream::new(seed);
        let mut chunk = vec![0u8; 64 * 1024];
        let mut left = total;
        while left > 0 {
            let piece = &mut chunk[..usize::try_from(left.min(64 * 1024)).unwrap_or(0)];
            data.fill(piece);
            let result = writer.write_all(piece);
            if result.is_err() {
                done.store(true, Ordering::SeqCst);
            }
            result?;
            left -= piece.len() as u64;
            sent.fetch_add(piece.len() as u64, Ordering::SeqCst);
        }
        done.store(true, Ordering::SeqCst);
        Ok(())
    });

    // Wait until the writer is stuck or done. The pause is only a way to
    // tell "stuck" from "slow"; nothing is concluded from how long things
    // take.
    let still_for = Duration::from_millis(500);
    let give_up = Instant::now() + IO_TIMEOUT;
    let mut last = progress.load(Ordering::SeqCst);
    let mut last_change = Instant::now();
    let writer_stalled = loop {
        thread::sleep(Duration::from_millis(20));
        if finished.load(Ordering::SeqCst) {
            break false;
        }
        let now = progress.load(Ordering::SeqCst);
        if now != last {
            (last, last_change) = (now, Instant::now());
        } else if last_change.elapsed() >= still_for {
            break true;
        }
        if Instant::now() >= give_up {
            // Neither done nor stuck: a server reading slowly but without
            // limit. Read back anyway; this is not the stall looked for.
            break false;
        }
    };
    let sent_before_stall = progress.load(Ordering::SeqCst);

    let read_result = read_and_check(&mut reader, &mut ByteStream::new(seed), total, 0);
    let write_result = write_all
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")));
    read_result?;
    write_result?;
    Ok(SlowReader {
        verified: total,
        writer_stalled,
        sent_before_stall,
    })
}
// ANCHOR_END: slow_reader

/// What [`half_close`] saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HalfClose {
    /// Bytes sent before `shutdown(Write)`.
    pub sent: u64,
    /// Bytes that came back, checked, before the server closed its side.
    pub echoed_before_eof: u64,
}

/// The bytes [`half_close`] sends: more than one read's worth.
pub const HALF_CLOSE_BYTES: u64 = 200_000;

// ANCHOR: half_close
/// Sends [`HALF_CLOSE_BYTES`], shuts down the writing side, and reads until
/// end-of-file: the server must send back everything it owes and then
/// close. Fails if the server closes early or never closes.
pub fn half_close(addr: SocketAddr) -> io::Result<HalfClose> {
    let mut stream = connect(addr)?;
    let mut data = vec![0u8; HALF_CLOSE_BYTES as usize];
    ByteStream::new(0x4A1F).fill(&mut data);
    stream.write_all(&data)?;
    stream.shutdown(Shutdown::Write)?;
    let mut echoed = Vec::new();
    // read_to_end returns at end-of-file; a server that never closes makes
    // it fail with the read timeout instead.
    stream.read_to_end(&mut echoed)?;
    if let Some(at) = echoed.iter().zip(&data).position(|(a, b)| a != b) {
        return Err(invalid(format!("byte {at} came back changed")));
    }
    Ok(HalfClose {
        sent: data.len() as u64,
        echoed_before_eof: echoed.len() as u64,
    })
}
// ANCHOR_END: half_close

/// Makes `stream`'s close send a reset (RST) instead of a FIN, dropping
/// whatever it still had to send or receive.
pub fn set_linger_zero(stream: &TcpStream) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the fd is open for as long as `stream` is borrowed, and the
    // option value is a live `linger` whose exact size is passed along.
    let ret = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if ret == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// The bytes the fresh client of [`reset_mid_stream`] has echoed.
pub const AFTER_RESET_BYTES: u64 = 64 * 1024;

// ANCHOR: reset_mid_stream
/// Fills a connection in both directions (sends until its socket would
/// block, reading nothing back), then resets it, so the server meets the
/// reset with output still pending. Then checks that the server still
/// serves a new client, and returns what that client got back.
pub fn reset_mid_stream(addr: SocketAddr) -> io::Result<u64> {
    let mut victim = connect(addr)?;
    let mut data = ByteStream::new(0xDEAD);
    let mut chunk = vec![0u8; 64 * 1024];
    // One round trip first, so the server has surely accepted it.
    data.fill(&mut chunk[..1]);
    victim.write_all(&chunk[..1])?;
    victim.read_exact(&mut [0u8; 1])?;
    victim.set_nonblocking(true)?;
    let mut in_flight = 0u64;
    while in_flight < 64 * MIB {
        data.fill(&mut chunk);
        match victim.write(&chunk) {
            Ok(n) => in_flight += n as u64,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    set_linger_zero(&victim)?;
    drop(victim);

    let mut fresh = connect(addr)?;
    let mut outgoing = ByteStream::new(0xF2E5);
    let mut message = vec![0u8; AFTER_RESET_BYTES as usize];
    outgoing.fill(&mut message);
    fresh.write_all(&message)?;
    read_and_check(
        &mut fresh,
        &mut ByteStream::new(0xF2E5),
        AFTER_RESET_BYTES,
        0,
    )?;
    Ok(AFTER_RESET_BYTES)
}
// ANCHOR_END: reset_mid_stream
