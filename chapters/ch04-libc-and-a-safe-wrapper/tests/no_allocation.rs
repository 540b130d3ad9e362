//! `Events` is allocated once: waiting, iterating and clearing never
//! allocate. A counting allocator (testkit's `CountingAllocator`), installed
//! for this test binary only, counts the allocations each thread makes.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use std::io::{self, Write};
use std::time::Duration;
use testkit::alloc::CountingAllocator;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

#[test]
fn waiting_and_reading_events_never_allocates() {
    let epoll = Epoll::new().unwrap();
    let mut pipes = Vec::new();
    for token in 0..4 {
        let (reader, mut writer) = io::pipe().unwrap();
        epoll.add(&reader, IN, token).unwrap();
        writer.write_all(b"x").unwrap();
        pipes.push((reader, writer));
    }
    let mut events = Events::with_capacity(8);

    let mut seen = 0;
    let ((), allocations) = ALLOCATOR.count(|| {
        for _ in 0..100 {
            let n = epoll.wait(&mut events, Some(Duration::ZERO)).unwrap();
            assert_eq!(n, 4);
            seen += events.iter().filter(|e| e.is_readable()).count();
            events.clear();
        }
    });
    assert_eq!(seen, 400);
    assert_eq!(allocations, 0, "allocations during 100 waits");
}

#[test]
fn the_counter_does_count() {
    let (boxed, allocations) = ALLOCATOR.count(|| std::hint::black_box(Box::new(5_u64)));
    assert_eq!(allocations, 1);
    drop(boxed);
}
