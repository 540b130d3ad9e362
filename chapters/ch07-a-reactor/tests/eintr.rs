//! `read_some` and `write_some` go back into the call when a signal handler
//! interrupts it (`EINTR`), instead of failing. One test in this binary:
//! it installs a process-wide signal handler.

use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch03_level_edge_oneshot::sleepers::{current_tid, thread_state};
use ch07_a_reactor::io::{read_some, write_some, write_to_would_block};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::thread::JoinHandleExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

static HANDLED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count(_: libc::c_int) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// Installs `count` for SIGUSR2 *without* SA_RESTART, so that a blocking
/// `read` or `write` it interrupts fails with EINTR; returns the old action.
fn install() -> libc::sigaction {
    // SAFETY: all-zero is a valid sigaction (no flags, empty mask).
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = count as extern "C" fn(libc::c_int) as libc::sighandler_t;
    // SAFETY: all-zero is a valid sigaction for the kernel to overwrite.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live sigactions; the handler only does
    // an atomic add, which is async-signal-safe.
    let ret = unsafe { libc::sigaction(libc::SIGUSR2, &action, &mut old) };
    assert_eq!(ret, 0);
    old
}

fn restore(old: &libc::sigaction) {
    // SAFETY: `old` is the action sigaction gave back.
    let ret = unsafe { libc::sigaction(libc::SIGUSR2, old, std::ptr::null_mut()) };
    assert_eq!(ret, 0);
}

fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// Runs `call` on a thread; once it is asleep in the kernel, sends it one
/// SIGUSR2; once the handler ran and the thread is asleep again (in the
/// retried call), runs `release`, which makes the call return. Returns the
/// call's result.
fn interrupt_once<T: Send + 'static>(
    call: impl FnOnce() -> T + Send + 'static,
    release: impl FnOnce(),
) -> T {
    let (tid_tx, tid_rx) = mpsc::channel();
    let worker = thread::spawn(move || {
        tid_tx.send(current_tid().unwrap()).unwrap();
        call()
    });
    let tid = tid_rx.recv().unwrap();
    let asleep = || thread_state(tid).is_ok_and(|s| s.state == 'S');
    until("the call blocks", asleep);
    let before = HANDLED.load(Ordering::SeqCst);
    // SAFETY: the thread is alive (it is blocked in the call, and joined
    // below), so its pthread_t is valid.
    let code = unsafe { libc::pthread_kill(worker.as_pthread_t(), libc::SIGUSR2) };
    assert_eq!(code, 0);
    until("the handler runs", || {
        HANDLED.load(Ordering::SeqCst) > before
    });
    until("the call blocks again", asleep);
    release();
    worker.join().unwrap()
}

#[test]
fn interrupted_reads_and_writes_are_made_again() {
    let old = install();

    let (reader, writer) = testkit::pipe();
    let got = interrupt_once(
        move || {
            let mut buf = [0; 8];
            read_some(reader.as_fd(), &mut buf).map(|n| n.map(|n| buf[..n].to_vec()))
        },
        || {
            write_some(writer.as_fd(), b"late").unwrap();
        },
    );
    assert_eq!(got.unwrap(), Some(b"late".to_vec()));

    // A full pipe, then made blocking: the next write blocks.
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
    write_to_would_block(writer.as_fd(), &vec![0; 1 << 20]).unwrap();
    for end in [&reader, &writer] {
        // SAFETY: F_SETFL on an open fd, with no flags: O_NONBLOCK cleared.
        let ret = unsafe { libc::fcntl(end.as_raw_fd(), libc::F_SETFL, 0) };
        assert_eq!(ret, 0);
    }
    let written = interrupt_once(
        move || write_some(writer.as_fd(), b"x"),
        move || {
            let mut sink = vec![0; 1 << 20];
            while read_some(reader.as_fd(), &mut sink).unwrap() != Some(0) {}
        },
    );
    assert_eq!(written.unwrap(), Some(1));

    restore(&old);
    assert_eq!(HANDLED.load(Ordering::SeqCst), 2);
}
