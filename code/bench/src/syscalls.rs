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
//! The counts are exact up to the last round trip's tail: counting stops
//! once the client has its last echo, and the server may not yet have made
//! the calls that follow its `sendto` (an edge-triggered server's last
//! `EAGAIN` read and its next `epoll_wait`). Over 2,000 round trips that is
//! a difference of at most 0.001 per round trip.

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
            if may_attach() {
                tools.push(Tool::Strace(strace));
            }
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

/// Whether `strace -p` may attach to a server, which is this process's
/// child but not strace's. Yama's `ptrace_scope` (when the kernel has it)
/// allows that at 0 to anyone, at 1 and 2 only with `CAP_SYS_PTRACE`
/// (root, here), and at 3 to no one.
fn may_attach() -> bool {
    match std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope") {
        Err(_) => true,
        Ok(scope) => match scope.trim() {
            "0" => true,
            // SAFETY: geteuid takes nothing and cannot fail.
            "1" | "2" => (unsafe { libc::geteuid() }) == 0,
            _ => false,
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `strace -c -f -o FILE cat /etc/hostname /` on this book's machine
    /// (strace 6.1): the read of `/` fails with EISDIR, and so do the
    /// opens of libraries in directories where they are not.
    const STRACE_TABLE: &str = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
  0.00    0.000000           0         6         1 read
  0.00    0.000000           0         5           write
  0.00    0.000000           0        21           close
  0.00    0.000000           0        23           mmap
  0.00    0.000000           0         3           mprotect
  0.00    0.000000           0         3           munmap
  0.00    0.000000           0         3           brk
  0.00    0.000000           0         2           pread64
  0.00    0.000000           0         1         1 access
  0.00    0.000000           0         1           execve
  0.00    0.000000           0         1           arch_prctl
  0.00    0.000000           0         1           futex
  0.00    0.000000           0         1           set_tid_address
  0.00    0.000000           0         2           fadvise64
  0.00    0.000000           0        35        16 openat
  0.00    0.000000           0        20           newfstatat
  0.00    0.000000           0         1           set_robust_list
  0.00    0.000000           0         1           prlimit64
  0.00    0.000000           0         1           getrandom
  0.00    0.000000           0         1           rseq
------ ----------- ----------- --------- --------- ----------------
100.00    0.000000           0       132        18 total
";

    /// The same command under `perf stat -x, -e raw_syscalls:sys_enter -e
    /// syscalls:sys_enter_{read,write,close,recvfrom} -e
    /// syscalls:sys_exit_{read,recvfrom} --filter 'ret < 0'` (perf 6.1):
    /// the same 132 calls, the same failed read, and cat's own complaint,
    /// since perf's report and the command's stderr share the stream.
    const PERF_REPORT: &str = "\
cat: /: Is a directory
132,,raw_syscalls:sys_enter,929418,100.00,,
6,,syscalls:sys_enter_read,929418,100.00,,
5,,syscalls:sys_enter_write,929418,100.00,,
21,,syscalls:sys_enter_close,929418,100.00,,
0,,syscalls:sys_enter_recvfrom,929418,100.00,,
1,,syscalls:sys_exit_read,929418,100.00,,
0,,syscalls:sys_exit_recvfrom,929418,100.00,,
";

    /// `perf stat -x, ... -p PID` attached to a `sleep` and interrupted
    /// after half a second: a process that made no call has no count.
    const PERF_NOT_COUNTED: &str = "\
<not counted>,,raw_syscalls:sys_enter,0,100.00,,
<not counted>,,syscalls:sys_enter_read,0,100.00,,
<not counted>,,syscalls:sys_exit_read,0,100.00,,
";

    fn count(calls: u64, errors: u64) -> Count {
        Count { calls, errors }
    }

    #[test]
    fn strace_table_rows_with_and_without_errors() -> io::Result<()> {
        let by_call = parse_table(STRACE_TABLE)?;
        assert_eq!(by_call.len(), 20, "one entry per row: {by_call:?}");
        assert_eq!(by_call["read"], count(6, 1));
        assert_eq!(by_call["write"], count(5, 0), "an empty errors column is 0");
        assert_eq!(by_call["openat"], count(35, 16));
        assert_eq!(by_call["access"], count(1, 1));
        assert_eq!(by_call["rseq"], count(1, 0), "the last row");
        assert!(!by_call.contains_key("total"), "the total line is no call");
        // The rows add up to the total line.
        let calls: u64 = by_call.values().map(|c| c.calls).sum();
        let errors: u64 = by_call.values().map(|c| c.errors).sum();
        assert_eq!((calls, errors), (132, 18));
        Ok(())
    }

    #[test]
    fn strace_table_without_rows_is_empty() -> io::Result<()> {
        let lines: Vec<&str> = STRACE_TABLE.lines().collect();
        let empty = [lines[0], lines[1], lines[22], lines[23]].join("\n");
        assert_eq!(parse_table(&empty)?, BTreeMap::new());
        Ok(())
    }

    #[test]
    fn anything_but_an_strace_table_is_invalid_data() {
        let bad_row =
            STRACE_TABLE.replace("        21           close", "        x1           close");
        let short_row = STRACE_TABLE.replace(
            "  0.00    0.000000           0         5           write\n",
            "  0.00 write\n",
        );
        for (what, text) in [
            (
                "no table",
                "strace: attach: ptrace(PTRACE_SEIZE, 1): Operation not permitted\n",
            ),
            ("nothing", ""),
            ("a count that is not a number", &bad_row),
            ("a row with too few columns", &short_row),
        ] {
            match parse_table(text) {
                Ok(by_call) => panic!("{what}: parsed as {by_call:?}"),
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{what}: {e}");
                    assert!(e.to_string().contains("strace -c"), "{what}: {e}");
                }
            }
        }
    }

    #[test]
    fn perf_report_counts_calls_failures_and_the_rest_as_other() -> io::Result<()> {
        let by_call = parse_perf(PERF_REPORT)?;
        assert_eq!(by_call["read"], count(6, 1));
        assert_eq!(by_call["write"], count(5, 0));
        assert_eq!(by_call["close"], count(21, 0));
        assert!(
            !by_call.contains_key("recvfrom"),
            "a call made 0 times is left out: {by_call:?}"
        );
        // 132 calls in all, 32 of them named.
        assert_eq!(by_call["other"], count(100, 0));
        assert_eq!(by_call.len(), 4, "{by_call:?}");
        // The named calls and `other` add up to every call, as strace's
        // table of the same command does.
        let all: u64 = by_call.values().map(|c| c.calls).sum();
        let strace: u64 = parse_table(STRACE_TABLE)?.values().map(|c| c.calls).sum();
        assert_eq!(all, strace);
        Ok(())
    }

    #[test]
    fn perf_report_without_other_calls_has_no_other() -> io::Result<()> {
        let exact = PERF_REPORT.replace("132,,raw_syscalls", "32,,raw_syscalls");
        let by_call = parse_perf(&exact)?;
        assert!(!by_call.contains_key("other"), "{by_call:?}");
        // Counters read one after another can disagree by a call or two;
        // fewer in all than named is no reason for a negative `other`.
        let behind = PERF_REPORT.replace("132,,raw_syscalls", "31,,raw_syscalls");
        let by_call = parse_perf(&behind)?;
        assert!(!by_call.contains_key("other"), "{by_call:?}");
        assert_eq!(by_call["close"], count(21, 0));
        Ok(())
    }

    #[test]
    fn perf_report_without_the_count_of_all_calls_is_invalid_data() {
        let without = PERF_REPORT
            .lines()
            .filter(|l| !l.contains("raw_syscalls"))
            .collect::<Vec<_>>()
            .join("\n");
        for (what, report) in [
            ("not counted", PERF_NOT_COUNTED),
            ("no raw_syscalls line", &without),
            ("nothing", ""),
        ] {
            match parse_perf(report) {
                Ok(by_call) => panic!("{what}: parsed as {by_call:?}"),
                Err(e) => {
                    assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{what}: {e}");
                    assert!(
                        e.to_string().contains("raw_syscalls:sys_enter"),
                        "{what}: {e}"
                    );
                }
            }
        }
    }

    #[test]
    fn counts_divide_by_the_round_trips() {
        let counts = Counts {
            round_trips: 100,
            by_call: BTreeMap::from([
                ("epoll_wait".to_owned(), count(100, 0)),
                ("recvfrom".to_owned(), count(200, 100)),
                ("sendto".to_owned(), count(100, 0)),
                ("other".to_owned(), count(5, 0)),
            ]),
        };
        assert_eq!(counts.per_round_trip("recvfrom"), 2.0);
        assert_eq!(counts.errors_per_round_trip("recvfrom"), 1.0);
        assert_eq!(counts.per_round_trip("epoll_wait"), 1.0);
        assert_eq!(counts.errors_per_round_trip("epoll_wait"), 0.0);
        assert_eq!(counts.per_round_trip("other"), 0.05);
        assert_eq!(counts.per_round_trip("epoll_ctl"), 0.0, "a call never made");
        assert_eq!(counts.errors_per_round_trip("epoll_ctl"), 0.0);
        assert_eq!(counts.total_per_round_trip(), 4.05);
    }

    #[test]
    fn tools_and_configs_are_named_and_sized() {
        assert_eq!(
            Tool::Perf(PathBuf::from("/usr/bin/perf")).name(),
            "perf stat"
        );
        assert_eq!(
            Tool::Strace(PathBuf::from("/usr/bin/strace")).name(),
            "strace -c"
        );
        assert_eq!(Config::full().round_trips, 2000);
        assert_eq!(Config::quick().round_trips, 200);
        // Every read perf counts one by one, it also counts failures of.
        for call in PERF_FAILURES {
            assert!(PERF_CALLS.contains(call), "{call} is not counted");
        }
    }
}
