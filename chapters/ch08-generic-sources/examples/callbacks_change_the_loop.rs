//! Callbacks share the loop's `Data`, and change the loop through a
//! `LoopHandle` while a batch is being dispatched: one removes another
//! source whose event is in the same batch, one inserts a new source, one
//! removes itself.
//!
//! Run it with `cargo run -p ch08-generic-sources --example callbacks_change_the_loop`.

use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch07_a_reactor::io::{read_some, write_some};
use ch08_generic_sources::{
    EventLoop, Generic, Interest, LoopHandle, Mode, PostAction, RegistrationToken,
};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

const NOW: Option<Duration> = Some(Duration::ZERO);

// ANCHOR: shared
/// The state every callback is lent, one at a time.
#[derive(Default)]
struct Shared {
    /// Which callbacks ran, in order.
    ran: Vec<&'static str>,
    /// The tokens of the two rivals, filled in once both are inserted.
    rivals: Vec<(&'static str, RegistrationToken)>,
    /// The write end of the pipe the inserted source reads.
    late_writer: Option<OwnedFd>,
    /// The token of the source that removes itself.
    quitter: Option<RegistrationToken>,
}
// ANCHOR_END: shared

/// A pipe's read end, wrapped, with `data` waiting in it; and the write end.
fn pipe_with(data: &[u8]) -> io::Result<(Generic<OwnedFd>, OwnedFd)> {
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    write_some(writer.as_fd(), data)?;
    Ok((
        Generic::new(reader, Interest::READABLE, Mode::Level),
        writer,
    ))
}

/// Reads what is in the pipe, so that level-triggering does not call again.
fn drain(pipe: &OwnedFd) -> io::Result<()> {
    while let Some(n) = read_some(pipe.as_fd(), &mut [0; 64])? {
        if n == 0 {
            break;
        }
    }
    Ok(())
}

// ANCHOR: rival
/// Inserts a source whose callback removes the other rival.
fn insert_rival(
    handle: &LoopHandle<'static, Shared>,
    name: &'static str,
    writers: &mut Vec<OwnedFd>,
) -> io::Result<RegistrationToken> {
    let (pipe, writer) = pipe_with(b"x")?;
    writers.push(writer);
    let loop_handle = handle.clone();
    let token = handle.insert_source(pipe, move |_readiness, pipe, shared: &mut Shared| {
        shared.ran.push(name);
        drain(pipe)?;
        for &(other, token) in &shared.rivals {
            if other != name {
                loop_handle.remove(token)?;
            }
        }
        Ok(PostAction::Continue)
    })?;
    Ok(token)
}
// ANCHOR_END: rival

pub fn main() -> io::Result<()> {
    let mut event_loop: EventLoop<'static, Shared> = EventLoop::new()?;
    let handle = event_loop.handle();
    let mut shared = Shared::default();
    let mut writers = Vec::new();

    // ANCHOR: remove_in_batch
    println!("1. two sources with data; each callback removes the other");
    for name in ["left", "right"] {
        let token = insert_rival(&handle, name, &mut writers)?;
        shared.rivals.push((name, token));
    }
    event_loop.dispatch(NOW, &mut shared)?;
    println!("   callbacks run: {} of 2", shared.ran.len());
    println!("   sources left: {}", handle.len());
    // ANCHOR_END: remove_in_batch

    // ANCHOR: insert_from_callback
    println!("2. a callback inserts a new source, which has data already");
    let (starter, starter_writer) = pipe_with(b"x")?;
    writers.push(starter_writer);
    let loop_handle = handle.clone();
    handle.insert_source(starter, move |_readiness, pipe, shared: &mut Shared| {
        shared.ran.push("starter");
        drain(pipe)?;
        let (late, late_writer) = pipe_with(b"x")?;
        shared.late_writer = Some(late_writer);
        loop_handle.insert_source(late, |_readiness, pipe, shared: &mut Shared| {
            shared.ran.push("late");
            drain(pipe)?;
            Ok(PostAction::Continue)
        })?;
        Ok(PostAction::Continue)
    })?;
    shared.ran.clear();
    event_loop.dispatch(NOW, &mut shared)?;
    println!(
        "   dispatch 1 ran: {:?}; sources: {}",
        shared.ran,
        handle.len()
    );
    shared.ran.clear();
    event_loop.dispatch(NOW, &mut shared)?;
    println!("   dispatch 2 ran: {:?}", shared.ran);
    // ANCHOR_END: insert_from_callback

    // ANCHOR: remove_itself
    println!("3. a callback removes its own source through the handle");
    let (quitter, quitter_writer) = pipe_with(b"x")?;
    writers.push(quitter_writer);
    let loop_handle = handle.clone();
    let token = handle.insert_source(quitter, move |_readiness, _pipe, shared: &mut Shared| {
        shared.ran.push("quitter");
        let me = shared.quitter.expect("set after insert");
        loop_handle.remove(me)?;
        // Gone for the loop at once; dropped once this callback returns.
        shared.ran.push(if loop_handle.contains(me) {
            "quitter still in the loop"
        } else {
            "quitter no longer in the loop"
        });
        Ok(PostAction::Continue)
    })?;
    shared.quitter = Some(token);
    shared.ran.clear();
    let before = handle.len();
    event_loop.dispatch(NOW, &mut shared)?;
    println!("   ran: {:?}", shared.ran);
    println!("   sources: {before} before, {} after", handle.len());
    // ANCHOR_END: remove_itself
    Ok(())
}
