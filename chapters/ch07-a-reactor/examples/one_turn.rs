//! One turn of the reactor: three pipes, each registered with a handler of
//! its own; data in two of them; one wait, and each event handed to the
//! handler of its token.
//!
//! Run it with `cargo run -p ch07-a-reactor --example one_turn`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch07_a_reactor::io::{read_until_would_block, write_some};
use ch07_a_reactor::{Interest, Reactor};
use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

// ANCHOR: one_turn
pub fn main() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let mut writers = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        // The reactor takes the read end; the handler gets `&reader` back
        // with each event.
        let token = reactor.register(reader, Interest::READABLE, move |pipe, cx, event| {
            let mut data = Vec::new();
            let drained = read_until_would_block(pipe.as_fd(), &mut data)?;
            println!(
                "  {} -> {name}: {}, read {:?} ({:?})",
                cx.token(),
                event_names(event.events()),
                String::from_utf8_lossy(&data),
                drained.stop
            );
            Ok(())
        })?;
        println!("registered {name} under {token}");
        writers.push(writer);
    }

    println!("write into gamma, then into alpha");
    write_some(writers[2].as_fd(), b"to gamma")?;
    write_some(writers[0].as_fd(), b"to alpha")?;
    let turn = reactor.turn(Some(Duration::from_secs(2)))?;
    println!("turn: {turn:?}");
    let turn = reactor.turn(Some(Duration::ZERO))?;
    println!("next turn, without waiting: {turn:?}");
    Ok(())
}
// ANCHOR_END: one_turn
