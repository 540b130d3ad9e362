//! Chapter 3 of the epoll book: level-triggered, edge-triggered and
//! one-shot notification.
//!
//! Everything here is built on chapter 1's calls and chapter 2's
//! `add`/`modify`/`delete`:
//!
//! - [`mode`] names the three ways an entry can report readiness, and the
//!   input flag that selects each;
//! - [`drain`] reads a nonblocking fd until `EAGAIN`, the contract that
//!   edge-triggered notification asks for, with a budgeted variant;
//! - [`fair`] is a ready queue in user space that serves every ready fd a
//!   little per turn, so one fd that never drains cannot starve the rest;
//! - [`sleepers`] watches a thread through `/proc` until it sleeps in
//!   `epoll_wait`, for the experiments that count wake-ups;
//! - [`ready_now`] takes what the ready list holds, without waiting, which
//!   is how the chapter's experiments look at it;
//! - [`solutions`] holds the solutions to the page's exercises.

pub mod drain;
pub mod fair;
pub mod mode;
pub mod sleepers;
pub mod solutions;

use ch01_raw_syscalls::{Event, epoll_wait};
use std::io;
use std::os::fd::BorrowedFd;

pub use drain::{Drained, Stop, read_until_would_block, read_with_budget};
pub use fair::ReadyQueue;
pub use mode::Mode;

// ANCHOR: ready_now
/// What `epoll_wait` hands out right now, without waiting (timeout 0):
/// `(token, event bits)` for each event, in the order the kernel gave them.
pub fn ready_now(epoll: BorrowedFd<'_>) -> io::Result<Vec<(u64, u32)>> {
    let mut events = [Event::zeroed(); 16];
    let n = epoll_wait(epoll, &mut events, 0)?;
    Ok(events[..n]
        .iter()
        .map(|event| (event.token(), event.events))
        .collect())
}
// ANCHOR_END: ready_now
