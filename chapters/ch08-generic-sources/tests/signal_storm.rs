//! The loop under a storm of signals. A handler installed without
//! `SA_RESTART` runs on the loop's thread thousands of times a second, and
//! each one that comes while the thread is blocked makes `epoll_wait` fail
//! with `EINTR` (`man 7 signal`: `epoll_wait` is never restarted after a
//! handler). Chapter 4's `Epoll::wait` waits again, to the same deadline,
//! so `dispatch` and `run` never see the error: every message arrives once
//! and in order, a `LoopSignal` still stops the loop, and a timed wait is
//! not cut short.
//!
//! The binary counts its own `epoll_wait` calls (`testkit::interpose`), to
//! show how many the handler interrupted. A signal handler belongs to the
//! whole process, so the binary has no harness (Cargo.toml): `main` runs
//! the tests one after another on the process's only thread, which spawns
//! the loop's thread, a producer and the storm.

mod common;

use ch05_eventfd_wakeups::{EventFd, Tid};
use ch07_a_reactor::io::{read_some, write_some};
use ch08_generic_sources::{EventLoop, Generic, Interest, LoopSignal, Mode, PostAction};
use common::*;
use std::io::ErrorKind;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use testkit::interpose::{EpollWaits, epoll_waits_on_this_thread};
use testkit::single_thread::{self, assert_one_thread};
use testkit::{assert_no_fd_leaks, signal_storm};

testkit::count_epoll_waits!();

/// Messages the producer sends.
const MESSAGES: u32 = 10_000;
/// The producer's pace: message `i` goes at `i * PACE` from its start, so
/// all of them take 1.5 s, and the loop waits between most of them.
const PACE: Duration = Duration::from_micros(150);
/// How long anything may take before the test gives up: a bound against
/// hanging, never a measurement.
const PATIENCE: Duration = Duration::from_secs(10);
/// The idle test's timeout.
const TIMEOUT: Duration = Duration::from_millis(200);

fn main() {
    single_thread::run_checked(
        &[
            (
                "run_delivers_every_message_in_order_and_stops_through_a_signal_storm",
                run_delivers_every_message_in_order_and_stops_through_a_signal_storm,
            ),
            (
                "a_timed_dispatch_waits_out_its_timeout_through_a_signal_storm",
                a_timed_dispatch_waits_out_its_timeout_through_a_signal_storm,
            ),
        ],
        assert_one_thread,
    );
}

/// What the loop's callbacks saw: its `Data`.
#[derive(Debug, Default)]
struct Seen {
    /// The number the next message must have.
    next: u32,
    /// Messages whose number was not the next one, and the first of them
    /// (expected, got).
    out_of_order: u64,
    first_out_of_order: Option<(u32, u32)>,
    /// Bytes of a message cut in two by a read.
    partial: Vec<u8>,
    /// The sum of what the eventfd counted.
    counted: u64,
    dispatches: u64,
}

impl Seen {
    fn take_messages(&mut self, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
        let whole = self.partial.len() / 4 * 4;
        for chunk in self.partial[..whole].chunks_exact(4) {
            let number = u32::from_le_bytes(chunk.try_into().expect("4 bytes"));
            if number != self.next && self.first_out_of_order.is_none() {
                self.first_out_of_order = Some((self.next, number));
            }
            self.out_of_order += u64::from(number != self.next);
            self.next = number.wrapping_add(1);
        }
        self.partial.drain(..whole);
    }
}

/// What the loop's thread reports when `run` returns.
struct LoopOutcome {
    result: Result<(), ch08_generic_sources::Error>,
    seen: Seen,
    waits: EpollWaits,
}

