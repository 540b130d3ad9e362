//! After `fork`, parent and child hold the same epoll instance: one
//! interest list and one ready list, not a copy each. A child that takes an
//! event takes it from the parent, and a child that deletes an fd deletes
//! it for the parent, whose registry then no longer matches the kernel.
//!
//! This program forks, so it is single-threaded, checks that it is, and is
//! run only as a program of its own (never inside the multi-threaded test
//! harness). The child makes raw system calls only, reports through a pipe,
//! and leaves with `_exit`.
//!
//! Run it with `cargo run -p ch07-a-reactor --example fork_shares_the_instance`.

use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch04_libc_and_a_safe_wrapper::Event;
use ch07_a_reactor::io::{read_until_would_block, write_some};
use ch07_a_reactor::{Context, Interest, Reactor, Token};
use std::ffi::c_int;
use std::fs;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// What the child found, as three `u64`s sent through a pipe.
const REPORT_SIZE: usize = 3 * 8;

// ANCHOR: child
/// The child's whole life: one look at the ready list, one `DEL`, one
/// report, `_exit`. Nothing here allocates, locks, or runs a destructor.
fn child(epfd: RawFd, b: RawFd, report: RawFd) -> ! {
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 4];
    // SAFETY: `events` has room for 4 events, the maxevents passed; the fds
    // are open in the child (inherited from the parent).
    let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), 4, 0) };
    // SAFETY: a DEL reads no event, so the pointer may be null.
    let del = unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_DEL, b, std::ptr::null_mut()) };
    let first = if n > 0 { events[0].u64 } else { 0 };
    let words = [n as u64, first, del as u64];
    let mut bytes = [0u8; REPORT_SIZE];
    for (chunk, word) in bytes.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&word.to_ne_bytes());
    }
    // SAFETY: `bytes` is valid for reads of REPORT_SIZE bytes; `report` is
    // open. A pipe takes up to PIPE_BUF (4096) bytes in one write.
    let written = unsafe { libc::write(report, bytes.as_ptr().cast(), REPORT_SIZE) };
    let code = if written == REPORT_SIZE as isize {
        0
    } else {
        1
    };
    // SAFETY: _exit ends the process at once: no atexit handler, no stdio
    // flush, no Rust destructor acts on the state copied from the parent.
    unsafe { libc::_exit(code) }
}
// ANCHOR_END: child

/// A handler that drains its pipe and says what it read.
fn named(name: &'static str) -> impl FnMut(&OwnedFd, &mut Context<'_>, Event) -> io::Result<()> {
    move |pipe, _, _| {
        let mut data = Vec::new();
        read_until_would_block(pipe.as_fd(), &mut data)?;
        println!(
            "  handler of {name}: read {:?}",
            String::from_utf8_lossy(&data)
        );
        Ok(())
    }
}

fn threads() -> io::Result<usize> {
    Ok(fs::read_dir("/proc/self/task")?.count())
}

/// `waitpid(pid)`, retried after `EINTR`; the exit code of a child that
/// exited, or an error.
fn wait_for(pid: libc::pid_t) -> io::Result<c_int> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a live c_int for the kernel to write.
        if unsafe { libc::waitpid(pid, &mut status, 0) } == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    if libc::WIFEXITED(status) {
        Ok(libc::WEXITSTATUS(status))
    } else {
        Err(io::Error::other(format!(
            "the child did not exit: status {status:#x}"
        )))
    }
}

// ANCHOR: parent
pub fn main() -> io::Result<()> {
    if threads()? != 1 {
        return Err(io::Error::other("fork needs a single-threaded process"));
    }
    let mut reactor = Reactor::new()?;
    let (a, a_writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let (b, b_writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let b_fd = b.as_raw_fd();
    let a_token = reactor.register(a, Interest::READABLE, named("a"))?;
    let b_token = reactor.register(b, Interest::READABLE, named("b"))?;
    write_some(a_writer.as_fd(), b"before the fork")?;
    println!("a and b registered, edge-triggered; a has data; fork");
    let (report_reader, report_writer) = pipe2(O_CLOEXEC)?;
    io::stdout().flush()?;

    // SAFETY: this process has one thread (checked above), so the child, a
    // copy of it, cannot inherit a lock that another thread held. The child
    // makes raw system calls only and leaves with _exit.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => return Err(io::Error::last_os_error()),
        0 => child(reactor.as_raw_fd(), b_fd, report_writer.as_raw_fd()),
        _ => {}
    }
    drop(report_writer);
    let code = wait_for(pid)?;
    let mut report = Vec::new();
    read_until_would_block(report_reader.as_fd(), &mut report)?;
    let word = |i: usize| {
        report
            .get(i * 8..i * 8 + 8)
            .map(|bytes| u64::from_ne_bytes(bytes.try_into().expect("8 bytes")))
    };
    let (Some(n), Some(first), Some(del)) = (word(0), word(1), word(2)) else {
        return Err(io::Error::other("the child sent no report"));
    };
    println!("child: exit code {code}");
    println!(
        "  epoll_wait(timeout 0): {n} event(s), the first for {}",
        Token::from_u64(first)
    );
    println!("  it is a's token: {}", Token::from_u64(first) == a_token);
    println!("  epoll_ctl(DEL, b): returned {}", del as i64);

    println!("parent, after the child:");
    let turn = reactor.turn(Some(Duration::ZERO))?;
    println!("  turn: {} event(s): the child took a's edge", turn.events);
    write_some(b_writer.as_fd(), b"for b")?;
    let turn = reactor.turn(Some(Duration::ZERO))?;
    println!(
        "  data for b, turn: {} event(s): b is out of the interest list",
        turn.events
    );
    println!(
        "  the registry still lists b: {}",
        reactor.contains(b_token)
    );
    if let Err(err) = reactor.deregister(b_token) {
        println!("  deregister(b): {err}");
    }
    write_some(a_writer.as_fd(), b", after")?;
    let turn = reactor.turn(Some(Duration::from_secs(2)))?;
    println!("  more data for a, turn: {} event(s)", turn.events);
    Ok(())
}
// ANCHOR_END: parent
