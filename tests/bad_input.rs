//! Bad input to the public APIs of chapters 1 to 11: each case ends in a
//! clear error (an `io::Error` whose kind fits, that keeps the OS error
//! where there is one and names the operation), or in a documented
//! clamp, and never in a panic, a hang or a quietly wrong answer.
//!
//! Every test runs under `testkit::assert_no_fd_leaks`, which also holds
//! the lock that keeps these tests from opening fds at the same time.
//! Waits are bounded (10 s), and where a panic is plausible the call runs
//! under `catch_unwind`, so that a panic fails the test with a message
//! saying which call panicked.
//!
//! | API | bad input | outcome |
//! |---|---|---|
//! | ch01 `epoll_create1`, `pipe2` | unknown flag bits | `EINVAL`, naming `epoll_create1` / `pipe2` |
//! | ch01 `epoll_ctl` | a raw number that is not open (as `epfd` or as `fd`) | `EBADF`, naming `epoll_ctl(ADD)` |
//! | ch01 `epoll_ctl` | an unknown `op` | `EINVAL`, naming `epoll_ctl` |
//! | ch01 `epoll_ctl` | `ADD` with no event (`None`) | `EFAULT`, naming `epoll_ctl(ADD)` |
//! | ch01 `epoll_ctl` | the same fd added twice / `DEL` of an fd never added | `EEXIST` / `ENOENT`, naming the operation |
//! | ch01 `epoll_ctl` | a regular file, a directory / an `O_PATH` fd | `EPERM` / `EBADF`, naming `epoll_ctl(ADD)` |
//! | ch01 `epoll_wait` | an empty buffer / an `epfd` that is not an epoll instance | `EINVAL`, naming `epoll_wait` |
//! | ch01 `epoll_wait` | a buffer longer than `EP_MAX_EVENTS` | `EINVAL` from the kernel, naming `epoll_wait` (not tested: the slice would need 2 GiB of initialized memory; ch04's `Events` clamps instead) |
//! | ch01 `epoll_wait` | a negative timeout other than -1 (`i32::MIN`) | waits with no limit, like -1: returns for the event |
//! | ch01 `read`, `write` | the wrong end of a pipe | `EBADF`, naming `read` / `write` |
//! | ch01, ch02 `BorrowedFd` arguments | a closed fd | impossible by the type in safe code (a `BorrowedFd` is open); only `unsafe` `borrow_raw` makes one (row above) |
//! | ch02 `add`, `modify`, `delete` | an epoll instance added to itself / an fd never added | `EINVAL` / `ENOENT`, naming `epoll_ctl(ADD/MOD/DEL)` |
//! | ch02 `registrations` | an fd that is not an epoll instance | `InvalidInput`, naming `registrations` (was: an empty list, fixed) |
//! | ch02 `wait_retrying_eintr` | a negative timeout other than -1 | waits with no limit: returns for the event |
//! | ch02 `Slab` | a key never issued or removed twice | `None` |
//! | ch03 `read_with_budget` | a chunk of 0 | `InvalidInput`, naming `read_with_budget` (was: a panic, fixed) |
//! | ch03 `read_with_budget` | a chunk no allocator can give | `OutOfMemory`, `sink` untouched (was: a panic or an abort, fixed) |
//! | ch03 `ready_now` | an fd that is not an epoll instance | `EINVAL`, naming `epoll_wait` |
//! | ch03 `thread_state`, `wait_until_in_epoll_wait` | a tid that is not one of ours; a patience of `Duration::MAX` | `NotFound`, naming the `/proc` file (was: no file named); no panic (was: a panic, fixed) |
//! | ch04 `Epoll::add` | the same fd twice / a regular file, a directory / an `O_PATH` fd / the instance itself | `EEXIST` / `EPERM` / `EBADF` / `EINVAL`, naming `epoll_ctl(ADD)` |
//! | ch04 `Epoll::modify`, `delete` | an fd never added | `ENOENT`, naming `epoll_ctl(MOD)` / `epoll_ctl(DEL)` |
//! | ch04 `Events::with_capacity` | 0 | allowed; every wait fails with `EINVAL` naming `epoll_wait`, and leaves the buffer empty (documented) |
//! | ch04 `Events::with_capacity` | above `MAX_EVENTS` | allowed; a wait asks for `MAX_EVENTS` (documented clamp) and succeeds |
//! | ch04 `Events::with_capacity` | more than memory can address (`usize::MAX`) | panics with "capacity overflow", as documented (like `Vec::with_capacity`; it returns no `Result`). ch07 and ch08 refuse such capacities with an error |
//! | ch04 `Events::try_with_capacity` | 0, above `MAX_EVENTS`, `usize::MAX` | `InvalidInput`, naming `Events::try_with_capacity`; memory refused: `OutOfMemory` |
//! | ch04 `Epoll::wait` | a timeout above `i32::MAX` ms; `Duration::MAX` | waited out in several calls; no limit: returns for the event, never early |
//! | ch04, ch07, ch08 `AsFd` arguments | a closed fd | impossible by the type (an `OwnedFd`/`BorrowedFd` is open); a number reused behind the owner's back (`dup2`) is covered in ch07 and ch08 |
//! | ch05 `EventFd::new` | unknown flag bits | `EINVAL`, naming `eventfd` |
//! | ch05 `EventFd::write` | `u64::MAX` / past `MAX_COUNT`, nonblocking | `EINVAL` / `EAGAIN` (`WouldBlock`), naming `write(eventfd)` |
//! | ch05 `EventFd::read` | a counter at 0, nonblocking | `EAGAIN` (`WouldBlock`), naming `read(eventfd)` |
//! | ch05 `EventFd::read_bytes`, `write_bytes` | a buffer of fewer than 8 bytes | `EINVAL`, naming `read(eventfd)` / `write(eventfd)` |
//! | ch05 `Waker::wake` | its `Epoll` dropped | `Ok`, nobody hears it (documented) |
//! | ch05 `Tid::wait_until_blocked_in` | a thread that has ended; `Duration::MAX` | `NotFound`, naming the `/proc` file (was: no file named); no panic (was: a panic, fixed) |
//! | ch06 `TimerFd::set` | a duration too long for `time_t` (`Duration::MAX`) | `InvalidInput`, naming `timerfd_settime` (was: no call named) |
//! | ch06 `TimerFd::set` | a huge duration that fits | armed, about 292 years away (the kernel's `KTIME_MAX`): never a short timer |
//! | ch06 `TimerFd::set_interval` | a zero period | `InvalidInput`, naming `TimerFd::set_interval` |
//! | ch06 `SignalSet`, `SignalFd::new` | 0, -1, 65 | `EINVAL`, naming `sigaddset`; the thread's mask is left alone |
//! | ch06 `Inotify::add_watch` | a missing path / a mask of 0 / a path with a NUL byte | `ENOENT` / `EINVAL` naming `inotify_add_watch` / `InvalidInput` naming it (was: no call named) |
//! | ch06 `Inotify::rm_watch` | a watch of another instance (never issued here) / removed twice | `EINVAL`, naming `inotify_rm_watch` |
//! | ch06 `Inotify::read_events` | a buffer too small for the next event (0, 10 bytes) | `EINVAL`, naming `read(inotify)`; the event stays queued |
//! | ch06 `Children::spawn`, ch09 `PidFd::spawn` | a program that does not exist | `ENOENT`, naming `spawn` (was: no call named, fixed) |
//! | ch06 `TempDir::new` | a name with a `/` | `ENOENT`, naming `mkdir` (was: no call named, fixed) |
//! | ch07 `Reactor::register` | the same fd twice / a regular file, a directory / an `O_PATH` fd | `EEXIST` / `EPERM` / `EBADF`, naming `epoll_ctl(ADD)`; nothing registered |
//! | ch07 `Reactor::{deregister, reregister, remove}` | a token never issued / removed / of another reactor | `NotFound`, naming the operation. A token of another reactor that matches a registration of this one names that one: tokens carry no reactor identity (documented, not detectable) |
//! | ch07 `Reactor::with_capacity` | 0 / above `MAX_EVENTS` (`usize::MAX`) | `InvalidInput`, naming `Reactor::with_capacity` (above: was a panic or a 2 GiB buffer, fixed) |
//! | ch07 `Reactor::deregister` | a registered fd whose number was `dup2`'d over | `ENOENT`, naming `epoll_ctl(DEL)`; the registration stays (documented) |
//! | ch07 `Reactor::turn` | `Duration::MAX` | no limit: returns for the event |
//! | ch07 `io::read_some` | an empty buffer | `InvalidInput`, naming `read` (was: `Some(0)`, "end of file", with data waiting: fixed) |
//! | ch07 `io::read_some`, `write_some` | the wrong end of a pipe | `EBADF`, naming `read` / `write` |
//! | ch08 `EventLoop::with_capacity` | 0 / above `MAX_EVENTS` (`usize::MAX`) | `InvalidInput`, naming `EventLoop::with_capacity` (above: was a panic or a 2 GiB buffer, fixed) |
//! | ch08 `insert_source` | the same fd twice / a regular file, a directory / an `O_PATH` fd | `EEXIST` / `EPERM` / `EBADF`, naming `epoll_ctl(ADD)`; the source comes back |
//! | ch08 `LoopHandle::{remove, take, enable, disable, update}` | a token never issued / removed / of another loop | `NotFound`, naming the operation; same limit as ch07 for a token of another loop |
//! | ch08 `LoopHandle::take` | the wrong type | `InvalidInput`, naming `take`; the source stays |
//! | ch08 `LoopHandle::remove` of a `Generic` | its fd number `dup2`'d over | `ENOENT`, naming `epoll_ctl(DEL)`; the source is removed all the same (documented) |
//! | ch08 `EventLoop::dispatch` | `Duration::MAX` | no limit: returns for the event |
//! | ch09 `delete_number` | -1 / an open fd never registered | `EBADF` / `ENOENT`, naming `epoll_ctl(DEL)` |
//! | ch09 `number_in_use` | -1, `i32::MAX` | `false` |
//! | ch09 `PidFd::send_signal` | 65 / a process reaped already | `EINVAL` / `ESRCH`, naming `pidfd_send_signal` |
//! | ch10 `Timer::after`, `every` | `Duration::MAX` / a zero period | `InvalidInput`, naming `Timer` / `TimerFd::set_interval` |
//! | ch10 `Timer::after` | a huge delay that fits / zero | never fires during the test / fires at once |
//! | ch10 `Sender::send` | the `Channel` dropped | `Err(SendError(message))`, the message given back |
//! | ch10 `Signals::new` | 0, 65 / `SIGKILL` | `EINVAL`, naming `sigaddset`, mask untouched / accepted, never blocked nor reported (documented) |
//! | ch10 `UdpSource::bind` | an address in use | `EADDRINUSE`, naming `bind` (was: no call named, fixed) |
//! | ch11 `Server::bind`, `ServerThread::spawn` | an address in use | `EADDRINUSE`, naming `bind(ADDR)`; no thread or fd left behind |
//! | ch11 `Config` | a zero size; `Mode::OneShot` | `InvalidInput`, naming the field |
//! | ch11 `Config` | `max_pending + read_buffer` overflows / a `read_buffer` no allocator can give | `InvalidInput` / `OutOfMemory`, naming the fields (was: a panic or an abort, fixed) |
//! | ch11 `Config::accept_backoff` | `Duration::MAX`, at the first `EMFILE` | a pause until a connection closes (was: a panic on the loop's thread, fixed) |
//! | ch11 `Remote::wait_for` | `Duration::MAX` | waits until `done` (was: a panic, fixed) |

