//! A loop, its handle, two clones of its signal, a second owner of one of
//! its sources' fds (an `Arc<EventFd>` kept to feed that source), and a
//! source taken back out of it, dropped in every order (720): each fd is
//! closed exactly once, when the last object that keeps it open goes, and
//! the interest list holds what it should all along (an fd that outlives
//! its source must have left it). A handle and signals that outlive the
//! loop answer with errors, never a panic.
//!
//! `testkit::fd_ledger` does the bookkeeping: after each drop it checks
//! which fds are open, fills each closed number with a `/dev/null`
//! sentinel (so a later second close would close a sentinel, and be seen),
//! and checks the count of successful `close` calls per fd number, which
//! this binary makes through `testkit::count_closes!`. Every test runs
//! inside `assert_no_fd_leaks`. The binary has no harness (Cargo.toml):
//! when a check fails, objects dropped while the panic unwinds may close
//! an fd a second time, and the standard library then aborts the process,
//! so the check's message must not wait in the harness's capture.

mod common;

use ch05_eventfd_wakeups::EventFd;
use ch08_generic_sources::{
    EventLoop, Generic, Interest, LoopHandle, LoopSignal, Mode, PostAction, RegistrationToken,
};
use common::*;
use std::io::ErrorKind;
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use testkit::assert_no_fd_leaks;
use testkit::fd_ledger::{FdLedger, Objects, drop_in_every_order};
use testkit::single_thread::{self, assert_one_thread};

testkit::count_closes!();

fn main() {
    single_thread::run_checked(
        &[
            (
                "every_drop_order_closes_each_fd_once_when_its_last_owner_goes",
                every_drop_order_closes_each_fd_once_when_its_last_owner_goes,
            ),
            (
                "the_ledger_sees_a_second_close_a_late_one_and_a_missing_one",
                the_ledger_sees_a_second_close_a_late_one_and_a_missing_one,
            ),
        ],
        assert_one_thread,
    );
}

const LOOP: usize = 0;
const HANDLE: usize = 1;
const FEEDER: usize = 2;
const SIGNAL_A: usize = 3;
const SIGNAL_B: usize = 4;
const TAKEN: usize = 5;
const OBJECTS: [&str; 6] = [
    "loop",
    "handle",
    "feeder",
    "signal A",
    "signal B",
    "taken source",
];

type Loop = EventLoop<'static, ()>;

/// The objects, each `None` once dropped, and the tokens of the sources
/// that were inserted.
struct Group {
    event_loop: Option<Loop>,
    handle: Option<LoopHandle<'static, ()>>,
    /// The eventfd source's fd, shared.
    feeder: Option<Arc<EventFd>>,
    signals: [Option<LoopSignal>; 2],
    taken: Option<Generic<UnixStream>>,
    /// The eventfd source, the pipe, the disabled socket, the taken one.
    tokens: [RegistrationToken; 4],
}

