//! Signals sent to the whole process (`kill`, a child's `SIGCHLD`), and
//! children reaped after them.
//!
//! A process-directed signal goes to any thread that does not block it. The
//! test harness runs tests on threads of its own, which block nothing, so
//! these tests cannot run under it: `Cargo.toml` declares this file with
//! `harness = false`, and `main` below runs the tests one after another on
//! the process's only thread. Each test blocks what it needs and gives it
//! back.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch06_everything_is_an_fd::{Children, SignalFd, SignalSet, signal_of, signal_this_process};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(5);

fn my_pid() -> u32 {
    // SAFETY: getpid cannot fail.
    u32::try_from(unsafe { libc::getpid() }).unwrap()
}

fn gettid() -> libc::pid_t {
    // SAFETY: gettid takes no arguments and cannot fail.
    unsafe { libc::gettid() }
}

/// Waits until `sigfd` is readable (or PATIENCE passes), and reads it.
fn wait_and_read(sigfd: &SignalFd) -> Vec<libc::signalfd_siginfo> {
    let epoll = Epoll::new().unwrap();
    epoll.add(sigfd, IN, 0).unwrap();
    let mut events = Events::with_capacity(1);
    assert_eq!(
        epoll.wait(&mut events, Some(PATIENCE)).unwrap(),
        1,
        "the signalfd never became readable"
    );
    sigfd.read().unwrap()
}

fn a_signal_sent_to_the_process_arrives_through_the_signalfd() {
    let sigfd = SignalFd::new(&[libc::SIGUSR1]).unwrap();
    signal_this_process(libc::SIGUSR1).unwrap();
    let records = wait_and_read(&sigfd);
    assert_eq!(records.len(), 1);
    assert_eq!(signal_of(&records[0]), libc::SIGUSR1);
    assert_eq!(records[0].ssi_code, libc::SI_USER, "sent with kill()");
    assert_eq!(records[0].ssi_pid, my_pid());
    assert!(sigfd.read().unwrap().is_empty());
}

static HANDLED: AtomicUsize = AtomicUsize::new(0);
static HANDLED_BY: AtomicI32 = AtomicI32::new(0);

extern "C" fn count_and_note_thread(_signal: libc::c_int) {
    // Both are async-signal-safe: an atomic store and add, and a syscall.
    HANDLED_BY.store(gettid(), Ordering::SeqCst);
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// Installs `count_and_note_thread` for `signal`; returns the old action.
fn install_counter(signal: libc::c_int) -> libc::sigaction {
    // SAFETY: all-zero bytes are a valid sigaction (no handler, empty mask,
    // no flags); the fields that matter are set below.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = count_and_note_thread as extern "C" fn(libc::c_int) as usize;
    // SAFETY: all-zero bytes are a valid sigaction, for the kernel to fill.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are to live sigactions; the handler only does
    // async-signal-safe work.
    assert_eq!(unsafe { libc::sigaction(signal, &action, &mut old) }, 0);
    old
}

fn restore_action(signal: libc::c_int, old: &libc::sigaction) {
    // SAFETY: `old` is the action the kernel gave back, only read; a null
    // `oldact` asks for nothing back.
    let ret = unsafe { libc::sigaction(signal, old, std::ptr::null_mut()) };
    assert_eq!(ret, 0);
}

fn wait_for_handler(count: usize) {
    let start = Instant::now();
    while HANDLED.load(Ordering::SeqCst) < count {
        assert!(start.elapsed() < PATIENCE, "the handler never ran");
        thread::sleep(Duration::from_millis(1));
    }
}

fn a_process_directed_signal_goes_to_a_thread_that_does_not_block_it() {
    // With a handler, a signal that goes astray is counted instead of
    // ending the process with SIGUSR2's default action.
    let old = install_counter(libc::SIGUSR2);
    HANDLED.store(0, Ordering::SeqCst);
    let stop_flag = AtomicBool::new(false);
    let stop = &stop_flag;
    thread::scope(|scope| {
        // A thread started before the SignalFd: it does not block SIGUSR2.
        let (send_tid, earlier_tid) = mpsc::channel();
        let earlier = scope.spawn(move || {
            send_tid.send(gettid()).unwrap();
            while !stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
        });
        let earlier_tid = earlier_tid.recv().unwrap();

        let sigfd = SignalFd::new(&[libc::SIGUSR2]).unwrap();
        signal_this_process(libc::SIGUSR2).unwrap();
        wait_for_handler(1);
        assert_eq!(HANDLED_BY.load(Ordering::SeqCst), earlier_tid);
        assert!(
            sigfd.read().unwrap().is_empty(),
            "the other thread took the signal: the signalfd has nothing"
        );
        stop.store(true, Ordering::SeqCst);
        earlier.join().unwrap();

        // A thread started after the SignalFd inherits the blocked mask.
        stop.store(false, Ordering::SeqCst);
        let later = scope.spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
        });
        signal_this_process(libc::SIGUSR2).unwrap();
        let records = wait_and_read(&sigfd);
        assert_eq!(records.len(), 1);
        assert_eq!(signal_of(&records[0]), libc::SIGUSR2);
        assert_eq!(HANDLED.load(Ordering::SeqCst), 1, "no thread took it");
        stop.store(true, Ordering::SeqCst);
        later.join().unwrap();
        drop(sigfd);
    });
    restore_action(libc::SIGUSR2, &old);
}

