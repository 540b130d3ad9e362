//! Why the loop drains the waker *before* it looks at its queue. One thread
//! plays both sides, so the unlucky moment happens every run: a producer
//! queues a job and wakes the loop exactly between the loop's two steps.
//! In one order the job is picked up; in the other its wake is erased and
//! the job is stranded.
//!
//! Run it with `cargo run -p ch05-eventfd-wakeups --example drain_then_check`.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events};
use ch05_eventfd_wakeups::Waker;
use std::collections::VecDeque;
use std::io;
use std::time::Duration;

const WAKER: u64 = 0;

/// A producer: queue a job, then wake the loop.
fn produce(queue: &mut VecDeque<&'static str>, waker: &Waker, job: &'static str) -> io::Result<()> {
    queue.push_back(job);
    waker.wake()
}

// ANCHOR: one_round
/// One round of the loop, with job "B" produced between its two steps.
fn one_round(drain_first: bool) -> io::Result<()> {
    let epoll = Epoll::new()?;
    let waker = Waker::new(&epoll, WAKER)?;
    let mut events = Events::with_capacity(4);
    let mut queue = VecDeque::new();

    produce(&mut queue, &waker, "A")?;
    epoll.wait(&mut events, Some(Duration::ZERO))?; // the loop wakes up
    let mut taken: Vec<&str> = Vec::new();
    if drain_first {
        waker.drain()?;
        produce(&mut queue, &waker, "B")?; // <- the unlucky moment
        taken.extend(queue.drain(..));
    } else {
        taken.extend(queue.drain(..));
        produce(&mut queue, &waker, "B")?; // <- the unlucky moment
        waker.drain()?;
    }
    let next = epoll.wait(&mut events, Some(Duration::ZERO))?;
    println!("  jobs taken {taken:?}; next wait: {next} event(s); left in the queue {queue:?}");
    Ok(())
}
// ANCHOR_END: one_round

pub fn main() -> io::Result<()> {
    println!("drain, then take the jobs:");
    one_round(true)?;
    println!("take the jobs, then drain:");
    one_round(false)?;
    Ok(())
}