/// Builds the objects and tracks their fds:
///
/// - the epoll instance, open while the loop or the handle is alive;
/// - the loop's own eventfd (behind `LoopSignal`), open and listed while
///   the loop or a signal is;
/// - in the loop: a `Generic` over an eventfd, whose callback keeps a
///   handle and a signal (a cycle through the loop's table, which the
///   loop's drop must break), open while the loop or the feeder (which
///   shares it) is alive, and listed only while the loop is; one over a
///   pipe's read end; and one over a socket, disabled, so not listed. The
///   last two are open while the loop is;
/// - a socket taken back out with `take`, open while it is, never listed.
fn build(ledger: &mut FdLedger) -> Group {
    let mut event_loop: Loop = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let epfd = event_loop.as_raw_fd();
    let [signal_fd] = interest_list(epfd)
        .iter()
        .filter(|&&(_, data)| data == u64::MAX)
        .map(|&(fd, _)| fd)
        .collect::<Vec<RawFd>>()[..]
    else {
        panic!("one entry for the loop's own eventfd");
    };

    let counter = Arc::new(EventFd::new(1, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC).unwrap());
    let counter_fd = counter.as_raw_fd();
    let feeder = Arc::clone(&counter);
    let kept_handle = handle.clone();
    let kept_signal = event_loop.signal();
    let counted = handle
        .insert_source(
            Generic::new(counter, Interest::READABLE, Mode::Level),
            move |_, counter, _: &mut ()| {
                counter.read()?;
                // The callback owns a handle and a signal.
                assert!(!kept_handle.is_empty());
                kept_signal.wakeup();
                Ok(PostAction::Continue)
            },
        )
        .unwrap();

    let (reader, writer) = pipe();
    put(&writer, b"x");
    drop(writer);
    let pipe_fd = reader.as_raw_fd();
    let piped = handle
        .insert_source(
            Generic::new(reader, Interest::READABLE, Mode::Level),
            |_, reader, _: &mut ()| {
                drain(&**reader)?;
                Ok(PostAction::Continue)
            },
        )
        .unwrap();

    let (disabled, peer) = UnixStream::pair().unwrap();
    drop(peer);
    let disabled_fd = disabled.as_raw_fd();
    let disabled = handle
        .insert_source(
            Generic::new(disabled, Interest::READABLE, Mode::Level),
            ignore,
        )
        .unwrap();
    handle.disable(disabled).unwrap();

    let (taken, peer) = UnixStream::pair().unwrap();
    drop(peer);
    let taken_fd = taken.as_raw_fd();
    let taken_token = handle
        .insert_source(Generic::new(taken, Interest::READABLE, Mode::Level), ignore)
        .unwrap();
    // Used once: the counter's and the pipe's callbacks run.
    event_loop.dispatch(NOW, &mut ()).unwrap();
    let taken: Generic<UnixStream> = handle.take(taken_token).unwrap();
    assert_eq!(taken.token(), None);

    let signals = [Some(event_loop.signal()), Some(event_loop.signal())];
    ledger.track_epoll("the epoll instance", epfd, &[LOOP, HANDLE]);
    let with_signal = [LOOP, SIGNAL_A, SIGNAL_B];
    ledger.track("the loop's eventfd", signal_fd, &with_signal, &with_signal);
    ledger.track("the eventfd source", counter_fd, &[LOOP, FEEDER], &[LOOP]);
    ledger.track("the pipe source", pipe_fd, &[LOOP], &[LOOP]);
    ledger.track("the disabled socket", disabled_fd, &[LOOP], &[]);
    ledger.track("the taken socket", taken_fd, &[TAKEN], &[]);
    Group {
        event_loop: Some(event_loop),
        handle: Some(handle),
        feeder: Some(feeder),
        signals,
        taken: Some(taken),
        tokens: [counted, piped, disabled, taken_token],
    }
}

impl Objects for Group {
    fn drop_object(&mut self, object: usize) {
        match object {
            LOOP => drop(self.event_loop.take()),
            HANDLE => drop(self.handle.take()),
            FEEDER => drop(self.feeder.take()),
            SIGNAL_A | SIGNAL_B => drop(self.signals[object - SIGNAL_A].take()),
            _ => drop(self.taken.take()),
        }
    }

    /// Uses every object still alive. The handle inserts and removes a new
    /// source while the loop lives, and gets errors once it is gone; a
    /// signal stops and wakes a loop that may be gone; the feeder writes
    /// to its eventfd. Opens and closes fds of its own, which the next
    /// check sees closed.
    fn use_what_is_left(&mut self) {
        let loop_alive = self.event_loop.is_some();
        let [counted, piped, disabled, taken] = self.tokens;
        if let Some(feeder) = &self.feeder {
            feeder.write(1).unwrap();
        }
        if let Some(handle) = &self.handle {
            let (fresh, _writer) = readable_pipe(b"");
            let fresh_fd = fresh.get_ref().as_raw_fd();
            match handle.insert_source(fresh, ignore) {
                Ok(token) => {
                    assert!(loop_alive, "a handle inserted into a dropped loop");
                    assert_eq!(handle.len(), 4);
                    handle.remove(token).unwrap();
                    assert!(!is_open(fresh_fd), "removed and closed");
                    // Disable and enable one the loop owns.
                    handle.disable(piped).unwrap();
                    handle.enable(piped).unwrap();
                    handle.update(counted).unwrap();
                    assert!(handle.contains(disabled));
                    let err = handle.take::<Generic<UnixStream>>(taken).unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::NotFound, "taken already");
                }
                Err(refused) => {
                    assert!(!loop_alive, "refused by a live loop: {}", refused.error);
                    assert_eq!(
                        refused.error.to_string(),
                        "insert_source: the event loop was dropped"
                    );
                    // Given back open; closed here, with the error.
                    assert_eq!(refused.source.get_ref().as_raw_fd(), fresh_fd);
                    assert!(is_open(fresh_fd));
                    drop(refused);
                    assert!(!is_open(fresh_fd));
                    assert!(handle.is_empty());
                    for token in self.tokens {
                        assert!(!handle.contains(token));
                        for err in [
                            handle.remove(token).unwrap_err(),
                            handle.disable(token).unwrap_err(),
                            handle.enable(token).unwrap_err(),
                            handle.update(token).unwrap_err(),
                            handle.take::<Generic<UnixStream>>(token).unwrap_err(),
                        ] {
                            assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
                        }
                    }
                }
            }
        }
        for signal in self.signals.iter().flatten() {
            signal.wakeup();
            signal.stop();
        }
        if let Some(taken) = &self.taken {
            assert_eq!(taken.token(), None);
        }
    }
}

