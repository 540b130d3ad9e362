//! Many wakes, one event. Four threads wake the loop 250 times each before
//! it waits: the wait returns one event, and `drain` says it stood for
//! 1000 wakes. Then what level-triggering means for a waker: until it is
//! drained, every wait reports it again.
//!
//! Run it with `cargo run -p ch05-eventfd-wakeups --example coalescing`.

use ch01_raw_syscalls::consts::event_names;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events};
use ch05_eventfd_wakeups::Waker;
use std::io;
use std::thread;
use std::time::Duration;

const WAKER: u64 = 7;
const THREADS: u64 = 4;
const WAKES_PER_THREAD: u64 = 250;

// ANCHOR: coalescing
fn many_wakes_one_event(epoll: &Epoll, waker: &Waker, events: &mut Events) -> io::Result<()> {
    thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|_| {
                let waker = waker.clone();
                scope.spawn(move || (0..WAKES_PER_THREAD).try_for_each(|_| waker.wake()))
            })
            .collect();
        for thread in threads {
            thread
                .join()
                .map_err(|_| io::Error::other("a waking thread panicked"))??;
        }
        io::Result::Ok(())
    })?;
    println!("{THREADS} threads called wake() {WAKES_PER_THREAD} times each");

    let n = epoll.wait(events, Some(Duration::ZERO))?;
    for event in events.iter() {
        let names = event_names(event.events());
        println!("wait: {n} event(s); token {}, {names}", event.token());
    }
    println!("drain: {} wake(s)", waker.drain()?);
    let n = epoll.wait(events, Some(Duration::ZERO))?;
    println!("wait after the drain: {n} event(s)");
    Ok(())
}
// ANCHOR_END: coalescing

// ANCHOR: level_triggered_waker
fn reported_until_drained(epoll: &Epoll, waker: &Waker, events: &mut Events) -> io::Result<()> {
    waker.wake()?;
    let mut reported = 0;
    for _ in 0..3 {
        reported += epoll.wait(events, Some(Duration::ZERO))?;
    }
    println!("one wake, never drained: reported by {reported} waits out of 3");
    println!("drain: {} wake(s)", waker.drain()?);
    let n = epoll.wait(events, Some(Duration::ZERO))?;
    println!("wait after the drain: {n} event(s)");
    Ok(())
}
// ANCHOR_END: level_triggered_waker

pub fn main() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let waker = Waker::new(&epoll, WAKER)?;
    let mut events = Events::with_capacity(16);
    many_wakes_one_event(&epoll, &waker, &mut events)?;
    reported_until_drained(&epoll, &waker, &mut events)
}
