//! Chapter 8 of the epoll book: an event loop whose sources implement one
//! trait, and a `Generic` source that wraps any file descriptor.
//!
//! - [`EventSource`] is the contract: a source registers, re-registers and
//!   unregisters its own fds through a [`Poller`], under [`Token`]s from a
//!   [`TokenFactory`], and turns each event into calls of its callback. What
//!   happens next is its [`PostAction`].
//! - [`Generic`] is the source for one fd of any kind: it owns an
//!   `F: AsFd`, watches it for an [`Interest`] in a [`Mode`], and calls its
//!   callback with the [`Readiness`] and a [`Watched`] borrow of `F`, which
//!   gives `&F` and, only through `unsafe`, `&mut F`. Removing or dropping it
//!   deletes its fd from the interest list before the fd is closed.
//! - [`EventLoop`] owns the sources and waits on chapter 4's `Epoll`.
//!   [`dispatch`](EventLoop::dispatch) waits once and calls each callback
//!   with the `&mut Data` it was given; [`run`](EventLoop::run) dispatches
//!   until a [`LoopSignal`] (chapter 5's `Waker` underneath) stops it.
//!   [`LoopHandle`] inserts, removes, enables, disables and updates sources,
//!   from outside the loop or from its callbacks.
//! - Errors: [`Error`] from `dispatch`, with the failing source's
//!   [`RegistrationToken`]; [`InsertError`] gives a refused source back.
//!   Kernel errors keep the OS error and name the call, through chapter 1's
//!   `error` module as chapter 4 uses it.
//!
//! Dispatching allocates nothing and makes no system call beyond the wait,
//! except what a source asks for (a one-shot re-arm) and the read that
//! resets the loop's eventfd after a [`LoopSignal`].

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: epoll is a Linux interface");

pub mod error;
pub mod event_loop;
pub mod generic;
pub mod interest;
pub mod signal;
pub mod solutions;
pub mod source;
pub mod token;

mod table;

pub use error::{BoxError, Error, InsertError};
pub use event_loop::{DEFAULT_CAPACITY, EventLoop, LoopHandle};
pub use generic::{Generic, Watched};
pub use interest::{Interest, Mode, Readiness};
pub use signal::LoopSignal;
pub use source::{EventSource, Poller, PostAction};
pub use token::{RegistrationToken, Token, TokenFactory};
