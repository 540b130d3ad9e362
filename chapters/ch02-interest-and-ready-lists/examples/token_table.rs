//! Tokens as indices into a table of per-fd state, and what happens when
//! the token says something other than what the program means: the kernel
//! hands back exactly the data of the latest ADD or MOD, and nothing else.
//!
//! Run it with `cargo run -p ch02-interest-and-ready-lists --example token_table`.

use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLIN, Event, O_CLOEXEC, O_NONBLOCK, epoll_create1, epoll_wait, pipe2, read,
    write,
};
use ch02_interest_and_ready_lists::{add, modify};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

// ANCHOR: pipe_state
/// Everything the program knows about one pipe. The kernel knows none of
/// it; it only hands back the token, which is this entry's index.
struct PipeState {
    name: &'static str,
    reader: OwnedFd,
    writer: OwnedFd,
}
// ANCHOR_END: pipe_state

// ANCHOR: dispatch
/// Waits (without blocking), then handles each event by looking its token
/// up in the table.
fn dispatch(epoll: BorrowedFd<'_>, table: &[PipeState]) -> io::Result<()> {
    let mut events = [Event::zeroed(); 8];
    let n = epoll_wait(epoll, &mut events, 0)?;
    println!("epoll_wait: {n} event(s)");
    for event in &events[..n] {
        let token = event.token();
        let Some(state) = usize::try_from(token).ok().and_then(|i| table.get(i)) else {
            println!("  token {token}: no such entry");
            continue;
        };
        let mut buf = [0; 64];
        match read(state.reader.as_fd(), &mut buf) {
            Ok(got) => println!(
                "  token {token} -> table[{token}] {}: read {:?}",
                state.name,
                String::from_utf8_lossy(&buf[..got])
            ),
            Err(err) => println!("  token {token} -> table[{token}] {}: {err}", state.name),
        }
    }
    Ok(())
}
// ANCHOR_END: dispatch

// ANCHOR: token_table
pub fn main() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let mut table: Vec<PipeState> = Vec::new();
    for name in ["alpha", "beta", "gamma"] {
        // Nonblocking, so that reading an empty pipe fails instead of hanging.
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        let token = u64::try_from(table.len()).expect("a small table");
        add(epoll.as_fd(), reader.as_fd(), EPOLLIN, token)?;
        println!("table[{token}] = {name}, registered with token {token}");
        table.push(PipeState {
            name,
            reader,
            writer,
        });
    }

    println!("write into beta, then into gamma");
    write(table[1].writer.as_fd(), b"to beta")?;
    write(table[2].writer.as_fd(), b"to gamma")?;
    dispatch(epoll.as_fd(), &table)?;

    println!("MOD alpha's registration to token 2 (gamma's index, on purpose)");
    modify(epoll.as_fd(), table[0].reader.as_fd(), EPOLLIN, 2)?;
    println!("write into alpha");
    write(table[0].writer.as_fd(), b"to alpha")?;
    dispatch(epoll.as_fd(), &table)?;

    println!("MOD alpha's registration back to token 0");
    modify(epoll.as_fd(), table[0].reader.as_fd(), EPOLLIN, 0)?;
    dispatch(epoll.as_fd(), &table)?;
    Ok(())
}
// ANCHOR_END: token_table
