//! What the harness prints and writes: the figures of every measurement as
//! Markdown tables (padded, so they read as well in a terminal as on the
//! page), and as SVG charts.
//!
//! [`Results::write`] puts both in a directory: the performance chapter's
//! page includes the tables and shows the charts from `src/ch13-performance/`,
//! so one run of `cargo run --release -p bench -- --out src/ch13-performance`
//! brings every figure of the chapter up to date at once.

use crate::echo;
use crate::plot::{self, Group, Line};
use crate::scaling;
use crate::servers::REFERENCE;
use crate::syscalls::{Counts, Tool};
use crate::wakeup;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;
use std::process::Command;

/// Everything one run measured. A measurement left out (`--only`) is
/// `None`, and writes nothing.
#[derive(Clone, Debug, Default)]
pub struct Results {
    /// A reduced run (`--quick`): the tables say so.
    pub quick: bool,
    pub echo: Option<echo::Report>,
    /// The servers' names and, per tool, their counts in that order.
    pub syscalls: Option<Syscalls>,
    pub scaling: Option<scaling::Report>,
    pub wakeup: Option<wakeup::Report>,
}

/// The syscall counts of every server, by every tool there was.
#[derive(Clone, Debug, Default)]
pub struct Syscalls {
    pub servers: Vec<&'static str>,
    pub by_tool: Vec<(Tool, Vec<Counts>)>,
}

/// A Markdown table whose columns are padded to one width.
struct Table {
    header: Vec<String>,
    /// Per column: right-aligned (numbers) or not.
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn new(columns: &[(&str, bool)]) -> Table {
        Table {
            header: columns.iter().map(|c| c.0.to_owned()).collect(),
            right: columns.iter().map(|c| c.1).collect(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.header.len());
        self.rows.push(cells);
    }

    fn render(&self) -> String {
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].chars().count())
                .chain([self.header[i].chars().count(), 3])
                .max()
                .unwrap_or(3)
        };
        let widths: Vec<usize> = (0..self.header.len()).map(width).collect();
        let line = |cells: &[String]| {
            let mut out = String::from("|");
            for (i, cell) in cells.iter().enumerate() {
                let pad = widths[i] - cell.chars().count();
                let (left, right) = if self.right[i] { (pad, 0) } else { (0, pad) };
                let _ = write!(out, " {}{cell}{} |", " ".repeat(left), " ".repeat(right));
            }
            out.push('\n');
            out
        };
        let mut out = line(&self.header);
        out.push('|');
        for (i, w) in widths.iter().enumerate() {
            let dashes = "-".repeat(w.saturating_sub(1));
            if self.right[i] {
                let _ = write!(out, " {dashes}: |");
            } else {
                let _ = write!(out, " {dashes}- |");
            }
        }
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row));
        }
        out
    }
}

/// `1234567.8` as `1,234,568`.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if value < 0.0 && digits != "0" {
        out.insert(0, '-');
    }
    out
}

/// The line under every table written for the page: where it came from.
fn provenance(quick: bool) -> String {
    let size = if quick {
        " Reduced run (`--quick`): not the book's figures."
    } else {
        ""
    };
    format!("\n*Written by `cargo run --release -p bench -- --out src/ch13-performance`.{size}*\n")
}

impl Results {
    /// The echo table: one row per load and server.
    pub fn echo_table(&self) -> Option<String> {
        let report = self.echo.as_ref()?;
        let reference = report.index_of(REFERENCE)?;
        let mut table = Table::new(&[
            ("load", false),
            ("server", false),
            ("round trips/s", true),
            ("vs mio", true),
            ("p50 µs", true),
            ("p99 µs", true),
            ("server CPU µs/rt", true),
            ("vs mio", true),
            ("slowest–fastest round", true),
        ]);
        for cell in &report.cells {
            let mio = &cell.figures[reference];
            for (name, f) in report.servers.iter().zip(&cell.figures) {
                let lowest = f.rounds.iter().copied().fold(f64::INFINITY, f64::min);
                let highest = f.rounds.iter().copied().fold(0.0, f64::max);
                table.row(vec![
                    cell.load.label(),
                    (*name).to_owned(),
                    thousands(f.per_second),
                    format!("{:.2}", f.per_second / mio.per_second),
                    format!("{:.0}", f.p50_us),
                    format!("{:.0}", f.p99_us),
                    format!("{:.2}", f.server_cpu_us),
                    format!("{:.2}", f.server_cpu_us / mio.server_cpu_us),
                    format!("{}–{}", thousands(lowest), thousands(highest)),
                ]);
            }
        }
        Some(table.render())
    }

