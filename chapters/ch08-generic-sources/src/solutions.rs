//! Solutions to the exercises at the end of chapter 8's page, one item (or
//! a small group) per exercise, each tested in `tests/solutions.rs`.

use crate::{
    EventLoop, EventSource, Generic, Interest, Mode, Poller, PostAction, Readiness, Token,
    TokenFactory,
};
use ch01_raw_syscalls::error::{SyscallError, errno};
use ch04_libc_and_a_safe_wrapper::{Epoll, Events};
use ch05_eventfd_wakeups::Waker;
use ch06_everything_is_an_fd::TimerFd;
use std::cell::Cell;
use std::fs;
use std::io::{self, ErrorKind, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

// ANCHOR: exercise_1
/// Two open fds and a switch that says which one `as_fd` lends. Nothing
/// here is `unsafe`, and nothing is closed: the switch alone changes the fd
/// that a `Generic` holding this value would delete.
///
/// (A `RefCell<Option<OwnedFd>>` cannot do it safely: the `BorrowedFd` that
/// `as_fd` returns must live as long as `&self`, longer than the `Ref` that
/// would lend it. An index into fds the value owns for good can.)
pub struct Switching {
    fds: [OwnedFd; 2],
    lent: Cell<usize>,
}

impl Switching {
    pub fn new(first: OwnedFd, second: OwnedFd) -> Switching {
        Switching {
            fds: [first, second],
            lent: Cell::new(0),
        }
    }

    /// From now on `as_fd` lends the other fd: through `&self`, which is
    /// all a callback gets.
    pub fn switch(&self) {
        self.lent.set(1 - self.lent.get());
    }
}

impl AsFd for Switching {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fds[self.lent.get()].as_fd()
    }
}

/// What the kernel and the loop made of a switch.
#[derive(Debug, PartialEq, Eq)]
pub struct Switched {
    /// After the callback switched: is each pipe's fd in the interest list?
    pub first_listed: bool,
    pub second_listed: bool,
    /// The errno of the `remove` that followed.
    pub remove_errno: Option<i32>,
    /// Is the first fd's entry still there once the source is dropped,
    /// while a duplicate keeps its pipe open, and once that is closed too?
    pub first_listed_with_duplicate: bool,
    pub first_listed_at_the_end: bool,
}

/// Puts a `Switching` in a `Generic`, lets its callback switch it, then
/// removes it while a duplicate of the first pipe is open.
pub fn switch_behind_the_loop() -> io::Result<Switched> {
    let mut event_loop: EventLoop<'_, ()> = EventLoop::new()?;
    let epfd = event_loop.as_fd().as_raw_fd();
    let (first, mut first_writer) = std::io::pipe()?;
    let (second, _second_writer) = std::io::pipe()?;
    let (first, second) = (OwnedFd::from(first), OwnedFd::from(second));
    let (first_fd, second_fd) = (first.as_raw_fd(), second.as_raw_fd());
    let duplicate = first.try_clone()?;

    let source = Generic::new(
        Switching::new(first, second),
        Interest::READABLE,
        Mode::Edge,
    );
    let token = event_loop
        .handle()
        .insert_source(source, |_, switching, _| {
            switching.switch();
            Ok(PostAction::Continue)
        })?;
    first_writer.write_all(b"x")?;
    event_loop.dispatch(Some(Duration::from_secs(2)), &mut ())?;

    // The entry is keyed by the fd it was added with, the first one.
    let first_listed = listed(epfd, first_fd)?;
    let second_listed = listed(epfd, second_fd)?;
    // `remove` deletes by naming the fd the value lends now, the second:
    // ENOENT. The loop drops the source anyway, closing both its fds.
    let remove_errno = event_loop
        .handle()
        .remove(token)
        .err()
        .and_then(|e| errno(&e));
    // The first pipe's read end is still open through `duplicate`, so the
    // kernel keeps the entry, under a token the loop has forgotten.
    let first_listed_with_duplicate = listed(epfd, first_fd)?;
    drop(duplicate);
    let first_listed_at_the_end = listed(epfd, first_fd)?;
    Ok(Switched {
        first_listed,
        second_listed,
        remove_errno,
        first_listed_with_duplicate,
        first_listed_at_the_end,
    })
}

// What `Generic` could require of `F`: an `unsafe trait StableFd: AsFd`,
// whose implementer promises that `as_fd` returns the same fd for as long
// as the value lives, implemented by the crate for `OwnedFd`, `File`, the
// std sockets and `Arc<T: StableFd>`. The cost: every type of a user's own
// (a struct around a socket, like `Counted` on the page) needs an
// `unsafe impl` before it can go in a loop, one more promise for a reader
// to check, and `Switching` still compiles for anyone willing to write
// that `unsafe impl`. Remembering the raw number at `register` and
// deleting by it instead does not help either: the number may be closed
// and reused by then, and the DEL would hit someone else's entry.

/// Whether `fd` has an entry in the interest list of `epfd`
/// (`/proc/self/fdinfo/<epfd>`, one `tfd:` line per entry).
fn listed(epfd: RawFd, fd: RawFd) -> io::Result<bool> {
    let info = fs::read_to_string(format!("/proc/self/fdinfo/{epfd}"))?;
    Ok(info.lines().any(|line| {
        let mut words = line.split_whitespace();
        words.next() == Some("tfd:") && words.next() == Some(fd.to_string().as_str())
    }))
}
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// A timer source: chapter 6's `TimerFd` in a `Generic`. Its callback is
/// told how many times the timer expired since the last event.
pub struct Timer {
    inner: Generic<TimerFd>,
}

