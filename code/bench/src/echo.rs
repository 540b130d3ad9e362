//! Measurement 1, echo: round trips per second and latency of each echo
//! server under the same closed-loop load.
//!
//! Every server runs as a process of its own, started once for the whole
//! measurement; the load generator ([`crate::load`]) runs in the harness's
//! process. For each load (connections × message size), each server gets
//! `rounds` runs, interleaved: round 1 runs A B C D E, round 2 runs B C D E
//! A, and so on, so that a slow moment of the machine, or the position in
//! the order, falls on every server alike. A run connects, warms up
//! (figures discarded), measures, and closes its connections; the next run
//! starts once the server has closed them all, so no server is still busy
//! with the last run's connections while the next one is timed.
//!
//! With two CPUs or more, the load generator runs on the first CPU this
//! process may use and every server on the second ([`crate::cpu`]), so that
//! the scheduler cannot put a client and a server on one core in one run
//! and on two in the next.
//!
//! A run checks every byte it gets back, and the server must still be
//! running afterwards and exit with status 0 on SIGTERM at the end: a
//! wrong echo or a crash is an error, never a figure.

use crate::cpu;
use crate::load::{Client, Load, Sample, Until, percentile};
use crate::servers::ServerSpec;
use echo_harness::{ServerProcess, Signal};
use std::io;
use std::process::Command;
use std::time::Duration;

/// How long a server may take to close a run's connections.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(10);

/// What to measure, and for how long.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// The loads, in order.
    pub loads: Vec<Load>,
    /// Runs per server per load.
    pub rounds: usize,
    /// Ping-pong before each timed run, not counted.
    pub warmup: Duration,
    /// The timed part of each run.
    pub measure: Duration,
}

impl Config {
    /// The book's measurement: 1, 64 and 1,000 connections, with 64-byte
    /// and 16 KiB messages; 5 rounds of 0.8 s (after 0.2 s of warm-up) per
    /// server per load.
    pub fn full() -> Config {
        Config {
            loads: loads(&[1, 64, 1000], &[64, 16 * 1024]),
            rounds: 5,
            warmup: Duration::from_millis(200),
            measure: Duration::from_millis(800),
        }
    }

    /// A small run for CI: 1 and 64 connections, one round of 0.1 s.
    pub fn quick() -> Config {
        Config {
            loads: loads(&[1, 64], &[64, 16 * 1024]),
            rounds: 1,
            warmup: Duration::from_millis(20),
            measure: Duration::from_millis(100),
        }
    }
}

fn loads(connections: &[usize], sizes: &[usize]) -> Vec<Load> {
    sizes
        .iter()
        .flat_map(|&message| {
            connections.iter().map(move |&connections| Load {
                connections,
                message,
            })
        })
        .collect()
}

/// One server's figures for one load, over all its rounds.
#[derive(Clone, Debug, PartialEq)]
pub struct Figures {
    /// Round trips timed, over all rounds.
    pub round_trips: u64,
    /// Round trips per second: all rounds' round trips over all rounds'
    /// time.
    pub per_second: f64,
    /// Each round's round trips per second, to show the spread.
    pub rounds: Vec<f64>,
    /// Median latency, in microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, in microseconds.
    pub p99_us: f64,
    /// The server's CPU time (user + system, from `/proc/<pid>/stat`, in
    /// clock ticks of 10 ms) per round trip, in microseconds. Unlike
    /// round trips per second, it hardly depends on what else the machine
    /// is doing.
    pub server_cpu_us: f64,
}

impl Figures {
    fn from_runs(runs: &mut [Run]) -> Figures {
        let cpu: Duration = runs.iter().map(|r| r.server_cpu).sum();
        let mut samples: Vec<Sample> = runs
            .iter_mut()
            .map(|r| std::mem::take(&mut r.sample))
            .collect();
        let mut figures = Figures::from_samples(&mut samples);
        figures.server_cpu_us = cpu.as_secs_f64() * 1e6 / figures.round_trips.max(1) as f64;
        figures
    }

