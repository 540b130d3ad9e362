//! Chapter 2 of the epoll book: the interest list and the ready list.
//!
//! Everything here is built on chapter 1's calls:
//!
//! - [`interest`] gives the three `epoll_ctl` operations a function each and
//!   shows what the kernel stored in an interest list (read from
//!   `/proc/self/fdinfo`);
//! - [`slab`] is a table whose indices stay put, so an index can be a token;
//! - [`retry`] waits again when a signal handler interrupts `epoll_wait`;
//! - [`errors`] names the error numbers `epoll_ctl` returns;
//! - [`solutions`] holds the solutions to the page's exercises.

pub mod errors;
pub mod interest;
pub mod retry;
pub mod slab;
pub mod solutions;

pub use interest::{Registration, add, delete, modify, registrations};
pub use retry::wait_retrying_eintr;
pub use slab::{Slab, key_of, token_of};
