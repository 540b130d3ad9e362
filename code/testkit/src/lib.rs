//! Helpers that the epoll book's chapter tests share, so no chapter writes
//! them again.
//!
//! - [`fds`]: which file descriptors a process has open, and a check that a
//!   piece of code closes every fd it opens.
//! - [`examples`]: run a chapter's example program with a timeout, and
//!   compare its output with the generated output file the book includes.
//! - [`pipes`]: pipes and socket pairs for tests to play with.
//! - [`rustc`]: check that a file fails to compile with a given error code,
//!   for the book's "this does not compile" claims.
//! - [`not_impl`]: [`assert_not_send!`], [`assert_not_sync!`] and
//!   [`assert_not_impl!`], which fail to compile if a type implements a
//!   trait it must not.
//! - [`single_thread`]: the `main` of a test binary without the test
//!   harness, whose tests run on the process's only thread (tests with
//!   signals sent to the whole process).
//! - [`alloc`]: a global allocator that counts allocations, for tests that
//!   claim some code allocates nothing.
//! - [`interpose`]: [`count_closes!`](crate::count_closes!) and
//!   [`count_epoll_waits!`](crate::count_epoll_waits!), which count a test
//!   binary's `close` and `epoll_wait` calls.
//! - [`signal_storm`]: signals sent to one thread as fast as it handles
//!   them, while a test runs.
//! - [`svg`]: the elements of an SVG document, checked to be well-formed,
//!   for the tests of the charts and diagrams.
//! - [`fd_ledger`]: the fds of objects dropped in every order, each checked
//!   to close exactly once, when the last object that keeps it goes.

pub mod alloc;
pub mod examples;
pub mod fd_ledger;
pub mod fds;
pub mod interpose;
pub mod not_impl;
pub mod pipes;
pub mod rustc;
pub mod signal_storm;
pub mod single_thread;
pub mod svg;

pub use examples::{ExampleRun, assert_example_outputs, run_example};
pub use fds::{assert_no_fd_leaks, open_fds};
pub use pipes::{pipe, socket_pair};