    /// The syscall tables, one per tool: calls per round trip.
    pub fn syscalls_table(&self) -> Option<String> {
        let syscalls = self.syscalls.as_ref()?;
        let mut out = String::new();
        for (tool, counts) in &syscalls.by_tool {
            let reference = syscalls.servers.iter().position(|&s| s == REFERENCE);
            let mut table = Table::new(&[
                ("server", false),
                ("epoll_wait", true),
                ("recvfrom", true),
                ("of which EAGAIN", true),
                ("sendto", true),
                ("epoll_ctl", true),
                ("other", true),
                ("total", true),
                ("vs mio", true),
            ]);
            for (name, c) in syscalls.servers.iter().zip(counts) {
                let kinds = Kinds::of(c);
                let vs = reference.map_or(String::from("–"), |r| {
                    format!(
                        "{:.2}",
                        c.total_per_round_trip() / counts[r].total_per_round_trip()
                    )
                });
                table.row(vec![
                    (*name).to_owned(),
                    format!("{:.2}", kinds.wait),
                    format!("{:.2}", kinds.recv_data + kinds.recv_eagain),
                    format!("{:.2}", kinds.recv_eagain),
                    format!("{:.2}", kinds.send),
                    format!("{:.2}", kinds.ctl),
                    format!("{:.2}", kinds.other),
                    format!("{:.2}", c.total_per_round_trip()),
                    vs,
                ]);
            }
            let round_trips = counts.first().map_or(0, |c| c.round_trips);
            let _ = writeln!(
                out,
                "Counted with `{}`, {} round trips of 64 bytes on one connection:\n",
                tool.name(),
                thousands(round_trips as f64)
            );
            out.push_str(&table.render());
            out.push('\n');
        }
        Some(out)
    }

    /// The scaling table: ns per call at each N.
    pub fn scaling_table(&self) -> Option<String> {
        let report = self.scaling.as_ref()?;
        let mut table = Table::new(&[
            ("idle fds N", true),
            ("epoll_wait ns/call", true),
            ("poll ns/call", true),
            ("poll / epoll_wait", true),
        ]);
        for row in &report.rows {
            table.row(vec![
                thousands(row.idle as f64),
                thousands(row.epoll_ns),
                thousands(row.poll_ns),
                format!("{:.1}", row.ratio()),
            ]);
        }
        Some(table.render())
    }

    /// The wake-up table: median and p99 round trip of each way.
    pub fn wakeup_table(&self) -> Option<String> {
        let report = self.wakeup.as_ref()?;
        let mut table = Table::new(&[
            ("way of waking", false),
            ("median µs", true),
            ("p99 µs", true),
            ("median vs mio", true),
            ("p99 vs mio", true),
        ]);
        for (name, stats) in wakeup_rows(report) {
            table.row(vec![
                name.to_owned(),
                format!("{:.1}", stats.median_us),
                format!("{:.1}", stats.p99_us),
                format!("{:.2}", stats.median_us / report.mio.median_us),
                format!("{:.2}", stats.p99_us / report.mio.p99_us),
            ]);
        }
        Some(table.render())
    }

