//! What the loop says to bad input: the kernel's refusals with the call
//! named, and the loop's own with the operation named. None is a panic,
//! and a refused source comes back to its owner.
//!
//! Run it with `cargo run -p ch08-generic-sources --example loop_errors`.

use ch01_raw_syscalls::error::errno;
use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch08_generic_sources::{
    EventLoop, Generic, Interest, LoopHandle, Mode, PostAction, Readiness, RegistrationToken,
    Watched,
};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;

fn report<T>(what: &str, result: Result<T, impl Into<io::Error>>) {
    match result.map_err(Into::into) {
        Ok(_) => println!("{what}: ok"),
        Err(err) => println!(
            "{what}:\n  {err}\n  (kind {:?}, errno {:?})",
            err.kind(),
            errno(&err)
        ),
    }
}

/// A callback that does nothing, for sources of any `F`.
fn ignore<F>(_: Readiness, _: &mut Watched<F>, _: &mut ()) -> io::Result<PostAction> {
    Ok(PostAction::Continue)
}

// ANCHOR: errors
pub fn main() -> io::Result<()> {
    let event_loop: EventLoop<'_, ()> = EventLoop::new()?;
    let handle = event_loop.handle();
    let (reader, _writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let shared = Arc::new(reader);
    let first = Generic::new(Arc::clone(&shared), Interest::READABLE, Mode::Level);
    let token = handle.insert_source(first, ignore)?;

    let again = Generic::new(shared, Interest::READABLE, Mode::Level);
    match handle.insert_source(again, ignore) {
        Ok(_) => println!("the same fd again: ok"),
        Err(refused) => {
            let err = &refused.error;
            println!("the same fd again, through a second Arc:\n  {err}");
            println!("  (kind {:?}, errno {:?})", err.kind(), errno(err));
            let back = refused.source.into_inner();
            println!(
                "  the source came back; the Arc has {} owners",
                Arc::strong_count(&back)
            );
        }
    }
    let file = File::open(std::env::current_exe()?)?;
    let file = Generic::new(file, Interest::READABLE, Mode::Level);
    report(
        "a regular file (this program)",
        handle.insert_source(file, ignore),
    );
    report(
        "a token never given out",
        handle.remove(RegistrationToken::new(9, 0)),
    );
    report(
        "take, as the wrong type",
        handle.take::<Generic<OwnedFd>>(token),
    );
    report("remove", handle.remove(token));
    report("remove, the same token again", handle.remove(token));
    report("update, the same token", handle.update(token));
    report("enable, the same token", handle.enable(token));
    report(
        "an EventLoop with room for 0 events",
        EventLoop::<()>::with_capacity(0),
    );

    let survivor: LoopHandle<'_, ()> = event_loop.handle();
    drop(event_loop);
    let (reader, _writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let late = Generic::new(reader, Interest::READABLE, Mode::Level);
    report(
        "insert through a handle that outlived its loop",
        survivor.insert_source(late, ignore),
    );
    println!("sources now: {}", survivor.len());
    Ok(())
}
// ANCHOR_END: errors
