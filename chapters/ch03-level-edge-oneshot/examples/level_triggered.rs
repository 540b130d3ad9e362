//! Level-triggered, the default: an fd with unread data is reported by
//! every `epoll_wait`, again and again, until the data is read.
//!
//! Run it with `cargo run -p ch03-level-edge-oneshot --example level_triggered`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLIN, O_CLOEXEC, O_NONBLOCK, epoll_create1, pipe2, read, write,
};
use ch02_interest_and_ready_lists::add;
use ch03_level_edge_oneshot::ready_now;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};

/// One `epoll_wait` with timeout 0, printed with the bytes still unread.
fn wait_and_show(epoll: BorrowedFd<'_>, unread: usize) -> io::Result<()> {
    let ready = ready_now(epoll)?;
    let shown = match ready.as_slice() {
        [] => "nothing".to_owned(),
        events => {
            let names: Vec<String> = events
                .iter()
                .map(|&(token, bits)| format!("token {token} {}", event_names(bits)))
                .collect();
            names.join(", ")
        }
    };
    println!("  epoll_wait: {shown:<18} ({unread} unread)");
    Ok(())
}

// ANCHOR: level
pub fn main() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1)?; // no mode flag: level-triggered
    println!("a pipe's read end, registered with EPOLLIN and no mode flag");

    let mut unread = write(writer.as_fd(), b"0123456789")?;
    println!("write {unread} bytes");
    for _ in 0..3 {
        wait_and_show(epoll.as_fd(), unread)?;
    }

    let got = read(reader.as_fd(), &mut [0; 4])?;
    unread -= got;
    println!("read {got} bytes");
    wait_and_show(epoll.as_fd(), unread)?;

    let got = read(reader.as_fd(), &mut [0; 64])?;
    unread -= got;
    println!("read {got} bytes");
    wait_and_show(epoll.as_fd(), unread)?;
    Ok(())
}
// ANCHOR_END: level
