//! Measurement 2, syscalls: how many system calls each server makes per
//! echo round trip.
//!
//! The server is started and warmed up first; then a counter attaches to
//! it (every thread of it), the client makes a fixed number of round trips
//! on one connection with 64-byte messages, and the counter is
//! interrupted, which makes it report. Dividing by the number of round
//! trips gives the calls per round trip. Only the server is counted, never
//! the client, and none of its start-up or shutdown.
//!
//! Two counters, when they are installed:
//!
//! - [`Tool::Perf`]: `perf stat` on the kernel's syscall tracepoints
//!   (`syscalls:sys_enter_*`, and `syscalls:sys_exit_*` filtered on a
//!   negative return for the calls that fail). The kernel counts; the
//!   server runs at full speed. These are the figures.
//! - [`Tool::Strace`]: `strace -c -f`, which stops the server twice per
//!   call to look at it. The server becomes many times slower, so the
//!   client's next message is often there before the server has finished
//!   with the last one, and a server that reads until `EAGAIN` finds it
//!   instead of the `EAGAIN`. Its counts are what a slow server does, not
//!   what this one does at full speed: the chapter shows both, as a lesson
//!   about measuring.
//!
//! One connection, because that is where the count is exact: every round
//! trip is one wake-up of the server. With many connections, one
//! `epoll_wait` can return several of them, and how many depends on
//! timing.
//!
//! The counts are exact up to one call: the `epoll_wait` the server is
//! blocked in when counting stops may or may not be counted.

use crate::cpu;
use crate::load::{Client, Load, Until};
use crate::servers::ServerSpec;
use echo_harness::{ServerProcess, Signal};
use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// How long `strace` may take to attach.
const ATTACH_TIMEOUT: Duration = Duration::from_secs(10);

/// How long `perf stat` is given to attach. It says nothing when it has;
/// a count with fewer reads than round trips shows it was late.
const PERF_ATTACH: Duration = Duration::from_millis(500);

/// The system calls `perf` counts one by one. Anything else the server
/// makes is counted in `other`, from the `raw_syscalls:sys_enter`
/// tracepoint, which sees every call.
const PERF_CALLS: &[&str] = &[
    "epoll_wait",
    "epoll_pwait",
    "epoll_pwait2",
    "epoll_ctl",
    "recvfrom",
    "sendto",
    "read",
    "write",
    "readv",
    "writev",
    "recvmsg",
    "sendmsg",
    "accept4",
    "close",
];

/// The calls whose failures `perf` counts too.
const PERF_FAILURES: &[&str] = &["recvfrom", "read", "recvmsg", "readv"];

/// What counts the calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tool {
    /// `perf stat` on the syscall tracepoints, at this path.
    Perf(PathBuf),
    /// `strace -c -f`, at this path.
    Strace(PathBuf),
}

impl Tool {
    /// Its name in the tables.
    pub fn name(&self) -> &'static str {
        match self {
            Tool::Perf(_) => "perf stat",
            Tool::Strace(_) => "strace -c",
        }
    }

    /// The tools installed here, `perf` first. `perf` counts only if the
    /// kernel lets it read the syscall tracepoints, which a short trial
    /// run checks.
    pub fn available() -> Vec<Tool> {
        let mut tools = Vec::new();
        if let Some(perf) = on_path("perf") {
            let works = Command::new(&perf)
                .args([
                    "stat",
                    "-x,",
                    "-e",
                    "syscalls:sys_enter_getpid",
                    "--",
                    "true",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if works {
                tools.push(Tool::Perf(perf));
            }
        }
        if let Some(strace) = on_path("strace") {
            tools.push(Tool::Strace(strace));
        }
        tools
    }
}

/// How many round trips to count.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Round trips on one connection while `strace` is attached.
    pub round_trips: u64,
}

impl Config {
    /// The book's measurement: 2,000 round trips per server.
    pub fn full() -> Config {
        Config { round_trips: 2000 }
    }

    /// A small run for CI: 200 round trips.
    pub fn quick() -> Config {
        Config { round_trips: 200 }
    }
}

/// One system call's count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Count {
    /// Calls made.
    pub calls: u64,
    /// Of those, calls that failed (for `recvfrom`, the `EAGAIN` of a
    /// socket with nothing more to read).
    pub errors: u64,
}

/// One server's counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Counts {
    /// The round trips made while `strace` was attached.
    pub round_trips: u64,
    /// By system call name.
    pub by_call: BTreeMap<String, Count>,
}

impl Counts {
    /// Calls of `name` per round trip.
    pub fn per_round_trip(&self, name: &str) -> f64 {
        self.by_call.get(name).map_or(0.0, |c| c.calls as f64) / self.round_trips as f64
    }

