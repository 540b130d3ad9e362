//! The reactor under a storm of signals. A handler installed without
//! `SA_RESTART` runs on the reactor's thread thousands of times a second;
//! each one that comes while the thread is blocked makes `epoll_wait` fail
//! with `EINTR` (`man 7 signal`). `Reactor::turn` waits through chapter 4's
//! `Epoll::wait`, which waits again to the same deadline, so `run` and
//! `turn` never see the error.
//!
//! The binary counts its own `epoll_wait` calls (`testkit::interpose`). A
//! signal handler belongs to the whole process, so the binary has no
//! harness (Cargo.toml): `main` runs the tests one after another on the
//! process's only thread.

mod common;

use ch05_eventfd_wakeups::{EventFd, Tid};
use ch07_a_reactor::io::{read_some, write_some};
use ch07_a_reactor::{Interest, Reactor, Turn};
use common::pipe;
use std::cell::RefCell;
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, OwnedFd};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use testkit::interpose::{EpollWaits, epoll_waits_on_this_thread};
use testkit::single_thread::{self, assert_one_thread};
use testkit::{assert_no_fd_leaks, signal_storm};

testkit::count_epoll_waits!();

/// Messages the producer sends, one every `PACE`: 0.45 s in all.
const MESSAGES: u32 = 3_000;
const PACE: Duration = Duration::from_micros(150);
/// A bound against hanging, never a measurement.
const PATIENCE: Duration = Duration::from_secs(10);
/// The idle test's timeout.
const TIMEOUT: Duration = Duration::from_millis(200);

fn main() {
    single_thread::run_checked(
        &[
            (
                "run_delivers_every_message_in_order_through_a_signal_storm",
                run_delivers_every_message_in_order_through_a_signal_storm,
            ),
            (
                "a_timed_turn_waits_out_its_timeout_through_a_signal_storm",
                a_timed_turn_waits_out_its_timeout_through_a_signal_storm,
            ),
        ],
        assert_one_thread,
    );
}

/// What the pipe's handler saw.
#[derive(Debug, Default)]
struct Seen {
    next: u32,
    out_of_order: u64,
    partial: Vec<u8>,
}

/// The reactor's thread: the pipe's read end, and an eventfd whose handler
/// stops the run; sends its thread id, runs, and returns what `run`
/// returned, what the handler saw and its `epoll_wait` calls.
fn reactor_thread(
    reader: OwnedFd,
    stop: Arc<EventFd>,
    received: Arc<AtomicU32>,
    ready: mpsc::Sender<(Tid, libc::pid_t)>,
) -> (io::Result<()>, Seen, EpollWaits) {
    let mut reactor = Reactor::new().unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let in_handler = Rc::clone(&seen);
    reactor
        .register(reader, Interest::READABLE, move |pipe: &OwnedFd, _, _| {
            let mut seen = in_handler.borrow_mut();
            let mut buf = [0; 4096];
            // Edge-triggered: read until the pipe is empty.
            while let Some(n) = read_some(pipe.as_fd(), &mut buf)? {
                if n == 0 {
                    break;
                }
                seen.partial.extend_from_slice(&buf[..n]);
                let whole = seen.partial.len() / 4 * 4;
                let numbers: Vec<u32> = seen.partial[..whole]
                    .chunks_exact(4)
                    .map(|c| u32::from_le_bytes(c.try_into().expect("4 bytes")))
                    .collect();
                seen.partial.drain(..whole);
                for number in numbers {
                    seen.out_of_order += u64::from(number != seen.next);
                    seen.next = number.wrapping_add(1);
                }
            }
            received.store(seen.next, Ordering::Release);
            Ok(())
        })
        .unwrap();
    reactor
        .register(stop, Interest::READABLE, |stop: &Arc<EventFd>, cx, _| {
            match stop.read() {
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                result => {
                    result?;
                }
            }
            cx.stop();
            Ok(())
        })
        .unwrap();
    // SAFETY: gettid takes no arguments and cannot fail.
    ready
        .send((Tid::current(), unsafe { libc::gettid() }))
        .unwrap();
    let result = reactor.run(None);
    let seen = seen.take();
    (result, seen, epoll_waits_on_this_thread())
}

/// Writes message `i` (its number, 4 bytes, which a pipe writes in one
/// piece) at `i * PACE` from now. Stops early if the read end is gone
/// (`EPIPE`): the reactor has returned, and the test reports why.
fn produce(writer: &OwnedFd) {
    let start = Instant::now();
    for i in 0..MESSAGES {
        if let Some(early) = (start + PACE * i).checked_duration_since(Instant::now()) {
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
                Err(err) if err.kind() == ErrorKind::BrokenPipe => return,
                Err(err) => panic!("writing message {i}: {err}"),
            }
        }
    }
}

