//! Edge-triggered (`EPOLLET`): an fd is reported when new data arrives,
//! not for as long as data is there. After a partial read nothing more is
//! reported until more data comes, so a handler reads until `EAGAIN`.
//!
//! Run it with `cargo run -p ch03-level-edge-oneshot --example edge_triggered`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLET, EPOLLIN, O_CLOEXEC, O_NONBLOCK, epoll_create1, pipe2, read, write,
};
use ch02_interest_and_ready_lists::add;
use ch03_level_edge_oneshot::{Stop, read_until_would_block, ready_now};
use std::io;
use std::os::fd::{AsFd, BorrowedFd};

/// One `epoll_wait` with timeout 0, printed with the bytes still unread.
fn wait_and_show(epoll: BorrowedFd<'_>, unread: usize) -> io::Result<()> {
    let ready = ready_now(epoll)?;
    let names: Vec<String> = ready.iter().map(|&(_, bits)| event_names(bits)).collect();
    let count = match ready.len() {
        1 => "1 event ".to_owned(),
        n => format!("{n} events"),
    };
    println!(
        "  epoll_wait: {count} {:<9} ({unread} unread)",
        names.join(", ")
    );
    Ok(())
}

// ANCHOR: edge
pub fn main() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    // Nonblocking: the drain at the end must get EAGAIN, not wait.
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLET, 1)?;
    println!("a nonblocking pipe's read end, registered with EPOLLIN | EPOLLET");

    let mut unread = write(writer.as_fd(), b"0123456789")?;
    println!("write {unread} bytes");
    wait_and_show(epoll.as_fd(), unread)?;
    wait_and_show(epoll.as_fd(), unread)?;

    let got = read(reader.as_fd(), &mut [0; 4])?;
    unread -= got;
    println!("read {got} bytes");
    wait_and_show(epoll.as_fd(), unread)?;

    let more = write(writer.as_fd(), b"abcde")?;
    unread += more;
    println!("write {more} more bytes");
    wait_and_show(epoll.as_fd(), unread)?;
    wait_and_show(epoll.as_fd(), unread)?;

    let mut data = Vec::new();
    let drained = read_until_would_block(reader.as_fd(), &mut data)?;
    unread -= drained.bytes;
    let how = match drained.stop {
        Stop::WouldBlock => "then EAGAIN",
        Stop::EndOfFile => "then end of file",
        Stop::Budget => "then gave up",
    };
    let reads = match drained.reads {
        1 => "1 read".to_owned(),
        n => format!("{n} reads"),
    };
    println!(
        "read_until_would_block: {} bytes in {reads}, {how}: {:?}",
        drained.bytes,
        String::from_utf8_lossy(&data)
    );
    wait_and_show(epoll.as_fd(), unread)?;

    let last = write(writer.as_fd(), b"!")?;
    unread += last;
    println!("write {last} more byte");
    wait_and_show(epoll.as_fd(), unread)?;
    Ok(())
}
// ANCHOR_END: edge