use ch01_raw_syscalls::error::{errno, failed_call};
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLLIN, Event as RawEvent, O_CLOEXEC, O_NONBLOCK,
    epoll_create1, epoll_ctl, epoll_wait,
};
use ch03_level_edge_oneshot::sleepers::{current_tid, wait_until_in_epoll_wait};
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN, MAX_EVENTS};
use std::any::Any;
use std::ffi::c_int;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::fs::OpenOptionsExt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use testkit::{assert_no_fd_leaks, pipe};

/// How long any wait in these tests may last before the test gives up.
const BOUND: Duration = Duration::from_secs(10);

/// A number the kernel never hands out as an fd: it is at or above
/// `/proc/sys/fs/nr_open`, whose ceiling is below `i32::MAX`. So it is not
/// open now and cannot become open while a test runs.
const NEVER_OPEN: RawFd = RawFd::MAX;

// ---------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------

/// The error of a call that failed in the kernel: it keeps the OS error
/// `code`, its kind is that error's kind, and its message starts with the
/// name of the call.
#[track_caller]
fn assert_call_failed(err: &io::Error, call: &str, code: c_int) {
    assert_eq!(errno(err), Some(code), "errno of {err}");
    assert_eq!(failed_call(err), Some(call), "call named by {err}");
    assert_eq!(
        err.kind(),
        io::Error::from_raw_os_error(code).kind(),
        "{err}"
    );
    assert!(err.to_string().starts_with(&format!("{call}: ")), "{err}");
}

/// An error the book's code made itself (no OS error): its kind, and a
/// message that starts by naming the operation.
#[track_caller]
fn assert_refused(err: &io::Error, kind: ErrorKind, operation: &str) {
    assert_eq!(err.kind(), kind, "{err}");
    assert!(err.to_string().starts_with(operation), "{err}");
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// Runs `f`, turning a panic into a test failure that names `what`.
#[track_caller]
fn no_panic<R>(what: &str, f: impl FnOnce() -> R) -> R {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => panic!("{what} panicked: {}", panic_message(&*payload)),
    }
}

/// Runs `wait` on a thread of its own. Once that thread sleeps in
/// `epoll_wait`, and 50 ms more (time for a wait cut short to end), makes
/// its event happen with `event`. Returns what `wait` returned. Fails if
/// `wait` returned before the event, or has not returned `BOUND` after it.
fn woken_by_the_event<T: Send + fmt::Debug + 'static>(
    wait: impl FnOnce() -> T + Send + 'static,
    event: impl FnOnce(),
) -> T {
    let (tid_tx, tid_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        tid_tx.send(current_tid().unwrap()).unwrap();
        let _ = done_tx.send(wait());
    });
    let tid = tid_rx.recv().expect("the waiting thread starts");
    let asleep = wait_until_in_epoll_wait(tid, BOUND);
    thread::sleep(Duration::from_millis(50));
    if let Ok(early) = done_rx.try_recv() {
        panic!("the wait returned before its event: {early:?}");
    }
    asleep.expect("the waiting thread sleeps in epoll_wait");
    event();
    let result = done_rx
        .recv_timeout(BOUND)
        .expect("the wait returns within 10 s of its event");
    waiter.join().expect("the waiting thread ends");
    result
}

/// A regular file, a directory, and an `O_PATH` fd (open only to name a
/// file): three fds that epoll refuses.
fn regular_file() -> File {
    File::open(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml")).unwrap()
}

fn directory() -> File {
    File::open(env!("CARGO_MANIFEST_DIR")).unwrap()
}

fn path_only() -> File {
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH)
        .open(env!("CARGO_MANIFEST_DIR"))
        .unwrap()
}

/// Makes the number of `target` refer to the file of `replacement`, as a
/// buggy or hostile part of a program can with `dup2`: the owner of
/// `target` still holds an open fd, but no longer the file it registered.
fn swap_behind_the_owners_back(replacement: BorrowedFd<'_>, target: RawFd) {
    // SAFETY: dup2 takes no pointers. `target` is open (its owner keeps it)
    // and stays open, its file replaced atomically, so the owner still
    // closes the number once. Only the owner's idea of which file it holds
    // breaks, which is what the tests look at.
    let ret = unsafe { libc::dup2(replacement.as_raw_fd(), target) };
    assert_eq!(ret, target, "{}", io::Error::last_os_error());
}

/// An fd number that is not open, as a `BorrowedFd`, for the raw calls of
/// chapter 1.
fn never_open() -> BorrowedFd<'static> {
    let nr_open: i64 = std::fs::read_to_string("/proc/sys/fs/nr_open")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(i64::from(NEVER_OPEN) >= nr_open);
    // SAFETY: this breaks `BorrowedFd`'s promise that the number is open,
    // on purpose, to see what the kernel says. The number cannot belong to
    // anything (see NEVER_OPEN), a `BorrowedFd` never closes, and the tests
    // only hand it to epoll_ctl, which looks it up and fails.
    unsafe { BorrowedFd::borrow_raw(NEVER_OPEN) }
}

// ---------------------------------------------------------------------
// Chapter 1: raw syscalls
// ---------------------------------------------------------------------

