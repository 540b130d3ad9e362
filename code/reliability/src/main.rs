//! `reliability`: the full-size reliability runs of the epoll book.
//!
//! `cargo run --release -p reliability` starts chapter 11's `echo_server`,
//! connects 10,000 clients to it at once, moves every byte and checks it,
//! and prints what it did; then runs the out-of-fds contract check on it.
//! Then the same for the edge-triggered `echo_edge`.
//! `--quick` runs the size `cargo test` runs.

use bench::{fd_limit, servers};
use echo_harness::contract::{OutOfFds, check_out_of_fds};
use echo_harness::{ServerProcess, Signal};
use reliability::crowd::{Config, Crowd};
use std::io;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

const USAGE: &str = "\
usage: reliability [--quick]

Starts chapter 11's echo_server (then echo_edge, the same server
edge-triggered) and holds a crowd of clients on it at once:
10,000 that send 16 to 64 KiB each in chunks of random size and check every
byte back, 100 that reset their connection mid-stream, and 10 that send
64 MiB each without reading until the others are done. Then checks that the
server, given 32 fds, does not spin when it cannot accept, keeps serving,
and accepts again once fds are free.

  --quick  the size `cargo test` runs (500 clients)";

fn main() -> ExitCode {
    let mut quick = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => quick = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("reliability: unknown argument {other:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(quick) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reliability: {e}");
            ExitCode::FAILURE
        }
    }
}

fn crowd(program: &Path, config: &Config) -> io::Result<()> {
    let mut server = ServerProcess::spawn(program)?;
    let idle = server.open_fds()?.len();
    println!(
        "  crowd: {} echoers of {}..{} bytes, {} resetters, {} hoarders of {} bytes",
        config.echoers,
        config.bytes.0,
        config.bytes.1,
        config.resetters,
        config.hoarders,
        config.hoard
    );
    let crowd = Crowd::connect(server.addr(), config)?;
    // Every connection is open before any byte moves: the server holds
    // them all at once (once it has accepted them).
    let all = idle + config.connections();
    let held = server.wait_for_open_fds_count(all, Duration::from_secs(30))?;
    println!(
        "  the server holds {} connections at once",
        held.saturating_sub(idle)
    );
    let report = crowd.run()?;
    let cpu = server.cpu_time()?;
    println!(
        "  {} bytes sent, {} back and verified; {} clients finished with end-of-file, \
         {} resets; the hoarders got {} bytes in without reading; {:.1} s (server CPU {:.1} s)",
        report.bytes_sent,
        report.bytes_verified,
        report.finished,
        report.resets,
        report.hoarded,
        report.elapsed.as_secs_f64(),
        cpu.as_secs_f64()
    );
    if report.finished != config.echoers + config.hoarders || report.resets != config.resetters {
        return Err(io::Error::other(format!(
            "the crowd did not finish: {report:?}"
        )));
    }
    server.signal(Signal::Terminate)?;
    let status = server.wait_with_timeout(Duration::from_secs(30))?;
    println!("  stopped by SIGTERM: {status}");
    if !status.success() {
        return Err(io::Error::other(format!(
            "the server exited with {status}; stderr: {}",
            server.stderr()
        )));
    }
    Ok(())
}

fn out_of_fds(program: &Path) -> io::Result<()> {
    println!(
        "  out of fds: 32 fds, more clients than that (CPU used in the second it is out of fds on stderr)"
    );
    let out_of_fds = check_out_of_fds(program)?;
    println!("  {out_of_fds:?}");
    if out_of_fds != OutOfFds::expected() {
        return Err(io::Error::other(format!(
            "out of fds: expected {:?}",
            OutOfFds::expected()
        )));
    }
    Ok(())
}

fn run(quick: bool) -> io::Result<()> {
    let config = if quick {
        Config::quick()
    } else {
        Config::full()
    };
    // The clients here and the server (which inherits the limit) each need
    // one fd per connection.
    let limit = fd_limit::raise_to(config.connections() as u64 + 1_000)?;
    if limit.soft < config.connections() as u64 + 100 {
        return Err(io::Error::other(format!(
            "RLIMIT_NOFILE is {} (hard {}): too low for {} connections",
            limit.soft,
            limit.hard,
            config.connections()
        )));
    }
    let built = servers::build_all()?;
    // The book's server, level-triggered (the `echo_server` binary) and
    // edge-triggered (the `echo_edge` example).
    for name in ["book", "book ET"] {
        let program = &built
            .iter()
            .find(|s| s.name == name)
            .expect("the book's servers are among the servers")
            .program;
        println!("{name}: {}", program.display());
        crowd(program, &config)?;
        out_of_fds(program)?;
    }
    println!("all reliability checks passed");
    Ok(())
}
