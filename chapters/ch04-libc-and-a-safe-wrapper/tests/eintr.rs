//! `Epoll::wait` and signal handlers. A handler installed with `SA_RESTART`
//! still interrupts a blocked epoll wait (`man 7 signal`); rustix hands
//! the `EINTR` to its caller, and the wrapper waits on, to the same
//! deadline, without letting the error out.
//!
//! A signal handler belongs to the whole process, so the tests here take
//! turns (`LOCK`), and each puts the previous handler back when done.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use rustix::event::epoll as rx;
use std::ffi::c_int;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};
use std::thread;
use std::time::{Duration, Instant};

static LOCK: Mutex<()> = Mutex::new(());

/// How many times the handler has run, in any thread.
static HANDLED: AtomicUsize = AtomicUsize::new(0);

/// How long anything may take before the test gives up: a bound against
/// hanging, never a measurement.
const PATIENCE: Duration = Duration::from_secs(10);

extern "C" fn count_signal(_signal: c_int) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// A SIGUSR1 handler that counts, installed with SA_RESTART; the previous
/// action comes back on drop.
struct Handler {
    previous: libc::sigaction,
}

impl Handler {
    fn install() -> Handler {
        // SAFETY: all-zero bytes are a valid sigaction (no flags, an empty
        // mask, the default handler), and the fields are set below.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = count_signal as extern "C" fn(c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `sa_mask` is ours to write.
        assert_eq!(unsafe { libc::sigemptyset(&mut action.sa_mask) }, 0);
        // SAFETY: as above; the kernel overwrites it with the old action.
        let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: both point to live sigactions, and the handler only does
        // async-signal-safe work (an atomic add).
        let ret = unsafe { libc::sigaction(libc::SIGUSR1, &action, &mut previous) };
        assert_eq!(ret, 0);
        Handler { previous }
    }
}

impl Drop for Handler {
    fn drop(&mut self) {
        // SAFETY: `previous` is the action sigaction gave us.
        let ret = unsafe { libc::sigaction(libc::SIGUSR1, &self.previous, std::ptr::null_mut()) };
        assert_eq!(ret, 0);
    }
}

/// The calling thread, as `pthread_kill` and /proc know it.
struct Target {
    thread: libc::pthread_t,
    tid: libc::pid_t,
}

impl Target {
    fn current() -> Target {
        // SAFETY: neither call takes arguments or can fail.
        unsafe {
            Target {
                thread: libc::pthread_self(),
                tid: libc::gettid(),
            }
        }
    }

    /// Waits until the thread sleeps in the kernel (state `S` in
    /// /proc/self/task/<tid>/stat).
    fn wait_until_asleep(&self) {
        let path = format!("/proc/self/task/{}/stat", self.tid);
        let start = Instant::now();
        loop {
            let stat = std::fs::read_to_string(&path).unwrap();
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            if state == Some("S") {
                return;
            }
            assert!(start.elapsed() < PATIENCE, "the thread never slept");
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// Sends SIGUSR1. The thread must not have been joined yet.
    fn signal(&self) {
        // SAFETY: the caller keeps the thread unjoined, so `self.thread`
        // still names it, even if it has already returned.
        let ret = unsafe { libc::pthread_kill(self.thread, libc::SIGUSR1) };
        assert_eq!(ret, 0);
    }
}

/// Runs `wait` on a new thread and signals it every 5 ms, once it has gone
/// to sleep, until it returns. `during` runs once `signals_first` signals
/// have been handled. Returns what `wait` returned, how long it took, and
/// how many signals were handled meanwhile.
fn under_a_signal_storm<T: Send>(
    signals_first: usize,
    wait: impl FnOnce() -> T + Send,
    during: impl FnOnce(),
) -> (T, Duration, usize) {
    let before = HANDLED.load(Ordering::SeqCst);
    thread::scope(|scope| {
        let (send_target, target) = mpsc::channel();
        let waiter = scope.spawn(move || {
            send_target.send(Target::current()).unwrap();
            let start = Instant::now();
            let value = wait();
            (value, start.elapsed())
        });
        let target = target.recv().unwrap();
        target.wait_until_asleep();
        let start = Instant::now();
        let mut during = Some(during);
        while !waiter.is_finished() {
            assert!(start.elapsed() < PATIENCE, "the wait never ended");
            target.signal();
            thread::sleep(Duration::from_millis(5));
            if HANDLED.load(Ordering::SeqCst) - before >= signals_first {
                if let Some(during) = during.take() {
                    during();
                }
            }
        }
        let (value, elapsed) = waiter.join().unwrap();
        (value, elapsed, HANDLED.load(Ordering::SeqCst) - before)
    })
}

#[test]
fn a_signal_interrupts_rustixs_wait_and_it_returns_eintr() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let handler = Handler::install();
    let epoll = rx::create(rx::CreateFlags::CLOEXEC).unwrap();
    let (reader, _writer) = io::pipe().unwrap();
    rx::add(
        &epoll,
        &reader,
        rx::EventData::new_u64(1),
        rx::EventFlags::IN,
    )
    .unwrap();
    let (result, _, handled) = under_a_signal_storm(
        usize::MAX,
        || {
            let mut buf = Vec::with_capacity(4);
            rx::wait(&epoll, rustix::buffer::spare_capacity(&mut buf), None)
        },
        || {},
    );
    drop(handler);
    assert!(handled >= 1);
    assert_eq!(result, Err(rustix::io::Errno::INTR));
}

// ANCHOR: storm_timeout
#[test]
fn a_wait_keeps_its_deadline_through_a_signal_storm() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let handler = Handler::install();
    let epoll = Epoll::new().unwrap();
    let (reader, _writer) = io::pipe().unwrap();
    epoll.add(&reader, IN, 1).unwrap();
    let timeout = Duration::from_millis(200);
    // A signal every 5 ms: a loop that restarted the full 200 ms after each
    // one would never return, and the storm would go on until PATIENCE ran
    // out and failed the test.
    let (result, elapsed, handled) = under_a_signal_storm(
        usize::MAX,
        || epoll.wait(&mut Events::with_capacity(4), Some(timeout)),
        || {},
    );
    drop(handler);
    assert_eq!(result.unwrap(), 0, "a timeout, and no error");
    assert!(elapsed >= timeout, "returned early: {elapsed:?}");
    assert!(handled >= 2, "the storm hit the wait {handled} time(s)");
}
// ANCHOR_END: storm_timeout

#[test]
fn an_event_during_a_signal_storm_is_delivered() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let handler = Handler::install();
    let epoll = Epoll::new().unwrap();
    let (reader, mut writer) = io::pipe().unwrap();
    epoll.add(&reader, IN, 7).unwrap();
    let (result, _, handled) = under_a_signal_storm(
        5,
        || {
            let mut events = Events::with_capacity(4);
            epoll
                .wait(&mut events, Some(PATIENCE))
                .map(|n| (n, events.iter().next().map(|e| e.token())))
        },
        || writer.write_all(b"x").unwrap(),
    );
    drop(handler);
    assert!(handled >= 5);
    assert_eq!(result.unwrap(), (1, Some(7)));
}
