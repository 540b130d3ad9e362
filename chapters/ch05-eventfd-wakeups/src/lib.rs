//! Chapter 5 of the epoll book: eventfd, and waking a blocked loop.
//!
//! - [`EventFd`] owns an eventfd: a `u64` counter in the kernel behind a
//!   file descriptor. Writes add to it, reads take it, and epoll reports it
//!   readable while it is above 0. [`EventFd::peek`] shows the counter
//!   without touching it.
//! - [`Waker`] is an eventfd registered in an [`Epoll`](ch04_libc_and_a_safe_wrapper::Epoll):
//!   any thread can [`wake`](Waker::wake) the thread blocked in its wait,
//!   and the loop [`drain`](Waker::drain)s it.
//! - [`report`] names errors in a few words, for the examples' output.
//! - [`Tid`] watches a thread until it is blocked in the kernel, so that
//!   the chapter's experiments wake threads that really sleep.
//!
//! Everything reaches the kernel through `libc`, and every error is an
//! `io::Error` that keeps the OS error and names the call (`eventfd`,
//! `read(eventfd)`, `write(eventfd)`), through chapter 1's
//! [`ch01_raw_syscalls::error`].
//!
//! [`solutions`] holds the solutions to the exercises at the end of the
//! chapter's page.

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: eventfd is a Linux interface");

pub mod blocked;
pub mod eventfd;
pub mod report;
pub mod solutions;
pub mod waker;

pub use blocked::Tid;
pub use eventfd::{EventFd, INVALID_VALUE, MAX_COUNT, VALUE_SIZE};
pub use waker::Waker;
