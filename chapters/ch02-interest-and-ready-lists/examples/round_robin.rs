//! More ready fds than the buffer holds: each `epoll_wait` returns as many
//! as fit, and the next call goes on with the ones that were left out.
//!
//! Run it with `cargo run -p ch02-interest-and-ready-lists --example round_robin`.

use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLIN, Event, O_CLOEXEC, epoll_create1, epoll_wait, pipe2, write,
};
use ch02_interest_and_ready_lists::add;
use std::collections::BTreeSet;
use std::io;
use std::os::fd::{AsFd, OwnedFd};

const PIPES: u64 = 5;
const BUFFER: usize = 2;

// ANCHOR: round_robin
pub fn main() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    // Five pipes with a byte in each, registered with tokens 0 to 4.
    let mut pipes: Vec<(OwnedFd, OwnedFd)> = Vec::new();
    for token in 0..PIPES {
        let (reader, writer) = pipe2(O_CLOEXEC)?;
        add(epoll.as_fd(), reader.as_fd(), EPOLLIN, token)?;
        write(writer.as_fd(), b"!")?;
        pipes.push((reader, writer));
    }
    println!(
        "{PIPES} pipes ready, tokens 0 to {}; nothing is ever read from them",
        PIPES - 1
    );

    println!("epoll_wait with a buffer of {BUFFER} events, five times:");
    let mut events = [Event::zeroed(); BUFFER];
    let mut seen = BTreeSet::new();
    let mut all_seen_after = None;
    for call in 1..=5 {
        let n = epoll_wait(epoll.as_fd(), &mut events, 0)?;
        let tokens: Vec<String> = events[..n]
            .iter()
            .map(|event| event.token().to_string())
            .collect();
        println!("  call {call}: {n} events, tokens {}", tokens.join(", "));
        seen.extend(events[..n].iter().map(Event::token));
        if seen.len() == pipes.len() && all_seen_after.is_none() {
            all_seen_after = Some(call);
        }
    }
    match all_seen_after {
        Some(call) => println!("every token had come back after {call} calls"),
        None => println!("some tokens never came back (unexpected)"),
    }

    let mut big = [Event::zeroed(); 8];
    let n = epoll_wait(epoll.as_fd(), &mut big, 0)?;
    println!("epoll_wait with a buffer of {}: {n} events", big.len());
    Ok(())
}
// ANCHOR_END: round_robin
