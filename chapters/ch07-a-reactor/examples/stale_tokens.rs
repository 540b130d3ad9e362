//! Tokens with generations. A freed slot is reused under a new generation,
//! so the old token is refused by name, and an event for it that is already
//! in the batch is skipped instead of being handed to the new tenant.
//!
//! Run it with `cargo run -p ch07-a-reactor --example stale_tokens`.

use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch04_libc_and_a_safe_wrapper::Event;
use ch07_a_reactor::io::{read_until_would_block, write_some};
use ch07_a_reactor::{Context, Interest, Reactor, Token};
use std::cell::Cell;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::rc::Rc;
use std::time::Duration;

/// A handler that says who it is and drains its pipe.
fn named(name: &'static str) -> impl FnMut(&OwnedFd, &mut Context<'_>, Event) -> io::Result<()> {
    move |pipe, cx, _| {
        read_until_would_block(pipe.as_fd(), &mut Vec::new())?;
        println!("  handler of {name} ({})", cx.token());
        Ok(())
    }
}

// ANCHOR: reuse
fn reuse(reactor: &mut Reactor) -> io::Result<()> {
    let mut writers = Vec::new();
    let mut tokens = Vec::new();
    for name in ["a", "b", "c"] {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        tokens.push(reactor.register(reader, Interest::READABLE, named(name))?);
        writers.push(writer);
    }
    println!("a, b, c: {}; {}; {}", tokens[0], tokens[1], tokens[2]);
    reactor.deregister(tokens[1])?;
    println!("b deregistered");
    let (reader, _d_writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let d = reactor.register(reader, Interest::READABLE, named("d"))?;
    println!("d: {d} (b's slot, next generation)");
    println!(
        "b's token still registered: {}",
        reactor.contains(tokens[1])
    );
    if let Err(err) = reactor.deregister(tokens[1]) {
        println!("deregister(b's token) again: {err}");
    }
    for token in [tokens[0], tokens[2], d] {
        reactor.deregister(token)?;
    }
    Ok(())
}
// ANCHOR_END: reuse

// ANCHOR: batch
fn batch(reactor: &mut Reactor) -> io::Result<()> {
    let (first, first_writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let (second, second_writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let second_token = Rc::new(Cell::new(None::<Token>));
    let victim = Rc::clone(&second_token);
    reactor.register(first, Interest::READABLE, move |pipe, cx, _| {
        read_until_would_block(pipe.as_fd(), &mut Vec::new())?;
        let second = victim.get().expect("registered before the turn");
        println!("  handler of first: deregisters second ({second})");
        cx.deregister(second)?;
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        write_some(writer.as_fd(), b"ready at once")?;
        let third = cx.register(reader, Interest::READABLE, move |pipe, cx, _| {
            let _open_until_this_handler_is_dropped = &writer;
            read_until_would_block(pipe.as_fd(), &mut Vec::new())?;
            println!("  handler of third ({})", cx.token());
            Ok(())
        })?;
        println!("  handler of first: registers third ({third})");
        Ok(())
    })?;
    second_token.set(Some(reactor.register(
        second,
        Interest::READABLE,
        named("second"),
    )?));

    println!("write into first, then into second");
    write_some(first_writer.as_fd(), b"1")?;
    write_some(second_writer.as_fd(), b"2")?;
    let turn = reactor.turn(Some(Duration::from_secs(2)))?;
    println!("turn: {turn:?}");
    let turn = reactor.turn(Some(Duration::from_secs(2)))?;
    println!("turn: {turn:?}");
    Ok(())
}
// ANCHOR_END: batch

pub fn main() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    println!("-- a slot is reused under a new generation");
    reuse(&mut reactor)?;
    println!("-- a handler changes the registry under the batch");
    batch(&mut reactor)?;
    Ok(())
}
