//! The signal source: four ways a signal can be sent, and what the
//! callback learns about each from its siginfo; then the mask as it was.
//!
//! The program has one thread, so a signal sent to the whole process can
//! only go to it. Run it with
//! `cargo run -p ch10-sources-on-generic --example signal_source`.

use ch06_everything_is_an_fd::{
    SignalSet, restore_mask_in_child, signal_name, signal_this_process, signal_this_thread,
};
use ch08_generic_sources::{EventLoop, RegistrationToken};
use ch10_sources_on_generic::{SignalInfo, Signals, code_name};
use std::io::{self, ErrorKind};
use std::process::Command;
use std::time::{Duration, Instant};

/// Dispatches until the source reported a signal, and returns it.
fn next_signal(event_loop: &mut EventLoop<'_, Vec<SignalInfo>>) -> io::Result<SignalInfo> {
    let give_up = Instant::now() + Duration::from_secs(5);
    let mut seen = Vec::new();
    while seen.is_empty() {
        if Instant::now() > give_up {
            return Err(io::Error::new(ErrorKind::TimedOut, "no signal came"));
        }
        event_loop.dispatch(Some(Duration::from_millis(100)), &mut seen)?;
    }
    Ok(seen.remove(0))
}

fn describe(how: &str, info: &SignalInfo) {
    println!(
        "{how}: {} {}",
        signal_name(info.signal),
        code_name(info.signal, info.code)
    );
}

/// Which of the three signals this thread blocks now.
fn blocked() -> io::Result<String> {
    let mask = SignalSet::blocked()?;
    let names: Vec<String> = [libc::SIGUSR1, libc::SIGUSR2, libc::SIGCHLD]
        .into_iter()
        .filter(|&signal| mask.contains(signal))
        .map(signal_name)
        .collect();
    Ok(format!("{names:?}"))
}

pub fn main() -> io::Result<()> {
    let me = std::process::id();
    println!("blocked before: {}", blocked()?);

    // ANCHOR: insert
    let mut event_loop: EventLoop<'_, Vec<SignalInfo>> = EventLoop::new()?;
    let signals = Signals::new(&[libc::SIGUSR1, libc::SIGUSR2, libc::SIGCHLD])?;
    let token: RegistrationToken = event_loop
        .handle()
        .insert_source(signals, |info, _, seen: &mut Vec<SignalInfo>| {
            seen.push(info)
        })?;
    println!("blocked while the source lives: {}", blocked()?);
    // ANCHOR_END: insert

    // ANCHOR: senders
    signal_this_thread(libc::SIGUSR1)?;
    let info = next_signal(&mut event_loop)?;
    describe("pthread_kill to this thread", &info);
    println!("  sent by this process: {}", info.pid == me);

    signal_this_process(libc::SIGUSR2)?;
    let info = next_signal(&mut event_loop)?;
    describe("kill to this process", &info);
    println!("  sent by this process: {}", info.pid == me);

    let value = libc::sigval {
        sival_ptr: std::ptr::without_provenance_mut(42),
    };
    // SAFETY: sigqueue copies the value, and no pointer in it is followed:
    // it is a number that travels with the signal.
    let ret = unsafe { libc::sigqueue(libc::getpid(), libc::SIGUSR1, value) };
    if ret != 0 {
        return Err(ch01_raw_syscalls::error::last_error("sigqueue"));
    }
    let info = next_signal(&mut event_loop)?;
    describe("sigqueue with a value", &info);
    println!("  value: {}", info.value);

    let mut command = Command::new("sh");
    command.args(["-c", "exit 3"]);
    restore_mask_in_child(&mut command); // the child gets the mask we had
    let mut child = command.spawn()?;
    let info = next_signal(&mut event_loop)?;
    let status = child.wait()?; // reap it
    describe("a child exiting", &info);
    println!(
        "  about our child: {}, exit status {} (wait says {:?})",
        info.pid == child.id(),
        info.status,
        status.code()
    );
    // ANCHOR_END: senders

    // ANCHOR: remove
    event_loop.handle().remove(token)?;
    println!("blocked after the source is removed: {}", blocked()?);
    // ANCHOR_END: remove
    Ok(())
}
