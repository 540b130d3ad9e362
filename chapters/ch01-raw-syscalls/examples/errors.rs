//! Real errors from real calls: what a `-1` turns into.
//!
//! Run it with `cargo run -p ch01-raw-syscalls --example errors`.

use ch01_raw_syscalls::error::failed_call;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLIN, Event, O_CLOEXEC, epoll_create1, epoll_ctl, epoll_wait,
    errno, pipe2,
};
use std::fs::File;
use std::io;
use std::os::fd::AsFd;

fn report(what: &str, result: io::Result<impl Sized>) {
    match result {
        Ok(_) => println!("{what}: succeeded (unexpected)"),
        Err(err) => {
            println!("{what}:");
            println!("  message: {err}");
            println!(
                "  call: {}, errno: {}, kind: {:?}",
                failed_call(&err).unwrap_or("?"),
                errno(&err).unwrap_or(0),
                err.kind()
            );
        }
    }
}

// ANCHOR: errors
pub fn main() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let interest = Event::new(EPOLLIN, 1);

    // A regular file is always ready for I/O, so epoll refuses to watch it.
    let file = File::open(std::env::current_exe()?)?;
    report(
        "adding a regular file",
        epoll_ctl(epoll.as_fd(), EPOLL_CTL_ADD, file.as_fd(), Some(&interest)),
    );

    // An fd can be in an interest list once.
    let (reader, _writer) = pipe2(O_CLOEXEC)?;
    epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_ADD,
        reader.as_fd(),
        Some(&interest),
    )?;
    report(
        "adding the same pipe twice",
        epoll_ctl(
            epoll.as_fd(),
            EPOLL_CTL_ADD,
            reader.as_fd(),
            Some(&interest),
        ),
    );

    // maxevents must be greater than zero.
    report(
        "waiting with an empty buffer",
        epoll_wait(epoll.as_fd(), &mut [], 0),
    );
    Ok(())
}
// ANCHOR_END: errors
