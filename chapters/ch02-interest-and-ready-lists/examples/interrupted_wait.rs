//! A signal handler interrupts a blocked `epoll_wait`, and `SA_RESTART`
//! does not help: `man 7 signal` lists `epoll_wait` among the calls that
//! are never restarted. A blocked `read` on a pipe, with the same handler,
//! is restarted. `wait_retrying_eintr` waits through the interruptions.
//!
//! Signals get a chapter of their own later; this one uses the `libc` crate
//! (a dev-dependency) for `sigaction` and `pthread_kill`, and nothing else.
//!
//! Run it with `cargo run -p ch02-interest-and-ready-lists --example interrupted_wait`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::error::check;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLIN, Event, O_CLOEXEC, epoll_create1, epoll_wait, errno, pipe2, read, write,
};
use ch02_interest_and_ready_lists::errors::errno_name;
use ch02_interest_and_ready_lists::{add, wait_retrying_eintr};
use std::ffi::c_int;
use std::fs;
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long any step may take before the experiment gives up on it.
const PATIENCE: Duration = Duration::from_secs(5);

/// How many times the handler has run, in any thread.
pub static HANDLED: AtomicUsize = AtomicUsize::new(0);

// ANCHOR: handler
/// The handler: it counts, and that is all. Only async-signal-safe work is
/// allowed in a handler, and an atomic add is; printing is not.
extern "C" fn count_signal(_signal: c_int) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// A SIGUSR1 handler installed with `SA_RESTART`. Dropping it puts back
/// whatever was there before.
pub struct RestartingHandler {
    previous: libc::sigaction,
}

impl RestartingHandler {
    pub fn install() -> io::Result<RestartingHandler> {
        // SAFETY: `sigaction` holds only integers, a bit set and an optional
        // function pointer, and all-zero bytes are a valid value of each
        // (no flags, no signals, `None`).
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = count_signal as extern "C" fn(c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `sa_mask` is a sigset_t we own; sigemptyset only writes it.
        check("sigemptyset", unsafe {
            libc::sigemptyset(&mut action.sa_mask)
        })?;
        // SAFETY: as above, zero is a valid sigaction; the kernel overwrites it.
        let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers point to live sigaction values, and the
        // handler we install does only async-signal-safe work.
        let ret = unsafe { libc::sigaction(libc::SIGUSR1, &action, &mut previous) };
        check("sigaction", ret)?;
        Ok(RestartingHandler { previous })
    }
}

impl Drop for RestartingHandler {
    fn drop(&mut self) {
        // SAFETY: `previous` is the action sigaction gave us, so putting it
        // back installs nothing new.
        let ret = unsafe { libc::sigaction(libc::SIGUSR1, &self.previous, std::ptr::null_mut()) };
        assert_eq!(ret, 0, "restoring the previous SIGUSR1 action");
    }
}
// ANCHOR_END: handler

/// A thread that can be sent a signal and watched.
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

    /// Waits until the thread sleeps in the kernel: its state in
    /// /proc/self/task/<tid>/stat is `S`, interruptible sleep.
    fn wait_until_asleep(&self) -> io::Result<()> {
        let path = format!("/proc/self/task/{}/stat", self.tid);
        let deadline = Instant::now() + PATIENCE;
        loop {
            let stat = fs::read_to_string(&path)?;
            // "<tid> (<name>) <state> ...": the name may hold spaces and
            // parentheses, so the state is the first word after the last ')'.
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            if state == Some("S") {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    "the thread never went to sleep",
                ));
            }
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// Sends SIGUSR1 to the thread, and waits until the handler has run.
    fn interrupt(&self) -> io::Result<()> {
        let before = HANDLED.load(Ordering::SeqCst);
        // SAFETY: the thread is alive: it is blocked in the call we are
        // interrupting, and its scope joins it only after we return.
        let ret = unsafe { libc::pthread_kill(self.thread, libc::SIGUSR1) };
        if ret != 0 {
            return Err(io::Error::from_raw_os_error(ret));
        }
        let deadline = Instant::now() + PATIENCE;
        while HANDLED.load(Ordering::SeqCst) == before {
            if Instant::now() > deadline {
                return Err(io::Error::new(ErrorKind::TimedOut, "the handler never ran"));
            }
            thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    }
}

// ANCHOR: interrupt_while_blocked
/// Runs `blocking_call` on a new thread and, each time it sleeps in the
/// kernel, sends it SIGUSR1, `signals` times. Then gives it `grace` to
/// return by itself; if it has not, calls `release` (which must make the
/// call return, say by writing to a pipe). Returns what the call returned.
pub fn interrupt_while_blocked<T: Send>(
    signals: usize,
    grace: Duration,
    blocking_call: impl FnOnce() -> T + Send,
    release: impl FnOnce() -> io::Result<()>,
) -> io::Result<T> {
    thread::scope(|scope| {
        let (send_target, target) = mpsc::channel();
        let worker = scope.spawn(move || {
            send_target.send(Target::current()).ok();
            blocking_call()
        });
        let signalled = target
            .recv()
            .map_err(|_| io::Error::other("the worker died before it started"))
            .and_then(|target| {
                (0..signals).try_for_each(|_| {
                    target.wait_until_asleep()?;
                    target.interrupt()
                })
            });
        // Whatever happened above, the worker must not stay blocked: the
        // scope joins it before returning.
        let deadline = Instant::now() + grace;
        while !worker.is_finished() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(1));
        }
        let released = if worker.is_finished() {
            Ok(())
        } else {
            release()
        };
        let value = worker.join().expect("the blocking call panicked");
        signalled.and(released).map(|()| value)
    })
}
// ANCHOR_END: interrupt_while_blocked

