//! The top of the counter. For four counter values an epoll instance says
//! what the fd is ready for, and a nonblocking write of 1 shows whether it
//! fits. Then a *blocking* eventfd at the maximum: a thread that writes 1
//! sleeps until another thread reads.
//!
//! Run it with `cargo run -p ch05-eventfd-wakeups --example full_counter`.

use ch01_raw_syscalls::consts::event_names;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN, OUT};
use ch05_eventfd_wakeups::report::describe;
use ch05_eventfd_wakeups::{EventFd, MAX_COUNT, Tid};
use std::io;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long the blocked writer may take to fall asleep.
const PATIENCE: Duration = Duration::from_secs(5);

// ANCHOR: readiness_table
/// An eventfd whose counter is `count`, made with two writes (a write of
/// `u64::MAX` itself is refused).
fn eventfd_at(count: u64, flags: libc::c_int) -> io::Result<EventFd> {
    let eventfd = EventFd::new(0, flags | libc::EFD_CLOEXEC)?;
    eventfd.write(count / 2)?;
    eventfd.write(count - count / 2)?;
    Ok(eventfd)
}

fn readiness_table() -> io::Result<()> {
    println!("counter              epoll reports         write(1)");
    for count in [0, 1, MAX_COUNT - 1, MAX_COUNT] {
        let eventfd = eventfd_at(count, libc::EFD_NONBLOCK)?;
        let epoll = Epoll::new()?;
        epoll.add(&eventfd, IN | OUT, 0)?;
        let mut events = Events::with_capacity(1);
        epoll.wait(&mut events, Some(Duration::ZERO))?;
        let ready = events
            .iter()
            .map(|event| event_names(event.events()))
            .next()
            .unwrap_or_else(|| "nothing".to_owned());
        let write = match eventfd.write(1) {
            Ok(()) => "fits".to_owned(),
            Err(err) => describe(&err),
        };
        println!("{count:#018x}   {ready:<20}  {write}");
    }
    let full = eventfd_at(MAX_COUNT, libc::EFD_NONBLOCK)?;
    full.write(0)?;
    println!(
        "write(0) at the maximum succeeds; counter {:#x}",
        full.peek()?
    );
    Ok(())
}
// ANCHOR_END: readiness_table

// ANCHOR: blocked_writer
fn blocked_writer() -> io::Result<()> {
    let eventfd = eventfd_at(MAX_COUNT, 0)?; // blocking
    println!("blocking eventfd at the maximum:");
    let (tid_tx, tid_rx) = mpsc::channel();
    thread::scope(|scope| {
        let writer = scope.spawn(|| {
            tid_tx.send(Tid::current()).ok();
            eventfd.write(1)
        });
        let blocked = tid_rx
            .recv()
            .map_err(io::Error::other)
            .and_then(|tid| tid.wait_until_blocked_in("", PATIENCE));
        println!(
            "  writer thread: write(1) is {}",
            if blocked.is_ok() && !writer.is_finished() {
                "blocked"
            } else {
                "not blocked"
            }
        );
        // The read makes room, and wakes the writer.
        let taken = eventfd.read()?;
        println!("  main thread: read -> {taken:#x}");
        match writer.join() {
            Ok(Ok(())) => println!("  writer thread: write(1) returned"),
            Ok(Err(err)) => println!("  writer thread: {}", describe(&err)),
            Err(_) => println!("  writer thread: panicked"),
        }
        io::Result::Ok(())
    })?;
    println!("  counter now {}", eventfd.peek()?);
    Ok(())
}
// ANCHOR_END: blocked_writer

pub fn main() -> io::Result<()> {
    readiness_table()?;
    blocked_writer()
}