#[test]
fn ch01_epoll_create1_and_pipe2_with_unknown_flags_are_einval_naming_the_call() {
    assert_no_fd_leaks(|| {
        let err = epoll_create1(1).unwrap_err();
        assert_call_failed(&err, "epoll_create1", libc::EINVAL);
        // 1 is O_WRONLY, which pipe2 does not take.
        let err = ch01_raw_syscalls::pipe2(1).unwrap_err();
        assert_call_failed(&err, "pipe2", libc::EINVAL);
    });
}

#[test]
fn ch01_epoll_ctl_with_a_raw_number_that_is_not_open_is_ebadf_naming_the_call() {
    assert_no_fd_leaks(|| {
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        let (reader, _writer) = pipe();
        let event = RawEvent::new(EPOLLIN, 1);
        let err = epoll_ctl(epoll.as_fd(), EPOLL_CTL_ADD, never_open(), Some(&event)).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(ADD)", libc::EBADF);
        let err = epoll_ctl(never_open(), EPOLL_CTL_ADD, reader.as_fd(), Some(&event)).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(ADD)", libc::EBADF);
    });
}

#[test]
fn ch01_epoll_ctl_with_an_unknown_op_is_einval_and_add_without_an_event_is_efault() {
    assert_no_fd_leaks(|| {
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        let (reader, _writer) = pipe();
        let event = RawEvent::new(EPOLLIN, 1);
        let err = epoll_ctl(epoll.as_fd(), 99, reader.as_fd(), Some(&event)).unwrap_err();
        assert_call_failed(&err, "epoll_ctl", libc::EINVAL);
        // Every operation but DEL reads the event: a null pointer is a bad
        // address, which the kernel checks (no undefined behaviour).
        let err = epoll_ctl(epoll.as_fd(), EPOLL_CTL_ADD, reader.as_fd(), None).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(ADD)", libc::EFAULT);
        let mut events = [RawEvent::zeroed(); 1];
        assert_eq!(epoll_wait(epoll.as_fd(), &mut events, 0).unwrap(), 0);
    });
}

#[test]
fn ch01_epoll_ctl_add_same_fd_twice_is_eexist_and_del_of_an_fd_never_added_is_enoent() {
    assert_no_fd_leaks(|| {
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        let (reader, writer) = pipe();
        let event = RawEvent::new(EPOLLIN, 1);
        epoll_ctl(epoll.as_fd(), EPOLL_CTL_ADD, reader.as_fd(), Some(&event)).unwrap();
        let err =
            epoll_ctl(epoll.as_fd(), EPOLL_CTL_ADD, reader.as_fd(), Some(&event)).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(ADD)", libc::EEXIST);
        let err = epoll_ctl(epoll.as_fd(), EPOLL_CTL_DEL, writer.as_fd(), None).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(DEL)", libc::ENOENT);
    });
}

#[test]
fn ch01_epoll_ctl_add_of_a_file_or_directory_is_eperm_and_of_an_o_path_fd_is_ebadf() {
    assert_no_fd_leaks(|| {
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        let event = RawEvent::new(EPOLLIN, 1);
        for file in [regular_file(), directory()] {
            let err =
                epoll_ctl(epoll.as_fd(), EPOLL_CTL_ADD, file.as_fd(), Some(&event)).unwrap_err();
            assert_call_failed(&err, "epoll_ctl(ADD)", libc::EPERM);
        }
        let path = path_only();
        let err = epoll_ctl(epoll.as_fd(), EPOLL_CTL_ADD, path.as_fd(), Some(&event)).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(ADD)", libc::EBADF);
    });
}

#[test]
fn ch01_epoll_wait_with_an_empty_buffer_or_on_a_pipe_is_einval_naming_the_call() {
    assert_no_fd_leaks(|| {
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        let err = epoll_wait(epoll.as_fd(), &mut [], 0).unwrap_err();
        assert_call_failed(&err, "epoll_wait", libc::EINVAL);
        let (reader, _writer) = pipe();
        let mut events = [RawEvent::zeroed(); 4];
        let err = epoll_wait(reader.as_fd(), &mut events, 0).unwrap_err();
        assert_call_failed(&err, "epoll_wait", libc::EINVAL);
    });
}

#[test]
fn ch01_epoll_wait_with_a_negative_timeout_waits_for_the_event_not_less() {
    assert_no_fd_leaks(|| {
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        let event = RawEvent::new(EPOLLIN, 7);
        epoll_ctl(epoll.as_fd(), EPOLL_CTL_ADD, reader.as_fd(), Some(&event)).unwrap();
        let tokens = woken_by_the_event(
            move || {
                let mut events = [RawEvent::zeroed(); 4];
                let n = epoll_wait(epoll.as_fd(), &mut events, i32::MIN).unwrap();
                events[..n].iter().map(RawEvent::token).collect::<Vec<_>>()
            },
            || writer.write_all(b"x").unwrap(),
        );
        assert_eq!(tokens, [7]);
    });
}

#[test]
fn ch01_read_and_write_on_the_wrong_end_of_a_pipe_are_ebadf_naming_the_call() {
    assert_no_fd_leaks(|| {
        let (reader, writer) = ch01_raw_syscalls::pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        let err = ch01_raw_syscalls::read(writer.as_fd(), &mut [0; 4]).unwrap_err();
        assert_call_failed(&err, "read", libc::EBADF);
        let err = ch01_raw_syscalls::write(reader.as_fd(), b"x").unwrap_err();
        assert_call_failed(&err, "write", libc::EBADF);
    });
}

// ---------------------------------------------------------------------
// Chapter 2: the interest list, the slab, EINTR
// ---------------------------------------------------------------------

#[test]
fn ch02_add_modify_delete_name_their_operation_and_keep_the_errno() {
    use ch02_interest_and_ready_lists::{add, delete, modify};
    assert_no_fd_leaks(|| {
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        let (reader, _writer) = pipe();
        let err = add(epoll.as_fd(), epoll.as_fd(), EPOLLIN, 1).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(ADD)", libc::EINVAL);
        let err = modify(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(MOD)", libc::ENOENT);
        let err = delete(epoll.as_fd(), reader.as_fd()).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(DEL)", libc::ENOENT);
    });
}

#[test]
fn ch02_registrations_of_an_fd_that_is_not_epoll_is_invalid_input_not_an_empty_list() {
    use ch02_interest_and_ready_lists::{add, registrations};
    assert_no_fd_leaks(|| {
        let (reader, _writer) = pipe();
        let err = registrations(reader.as_fd()).unwrap_err();
        assert_refused(&err, ErrorKind::InvalidInput, "registrations: fd ");
        assert!(err.to_string().ends_with("not an epoll instance"), "{err}");
        // An epoll instance is still read as before.
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        assert!(registrations(epoll.as_fd()).unwrap().is_empty());
        add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 3).unwrap();
        assert_eq!(registrations(epoll.as_fd()).unwrap()[0].token, 3);
    });
}

#[test]
fn ch02_wait_retrying_eintr_with_a_negative_timeout_waits_for_the_event() {
    use ch02_interest_and_ready_lists::{add, wait_retrying_eintr};
    assert_no_fd_leaks(|| {
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 5).unwrap();
        let n = woken_by_the_event(
            move || {
                let mut events = [RawEvent::zeroed(); 4];
                wait_retrying_eintr(epoll.as_fd(), &mut events, -1000).unwrap()
            },
            || writer.write_all(b"x").unwrap(),
        );
        assert_eq!(n, 1);
    });
}

#[test]
fn ch02_slab_keys_never_issued_or_removed_twice_are_none() {
    use ch02_interest_and_ready_lists::Slab;
    assert_no_fd_leaks(|| {
        let mut slab = Slab::new();
        let key = slab.insert("a");
        assert_eq!(slab.remove(usize::MAX), None);
        assert_eq!(slab.get(key + 1), None);
        assert_eq!(slab.remove(key), Some("a"));
        assert_eq!(slab.remove(key), None);
        assert!(slab.is_empty());
    });
}

// ---------------------------------------------------------------------
// Chapter 3: draining, the ready list, sleepers
// ---------------------------------------------------------------------

