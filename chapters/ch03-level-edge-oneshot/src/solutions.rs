//! Solutions to the exercises at the end of chapter 3's page, one anchored
//! item (or small group) per exercise. `tests/solutions.rs` checks each
//! one.

use crate::sleepers::{ThreadState, current_tid, thread_state};
use crate::{Drained, ReadyQueue, Stop, read_until_would_block, read_with_budget, ready_now};
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLET, EPOLLIN, EPOLLRDHUP, Event, O_CLOEXEC, O_NONBLOCK, epoll_create1,
    epoll_wait, pipe2, write,
};
use ch02_interest_and_ready_lists::{add, modify};
use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: exercise_1
/// What became of `read_until_would_block` on a blocking pipe.
#[derive(Debug)]
pub struct BlockingDrain {
    /// What `/proc` said about the reading thread after the data was in.
    pub while_stuck: ThreadState,
    /// What the drain returned once the write end was closed.
    pub drained: Drained,
    /// The bytes it read.
    pub data: Vec<u8>,
}

/// Writes five bytes into a *blocking* pipe, runs `read_until_would_block`
/// on its read end in a second thread, and watches that thread through
/// `/proc` until it sleeps. Then it closes the write end.
///
/// The first read returns the five bytes. The second finds the pipe empty,
/// and a blocking read of an empty pipe does not fail with `EAGAIN`: it
/// waits for data (`man 7 pipe`). The thread sleeps in the kernel's pipe
/// read (`anon_pipe_read`, says `wchan` on this kernel) with the data
/// already read, and the drain does not return until data comes or the
/// last write end closes, which turns the wait into end of file. In an
/// event loop that thread is the only one, so every other connection
/// waits too. That is why the drain contract needs nonblocking fds.
pub fn drain_a_blocking_pipe() -> io::Result<BlockingDrain> {
    let (reader, writer) = pipe2(O_CLOEXEC)?; // no O_NONBLOCK
    write(writer.as_fd(), b"hello")?;
    let (tid_sender, tid_receiver) = mpsc::channel();
    let drain = thread::spawn(move || -> io::Result<(Drained, Vec<u8>)> {
        tid_sender
            .send(current_tid()?)
            .map_err(|_| io::Error::other("the main thread is gone"))?;
        let mut data = Vec::new();
        let drained = read_until_would_block(reader.as_fd(), &mut data)?;
        Ok((drained, data))
    });
    let watched = tid_receiver
        .recv()
        .map_err(|_| io::Error::other("the drain thread ended before it started"))
        .and_then(|tid| wait_until_asleep(tid, Duration::from_secs(5)));
    // Close the write end whatever happened, so that the thread ends.
    drop(writer);
    let (drained, data) = drain.join().expect("the drain thread panicked")?;
    Ok(BlockingDrain {
        while_stuck: watched?,
        drained,
        data,
    })
}

/// Polls thread `tid` until it is asleep (state `S`); gives up after
/// `patience`.
fn wait_until_asleep(tid: u32, patience: Duration) -> io::Result<ThreadState> {
    let deadline = Instant::now() + patience;
    loop {
        let now = thread_state(tid)?;
        // A sleep elsewhere (say, in the channel) would not name a read.
        if now.state == 'S' && (now.wchan.contains("read") || now.wchan == "0") {
            return Ok(now);
        }
        if Instant::now() > deadline {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                format!("thread {tid} never slept in a read (last seen: {now:?})"),
            ));
        }
        thread::sleep(Duration::from_millis(1));
    }
}
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// Bytes per read in the fair loops of exercises 2 and 3.
pub const CHUNK: usize = 64;
/// What the loud pipe holds: 100 reads' worth.
pub const LOUD_BYTES: usize = 100 * CHUNK;
const LOUD: u64 = 0;
const QUIET: u64 = 1;

/// A loud pipe with [`LOUD_BYTES`] unread bytes and a quiet one with
/// `ping`, both nonblocking and edge-triggered, with tokens 0 and 1. No
/// producer: the amount of data, and so every count below, is fixed.
pub struct LoudAndQuiet {
    epoll: OwnedFd,
    /// `(read end, write end)` for each token.
    pipes: [(OwnedFd, OwnedFd); 2],
}

