//! The signal source with process-directed signals: `kill`, `sigqueue`,
//! and a child's `SIGCHLD`.
//!
//! Such a signal goes to any thread of the process that does not block it.
//! The test harness runs tests on threads of its own, which block nothing,
//! so this file is declared with `harness = false` in Cargo.toml: `main`
//! below runs the tests one after another on the process's only thread,
//! which is the thread each `Signals` blocks its signals in.

use ch06_everything_is_an_fd::{SignalSet, restore_mask_in_child, signal_this_process};
use ch08_generic_sources::EventLoop;
use ch10_sources_on_generic::{SignalInfo, Signals};
use std::process::Command;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(5);

/// A loop with a `Signals` source for `signals` that records what comes.
fn loop_for(signals: &[libc::c_int]) -> EventLoop<'static, Vec<SignalInfo>> {
    let event_loop = EventLoop::new().unwrap();
    event_loop
        .handle()
        .insert_source(
            Signals::new(signals).unwrap(),
            |info, _, seen: &mut Vec<SignalInfo>| seen.push(info),
        )
        .unwrap();
    event_loop
}

/// Dispatches until a signal came, or fails after `PATIENCE`.
fn next_signal(event_loop: &mut EventLoop<'_, Vec<SignalInfo>>) -> SignalInfo {
    let give_up = Instant::now() + PATIENCE;
    let mut seen = Vec::new();
    while seen.is_empty() {
        assert!(Instant::now() < give_up, "no signal came");
        event_loop
            .dispatch(Some(Duration::from_millis(100)), &mut seen)
            .unwrap();
    }
    assert_eq!(seen.len(), 1);
    seen[0]
}

fn kill_arrives_with_si_user_and_our_pid() {
    let mut event_loop = loop_for(&[libc::SIGUSR2]);
    signal_this_process(libc::SIGUSR2).unwrap();
    let info = next_signal(&mut event_loop);
    assert_eq!(info.signal, libc::SIGUSR2);
    assert_eq!(info.code, libc::SI_USER);
    assert_eq!(info.pid, std::process::id());
}

fn sigqueue_carries_a_value() {
    let mut event_loop = loop_for(&[libc::SIGUSR1]);
    let value = libc::sigval {
        sival_ptr: std::ptr::without_provenance_mut(42),
    };
    // SAFETY: sigqueue takes the value by copy, and no pointer in it is
    // ever followed: it is a number that travels with the signal.
    let ret = unsafe { libc::sigqueue(libc::getpid(), libc::SIGUSR1, value) };
    assert_eq!(ret, 0);
    let info = next_signal(&mut event_loop);
    assert_eq!(info.code, libc::SI_QUEUE);
    assert_eq!(info.value, 42);
}

fn a_child_that_exits_sends_sigchld_with_its_status() {
    let mut event_loop = loop_for(&[libc::SIGCHLD]);
    let mut command = Command::new("sh");
    command.args(["-c", "exit 3"]);
    restore_mask_in_child(&mut command);
    let mut child = command.spawn().unwrap();
    let pid = child.id();
    let info = next_signal(&mut event_loop);
    // Reaped only now: SIGCHLD comes when the child exits, not when it
    // is waited for.
    assert_eq!(child.wait().unwrap().code(), Some(3));
    assert_eq!(info.signal, libc::SIGCHLD);
    assert_eq!(info.code, libc::CLD_EXITED);
    assert_eq!(info.pid, pid);
    assert_eq!(info.status, 3);
}

fn the_mask_comes_back_after_process_signals_too() {
    assert!(!SignalSet::blocked().unwrap().contains(libc::SIGUSR2));
    let event_loop = loop_for(&[libc::SIGUSR2]);
    signal_this_process(libc::SIGUSR2).unwrap();
    drop(event_loop); // pending, never read: discarded, then unblocked
    assert!(!SignalSet::blocked().unwrap().contains(libc::SIGUSR2));
    assert!(!SignalSet::pending().unwrap().contains(libc::SIGUSR2));
}

fn main() {
    testkit::single_thread::run(&[
        (
            "kill_arrives_with_si_user_and_our_pid",
            kill_arrives_with_si_user_and_our_pid,
        ),
        ("sigqueue_carries_a_value", sigqueue_carries_a_value),
        (
            "a_child_that_exits_sends_sigchld_with_its_status",
            a_child_that_exits_sends_sigchld_with_its_status,
        ),
        (
            "the_mask_comes_back_after_process_signals_too",
            the_mask_comes_back_after_process_signals_too,
        ),
    ]);
}
