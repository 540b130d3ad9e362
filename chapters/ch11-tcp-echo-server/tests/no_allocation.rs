//! Serving a request allocates nothing: the read buffer is the server's
//! one buffer, the outbox allocates only when the kernel refuses output,
//! and the loop and its sources allocate nothing per event (chapter 8).
//! A counting allocator, installed for this test binary alone, counts
//! every allocation in the process while a client makes 1000 round trips.

use ch11_tcp_echo_server::{Config, ServerThread};
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method hands the call to `System` unchanged; counting
// does not touch the memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller's contract for `alloc` is `System`'s.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with this layout; the caller
        // keeps `realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn a_thousand_round_trips_allocate_nothing() {
    let server =
        ServerThread::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), Config::default()).unwrap();
    let mut client = TcpStream::connect(server.addr()).unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let request = [42u8; 100];
    let mut reply = [0u8; 100];
    // The first round trip accepts the connection: a source is inserted
    // (one allocation for it and its callback), which is per connection,
    // not per event.
    client.write_all(&request).unwrap();
    client.read_exact(&mut reply).unwrap();

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    for _ in 0..1000 {
        client.write_all(&request).unwrap();
        client.read_exact(&mut reply).unwrap();
        assert_eq!(reply, request);
    }
    let after = ALLOCATIONS.load(Ordering::Relaxed);
    assert_eq!(after - before, 0);
    drop(client);
    server.stop().unwrap();
}
