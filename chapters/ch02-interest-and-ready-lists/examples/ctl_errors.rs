//! Every error `epoll_ctl` can be made to return here, and the one
//! surprise that is not an error. `tests/ctl_errors.rs` makes the same
//! calls and checks each answer.
//!
//! Run it with `cargo run -p ch02-interest-and-ready-lists --example ctl_errors`.

use ch01_raw_syscalls::error::check;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLEXCLUSIVE, EPOLLIN, Event, O_CLOEXEC, epoll_create1, errno,
    ffi, pipe2,
};
use ch02_interest_and_ready_lists::errors::errno_name;
use ch02_interest_and_ready_lists::{add, delete, modify};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// Prints one attempt: what was tried, then how it ended.
fn report(what: &str, result: io::Result<()>) {
    println!("{what}");
    match result {
        Ok(()) => println!("  -> ok"),
        Err(err) => {
            let code = errno(&err).unwrap_or(0);
            let name = errno_name(code).unwrap_or("?");
            println!("  -> {name:<6} {err}");
        }
    }
}

// ANCHOR: ctl_errors
pub fn main() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, _writer) = pipe2(O_CLOEXEC)?;
    let (stranger, _stranger_writer) = pipe2(O_CLOEXEC)?;
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1)?;

    report(
        "ADD a pipe that is already in the list",
        add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1),
    );
    report(
        "MOD a pipe that was never added",
        modify(epoll.as_fd(), stranger.as_fd(), EPOLLIN, 2),
    );
    report(
        "DEL a pipe that was never added",
        delete(epoll.as_fd(), stranger.as_fd()),
    );

    // A BorrowedFd cannot be -1, so this needs the raw declaration.
    let mut event = Event::new(EPOLLIN, 3);
    // SAFETY: `event` is a live Event for the kernel to read; fd -1 is
    // never open, so the call fails before it looks at anything else.
    let ret = unsafe { ffi::epoll_ctl(epoll.as_raw_fd(), EPOLL_CTL_ADD, -1, &mut event) };
    report(
        "ADD fd -1 (through the raw call)",
        check("epoll_ctl(ADD)", ret).map(drop),
    );

    let file = File::open(std::env::current_exe()?)?;
    report(
        "ADD a regular file",
        add(epoll.as_fd(), file.as_fd(), EPOLLIN, 4),
    );
    let dir = File::open("/")?;
    report(
        "ADD a directory",
        add(epoll.as_fd(), dir.as_fd(), EPOLLIN, 5),
    );

    report(
        "ADD the epoll instance to itself",
        add(epoll.as_fd(), epoll.as_fd(), EPOLLIN, 6),
    );
    report(
        "ADD to a pipe, as if it were an epoll fd",
        add(reader.as_fd(), stranger.as_fd(), EPOLLIN, 7),
    );
    report(
        "MOD with EPOLLEXCLUSIVE",
        modify(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLEXCLUSIVE, 1),
    );

    let inner = epoll_create1(EPOLL_CLOEXEC)?;
    add(epoll.as_fd(), inner.as_fd(), EPOLLIN, 8)?;
    report(
        "ADD two epoll instances into each other",
        add(inner.as_fd(), epoll.as_fd(), EPOLLIN, 9),
    );

    report(
        "DEL a registered pipe, with a null event",
        delete(epoll.as_fd(), reader.as_fd()),
    );
    Ok(())
}
// ANCHOR_END: ctl_errors
