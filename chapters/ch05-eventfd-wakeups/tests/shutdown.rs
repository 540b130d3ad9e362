//! Stopping a loop that waits with no timeout, from another thread, and
//! joining it, with every descriptor closed afterwards. All tests in this
//! binary go through `assert_no_fd_leaks`, which runs them one at a time.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events};
use ch05_eventfd_wakeups::{Tid, Waker};
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use testkit::assert_no_fd_leaks;

const WAKER: u64 = 0;
const PATIENCE: Duration = Duration::from_secs(5);

/// A loop that waits with no timeout until it is asked to stop; returns
/// how many times it woke up.
fn run_loop(epoll: Epoll, waker: Waker, stop: Arc<AtomicBool>) -> io::Result<u32> {
    let mut events = Events::with_capacity(4);
    let mut wakeups = 0;
    loop {
        epoll.wait(&mut events, None)?;
        wakeups += 1;
        for event in events.iter() {
            if event.token() == WAKER {
                waker.drain()?;
                if stop.load(Ordering::Acquire) {
                    return Ok(wakeups);
                }
            }
        }
    }
}

/// Starts a loop thread; returns its handle, a waker, the stop flag and
/// the loop thread's id.
fn start() -> (
    thread::JoinHandle<io::Result<u32>>,
    Waker,
    Arc<AtomicBool>,
    Tid,
) {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, WAKER).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (tid_tx, tid_rx) = mpsc::channel();
    let handle = {
        let (waker, stop) = (waker.clone(), Arc::clone(&stop));
        thread::spawn(move || {
            tid_tx.send(Tid::current()).unwrap();
            run_loop(epoll, waker, stop)
        })
    };
    (handle, waker, stop, tid_rx.recv().unwrap())
}

fn request_stop(waker: &Waker, stop: &AtomicBool) {
    stop.store(true, Ordering::Release);
    waker.wake().unwrap();
}

/// Joins the loop thread and returns its wake-up count. The loop waits
/// with no timeout, so a lost wake would keep it waiting for ever: the
/// join gives up after PATIENCE and fails the test instead of hanging it.
fn join(handle: thread::JoinHandle<io::Result<u32>>) -> u32 {
    let deadline = Instant::now() + PATIENCE;
    while !handle.is_finished() {
        assert!(Instant::now() < deadline, "the loop never returned");
        thread::sleep(Duration::from_millis(1));
    }
    handle.join().unwrap().unwrap()
}

#[test]
fn a_loop_blocked_with_no_timeout_is_stopped_and_joined() {
    assert_no_fd_leaks(|| {
        let (handle, waker, stop, tid) = start();
        let blocked = tid.wait_until_blocked_in("epoll", PATIENCE);
        request_stop(&waker, &stop);
        assert_eq!(join(handle), 1);
        blocked.unwrap();
    });
}

#[test]
fn a_stop_requested_before_the_loop_waits_is_not_lost() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let waker = Waker::new(&epoll, WAKER).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        request_stop(&waker, &stop);
        let handle = {
            let (waker, stop) = (waker.clone(), Arc::clone(&stop));
            thread::spawn(move || run_loop(epoll, waker, stop))
        };
        assert_eq!(join(handle), 1);
    });
}

#[test]
fn a_wake_without_a_stop_request_keeps_the_loop_running() {
    assert_no_fd_leaks(|| {
        let (handle, waker, stop, tid) = start();
        tid.wait_until_blocked_in("epoll", PATIENCE).unwrap();
        waker.wake().unwrap();
        // The loop woke up, found no request, and went back to sleep.
        tid.wait_until_blocked_in("epoll", PATIENCE).unwrap();
        assert!(!handle.is_finished());
        request_stop(&waker, &stop);
        assert_eq!(join(handle), 2);
    });
}

#[test]
fn stopping_many_loops_in_a_row_never_hangs_or_leaks() {
    assert_no_fd_leaks(|| {
        for _ in 0..50 {
            // No waiting for the loop to block: the request races with the
            // loop's start, and must win whichever comes first.
            let (handle, waker, stop, _tid) = start();
            request_stop(&waker, &stop);
            let wakeups = join(handle);
            assert_eq!(wakeups, 1);
        }
    });
}
