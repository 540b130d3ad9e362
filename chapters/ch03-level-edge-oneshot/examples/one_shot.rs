//! One-shot (`EPOLLONESHOT`): after one event the entry is disabled. It
//! stays in the interest list, so `ADD` fails with `EEXIST`, but nothing is
//! reported for it (not even a hang-up) until `MOD` re-arms it.
//!
//! Run it with `cargo run -p ch03-level-edge-oneshot --example one_shot`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLIN, EPOLLONESHOT, O_CLOEXEC, O_NONBLOCK, epoll_create1, errno, pipe2, write,
};
use ch02_interest_and_ready_lists::errors::errno_name;
use ch02_interest_and_ready_lists::{add, modify, registrations};
use ch03_level_edge_oneshot::ready_now;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};

/// `epoll_wait` with timeout 0, as a short phrase.
fn wait(epoll: BorrowedFd<'_>) -> io::Result<String> {
    let ready = ready_now(epoll)?;
    let names: Vec<String> = ready
        .iter()
        .map(|&(token, bits)| format!("token {token} {}", event_names(bits)))
        .collect();
    Ok(match ready.len() {
        0 => "nothing".to_owned(),
        _ => names.join(", "),
    })
}

/// The interest list, as fdinfo shows it: one line per entry.
fn interest(epoll: BorrowedFd<'_>) -> io::Result<String> {
    let entries: Vec<String> = registrations(epoll)?
        .iter()
        .map(|entry| format!("token {} {}", entry.token, event_names(entry.events)))
        .collect();
    Ok(match entries.len() {
        0 => "(empty)".to_owned(),
        _ => entries.join(", "),
    })
}

// ANCHOR: one_shot
pub fn main() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLONESHOT, 1)?;
    println!("ADD with EPOLLIN | EPOLLONESHOT");
    println!("  interest list: {}", interest(epoll.as_fd())?);

    write(writer.as_fd(), b"abc")?;
    println!("write 3 bytes");
    println!("  epoll_wait:    {}", wait(epoll.as_fd())?);
    println!("  interest list: {}", interest(epoll.as_fd())?);
    println!("  epoll_wait:    {}", wait(epoll.as_fd())?);

    write(writer.as_fd(), b"def")?;
    println!("write 3 more bytes");
    println!("  epoll_wait:    {}", wait(epoll.as_fd())?);

    drop(writer);
    println!("close the write end");
    println!("  epoll_wait:    {}", wait(epoll.as_fd())?);

    let again = add(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLONESHOT, 1);
    let outcome = match &again {
        Ok(()) => "succeeded".to_owned(),
        Err(err) => errno(err).and_then(errno_name).unwrap_or("?").to_owned(),
    };
    println!("ADD again: {outcome}");

    modify(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLONESHOT, 1)?;
    println!("MOD with EPOLLIN | EPOLLONESHOT: re-armed");
    println!("  interest list: {}", interest(epoll.as_fd())?);
    println!("  epoll_wait:    {}", wait(epoll.as_fd())?);
    println!("  epoll_wait:    {}", wait(epoll.as_fd())?);
    Ok(())
}
// ANCHOR_END: one_shot
