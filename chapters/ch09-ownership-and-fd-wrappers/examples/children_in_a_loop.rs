//! `PidFd`s in chapter 8's event loop: each child process is a `Generic`
//! source, its callback reaps the child and asks the loop to remove the
//! source, and the loop deletes each pidfd from its interest list before
//! it closes it.
//!
//! Run it with `cargo run -p ch09-ownership-and-fd-wrappers --example children_in_a_loop`.

use ch02_interest_and_ready_lists::registrations;
use ch08_generic_sources::{EventLoop, Generic, Interest, Mode, PostAction};
use ch09_ownership_and_fd_wrappers::{PidFd, number_in_use};
use std::io;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "ended".to_owned(),
    }
}

/// How many of `numbers` the loop's interest list holds (it also holds the
/// loop's own eventfd, which is not counted).
fn registered(
    event_loop: &EventLoop<'_, Vec<(&str, String)>>,
    numbers: &[RawFd],
) -> io::Result<usize> {
    let entries = registrations(event_loop.as_fd())?;
    Ok(entries
        .iter()
        .filter(|entry| numbers.contains(&entry.fd))
        .count())
}

fn command(script: &str) -> Command {
    let mut command = Command::new("sh");
    command
        .args(["-c", script])
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let mut event_loop: EventLoop<'_, Vec<(&str, String)>> = EventLoop::new()?;
    let handle = event_loop.handle();
    let children = [("a", "exit 0"), ("b", "exit 3"), ("c", "sleep 0.1; exit 7")];
    let mut pidfd_numbers: Vec<RawFd> = Vec::new();

    for (label, script) in children {
        let (mut child, pidfd) = PidFd::spawn(&mut command(script))?;
        pidfd_numbers.push(pidfd.as_raw_fd());
        let source = Generic::new(pidfd, Interest::READABLE, Mode::Level);
        // The callback owns the Child: it reaps it when the pidfd says the
        // process has ended, and asks the loop to remove the source.
        handle.insert_source(source, move |_readiness, _pidfd, ended| {
            let status = child.wait()?;
            ended.push((label, describe(status)));
            Ok(PostAction::Remove)
        })?;
    }
    println!("sources in the loop: {}", handle.len());
    println!(
        "pidfds in the interest list: {}",
        registered(&event_loop, &pidfd_numbers)?
    );

    let mut ended = Vec::new();
    let give_up = Instant::now() + Duration::from_secs(10);
    while ended.len() < children.len() && Instant::now() < give_up {
        event_loop.dispatch(Some(Duration::from_secs(1)), &mut ended)?;
    }
    ended.sort();
    for (label, how) in &ended {
        println!("child {label}: {how}");
    }

    println!("sources in the loop: {}", handle.len());
    println!(
        "pidfds in the interest list: {}",
        registered(&event_loop, &pidfd_numbers)?
    );
    let closed = pidfd_numbers.iter().all(|&number| !number_in_use(number));
    println!("every pidfd closed: {closed}");
    Ok(())
}
// ANCHOR_END: main
