//! A `Generic` leaves the interest list before its fd is closed: when it is
//! removed, when it is taken back and unwrapped, when the loop drops it.
//! Each time a duplicate of the fd stays open elsewhere, which keeps the
//! pipe's open file alive, so closing alone would leave the kernel's entry
//! behind. What the kernel reports is read with a raw `epoll_wait` on the
//! loop's epoll fd (chapter 1's), which takes nothing from level-triggered
//! registrations.
//!
//! Run it with `cargo run -p ch08-generic-sources --example drop_deregisters`.

use ch01_raw_syscalls::{Event, O_CLOEXEC, O_NONBLOCK, epoll_wait, pipe2};
use ch04_libc_and_a_safe_wrapper::{Epoll, IN};
use ch07_a_reactor::io::{read_some, write_some};
use ch08_generic_sources::{
    EventLoop, Generic, Interest, Mode, PostAction, Readiness, Token, Watched,
};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

// ANCHOR: reports
/// The data of every event the kernel has ready in the epoll instance
/// `epfd`, right now.
fn ready_data(epfd: BorrowedFd<'_>) -> io::Result<Vec<u64>> {
    let mut events = [Event::zeroed(); 8];
    let n = epoll_wait(epfd, &mut events, 0)?;
    Ok(events[..n].iter().map(Event::token).collect())
}

/// What the kernel has ready in a loop's epoll instance, by token.
fn reports(epfd: BorrowedFd<'_>) -> io::Result<String> {
    let tokens: Vec<String> = ready_data(epfd)?
        .into_iter()
        .map(|data| format!("an event for {}", Token::from_u64(data)))
        .collect();
    Ok(if tokens.is_empty() {
        "nothing".to_owned()
    } else {
        tokens.join(", ")
    })
}
// ANCHOR_END: reports

/// A nonblocking pipe with one byte in it: (read end, a duplicate of the
/// read end, write end).
fn pipe_with_data() -> io::Result<(OwnedFd, OwnedFd, OwnedFd)> {
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    write_some(writer.as_fd(), b"x")?;
    let duplicate = reader.try_clone()?;
    Ok((reader, duplicate, writer))
}

/// A callback that does nothing.
fn ignore(_: Readiness, _: &mut Watched<OwnedFd>, _: &mut ()) -> io::Result<PostAction> {
    Ok(PostAction::Continue)
}

pub fn main() -> io::Result<()> {
    // ANCHOR: remove
    let event_loop: EventLoop<'_, ()> = EventLoop::new()?;
    let handle = event_loop.handle();

    println!("1. a Generic owns a pipe's read end; a duplicate stays outside");
    let (reader, _duplicate, _writer) = pipe_with_data()?;
    let source = Generic::new(reader, Interest::READABLE, Mode::Level);
    let token = handle.insert_source(source, ignore)?;
    println!("   the kernel reports: {}", reports(event_loop.as_fd())?);
    handle.remove(token)?;
    println!(
        "   after remove (DEL, then close): {}",
        reports(event_loop.as_fd())?
    );
    // ANCHOR_END: remove

    // ANCHOR: close_only
    println!("2. for contrast, chapter 4's Epoll, and a close without DEL");
    let epoll = Epoll::new()?;
    let (reader, _duplicate, _writer) = pipe_with_data()?;
    epoll.add(&reader, IN, 7)?;
    drop(reader);
    println!(
        "   after the close, events ready with data: {:?}",
        ready_data(epoll.as_fd())?
    );
    // ANCHOR_END: close_only

    // ANCHOR: take
    println!("3. take the Generic back, then unwrap it");
    let (reader, _duplicate, _writer) = pipe_with_data()?;
    let source = Generic::new(reader, Interest::READABLE, Mode::Level);
    let token = handle.insert_source(source, ignore)?;
    let source: Generic<OwnedFd> = handle.take(token)?;
    println!("   registered after take: {}", source.token().is_some());
    let reader: OwnedFd = source.into_inner();
    println!("   the kernel reports: {}", reports(event_loop.as_fd())?);
    let got = read_some(reader.as_fd(), &mut [0; 8])?;
    println!("   the fd is open: a read returns {got:?}");
    // ANCHOR_END: take

    // ANCHOR: loop_drop
    println!("4. drop the loop with a Generic in it; a duplicate of the epoll fd");
    println!("   keeps the epoll instance alive, to look at afterwards");
    let (reader, _duplicate, _writer) = pipe_with_data()?;
    let source = Generic::new(reader, Interest::READABLE, Mode::Level);
    handle.insert_source(source, ignore)?;
    let epoll_duplicate = event_loop.as_fd().try_clone_to_owned()?;
    println!("   before the drop: {}", reports(epoll_duplicate.as_fd())?);
    drop(event_loop);
    println!("   after the drop: {}", reports(epoll_duplicate.as_fd())?);
    println!("   sources left: {}", handle.len());
    // ANCHOR_END: loop_drop
    Ok(())
}
