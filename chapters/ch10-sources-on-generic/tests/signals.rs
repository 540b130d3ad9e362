//! The signal source, with signals sent to the test's own thread
//! (`pthread_kill`): a thread-directed signal can only go to that thread,
//! so these tests run safely next to each other under the harness. The
//! mask is per thread too, so each test sees only its own.
//! Process-directed signals are in `process_signals.rs`.

mod common;

use ch06_everything_is_an_fd::{SignalSet, signal_this_thread};
use ch08_generic_sources::EventLoop;
use ch10_sources_on_generic::{SignalInfo, Signals};
use common::*;
use std::ptr;

fn blocked(signal: libc::c_int) -> bool {
    SignalSet::blocked().unwrap().contains(signal)
}

fn record(info: SignalInfo, _: &mut (), seen: &mut Vec<SignalInfo>) {
    seen.push(info);
}

#[test]
fn a_signal_to_this_thread_arrives_with_its_siginfo() {
    let mut event_loop: EventLoop<'_, Vec<SignalInfo>> = EventLoop::new().unwrap();
    let signals = Signals::new(&[libc::SIGUSR1]).unwrap();
    assert_eq!(signals.signals().signals(), [libc::SIGUSR1]);
    event_loop.handle().insert_source(signals, record).unwrap();

    let mut seen = Vec::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert!(seen.is_empty());
    signal_this_thread(libc::SIGUSR1).unwrap();
    event_loop.dispatch(NOW, &mut seen).unwrap();

    assert_eq!(seen.len(), 1);
    let info = seen[0];
    assert_eq!(info.signal, libc::SIGUSR1);
    assert_eq!(info.code, libc::SI_TKILL, "pthread_kill sends with tgkill");
    assert_eq!(info.pid, std::process::id());
    // SAFETY: getuid takes no arguments and cannot fail.
    assert_eq!(info.uid, unsafe { libc::getuid() });
    assert_eq!(info.value, 0);
}

#[test]
fn one_event_delivers_every_pending_signal() {
    let mut event_loop: EventLoop<'_, Vec<SignalInfo>> = EventLoop::new().unwrap();
    let signals = Signals::new(&[libc::SIGUSR1, libc::SIGUSR2, libc::SIGWINCH]).unwrap();
    event_loop.handle().insert_source(signals, record).unwrap();
    for signal in [libc::SIGWINCH, libc::SIGUSR2, libc::SIGUSR1] {
        signal_this_thread(signal).unwrap();
    }
    // A standard signal is pending once, however often it is sent.
    signal_this_thread(libc::SIGUSR2).unwrap();
    let mut seen = Vec::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    let mut numbers: Vec<_> = seen.iter().map(|info| info.signal).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [libc::SIGUSR1, libc::SIGUSR2, libc::SIGWINCH]);
}

#[test]
fn the_mask_is_put_back_when_the_loop_removes_the_source() {
    assert!(!blocked(libc::SIGUSR2));
    let event_loop: EventLoop<'_, Vec<SignalInfo>> = EventLoop::new().unwrap();
    let token = event_loop
        .handle()
        .insert_source(Signals::new(&[libc::SIGUSR2]).unwrap(), record)
        .unwrap();
    assert!(blocked(libc::SIGUSR2));
    event_loop.handle().remove(token).unwrap();
    assert!(!blocked(libc::SIGUSR2));
}

#[test]
fn the_mask_is_put_back_when_the_loop_is_dropped_and_pending_signals_go_with_it() {
    assert!(!blocked(libc::SIGUSR1));
    let event_loop: EventLoop<'_, Vec<SignalInfo>> = EventLoop::new().unwrap();
    event_loop
        .handle()
        .insert_source(Signals::new(&[libc::SIGUSR1]).unwrap(), record)
        .unwrap();
    // Pending and never read: unblocking it as it is would end the test
    // process with SIGUSR1's default action.
    signal_this_thread(libc::SIGUSR1).unwrap();
    assert!(SignalSet::pending().unwrap().contains(libc::SIGUSR1));
    drop(event_loop);
    assert!(!blocked(libc::SIGUSR1));
    assert!(!SignalSet::pending().unwrap().contains(libc::SIGUSR1));
}

#[test]
fn a_taken_source_keeps_the_mask_until_it_is_dropped() {
    let event_loop: EventLoop<'_, Vec<SignalInfo>> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let token = handle
        .insert_source(Signals::new(&[libc::SIGWINCH]).unwrap(), record)
        .unwrap();
    let signals: Signals = handle.take(token).unwrap();
    drop(event_loop);
    assert!(blocked(libc::SIGWINCH), "the source still lives");
    drop(signals);
    assert!(!blocked(libc::SIGWINCH));
}

/// Blocks (`SIG_BLOCK`) or unblocks (`SIG_UNBLOCK`) `signal` in this
/// thread, by hand.
fn change_mask(how: libc::c_int, signal: libc::c_int) {
    let mut raw = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    // SAFETY: sigemptyset initializes the whole set it is given.
    unsafe { libc::sigemptyset(raw.as_mut_ptr()) };
    // SAFETY: the set is initialized; sigaddset checks the number.
    assert_eq!(unsafe { libc::sigaddset(raw.as_mut_ptr(), signal) }, 0);
    // SAFETY: the set is initialized and only read; a null old set asks
    // for nothing back.
    let code = unsafe { libc::pthread_sigmask(how, raw.as_ptr(), ptr::null_mut()) };
    assert_eq!(code, 0);
}

#[test]
fn a_signal_blocked_before_stays_blocked_after() {
    change_mask(libc::SIG_BLOCK, libc::SIGUSR2);
    let event_loop: EventLoop<'_, Vec<SignalInfo>> = EventLoop::new().unwrap();
    let token = event_loop
        .handle()
        .insert_source(Signals::new(&[libc::SIGUSR2]).unwrap(), record)
        .unwrap();
    event_loop.handle().remove(token).unwrap();
    assert!(blocked(libc::SIGUSR2), "it was blocked before the source");
    change_mask(libc::SIG_UNBLOCK, libc::SIGUSR2);
    assert!(!blocked(libc::SIGUSR2));
}
