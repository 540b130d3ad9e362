//! The echo server: `echo_server [--addr HOST:PORT]`.
//!
//! Every byte a client sends comes back on the same connection. SIGINT or
//! SIGTERM stops it: it stops accepting, closes every connection and exits
//! with status 0. Errors (an address in use, say) go to stderr, with exit
//! status 1; a command line that does not parse gives status 2.

// CI starts it, checks that it echoes, and stops it with SIGTERM:
// ci: server

use ch11_tcp_echo_server::{ABOUT, Config, Server};
use echo_harness::cli;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

// ANCHOR: main
fn main() -> ExitCode {
    cli::run("echo_server", ABOUT, serve)
}

fn serve(addr: SocketAddr) -> io::Result<()> {
    // Signals are blocked here, on the main thread, before any other
    // thread could exist: the signalfd is the only way they arrive.
    let server = Server::bind(addr, Config::default())?;
    // `writeln!`, not `println!`: a stdout nobody reads any more is an
    // error on stderr and exit status 1, not a panic.
    let mut stdout = io::stdout();
    writeln!(stdout, "listening on {}", server.local_addr())?;
    stdout.flush()?;
    let report = server.run()?;
    writeln!(
        stdout,
        "stopped by {}: {} connections accepted, {} closed at shutdown, {} bytes echoed",
        report.stopped_by,
        report.stats.accepted,
        report.stats.closed_at_shutdown,
        report.stats.bytes_echoed
    )?;
    Ok(())
}
// ANCHOR_END: main
