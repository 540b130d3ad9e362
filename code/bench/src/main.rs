//! `bench`: runs the measurements of the epoll book's performance chapter.
//!
//! It runs measurement 3, scaling: `epoll_wait` against `poll` with one
//! ready fd among N idle ones; then measurement 4, wakeup: the round trip of
//! a wake-up between two blocked threads, three ways.

use bench::{fd_limit, scaling, wakeup};
use std::io;
use std::process::ExitCode;

const USAGE: &str = "\
usage: bench [--quick]

Runs the measurements of the epoll book's performance chapter.

  scaling  one epoll_wait call against one poll(2) call with one ready
           eventfd among N idle ones (N = 10 .. 100,000)
  wakeup   the round trip of a wake-up between two threads, each blocked
           until the other wakes it: the book's Waker in Epoll::wait,
           mio::Waker in mio::Poll::poll, and thread::park/unpark
           (20,000 round trips each)

options:
  --quick  a small run for CI: N up to 1,000, a few ms per point, and
           1,000 wake-up round trips
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
    run_scaling(quick)?;
    println!();
    run_wakeup(quick)
}

fn run_scaling(quick: bool) -> io::Result<()> {
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

fn run_wakeup(quick: bool) -> io::Result<()> {
    let config = if quick {
        wakeup::Config::quick()
    } else {
        wakeup::Config::full()
    };
    println!(
        "wakeup: round trip between two threads, each blocked until the other wakes it, {} round trips each",
        config.round_trips
    );
    let report = wakeup::run(&config)?;
    println!();
    println!(
        "{:<26}  {:>10}  {:>10}  {:>14}  {:>11}",
        "", "median us", "p99 us", "median vs mio", "p99 vs mio"
    );
    for (name, stats) in [
        ("book Waker + Epoll::wait", &report.book),
        ("mio::Waker + Poll::poll", &report.mio),
        ("thread::park/unpark", &report.park),
    ] {
        println!(
            "{:<26}  {:>10.2}  {:>10.2}  {:>14.2}  {:>11.2}",
            name,
            stats.median_us,
            stats.p99_us,
            stats.median_us / report.mio.median_us,
            stats.p99_us / report.mio.p99_us
        );
    }
    Ok(())
}
