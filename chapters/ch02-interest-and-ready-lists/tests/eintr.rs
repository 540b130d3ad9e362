//! `epoll_wait` and signal handlers: a handler installed with SA_RESTART
//! still makes a blocked `epoll_wait` fail with EINTR (a blocked pipe
//! `read` is restarted instead), and `wait_retrying_eintr` waits through
//! the interruptions without stretching its timeout.
//!
//! A signal handler belongs to the whole process, so the tests here take
//! turns (`LOCK`), and each puts the previous handler back when it is done.

#[allow(dead_code)]
#[path = "../examples/interrupted_wait.rs"]
mod interrupted_wait;

use ch01_raw_syscalls::consts::errno::EINTR;
use ch01_raw_syscalls::error::failed_call;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLIN, Event, O_CLOEXEC, epoll_create1, epoll_wait, errno, pipe2, read, write,
};
use ch02_interest_and_ready_lists::{add, wait_retrying_eintr};
use interrupted_wait::{HANDLED, RestartingHandler, interrupt_while_blocked};
use std::io::ErrorKind;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

static LOCK: Mutex<()> = Mutex::new(());

/// A new epoll instance with a pipe's read end in it, token 1:
/// `(epoll, read end, write end)`.
fn watched_pipe() -> (OwnedFd, OwnedFd, OwnedFd) {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    (epoll, reader, writer)
}

#[test]
fn epoll_wait_fails_with_eintr_even_with_sa_restart() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let handler = RestartingHandler::install().unwrap();
    let (epoll, _reader, writer) = watched_pipe();
    let before = HANDLED.load(Ordering::SeqCst);
    let result = interrupt_while_blocked(
        1,
        Duration::from_secs(5),
        || epoll_wait(epoll.as_fd(), &mut [Event::zeroed(); 1], -1),
        || write(writer.as_fd(), b"!").map(drop),
    )
    .unwrap();
    drop(handler);
    assert_eq!(HANDLED.load(Ordering::SeqCst) - before, 1);
    let err = result.expect_err("epoll_wait should have been interrupted");
    assert_eq!(errno(&err), Some(EINTR));
    assert_eq!(err.kind(), ErrorKind::Interrupted);
    assert_eq!(failed_call(&err), Some("epoll_wait"));
}

#[test]
fn a_blocked_pipe_read_is_restarted_with_sa_restart() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let handler = RestartingHandler::install().unwrap();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    let before = HANDLED.load(Ordering::SeqCst);
    let result = interrupt_while_blocked(
        2,
        Duration::ZERO,
        || read(reader.as_fd(), &mut [0; 8]),
        || write(writer.as_fd(), b"abc").map(drop),
    )
    .unwrap();
    drop(handler);
    assert_eq!(HANDLED.load(Ordering::SeqCst) - before, 2);
    assert_eq!(result.unwrap(), 3, "the read went on after both handlers");
}

#[test]
fn wait_retrying_eintr_waits_through_signals_for_the_event() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let handler = RestartingHandler::install().unwrap();
    let (epoll, _reader, writer) = watched_pipe();
    let before = HANDLED.load(Ordering::SeqCst);
    let result = interrupt_while_blocked(
        3,
        Duration::ZERO,
        || {
            let mut events = [Event::zeroed(); 2];
            wait_retrying_eintr(epoll.as_fd(), &mut events, -1).map(|n| (n, events[0].token()))
        },
        || write(writer.as_fd(), b"!").map(drop),
    )
    .unwrap();
    drop(handler);
    assert_eq!(HANDLED.load(Ordering::SeqCst) - before, 3);
    assert_eq!(result.unwrap(), (1, 1));
}

#[test]
fn wait_retrying_eintr_keeps_its_deadline_while_signals_keep_coming() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let handler = RestartingHandler::install().unwrap();
    let (epoll, _reader, _writer) = watched_pipe();
    let before = HANDLED.load(Ordering::SeqCst);
    // Signals every 20 ms for up to 1.5 s. A loop that restarted the full
    // 300 ms timeout after each one would return 300 ms after the last
    // signal, so after 1.8 s; a deadline ends the wait after 300 ms.
    let (result, elapsed) = thread::scope(|scope| {
        let (send_thread, thread_id) = std::sync::mpsc::channel();
        let epoll = epoll.as_fd();
        let waiter = scope.spawn(move || {
            // SAFETY: pthread_self takes no arguments and cannot fail.
            send_thread.send(unsafe { libc::pthread_self() }).unwrap();
            let start = Instant::now();
            let result = wait_retrying_eintr(epoll, &mut [Event::zeroed(); 1], 300);
            (result, start.elapsed())
        });
        let thread_id = thread_id.recv().unwrap();
        let start = Instant::now();
        while !waiter.is_finished() && start.elapsed() < Duration::from_millis(1500) {
            // SAFETY: the waiter is not joined until the scope ends, so its
            // pthread_t still names it (even if it has just returned).
            let ret = unsafe { libc::pthread_kill(thread_id, libc::SIGUSR1) };
            assert_eq!(ret, 0);
            thread::sleep(Duration::from_millis(20));
        }
        waiter.join().unwrap()
    });
    drop(handler);
    assert_eq!(result.unwrap(), 0, "nothing was ever ready");
    assert!(elapsed >= Duration::from_millis(300), "{elapsed:?}");
    assert!(elapsed < Duration::from_millis(1200), "{elapsed:?}");
    assert!(
        HANDLED.load(Ordering::SeqCst) - before >= 2,
        "the wait was interrupted along the way"
    );
}

#[test]
fn the_previous_handler_is_restored() {
    let _turn = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let current = || {
        // SAFETY: all-zero bytes are a valid sigaction, which the kernel
        // overwrites; a null `act` only reads the current action.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: as above; `action` is live for the call.
        let ret = unsafe { libc::sigaction(libc::SIGUSR1, std::ptr::null(), &mut action) };
        assert_eq!(ret, 0);
        (action.sa_sigaction, action.sa_flags)
    };
    let before = current();
    let handler = RestartingHandler::install().unwrap();
    assert_ne!(current(), before);
    assert_ne!(current().1 & libc::SA_RESTART, 0);
    drop(handler);
    assert_eq!(current(), before);
}
