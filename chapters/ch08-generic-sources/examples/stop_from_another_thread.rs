//! A loop that runs with no timeout and no sources, so its waits can only
//! end by a `LoopSignal`: another thread wakes it once, then stops it.
//! Each time the thread first watches the loop's thread until it is
//! blocked in `epoll_wait` (chapter 5's `Tid`), so the signal really ends a
//! wait.
//!
//! Run it with `cargo run -p ch08-generic-sources --example stop_from_another_thread`.

use ch05_eventfd_wakeups::Tid;
use ch08_generic_sources::EventLoop;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(5);

// ANCHOR: stop
pub fn main() -> io::Result<()> {
    let mut event_loop: EventLoop<'_, usize> = EventLoop::new()?;
    let signal = event_loop.signal();
    let loop_thread = Tid::current();
    // How many dispatches have ended, for the other thread to see.
    let ended = Arc::new(AtomicUsize::new(0));

    let seen = Arc::clone(&ended);
    let other = thread::spawn(move || {
        let result = (|| -> io::Result<()> {
            loop_thread.wait_until_blocked_in("epoll", PATIENCE)?;
            println!("other thread: the loop is blocked; wakeup()");
            signal.wakeup();
            // Wait until that dispatch is over, then for the next wait.
            let give_up = Instant::now() + PATIENCE;
            while seen.load(Ordering::Acquire) < 1 && Instant::now() < give_up {
                thread::yield_now();
            }
            loop_thread.wait_until_blocked_in("epoll", PATIENCE)?;
            println!("other thread: the loop is blocked again; stop()");
            Ok(())
        })();
        // Whatever happened, the loop must not wait for ever.
        signal.stop();
        result
    });

    let mut dispatches = 0;
    event_loop.run(None, &mut dispatches, |dispatches| {
        *dispatches += 1;
        println!("loop: dispatch {dispatches} is over");
        ended.store(*dispatches, Ordering::Release);
    })?;
    other.join().expect("the other thread panicked")?;
    println!("loop: run(None) returned after {dispatches} dispatches");
    Ok(())
}
// ANCHOR_END: stop
