//! A storm of signals aimed at one thread, to show that a loop survives
//! signal handlers interrupting its waits.
//!
//! [`during`] installs a handler for [`SIGNAL`] *without* `SA_RESTART`,
//! starts a thread that sends the signal to the target thread with
//! `pthread_kill(3)` as fast as the target takes them (one in flight at a
//! time, so none are merged while pending), runs the caller's code, and
//! stops the storm. Per `man 7 signal`, a handler that interrupts a thread
//! blocked in `epoll_wait(2)` makes the call fail with `EINTR`, with or
//! without `SA_RESTART`.
//!
//! The handler counts how often it ran on the target thread (it compares
//! `gettid()` with the target's id) and elsewhere, so a test can tell that
//! the signals hit the thread it meant.
//!
//! A signal handler belongs to the whole process: storms take turns, and
//! each puts the previous handler back once no signal is left pending.

use std::ffi::c_int;
use std::fs;
use std::os::unix::thread::JoinHandleExt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The signal the storm sends.
pub const SIGNAL: c_int = libc::SIGALRM;

/// How long the storm waits for one signal to be handled before it sends
/// the next anyway (the target may be off the CPU for a while), and for
/// the last one before it puts the old handler back.
const HANDLING_PATIENCE: Duration = Duration::from_millis(2);
const PENDING_PATIENCE: Duration = Duration::from_secs(10);

static TURN: Mutex<()> = Mutex::new(());
static TARGET_TID: AtomicI32 = AtomicI32::new(0);
static ON_TARGET: AtomicU64 = AtomicU64::new(0);
static ELSEWHERE: AtomicU64 = AtomicU64::new(0);

extern "C" fn count_signal(_signal: c_int) {
    // SAFETY: gettid takes no arguments and cannot fail; it is a system
    // call, async-signal-safe like the atomic adds.
    let tid = unsafe { libc::gettid() };
    if tid == TARGET_TID.load(Ordering::SeqCst) {
        ON_TARGET.fetch_add(1, Ordering::SeqCst);
    } else {
        ELSEWHERE.fetch_add(1, Ordering::SeqCst);
    }
}

/// What a storm did.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Report {
    /// Signals sent (`pthread_kill` calls that succeeded).
    pub sent: u64,
    /// Times the handler ran on the target thread.
    pub handled: u64,
    /// Times it ran on any other thread: 0, for a storm aimed well.
    pub handled_elsewhere: u64,
    /// How long the storm lasted.
    pub elapsed: Duration,
}

impl Report {
    /// Signals handled on the target thread per second of storm.
    pub fn handled_per_second(&self) -> f64 {
        self.handled as f64 / self.elapsed.as_secs_f64()
    }
}

/// A look at the storm while it goes on.
#[derive(Debug)]
pub struct Gauge {
    /// The handler's count on the target when the storm began.
    base: u64,
}

impl Gauge {
    /// Times the handler has run on the target thread so far in this
    /// storm.
    pub fn handled(&self) -> u64 {
        ON_TARGET.load(Ordering::SeqCst) - self.base
    }
}

/// The installed handler; the previous action comes back on drop, once no
/// signal is pending for the target any more (a pending one delivered
/// after the old action is back could end the process: the default action
/// of SIGALRM is to terminate it).
struct Installed {
    previous: libc::sigaction,
    tid: libc::pid_t,
}

