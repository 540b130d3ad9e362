//! A `Generic` whose callback fails with an error type of its own, made
//! with `Generic::new_with_error`. `dispatch` returns the error with the
//! source's token, the caller downcasts it back to its type, and the loop
//! goes on. Two sources failing in one batch: one error per dispatch, and
//! no event lost.
//!
//! Run it with `cargo run -p ch08-generic-sources --example own_error_type`.

use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch07_a_reactor::io::{read_some, write_some};
use ch08_generic_sources::{Error, EventLoop, Generic, Interest, Mode, PostAction};
use std::fmt;
use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

const NOW: Option<Duration> = Some(Duration::ZERO);

// ANCHOR: bad_number
/// The callback's own error: a line that is not a number.
#[derive(Debug)]
struct BadNumber {
    line: String,
}

impl fmt::Display for BadNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "not a number: {:?}", self.line)
    }
}

impl std::error::Error for BadNumber {}
// ANCHOR_END: bad_number

pub fn main() -> io::Result<()> {
    // ANCHOR: adder
    let mut event_loop: EventLoop<'_, u64> = EventLoop::new()?;
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let numbers = Generic::new_with_error::<BadNumber>(reader, Interest::READABLE, Mode::Level);
    let token = event_loop
        .handle()
        .insert_source(numbers, |_readiness, pipe, sum| {
            let mut buf = [0; 32];
            // One short line per write, so one read gets all of it. An
            // I/O error becomes a BadNumber too: the callback has one
            // error type.
            let n = match read_some(pipe.as_fd(), &mut buf) {
                Ok(Some(n)) => n,
                Ok(None) => return Ok(PostAction::Continue),
                Err(err) => {
                    let line = err.to_string();
                    return Err(BadNumber { line });
                }
            };
            let line = String::from_utf8_lossy(&buf[..n]).trim().to_owned();
            match line.parse::<u64>() {
                Ok(number) => {
                    *sum += number;
                    Ok(PostAction::Continue)
                }
                Err(_) => Err(BadNumber { line }),
            }
        })?;
    // ANCHOR_END: adder

    // ANCHOR: feed
    let mut sum = 0;
    for line in ["1", "2", "three", "4"] {
        write_some(writer.as_fd(), format!("{line}\n").as_bytes())?;
        match event_loop.dispatch(NOW, &mut sum) {
            Ok(()) => println!("sent {line:>5}: ok, sum {sum}"),
            Err(err) => {
                println!("sent {line:>5}: dispatch failed: {err}");
                let bad = err.downcast_ref::<BadNumber>().map(|bad| bad.line.as_str());
                println!("             a BadNumber for line {bad:?}");
                println!(
                    "             from our source: {}",
                    err.token() == Some(token)
                );
            }
        }
    }
    // ANCHOR_END: feed

    // ANCHOR: two_failures
    println!("two sources fail in the same batch:");
    let mut event_loop: EventLoop<'_, ()> = EventLoop::new()?;
    let mut writers = Vec::new();
    for name in ["left", "right"] {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        write_some(writer.as_fd(), b"x")?;
        writers.push(writer);
        let source = Generic::new(reader, Interest::READABLE, Mode::Edge);
        event_loop.handle().insert_source(source, move |_, _, _| {
            Err(io::Error::other(format!("{name} failed")))
        })?;
    }
    let mut failed = Vec::new();
    for dispatch in 1..=3 {
        match event_loop.dispatch(NOW, &mut ()) {
            Ok(()) => println!("  dispatch {dispatch}: ok"),
            Err(Error::Source { error, .. }) => {
                println!("  dispatch {dispatch}: one source's error");
                failed.push(error.to_string());
            }
            Err(err) => return Err(err.into()),
        }
    }
    failed.sort();
    println!("  the errors: {failed:?}");
    // ANCHOR_END: two_failures
    Ok(())
}
