//! Solutions to the exercises at the end of chapter 5's page, one anchored
//! item (or small group) per exercise. `tests/solutions.rs` checks each
//! one.

use crate::{EventFd, MAX_COUNT, Waker};
use ch01_raw_syscalls::error::{check, check_size};
use ch04_libc_and_a_safe_wrapper::{ET, Epoll, Events, IN};
use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::time::Duration;

/// How many events a zero-timeout wait reports now.
fn ready_now(epoll: &Epoll) -> io::Result<usize> {
    let mut events = Events::with_capacity(4);
    epoll.wait(&mut events, Some(Duration::ZERO))
}

// ANCHOR: exercise_1
/// A waker registered edge-triggered, as mio registers its own, which the
/// loop never drains: every successful write is an edge, so every wake is
/// an event, and the counter only grows.
pub struct EdgeWaker {
    eventfd: EventFd,
}

impl EdgeWaker {
    pub fn new(epoll: &Epoll, token: u64) -> io::Result<EdgeWaker> {
        let eventfd = EventFd::new(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC)?;
        epoll.add(&eventfd, IN | ET, token)?;
        Ok(EdgeWaker { eventfd })
    }

    /// `Waker::wake` unchanged: a full counter counts as success. Right for
    /// a level-triggered waker, whose full counter stays on the ready list;
    /// wrong here. The write fails, a failed write wakes nobody, and with
    /// no wake-up there is no edge: this wake, and every one after it, is
    /// lost until somebody reads the counter, which nobody does.
    pub fn wake_as_level(&self) -> io::Result<()> {
        match self.eventfd.write(1) {
            Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(()),
            result => result,
        }
    }

    /// What mio does: if the counter is full, the waking thread reads it
    /// (making room; a `WouldBlock` from that read means another thread
    /// just did) and writes again. The second write succeeds, and a
    /// successful write is a fresh edge.
    pub fn wake(&self) -> io::Result<()> {
        match self.eventfd.write(1) {
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                match self.eventfd.read() {
                    Err(err) if err.kind() != ErrorKind::WouldBlock => return Err(err),
                    _ => {}
                }
                self.eventfd.write(1)
            }
            result => result,
        }
    }

    pub fn eventfd(&self) -> &EventFd {
        &self.eventfd
    }
}

/// Fills an edge-triggered waker's counter, lets the loop take that edge,
/// wakes once more (the mio way if `like_mio`), and returns how many events
/// the next wait reports for that last wake.
pub fn wake_a_full_edge_waker(like_mio: bool) -> io::Result<usize> {
    let epoll = Epoll::new()?;
    let waker = EdgeWaker::new(&epoll, 1)?;
    waker.eventfd().write(MAX_COUNT)?; // an edge, and a full counter
    if ready_now(&epoll)? != 1 {
        return Err(io::Error::other("the write of MAX_COUNT was no edge"));
    }
    if like_mio {
        waker.wake()?;
    } else {
        waker.wake_as_level()?;
    }
    ready_now(&epoll)
}
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// Where, in one round of the loop, the producer queues job "B" and wakes.
#[derive(Clone, Copy, Debug)]
pub enum Moment {
    /// Between the loop's first drain and its taking the jobs.
    BeforeTake,
    /// After the loop took the jobs.
    AfterTake,
}

/// How a round ended.
#[derive(Debug, PartialEq, Eq)]
pub struct Round {
    pub taken: Vec<&'static str>,
    /// Events the loop's next wait reports.
    pub next_wait: usize,
    /// Jobs still in the queue.
    pub left: Vec<&'static str>,
}

/// How the loop handles the waker's event.
#[derive(Clone, Copy, Debug)]
pub enum Handling {
    /// Drain, take the jobs, drain again (to spare the next wait).
    DrainTakeDrain,
    /// Drain and take the jobs until a drain finds nothing.
    UntilDrainFindsNothing,
}

