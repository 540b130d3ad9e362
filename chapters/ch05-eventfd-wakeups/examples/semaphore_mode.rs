//! `EFD_SEMAPHORE` changes what a read takes: 1 instead of everything. Two
//! eventfds get the same three writes; one is read normally, the other in
//! semaphore mode, and after each read an epoll instance says whether the
//! fd is still readable.
//!
//! Run it with `cargo run -p ch05-eventfd-wakeups --example semaphore_mode`.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch05_eventfd_wakeups::EventFd;
use ch05_eventfd_wakeups::report::describe;
use std::io;
use std::time::Duration;

/// Whether `epoll`, which holds only one fd, reports it readable now.
fn readable(epoll: &Epoll, events: &mut Events) -> io::Result<&'static str> {
    let n = epoll.wait(events, Some(Duration::ZERO))?;
    Ok(if n > 0 { "readable" } else { "not readable" })
}

// ANCHOR: semaphore_mode
fn read_until_empty(name: &str, flags: libc::c_int) -> io::Result<()> {
    let eventfd = EventFd::new(0, flags | libc::EFD_NONBLOCK | libc::EFD_CLOEXEC)?;
    let epoll = Epoll::new()?;
    epoll.add(&eventfd, IN, 1)?;
    let mut events = Events::with_capacity(1);
    for value in [1, 1, 1] {
        eventfd.write(value)?;
    }
    println!("{name}: three writes of 1, counter {}", eventfd.peek()?);
    loop {
        match eventfd.read() {
            Ok(value) => println!(
                "  read -> {value}, counter {}, {}",
                eventfd.peek()?,
                readable(&epoll, &mut events)?
            ),
            Err(err) => {
                println!("  read -> {}", describe(&err));
                return Ok(());
            }
        }
    }
}

pub fn main() -> io::Result<()> {
    read_until_empty("normal mode", 0)?;
    read_until_empty("semaphore mode (EFD_SEMAPHORE)", libc::EFD_SEMAPHORE)?;
    Ok(())
}
// ANCHOR_END: semaphore_mode