#[test]
fn ch03_read_with_budget_with_a_chunk_of_zero_is_invalid_input_not_a_panic() {
    use ch03_level_edge_oneshot::read_with_budget;
    assert_no_fd_leaks(|| {
        let (reader, writer) = ch01_raw_syscalls::pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        ch01_raw_syscalls::write(writer.as_fd(), b"data").unwrap();
        let mut sink = Vec::new();
        let err = no_panic("read_with_budget(chunk 0)", || {
            read_with_budget(reader.as_fd(), &mut sink, 0, 10)
        })
        .unwrap_err();
        assert_refused(&err, ErrorKind::InvalidInput, "read_with_budget: ");
        // Too large to allocate: an error, and the sink as it was.
        let err = no_panic("read_with_budget(chunk usize::MAX)", || {
            read_with_budget(reader.as_fd(), &mut sink, usize::MAX, 10)
        })
        .unwrap_err();
        assert_refused(&err, ErrorKind::OutOfMemory, "read_with_budget: ");
        assert!(sink.is_empty());
        // The data was not touched by either.
        let done = read_with_budget(reader.as_fd(), &mut sink, 2, 10).unwrap();
        assert_eq!((done.bytes, sink.as_slice()), (4, &b"data"[..]));
    });
}

#[test]
fn ch03_ready_now_on_an_fd_that_is_not_epoll_is_einval_naming_epoll_wait() {
    assert_no_fd_leaks(|| {
        let (reader, _writer) = pipe();
        let err = ch03_level_edge_oneshot::ready_now(reader.as_fd()).unwrap_err();
        assert_call_failed(&err, "epoll_wait", libc::EINVAL);
    });
}

#[test]
fn ch03_a_tid_that_is_not_ours_is_not_found_naming_the_file_even_with_endless_patience() {
    use ch03_level_edge_oneshot::sleepers::thread_state;
    assert_no_fd_leaks(|| {
        // Above the kernel's pid_max, so never a thread of this process.
        let stranger = u32::MAX;
        let err = thread_state(stranger).unwrap_err();
        assert_refused(
            &err,
            ErrorKind::NotFound,
            "reading /proc/self/task/4294967295/",
        );
        let err = no_panic("wait_until_in_epoll_wait(Duration::MAX)", || {
            wait_until_in_epoll_wait(stranger, Duration::MAX)
        })
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    });
}

// ---------------------------------------------------------------------
// Chapter 4: Epoll and Events
// ---------------------------------------------------------------------

#[test]
fn ch04_epoll_add_of_fds_epoll_refuses_names_the_call_and_keeps_the_errno() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, _writer) = pipe();
        epoll.add(&reader, IN, 1).unwrap();
        let err = epoll.add(&reader, IN, 2).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(ADD)", libc::EEXIST);
        for file in [regular_file(), directory()] {
            let err = epoll.add(&file, IN, 3).unwrap_err();
            assert_call_failed(&err, "epoll_ctl(ADD)", libc::EPERM);
        }
        let err = epoll.add(path_only(), IN, 4).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(ADD)", libc::EBADF);
        let err = epoll.add(&epoll, IN, 5).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(ADD)", libc::EINVAL);
    });
}

#[test]
fn ch04_epoll_modify_or_delete_of_an_fd_never_added_is_enoent_naming_the_call() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, _writer) = pipe();
        let err = epoll.modify(&reader, IN, 1).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(MOD)", libc::ENOENT);
        let err = epoll.delete(&reader).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(DEL)", libc::ENOENT);
    });
}

#[test]
fn ch04_events_with_capacity_zero_makes_every_wait_einval_and_leaves_it_empty() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        writer.write_all(b"x").unwrap();
        epoll.add(&reader, IN, 1).unwrap();
        let mut events = Events::with_capacity(0);
        for timeout in [Some(Duration::ZERO), Some(Duration::from_millis(1)), None] {
            let err = epoll.wait(&mut events, timeout).unwrap_err();
            assert_call_failed(&err, "epoll_wait", libc::EINVAL);
            assert!(events.is_empty());
        }
    });
}

#[test]
fn ch04_events_with_capacity_above_max_events_asks_for_max_events_and_the_wait_succeeds() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        writer.write_all(b"x").unwrap();
        epoll.add(&reader, IN, 9).unwrap();
        // 2 GiB of address space, of which the kernel touches one page.
        let mut events = Events::with_capacity(MAX_EVENTS + 1);
        let n = epoll.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(
            n, 1,
            "EINVAL would mean the capacity went to the kernel as it is"
        );
        assert_eq!(events.iter().next().map(|event| event.token()), Some(9));
    });
}

#[test]
fn ch04_events_with_capacity_beyond_what_memory_can_address_panics_as_documented() {
    assert_no_fd_leaks(|| {
        // `Events::with_capacity` returns no `Result`; its documentation
        // says that, like `Vec::with_capacity`, it panics when the size in
        // bytes overflows. The loops of chapters 7 and 8 check first.
        let payload = panic::catch_unwind(|| Events::with_capacity(usize::MAX)).unwrap_err();
        assert_eq!(panic_message(&*payload), "capacity overflow");
    });
}

#[test]
fn ch04_events_try_with_capacity_refuses_what_no_wait_can_use_naming_the_call() {
    assert_no_fd_leaks(|| {
        for capacity in [0, MAX_EVENTS + 1, usize::MAX] {
            let err = Events::try_with_capacity(capacity)
                .err()
                .unwrap_or_else(|| panic!("{capacity} events were accepted"));
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
            assert!(
                err.to_string().starts_with("Events::try_with_capacity: "),
                "{err}"
            );
        }
        let events = Events::try_with_capacity(64).unwrap();
        assert_eq!(events.capacity(), 64);
        assert!(events.is_empty());
    });
}

#[test]
fn ch04_epoll_wait_longer_than_i32_max_ms_waits_for_the_event_not_less() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        epoll.add(&reader, IN, 1).unwrap();
        let beyond_an_int = Duration::from_millis(i32::MAX as u64 + 1);
        let n = woken_by_the_event(
            move || {
                let mut events = Events::with_capacity(4);
                epoll.wait(&mut events, Some(beyond_an_int)).unwrap()
            },
            || writer.write_all(b"x").unwrap(),
        );
        assert_eq!(n, 1);
    });
}

#[test]
fn ch04_epoll_wait_of_duration_max_waits_for_the_event_not_less() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        epoll.add(&reader, IN, 1).unwrap();
        let n = woken_by_the_event(
            move || {
                let mut events = Events::with_capacity(4);
                no_panic("Epoll::wait(Duration::MAX)", || {
                    epoll.wait(&mut events, Some(Duration::MAX))
                })
                .unwrap()
            },
            || writer.write_all(b"x").unwrap(),
        );
        assert_eq!(n, 1);
    });
}

// ---------------------------------------------------------------------
// Chapter 5: eventfd and Waker
// ---------------------------------------------------------------------

#[test]
fn ch05_eventfd_with_unknown_flags_is_einval_naming_eventfd() {
    use ch05_eventfd_wakeups::EventFd;
    assert_no_fd_leaks(|| {
        // 2 is none of EFD_SEMAPHORE (1), EFD_NONBLOCK and EFD_CLOEXEC.
        let err = EventFd::new(0, 2).unwrap_err();
        assert_call_failed(&err, "eventfd", libc::EINVAL);
    });
}

#[test]
fn ch05_eventfd_writes_and_reads_out_of_range_are_errors_naming_the_call() {
    use ch05_eventfd_wakeups::{EventFd, INVALID_VALUE, MAX_COUNT};
    assert_no_fd_leaks(|| {
        let eventfd = EventFd::new(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC).unwrap();
        let err = eventfd.read().unwrap_err();
        assert_call_failed(&err, "read(eventfd)", libc::EAGAIN);
        let err = eventfd.write(INVALID_VALUE).unwrap_err();
        assert_call_failed(&err, "write(eventfd)", libc::EINVAL);
        eventfd.write(MAX_COUNT).unwrap();
        let err = eventfd.write(1).unwrap_err();
        assert_call_failed(&err, "write(eventfd)", libc::EAGAIN);
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
        let err = eventfd.read_bytes(&mut [0; 7]).unwrap_err();
        assert_call_failed(&err, "read(eventfd)", libc::EINVAL);
        let err = eventfd.write_bytes(&[0; 4]).unwrap_err();
        assert_call_failed(&err, "write(eventfd)", libc::EINVAL);
        assert_eq!(
            eventfd.read().unwrap(),
            MAX_COUNT,
            "the failed calls changed nothing"
        );
    });
}

#[test]
fn ch05_a_waker_whose_epoll_is_gone_wakes_nobody_without_an_error() {
    use ch05_eventfd_wakeups::Waker;
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let waker = Waker::new(&epoll, 1).unwrap();
        drop(epoll);
        waker.wake().unwrap();
        assert_eq!(waker.drain().unwrap(), 1);
        assert_eq!(waker.drain().unwrap(), 0);
    });
}