/// The loop's thread: a loop with the pipe's read end and the eventfd in
/// level-triggered `Generic`s; sends its `LoopSignal` and its thread ids,
/// then runs with no timeout until stopped.
fn loop_thread(
    reader: OwnedFd,
    counter: Arc<EventFd>,
    received: Arc<AtomicU64>,
    ready: mpsc::Sender<(LoopSignal, Tid, libc::pid_t)>,
) -> LoopOutcome {
    let mut event_loop: EventLoop<'_, Seen> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    handle
        .insert_source(
            Generic::new(reader, Interest::READABLE, Mode::Level),
            move |_, pipe, seen: &mut Seen| {
                let mut buf = [0; 4096];
                while let Some(n) = read_some(pipe.as_fd(), &mut buf)? {
                    if n == 0 {
                        break;
                    }
                    seen.take_messages(&buf[..n]);
                }
                received.store(u64::from(seen.next), Ordering::Release);
                Ok(PostAction::Continue)
            },
        )
        .unwrap();
    handle
        .insert_source(
            Generic::new(counter, Interest::READABLE, Mode::Level),
            |_, counter, seen: &mut Seen| {
                match counter.read() {
                    Ok(count) => seen.counted += count,
                    Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                    Err(err) => return Err(err),
                }
                Ok(PostAction::Continue)
            },
        )
        .unwrap();
    // SAFETY: gettid takes no arguments and cannot fail.
    let tid = unsafe { libc::gettid() };
    ready
        .send((event_loop.signal(), Tid::current(), tid))
        .unwrap();
    let mut seen = Seen::default();
    let result = event_loop.run(None, &mut seen, |seen| seen.dispatches += 1);
    LoopOutcome {
        result,
        seen,
        waits: epoll_waits_on_this_thread(),
    }
}

/// Writes message `i` (its number, 4 bytes, which a pipe writes in one
/// piece) at `i * PACE` from now, then adds 1 to the eventfd. Returns the
/// write end, to be closed once the loop is done. Stops early if the read
/// end is gone (`EPIPE`): the loop has returned, and the test reports why.
fn produce(writer: OwnedFd, counter: Arc<EventFd>) -> OwnedFd {
    let start = Instant::now();
    for i in 0..MESSAGES {
        let due = start + PACE * i;
        if let Some(early) = due.checked_duration_since(Instant::now()) {
            thread::sleep(early);
        }
        let give_up = Instant::now() + PATIENCE;
        loop {
            match write_some(writer.as_fd(), &i.to_le_bytes()) {
                Ok(Some(4)) => break,
                Ok(_) => {
                    assert!(Instant::now() < give_up, "the pipe stayed full");
                    thread::sleep(Duration::from_millis(1));
                }
                Err(err) if err.kind() == ErrorKind::BrokenPipe => return writer,
                Err(err) => panic!("writing message {i}: {err}"),
            }
        }
        counter.write(1).unwrap();
    }
    writer
}

/// Waits until `done()`, and panics after `PATIENCE`.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    signal_storm::wait_until(what, PATIENCE, done);
}