    fn from_samples(samples: &mut [Sample]) -> Figures {
        let round_trips: u64 = samples.iter().map(|s| s.round_trips).sum();
        let seconds: f64 = samples.iter().map(|s| s.elapsed.as_secs_f64()).sum();
        let rounds = samples
            .iter()
            .map(|s| s.round_trips as f64 / s.elapsed.as_secs_f64())
            .collect();
        let mut latencies: Vec<u64> = samples
            .iter_mut()
            .flat_map(|s| std::mem::take(&mut s.latencies_ns))
            .collect();
        Figures {
            round_trips,
            per_second: round_trips as f64 / seconds,
            rounds,
            p50_us: percentile(&mut latencies, 50.0) as f64 / 1000.0,
            p99_us: percentile(&mut latencies, 99.0) as f64 / 1000.0,
            server_cpu_us: 0.0,
        }
    }
}

/// The figures of every server for one load, in the servers' order.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub load: Load,
    pub figures: Vec<Figures>,
}

/// Everything measured.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The servers' names, in the order of each cell's figures.
    pub servers: Vec<&'static str>,
    pub cells: Vec<Cell>,
    /// The CPUs of the load generator and of the servers, if pinned.
    pub pinned: Option<(usize, usize)>,
}

impl Report {
    /// The index of the server called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.servers.iter().position(|&s| s == name)
    }
}

/// Runs the measurement on `servers`, on a thread of its own (which is
/// pinned to a CPU if there are two).
pub fn run(servers: &[ServerSpec], config: &Config) -> io::Result<Report> {
    let pinned = cpu::pair()?;
    cpu::on_cpu(pinned.map(|p| p.0), || run_here(servers, config, pinned))
}

fn run_here(
    servers: &[ServerSpec],
    config: &Config,
    pinned: Option<(usize, usize)>,
) -> io::Result<Report> {
    let mut running = Vec::with_capacity(servers.len());
    for spec in servers {
        let mut command = Command::new(&spec.program);
        if let Some((_, server)) = pinned {
            cpu::pin_command(&mut command, server)?;
        }
        let process = ServerProcess::spawn_command(command).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("starting {}: {e}", spec.program.display()),
            )
        })?;
        let idle_fds = process.open_fds()?;
        running.push((spec, process, idle_fds));
    }
    let mut cells = Vec::with_capacity(config.loads.len());
    for &load in &config.loads {
        let mut runs: Vec<Vec<Run>> = (0..servers.len()).map(|_| Vec::new()).collect();
        for round in 0..config.rounds {
            for k in 0..servers.len() {
                let i = (round + k) % servers.len();
                let (spec, process, idle_fds) = &running[i];
                let run =
                    one_run(process, load, config).map_err(|e| failed(spec, process, load, e))?;
                // Wait until the server has closed every connection of
                // this run before the next run starts.
                let fds = process.wait_for_open_fds(idle_fds, SETTLE_TIMEOUT)?;
                if &fds != idle_fds {
                    return Err(io::Error::other(format!(
                        "{}: {} fds open {SETTLE_TIMEOUT:?} after a run with {}, {} when idle",
                        spec.name,
                        fds.len(),
                        load.label(),
                        idle_fds.len()
                    )));
                }
                runs[i].push(run);
            }
        }
        cells.push(Cell {
            load,
            figures: runs.iter_mut().map(|r| Figures::from_runs(r)).collect(),
        });
    }
    for (spec, mut process, _) in running {
        process.signal(Signal::Terminate)?;
        let status = process.wait_with_timeout(SETTLE_TIMEOUT)?;
        if !status.success() {
            return Err(io::Error::other(format!(
                "{} exited with {status} after SIGTERM; stderr: {}",
                spec.name,
                process.stderr()
            )));
        }
    }
    Ok(Report {
        servers: servers.iter().map(|s| s.name).collect(),
        cells,
        pinned,
    })
}

/// One timed run, and the CPU time the server used during it.
struct Run {
    sample: Sample,
    server_cpu: Duration,
}

