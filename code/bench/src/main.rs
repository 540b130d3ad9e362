//! `bench`: runs the measurements of the epoll book's performance chapter,
//! prints their figures as tables, and with `--out DIR` writes the tables
//! and charts the chapter shows.

use bench::report::{Results, Syscalls};
use bench::{echo, fd_limit, scaling, servers, syscalls, wakeup};
use std::io;
use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "\
usage: bench [--quick] [--only MEASUREMENT]... [--out DIR]

Runs the measurements of the epoll book's performance chapter, in this
order, and prints each one's figures with its ratio to the reference:

  echo      round trips per second, p50/p99 latency and server CPU time per
            round trip of the echo servers (the book's loop level- and
            edge-triggered, mio, calloop, rustix) under one closed-loop
            load generator: 1, 64 and 1,000 connections, 64-byte and
            16 KiB messages, 5 interleaved rounds of 0.8 s each
  syscalls  system calls per echo round trip of each server, counted by
            `perf stat` on the syscall tracepoints and by `strace -c -f`
            (whichever are installed)
  scaling   one epoll_wait call against one poll(2) call with one ready
            eventfd among N idle ones (N = 10 .. 100,000)
  wakeup    the round trip of a wake-up between two threads, each blocked
            until the other wakes it: the book's Waker in Epoll::wait,
            mio::Waker in mio::Poll::poll, and thread::park/unpark

options:
  --quick             a small run for CI: fewer loads and sizes, short runs
  --only MEASUREMENT  run only this one (may be given more than once)
  --out DIR           also write the tables (*.table) and charts (*.svg) to
                      DIR; the book's are in src/ch13-performance
  -h, --help          print this help and exit

Build with --release: `cargo run --release -p bench`. The servers are built
by cargo, with the same profile, on the first run.";

const MEASUREMENTS: [&str; 4] = ["echo", "syscalls", "scaling", "wakeup"];

struct Args {
    quick: bool,
    only: Vec<String>,
    out: Option<PathBuf>,
}

fn parse() -> Result<Option<Args>, String> {
    let mut args = Args {
        quick: false,
        only: Vec::new(),
        out: None,
    };
    let mut words = std::env::args_os().skip(1);
    while let Some(word) = words.next() {
        let word = word
            .into_string()
            .map_err(|w| format!("not UTF-8: {w:?}"))?;
        match word.as_str() {
            "--quick" => args.quick = true,
            "--help" | "-h" => return Ok(None),
            "--only" => {
                let name = words
                    .next()
                    .and_then(|w| w.into_string().ok())
                    .ok_or("--only needs a measurement")?;
                if !MEASUREMENTS.contains(&name.as_str()) {
                    return Err(format!(
                        "unknown measurement {name:?}: one of {}",
                        MEASUREMENTS.join(", ")
                    ));
                }
                args.only.push(name);
            }
            "--out" => {
                let dir = words.next().ok_or("--out needs a directory")?;
                args.out = Some(PathBuf::from(dir));
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Some(args))
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(why) => {
            eprintln!("bench: {why}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("bench: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> io::Result<()> {
    let wanted = |name: &str| args.only.is_empty() || args.only.iter().any(|o| o == name);
    // Up to 100,000 eventfds for scaling and 2,000 sockets for echo. Above
    // the hard limit only with privilege; scaling says if it was capped.
    let limit = fd_limit::raise_to(scaling::FULL_SIZES[4] as u64 + 1_000)?;
    let mut results = Results {
        quick: args.quick,
        ..Results::default()
    };
    let needs_servers = wanted("echo") || wanted("syscalls");
    let servers = if needs_servers {
        println!("building the servers ...");
        servers::build_all()?
    } else {
        Vec::new()
    };
    if wanted("echo") {
        let config = if args.quick {
            echo::Config::quick()
        } else {
            echo::Config::full()
        };
        println!(
            "echo: {} loads x {} servers x {} rounds of {:?} ...",
            config.loads.len(),
            servers.len(),
            config.rounds,
            config.measure
        );
        let report = echo::run(&servers, &config)?;
        match report.pinned {
            Some((client, server)) => {
                println!("  load generator on CPU {client}, servers on CPU {server}")
            }
            None => println!("  one CPU: load generator and servers share it"),
        }
        results.echo = Some(report);
    }
    if wanted("syscalls") {
        let config = if args.quick {
            syscalls::Config::quick()
        } else {
            syscalls::Config::full()
        };
        let tools = syscalls::Tool::available();
        if tools.is_empty() {
            println!("syscalls: skipped: neither perf nor strace is installed");
        } else {
            let mut by_tool = Vec::new();
            for tool in tools {
                println!("syscalls: counting with {} ...", tool.name());
                match syscalls::run(&tool, &servers, &config) {
                    Ok(counts) => by_tool.push((tool, counts)),
                    // strace must attach to a process that is not its
                    // child, which some systems forbid (Yama's
                    // ptrace_scope); its counts only illustrate a point.
                    Err(e) if matches!(tool, syscalls::Tool::Strace(_)) => {
                        println!("  strace skipped: {e}");
                    }
                    Err(e) => return Err(e),
                }
            }
            if !by_tool.is_empty() {
                results.syscalls = Some(Syscalls {
                    servers: servers.iter().map(|s| s.name).collect(),
                    by_tool,
                });
            }
        }
    }
    if wanted("scaling") {
        let config = if args.quick {
            scaling::Config::quick()
        } else {
            scaling::Config::full()
        };
        println!("scaling: N = {:?} ...", config.sizes);
        let report = scaling::run(&config)?;
        if let Some(fit) = report.fit {
            println!(
                "  RLIMIT_NOFILE is {} (hard limit {}): above N = {fit} the idle fds \
                 were held by other processes, and poll could not be measured",
                limit.soft, limit.hard
            );
        }
        results.scaling = Some(report);
    }
    if wanted("wakeup") {
        let config = if args.quick {
            wakeup::Config::quick()
        } else {
            wakeup::Config::full()
        };
        println!("wakeup: {} round trips per way ...", config.round_trips);
        results.wakeup = Some(wakeup::run(&config)?);
    }
    print!("{}", results.text());
    if let Some(dir) = &args.out {
        println!();
        for path in results.write(dir)? {
            println!("wrote {path}");
        }
    }
    Ok(())
}
