//! The echo server: `echo_server [--addr HOST:PORT]`.
//!
//! Every byte a client sends comes back on the same connection. SIGINT or
//! SIGTERM stops it: it stops accepting, closes every connection and exits
//! with status 0. Errors (an address in use, say) go to stderr, with exit
//! status 1; a command line that does not parse gives status 2.

// CI starts it, checks that it echoes, and stops it with SIGTERM:
// ci: server

use ch11_tcp_echo_server::{ABOUT, Config, serve};
use echo_harness::cli;
use std::process::ExitCode;

// ANCHOR: main
fn main() -> ExitCode {
    cli::run("echo_server", ABOUT, |addr| serve(addr, Config::default()))
}
// ANCHOR_END: main
