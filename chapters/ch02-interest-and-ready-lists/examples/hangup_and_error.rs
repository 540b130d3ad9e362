//! EPOLLHUP and EPOLLERR are reported whether or not they were asked for:
//! an fd registered with an empty event mask still hears about them.
//!
//! Run it with `cargo run -p ch02-interest-and-ready-lists --example hangup_and_error`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLIN, EPOLLOUT, Event, O_CLOEXEC, epoll_create1, epoll_wait, pipe2, read,
    write,
};
use ch02_interest_and_ready_lists::{add, delete};
use std::io;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;

/// What `epoll_wait` reports right now, as text.
fn ready(epoll: BorrowedFd<'_>) -> io::Result<String> {
    let mut events = [Event::zeroed(); 4];
    let n = epoll_wait(epoll, &mut events, 0)?;
    if n == 0 {
        return Ok("nothing".to_owned());
    }
    let shown: Vec<String> = events[..n]
        .iter()
        .map(|event| format!("token {}: {}", event.token(), event_names(event.events)))
        .collect();
    Ok(shown.join(", "))
}

// ANCHOR: hangup
/// The read end of a pipe, registered with no event bits at all.
fn hangup_without_asking() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    add(epoll.as_fd(), reader.as_fd(), 0, 1)?;
    println!("read end registered with events 0 (token 1)");
    println!("  before closing the write end: {}", ready(epoll.as_fd())?);
    drop(writer);
    println!("  after closing the write end:  {}", ready(epoll.as_fd())?);
    Ok(())
}
// ANCHOR_END: hangup

// ANCHOR: hangup_stays
/// EPOLLHUP is a state, not a message: it is reported until the fd leaves
/// the interest list.
fn hangup_stays() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 2)?;
    write(writer.as_fd(), b"bye")?;
    drop(writer);
    println!("read end registered for EPOLLIN (token 2); \"bye\" written, write end closed");
    println!("  {}", ready(epoll.as_fd())?);
    let mut buf = [0; 64];
    let got = read(reader.as_fd(), &mut buf)?;
    println!(
        "  read {got} bytes: {:?}",
        String::from_utf8_lossy(&buf[..got])
    );
    println!("  {}", ready(epoll.as_fd())?);
    let got = read(reader.as_fd(), &mut buf)?;
    println!("  read {got} bytes: end of file");
    println!("  {}", ready(epoll.as_fd())?);
    delete(epoll.as_fd(), reader.as_fd())?;
    println!("  after DEL: {}", ready(epoll.as_fd())?);
    Ok(())
}
// ANCHOR_END: hangup_stays

// ANCHOR: error
/// The write end of a pipe, first with no event bits, then with EPOLLOUT.
fn error_without_asking() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    add(epoll.as_fd(), writer.as_fd(), 0, 3)?;
    println!("write end registered with events 0 (token 3)");
    println!("  before closing the read end: {}", ready(epoll.as_fd())?);
    drop(reader);
    println!("  after closing the read end:  {}", ready(epoll.as_fd())?);
    // Rust programs ignore SIGPIPE, so the write fails with EPIPE instead
    // of killing the process.
    match write(writer.as_fd(), b"anyone?") {
        Ok(n) => println!("  write: {n} bytes (unexpected)"),
        Err(err) => println!("  {err}"),
    }

    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    add(epoll.as_fd(), writer.as_fd(), EPOLLOUT, 4)?;
    drop(reader);
    println!("write end registered for EPOLLOUT (token 4), read end closed");
    println!("  {}", ready(epoll.as_fd())?);
    Ok(())
}
// ANCHOR_END: error

/// The same for a connected pair of Unix stream sockets.
fn socket_hangup() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (ours, theirs) = UnixStream::pair()?;
    add(epoll.as_fd(), ours.as_fd(), 0, 5)?;
    drop(theirs);
    println!("socket registered with events 0 (token 5), its peer closed");
    println!("  {}", ready(epoll.as_fd())?);
    Ok(())
}

pub fn main() -> io::Result<()> {
    hangup_without_asking()?;
    hangup_stays()?;
    error_without_asking()?;
    socket_hangup()?;
    Ok(())
}
