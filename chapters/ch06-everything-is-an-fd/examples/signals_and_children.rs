//! Signals through a signalfd in an epoll loop: a SIGUSR1 this process
//! sends itself, and the SIGCHLD of child processes, which are reaped as
//! they end. Three children that end while one SIGCHLD is pending leave one
//! SIGCHLD to read: the loop must ask every child, not count signals.
//!
//! The signals are blocked in `main` before anything else happens, while
//! `main` is the only thread: a process-directed signal goes to any thread
//! that does not block it.
//!
//! Run it with `cargo run -p ch06-everything-is-an-fd --example signals_and_children`.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch06_everything_is_an_fd::{
    Children, SignalFd, SignalSet, signal_name, signal_of, signal_this_process,
};
use std::io;
use std::process::{Command, ExitStatus};
use std::time::Duration;

const SIGNALS: u64 = 0;
/// The limit on every wait, so that a lost signal ends the program with an
/// error instead of a hang.
const PATIENCE: Duration = Duration::from_secs(2);

fn sh(script: &str) -> Command {
    let mut command = Command::new("sh");
    command.args(["-c", script]);
    command
}

/// Waits for the signalfd to be readable; an error if it is not in time.
fn wait_for_signals(epoll: &Epoll, events: &mut Events) -> io::Result<()> {
    epoll.wait(events, Some(PATIENCE))?;
    match events.iter().next() {
        Some(event) if event.token() == SIGNALS => Ok(()),
        _ => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "no signal arrived within the time limit",
        )),
    }
}

fn print_reaped(reaped: &[(String, ExitStatus)]) {
    for (label, status) in reaped {
        println!("  reaped {label:?}: {status}");
    }
}

// ANCHOR: kill_self
fn signal_from_this_process(
    sigfd: &SignalFd,
    epoll: &Epoll,
    events: &mut Events,
) -> io::Result<()> {
    println!("-- kill(getpid(), SIGUSR1)");
    signal_this_process(libc::SIGUSR1)?;
    wait_for_signals(epoll, events)?;
    for info in sigfd.read()? {
        // SAFETY: getpid takes no arguments and cannot fail.
        let me = u32::try_from(unsafe { libc::getpid() }).expect("pids are positive");
        println!(
            "  read {}: sent by this process: {}, with kill(): {}",
            signal_name(signal_of(&info)),
            info.ssi_pid == me,
            info.ssi_code == libc::SI_USER
        );
    }
    Ok(())
}
// ANCHOR_END: kill_self

// ANCHOR: coalesced
fn three_children_one_sigchld(sigfd: &SignalFd) -> io::Result<()> {
    println!("-- three children end before anyone reads SIGCHLD");
    let mut children = Children::new();
    children.spawn("true", &mut Command::new("true"))?;
    children.spawn("exit 3", &mut sh("exit 3"))?;
    // SIGUSR1 is blocked here; the child can die of it only because
    // `Children::spawn` unblocks it in the child.
    children.spawn("kill -USR1 $$", &mut sh("kill -USR1 $$"))?;
    children.wait_until_all_ended()?;
    println!("  {} children have ended, none reaped yet", children.len());
    let records = sigfd.read()?;
    let names: Vec<String> = records
        .iter()
        .map(|info| signal_name(signal_of(info)))
        .collect();
    println!("  one read of the signalfd: {names:?}");
    print_reaped(&children.reap_ended()?);
    println!("  left to reap: {}", children.len());
    Ok(())
}
// ANCHOR_END: coalesced

// ANCHOR: reaping_loop
fn reaping_loop(sigfd: &SignalFd, epoll: &Epoll, events: &mut Events) -> io::Result<()> {
    println!("-- an event loop that reaps children as SIGCHLD arrives");
    let mut children = Children::new();
    for (i, script) in ["sleep 0.05; exit 0", "sleep 0.1; exit 1", "exit 2"]
        .iter()
        .enumerate()
    {
        children.spawn(&format!("child {i}"), &mut sh(script))?;
    }
    let mut reaped = Vec::new();
    while !children.is_empty() {
        wait_for_signals(epoll, events)?;
        // Take every pending signal: one SIGCHLD may stand for several
        // children, and a later one for a child already reaped.
        while !sigfd.read()?.is_empty() {}
        reaped.extend(children.reap_ended()?);
    }
    reaped.sort_by(|a, b| a.0.cmp(&b.0));
    print_reaped(&reaped);
    Ok(())
}
// ANCHOR_END: reaping_loop

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let mask_before = SignalSet::blocked()?;
    // First thing: block the signals, while this is the only thread.
    let sigfd = SignalFd::new(&[libc::SIGUSR1, libc::SIGCHLD])?;
    let blocked = SignalSet::blocked()?;
    println!(
        "blocked in this thread: SIGUSR1 {}, SIGCHLD {}",
        blocked.contains(libc::SIGUSR1),
        blocked.contains(libc::SIGCHLD)
    );
    let epoll = Epoll::new()?;
    epoll.add(&sigfd, IN, SIGNALS)?;
    let mut events = Events::with_capacity(4);

    signal_from_this_process(&sigfd, &epoll, &mut events)?;
    three_children_one_sigchld(&sigfd)?;
    reaping_loop(&sigfd, &epoll, &mut events)?;

    drop(epoll);
    drop(sigfd);
    println!("-- the SignalFd is dropped");
    println!(
        "the thread's mask is back to what it was: {}",
        SignalSet::blocked()? == mask_before
    );
    Ok(())
}
// ANCHOR_END: main
