//! Chapter 7 of the epoll book: a reactor.
//!
//! Chapters 1 to 6 waited on epoll by hand: register an fd under a number,
//! wait, look the number up, do the I/O. This crate makes that loop a type:
//!
//! - [`Reactor`] owns an epoll instance (chapter 4's `Epoll`) and every
//!   source registered in it, each with its handler. [`Reactor::turn`]
//!   waits once and calls the handler of each event; [`Reactor::run`] turns
//!   until a handler says stop.
//! - [`Token`] is what the kernel hands back with each event: a slot of the
//!   registry and the slot's generation, so an event for a registration
//!   that is gone is recognised and skipped, even once its slot is reused.
//! - [`Context`] is what a handler gets besides its source and its event:
//!   it registers, re-registers and deregisters sources, its own included,
//!   in the middle of a batch.
//! - [`Interest`] says what to watch: readable, writable, both, priority,
//!   edge-triggered unless `level()` is asked for, one-shot with
//!   `oneshot()`.
//! - [`io`] is the edge-triggered contract: read and write until the kernel
//!   says "would block", which is `Ok(None)`, not an error.

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: epoll is a Linux interface");

pub mod interest;
pub mod io;
pub mod reactor;
pub mod solutions;
pub mod token;

mod registry;

pub use interest::Interest;
pub use reactor::{Context, DEFAULT_CAPACITY, Reactor, Turn};
pub use token::Token;
