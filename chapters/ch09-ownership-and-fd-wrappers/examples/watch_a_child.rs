//! `PidFd`, the chapter's hand-written wrapper, in use: a child process as
//! a descriptor in an epoll instance, signalled and watched through it.
//!
//! Run it with `cargo run -p ch09-ownership-and-fd-wrappers --example watch_a_child`.

use ch01_raw_syscalls::consts::event_names;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch09_ownership_and_fd_wrappers::report::outcome;
use ch09_ownership_and_fd_wrappers::{PidFd, is_close_on_exec, number_in_use};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::Duration;

fn signal_name(signal: Option<i32>) -> String {
    match signal {
        Some(libc::SIGTERM) => "SIGTERM".to_owned(),
        Some(libc::SIGKILL) => "SIGKILL".to_owned(),
        Some(other) => format!("signal {other}"),
        None => "no signal".to_owned(),
    }
}

/// What one wait with `timeout` returns, as tokens and event names.
fn wait(epoll: &Epoll, events: &mut Events, timeout: Duration) -> io::Result<String> {
    epoll.wait(events, Some(timeout))?;
    let seen: Vec<String> = events
        .iter()
        .map(|event| format!("token {}: {}", event.token(), event_names(event.events())))
        .collect();
    Ok(if seen.is_empty() {
        "nothing".to_owned()
    } else {
        seen.join(", ")
    })
}

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let mut sleep = Command::new("sleep");
    sleep.arg("10").stdin(Stdio::null()).stdout(Stdio::null());
    let (mut child, pidfd) = PidFd::spawn(&mut sleep)?;
    let pid = libc::pid_t::try_from(child.id()).ok();
    println!("pidfd open; close-on-exec: {}", is_close_on_exec(&pidfd)?);
    println!("fdinfo names the child's pid: {}", pidfd.pid()? == pid);

    let epoll = Epoll::new()?;
    epoll.add(&pidfd, IN, 7)?;
    let mut events = Events::with_capacity(4);
    println!(
        "while it runs, a wait returns: {}",
        wait(&epoll, &mut events, Duration::ZERO)?
    );

    pidfd.send_signal(libc::SIGTERM)?;
    println!("SIGTERM sent through the pidfd");
    let limit = Duration::from_secs(5);
    println!(
        "once it ends, a wait returns: {}",
        wait(&epoll, &mut events, limit)?
    );

    let status = child.wait()?;
    println!("child.wait(): ended by {}", signal_name(status.signal()));
    println!(
        "after reaping, a wait returns: {}",
        wait(&epoll, &mut events, Duration::ZERO)?
    );
    println!("fdinfo pid after reaping: {:?}", pidfd.pid()?);
    println!(
        "a signal through the pidfd now: {}",
        outcome(&pidfd.send_signal(libc::SIGTERM))
    );

    let number = pidfd.as_raw_fd();
    let owned = OwnedFd::from(pidfd);
    println!(
        "moved into an OwnedFd: same descriptor: {}",
        owned.as_raw_fd() == number
    );
    println!(
        "    a wait returns: {}",
        wait(&epoll, &mut events, Duration::ZERO)?
    );
    drop(owned);
    println!("dropped: number in use: {}", number_in_use(number));
    println!(
        "    a wait returns: {}",
        wait(&epoll, &mut events, Duration::ZERO)?
    );
    Ok(())
}
// ANCHOR_END: main
