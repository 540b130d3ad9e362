//! The echo server with edge-triggered connections: `echo_edge [--addr
//! HOST:PORT]`.
//!
//! The same program as the `echo_server` binary, with one setting changed:
//! every connection is registered with `EPOLLET`, so its read path reads
//! until `EAGAIN` and re-arms a connection it leaves with data unread. The
//! performance chapter counts the system calls of both. Like any server it
//! runs until SIGINT or SIGTERM (exit status 0); errors go to stderr with
//! status 1, a command line that does not parse gives status 2.
//!
//! Run it with `cargo run -p ch11-tcp-echo-server --example echo_edge`,
//! then talk to it with `nc 127.0.0.1 7878`.

// CI starts it, checks that it echoes, and stops it with SIGTERM:
// ci: server

use ch11_tcp_echo_server::{Config, Mode, serve};
use echo_harness::cli;
use std::process::ExitCode;

/// What `echo_edge --help` says the server is.
const ABOUT: &str = "a TCP echo server on the epoll book's own event loop, edge-triggered";

// ANCHOR: main
fn main() -> ExitCode {
    let config = Config {
        mode: Mode::Edge,
        ..Config::default()
    };
    cli::run("echo_edge", ABOUT, |addr| serve(addr, config))
}
// ANCHOR_END: main