impl Timer {
    /// `timer`, armed or not, watched level-triggered: a timerfd stays
    /// readable until it is read, and the source always reads it.
    pub fn new(timer: TimerFd) -> Timer {
        Timer {
            inner: Generic::new(timer, Interest::READABLE, Mode::Level),
        }
    }

    /// The timer, to arm before the source goes in a loop.
    pub fn timer(&self) -> &TimerFd {
        self.inner.get_ref()
    }
}

impl EventSource for Timer {
    type Event = u64;
    type Metadata = ();
    type Ret = ();
    type Error = io::Error;

    fn process_events<C>(
        &mut self,
        readiness: Readiness,
        token: Token,
        mut callback: C,
    ) -> io::Result<PostAction>
    where
        C: FnMut(u64, &mut ()),
    {
        self.inner.process_events(readiness, token, |_, timer| {
            // Read first: the read resets the count, so the fd is not
            // readable any more and the next wait does not report it again.
            let expirations = timer.read()?;
            if expirations > 0 {
                callback(expirations, &mut ());
            }
            // A one-shot timer that fired is disarmed (`next` is `None`).
            // Its callback gets neither the timer nor a handle, so nothing
            // can arm it again while it is in the loop: it is done, and
            // `Remove` gives its fd back to the system. A periodic timer
            // (or one armed again since) goes on.
            if timer.setting()?.next.is_none() {
                Ok(PostAction::Remove)
            } else {
                Ok(PostAction::Continue)
            }
        })
    }

    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.register(poller, tokens)
    }

    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.reregister(poller, tokens)
    }

    fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
        self.inner.unregister(poller)
    }
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
/// One `read(2)`, like chapter 7's `read_some`, but "would block" costs no
/// allocation. `read_some` turns every -1 into chapter 1's `last_error`,
/// an `io::Error` carrying a boxed `SyscallError` (that is where a
/// callback's allocations came from: one error built per `EAGAIN`, then
/// thrown away as `None`). Here `errno` is looked at first:
/// `io::Error::last_os_error` holds the bare number, with nothing on the
/// heap, and only a real failure gets the boxed error that names the call.
pub fn read_quietly(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<Option<usize>> {
    if buf.is_empty() {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            "read: an empty buffer cannot tell data from end of file",
        ));
    }
    loop {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes, and the
        // kernel writes at most that many; `fd` is open (borrowed).
        let ret = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if let Ok(n) = usize::try_from(ret) {
            return Ok(Some(n));
        }
        let os_error = io::Error::last_os_error();
        match os_error.raw_os_error() {
            Some(libc::EAGAIN) => return Ok(None),
            Some(libc::EINTR) => continue,
            _ => {
                let kind = os_error.kind();
                return Err(io::Error::new(
                    kind,
                    SyscallError {
                        call: "read",
                        os_error,
                    },
                ));
            }
        }
    }
}
// ANCHOR_END: exercise_3

// ANCHOR: exercise_4
/// A stop flag that writes its eventfd only when the loop may be asleep:
/// a stop from a callback, on the loop's own thread, costs no `write` and
/// no later `read`.
#[derive(Clone)]
pub struct LazySignal {
    inner: Arc<Flags>,
}

struct Flags {
    stop: AtomicBool,
    /// Set by the loop just before it waits, cleared after.
    waiting: AtomicBool,
    waker: Waker,
}

impl LazySignal {
    /// Registers an eventfd in `epoll` under `token` (chapter 5's `Waker`).
    pub fn new(epoll: &Epoll, token: u64) -> io::Result<LazySignal> {
        Ok(LazySignal {
            inner: Arc::new(Flags {
                stop: AtomicBool::new(false),
                waiting: AtomicBool::new(false),
                waker: Waker::new(epoll, token)?,
            }),
        })
    }

    /// The stopping side: set the stop flag, *then* look at the loop's.
    pub fn stop(&self) {
        self.inner.stop.store(true, Ordering::SeqCst);
        if self.inner.waiting.load(Ordering::SeqCst) {
            // The wake cannot fail but for a full counter, which `wake`
            // answers with Ok: the loop is woken already.
            let _ = self.inner.waker.wake();
        }
    }

    /// The loop's wait: set its flag, *then* look at the stop flag; wait
    /// only if no stop is in.
    ///
    /// Why this order on both sides, and `SeqCst`: the four operations
    /// then happen in one order all threads agree on. If the loop's look
    /// at `stop` comes before the stopper's store, its store of `waiting`
    /// came earlier still, so the stopper's look at `waiting`, after its
    /// store, sees `true` and wakes it. Otherwise the loop sees the stop
    /// and does not sleep. Either way no stop is lost. Looking before
    /// setting, on either side, or with `Release`/`Acquire` only (which
    /// lets a load pass an earlier store to another variable), both looks
    /// can miss, and the loop sleeps with a stop pending.
    pub fn wait(
        &self,
        epoll: &Epoll,
        events: &mut Events,
        timeout: Option<Duration>,
    ) -> io::Result<usize> {
        self.inner.waiting.store(true, Ordering::SeqCst);
        let result = if self.inner.stop.load(Ordering::SeqCst) {
            events.clear();
            Ok(0)
        } else {
            epoll.wait(events, timeout)
        };
        self.inner.waiting.store(false, Ordering::SeqCst);
        result
    }

    /// Whether a stop was asked for; clears the request.
    pub fn take_stop(&self) -> bool {
        self.inner.stop.swap(false, Ordering::SeqCst)
    }

    /// The eventfd underneath: the loop drains it when it sees its token.
    pub fn waker(&self) -> &Waker {
        &self.inner.waker
    }
}
// ANCHOR_END: exercise_4
