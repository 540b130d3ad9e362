//! The epoll book's benchmark harness.
//!
//! Each measurement of the performance chapter is a module here, and the
//! `bench` binary runs them with one command:
//!
//! - [`scaling`]: the cost of one `epoll_wait` call with one ready fd among
//!   N idle ones, against one `poll(2)` call over the same N + 1 fds;
//! - [`wakeup`]: the round trip of a wake-up between two blocked threads,
//!   with the book's `Waker`, with `mio::Waker`, and with `park`/`unpark`;
//! - [`plot`]: the SVG charts the chapter shows, drawn from the results.
//!
//! The measurements check what every call reports (a wrong answer is an
//! error, never a figure), so the tests run them at a small size and assert
//! that, and never assert anything about time.

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: epoll is a Linux interface");

pub mod cpu;
pub mod echo;
pub mod fd_limit;
pub mod load;
pub mod plot;
pub mod report;
pub mod scaling;
pub mod servers;
pub mod syscalls;
pub mod wakeup;

/// `errno` as an `io::Error` naming the call: chapter 1's helper, which
/// every crate of the book uses.
pub(crate) use ch01_raw_syscalls::error::last_error;