/// `(token, event bits)` of each event a wait returned: plain numbers,
/// which can travel back from the waiting thread (an `Event` cannot, as it
/// may hold a pointer).
type Ready = Vec<(u64, u32)>;

fn ready_of(events: &[Event]) -> Ready {
    events
        .iter()
        .map(|event| (event.token(), event.events))
        .collect()
}

/// `Ok, n event(s): token t (BITS)` or the error, for a wait's result.
fn describe_wait(result: &io::Result<Ready>) -> String {
    match result {
        Ok(ready) => {
            let shown: Vec<String> = ready
                .iter()
                .map(|&(token, bits)| format!("token {token} ({})", event_names(bits)))
                .collect();
            format!("Ok, {} event(s): {}", ready.len(), shown.join(", "))
        }
        Err(err) => describe_error(err),
    }
}

/// `Err, NAME (kind Kind)`, then the message on a line of its own.
fn describe_error(err: &io::Error) -> String {
    let name = errno(err).and_then(errno_name).unwrap_or("?");
    format!("Err, {name} (kind {:?})\n    {err}", err.kind())
}

/// A new epoll instance, and a pipe whose read end is in it with token 1:
/// `[epoll, read end, write end]`.
fn watched_pipe() -> io::Result<[OwnedFd; 3]> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1)?;
    Ok([epoll, reader, writer])
}

fn handled_since(start: usize) -> usize {
    HANDLED.load(Ordering::SeqCst) - start
}

// ANCHOR: experiment
pub fn main() -> io::Result<()> {
    let handler = RestartingHandler::install()?;
    println!("installed a SIGUSR1 handler that only counts, with SA_RESTART");

    // 1. read(2) on an empty pipe: a call SA_RESTART restarts.
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    let start = HANDLED.load(Ordering::SeqCst);
    let result = interrupt_while_blocked(
        1,
        Duration::ZERO,
        || read(reader.as_fd(), &mut [0; 16]),
        || write(writer.as_fd(), b"hi").map(drop),
    )?;
    println!("read on an empty pipe, 1 signal while it slept, then a write:");
    let outcome = match &result {
        Ok(n) => format!("Ok, {n} bytes: the kernel restarted it"),
        Err(err) => describe_error(err),
    };
    println!("  the handler ran {} time(s)", handled_since(start));
    println!("  read returned {outcome}");
    drop((reader, writer));

    // 2. epoll_wait with timeout -1: never restarted.
    let [epoll, reader, writer] = watched_pipe()?;
    let start = HANDLED.load(Ordering::SeqCst);
    let result = interrupt_while_blocked(
        1,
        PATIENCE,
        || {
            let mut events = [Event::zeroed(); 4];
            epoll_wait(epoll.as_fd(), &mut events, -1).map(|n| ready_of(&events[..n]))
        },
        || write(writer.as_fd(), b"!").map(drop),
    )?;
    println!("epoll_wait, timeout -1, 1 signal while it slept:");
    println!("  the handler ran {} time(s)", handled_since(start));
    println!("  epoll_wait returned {}", describe_wait(&result));
    drop((epoll, reader, writer));

    // 3. The same wait through wait_retrying_eintr.
    let [epoll, reader, writer] = watched_pipe()?;
    let start = HANDLED.load(Ordering::SeqCst);
    let result = interrupt_while_blocked(
        3,
        Duration::ZERO,
        || retrying_wait(epoll.as_fd()),
        || write(writer.as_fd(), b"!").map(drop),
    )?;
    println!("wait_retrying_eintr, timeout -1, 3 signals while it slept, then a write:");
    println!("  the handler ran {} time(s)", handled_since(start));
    println!("  wait_retrying_eintr returned {}", describe_wait(&result));
    drop((epoll, reader, writer));

    // Every thread the signals went to has been joined, so none is pending.
    drop(handler);
    println!("restored the previous SIGUSR1 action");
    Ok(())
}
// ANCHOR_END: experiment

fn retrying_wait(epoll: BorrowedFd<'_>) -> io::Result<Ready> {
    let mut events = [Event::zeroed(); 4];
    wait_retrying_eintr(epoll, &mut events, -1).map(|n| ready_of(&events[..n]))
}
