//! Chapter 9 of the epoll book: who owns a file descriptor, wrappers that
//! close it exactly once, and what an epoll registration belongs to.
//!
//! - [`probe`] looks at descriptors without changing them: whether a
//!   number is in use ([`number_in_use`]), whether a descriptor is
//!   close-on-exec ([`is_close_on_exec`], [`fdinfo_flags`]).
//! - [`double_close`] commits a double close with raw numbers, in a range
//!   of numbers only it uses, and records what the owners of the reused
//!   numbers go through.
//! - [`close`](close()) closes a descriptor on purpose and returns the
//!   error that `Drop` has to ignore; it consumes the descriptor, so it
//!   cannot be retried.
//! - [`delete_number`] tries `epoll_ctl(DEL)` with a number whose
//!   descriptor is gone: what is left of a registration that outlived it.
//! - [`PidFd`] owns a `pidfd_open(2)` descriptor, written out by hand:
//!   `Drop`, `AsFd`, `AsRawFd`, `IntoRawFd`, `FromRawFd`, and
//!   `From<PidFd> for OwnedFd`.
//! - [`seen_by_child`] checks which descriptors a child started with
//!   `std::process::Command` inherited.
//! - [`report`] names the errors the chapter's examples print.

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: epoll and pidfd are Linux interfaces");

pub mod cloexec;
pub mod double_close;
pub mod pidfd;
pub mod probe;
pub mod report;
pub mod solutions;
pub mod stale;

mod close;

pub use cloexec::seen_by_child;
pub use close::close;
pub use double_close::{DoubleClose, PRIVATE_FLOOR, double_close, private_pipe, read_now};
pub use pidfd::PidFd;
pub use probe::{fdinfo_flags, is_close_on_exec, number_in_use};
pub use stale::delete_number;