/// The signals pending for the whole process: the `ShdPnd:` line of
/// `/proc/self/status`, bit n-1 for signal n.
fn shared_pending() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|line| line.starts_with("ShdPnd:"))
        .unwrap();
    u64::from_str_radix(line["ShdPnd:".len()..].trim(), 16).unwrap()
}

fn a_sigchld_taken_by_a_thread_that_does_not_block_it_is_lost() {
    let stop_flag = AtomicBool::new(false);
    let stop = &stop_flag;
    thread::scope(|scope| {
        // Started before the SignalFd: SIGCHLD is not blocked there.
        let earlier = scope.spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(1));
            }
        });
        let sigfd = SignalFd::new(&[libc::SIGCHLD]).unwrap();
        let mut children = Children::new();
        children.spawn("true", &mut Command::new("true")).unwrap();
        children.wait_until_all_ended().unwrap();
        // The child's SIGCHLD is pending for the process until a thread
        // that does not block it takes it, and that thread's action for it
        // is the default: ignore.
        let sigchld_bit = 1 << (libc::SIGCHLD - 1);
        let start = Instant::now();
        while shared_pending() & sigchld_bit != 0 {
            assert!(start.elapsed() < PATIENCE, "nobody took the SIGCHLD");
            thread::sleep(Duration::from_millis(1));
        }
        assert!(
            sigfd.read().unwrap().is_empty(),
            "the signalfd never saw it"
        );
        // The child is still there to reap: only the signal was lost.
        assert_eq!(children.reap_ended().unwrap().len(), 1);
        stop.store(true, Ordering::SeqCst);
        earlier.join().unwrap();
        drop(sigfd);
    });
}

fn children_that_end_while_sigchld_is_pending_leave_one_sigchld() {
    let sigfd = SignalFd::new(&[libc::SIGCHLD]).unwrap();
    let mut children = Children::new();
    for i in 0..3 {
        children
            .spawn(&format!("true {i}"), &mut Command::new("true"))
            .unwrap();
    }
    children.wait_until_all_ended().unwrap();
    let records = sigfd.read().unwrap();
    assert_eq!(records.len(), 1, "three children ended, one SIGCHLD");
    assert!(
        children.pids().contains(&records[0].ssi_pid),
        "the record names one of them"
    );
    assert_eq!(signal_of(&records[0]), libc::SIGCHLD);
    assert_eq!(records[0].ssi_code, libc::CLD_EXITED);
    assert_eq!(records[0].ssi_status, 0, "the exit status of `true`");
    // One SIGCHLD, three children to reap.
    let reaped = children.reap_ended().unwrap();
    assert_eq!(reaped.len(), 3);
    assert!(reaped.iter().all(|(_, status)| status.success()));
    assert!(children.is_empty());
    assert!(sigfd.read().unwrap().is_empty());
}