/// One round, with job "B" produced at `moment`.
///
/// Draining again after taking the jobs loses a wake: if "B" is queued
/// and woken for after the take, the second drain erases B's wake, and
/// nothing ever looks at the queue again. Any drain that comes after the
/// last look at the queue is "take, then drain", the wrong order. The
/// spare wake-up of the right order can be avoided only by looking at the
/// queue once more after every drain that found a wake: drain and take
/// until a drain finds nothing. That is correct, and costs a `read` that
/// fails with `EAGAIN` in every round, to save a wait in the rare round in
/// which a producer struck between drain and take; the single drain is
/// the better trade.
pub fn round(handling: Handling, moment: Moment) -> io::Result<Round> {
    let epoll = Epoll::new()?;
    let waker = Waker::new(&epoll, 0)?;
    let mut queue = VecDeque::new();
    let produce = |queue: &mut VecDeque<&'static str>, job| {
        queue.push_back(job);
        waker.wake()
    };

    produce(&mut queue, "A")?;
    if ready_now(&epoll)? != 1 {
        return Err(io::Error::other("the loop was not woken for A"));
    }
    let mut taken = Vec::new();
    let mut produced_b = false;
    // The loop's handling of the event, with the producer striking once at
    // `moment`.
    let mut wakes = waker.drain()?;
    while wakes > 0 {
        if let (Moment::BeforeTake, false) = (moment, produced_b) {
            produce(&mut queue, "B")?;
            produced_b = true;
        }
        taken.extend(queue.drain(..));
        if let (Moment::AfterTake, false) = (moment, produced_b) {
            produce(&mut queue, "B")?;
            produced_b = true;
        }
        wakes = waker.drain()?;
        if let Handling::DrainTakeDrain = handling {
            break;
        }
    }
    Ok(Round {
        taken,
        next_wait: ready_now(&epoll)?,
        left: queue.into_iter().collect(),
    })
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
impl Waker {
    /// Adds `n` wakes in one write. Returns `Ok(true)` if the counter took
    /// them, `Ok(false)` if they did not fit.
    ///
    /// The rule that decides is that a write which does not fit is refused
    /// whole: it adds nothing, not even the part that would fit. A refused
    /// write means the counter plus `n` passes `MAX_COUNT`, and `n` is at
    /// most `MAX_COUNT`, so the counter is above 0: the loop is woken
    /// already, as in `wake`. What is lost is the count, not the wake-up,
    /// so the caller is told, rather than given an error. Writing the part
    /// that fits would need the counter's value, and reading it would take
    /// the wakes away from the loop. `n` = `u64::MAX` is still `EINVAL`,
    /// and `n` = 0 adds nothing and wakes nobody.
    pub fn wake_many(&self, n: u64) -> io::Result<bool> {
        match self.eventfd().write(n) {
            Ok(()) => Ok(true),
            Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(false),
            Err(err) => Err(err),
        }
    }
}
// ANCHOR_END: exercise_3

// ANCHOR: exercise_4
/// A waker made of a pipe: a byte per wake, and the loop reads them all.
pub struct PipeWaker {
    reader: OwnedFd,
    writer: OwnedFd,
}

impl PipeWaker {
    /// Two descriptors where an eventfd needs one, both nonblocking and
    /// close-on-exec for the same reasons, and the read end registered.
    pub fn new(epoll: &Epoll, token: u64) -> io::Result<PipeWaker> {
        let mut fds = [-1; 2];
        // SAFETY: `fds` is an array of two c_ints, which pipe2 fills.
        check("pipe2", unsafe {
            libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC)
        })?;
        // SAFETY: pipe2 succeeded, so both are new open fds that only we
        // know; each gets one owner.
        let (reader, writer) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        epoll.add(&reader, IN, token)?;
        Ok(PipeWaker { reader, writer })
    }

    /// Writes one byte. A full pipe (`EAGAIN`) is success, as a full
    /// eventfd counter is: it is readable, so the loop is woken already.
    /// That rule needs no extra code.
    pub fn wake(&self) -> io::Result<()> {
        let byte = [1u8];
        // SAFETY: `byte` is valid for reads of one byte; the fd is open.
        let ret = unsafe { libc::write(self.writer.as_raw_fd(), byte.as_ptr().cast(), 1) };
        match check_size("write(pipe)", ret) {
            Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(()),
            result => result.map(drop),
        }
    }

    /// Empties the pipe and returns how many wakes it held. This is the
    /// extra code: an eventfd hands over its whole count in one 8-byte
    /// read, while a pipe holds a byte per wake, up to its capacity (64 KiB
    /// by default), and a read takes at most one buffer's worth. One read
    /// would leave the rest, and the level-triggered entry would report
    /// the waker again.
    pub fn drain(&self) -> io::Result<u64> {
        let mut buf = [0u8; 4096];
        let mut wakes = 0;
        loop {
            // SAFETY: `buf` is valid for writes of `buf.len()` bytes; the fd
            // is open.
            let ret =
                unsafe { libc::read(self.reader.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            match check_size("read(pipe)", ret) {
                Ok(0) => return Ok(wakes), // no writer: cannot happen while `self` lives
                Ok(n) => wakes += u64::try_from(n).expect("a read fits in a u64"),
                Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(wakes),
                Err(err) if err.kind() == ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }
}
// ANCHOR_END: exercise_4