    /// Failed calls of `name` per round trip.
    pub fn errors_per_round_trip(&self, name: &str) -> f64 {
        self.by_call.get(name).map_or(0.0, |c| c.errors as f64) / self.round_trips as f64
    }

    /// All calls per round trip.
    pub fn total_per_round_trip(&self) -> f64 {
        self.by_call.values().map(|c| c.calls as f64).sum::<f64>() / self.round_trips as f64
    }
}

/// `program` in a directory of `PATH`, if it is there.
fn on_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Counts the system calls of every server in `servers` with `tool`. As
/// in the echo measurement, the client and the servers are pinned to two
/// different CPUs if there are two: on one CPU, the server's `sendto`
/// often lets the client run at once, and the client's next message is
/// there before the server's next read, which then finds data instead of
/// `EAGAIN`.
pub fn run(tool: &Tool, servers: &[ServerSpec], config: &Config) -> io::Result<Vec<Counts>> {
    let pinned = cpu::pair()?;
    cpu::on_cpu(pinned.map(|p| p.0), || {
        servers
            .iter()
            .map(|spec| count(tool, spec, config, pinned.map(|p| p.1)))
            .collect()
    })
}

/// Counts one server's calls, naming the server and tool in an error.
fn count(
    tool: &Tool,
    spec: &ServerSpec,
    config: &Config,
    server_cpu: Option<usize>,
) -> io::Result<Counts> {
    count_calls(tool, spec, config, server_cpu).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("counting {}'s calls with {}: {e}", spec.name, tool.name()),
        )
    })
}

/// Counts the system calls of one server over `config.round_trips` round
/// trips.
fn count_calls(
    tool: &Tool,
    spec: &ServerSpec,
    config: &Config,
    server_cpu: Option<usize>,
) -> io::Result<Counts> {
    let mut command = Command::new(&spec.program);
    if let Some(cpu) = server_cpu {
        cpu::pin_command(&mut command, cpu)?;
    }
    let mut server = ServerProcess::spawn_command(command)?;
    let load = Load {
        connections: 1,
        message: 64,
    };
    let mut client = Client::connect(server.addr(), load)?;
    client.run(Until::RoundTrips(100), false)?;
    let counts = match tool {
        Tool::Perf(perf) => with_perf(perf, &server, &mut client, config)?,
        Tool::Strace(strace) => with_strace(strace, &server, &mut client, config)?,
    };
    drop(client);
    server.signal(Signal::Terminate)?;
    let status = server.wait_with_timeout(Duration::from_secs(10))?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "the server exited with {status}; stderr: {}",
            server.stderr()
        )));
    }
    Ok(counts)
}

/// Interrupts a child that reports when interrupted, as Ctrl-C would.
fn interrupt(child: &std::process::Child) {
    // SAFETY: kill only sends a signal. The pid is a child's that has not
    // been waited for, so it cannot have been reused.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
}

/// Counts with `perf stat`: one counter per tracepoint, read when `perf`
/// is interrupted. Its CSV report (`-x,`) goes to stderr, one line per
/// event: `count,unit,event,...`.
fn with_perf(
    perf: &Path,
    server: &ServerProcess,
    client: &mut Client,
    config: &Config,
) -> io::Result<Counts> {
    let mut command = Command::new(perf);
    command.args(["stat", "-x,", "-e", "raw_syscalls:sys_enter"]);
    for call in PERF_CALLS {
        command.args(["-e", &format!("syscalls:sys_enter_{call}")]);
    }
    for call in PERF_FAILURES {
        command.args([
            "-e",
            &format!("syscalls:sys_exit_{call}"),
            "--filter",
            "ret < 0",
        ]);
    }
    let perf_stat = command
        .args(["-p", &server.pid().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("starting {}: {e}", perf.display())))?;
    thread::sleep(PERF_ATTACH);
    let result = client.run(Until::RoundTrips(config.round_trips), false);
    interrupt(&perf_stat);
    let output = perf_stat.wait_with_output()?;
    let sample = result?;
    let report = String::from_utf8_lossy(&output.stderr);
    let by_call = parse_perf(&report)?;
    let reads: u64 = PERF_FAILURES
        .iter()
        .filter_map(|c| by_call.get(*c))
        .map(|c| c.calls)
        .sum();
    if reads < sample.round_trips {
        return Err(io::Error::other(format!(
            "perf counted {reads} reads for {} round trips: it attached late",
            sample.round_trips
        )));
    }
    Ok(Counts {
        round_trips: sample.round_trips,
        by_call,
    })
}