fn every_drop_order_closes_each_fd_once_when_its_last_owner_goes() {
    let orders = assert_no_fd_leaks(|| drop_in_every_order(&OBJECTS, build));
    assert_eq!(orders, 720);
    eprintln!(
        "drop orders: {orders} orders of {} objects, 6 fds, checked after each drop and use",
        OBJECTS.len()
    );
}

/// The ledger is what the test above stands on: it fails when an fd is
/// closed twice, late or at once, or not at all.
fn the_ledger_sees_a_second_close_a_late_one_and_a_missing_one() {
    assert_no_fd_leaks(|| {
        // Object 0 owns a pipe end; object 1 holds a second `OwnedFd` for
        // the same number, as a buggy `Drop` might. Dropping 0 closes it;
        // the check fills the number with a sentinel; dropping 1 closes
        // the sentinel.
        let failure = quietly(AssertUnwindSafe(|| {
            let mut ledger = FdLedger::new(&["owner", "impostor"]).counting_closes();
            let (reader, writer) = pipe();
            drop(writer);
            let fd = reader.as_raw_fd();
            // SAFETY: deliberately wrong, for the ledger to see: a second
            // owner of `fd`, closed after the first. Nothing reads or
            // writes through either.
            let impostor = unsafe { OwnedFd::from_raw_fd(fd) };
            ledger.track("the pipe", fd, &[0], &[]);
            ledger.check("built");
            drop(reader);
            ledger.dropped(0);
            ledger.check("after the owner");
            drop(impostor);
            ledger.dropped(1);
            ledger.check("after the impostor");
        }));
        let message = panic_message(failure);
        assert!(message.contains("sentinel fd"), "{message}");

        // Closed twice at once: the second close fails with EBADF.
        let failure = quietly(AssertUnwindSafe(|| {
            let mut ledger = FdLedger::new(&["owner"]).counting_closes();
            let (reader, writer) = pipe();
            drop(writer);
            let fd = reader.into_raw_fd();
            ledger.track("the pipe", fd, &[0], &[]);
            ledger.check("built");
            // SAFETY: deliberately wrong, for the ledger to see: `fd` is
            // ours (taken out of its `OwnedFd`), closed twice in a row.
            unsafe {
                libc::close(fd);
                libc::close(fd);
            }
            ledger.dropped(0);
            ledger.check("after the owner");
        }));
        let message = panic_message(failure);
        assert!(message.contains("failed: EBADF"), "{message}");

        // Never closed.
        let failure = quietly(AssertUnwindSafe(|| {
            let mut ledger = FdLedger::new(&["owner"]).counting_closes();
            let (reader, writer) = pipe();
            drop(writer);
            ledger.track("the pipe", reader.as_raw_fd(), &[0], &[]);
            ledger.dropped(0);
            let kept = reader;
            ledger.check("after the owner");
            drop(kept);
        }));
        let message = panic_message(failure);
        assert!(message.contains("should be closed"), "{message}");
    });
}

/// Runs `f`, which must panic, without the panic's message on stderr
/// (this binary has no harness to capture it), and returns the message.
fn quietly(f: AssertUnwindSafe<impl FnOnce()>) -> std::thread::Result<()> {
    let hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(f);
    panic::set_hook(hook);
    result
}

fn panic_message(result: std::thread::Result<()>) -> String {
    let payload = result.expect_err("the ledger saw nothing wrong");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}