    /// Every table, with a heading each, for the terminal.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let parts = [
            ("echo", self.echo_table()),
            ("syscalls per round trip", self.syscalls_table()),
            ("scaling", self.scaling_table()),
            ("wakeup", self.wakeup_table()),
        ];
        for (title, table) in parts {
            if let Some(table) = table {
                let _ = writeln!(out, "\n## {title}\n\n{table}");
            }
        }
        out
    }

    /// Writes every table (`<name>.table`, Markdown) and every
    /// chart (`<name>.svg`) of what was measured into `dir`, plus
    /// `machine.table`, and returns the paths written.
    pub fn write(&self, dir: &Path) -> io::Result<Vec<String>> {
        fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("creating {}: {e}", dir.display())))?;
        let mut written = Vec::new();
        let mut put = |name: &str, text: String| -> io::Result<()> {
            let path = dir.join(name);
            plot::write_svg(&path, &text)?;
            written.push(path.display().to_string());
            Ok(())
        };
        let tail = provenance(self.quick);
        if let Some(t) = self.echo_table() {
            put("echo.table", t + &tail)?;
            put("echo-throughput.svg", self.echo_throughput_chart()?)?;
            put("echo-cpu.svg", self.echo_cpu_chart()?)?;
        }
        if let Some(t) = self.syscalls_table() {
            put("syscalls.table", t + &tail)?;
            put("syscalls.svg", self.syscalls_chart()?)?;
        }
        if let Some(t) = self.scaling_table() {
            put("scaling.table", t + &tail)?;
            put("scaling.svg", self.scaling_chart()?)?;
        }
        if let Some(t) = self.wakeup_table() {
            put("wakeup.table", t + &tail)?;
            put("wakeup.svg", self.wakeup_chart()?)?;
        }
        put("machine.table", machine() + &tail)?;
        Ok(written)
    }

    fn echo_throughput_chart(&self) -> io::Result<String> {
        self.echo_chart(
            "Echo round trips per second (higher is better)",
            "round trips per second",
            |f| f.per_second,
        )
    }

    fn echo_cpu_chart(&self) -> io::Result<String> {
        self.echo_chart(
            "Server CPU time per round trip (lower is better)",
            "microseconds per round trip",
            |f| f.server_cpu_us,
        )
    }

    fn echo_chart(
        &self,
        title: &str,
        y_label: &str,
        value: impl Fn(&echo::Figures) -> f64,
    ) -> io::Result<String> {
        let report = self.echo.as_ref().expect("called with an echo report");
        let labels: Vec<String> = report.cells.iter().map(|c| c.load.label()).collect();
        let groups: Vec<Group> = report
            .cells
            .iter()
            .zip(&labels)
            .map(|(cell, label)| Group {
                label,
                values: cell.figures.iter().map(&value).collect(),
            })
            .collect();
        plot::grouped_bars(title, y_label, &report.servers, &groups, None)
    }

    fn syscalls_chart(&self) -> io::Result<String> {
        let syscalls = self.syscalls.as_ref().expect("called with counts");
        // The kernel's count, if perf was there; strace's otherwise.
        let (tool, counts) = syscalls
            .by_tool
            .iter()
            .find(|(tool, _)| matches!(tool, Tool::Perf(_)))
            .or(syscalls.by_tool.first())
            .ok_or_else(|| io::Error::other("no tool counted the calls"))?;
        let title = format!("System calls per echo round trip ({})", tool.name());
        let series = [
            "epoll_wait",
            "recvfrom",
            "recvfrom: EAGAIN",
            "sendto",
            "epoll_ctl",
            "other",
        ];
        let groups: Vec<Group> = syscalls
            .servers
            .iter()
            .zip(counts)
            .map(|(name, c)| {
                let k = Kinds::of(c);
                Group {
                    label: name,
                    values: vec![k.wait, k.recv_data, k.recv_eagain, k.send, k.ctl, k.other],
                }
            })
            .collect();
        plot::grouped_bars(&title, "calls per round trip", &series, &groups, None)
    }

    fn scaling_chart(&self) -> io::Result<String> {
        let report = self.scaling.as_ref().expect("called with a scaling report");
        let line = |name, f: fn(&scaling::Row) -> f64| Line {
            name,
            points: report.rows.iter().map(|r| (r.idle as f64, f(r))).collect(),
        };
        plot::log_log_lines(
            "One call with one ready fd among N idle ones (lower is better)",
            "idle fds registered (N)",
            "nanoseconds per call",
            &[
                line("epoll_wait", |r| r.epoll_ns),
                line("poll", |r| r.poll_ns),
            ],
        )
    }

    fn wakeup_chart(&self) -> io::Result<String> {
        let report = self.wakeup.as_ref().expect("called with a wakeup report");
        let rows = wakeup_rows(report);
        let series: Vec<&str> = rows.iter().map(|r| r.0).collect();
        let groups = [
            Group {
                label: "median",
                values: rows.iter().map(|r| r.1.median_us).collect(),
            },
            Group {
                label: "99th percentile",
                values: rows.iter().map(|r| r.1.p99_us).collect(),
            },
        ];
        plot::grouped_bars(
            "Wake-up round trip between two threads (lower is better)",
            "microseconds",
            &series,
            &groups,
            None,
        )
    }
}

