//! What the contract of `Watched::get_mut` protects: a callback that uses
//! the `unsafe` accessor to swap its `Generic`'s fd for another one. The
//! kernel's entry still names the old fd, the source now reads the new
//! one, removing it fails, and the old entry outlives the source.
//!
//! Run it with `cargo run -p ch08-generic-sources --example swapped_fd`.

use ch01_raw_syscalls::error::errno;
use ch01_raw_syscalls::{Event, O_CLOEXEC, O_NONBLOCK, epoll_wait, pipe2};
use ch07_a_reactor::io::{read_some, write_some};
use ch08_generic_sources::{EventLoop, Generic, Interest, Mode, PostAction, Token};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

const NOW: Option<Duration> = Some(Duration::ZERO);

/// The tokens of the events the kernel has ready in `epfd` right now.
fn ready_tokens(epfd: BorrowedFd<'_>) -> io::Result<Vec<String>> {
    let mut events = [Event::zeroed(); 8];
    let n = epoll_wait(epfd, &mut events, 0)?;
    Ok(events[..n]
        .iter()
        .map(|event| Token::from_u64(event.token()).to_string())
        .collect())
}

// ANCHOR: state
/// What the callback shares with `main`.
struct Swap {
    /// The other pipe's read end, to swap in; afterwards, the old one.
    spare: OwnedFd,
    swapped: bool,
    /// What each call of the callback read from the fd its Generic holds.
    reads: Vec<String>,
}
// ANCHOR_END: state

pub fn main() -> io::Result<()> {
    // ANCHOR: swap
    let mut event_loop: EventLoop<'_, Swap> = EventLoop::new()?;
    let (old_reader, old_writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let (new_reader, _new_writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let source = Generic::new(old_reader, Interest::READABLE, Mode::Level);
    let token = event_loop
        .handle()
        .insert_source(source, |_readiness, pipe, swap| {
            let mut buf = [0; 16];
            let read = read_some(pipe.as_fd(), &mut buf)?;
            swap.reads.push(match read {
                Some(n) => format!("{n} bytes"),
                None => "nothing (would block)".to_owned(),
            });
            if !swap.swapped {
                // The contract is broken on purpose: the Generic is
                // registered, and its fd is replaced. What breaks is the
                // agreement between the Generic and the kernel.
                // SAFETY: nothing unsound follows: both fds stay owned and
                // are closed once each, and the loop checks every token.
                std::mem::swap(unsafe { pipe.get_mut() }, &mut swap.spare);
                swap.swapped = true;
            }
            Ok(PostAction::Continue)
        })?;
    let mut swap = Swap {
        spare: new_reader,
        swapped: false,
        reads: Vec::new(),
    };

    write_some(old_writer.as_fd(), b"first")?;
    event_loop.dispatch(NOW, &mut swap)?;
    println!("1. data in the old pipe; the callback reads it, then swaps the fds");
    write_some(old_writer.as_fd(), b"second")?;
    event_loop.dispatch(NOW, &mut swap)?;
    println!("2. data in the old pipe again, and a dispatch");
    println!("   what each call of the callback read: {:?}", swap.reads);
    // ANCHOR_END: swap

    // ANCHOR: remove
    let err = event_loop.handle().remove(token).unwrap_err();
    println!("3. remove: {err}");
    let enoent = errno(&err) == Some(libc::ENOENT);
    println!("   DEL named the new pipe's fd, never added: ENOENT {enoent}");
    println!("   sources left: {}", event_loop.handle().len());
    println!(
        "4. the old pipe's entry is still there, for a source that is gone: {:?}",
        ready_tokens(event_loop.as_fd())?
    );
    event_loop.dispatch(NOW, &mut swap)?;
    println!(
        "   a dispatch now: calls of the callback so far: {}",
        swap.reads.len()
    );
    drop(swap.spare);
    println!(
        "5. closing the old read end, its last fd, ends the entry: {:?}",
        ready_tokens(event_loop.as_fd())?
    );
    // ANCHOR_END: remove
    Ok(())
}