/// Waits until `done()`, and panics after `PATIENCE`.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    signal_storm::wait_until(what, PATIENCE, done);
}

fn run_delivers_every_message_in_order_through_a_signal_storm() {
    assert_no_fd_leaks(|| {
        let (reader, writer) = pipe();
        let stop = Arc::new(EventFd::new(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC).unwrap());
        let received = Arc::new(AtomicU32::new(0));
        let (ready, ids) = mpsc::channel();
        let running = {
            let stop = Arc::clone(&stop);
            let received = Arc::clone(&received);
            thread::spawn(move || reactor_thread(reader, stop, received, ready))
        };
        let (tid, raw_tid) = ids.recv().unwrap();
        tid.wait_until_blocked_in("epoll", PATIENCE).unwrap();

        let ((), storm) = signal_storm::during(&running, raw_tid, |gauge| {
            // If `run` returns (with an error) instead, the test goes on
            // to report the error.
            wait_until("the storm reached the reactor", || {
                gauge.handled() >= 100 || running.is_finished()
            });
            produce(&writer);
            wait_until("every message arrived", || {
                received.load(Ordering::Acquire) == MESSAGES || running.is_finished()
            });
            // Another thread stops the reactor the only way it can: through
            // an fd it watches.
            if !running.is_finished() {
                stop.write(1).unwrap();
            }
            wait_until("run returned", || running.is_finished());
        });
        let (result, seen, waits) = running.join().unwrap();
        drop(writer);
        eprintln!(
            "reactor signal storm: {} signals handled on the reactor's thread in {:.2?} \
             ({:.0}/s; {} sent, {} elsewhere); {} of its {} epoll_wait calls interrupted; \
             {} messages delivered",
            storm.handled,
            storm.elapsed,
            storm.handled_per_second(),
            storm.sent,
            storm.handled_elsewhere,
            waits.interrupted,
            waits.calls,
            seen.next,
        );
        result.expect("run failed");
        assert_eq!(seen.out_of_order, 0);
        assert_eq!(seen.next, MESSAGES, "every message, once, in order");
        assert!(seen.partial.is_empty());
        assert_eq!(
            storm.handled_elsewhere, 0,
            "the signals hit the reactor's thread"
        );
        assert!(storm.handled >= 1000, "only {} handled", storm.handled);
        assert!(
            waits.interrupted >= 500,
            "only {} waits interrupted",
            waits.interrupted
        );
    });
}

fn a_timed_turn_waits_out_its_timeout_through_a_signal_storm() {
    assert_no_fd_leaks(|| {
        let (ready, tids) = mpsc::channel();
        let (go, go_rx) = mpsc::channel::<()>();
        let turning = thread::spawn(move || {
            let mut reactor = Reactor::new().unwrap();
            let (reader, writer) = pipe();
            reactor
                .register(reader, Interest::READABLE, |_: &OwnedFd, _, _| Ok(()))
                .unwrap();
            // SAFETY: gettid takes no arguments and cannot fail.
            ready.send(unsafe { libc::gettid() }).unwrap();
            go_rx.recv().unwrap();
            let before = epoll_waits_on_this_thread();
            let start = Instant::now();
            let turn = reactor.turn(Some(TIMEOUT));
            let elapsed = start.elapsed();
            let after = epoll_waits_on_this_thread();
            drop(writer);
            (
                turn,
                elapsed,
                after.calls - before.calls,
                after.interrupted - before.interrupted,
            )
        });
        let tid = tids.recv().unwrap();
        let ((), storm) = signal_storm::during(&turning, tid, |gauge| {
            wait_until("the storm reached the reactor's thread", || {
                gauge.handled() >= 100
            });
            go.send(()).unwrap();
            wait_until("turn returned", || turning.is_finished());
        });
        let (turn, elapsed, waits, interrupted) = turning.join().unwrap();
        eprintln!(
            "idle reactor signal storm: turn(Some({TIMEOUT:?})) returned after {elapsed:.2?}; \
             {interrupted} of its {waits} epoll_wait calls interrupted; {} signals handled \
             ({:.0}/s)",
            storm.handled,
            storm.handled_per_second(),
        );
        assert_eq!(turn.expect("turn failed"), Turn::default(), "no event");
        // A lower bound only: the wait is not cut short.
        assert!(elapsed >= TIMEOUT, "returned early, after {elapsed:?}");
        assert_eq!(storm.handled_elsewhere, 0);
        assert!(
            interrupted >= 100,
            "only {interrupted} of {waits} waits interrupted"
        );
        assert!(waits > interrupted, "waited again after each EINTR");
    });
}