fn run_delivers_every_message_in_order_and_stops_through_a_signal_storm() {
    assert_no_fd_leaks(|| {
        let (reader, writer) = pipe();
        let counter = Arc::new(EventFd::new(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC).unwrap());
        let received = Arc::new(AtomicU64::new(0));
        let (ready, signal_and_tid) = mpsc::channel();
        let looping = {
            let counter = Arc::clone(&counter);
            let received = Arc::clone(&received);
            thread::spawn(move || loop_thread(reader, counter, received, ready))
        };
        let (signal, tid, raw_tid) = signal_and_tid.recv().unwrap();
        tid.wait_until_blocked_in("epoll", PATIENCE).unwrap();

        let (writer, storm) = signal_storm::during(&looping, raw_tid, |gauge| {
            // The storm reaches the loop before the first message. If the
            // loop returns (with an error) instead, the test goes on to
            // report the error.
            wait_until("the storm reached the loop", || {
                gauge.handled() >= 100 || looping.is_finished()
            });
            let producer = thread::spawn(move || produce(writer, counter));
            wait_until("every message arrived", || {
                received.load(Ordering::Acquire) == u64::from(MESSAGES) || looping.is_finished()
            });
            let writer = producer.join().unwrap();
            // Stopped while the storm goes on.
            signal.stop();
            wait_until("run returned", || looping.is_finished());
            writer
        });
        let LoopOutcome {
            result,
            seen,
            waits,
        } = looping.join().unwrap();
        drop(writer);

        eprintln!(
            "signal storm: {} signals handled on the loop's thread in {:.2?} ({:.0}/s; {} sent, \
             {} handled elsewhere); {} of its {} epoll_wait calls interrupted (EINTR); \
             {} messages and {} eventfd counts delivered in {} dispatches",
            storm.handled,
            storm.elapsed,
            storm.handled_per_second(),
            storm.sent,
            storm.handled_elsewhere,
            waits.interrupted,
            waits.calls,
            seen.next,
            seen.counted,
            seen.dispatches,
        );
        if let Err(err) = result {
            panic!("run failed: {err}");
        }
        assert_eq!(
            (seen.out_of_order, seen.first_out_of_order),
            (0, None),
            "messages out of order (expected, got)"
        );
        assert_eq!(seen.next, MESSAGES, "every message, once");
        assert!(seen.partial.is_empty());
        assert_eq!(seen.counted, u64::from(MESSAGES), "every eventfd count");
        assert_eq!(
            storm.handled_elsewhere, 0,
            "the signals hit the loop's thread"
        );
        assert!(storm.handled >= 1000, "only {} handled", storm.handled);
        assert!(
            waits.interrupted >= 1000,
            "only {} waits interrupted",
            waits.interrupted
        );
    });
}

fn a_timed_dispatch_waits_out_its_timeout_through_a_signal_storm() {
    assert_no_fd_leaks(|| {
        let (ready, tid_rx) = mpsc::channel();
        let (go, go_rx) = mpsc::channel::<()>();
        let looping = thread::spawn(move || {
            let mut event_loop: EventLoop<'_, u64> = EventLoop::new().unwrap();
            // A source that stays quiet: its pipe is empty and open.
            let (source, _writer) = readable_pipe(b"");
            event_loop
                .handle()
                .insert_source(source, |_, _, calls: &mut u64| {
                    *calls += 1;
                    Ok(PostAction::Continue)
                })
                .unwrap();
            // SAFETY: gettid takes no arguments and cannot fail.
            ready.send(unsafe { libc::gettid() }).unwrap();
            go_rx.recv().unwrap();
            let mut calls = 0;
            let before = epoll_waits_on_this_thread();
            let start = Instant::now();
            let result = event_loop.dispatch(Some(TIMEOUT), &mut calls);
            let elapsed = start.elapsed();
            let after = epoll_waits_on_this_thread();
            (
                result,
                elapsed,
                calls,
                after.calls - before.calls,
                after.interrupted - before.interrupted,
            )
        });
        let tid = tid_rx.recv().unwrap();
        let ((), storm) = signal_storm::during(&looping, tid, |gauge| {
            wait_until("the storm reached the loop's thread", || {
                gauge.handled() >= 100
            });
            go.send(()).unwrap();
            wait_until("dispatch returned", || looping.is_finished());
        });
        let (result, elapsed, calls, waits, interrupted) = looping.join().unwrap();
        eprintln!(
            "idle signal storm: dispatch(Some({TIMEOUT:?})) returned after {elapsed:.2?}; \
             {interrupted} of its {waits} epoll_wait calls interrupted; {} signals handled \
             ({:.0}/s)",
            storm.handled,
            storm.handled_per_second(),
        );
        if let Err(err) = result {
            panic!("dispatch failed: {err}");
        }
        // A lower bound only: the wait is not cut short.
        assert!(elapsed >= TIMEOUT, "returned early, after {elapsed:?}");
        assert_eq!(calls, 0, "no source had an event");
        assert_eq!(storm.handled_elsewhere, 0);
        assert!(
            interrupted >= 100,
            "only {interrupted} of {waits} waits interrupted"
        );
        assert!(waits > interrupted, "waited again after each EINTR");
    });
}