impl Installed {
    fn install(tid: libc::pid_t) -> Installed {
        // SAFETY: all-zero bytes are a valid sigaction (no flags, an empty
        // mask, the default handler); the fields that matter are set below.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = count_signal as extern "C" fn(c_int) as libc::sighandler_t;
        // No SA_RESTART: interrupted calls fail with EINTR.
        action.sa_flags = 0;
        // SAFETY: `sa_mask` is a sigset_t of ours to initialise.
        assert_eq!(unsafe { libc::sigemptyset(&mut action.sa_mask) }, 0);
        // SAFETY: all-zero bytes are a valid sigaction, for the kernel to
        // overwrite with the previous action.
        let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are to live sigactions, and the handler
        // does only async-signal-safe work (gettid, atomic adds).
        let ret = unsafe { libc::sigaction(SIGNAL, &action, &mut previous) };
        assert_eq!(ret, 0, "sigaction: {}", std::io::Error::last_os_error());
        Installed { previous, tid }
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        let give_up = Instant::now() + PENDING_PATIENCE;
        while signal_pending_for(self.tid) {
            if Instant::now() > give_up {
                // Leave the counting handler in place rather than let a
                // late signal kill the process.
                return;
            }
            thread::sleep(Duration::from_millis(1));
        }
        // SAFETY: `previous` is the action sigaction gave back.
        let ret = unsafe { libc::sigaction(SIGNAL, &self.previous, std::ptr::null_mut()) };
        assert_eq!(ret, 0, "sigaction: {}", std::io::Error::last_os_error());
    }
}

/// Whether [`SIGNAL`] is pending for thread `tid`: the `SigPnd` mask of
/// `/proc/self/task/<tid>/status` (`man 5 proc`). A thread that has exited
/// has no such file, and nothing pending.
fn signal_pending_for(tid: libc::pid_t) -> bool {
    let Ok(status) = fs::read_to_string(format!("/proc/self/task/{tid}/status")) else {
        return false;
    };
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("SigPnd:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
        .expect("a SigPnd line with a hexadecimal mask");
    mask & (1 << (SIGNAL - 1)) != 0
}

/// Sets `stop` when dropped: the storm ends even if the caller's code
/// panics.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Sends [`SIGNAL`] to `target` (the thread whose kernel id, from
/// `gettid()`, is `tid`) over and over while `f` runs, and returns what `f`
/// returned and what the storm did.
///
/// `target` is borrowed for the whole storm, so it cannot be joined, and
/// its `pthread_t` stays valid (even once the thread has returned).
pub fn during<T, R>(
    target: &JoinHandle<T>,
    tid: libc::pid_t,
    f: impl FnOnce(&Gauge) -> R,
) -> (R, Report) {
    let _turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    TARGET_TID.store(tid, Ordering::SeqCst);
    let handled_before = ON_TARGET.load(Ordering::SeqCst);
    let elsewhere_before = ELSEWHERE.load(Ordering::SeqCst);
    let thread = target.as_pthread_t();
    let installed = Installed::install(tid);
    let stop = AtomicBool::new(false);
    let start = Instant::now();
    let (result, sent) = thread::scope(|scope| {
        let stormer = scope.spawn(|| {
            let mut sent = 0;
            while !stop.load(Ordering::SeqCst) {
                let before = ON_TARGET.load(Ordering::SeqCst);
                // SAFETY: `target` is borrowed until this scope ends, so
                // the thread is not joined and `thread` still names it.
                if unsafe { libc::pthread_kill(thread, SIGNAL) } != 0 {
                    break; // ESRCH: the target is gone.
                }
                sent += 1;
                // One signal in flight: wait (a little) until it is handled.
                let give_up = Instant::now() + HANDLING_PATIENCE;
                while ON_TARGET.load(Ordering::SeqCst) == before
                    && Instant::now() < give_up
                    && !stop.load(Ordering::SeqCst)
                {
                    thread::yield_now();
                }
            }
            sent
        });
        let result = {
            let _stop = StopOnDrop(&stop);
            f(&Gauge {
                base: handled_before,
            })
        };
        (result, stormer.join().expect("the storm thread panicked"))
    });
    let elapsed = start.elapsed();
    drop(installed);
    let report = Report {
        sent,
        handled: ON_TARGET.load(Ordering::SeqCst) - handled_before,
        handled_elsewhere: ELSEWHERE.load(Ordering::SeqCst) - elsewhere_before,
        elapsed,
    };
    (result, report)
}

/// Polls `done` every millisecond until it holds; panics, naming `what`,
/// after `patience`. A bound against a hang, not a timing assertion.
pub fn wait_until(what: &str, patience: Duration, done: impl Fn() -> bool) {
    let give_up = Instant::now() + patience;
    while !done() {
        assert!(Instant::now() < give_up, "gave up waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}
