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

pub mod examples;
pub mod fds;
pub mod pipes;
pub mod rustc;

pub use examples::{ExampleRun, assert_example_outputs, run_example};
pub use fds::{assert_no_fd_leaks, open_fds};
pub use pipes::{pipe, socket_pair};
