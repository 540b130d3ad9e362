//! Starvation under edge-triggered notification, and the fix `man 7 epoll`
//! suggests. A loud connection's peer sends faster than we read; a quiet
//! one has sent four bytes. A loop whose handlers read until `EAGAIN`
//! never gets past the loud one. A ready queue in user space, which gives
//! each ready fd a few reads per turn, serves the quiet one in its first
//! turn.
//!
//! Run it with `cargo run -p ch03-level-edge-oneshot --example starvation`.

use ch01_raw_syscalls::{EPOLL_CLOEXEC, EPOLLET, EPOLLIN, Event, epoll_create1};
use ch02_interest_and_ready_lists::{add, wait_retrying_eintr};
use ch03_level_edge_oneshot::{ReadyQueue, Stop, read_until_would_block, read_with_budget};
use std::ffi::c_int;
use std::io::{self, ErrorKind, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

const LOUD: u64 = 0;
const QUIET: u64 = 1;
/// Bytes per read: small, so that the loud socket's buffer outlasts the
/// bound below whatever the producer does.
const CHUNK: usize = 64;
/// The experiment's stand-in for "forever": the naive loop is stopped
/// after this many reads.
pub const BOUND: usize = 1000;
/// Reads per fd per turn in the fair loop.
pub const BUDGET: usize = 4;
/// Turns the fair loop runs.
const TURNS: usize = 3;
const PATIENCE_MS: c_int = 5000;

/// When the quiet fd was served: in which turn, after how many reads of
/// the loud one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Served {
    pub turn: usize,
    pub after_loud_reads: usize,
}

/// What a loop did.
#[derive(Debug)]
pub struct Outcome {
    /// The tokens of the first `epoll_wait`, in the order returned.
    pub first_batch: Vec<u64>,
    pub loud_reads: usize,
    pub quiet_served: Option<Served>,
}

/// The two connections the loops read from.
pub struct Connections {
    loud: UnixStream,
    quiet: UnixStream,
}

impl Connections {
    fn by_token(&self, token: u64) -> BorrowedFd<'_> {
        if token == LOUD {
            self.loud.as_fd()
        } else {
            self.quiet.as_fd()
        }
    }
}

fn name(token: u64) -> &'static str {
    if token == LOUD { "loud" } else { "quiet" }
}

// ANCHOR: setup
/// Runs `event_loop` on two edge-triggered connections: the loud one has a
/// full buffer and a producer thread that keeps it full, the quiet one has
/// four bytes. Stops and joins the producer afterwards.
pub fn with_loud_and_quiet<T>(
    event_loop: impl FnOnce(BorrowedFd<'_>, &Connections) -> io::Result<T>,
) -> io::Result<T> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (loud, loud_peer) = UnixStream::pair()?;
    let (quiet, mut quiet_peer) = UnixStream::pair()?;
    for (socket, token) in [(&loud, LOUD), (&quiet, QUIET)] {
        socket.set_nonblocking(true)?;
        add(epoll.as_fd(), socket.as_fd(), EPOLLIN | EPOLLET, token)?;
    }
    let buffered = fill(&loud_peer)?;
    if buffered < CHUNK * BOUND {
        let msg = format!("the loud socket holds only {buffered} bytes");
        return Err(io::Error::other(msg));
    }
    quiet_peer.write_all(b"ping")?;

    // The reading ends outlive the producer: closing the loud one under it
    // would fail its write with ECONNRESET (or EPIPE, between writes).
    let conns = Connections { loud, quiet };
    let stop = AtomicBool::new(false);
    thread::scope(|scope| {
        let producer = scope.spawn(|| produce(&loud_peer, &stop));
        let result = event_loop(epoll.as_fd(), &conns);
        stop.store(true, Ordering::Relaxed);
        let produced = producer.join().expect("the producer panicked");
        result.and_then(|value| produced.map(|()| value))
    })
}

/// Writes into `socket` until its buffer is full; returns the bytes written.
fn fill(mut socket: &UnixStream) -> io::Result<usize> {
    socket.set_nonblocking(true)?;
    let mut total = 0;
    loop {
        match socket.write(&[b'x'; 4096]) {
            Ok(n) => total += n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => break,
            Err(err) => return Err(err),
        }
    }
    socket.set_nonblocking(false)?;
    Ok(total)
}

/// Keeps writing until `stop`; a write blocks at most 10 ms, so the flag is
/// seen soon after it is set.
fn produce(mut socket: &UnixStream, stop: &AtomicBool) -> io::Result<()> {
    socket.set_write_timeout(Some(Duration::from_millis(10)))?;
    while !stop.load(Ordering::Relaxed) {
        match socket.write(&[b'x'; 4096]) {
            Ok(_) => {}
            Err(err)
                if matches!(
                    err.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted
                ) => {}
            Err(err) => return Err(err),
        }
    }
    Ok(())
}
// ANCHOR_END: setup