/// Parses `perf stat -x,`'s report: one line per event,
/// `count,unit,event,...`. Calls counted by no tracepoint of their own go
/// under `other`: the `raw_syscalls:sys_enter` count less the named ones.
pub fn parse_perf(report: &str) -> io::Result<BTreeMap<String, Count>> {
    let mut all = None;
    let mut by_call: BTreeMap<String, Count> = BTreeMap::new();
    for line in report.lines() {
        let fields: Vec<&str> = line.split(',').collect();
        let [value, _, event, ..] = fields[..] else {
            continue;
        };
        let Ok(value) = value.parse::<u64>() else {
            continue; // `<not counted>`, or a line that is not a count
        };
        if event == "raw_syscalls:sys_enter" {
            all = Some(value);
        } else if let Some(call) = event.strip_prefix("syscalls:sys_enter_") {
            if value > 0 {
                by_call.entry(call.to_owned()).or_default().calls = value;
            }
        } else if let Some(call) = event.strip_prefix("syscalls:sys_exit_") {
            if value > 0 {
                by_call.entry(call.to_owned()).or_default().errors = value;
            }
        }
    }
    let all = all.ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("perf stat reported no raw_syscalls:sys_enter count: {report:?}"),
        )
    })?;
    let named: u64 = by_call.values().map(|c| c.calls).sum();
    if all > named {
        by_call.insert(
            "other".to_owned(),
            Count {
                calls: all - named,
                errors: 0,
            },
        );
    }
    Ok(by_call)
}

/// Counts with `strace -c -f -p PID`, which says on stderr when it has
/// attached and writes its table to a file when it detaches.
fn with_strace(
    strace: &Path,
    server: &ServerProcess,
    client: &mut Client,
    config: &Config,
) -> io::Result<Counts> {
    let table = std::env::temp_dir().join(format!(
        "epoll-book-strace-{}-{}.txt",
        std::process::id(),
        server.pid()
    ));
    let mut tracer = Command::new(strace)
        .args(["-c", "-f", "-o"])
        .arg(&table)
        .args(["-p", &server.pid().to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| io::Error::new(e.kind(), format!("starting {}: {e}", strace.display())))?;
    // strace says `strace: Process PID attached` on stderr once it is.
    let stderr = tracer.stderr.take().expect("stderr is piped");
    let (attached, attached_rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut said = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line.contains("attached") {
                let _ = attached.send(Ok(()));
            }
            said.push_str(&line);
            said.push('\n');
        }
        let _ = attached.send(Err(said));
    });
    let result = match attached_rx.recv_timeout(ATTACH_TIMEOUT) {
        Ok(Ok(())) => client.run(Until::RoundTrips(config.round_trips), false),
        Ok(Err(said)) => Err(io::Error::other(format!("strace did not attach: {said}"))),
        Err(_) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("strace did not attach within {ATTACH_TIMEOUT:?}"),
        )),
    };
    // Interrupting strace detaches it; it writes the table and exits.
    interrupt(&tracer);
    let status = tracer.wait()?;
    let _ = reader.join();
    let sample = result?;

    let text = fs::read_to_string(&table);
    let _ = fs::remove_file(&table);
    let text = text
        .map_err(|e| io::Error::new(e.kind(), format!("strace ({status}) wrote no table: {e}")))?;
    Ok(Counts {
        round_trips: sample.round_trips,
        by_call: parse_table(&text)?,
    })
}

/// Parses the table `strace -c` writes:
///
/// ```text
/// % time     seconds  usecs/call     calls    errors syscall
/// ------ ----------- ----------- --------- --------- ----------------
///  52.10    0.001234           1      2001           epoll_wait
///  30.00    0.000710           0      4000      2000 recvfrom
/// ------ ----------- ----------- --------- --------- ----------------
/// 100.00    0.002368           0      8002      2000 total
/// ```
///
/// The errors column is empty for a call that never failed.
pub fn parse_table(text: &str) -> io::Result<BTreeMap<String, Count>> {
    let bad = |line: &str| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not a line of strace -c's table: {line:?}"),
        )
    };
    let mut by_call = BTreeMap::new();
    let mut rows = false;
    for line in text.lines() {
        if line.starts_with("------") {
            if rows {
                break; // the line above the total
            }
            rows = true;
            continue;
        }
        if !rows || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (calls, errors, name) = match fields[..] {
            [_, _, _, calls, name] => (calls, "0", name),
            [_, _, _, calls, errors, name] => (calls, errors, name),
            _ => return Err(bad(line)),
        };
        let count = Count {
            calls: calls.parse().map_err(|_| bad(line))?,
            errors: errors.parse().map_err(|_| bad(line))?,
        };
        by_call.insert(name.to_owned(), count);
    }
    if !rows {
        return Err(bad(text.lines().next().unwrap_or("")));
    }
    Ok(by_call)
}
