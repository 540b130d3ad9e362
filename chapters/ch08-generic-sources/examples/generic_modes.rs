//! A `Generic` in each mode, over a pipe that holds data nobody reads: how
//! many of five dispatches call its callback. Then the interests: what the
//! callback is told for each, including `Interest::NONE`.
//!
//! Run it with `cargo run -p ch08-generic-sources --example generic_modes`.

use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch07_a_reactor::io::write_some;
use ch08_generic_sources::{EventLoop, Generic, Interest, Mode, PostAction, Readiness};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

const DISPATCHES: usize = 5;
const NOW: Option<Duration> = Some(Duration::ZERO);

/// Names the fields of `readiness` that are set.
fn names(readiness: Readiness) -> String {
    let fields = [
        (readiness.readable, "readable"),
        (readiness.writable, "writable"),
        (readiness.error, "error"),
        (readiness.hangup, "hangup"),
    ];
    let set: Vec<&str> = fields
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect();
    if set.is_empty() {
        "nothing".to_owned()
    } else {
        set.join(" + ")
    }
}

// ANCHOR: count_calls
/// What the program does through the handle before the fourth dispatch.
#[derive(Clone, Copy)]
enum Before4th {
    Nothing,
    Update,
    Enable,
}

/// Registers a pipe holding three unread bytes in `mode`, with a callback
/// that only counts and returns `action`, and dispatches `DISPATCHES`
/// times, doing `before_4th` before the fourth.
fn count_calls(mode: Mode, action: PostAction, before_4th: Before4th) -> io::Result<usize> {
    let mut event_loop = EventLoop::new()?;
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    write_some(writer.as_fd(), b"abc")?;
    let pipe = Generic::new(reader, Interest::READABLE, mode);
    let handle = event_loop.handle();
    let token = handle.insert_source(pipe, move |_readiness, _pipe, calls: &mut usize| {
        *calls += 1;
        Ok(action)
    })?;
    let mut calls = 0;
    for i in 0..DISPATCHES {
        if i == 3 {
            match before_4th {
                Before4th::Nothing => {}
                Before4th::Update => handle.update(token)?,
                Before4th::Enable => handle.enable(token)?,
            }
        }
        event_loop.dispatch(NOW, &mut calls)?;
    }
    Ok(calls)
}
// ANCHOR_END: count_calls

/// Registers `fd` with `interest`, level-triggered, and returns what one
/// dispatch tells the callback.
fn told(fd: OwnedFd, interest: Interest) -> io::Result<String> {
    let mut event_loop = EventLoop::new()?;
    let source = Generic::new(fd, interest, Mode::Level);
    event_loop
        .handle()
        .insert_source(source, |readiness, _fd, seen: &mut Vec<String>| {
            seen.push(names(readiness));
            Ok(PostAction::Continue)
        })?;
    let mut seen = Vec::new();
    event_loop.dispatch(NOW, &mut seen)?;
    Ok(if seen.is_empty() {
        "not called".to_owned()
    } else {
        seen.join(", ")
    })
}

pub fn main() -> io::Result<()> {
    // ANCHOR: modes
    use Before4th::{Enable, Nothing, Update};
    println!("three unread bytes in a pipe; callback calls in {DISPATCHES} dispatches:");
    let calls = count_calls(Mode::Level, PostAction::Continue, Nothing)?;
    println!("  {calls}  Level");
    let calls = count_calls(Mode::Edge, PostAction::Continue, Nothing)?;
    println!("  {calls}  Edge");
    let calls = count_calls(Mode::OneShot, PostAction::Continue, Nothing)?;
    println!("  {calls}  OneShot, the callback returns Continue");
    let calls = count_calls(Mode::OneShot, PostAction::Continue, Update)?;
    println!("  {calls}  OneShot, Continue, and handle.update before the 4th");
    let calls = count_calls(Mode::OneShot, PostAction::Reregister, Nothing)?;
    println!("  {calls}  OneShot, the callback returns Reregister");
    let calls = count_calls(Mode::Level, PostAction::Disable, Nothing)?;
    println!("  {calls}  Level, the callback returns Disable");
    let calls = count_calls(Mode::Level, PostAction::Disable, Enable)?;
    println!("  {calls}  Level, Disable, and handle.enable before the 4th");
    // ANCHOR_END: modes

    // ANCHOR: interests
    println!("what the callback is told, level-triggered:");
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    write_some(writer.as_fd(), b"x")?;
    let seen = told(reader, Interest::READABLE)?;
    println!("  READABLE, a pipe's reader, with data:    {seen}");

    let (_reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let seen = told(writer, Interest::WRITABLE)?;
    println!("  WRITABLE, a pipe's writer, empty pipe:   {seen}");

    let (_reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let seen = told(writer, Interest::BOTH)?;
    println!("  BOTH, a pipe's writer, empty pipe:       {seen}");

    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    write_some(writer.as_fd(), b"x")?;
    let seen = told(reader, Interest::NONE)?;
    println!("  NONE, a pipe's reader, with data:        {seen}");

    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    drop(writer);
    let seen = told(reader, Interest::NONE)?;
    println!("  NONE, a pipe's reader, writer closed:    {seen}");

    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    drop(reader);
    let seen = told(writer, Interest::NONE)?;
    println!("  NONE, a pipe's writer, reader closed:    {seen}");
    // ANCHOR_END: interests
    Ok(())
}