#[test]
fn ch05_waiting_for_a_thread_that_has_ended_is_not_found_even_with_endless_patience() {
    use ch05_eventfd_wakeups::Tid;
    assert_no_fd_leaks(|| {
        let ended = thread::spawn(Tid::current).join().unwrap();
        let err = no_panic("Tid::wait_until_blocked_in(Duration::MAX)", || {
            ended.wait_until_blocked_in("epoll", Duration::MAX)
        })
        .unwrap_err();
        assert_refused(&err, ErrorKind::NotFound, "reading /proc/self/task/");
    });
}

// ---------------------------------------------------------------------
// Chapter 6: timerfd, signalfd, inotify, children
// ---------------------------------------------------------------------

#[test]
fn ch06_timerfd_durations_it_cannot_express_are_invalid_input_naming_the_call() {
    use ch06_everything_is_an_fd::TimerFd;
    assert_no_fd_leaks(|| {
        let timer = TimerFd::new().unwrap();
        let err = timer.set_after(Duration::MAX).unwrap_err();
        assert_refused(&err, ErrorKind::InvalidInput, "timerfd_settime: ");
        let err = timer.set(Duration::ZERO, Some(Duration::MAX)).unwrap_err();
        assert_refused(&err, ErrorKind::InvalidInput, "timerfd_settime: ");
        let err = timer.set_interval(Duration::ZERO).unwrap_err();
        assert_refused(&err, ErrorKind::InvalidInput, "TimerFd::set_interval: ");
        assert_eq!(timer.setting().unwrap().next, None, "still disarmed");
    });
}

#[test]
fn ch06_timerfd_set_to_a_huge_duration_is_armed_centuries_away_never_short() {
    use ch06_everything_is_an_fd::TimerFd;
    assert_no_fd_leaks(|| {
        let timer = TimerFd::new().unwrap();
        // The most a `time_t` holds: the kernel keeps at most KTIME_MAX
        // nanoseconds (about 292 years) and arms the timer that far away.
        timer
            .set_after(Duration::from_secs(i64::MAX as u64))
            .unwrap();
        let next = timer.setting().unwrap().next.expect("armed");
        let century = Duration::from_secs(100 * 365 * 24 * 3600);
        assert!(next > 2 * century, "{next:?}");
        assert_eq!(timer.read().unwrap(), 0, "not expired");
    });
}

#[test]
fn ch06_numbers_that_are_not_signals_are_einval_and_block_nothing() {
    use ch06_everything_is_an_fd::{SignalFd, SignalSet};
    assert_no_fd_leaks(|| {
        for bad in [0, -1, 65] {
            let err = SignalSet::from_signals(&[libc::SIGUSR1, bad]).unwrap_err();
            assert_call_failed(&err, "sigaddset", libc::EINVAL);
        }
        // On a thread of its own: a `SignalFd` changes its thread's mask.
        thread::spawn(|| {
            let before = SignalSet::blocked().unwrap();
            let err = SignalFd::new(&[libc::SIGUSR1, 65]).unwrap_err();
            assert_call_failed(&err, "sigaddset", libc::EINVAL);
            assert_eq!(SignalSet::blocked().unwrap(), before, "nothing blocked");
        })
        .join()
        .unwrap();
    });
}

#[test]
fn ch06_inotify_add_watch_with_bad_paths_or_masks_names_the_call() {
    use ch06_everything_is_an_fd::{Inotify, TempDir};
    assert_no_fd_leaks(|| {
        let inotify = Inotify::new().unwrap();
        let dir = TempDir::new("bad-input").unwrap();
        let err = inotify
            .add_watch(dir.join("missing"), libc::IN_CREATE)
            .unwrap_err();
        assert_call_failed(&err, "inotify_add_watch", libc::ENOENT);
        let err = inotify.add_watch(dir.path(), 0).unwrap_err();
        assert_call_failed(&err, "inotify_add_watch", libc::EINVAL);
        let err = inotify.add_watch("a\0b", libc::IN_CREATE).unwrap_err();
        assert_refused(&err, ErrorKind::InvalidInput, "inotify_add_watch: ");
    });
}

#[test]
fn ch06_inotify_rm_watch_of_a_watch_it_never_issued_or_removed_twice_is_einval() {
    use ch06_everything_is_an_fd::{Inotify, TempDir};
    assert_no_fd_leaks(|| {
        let dir = TempDir::new("bad-input").unwrap();
        let this = Inotify::new().unwrap();
        let other = Inotify::new().unwrap();
        let mine = this.add_watch(dir.path(), libc::IN_CREATE).unwrap();
        let theirs = other.add_watch(dir.path(), libc::IN_DELETE).unwrap();
        this.rm_watch(mine).unwrap();
        let err = this.rm_watch(mine).unwrap_err();
        assert_call_failed(&err, "inotify_rm_watch", libc::EINVAL);
        // `theirs` has the same number as `mine` (each instance counts
        // from 1), but `mine` is gone: no watch of this instance has it.
        assert_eq!(theirs.raw(), mine.raw());
        let err = this.rm_watch(theirs).unwrap_err();
        assert_call_failed(&err, "inotify_rm_watch", libc::EINVAL);
    });
}

#[test]
fn ch06_inotify_read_into_a_buffer_too_small_is_einval_and_keeps_the_event() {
    use ch06_everything_is_an_fd::{Inotify, READ_BUFFER_SIZE, TempDir};
    assert_no_fd_leaks(|| {
        let dir = TempDir::new("bad-input").unwrap();
        let inotify = Inotify::new().unwrap();
        inotify.add_watch(dir.path(), libc::IN_CREATE).unwrap();
        // Nothing queued: a buffer of any size reads no event.
        assert!(inotify.read_events(&mut []).unwrap().is_empty());
        File::create(dir.join("new")).unwrap();
        for size in [0, 10] {
            let err = inotify.read_events(&mut vec![0; size]).unwrap_err();
            assert_call_failed(&err, "read(inotify)", libc::EINVAL);
        }
        let events = inotify.read_events(&mut [0; READ_BUFFER_SIZE]).unwrap();
        assert_eq!(events.len(), 1, "the event waited for a buffer it fits in");
        assert_eq!(events[0].name.as_deref(), Some("new".as_ref()));
    });
}

#[test]
fn ch06_spawning_a_missing_program_or_a_temp_dir_under_a_missing_one_names_the_call() {
    use ch06_everything_is_an_fd::{Children, TempDir};
    use std::process::Command;
    assert_no_fd_leaks(|| {
        let mut children = Children::new();
        let err = children
            .spawn("missing", &mut Command::new("/nonexistent/program"))
            .unwrap_err();
        assert_call_failed(&err, "spawn", libc::ENOENT);
        assert!(children.is_empty());
        let err = TempDir::new("no/such/parent").unwrap_err();
        assert_call_failed(&err, "mkdir", libc::ENOENT);
    });
}

// ---------------------------------------------------------------------
// Chapter 7: the reactor
// ---------------------------------------------------------------------

mod ch07 {
    use super::*;
    use ch04_libc_and_a_safe_wrapper::Event;
    use ch07_a_reactor::io::{read_some, write_some};
    use ch07_a_reactor::{Context, Interest, Reactor, Token};
    use std::rc::Rc;

    fn nothing<S>(_: &S, _: &mut Context<'_>, _: Event) -> io::Result<()> {
        Ok(())
    }

    #[test]
    fn ch07_register_of_fds_epoll_refuses_names_epoll_ctl_add_and_registers_nothing() {
        assert_no_fd_leaks(|| {
            let mut reactor = Reactor::new().unwrap();
            let (reader, _writer) = pipe();
            let shared = Rc::new(reader);
            reactor
                .register(Rc::clone(&shared), Interest::READABLE, nothing)
                .unwrap();
            let err = reactor
                .register(Rc::clone(&shared), Interest::READABLE, nothing)
                .unwrap_err();
            assert_call_failed(&err, "epoll_ctl(ADD)", libc::EEXIST);
            for file in [regular_file(), directory()] {
                let err = reactor
                    .register(file, Interest::READABLE, nothing)
                    .unwrap_err();
                assert_call_failed(&err, "epoll_ctl(ADD)", libc::EPERM);
            }
            let err = reactor
                .register(path_only(), Interest::READABLE, nothing)
                .unwrap_err();
            assert_call_failed(&err, "epoll_ctl(ADD)", libc::EBADF);
            assert_eq!(reactor.len(), 1);
            assert_eq!(
                Rc::strong_count(&shared),
                2,
                "the refused clone was dropped"
            );
        });
    }