fn wakeup_rows(report: &wakeup::Report) -> [(&'static str, &wakeup::Stats); 3] {
    [
        ("book Waker + Epoll::wait", &report.book),
        ("mio::Waker + Poll::poll", &report.mio),
        ("thread park/unpark", &report.park),
    ]
}

/// A server's calls per round trip, sorted into the kinds the chapter
/// talks about.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Kinds {
    /// `epoll_wait` and `epoll_pwait`.
    pub wait: f64,
    /// `recvfrom` (or `read`, `recvmsg`, `readv`) of a socket that had
    /// data, or its end.
    pub recv_data: f64,
    /// Those that failed: with `EAGAIN`, the socket was empty.
    pub recv_eagain: f64,
    /// `sendto` (or `write`, `sendmsg`, `writev`).
    pub send: f64,
    /// `epoll_ctl`.
    pub ctl: f64,
    /// Anything else.
    pub other: f64,
}

impl Kinds {
    /// Sorts `counts`. A `read` counts as a receive only if the server
    /// reads its sockets that way; a server that receives with `recvfrom`
    /// and also `read`s (an eventfd, a timerfd) has those under `other`.
    pub fn of(counts: &Counts) -> Kinds {
        let mut kinds = Kinds::default();
        let receives_with_recvfrom = counts.by_call.contains_key("recvfrom");
        for (name, count) in &counts.by_call {
            let calls = count.calls as f64 / counts.round_trips as f64;
            let errors = count.errors as f64 / counts.round_trips as f64;
            match name.as_str() {
                "epoll_wait" | "epoll_pwait" | "epoll_pwait2" => kinds.wait += calls,
                "recvfrom" | "recvmsg" | "readv" => {
                    kinds.recv_data += calls - errors;
                    kinds.recv_eagain += errors;
                }
                "read" if !receives_with_recvfrom => {
                    kinds.recv_data += calls - errors;
                    kinds.recv_eagain += errors;
                }
                "sendto" | "sendmsg" | "writev" => kinds.send += calls,
                "write" if !receives_with_recvfrom => kinds.send += calls,
                "epoll_ctl" => kinds.ctl += calls,
                _ => kinds.other += calls,
            }
        }
        kinds
    }
}

/// What the figures were measured on: CPU model, cores, memory, kernel,
/// compiler, as a small table.
pub fn machine() -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown".to_owned(), |(_, m)| m.trim().to_owned());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().strip_suffix("kB"))
                .and_then(|kib| kib.trim().parse::<f64>().ok())
        })
        .map_or("unknown".to_owned(), |kib| {
            format!("{:.0} GiB", kib / 1024.0 / 1024.0)
        });
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("unknown".to_owned(), |k| k.trim().to_owned());
    let rustc = Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown".to_owned());
    let mut table = Table::new(&[("", false), ("", false)]);
    table.header = vec!["machine".into(), "".into()];
    table.row(vec!["CPU".into(), model]);
    table.row(vec!["CPUs this process may use".into(), cpus.to_string()]);
    table.row(vec!["memory".into(), memory]);
    table.row(vec!["kernel".into(), format!("Linux {kernel}")]);
    table.row(vec!["compiler".into(), rustc]);
    table.render()
}
