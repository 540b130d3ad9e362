//! The two lists inside an epoll instance, shown after every change: the
//! interest list (what the kernel stored, read from /proc/self/fdinfo) and
//! the ready list (what `epoll_wait` with timeout 0 hands out right now).
//!
//! Run it with `cargo run -p ch02-interest-and-ready-lists --example interest_list`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLIN, EPOLLOUT, Event, O_CLOEXEC, epoll_create1, epoll_wait, pipe2, read,
    write,
};
use ch02_interest_and_ready_lists::{add, delete, modify, registrations};
use std::io;
use std::os::fd::{AsFd, BorrowedFd};

/// Prints both lists, each sorted by token.
fn show(epoll: BorrowedFd<'_>) -> io::Result<()> {
    let interest: Vec<String> = registrations(epoll)?
        .iter()
        .map(|entry| format!("token {}: {}", entry.token, event_names(entry.events)))
        .collect();

    // Timeout 0: take what is ready now, without waiting.
    let mut events = [Event::zeroed(); 8];
    let n = epoll_wait(epoll, &mut events, 0)?;
    let mut ready: Vec<(u64, u32)> = events[..n]
        .iter()
        .map(|event| (event.token(), event.events))
        .collect();
    ready.sort_unstable();
    let ready: Vec<String> = ready
        .iter()
        .map(|&(token, bits)| format!("token {token}: {}", event_names(bits)))
        .collect();

    print_list("interest list", &interest);
    print_list("ready list", &ready);
    Ok(())
}

fn print_list(name: &str, entries: &[String]) {
    if entries.is_empty() {
        println!("    {name:<14} (empty)");
    }
    for (i, entry) in entries.iter().enumerate() {
        let label = if i == 0 { name } else { "" };
        println!("    {label:<14} {entry}");
    }
}

// ANCHOR: steps
pub fn main() -> io::Result<()> {
    println!("1. a new epoll instance");
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    show(epoll.as_fd())?;

    println!("2. ADD the pipe's read end (EPOLLIN, token 1) and write end (EPOLLOUT, token 2)");
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1)?;
    add(epoll.as_fd(), writer.as_fd(), EPOLLOUT, 2)?;
    show(epoll.as_fd())?;

    println!("3. write 2 bytes into the pipe");
    write(writer.as_fd(), b"hi")?;
    show(epoll.as_fd())?;

    println!("4. MOD the read end: still EPOLLIN, but token 7");
    modify(epoll.as_fd(), reader.as_fd(), EPOLLIN, 7)?;
    show(epoll.as_fd())?;

    println!("5. DEL the write end");
    delete(epoll.as_fd(), writer.as_fd())?;
    show(epoll.as_fd())?;

    println!("6. read the 2 bytes");
    let got = read(reader.as_fd(), &mut [0; 16])?;
    assert_eq!(got, 2);
    show(epoll.as_fd())?;

    println!("7. close the read end");
    drop(reader);
    show(epoll.as_fd())?;
    Ok(())
}
// ANCHOR_END: steps
