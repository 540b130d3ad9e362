//! `Events` is allocated once: waiting, iterating and clearing never
//! allocate. A counting allocator, installed for this test binary only,
//! counts the allocations each thread makes.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::{self, Write};
use std::time::Duration;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is passed on to the system allocator unchanged; the
// count is a thread-local Cell with a const initializer, which needs no
// allocation (and no destructor) of its own.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's promises about `layout` are passed on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as for `dealloc`, and `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

fn allocations() -> usize {
    ALLOCATIONS.with(Cell::get)
}

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

    let before = allocations();
    let mut seen = 0;
    for _ in 0..100 {
        let n = epoll.wait(&mut events, Some(Duration::ZERO)).unwrap();
        assert_eq!(n, 4);
        seen += events.iter().filter(|e| e.is_readable()).count();
        events.clear();
    }
    let after = allocations();
    assert_eq!(seen, 400);
    assert_eq!(after - before, 0, "allocations during 100 waits");
}

#[test]
fn the_counter_does_count() {
    let before = allocations();
    let boxed = std::hint::black_box(Box::new(5_u64));
    assert_eq!(allocations() - before, 1);
    drop(boxed);
}