/// One run: connect, warm up, measure, close.
fn one_run(process: &ServerProcess, load: Load, config: &Config) -> io::Result<Run> {
    let mut client = Client::connect(process.addr(), load)?;
    client.run(Until::Elapsed(config.warmup), false)?;
    let cpu_before = process.cpu_time()?;
    let sample = client.run(Until::Elapsed(config.measure), true)?;
    let server_cpu = process.cpu_time()?.saturating_sub(cpu_before);
    Ok(Run { sample, server_cpu })
}

fn failed(spec: &ServerSpec, process: &ServerProcess, load: Load, error: io::Error) -> io::Error {
    io::Error::new(
        error.kind(),
        format!(
            "{} with {}: {error}; server stderr: {}",
            spec.name,
            load.label(),
            process.stderr()
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(connections: usize, message: usize) -> Load {
        Load {
            connections,
            message,
        }
    }

    #[test]
    fn configs_list_every_size_for_every_connection_count() {
        let full = Config::full();
        assert_eq!(
            full.loads,
            [
                load(1, 64),
                load(64, 64),
                load(1000, 64),
                load(1, 16384),
                load(64, 16384),
                load(1000, 16384),
            ]
        );
        assert_eq!(
            (full.rounds, full.warmup, full.measure),
            (5, Duration::from_millis(200), Duration::from_millis(800))
        );
        let quick = Config::quick();
        assert_eq!(
            quick.loads,
            [load(1, 64), load(64, 64), load(1, 16384), load(64, 16384)]
        );
        assert_eq!(
            (quick.rounds, quick.warmup, quick.measure),
            (1, Duration::from_millis(20), Duration::from_millis(100))
        );
    }

    fn sample(round_trips: u64, millis: u64, latencies_ns: Vec<u64>) -> Sample {
        Sample {
            round_trips,
            elapsed: Duration::from_millis(millis),
            latencies_ns,
        }
    }

    #[test]
    fn figures_pool_the_rounds() {
        // 300 round trips in 0.5 s and 100 in 0.5 s: 400/s in all, though
        // the rounds ran at 600/s and 200/s.
        let first: Vec<u64> = (1..=100).map(|i| i * 1000).collect();
        let second: Vec<u64> = (101..=200).map(|i| i * 1000).collect();
        let mut runs = [
            Run {
                sample: sample(300, 500, first),
                server_cpu: Duration::from_millis(30),
            },
            Run {
                sample: sample(100, 500, second),
                server_cpu: Duration::from_millis(10),
            },
        ];
        let figures = Figures::from_runs(&mut runs);
        assert_eq!(figures.round_trips, 400);
        assert_eq!(figures.per_second, 400.0);
        assert_eq!(figures.rounds, [600.0, 200.0]);
        // The latencies of both rounds together: 1 µs to 200 µs.
        assert_eq!(figures.p50_us, 100.0);
        assert_eq!(figures.p99_us, 198.0);
        // 40 ms of server CPU over 400 round trips.
        assert_eq!(figures.server_cpu_us, 100.0);
        assert!(
            runs.iter().all(|r| r.sample.latencies_ns.is_empty()),
            "the latencies were moved out, not copied"
        );
    }

    #[test]
    fn figures_of_no_round_trips_do_not_divide_by_zero_cpu() {
        let mut runs = [Run {
            sample: sample(0, 100, Vec::new()),
            server_cpu: Duration::from_millis(10),
        }];
        let figures = Figures::from_runs(&mut runs);
        assert_eq!((figures.round_trips, figures.per_second), (0, 0.0));
        assert_eq!((figures.p50_us, figures.p99_us), (0.0, 0.0));
        assert_eq!(
            figures.server_cpu_us, 10_000.0,
            "CPU over max(1, 0) round trips"
        );
    }

    #[test]
    fn reports_find_servers_by_name() {
        let report = Report {
            servers: vec!["book", "mio", "rustix"],
            cells: Vec::new(),
            pinned: None,
        };
        assert_eq!(report.index_of("mio"), Some(1));
        assert_eq!(report.index_of("rustix"), Some(2));
        assert_eq!(report.index_of("calloop"), None);
    }
}