fn first_wait(epoll: BorrowedFd<'_>, events: &mut [Event]) -> io::Result<Vec<u64>> {
    let n = wait_retrying_eintr(epoll, events, PATIENCE_MS)?;
    let tokens: Vec<u64> = events[..n].iter().map(Event::token).collect();
    let names: Vec<&str> = tokens.iter().map(|&token| name(token)).collect();
    println!("  epoll_wait: {}", names.join(", "));
    Ok(tokens)
}

// ANCHOR: naive
/// Handles each event by reading until `EAGAIN`, as edge-triggered
/// notification asks; stopped after [`BOUND`] reads.
pub fn naive_loop(epoll: BorrowedFd<'_>, conns: &Connections) -> io::Result<Outcome> {
    let mut events = [Event::zeroed(); 8];
    let first_batch = first_wait(epoll, &mut events)?;
    let mut loud_reads = 0;
    let mut quiet_served = None;
    for &token in &first_batch {
        let mut data = Vec::new();
        let drained =
            read_with_budget(conns.by_token(token), &mut data, CHUNK, BOUND - loud_reads)?;
        if token == LOUD {
            loud_reads += drained.reads;
        } else {
            quiet_served = Some(Served {
                turn: 1,
                after_loud_reads: loud_reads,
            });
        }
        if drained.stop == Stop::Budget {
            println!(
                "  {}: {loud_reads} reads, no EAGAIN yet: the experiment stops here",
                name(token)
            );
            break;
        }
    }
    Ok(Outcome {
        first_batch,
        loud_reads,
        quiet_served,
    })
}
// ANCHOR_END: naive

// ANCHOR: fair
/// Keeps a [`ReadyQueue`]: every ready fd gets at most [`BUDGET`] reads per
/// turn, and one that did not reach `EAGAIN` waits at the back for its
/// next turn. Runs three turns.
pub fn fair_loop(epoll: BorrowedFd<'_>, conns: &Connections) -> io::Result<Outcome> {
    let mut events = [Event::zeroed(); 8];
    let mut queue = ReadyQueue::new();
    let mut first_batch = Vec::new();
    let mut loud_reads = 0;
    let mut quiet_served = None;
    for turn in 1..=TURNS {
        let tokens = if turn == 1 {
            first_wait(epoll, &mut events)?
        } else {
            let n = wait_retrying_eintr(epoll, &mut events, queue.wait_timeout(PATIENCE_MS))?;
            events[..n].iter().map(Event::token).collect()
        };
        for &token in &tokens {
            queue.mark_ready(token);
        }
        if turn == 1 {
            first_batch.clone_from(&tokens);
        }
        let mut done = Vec::new();
        queue.turn(|token| {
            let mut data = Vec::new();
            let drained = read_with_budget(conns.by_token(token), &mut data, CHUNK, BUDGET)?;
            if token == LOUD {
                loud_reads += drained.reads;
            } else if quiet_served.is_none() {
                quiet_served = Some(Served {
                    turn,
                    after_loud_reads: loud_reads,
                });
            }
            done.push(describe(token, drained.reads, drained.stop, &data));
            Ok(drained.stop)
        })?;
        println!("  turn {turn}");
        for line in done {
            println!("    {line}");
        }
    }
    Ok(Outcome {
        first_batch,
        loud_reads,
        quiet_served,
    })
}
// ANCHOR_END: fair

fn describe(token: u64, reads: usize, stop: Stop, data: &[u8]) -> String {
    match stop {
        Stop::Budget => format!(
            "{}: {reads} reads, no EAGAIN: back of the queue",
            name(token)
        ),
        Stop::WouldBlock => format!(
            "{}: {:?}, then EAGAIN: leaves the queue",
            name(token),
            String::from_utf8_lossy(data)
        ),
        Stop::EndOfFile => format!("{}: end of file: leaves the queue", name(token)),
    }
}

fn report(outcome: &Outcome) {
    match outcome.quiet_served {
        Some(served) => println!(
            "  quiet fd served in turn {}, after {} reads of the loud fd",
            served.turn, served.after_loud_reads
        ),
        None => println!("  quiet fd not served within the {BOUND}-read bound"),
    }
}

// ANCHOR: main
pub fn main() -> io::Result<()> {
    println!("naive loop: each handler reads until EAGAIN, {CHUNK} bytes a read");
    with_loud_and_quiet(|epoll, conns| {
        let outcome = naive_loop(epoll, conns)?;
        report(&outcome);
        let left = read_until_would_block(conns.quiet.as_fd(), &mut Vec::new())?;
        println!("  the quiet fd's {} bytes are still unread", left.bytes);
        Ok(())
    })?;
    println!("fair loop: a ready queue, at most {BUDGET} reads per fd per turn");
    with_loud_and_quiet(|epoll, conns| {
        let outcome = fair_loop(epoll, conns)?;
        report(&outcome);
        Ok(())
    })?;
    println!("the producers were stopped and joined");
    Ok(())
}
// ANCHOR_END: main
