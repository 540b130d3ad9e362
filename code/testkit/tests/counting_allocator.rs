//! `CountingAllocator`, installed as this test binary's global allocator,
//! counts the allocations the calling thread makes, and only those.

use std::sync::Barrier;
use testkit::alloc::CountingAllocator;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

#[test]
fn a_box_is_one_allocation() {
    let (boxed, allocations) = ALLOCATOR.count(|| std::hint::black_box(Box::new(5_u64)));
    assert_eq!(allocations, 1);
    // Freeing is not counted.
    let ((), allocations) = ALLOCATOR.count(|| drop(boxed));
    assert_eq!(allocations, 0);
}

#[test]
fn growing_a_vec_counts_its_reallocations() {
    let mut bytes: Vec<u8> = Vec::with_capacity(1);
    let ((), allocations) = ALLOCATOR.count(|| {
        bytes.push(1); // fits
        bytes.push(2); // grows: a reallocation
        bytes.reserve_exact(100); // another
    });
    assert_eq!(allocations, 2);
    assert_eq!(bytes, [1, 2]);
}

#[test]
fn work_on_the_stack_counts_nothing() {
    let (sum, allocations) = ALLOCATOR.count(|| {
        let numbers = std::hint::black_box([3_u64; 64]);
        numbers.iter().sum::<u64>()
    });
    assert_eq!((sum, allocations), (192, 0));
}

#[test]
fn other_threads_allocations_are_theirs() {
    let barrier = Barrier::new(2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| {
            barrier.wait();
            let (boxes, allocations) =
                ALLOCATOR.count(|| (0..100).map(Box::new).collect::<Vec<_>>());
            barrier.wait();
            (boxes.len(), allocations)
        });
        // Between the two waits the other thread allocates, and this one
        // only waits.
        let ((), allocations) = ALLOCATOR.count(|| {
            barrier.wait();
            barrier.wait();
        });
        assert_eq!(allocations, 0);
        // 100 boxes and the vector that holds them.
        assert_eq!(other.join().unwrap(), (100, 101));
    });
}
