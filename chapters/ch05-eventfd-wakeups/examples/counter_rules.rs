//! The eventfd counter, one rule at a time: it starts at `initval`, writes
//! add, a read takes everything and leaves 0, a read of 0 has nothing to
//! take, every transfer is one `u64`, and `u64::MAX` is never a value.
//! `peek` shows the counter (from `/proc/self/fdinfo`) without reading it.
//!
//! Run it with `cargo run -p ch05-eventfd-wakeups --example counter_rules`.

use ch01_raw_syscalls::error::errno;
use ch05_eventfd_wakeups::report::{describe, errno_name};
use ch05_eventfd_wakeups::{EventFd, INVALID_VALUE};
use std::io::{self, ErrorKind};

/// What one transfer did: how many bytes moved, or the error's name.
fn outcome(result: io::Result<usize>) -> String {
    match result {
        Ok(n) => format!("{n} bytes"),
        Err(err) => errno(&err)
            .and_then(errno_name)
            .map_or_else(|| err.to_string(), str::to_owned),
    }
}

/// Empties the counter and returns what it held (0 if it was empty).
fn take(eventfd: &EventFd) -> io::Result<u64> {
    match eventfd.read() {
        Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(0),
        result => result,
    }
}

pub fn main() -> io::Result<()> {
    // ANCHOR: counter_rules
    let eventfd = EventFd::new(3, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC)?;
    println!("created with initval 3: counter {}", eventfd.peek()?);
    eventfd.write(4)?;
    println!("write(4): counter {}", eventfd.peek()?);
    eventfd.write(5)?;
    println!("write(5): counter {}", eventfd.peek()?);
    let value = eventfd.read()?;
    println!("read: returns {value}, counter {}", eventfd.peek()?);
    match eventfd.read() {
        Ok(value) => println!("read again: returns {value}"),
        Err(err) => println!("read again: {}", describe(&err)),
    }
    // ANCHOR_END: counter_rules

    // ANCHOR: sizes
    println!("buffer   read (counter at 1)   write (of the value 1)");
    for size in [0, 4, 7, 8, 9, 16] {
        eventfd.write(1)?;
        let mut buf = vec![0u8; size];
        let read = outcome(eventfd.read_bytes(&mut buf));
        take(&eventfd)?; // whatever the read left, so the write starts at 0

        // The value 1 in the first eight bytes (as many as there are).
        let mut bytes = vec![0u8; size];
        let n = size.min(8);
        bytes[..n].copy_from_slice(&1u64.to_ne_bytes()[..n]);
        let write = outcome(eventfd.write_bytes(&bytes));
        let added = take(&eventfd)?;
        println!("{size:>6}   {read:<20}  {write}, counter {added}");
    }
    // ANCHOR_END: sizes

    // ANCHOR: invalid_value
    match eventfd.write(INVALID_VALUE) {
        Ok(()) => println!("write({INVALID_VALUE:#x}): accepted"),
        Err(err) => println!("write({INVALID_VALUE:#x}): {}", describe(&err)),
    }
    println!("counter {}", eventfd.peek()?);
    // ANCHOR_END: invalid_value
    Ok(())
}
