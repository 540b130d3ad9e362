//! Chapter 1's first complete program: one epoll instance, one pipe, one
//! token, and a second thread that makes the pipe readable.
//!
//! Run it with `cargo run -p ch01-raw-syscalls --example first_program`.

use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLIN, Event, O_CLOEXEC, consts::event_names, epoll_create1,
    epoll_ctl, epoll_wait, pipe2, read, write,
};
use std::io;
use std::os::fd::AsFd;
use std::thread;

// ANCHOR: first_program
/// The number we choose to stand for "the pipe" when events come back.
const PIPE_TOKEN: u64 = 7;

// `pub` so that the chapter's tests can run this program in their own
// process and check that it closes every fd it opened.
pub fn main() -> io::Result<()> {
    // 1. An epoll instance: a file descriptor for the kernel object.
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    println!("created an epoll instance");

    // 2. A pipe, and its read end in the interest list with our token.
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    let interest = Event::new(EPOLLIN, PIPE_TOKEN);
    epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_ADD,
        reader.as_fd(),
        Some(&interest),
    )?;
    println!("registered the pipe's read end for EPOLLIN with token {PIPE_TOKEN}");

    // 3. Another thread writes to the pipe. It hands the write end back
    //    instead of closing it, so the reader sees data but no hang-up yet.
    let writer_thread = thread::spawn(move || -> io::Result<_> {
        let written = write(writer.as_fd(), b"hello")?;
        Ok((written, writer))
    });

    // 4. Block until something in the interest list is ready.
    println!("waiting with timeout -1 (block until an fd is ready)");
    let mut events = [Event::zeroed(); 8];
    let n = epoll_wait(epoll.as_fd(), &mut events, -1)?;
    println!("epoll_wait returned {n} event(s)");
    for event in &events[..n] {
        let bits = event.events; // copy the packed field out
        println!("  token {}: {}", event.token(), event_names(bits));
    }

    // 5. The token tells us which fd is ready: read from it.
    let (written, writer) = writer_thread.join().expect("the writer thread panicked")?;
    let mut buf = [0u8; 64];
    let got = read(reader.as_fd(), &mut buf)?;
    println!(
        "the other thread wrote {written} bytes; read {got}: {:?}",
        String::from_utf8_lossy(&buf[..got])
    );

    // 6. Close everything. Dropping an OwnedFd closes it; closing an fd also
    //    removes it from every interest list once no other fd refers to
    //    the same open file.
    drop(writer);
    drop(reader);
    drop(epoll);
    println!("closed both pipe ends and the epoll instance");
    Ok(())
}
// ANCHOR_END: first_program
