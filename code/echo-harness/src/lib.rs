//! What the epoll book's echo servers share, and how they are tested.
//!
//! Part IV of the book writes one TCP echo server several times: on the
//! book's own event loop, and on mio, calloop and rustix. Each server is
//! written from scratch for its loop, and they all keep one contract:
//!
//! - every byte a client sends comes back on the same connection, unchanged;
//! - a client that never reads cannot make the server buffer without limit:
//!   the server stops reading from a connection whose pending output passes a
//!   bound, and starts again once it drains;
//! - a reset, a half-close or an error ends that one connection, never the
//!   server; after a half-close the server sends what it still owes first;
//! - running out of file descriptors neither crashes it nor makes it spin;
//! - SIGINT or SIGTERM closes every connection and exits with status 0;
//! - the command line is `--addr HOST:PORT` and `--help`; once listening it
//!   prints `listening on ADDR`, and it reports errors on stderr with a
//!   non-zero exit status.
//!
//! This crate holds the parts that are not the subject of any chapter:
//!
//! - [`cli`]: the command line, the same for every server.
//! - [`process`]: starting a server binary from a test, finding its port,
//!   signalling it and reading its file-descriptor count and CPU time.
//! - [`workloads`]: clients that exercise the contract and return results
//!   that can be compared from one server to the next.
//! - [`contract`]: the whole contract as three checks of a server binary,
//!   each returning a value to compare with its `expected()`.
//! - [`prng`]: the deterministic pseudo-random bytes the clients send.

pub mod cli;
pub mod contract;
pub mod prng;
pub mod process;
pub mod workloads;

pub use cli::ServerArgs;
pub use process::{Finished, ServerProcess, Signal, run_to_exit};
pub use workloads::{
    HalfClose, SlowReader, echo_check, echo_check_total, half_close, reset_mid_stream, slow_reader,
};