impl LoudAndQuiet {
    pub fn new() -> io::Result<LoudAndQuiet> {
        let epoll = epoll_create1(EPOLL_CLOEXEC)?;
        let loud = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        let quiet = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        for (pipe, token) in [(&loud, LOUD), (&quiet, QUIET)] {
            add(epoll.as_fd(), pipe.0.as_fd(), EPOLLIN | EPOLLET, token)?;
        }
        write(loud.1.as_fd(), &[b'x'; LOUD_BYTES])?;
        write(quiet.1.as_fd(), b"ping")?;
        Ok(LoudAndQuiet {
            epoll,
            pipes: [loud, quiet],
        })
    }

    /// The tokens `epoll_wait` reports now, loud first.
    fn wait(&self, run: &mut Run) -> io::Result<Vec<u64>> {
        let mut events = [Event::zeroed(); 4];
        let n = epoll_wait(self.epoll.as_fd(), &mut events, 0)?;
        run.epoll_waits += 1;
        let mut tokens: Vec<u64> = events[..n].iter().map(Event::token).collect();
        tokens.sort_unstable();
        Ok(tokens)
    }

    /// At most `budget` reads of [`CHUNK`] bytes from `token`'s pipe.
    fn serve(&self, token: u64, budget: usize, turn: usize, run: &mut Run) -> io::Result<Stop> {
        let reader = self.pipes[usize::from(token == QUIET)].0.as_fd();
        let drained = read_with_budget(reader, &mut Vec::new(), CHUNK, budget)?;
        // Every read that returned data, plus the one that found the end.
        run.reads += drained.reads + usize::from(drained.stop != Stop::Budget);
        if token == LOUD {
            run.loud_reads += drained.reads;
        } else if run.quiet_served.is_none() {
            run.quiet_served = Some((turn, run.loud_reads));
        }
        Ok(drained.stop)
    }
}

/// What one fair loop did, counted.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// `(turn, loud reads before it)` when the quiet pipe was served.
    pub quiet_served: Option<(usize, usize)>,
    /// Turns that served at least one fd.
    pub turns: usize,
    pub epoll_waits: usize,
    pub epoll_ctls: usize,
    /// Every `read` call, the ones that found `EAGAIN` included.
    pub reads: usize,
    /// Reads of the loud pipe that returned data.
    pub loud_reads: usize,
}

impl Run {
    /// System calls made by the loop.
    pub fn syscalls(&self) -> usize {
        self.epoll_waits + self.epoll_ctls + self.reads
    }
}

