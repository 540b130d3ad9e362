//! Chapter 12 of the epoll book: the echo server of chapter 11, written
//! again on the crates people use.
//!
//! The chapter is its examples, three complete servers that keep the same
//! contract (see the `echo-harness` crate) and share nothing but its
//! command-line parsing:
//!
//! - `examples/echo_mio.rs`: mio's `Poll`, edge-triggered, and
//!   signal-hook-mio for signals;
//! - `examples/echo_calloop.rs`: calloop's `Generic` sources in level mode
//!   and its `Timer`, and signal-hook's self-pipe as one more `Generic`;
//! - `examples/echo_rustix.rs`: rustix's epoll and socket calls,
//!   edge-triggered, and signal-hook's self-pipe.
//!
//! `tests/servers.rs` runs the same client workloads against each of them
//! and compares the results in one table.
//!
//! The library itself holds only [`solutions`]: the page's exercises,
//! answered with small experiments on the same three crates.

pub mod solutions;