    #[test]
    fn ch07_tokens_never_issued_removed_or_of_another_reactor_are_not_found_naming_the_operation() {
        assert_no_fd_leaks(|| {
            let mut reactor = Reactor::new().unwrap();
            let mut other = Reactor::new().unwrap();
            let (reader, _writer) = pipe();
            let (a, _a_writer) = pipe();
            let (b, _b_writer) = pipe();
            let mine = reactor
                .register(reader, Interest::READABLE, nothing)
                .unwrap();
            other.register(a, Interest::READABLE, nothing).unwrap();
            let theirs = other.register(b, Interest::READABLE, nothing).unwrap();
            reactor.deregister(mine).unwrap();
            let never = Token::new(7, 0);
            for (token, why) in [
                (mine, "was removed"),
                (never, "no registration was ever given"),
                (theirs, "no registration was ever given"),
            ] {
                let err = reactor.deregister(token).unwrap_err();
                assert_refused(&err, ErrorKind::NotFound, "deregister: ");
                assert!(err.to_string().contains(why), "{err}");
                let err = reactor.reregister(token, Interest::READABLE).unwrap_err();
                assert_refused(&err, ErrorKind::NotFound, "reregister: ");
                let err = reactor.remove::<OwnedFd>(token).unwrap_err();
                assert_refused(&err, ErrorKind::NotFound, "remove: ");
            }
            assert_eq!((reactor.len(), other.len()), (0, 2));
        });
    }

    #[test]
    fn ch07_a_capacity_of_zero_or_above_max_events_is_invalid_input_not_a_panic() {
        assert_no_fd_leaks(|| {
            for capacity in [0, MAX_EVENTS + 1, usize::MAX] {
                let result = no_panic("Reactor::with_capacity", || {
                    Reactor::with_capacity(capacity)
                });
                let err = result.err().expect("refused");
                assert_refused(&err, ErrorKind::InvalidInput, "Reactor::with_capacity: ");
            }
            assert!(Reactor::with_capacity(1).is_ok());
        });
    }

    #[test]
    fn ch07_deregister_of_an_fd_swapped_behind_the_reactors_back_is_enoent_and_keeps_it() {
        assert_no_fd_leaks(|| {
            let mut reactor = Reactor::new().unwrap();
            let (reader, _writer) = pipe();
            let number = reader.as_raw_fd();
            let token = reactor
                .register(reader, Interest::READABLE, nothing)
                .unwrap();
            let (other_reader, _other_writer) = pipe();
            swap_behind_the_owners_back(other_reader.as_fd(), number);
            let err = reactor.deregister(token).unwrap_err();
            assert_call_failed(&err, "epoll_ctl(DEL)", libc::ENOENT);
            assert!(reactor.contains(token), "documented: a failed DEL keeps it");
        });
    }

    #[test]
    fn ch07_turn_of_duration_max_waits_for_the_event_not_less() {
        assert_no_fd_leaks(|| {
            let (reader, mut writer) = std::io::pipe().unwrap();
            let reader = OwnedFd::from(reader);
            let turn = woken_by_the_event(
                move || {
                    // The reactor is not `Send`: it lives on this thread.
                    let mut reactor = Reactor::new().unwrap();
                    reactor
                        .register(reader, Interest::READABLE, nothing)
                        .unwrap();
                    no_panic("Reactor::turn(Duration::MAX)", || {
                        reactor.turn(Some(Duration::MAX))
                    })
                    .unwrap()
                },
                || writer.write_all(b"x").unwrap(),
            );
            assert_eq!((turn.events, turn.dispatched), (1, 1));
        });
    }

    #[test]
    fn ch07_read_some_into_an_empty_buffer_is_invalid_input_not_end_of_file() {
        assert_no_fd_leaks(|| {
            let (reader, writer) = ch01_raw_syscalls::pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
            assert_eq!(write_some(writer.as_fd(), b"hi").unwrap(), Some(2));
            let err = read_some(reader.as_fd(), &mut []).unwrap_err();
            assert_refused(&err, ErrorKind::InvalidInput, "read: ");
            assert_eq!(read_some(reader.as_fd(), &mut [0; 8]).unwrap(), Some(2));
            // The wrong end of the pipe, each way.
            let err = read_some(writer.as_fd(), &mut [0; 8]).unwrap_err();
            assert_call_failed(&err, "read", libc::EBADF);
            let err = write_some(reader.as_fd(), b"x").unwrap_err();
            assert_call_failed(&err, "write", libc::EBADF);
        });
    }
}

// ---------------------------------------------------------------------
// Chapter 8: the event loop and Generic
// ---------------------------------------------------------------------

mod ch08 {
    use super::*;
    use ch08_generic_sources::{
        EventLoop, Generic, Interest, LoopHandle, Mode, PostAction, Readiness, RegistrationToken,
        Watched,
    };
    use std::rc::Rc;

    fn ignore<F>(_: Readiness, _: &mut Watched<F>, _: &mut ()) -> io::Result<PostAction> {
        Ok(PostAction::Continue)
    }

