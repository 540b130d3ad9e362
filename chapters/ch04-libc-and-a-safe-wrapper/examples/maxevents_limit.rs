//! How large may `maxevents` be? The kernel refuses 0, negative numbers and
//! anything above `INT_MAX / sizeof(struct epoll_event)` with `EINVAL`, and
//! accepts everything in between. `Events` passes its capacity, but never
//! more than that limit.
//!
//! The buffer here really has room for one event more than the limit, so
//! every `maxevents` the kernel accepts is honest. That is `INT_MAX` bytes
//! and a little more of address space (2 GiB), but the kernel touches only
//! the few events it writes, so only one page ever gets memory behind it.
//!
//! Run it with `cargo run -p ch04-libc-and-a-safe-wrapper --example maxevents_limit`.

use ch01_raw_syscalls::errno;
use ch01_raw_syscalls::error::check;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN, MAX_EVENTS};
use std::ffi::c_int;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::time::Duration;

/// Registered pipes, all readable: each wait reports exactly this many.
const PIPES: u64 = 2;

fn describe(result: io::Result<usize>) -> String {
    match result {
        Ok(n) => format!("Ok, {n} event(s)"),
        Err(err) => format!("Err, errno {} ({err})", errno(&err).unwrap_or(0)),
    }
}

// ANCHOR: raw_wait
/// One `epoll_wait` with this `maxevents`, straight through `libc`, into the
/// spare capacity of `buf`.
fn raw_wait(
    epoll: &Epoll,
    buf: &mut Vec<libc::epoll_event>,
    maxevents: c_int,
) -> io::Result<usize> {
    assert!(buf.capacity() > MAX_EVENTS, "room for more than the limit");
    buf.clear();
    let spare = buf.spare_capacity_mut();
    let (epfd, events) = (epoll.as_raw_fd(), spare.as_mut_ptr().cast());
    // The instance holds PIPES registrations and one wait reports each at
    // most once, so at most PIPES events are written in any case.
    // SAFETY: `spare` has room for MAX_EVENTS + 1 events, more than any
    // `maxevents` the kernel accepts. `epoll` is open.
    let ret = unsafe { libc::epoll_wait(epfd, events, maxevents, 0) };
    let n = usize::try_from(check("epoll_wait", ret)?).expect("non-negative");
    // SAFETY: the kernel initialized the first `n` events.
    unsafe { buf.set_len(n) };
    Ok(n)
}
// ANCHOR_END: raw_wait

// ANCHOR: maxevents_limit
pub fn main() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let mut pipes = Vec::new();
    for token in 0..PIPES {
        let (reader, mut writer) = io::pipe()?;
        writer.write_all(b"x")?;
        epoll.add(&reader, IN, token)?;
        pipes.push((reader, writer));
    }
    println!("{PIPES} readable pipes; EP_MAX_EVENTS = INT_MAX / size_of::<epoll_event>()");

    let mut buf: Vec<libc::epoll_event> = Vec::new();
    buf.try_reserve_exact(MAX_EVENTS + 1)
        .map_err(io::Error::other)?;
    let limit = c_int::try_from(MAX_EVENTS).expect("MAX_EVENTS fits in an int");
    let tries: [(&str, c_int); 7] = [
        ("-1", -1),
        ("0", 0),
        ("1", 1),
        ("2", 2),
        ("EP_MAX_EVENTS", limit),
        ("EP_MAX_EVENTS + 1", limit + 1),
        ("INT_MAX", c_int::MAX),
    ];
    for (name, maxevents) in tries {
        let label = format!("maxevents {name}");
        let result = raw_wait(&epoll, &mut buf, maxevents);
        println!("{label:<38} -> {}", describe(result));
    }
    drop(buf);

    // The wrapper passes the buffer's capacity, but never more than
    // MAX_EVENTS; an empty buffer gets the kernel's EINVAL, named.
    for (name, capacity) in [
        ("0", 0),
        ("1", 1),
        ("2", 2),
        ("MAX_EVENTS + 1", MAX_EVENTS + 1),
    ] {
        let mut events = Events::with_capacity(capacity);
        let label = format!("Events::with_capacity({name})");
        let result = epoll.wait(&mut events, Some(Duration::ZERO));
        println!("{label:<38} -> {}", describe(result));
    }
    Ok(())
}
// ANCHOR_END: maxevents_limit
