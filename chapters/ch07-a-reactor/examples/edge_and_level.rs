//! The same handler, which reads one byte per event, registered
//! level-triggered and edge-triggered; and an edge-triggered handler that
//! keeps the contract, reading until the kernel says "would block".
//!
//! Run it with `cargo run -p ch07-a-reactor --example edge_and_level`.

use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch04_libc_and_a_safe_wrapper::Event;
use ch07_a_reactor::io::{read_some, read_until_would_block, write_some};
use ch07_a_reactor::{Context, Interest, Reactor};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

// ANCHOR: handlers
/// Breaks the edge-triggered contract: one read of one byte per event.
fn one_byte(name: &'static str) -> impl FnMut(&OwnedFd, &mut Context<'_>, Event) -> io::Result<()> {
    move |pipe, _, _| {
        let mut byte = [0];
        let got = read_some(pipe.as_fd(), &mut byte)?;
        println!("  {name}: read {got:?}: {:?}", char::from(byte[0]));
        Ok(())
    }
}

/// Keeps it: reads until `EAGAIN`.
fn everything(
    name: &'static str,
) -> impl FnMut(&OwnedFd, &mut Context<'_>, Event) -> io::Result<()> {
    move |pipe, _, _| {
        let mut data = Vec::new();
        let drained = read_until_would_block(pipe.as_fd(), &mut data)?;
        println!(
            "  {name}: read {:?} in {} read(s), then {:?}",
            String::from_utf8_lossy(&data),
            drained.reads,
            drained.stop
        );
        Ok(())
    }
}
// ANCHOR_END: handlers

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let mut writers = Vec::new();
    for (name, interest, handler) in [
        (
            "level, one byte",
            Interest::READABLE.level(),
            one_byte as fn(_) -> _,
        ),
        ("edge, one byte", Interest::READABLE, one_byte),
    ] {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        reactor.register(reader, interest, handler(name))?;
        writers.push(writer);
    }
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    reactor.register(reader, Interest::READABLE, everything("edge, until EAGAIN"))?;
    writers.push(writer);

    println!("write \"abc\" into each pipe");
    for writer in &writers {
        write_some(writer.as_fd(), b"abc")?;
    }
    for n in 1..=4 {
        println!("turn {n}");
        let turn = reactor.turn(Some(Duration::ZERO))?;
        println!("  ({} handler(s) called)", turn.dispatched);
    }
    println!("write \"d\" into each pipe");
    for writer in &writers {
        write_some(writer.as_fd(), b"d")?;
    }
    println!("turn 5");
    reactor.turn(Some(Duration::ZERO))?;
    Ok(())
}
// ANCHOR_END: main