    fn insert<F: AsFd + 'static>(
        handle: &LoopHandle<'static, ()>,
        file: F,
    ) -> io::Result<RegistrationToken> {
        let source = Generic::new(file, Interest::READABLE, Mode::Level);
        handle
            .insert_source(source, ignore::<F>)
            .map_err(|refused| refused.error)
    }

    #[test]
    fn ch08_a_capacity_of_zero_or_above_max_events_is_invalid_input_not_a_panic() {
        assert_no_fd_leaks(|| {
            for capacity in [0, MAX_EVENTS + 1, usize::MAX] {
                let result = no_panic("EventLoop::with_capacity", || {
                    EventLoop::<()>::with_capacity(capacity)
                });
                let err = result.err().expect("refused");
                assert_refused(&err, ErrorKind::InvalidInput, "EventLoop::with_capacity: ");
            }
            assert!(EventLoop::<()>::with_capacity(1).is_ok());
        });
    }

    #[test]
    fn ch08_insert_source_of_fds_epoll_refuses_names_epoll_ctl_add_and_gives_the_source_back() {
        assert_no_fd_leaks(|| {
            let event_loop: EventLoop<'static, ()> = EventLoop::new().unwrap();
            let handle = event_loop.handle();
            let (reader, _writer) = pipe();
            let shared = Rc::new(reader);
            insert(&handle, Rc::clone(&shared)).unwrap();
            let twice = Generic::new(Rc::clone(&shared), Interest::READABLE, Mode::Level);
            let refused = handle
                .insert_source(twice, ignore::<Rc<OwnedFd>>)
                .unwrap_err();
            assert_call_failed(&refused.error, "epoll_ctl(ADD)", libc::EEXIST);
            let back: Rc<OwnedFd> = refused.source.into_inner();
            assert_eq!(Rc::strong_count(&back), 3, "given back, not dropped");
            drop(back);
            for file in [regular_file(), directory()] {
                let err = insert(&handle, file).unwrap_err();
                assert_call_failed(&err, "epoll_ctl(ADD)", libc::EPERM);
            }
            let err = insert(&handle, path_only()).unwrap_err();
            assert_call_failed(&err, "epoll_ctl(ADD)", libc::EBADF);
            assert_eq!(handle.len(), 1);
        });
    }

    #[test]
    fn ch08_tokens_never_issued_removed_or_of_another_loop_are_not_found_naming_the_operation() {
        assert_no_fd_leaks(|| {
            let event_loop: EventLoop<'static, ()> = EventLoop::new().unwrap();
            let other_loop: EventLoop<'static, ()> = EventLoop::new().unwrap();
            let (handle, other) = (event_loop.handle(), other_loop.handle());
            let (reader, _writer) = pipe();
            let (a, _a_writer) = pipe();
            let (b, _b_writer) = pipe();
            let removed = insert(&handle, reader).unwrap();
            handle.remove(removed).unwrap();
            insert(&other, a).unwrap();
            let theirs = insert(&other, b).unwrap();
            let never = RegistrationToken::new(9, 0);
            for token in [removed, never, theirs] {
                type Changes = [(
                    &'static str,
                    fn(&LoopHandle<'static, ()>, RegistrationToken) -> io::Result<()>,
                ); 5];
                let changes: Changes = [
                    ("remove: ", |h, t| h.remove(t)),
                    ("take: ", |h, t| h.take::<Generic<OwnedFd>>(t).map(drop)),
                    ("enable: ", |h, t| h.enable(t)),
                    ("disable: ", |h, t| h.disable(t)),
                    ("update: ", |h, t| h.update(t)),
                ];
                for (operation, change) in changes {
                    let err = change(&handle, token).unwrap_err();
                    assert_refused(&err, ErrorKind::NotFound, operation);
                }
            }
            assert_eq!((handle.len(), other.len()), (0, 2));
        });
    }

    #[test]
    fn ch08_a_token_of_another_loop_names_whatever_this_loop_has_in_its_slot_as_documented() {
        assert_no_fd_leaks(|| {
            let event_loop: EventLoop<'static, ()> = EventLoop::new().unwrap();
            let other_loop: EventLoop<'static, ()> = EventLoop::new().unwrap();
            let (reader, _writer) = pipe();
            let (theirs, _their_writer) = pipe();
            let mine = insert(&event_loop.handle(), reader).unwrap();
            let token = insert(&other_loop.handle(), theirs).unwrap();
            // Both are slot 0, generation 0: nothing tells them apart.
            assert_eq!(mine, token);
            assert!(event_loop.handle().contains(token));
        });
    }

    #[test]
    fn ch08_take_as_the_wrong_type_is_invalid_input_and_leaves_the_source() {
        assert_no_fd_leaks(|| {
            let event_loop: EventLoop<'static, ()> = EventLoop::new().unwrap();
            let handle = event_loop.handle();
            let (reader, _writer) = pipe();
            let token = insert(&handle, reader).unwrap();
            let err = handle.take::<Generic<File>>(token).unwrap_err();
            assert_refused(&err, ErrorKind::InvalidInput, "take: ");
            assert!(handle.contains(token));
            let back = handle.take::<Generic<OwnedFd>>(token).unwrap();
            assert_eq!(back.token(), None, "taken out of the interest list");
        });
    }

    #[test]
    fn ch08_remove_of_a_generic_whose_fd_was_swapped_is_enoent_and_removes_it_anyway() {
        assert_no_fd_leaks(|| {
            let event_loop: EventLoop<'static, ()> = EventLoop::new().unwrap();
            let handle = event_loop.handle();
            let (reader, _writer) = pipe();
            let number = reader.as_raw_fd();
            let token = insert(&handle, reader).unwrap();
            let (other_reader, _other_writer) = pipe();
            swap_behind_the_owners_back(other_reader.as_fd(), number);
            let err = handle.remove(token).unwrap_err();
            assert_call_failed(&err, "epoll_ctl(DEL)", libc::ENOENT);
            assert!(!handle.contains(token), "documented: removed all the same");
            assert!(handle.is_empty());
        });
    }

    #[test]
    fn ch08_dispatch_of_duration_max_waits_for_the_event_not_less() {
        assert_no_fd_leaks(|| {
            let (reader, mut writer) = std::io::pipe().unwrap();
            let reader = OwnedFd::from(reader);
            let calls = woken_by_the_event(
                move || {
                    // The loop is not `Send`: it lives on this thread.
                    let mut event_loop: EventLoop<'static, usize> = EventLoop::new().unwrap();
                    let source = Generic::new(reader, Interest::READABLE, Mode::Level);
                    event_loop
                        .handle()
                        .insert_source(source, |_, _, calls: &mut usize| {
                            *calls += 1;
                            Ok(PostAction::Continue)
                        })
                        .unwrap();
                    let mut calls = 0;
                    no_panic("EventLoop::dispatch(Duration::MAX)", || {
                        event_loop.dispatch(Some(Duration::MAX), &mut calls)
                    })
                    .unwrap();
                    calls
                },
                || writer.write_all(b"x").unwrap(),
            );
            assert_eq!(calls, 1);
        });
    }
}

// ---------------------------------------------------------------------
// Chapter 9: ownership and fd wrappers
// ---------------------------------------------------------------------

#[test]
fn ch09_delete_number_of_a_number_not_open_or_never_registered_names_epoll_ctl_del() {
    use ch09_ownership_and_fd_wrappers::{delete_number, number_in_use};
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let err = delete_number(&epoll, -1).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(DEL)", libc::EBADF);
        let err = delete_number(&epoll, NEVER_OPEN).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(DEL)", libc::EBADF);
        let (reader, _writer) = pipe();
        let err = delete_number(&epoll, reader.as_raw_fd()).unwrap_err();
        assert_call_failed(&err, "epoll_ctl(DEL)", libc::ENOENT);
        assert!(!number_in_use(-1) && !number_in_use(NEVER_OPEN));
        assert!(number_in_use(reader.as_raw_fd()));
    });
}

#[test]
fn ch09_pidfd_spawn_of_a_missing_program_and_bad_signals_name_the_call() {
    use ch09_ownership_and_fd_wrappers::PidFd;
    use std::process::Command;
    assert_no_fd_leaks(|| {
        let err = PidFd::spawn(&mut Command::new("/nonexistent/program")).unwrap_err();
        assert_call_failed(&err, "spawn", libc::ENOENT);
        let (mut child, pidfd) = PidFd::spawn(&mut Command::new("true")).unwrap();
        let err = pidfd.send_signal(65).unwrap_err();
        assert_call_failed(&err, "pidfd_send_signal", libc::EINVAL);
        child.wait().unwrap();
        let err = pidfd.send_signal(libc::SIGTERM).unwrap_err();
        assert_call_failed(&err, "pidfd_send_signal", libc::ESRCH);
    });
}

// ---------------------------------------------------------------------
// Chapter 10: sources on Generic
// ---------------------------------------------------------------------

mod ch10 {
    use super::*;
    use ch06_everything_is_an_fd::SignalSet;
    use ch08_generic_sources::EventLoop;
    use ch10_sources_on_generic::{Event, Signals, Timer, TimerAction, UdpSource, channel};

    /// Ticks of `timer` seen by one dispatch of at most `timeout`.
    fn ticks_within(timer: Timer, timeout: Duration) -> u64 {
        let mut event_loop: EventLoop<'static, u64> = EventLoop::new().unwrap();
        event_loop
            .handle()
            .insert_source(timer, |tick, _, ticks: &mut u64| {
                *ticks += tick.expirations;
                TimerAction::Continue
            })
            .unwrap();
        let mut ticks = 0;
        event_loop.dispatch(Some(timeout), &mut ticks).unwrap();
        ticks
    }

    #[test]
    fn ch10_timer_durations_it_cannot_keep_are_invalid_input_naming_the_source() {
        assert_no_fd_leaks(|| {
            let err = no_panic("Timer::after(Duration::MAX)", || {
                Timer::after(Duration::MAX)
            })
            .unwrap_err();
            assert_refused(&err, ErrorKind::InvalidInput, "Timer: ");
            let err = no_panic("Timer::every(Duration::MAX)", || {
                Timer::every(Duration::MAX)
            })
            .unwrap_err();
            assert_refused(&err, ErrorKind::InvalidInput, "Timer: ");
            let err = Timer::every(Duration::ZERO).unwrap_err();
            assert_refused(&err, ErrorKind::InvalidInput, "TimerFd::set_interval: ");
        });
    }

    #[test]
    fn ch10_a_huge_delay_never_fires_early_and_a_zero_delay_fires_at_once() {
        assert_no_fd_leaks(|| {
            let far = Duration::from_secs(1 << 40);
            let ticks = ticks_within(Timer::after(far).unwrap(), Duration::from_millis(50));
            assert_eq!(ticks, 0);
            let ticks = ticks_within(Timer::after(Duration::ZERO).unwrap(), BOUND);
            assert_eq!(ticks, 1);
            let past = Instant::now()
                .checked_sub(Duration::from_secs(3600))
                .unwrap_or_else(Instant::now);
            assert_eq!(ticks_within(Timer::at(past).unwrap(), BOUND), 1);
        });
    }

    #[test]
    fn ch10_send_after_the_channel_is_dropped_gives_the_message_back() {
        assert_no_fd_leaks(|| {
            let (sender, receiver) = channel::<String>().unwrap();
            drop(receiver);
            let refused = sender.send("hello".to_owned()).unwrap_err();
            assert_eq!(refused.0, "hello");
        });
    }

