//! Counting heap allocations, for tests that claim some code allocates
//! nothing.
//!
//! A test binary installs [`CountingAllocator`] as its global allocator:
//!
//! ```rust
//! use testkit::alloc::CountingAllocator;
//!
//! #[global_allocator]
//! static ALLOCATOR: CountingAllocator = CountingAllocator::new();
//!
//! # fn main() {
//! let (sum, allocations) = ALLOCATOR.count(|| (1..=10_u32).sum::<u32>());
//! assert_eq!((sum, allocations), (55, 0));
//! let (boxed, allocations) = ALLOCATOR.count(|| Box::new(5_u64));
//! assert_eq!((*boxed, allocations), (5, 1));
//! # }
//! ```
//!
//! Each thread has its own count, so tests that the harness runs on other
//! threads at the same time do not disturb it. A binary without the
//! allocator installed counts nothing: give it a test that checks the
//! counter does count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    /// Allocations (and reallocations) made by this thread through a
    /// `CountingAllocator`.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

/// A global allocator that hands every call to the system allocator and
/// counts, per thread, how many allocations and reallocations it made.
#[derive(Debug)]
pub struct CountingAllocator {
    _private: (),
}

impl CountingAllocator {
    pub const fn new() -> Self {
        Self { _private: () }
    }

    /// How many allocations and reallocations the calling thread has made
    /// so far.
    pub fn allocations(&self) -> usize {
        ALLOCATIONS.with(Cell::get)
    }

    /// Runs `f` and returns what it returned, with the number of
    /// allocations and reallocations the calling thread made meanwhile.
    pub fn count<R>(&self, f: impl FnOnce() -> R) -> (R, usize) {
        let before = self.allocations();
        let result = f();
        (result, self.allocations() - before)
    }
}

impl Default for CountingAllocator {
    fn default() -> Self {
        Self::new()
    }
}

fn counted() {
    ALLOCATIONS.with(|n| n.set(n.get() + 1));
}

// SAFETY: every call is passed on to the system allocator unchanged; the
// count is a thread-local Cell with a const initializer, which needs no
// allocation (and no destructor) of its own.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        counted();
        // SAFETY: the caller's promises about `layout` are passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        counted();
        // SAFETY: as for `dealloc`, and `new_size` is the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