fn a_sigchld_record_says_how_the_child_ended() {
    let sigfd = SignalFd::new(&[libc::SIGCHLD]).unwrap();
    for (script, code, status) in [
        ("exit 3", libc::CLD_EXITED, 3),
        ("kill -KILL $$", libc::CLD_KILLED, libc::SIGKILL),
    ] {
        let mut children = Children::new();
        children
            .spawn(script, Command::new("sh").args(["-c", script]))
            .unwrap();
        let records = wait_and_read(&sigfd);
        assert_eq!(records.len(), 1);
        assert_eq!(
            (records[0].ssi_code, records[0].ssi_status),
            (code, status),
            "{script}"
        );
        children.wait_until_all_ended().unwrap();
        assert_eq!(children.reap_ended().unwrap().len(), 1);
    }
}

/// `waitid(P_PID, pid, WEXITED | WNOWAIT)`: until `pid` ends, unreaped.
fn wait_until_ended(pid: u32) {
    // SAFETY: all-zero bytes are a valid siginfo_t, for waitid to fill.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let id = libc::id_t::from(pid);
    // SAFETY: `info` is a live siginfo_t for the kernel to write.
    let ret = unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
    assert_eq!(ret, 0);
}

fn waitpid_minus_one_reaps_children_it_does_not_own() {
    let mut child = Command::new("true").spawn().unwrap();
    wait_until_ended(child.id());
    let mut status = 0;
    // SAFETY: `status` is a live c_int for the kernel to write.
    let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
    assert_eq!(u32::try_from(pid).unwrap(), child.id(), "any child will do");
    // The Child handle's own wait now finds nothing to wait for.
    let err = child.try_wait().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECHILD));
    let err = child.wait().unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::ECHILD));
}

fn a_pending_sigterm_sent_to_the_process_is_discarded_at_drop() {
    let before = SignalSet::blocked().unwrap();
    let sigfd = SignalFd::new(&[libc::SIGTERM]).unwrap();
    signal_this_process(libc::SIGTERM).unwrap();
    assert!(SignalSet::pending().unwrap().contains(libc::SIGTERM));
    // Unblocking it now would end this process; the drop reads it first.
    drop(sigfd);
    assert!(!SignalSet::pending().unwrap().contains(libc::SIGTERM));
    assert_eq!(SignalSet::blocked().unwrap(), before);
}

fn main() {
    let tests: [(&str, fn()); 7] = [
        (
            "a_signal_sent_to_the_process_arrives_through_the_signalfd",
            a_signal_sent_to_the_process_arrives_through_the_signalfd,
        ),
        (
            "a_process_directed_signal_goes_to_a_thread_that_does_not_block_it",
            a_process_directed_signal_goes_to_a_thread_that_does_not_block_it,
        ),
        (
            "a_sigchld_taken_by_a_thread_that_does_not_block_it_is_lost",
            a_sigchld_taken_by_a_thread_that_does_not_block_it_is_lost,
        ),
        (
            "children_that_end_while_sigchld_is_pending_leave_one_sigchld",
            children_that_end_while_sigchld_is_pending_leave_one_sigchld,
        ),
        (
            "a_sigchld_record_says_how_the_child_ended",
            a_sigchld_record_says_how_the_child_ended,
        ),
        (
            "waitpid_minus_one_reaps_children_it_does_not_own",
            waitpid_minus_one_reaps_children_it_does_not_own,
        ),
        (
            "a_pending_sigterm_sent_to_the_process_is_discarded_at_drop",
            a_pending_sigterm_sent_to_the_process_is_discarded_at_drop,
        ),
    ];
    testkit::single_thread::run_checked(&tests, testkit::single_thread::assert_one_thread);
}