    #[test]
    fn ch10_a_channel_whose_senders_are_gone_delivers_closed_once() {
        assert_no_fd_leaks(|| {
            let (sender, receiver) = channel::<u8>().unwrap();
            sender.send(1).unwrap();
            drop(sender);
            let mut event_loop: EventLoop<'static, Vec<Event<u8>>> = EventLoop::new().unwrap();
            let handle = event_loop.handle();
            handle
                .insert_source(receiver, |event, _, seen: &mut Vec<Event<u8>>| {
                    seen.push(event)
                })
                .unwrap();
            let mut seen = Vec::new();
            event_loop.dispatch(Some(BOUND), &mut seen).unwrap();
            assert_eq!(seen, [Event::Msg(1), Event::Closed]);
            assert!(handle.is_empty(), "the source removed itself");
        });
    }

    #[test]
    fn ch10_signals_refuses_numbers_that_are_not_signals_and_accepts_sigkill_as_documented() {
        assert_no_fd_leaks(|| {
            // On a thread of its own: `Signals` changes its thread's mask.
            thread::spawn(|| {
                let before = SignalSet::blocked().unwrap();
                for bad in [0, 65] {
                    let err = Signals::new(&[bad]).unwrap_err();
                    assert_call_failed(&err, "sigaddset", libc::EINVAL);
                    assert_eq!(SignalSet::blocked().unwrap(), before);
                }
                let kill = Signals::new(&[libc::SIGKILL]).unwrap();
                assert!(kill.signals().contains(libc::SIGKILL));
                assert!(!SignalSet::blocked().unwrap().contains(libc::SIGKILL));
                drop(kill);
                assert_eq!(SignalSet::blocked().unwrap(), before);
            })
            .join()
            .unwrap();
        });
    }

    #[test]
    fn ch10_udp_bind_of_an_address_in_use_is_eaddrinuse_naming_bind() {
        assert_no_fd_leaks(|| {
            let first = UdpSource::bind("127.0.0.1:0").unwrap();
            let taken = first.socket().local_addr().unwrap();
            let err = UdpSource::bind(taken).unwrap_err();
            assert_call_failed(&err, "bind", libc::EADDRINUSE);
        });
    }
}

// ---------------------------------------------------------------------
// Chapter 11: the echo server
// ---------------------------------------------------------------------

mod ch11 {
    use super::*;
    use ch11_tcp_echo_server::{Config, Mode, Server, ServerThread};
    use std::net::{SocketAddr, SocketAddrV4, TcpListener};

    fn localhost() -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 0))
    }

    /// A configuration for a server on a thread other than `main`.
    fn quiet() -> Config {
        Config {
            signals: false,
            ..Config::default()
        }
    }

    #[test]
    fn ch11_bind_of_an_address_in_use_is_eaddrinuse_naming_bind_and_leaves_nothing() {
        assert_no_fd_leaks(|| {
            let taken = TcpListener::bind(localhost()).unwrap();
            let addr = taken.local_addr().unwrap();
            let expected = format!("bind({addr}): Address already in use (os error 98)");
            let err = Server::bind(addr, quiet()).err().unwrap();
            assert_eq!(err.kind(), ErrorKind::AddrInUse);
            assert_eq!(err.to_string(), expected);
            let err = ServerThread::spawn(addr, quiet()).err().unwrap();
            assert_eq!(err.kind(), ErrorKind::AddrInUse);
            assert_eq!(err.to_string(), expected);
        });
    }

    #[test]
    fn ch11_config_sizes_of_zero_too_large_or_a_oneshot_mode_are_refused_naming_the_field() {
        assert_no_fd_leaks(|| {
            let cases = [
                (
                    Config {
                        read_buffer: 0,
                        ..quiet()
                    },
                    ErrorKind::InvalidInput,
                    "Config::read_buffer must not be 0",
                ),
                (
                    Config {
                        max_pending: usize::MAX,
                        ..quiet()
                    },
                    ErrorKind::InvalidInput,
                    "Config::max_pending + Config::read_buffer",
                ),
                (
                    Config {
                        max_pending: 1,
                        read_buffer: usize::MAX,
                        ..quiet()
                    },
                    ErrorKind::InvalidInput,
                    "Config::max_pending + Config::read_buffer",
                ),
                (
                    Config {
                        read_buffer: usize::MAX / 2,
                        ..quiet()
                    },
                    ErrorKind::OutOfMemory,
                    "Config::read_buffer: ",
                ),
                (
                    Config {
                        mode: Mode::OneShot,
                        ..quiet()
                    },
                    ErrorKind::InvalidInput,
                    "Config::mode",
                ),
            ];
            for (config, kind, message) in cases {
                let result = no_panic("Server::bind", || Server::bind(localhost(), config));
                let err = result.err().expect("refused");
                assert_refused(&err, kind, message);
            }
        });
    }

    #[test]
    fn ch11_wait_for_with_duration_max_returns_when_done_not_a_panic() {
        assert_no_fd_leaks(|| {
            let server = ServerThread::spawn(localhost(), quiet()).unwrap();
            let stats = no_panic("Remote::wait_for(Duration::MAX)", || {
                server
                    .remote()
                    .wait_for(Duration::MAX, |stats| stats.accepted == 0)
            })
            .unwrap();
            assert_eq!(stats.accepted, 0);
            server.stop().unwrap();
        });
    }

    /// Lowers this process's soft limit on open files, and puts it back
    /// when dropped, even if the test fails.
    struct FileLimit {
        saved: libc::rlimit,
    }

    impl FileLimit {
        fn lower_to(soft: libc::rlim_t) -> FileLimit {
            let mut saved = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            // SAFETY: `saved` is a live rlimit for the kernel to write.
            assert_eq!(
                unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut saved) },
                0
            );
            let lowered = libc::rlimit {
                rlim_cur: soft,
                ..saved
            };
            // SAFETY: `lowered` is a live rlimit, only read.
            assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) }, 0);
            FileLimit { saved }
        }
    }

    impl Drop for FileLimit {
        fn drop(&mut self) {
            // SAFETY: `self.saved` is a live rlimit, only read; raising the
            // soft limit back up to the unchanged hard limit is allowed.
            unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &self.saved) };
        }
    }

    /// Connects the TCP socket `fd` to `addr`, without making an fd.
    fn connect(fd: BorrowedFd<'_>, addr: SocketAddrV4) -> io::Result<()> {
        let sin = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: addr.port().to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from_ne_bytes(addr.ip().octets()),
            },
            sin_zero: [0; 8],
        };
        // SAFETY: `sin` is a live sockaddr_in and the length passed is its
        // size; `fd` is an open socket (borrowed).
        let ret = unsafe {
            libc::connect(
                fd.as_raw_fd(),
                (&raw const sin).cast(),
                size_of::<libc::sockaddr_in>() as libc::socklen_t,
            )
        };
        ch01_raw_syscalls::error::check("connect", ret).map(drop)
    }

    #[test]
    fn ch11_an_accept_backoff_of_duration_max_pauses_until_a_connection_closes_not_a_panic() {
        assert_no_fd_leaks(|| {
            let config = Config {
                accept_backoff: Duration::MAX,
                ..quiet()
            };
            let server = ServerThread::spawn(localhost(), config).unwrap();
            let SocketAddr::V4(addr) = server.addr() else {
                panic!("an IPv4 address")
            };
            // SAFETY: socket takes no pointers; the fd it returns is new and
            // owned by the OwnedFd at once.
            let client =
                unsafe { libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) };
            let client = ch01_raw_syscalls::error::check("socket", client).unwrap();
            // SAFETY: the kernel just returned `client`; nothing else owns it.
            let client = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(client) };
            let stats = {
                // No new fd for anyone: the server's accept fails (EMFILE).
                let _limit = FileLimit::lower_to(0);
                connect(client.as_fd(), addr).unwrap();
                server
                    .remote()
                    .wait_for(BOUND, |stats| stats.accept_pauses > 0)
            };
            let stats = stats.expect("the server is still running after the pause");
            assert_eq!((stats.accept_pauses, stats.accepted), (1, 0));
            // With fds to spare again, the pause goes on: only a closed
            // connection ends a pause of Duration::MAX, and none closes.
            thread::sleep(Duration::from_millis(50));
            let stats = server.remote().stats().unwrap();
            assert_eq!((stats.accept_pauses, stats.accepted), (1, 0));
            let report = server.stop().unwrap();
            assert_eq!(report.stats.accepted, 0);
            drop(client);
        });
    }
}
