//! Closing a registered descriptor that has a duplicate: the registration
//! stays, events keep coming under a number that is closed, and no DEL can
//! reach it any more.
//!
//! Run it with `cargo run -p ch09-ownership-and-fd-wrappers --example closed_but_still_registered`.

use ch01_raw_syscalls::consts::event_names;
use ch02_interest_and_ready_lists::registrations;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch09_ownership_and_fd_wrappers::report::{error_name, outcome};
use ch09_ownership_and_fd_wrappers::{delete_number, read_now};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

/// The interest list (how many entries) and the ready list (what a wait
/// with timeout 0 returns).
fn show(epoll: &Epoll, events: &mut Events) -> io::Result<()> {
    let entries: Vec<String> = registrations(epoll.as_fd())?
        .iter()
        .map(|entry| format!("token {}", entry.token))
        .collect();
    epoll.wait(events, Some(Duration::ZERO))?;
    let ready: Vec<String> = events
        .iter()
        .map(|event| format!("token {}: {}", event.token(), event_names(event.events())))
        .collect();
    println!("    interest list: {}", list(&entries));
    println!("    a wait returns: {}", list(&ready));
    Ok(())
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(empty)".to_owned()
    } else {
        items.join(", ")
    }
}

/// A nonblocking pipe, as (reader, writer).
fn pipe() -> io::Result<(OwnedFd, std::fs::File)> {
    let (reader, writer) = std::io::pipe()?;
    let reader = OwnedFd::from(reader);
    // SAFETY: F_SETFL with O_NONBLOCK takes no pointer; `reader` is open.
    let ret = unsafe { libc::fcntl(reader.as_raw_fd(), libc::F_SETFL, libc::O_NONBLOCK) };
    ch01_raw_syscalls::error::check("fcntl(F_SETFL)", ret)?;
    Ok((reader, std::fs::File::from(OwnedFd::from(writer))))
}

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let mut events = Events::with_capacity(8);

    println!("1. register a pipe's read end (token 1), then duplicate it");
    let (reader, mut writer) = pipe()?;
    epoll.add(&reader, IN, 1)?;
    let duplicate = reader.try_clone()?;
    writer.write_all(b"x")?;
    show(&epoll, &mut events)?;

    println!("2. close the registered descriptor");
    let number = reader.as_raw_fd();
    drop(reader);
    let entries = registrations(epoll.as_fd())?;
    let listed = entries.first().is_some_and(|entry| entry.fd == number);
    println!("    the entry is listed under the closed number: {listed}");
    show(&epoll, &mut events)?;
    show(&epoll, &mut events)?;

    println!("3. try to take it out of the interest list");
    println!(
        "    DEL by the closed number: {}",
        outcome(&delete_number(&epoll, number))
    );
    println!(
        "    DEL by the duplicate: {}",
        outcome(&epoll.delete(&duplicate))
    );

    println!("4. a new pipe takes the number");
    let (newcomer, _newcomer_writer) = pipe()?;
    println!("    same number: {}", newcomer.as_raw_fd() == number);
    println!(
        "    DEL by the number: {}",
        outcome(&delete_number(&epoll, number))
    );
    let by_number = match read_now(newcomer.as_fd()) {
        Ok(bytes) => format!("{} bytes", bytes.len()),
        Err(code) => error_name(&io::Error::from_raw_os_error(code)),
    };
    println!("    a loop that reads the number token 1 was for gets: {by_number}");
    show(&epoll, &mut events)?;

    println!("5. read the byte through the duplicate");
    let drained = read_now(duplicate.as_fd()).map_err(io::Error::from_raw_os_error)?;
    println!("    read {} byte", drained.len());
    show(&epoll, &mut events)?;

    println!("6. close the duplicate, the last descriptor of the open file");
    drop(duplicate);
    show(&epoll, &mut events)?;
    Ok(())
}
// ANCHOR_END: main
