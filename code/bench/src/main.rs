//! `bench`: runs the measurements of the epoll book's performance chapter.
//!
//! Today it runs measurement 3, scaling: `epoll_wait` against `poll` with
//! one ready fd among N idle ones.

use bench::{fd_limit, scaling};
use std::io;
use std::process::ExitCode;

const USAGE: &str = "\
usage: bench [--quick]

Runs the measurements of the epoll book's performance chapter.

  scaling  one epoll_wait call against one poll(2) call with one ready
           eventfd among N idle ones (N = 10 .. 100,000)

options:
  --quick  a small run for CI: N up to 1,000, a few ms per point
  --help   print this help and exit

Build with --release: `cargo run --release -p bench`.";

fn main() -> ExitCode {
    let mut quick = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--quick" => quick = true,
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("bench: unknown argument {other:?}\n\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match run(quick) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(quick: bool) -> io::Result<()> {
    let config = if quick {
        scaling::Config::quick()
    } else {
        scaling::Config::full()
    };
    let limit = fd_limit::raise_to_hard()?;
    println!(
        "scaling: one ready eventfd among N idle ones, timeout 0, median of {} rounds",
        config.rounds
    );
    let report = scaling::run(&config)?;
    if let Some(cap) = report.cap {
        println!(
            "N capped at {cap}: RLIMIT_NOFILE is {} (hard limit {})",
            limit.soft, limit.hard
        );
    }
    println!();
    println!(
        "{:>8}  {:>20}  {:>14}  {:>10}",
        "N", "epoll_wait ns/call", "poll ns/call", "poll/epoll"
    );
    for row in &report.rows {
        println!(
            "{:>8}  {:>20.1}  {:>14.1}  {:>10.1}",
            row.idle,
            row.epoll_ns,
            row.poll_ns,
            row.ratio()
        );
    }
    Ok(())
}
