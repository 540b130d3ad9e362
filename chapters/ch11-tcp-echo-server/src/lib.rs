//! Chapter 11 of the epoll book: a TCP echo server on the book's own event
//! loop, meant to be run, not only read.
//!
//! - [`listener`]: the listening socket (a long accept queue, `TCP_NODELAY`
//!   inherited by every connection) and `accept4` in one call.
//! - [`Connection`]: a stream as an event source built on chapter 8's
//!   `Generic`. Its callback says what to wait for next ([`Next`]); the
//!   source turns a change into one `epoll_ctl(MOD)`, and no change into
//!   no system call.
//! - [`Echo`]: one connection's state and its read and write paths,
//!   with backpressure: a connection whose pending output reaches
//!   [`Config::max_pending`] is not read from until it drains.
//! - [`Outbox`]: the pending output, allocated only while there is some.
//! - [`Server`]: the listener, the connections, chapter 10's `Signals`
//!   for SIGINT and SIGTERM, a pause in accepting when `accept` runs out
//!   of fds, and the shutdown. [`ServerThread`] runs one on a thread, with
//!   a [`Remote`] (chapter 10's channel) to stop it and read its [`Stats`].
//!
//! The `echo_server` binary is [`serve`] with [`Config::default`] and the
//! command line of `echo_harness::cli`; the `echo_edge` example is the same
//! with [`Mode::Edge`], the edge-triggered server that the performance
//! chapter measures against it.

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: epoll is a Linux interface");

pub mod connection;
pub mod echo;
pub mod listener;
pub mod outbox;
pub mod server;
pub mod solutions;

/// What `echo_server --help` says the server is.
pub const ABOUT: &str = "a TCP echo server on the epoll book's own event loop";

/// Chapter 8's `Mode`, for [`Config::mode`].
pub use ch08_generic_sources::Mode;
pub use connection::{Connection, Next};
pub use echo::Echo;
pub use outbox::Outbox;
pub use server::{Closed, Config, Remote, Report, Server, ServerThread, Stats, StopReason, serve};