/// The starvation example's fair loop with the budget as a parameter:
/// a [`ReadyQueue`], at most `budget` reads per fd per turn, until the
/// queue is empty and `epoll_wait` has nothing more.
///
/// A budget of 1 serves the quiet pipe after one loud read, but drains the
/// loud one in 101 turns (100 reads, then the one that finds `EAGAIN`), and
/// each turn costs an `epoll_wait`. A budget of 1000 is no budget here: the
/// loud pipe is drained in the first turn, and the quiet one waits for all
/// 100 reads. The budget trades how long a quiet fd waits against how many
/// turns, and so how many `epoll_wait` calls, the loud one costs.
pub fn fair_with_budget(pipes: &LoudAndQuiet, budget: usize) -> io::Result<Run> {
    let mut run = Run::default();
    let mut queue = ReadyQueue::new();
    loop {
        for token in pipes.wait(&mut run)? {
            queue.mark_ready(token);
        }
        if queue.is_empty() {
            return Ok(run);
        }
        run.turns += 1;
        let turn = run.turns;
        queue.turn(|token| pipes.serve(token, budget, turn, &mut run))?;
    }
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
/// The fair loop without a ready queue: an fd that spends its budget is
/// re-registered with the same mask, and `MOD`'s re-check puts it back on
/// the kernel's ready list, so the next `epoll_wait` reports it again.
///
/// The quiet pipe is still served in the first turn: it was in the first
/// batch. Each turn now costs one `epoll_ctl` more for every fd that spent
/// its budget, which a queue in user space does for free. One read fewer,
/// though: after the last full budget the `MOD` finds the pipe empty and
/// reports nothing, so no read has to find `EAGAIN`.
pub fn fair_with_mod(pipes: &LoudAndQuiet, budget: usize) -> io::Result<Run> {
    let mut run = Run::default();
    loop {
        let batch = pipes.wait(&mut run)?;
        if batch.is_empty() {
            return Ok(run);
        }
        run.turns += 1;
        for token in batch {
            if pipes.serve(token, budget, run.turns, &mut run)? == Stop::Budget {
                let reader = pipes.pipes[usize::from(token == QUIET)].0.as_fd();
                modify(pipes.epoll.as_fd(), reader, EPOLLIN | EPOLLET, token)?;
                run.epoll_ctls += 1;
            }
        }
    }
}
// ANCHOR_END: exercise_3

// ANCHOR: exercise_4
/// The events of an edge-triggered socket through a half-close, and what
/// a handler made of the one that carried `EPOLLRDHUP`.
#[derive(Debug)]
pub struct EdgeHalfClose {
    /// After the peer sent `req`.
    pub first: Vec<u32>,
    /// The next wait, nothing new having happened.
    pub again: Vec<u32>,
    /// After the peer sent `uest` and shut down its writing half.
    pub at_shutdown: Vec<u32>,
    /// What the handler did with that event.
    pub handled: Handled,
    /// The next wait, after the drain.
    pub after_drain: Vec<u32>,
    /// What the peer received.
    pub reply: [u8; 5],
    /// After the peer closed its socket.
    pub at_close: Vec<u32>,
}

/// What [`handle`] did with one event.
#[derive(Debug, PartialEq, Eq)]
pub struct Handled {
    /// Whether the event said, before any read, that the peer is done.
    pub peer_done: bool,
    pub request: Vec<u8>,
    pub stop: Stop,
    /// Whether it answered (only a complete request is answered).
    pub answered: bool,
}

/// An edge-triggered handler. The event bits tell it, before it reads a
/// byte, whether the peer has finished sending: with `EPOLLRDHUP`, the
/// drain will end in end of file, not `EAGAIN`, so the request in hand is
/// the whole request and can be answered at once, through the half that is
/// still open. Without it the drain ends in `EAGAIN` and the handler must
/// wait for the next edge.
pub fn handle(socket: &UnixStream, bits: u32, request: &mut Vec<u8>) -> io::Result<Handled> {
    let peer_done = bits & EPOLLRDHUP != 0;
    let drained = read_until_would_block(socket.as_fd(), request)?;
    if peer_done && drained.stop != Stop::EndOfFile {
        return Err(io::Error::other("EPOLLRDHUP, but the drain did not end"));
    }
    let answered = drained.stop == Stop::EndOfFile;
    if answered {
        let mut socket = socket;
        socket.write_all(b"reply")?;
    }
    Ok(Handled {
        peer_done,
        request: request.clone(),
        stop: drained.stop,
        answered,
    })
}

/// `half_close` with `EPOLLET`: one socket registered for
/// `EPOLLIN | EPOLLRDHUP | EPOLLET`, its peer sending a request in two
/// parts and then shutting down its writing half, and later closing.
///
/// Each change is reported once: the data, then data and shutdown together
/// (one event, `EPOLLIN | EPOLLRDHUP`), then the close (`EPOLLHUP` joins
/// in). Unlike level-triggered mode, the end of file is not reported again
/// after the drain: an edge-triggered handler that missed `EPOLLRDHUP` in
/// the event would not be told a second time.
pub fn edge_half_close() -> io::Result<EdgeHalfClose> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (socket, mut peer) = UnixStream::pair()?;
    socket.set_nonblocking(true)?;
    add(
        epoll.as_fd(),
        socket.as_fd(),
        EPOLLIN | EPOLLRDHUP | EPOLLET,
        1,
    )?;
    let bits = |epoll: BorrowedFd<'_>| -> io::Result<Vec<u32>> {
        Ok(ready_now(epoll)?
            .into_iter()
            .map(|(_, bits)| bits)
            .collect())
    };

    let mut request = Vec::new();
    peer.write_all(b"req")?;
    let first = bits(epoll.as_fd())?;
    let again = bits(epoll.as_fd())?;
    for &event in &first {
        handle(&socket, event, &mut request)?;
    }

    peer.write_all(b"uest")?;
    peer.shutdown(Shutdown::Write)?;
    let at_shutdown = bits(epoll.as_fd())?;
    let Some(&event) = at_shutdown.first() else {
        return Err(io::Error::other("no event for the shutdown"));
    };
    let handled = handle(&socket, event, &mut request)?;
    let after_drain = bits(epoll.as_fd())?;

    // The half that is still open carries the answer.
    let mut reply = [0u8; 5];
    if handled.answered {
        peer.read_exact(&mut reply)?;
    }
    drop(peer);
    let at_close = bits(epoll.as_fd())?;
    Ok(EdgeHalfClose {
        first,
        again,
        at_shutdown,
        handled,
        after_drain,
        reply,
        at_close,
    })
}
// ANCHOR_END: exercise_4
