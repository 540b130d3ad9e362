//! Chapter 1's first program, with `libc` in place of the hand-written
//! declarations: the same calls, the same pipe and token, the same output.
//! What changes is in the types: `libc::epoll_event` has a plain `u64` where
//! chapter 1 had a union, and the constants are `c_int`.
//!
//! Run it with `cargo run -p ch04-libc-and-a-safe-wrapper --example first_program_libc`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::error::{check, check_size};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::thread;

// ANCHOR: first_program_libc
/// The number we choose to stand for "the pipe" when events come back.
const PIPE_TOKEN: u64 = 7;

pub fn main() -> io::Result<()> {
    // 1. An epoll instance. libc declares epoll_create1 exactly as chapter 1
    //    did; only the path changed.
    // SAFETY: epoll_create1 takes no pointers; the kernel checks the flags.
    let epfd = check("epoll_create1", unsafe {
        libc::epoll_create1(libc::EPOLL_CLOEXEC)
    })?;
    // SAFETY: a new fd from the kernel, known to nobody else.
    let epoll = unsafe { OwnedFd::from_raw_fd(epfd) };
    println!("created an epoll instance");

    // 2. A pipe, and its read end in the interest list with our token.
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    check("pipe2", unsafe {
        libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC)
    })?;
    // SAFETY: pipe2 succeeded, so both are new fds that only we know.
    let (reader, writer) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // The data is a plain u64 field, and EPOLLIN is a c_int: cast it to the
    // u32 the `events` field holds.
    let mut interest = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: PIPE_TOKEN,
    };
    // SAFETY: both fds are open, and `interest` is a live epoll_event that
    // the kernel only reads.
    check("epoll_ctl(ADD)", unsafe {
        libc::epoll_ctl(
            epoll.as_raw_fd(),
            libc::EPOLL_CTL_ADD,
            reader.as_raw_fd(),
            &mut interest,
        )
    })?;
    println!("registered the pipe's read end for EPOLLIN with token {PIPE_TOKEN}");

    // 3. Another thread writes to the pipe, and hands the write end back.
    let writer_thread = thread::spawn(move || -> io::Result<_> {
        let message = b"hello";
        // SAFETY: `message` is valid for reads of its length; `writer` is open.
        let written = check_size("write", unsafe {
            libc::write(writer.as_raw_fd(), message.as_ptr().cast(), message.len())
        })?;
        Ok((written, writer))
    });

    // 4. Block until something in the interest list is ready.
    println!("waiting with timeout -1 (block until an fd is ready)");
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 8];
    let max = events.len() as libc::c_int;
    // SAFETY: `events` has room for `max` epoll_events, libc's epoll_event
    // has the kernel's layout, and `epoll` is open.
    let n = check("epoll_wait", unsafe {
        libc::epoll_wait(epoll.as_raw_fd(), events.as_mut_ptr(), max, -1)
    })?;
    let n = usize::try_from(n).expect("a non-negative count");
    println!("epoll_wait returned {n} event(s)");
    for event in &events[..n] {
        // The struct is packed on x86_64: copy each field out, by value.
        let (bits, token) = (event.events, event.u64);
        println!("  token {token}: {}", event_names(bits));
    }

    // 5. The token tells us which fd is ready: read from it.
    let (written, writer) = writer_thread.join().expect("the writer thread panicked")?;
    let mut buf = [0u8; 64];
    // SAFETY: `buf` is valid for writes of its length; `reader` is open.
    let got = check_size("read", unsafe {
        libc::read(reader.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len())
    })?;
    println!(
        "the other thread wrote {written} bytes; read {got}: {:?}",
        String::from_utf8_lossy(&buf[..got])
    );

    // 6. Close everything: each OwnedFd closes its fd once, when dropped.
    drop(writer);
    drop(reader);
    drop(epoll);
    println!("closed both pipe ends and the epoll instance");
    Ok(())
}
// ANCHOR_END: first_program_libc
