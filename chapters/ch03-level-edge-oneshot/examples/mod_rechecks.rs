//! `EPOLL_CTL_MOD` checks the fd's readiness again: an fd that is still
//! ready is reported after a `MOD`, even when edge-triggered notification
//! already reported it, and even when one-shot notification disabled it.
//!
//! Run it with `cargo run -p ch03-level-edge-oneshot --example mod_rechecks`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLET, EPOLLIN, EPOLLONESHOT, O_CLOEXEC, O_NONBLOCK, epoll_create1, pipe2,
    write,
};
use ch02_interest_and_ready_lists::{add, modify};
use ch03_level_edge_oneshot::ready_now;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};

/// `epoll_wait` with timeout 0, as a short phrase.
fn wait(epoll: BorrowedFd<'_>) -> io::Result<String> {
    let ready = ready_now(epoll)?;
    Ok(match ready.as_slice() {
        [] => "nothing".to_owned(),
        [(_, bits)] => format!("1 event, {}", event_names(*bits)),
        more => format!("{} events", more.len()),
    })
}

// ANCHOR: show
/// Registers a pipe's read end with `interest`, writes 3 bytes, takes the
/// event, and shows what a `MOD` with the same mask changes.
fn show(interest: u32, data: bool) -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    add(epoll.as_fd(), reader.as_fd(), interest, 1)?;
    if data {
        write(writer.as_fd(), b"abc")?;
    }
    let unread = if data {
        "3 bytes unread"
    } else {
        "an empty pipe"
    };
    println!("{}, {unread}", event_names(interest));
    println!("  epoll_wait:               {}", wait(epoll.as_fd())?);
    println!("  epoll_wait:               {}", wait(epoll.as_fd())?);
    modify(epoll.as_fd(), reader.as_fd(), interest, 1)?; // the same mask again
    println!("  MOD, then epoll_wait:     {}", wait(epoll.as_fd())?);
    println!("  epoll_wait:               {}", wait(epoll.as_fd())?);
    Ok(())
}
// ANCHOR_END: show

// ANCHOR: main
pub fn main() -> io::Result<()> {
    show(EPOLLIN | EPOLLET, true)?;
    show(EPOLLIN | EPOLLONESHOT, true)?;
    show(EPOLLIN | EPOLLET, false)?;
    Ok(())
}
// ANCHOR_END: main
