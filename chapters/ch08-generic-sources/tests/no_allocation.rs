//! Dispatching allocates nothing: not per event, not per callback, not per
//! wake-up. Inserting a source allocates (its box, maybe a slot), once. A
//! counting allocator, installed for this test binary only, counts the
//! allocations each thread makes, as in chapter 4's test of `Events`.

mod common;

use ch07_a_reactor::io::read_some;
use ch08_generic_sources::{EventLoop, Generic, Interest, Mode, PostAction};
use common::*;
use std::os::fd::AsFd;
use testkit::alloc::CountingAllocator;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

/// Counts of what the callbacks saw.
#[derive(Default)]
struct Seen {
    level: usize,
    oneshot: usize,
    edge: usize,
}

#[test]
fn dispatching_never_allocates() {
    let mut event_loop: EventLoop<'_, Seen> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let signal = event_loop.signal();
    let mut writers = Vec::new();

    // Four level-triggered pipes with data nobody reads: reported on every
    // dispatch.
    for _ in 0..4 {
        let (source, writer) = readable_pipe(b"x");
        writers.push(writer);
        handle
            .insert_source(source, |readiness, _, seen: &mut Seen| {
                assert!(readiness.readable);
                seen.level += 1;
                Ok(PostAction::Continue)
            })
            .unwrap();
    }
    // A one-shot pipe re-armed after every event: one MOD per event.
    let (reader, writer) = pipe();
    put(&writer, b"x");
    writers.push(writer);
    let oneshot = Generic::new(reader, Interest::READABLE, Mode::OneShot);
    handle
        .insert_source(oneshot, |_, _, seen: &mut Seen| {
            seen.oneshot += 1;
            Ok(PostAction::Reregister)
        })
        .unwrap();
    // An edge-triggered pipe that gets a byte before each dispatch. The
    // callback reads exactly that byte: reading on until EAGAIN would
    // allocate, in the callback, because chapter 1's errors box the
    // call's name with the OS error before `read_some` turns EAGAIN into
    // `None`. That cost is the callback's, not the loop's.
    let (reader, edge_writer) = pipe();
    let edge = Generic::new(reader, Interest::READABLE, Mode::Edge);
    handle
        .insert_source(edge, |_, pipe, seen: &mut Seen| {
            assert_eq!(read_some(pipe.as_fd(), &mut [0; 8])?, Some(1));
            seen.edge += 1;
            Ok(PostAction::Continue)
        })
        .unwrap();

    let mut seen = Seen::default();
    event_loop.dispatch(NOW, &mut seen).unwrap(); // warm up
    let ((), allocations) = ALLOCATOR.count(|| {
        for _ in 0..100 {
            put(&edge_writer, b"y");
            signal.wakeup();
            event_loop.dispatch(NOW, &mut seen).unwrap();
        }
    });
    assert_eq!(seen.level, 4 * 101);
    assert_eq!(seen.oneshot, 101);
    assert_eq!(seen.edge, 100);
    assert_eq!(allocations, 0, "allocations during 100 dispatches");
}

#[test]
fn the_counter_does_count() {
    let before = ALLOCATOR.allocations();
    let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
    let (source, _writer) = readable_pipe(b"");
    let after_new = ALLOCATOR.allocations();
    event_loop.handle().insert_source(source, ignore).unwrap();
    assert!(after_new > before, "a loop allocates its buffer and table");
    assert!(
        ALLOCATOR.allocations() > after_new,
        "an insert allocates the source's box"
    );
}
