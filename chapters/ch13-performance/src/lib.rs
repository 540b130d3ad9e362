//! Chapter 13 of the epoll book: measured performance.
//!
//! The measurements themselves are the `bench` harness (`code/bench`). This
//! crate holds the small experiments that explain its figures, each one
//! counting system calls, never timing them:
//!
//! - [`extra_read`]: one connection in ping-pong; a level-triggered server
//!   that stops at a short read makes three calls per round trip, one
//!   that reads until `EAGAIN` makes four;
//! - [`batching`]: many connections ready at once; one `epoll_wait`
//!   returns as many as its buffer holds;
//! - [`poll_scan`]: one ready fd among many idle ones; `poll` hands back
//!   the whole array to search, `epoll_wait` only the ready one.

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: epoll is a Linux interface");

pub mod batching;
pub mod extra_read;
pub mod poll_scan;
pub mod solutions;

pub use batching::{Waits, serve_all};
pub use extra_read::{Reading, ServerCalls, loopback_pair, ping_pong};
pub use poll_scan::{Found, IdleAndReady};
