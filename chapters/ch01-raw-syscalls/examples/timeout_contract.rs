//! What the `timeout` argument of `epoll_wait` means: 0 returns at once,
//! a positive number waits at most that many milliseconds, -1 waits for as
//! long as it takes.
//!
//! Run it with `cargo run -p ch01-raw-syscalls --example timeout_contract`.

use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLIN, Event, O_CLOEXEC, epoll_create1, epoll_ctl, epoll_wait,
    pipe2, write,
};
use std::io;
use std::os::fd::AsFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: timeout_contract
pub fn main() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_ADD,
        reader.as_fd(),
        Some(&Event::new(EPOLLIN, 1)),
    )?;
    let mut events = [Event::zeroed(); 4];

    // timeout 0: look at the ready list and return, even if it is empty.
    let start = Instant::now();
    let n = epoll_wait(epoll.as_fd(), &mut events, 0)?;
    let verdict = if start.elapsed() < Duration::from_millis(500) {
        "without waiting"
    } else {
        "only after a long wait (unexpected)"
    };
    println!("timeout 0:      {n} events, returned {verdict}");

    // timeout 200: nothing becomes ready, so the call sleeps at least 200 ms.
    let start = Instant::now();
    let n = epoll_wait(epoll.as_fd(), &mut events, 200)?;
    let verdict = if start.elapsed() >= Duration::from_millis(200) {
        "after at least 200 ms"
    } else {
        "too early (unexpected)"
    };
    println!("timeout 200 ms: {n} events, returned {verdict}");

    // timeout -1: no time limit; only an event (or a signal) ends the wait.
    let wrote = Arc::new(AtomicBool::new(false));
    let writer_thread = thread::spawn({
        let wrote = Arc::clone(&wrote);
        move || -> io::Result<()> {
            thread::sleep(Duration::from_millis(100));
            wrote.store(true, Ordering::SeqCst);
            write(writer.as_fd(), b"x").map(drop)
        }
    });
    let n = epoll_wait(epoll.as_fd(), &mut events, -1)?;
    let after_write = wrote.load(Ordering::SeqCst);
    writer_thread.join().expect("the writer thread panicked")?;
    println!(
        "timeout -1:     {n} event (token {}), returned after the other thread wrote: {after_write}",
        events[0].token()
    );
    Ok(())
}
// ANCHOR_END: timeout_contract
