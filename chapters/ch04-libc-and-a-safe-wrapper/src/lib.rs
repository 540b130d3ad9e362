//! Chapter 4 of the epoll book: from hand-written FFI to the `libc` crate,
//! and a safe wrapper.
//!
//! Chapter 1 declared the epoll calls by hand. From here on they come from
//! `libc`, and the rest of the book talks to epoll through the three types
//! this crate defines:
//!
//! - [`Epoll`] owns an epoll instance (created with `EPOLL_CLOEXEC`) and
//!   offers [`add`](Epoll::add), [`modify`](Epoll::modify),
//!   [`delete`](Epoll::delete) and [`wait`](Epoll::wait). It takes any
//!   [`AsFd`](std::os::fd::AsFd), so files, sockets, pipes and the `OwnedFd`s
//!   of eventfds, timerfds and signalfds can all be registered.
//! - [`Events`] is the buffer `wait` fills, allocated once and reused; its
//!   capacity is the most events one wait returns.
//! - [`Event`] is one reported event: a token and the event bits, with
//!   methods such as [`is_readable`](Event::is_readable).
//!
//! The event bits are `u32` constants in [`flags`] (re-exported here):
//! [`IN`], [`OUT`], [`ET`], [`ONESHOT`] and the rest. `wait` takes an
//! `Option<Duration>` (`None` waits with no time limit), rounds it up to
//! whole milliseconds, keeps to it through signal handlers (`EINTR`) and
//! through timeouts longer than the kernel's `int` of milliseconds.
//! Every error is an `io::Error` that keeps the OS error and names the call,
//! through chapter 1's [`ch01_raw_syscalls::error`].
//!
//! Later chapters build on exactly this: the eventfd, timer and signal
//! chapters register their descriptors with [`Epoll::add`], the reactor keeps
//! an [`Epoll`] and an [`Events`] and dispatches on [`Event::token`], and the
//! TCP server at the end is served by the same `wait` loop.
//!
//! [`solutions`] holds the solutions to the exercises at the end of the
//! chapter's page.

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: epoll is a Linux interface");

pub mod flags;
pub mod solutions;

mod epoll;
mod events;

pub use epoll::Epoll;
pub use events::{Event, Events, Iter, MAX_EVENTS};
pub use flags::*;
