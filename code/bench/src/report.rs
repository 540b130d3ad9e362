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
            let dash = || "–".to_owned();
            table.row(vec![
                thousands(row.idle as f64),
                thousands(row.epoll_ns),
                row.poll_ns.map_or_else(dash, thousands),
                row.ratio().map_or_else(dash, |r| format!("{r:.1}")),
            ]);
        }
        let mut out = table.render();
        if let Some(fit) = report.fit {
            let _ = write!(
                out,
                "\nAbove N = {} this process could not hold every fd (`RLIMIT_NOFILE`): \
                 the idle fds were registered, then held open by other processes, and \
                 `poll`, which needs them all open in the caller, was not measured.\n",
                thousands(fit as f64)
            );
        }
        Some(out)
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
        let line = |name, f: fn(&scaling::Row) -> Option<f64>| Line {
            name,
            points: report
                .rows
                .iter()
                .filter_map(|r| Some((r.idle as f64, f(r)?)))
                .collect(),
        };
        plot::log_log_lines(
            "One call with one ready fd among N idle ones (lower is better)",
            "idle fds registered (N)",
            "nanoseconds per call",
            &[
                line("epoll_wait", |r| Some(r.epoll_ns)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::Load;
    use crate::syscalls::Count;
    use std::path::PathBuf;

    const SERVERS: [&str; 5] = ["book", "book ET", "mio", "calloop", "rustix"];

    /// The cells of a rendered table line, trimmed.
    fn cells(line: &str) -> Vec<&str> {
        let inner = line
            .strip_prefix('|')
            .and_then(|l| l.strip_suffix('|'))
            .unwrap_or_else(|| panic!("not a table line: {line:?}"));
        inner.split('|').map(str::trim).collect()
    }

    /// Checks what every rendered table must be, and returns its lines:
    /// the header is `header`, the separator marks exactly the columns in
    /// `right` as right-aligned (`---:`), every line has the same length
    /// (the columns are padded), and there are `rows` rows.
    fn check_table<'t>(
        table: &'t str,
        header: &[&str],
        right: &[bool],
        rows: usize,
    ) -> Vec<&'t str> {
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines.len(),
            2 + rows,
            "header, separator and {rows} rows:\n{table}"
        );
        assert_eq!(cells(lines[0]), header, "header:\n{table}");
        let separator = cells(lines[1]);
        assert_eq!(separator.len(), header.len());
        for (i, cell) in separator.iter().enumerate() {
            assert!(
                cell.len() >= 3 && cell[..cell.len() - 1].chars().all(|c| c == '-'),
                "separator cell {cell:?}:\n{table}"
            );
            assert_eq!(
                cell.ends_with(':'),
                right[i],
                "column {i} ({}):\n{table}",
                header[i]
            );
        }
        let width = lines[0].chars().count();
        for line in &lines {
            assert_eq!(
                line.chars().count(),
                width,
                "unpadded line {line:?}:\n{table}"
            );
        }
        // A right-aligned cell ends next to its column's right border, a
        // left-aligned one starts next to its left border.
        for line in &lines[2..] {
            for (i, cell) in line[1..line.len() - 1].split('|').enumerate() {
                // One space, and no padding, between a cell and the
                // border it is aligned to.
                let aligned = if right[i] {
                    cell.starts_with(' ') && cell.ends_with(' ') && !cell.ends_with("  ")
                } else {
                    cell.ends_with(' ') && cell.starts_with(' ') && !cell.starts_with("  ")
                };
                assert!(aligned, "column {i} ({}) misaligned in {line:?}", header[i]);
            }
        }
        lines
    }

    fn figures(
        per_second: f64,
        rounds: Vec<f64>,
        p50_us: f64,
        p99_us: f64,
        cpu: f64,
    ) -> echo::Figures {
        echo::Figures {
            round_trips: 1000,
            per_second,
            rounds,
            p50_us,
            p99_us,
            server_cpu_us: cpu,
        }
    }

    fn echo_report() -> echo::Report {
        echo::Report {
            servers: SERVERS.to_vec(),
            cells: vec![
                echo::Cell {
                    load: Load {
                        connections: 2,
                        message: 64,
                    },
                    figures: vec![
                        figures(60_000.0, vec![59_000.4, 61_000.0], 12.4, 40.6, 10.0),
                        figures(48_000.0, vec![48_000.0, 48_000.0], 15.0, 50.0, 12.0),
                        figures(40_000.0, vec![39_999.6, 40_000.4], 20.0, 60.0, 8.0),
                        figures(30_000.0, vec![25_000.0, 35_000.0], 30.0, 90.0, 16.0),
                        figures(50_000.0, vec![50_000.0, 50_000.0], 18.0, 55.0, 4.0),
                    ],
                },
                echo::Cell {
                    load: Load {
                        connections: 1000,
                        message: 16 * 1024,
                    },
                    figures: vec![figures(1_234_567.8, vec![1_000_000.0], 1.0, 2.0, 1.0); 5],
                },
            ],
            pinned: Some((0, 1)),
        }
    }

    fn counts(round_trips: u64, calls: &[(&str, u64, u64)]) -> Counts {
        Counts {
            round_trips,
            by_call: calls
                .iter()
                .map(|&(name, calls, errors)| (name.to_owned(), Count { calls, errors }))
                .collect(),
        }
    }

    fn syscall_counts() -> Vec<Counts> {
        vec![
            // book: one wait, one read, one send.
            counts(
                100,
                &[
                    ("epoll_wait", 100, 0),
                    ("recvfrom", 100, 0),
                    ("sendto", 100, 0),
                ],
            ),
            // book ET: reads until EAGAIN.
            counts(
                100,
                &[
                    ("epoll_wait", 100, 0),
                    ("recvfrom", 200, 100),
                    ("sendto", 100, 0),
                ],
            ),
            // mio: epoll_pwait, and EAGAIN too.
            counts(
                100,
                &[
                    ("epoll_pwait", 100, 0),
                    ("recvfrom", 200, 100),
                    ("sendto", 100, 0),
                ],
            ),
            // calloop: also re-arms and wakes itself through an eventfd.
            counts(
                100,
                &[
                    ("epoll_wait", 100, 0),
                    ("recvfrom", 200, 100),
                    ("sendto", 100, 0),
                    ("epoll_ctl", 100, 0),
                    ("read", 50, 0),
                    ("write", 50, 0),
                ],
            ),
            // rustix: read and write on the sockets.
            counts(
                100,
                &[
                    ("epoll_wait", 100, 0),
                    ("read", 200, 100),
                    ("write", 100, 0),
                ],
            ),
        ]
    }

    fn wakeup_stats(median_us: f64, p99_us: f64) -> wakeup::Stats {
        wakeup::Stats {
            median_us,
            p99_us,
            round_trips: 100,
            wakes_sent: 200,
            wakes_received: 200,
            threads_joined: 1,
        }
    }

    fn wakeup_report() -> wakeup::Report {
        wakeup::Report {
            book: wakeup_stats(9.0, 30.0),
            mio: wakeup_stats(10.0, 20.0),
            park: wakeup_stats(5.0, 25.0),
        }
    }

    fn all() -> Results {
        Results {
            quick: false,
            echo: Some(echo_report()),
            syscalls: Some(Syscalls {
                servers: SERVERS.to_vec(),
                by_tool: vec![
                    (Tool::Perf(PathBuf::from("/usr/bin/perf")), syscall_counts()),
                    (
                        Tool::Strace(PathBuf::from("/usr/bin/strace")),
                        syscall_counts(),
                    ),
                ],
            }),
            scaling: None,
            wakeup: Some(wakeup_report()),
        }
    }

    #[test]
    fn thousands_groups_digits_by_three_and_rounds() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(7.0), "7");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(999.6), "1,000");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(12_345.0), "12,345");
        assert_eq!(thousands(123_456.0), "123,456");
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(1e9), "1,000,000,000");
        assert_eq!(thousands(-1234.4), "-1,234");
        assert_eq!(thousands(-999.0), "-999");
        assert_eq!(thousands(-0.4), "0", "no minus sign on a zero");
    }

    #[test]
    fn tables_pad_columns_and_align_numbers_right() {
        let mut table = Table::new(&[("name", false), ("µs", true)]);
        table.row(vec!["a".into(), "1".into()]);
        table.row(vec!["longer – name".into(), "12,345".into()]);
        assert_eq!(
            table.render(),
            "\
| name          |     µs |
| ------------- | -----: |
| a             |      1 |
| longer – name | 12,345 |
"
        );
        // Columns are never narrower than three dashes.
        let mut narrow = Table::new(&[("x", true), ("y", false)]);
        narrow.row(vec!["1".into(), "2".into()]);
        assert_eq!(
            narrow.render(),
            "|   x | y   |\n| --: | --- |\n|   1 | 2   |\n"
        );
    }

    #[test]
    fn echo_table_has_a_row_per_load_and_server_with_ratios_to_mio() {
        let results = all();
        let table = results.echo_table().expect("an echo report makes a table");
        let header = [
            "load",
            "server",
            "round trips/s",
            "vs mio",
            "p50 µs",
            "p99 µs",
            "server CPU µs/rt",
            "vs mio",
            "slowest–fastest round",
        ];
        let right = [false, false, true, true, true, true, true, true, true];
        let lines = check_table(&table, &header, &right, 10);
        let rows: Vec<Vec<&str>> = lines[2..].iter().map(|l| cells(l)).collect();
        assert_eq!(
            rows[0],
            [
                "2 × 64 B",
                "book",
                "60,000",
                "1.50",
                "12",
                "41",
                "10.00",
                "1.25",
                "59,000–61,000"
            ]
        );
        assert_eq!(rows[1][1..4], ["book ET", "48,000", "1.20"]);
        assert_eq!(
            rows[2],
            [
                "2 × 64 B",
                "mio",
                "40,000",
                "1.00",
                "20",
                "60",
                "8.00",
                "1.00",
                "40,000–40,000"
            ]
        );
        assert_eq!(rows[3][7..], ["2.00", "25,000–35,000"]);
        assert_eq!(rows[4][7], "0.50");
        for (row, name) in rows[5..].iter().zip(SERVERS) {
            assert_eq!(row[..4], ["1000 × 16 KiB", name, "1,234,568", "1.00"]);
        }
        // Without mio there is nothing to compare with, and no table.
        let mut without = all();
        if let Some(report) = &mut without.echo {
            report.servers[2] = "not mio";
        }
        assert_eq!(without.echo_table(), None);
        assert_eq!(Results::default().echo_table(), None);
    }

    #[test]
    fn syscalls_tables_one_per_tool_sort_calls_into_kinds() {
        let table = all().syscalls_table().expect("counts make tables");
        let header = [
            "server",
            "epoll_wait",
            "recvfrom",
            "of which EAGAIN",
            "sendto",
            "epoll_ctl",
            "other",
            "total",
            "vs mio",
        ];
        let right = [false, true, true, true, true, true, true, true, true];
        let parts: Vec<&str> = table.split("Counted with ").skip(1).collect();
        assert_eq!(parts.len(), 2, "one table per tool:\n{table}");
        for (part, tool) in parts.iter().zip(["perf stat", "strace -c"]) {
            let (intro, table) = part.split_once("\n\n").expect("a line, then the table");
            assert_eq!(
                intro,
                format!("`{tool}`, 100 round trips of 64 bytes on one connection:")
            );
            let lines = check_table(table.trim_end(), &header, &right, 5);
            let rows: Vec<Vec<&str>> = lines[2..].iter().map(|l| cells(l)).collect();
            assert_eq!(
                rows[0],
                [
                    "book", "1.00", "1.00", "0.00", "1.00", "0.00", "0.00", "3.00", "0.75"
                ]
            );
            assert_eq!(
                rows[1],
                [
                    "book ET", "1.00", "2.00", "1.00", "1.00", "0.00", "0.00", "4.00", "1.00"
                ]
            );
            assert_eq!(
                rows[2],
                [
                    "mio", "1.00", "2.00", "1.00", "1.00", "0.00", "0.00", "4.00", "1.00"
                ]
            );
            assert_eq!(
                rows[3],
                [
                    "calloop", "1.00", "2.00", "1.00", "1.00", "1.00", "1.00", "6.00", "1.50"
                ]
            );
            assert_eq!(
                rows[4],
                [
                    "rustix", "1.00", "2.00", "1.00", "1.00", "0.00", "0.00", "4.00", "1.00"
                ]
            );
        }
        // Without mio, the ratio column says there is none.
        let mut without = all();
        if let Some(syscalls) = &mut without.syscalls {
            syscalls.servers[2] = "not mio";
        }
        let table = without.syscalls_table().expect("counts make tables");
        for line in table.lines().filter(|l| l.starts_with("| book ")) {
            assert_eq!(cells(line)[8], "–", "{line}");
        }
    }

    #[test]
    fn wakeup_table_compares_each_way_with_mio() {
        let results = Results {
            wakeup: Some(wakeup_report()),
            ..Results::default()
        };
        let table = results
            .wakeup_table()
            .expect("a wakeup report makes a table");
        let header = [
            "way of waking",
            "median µs",
            "p99 µs",
            "median vs mio",
            "p99 vs mio",
        ];
        let lines = check_table(&table, &header, &[false, true, true, true, true], 3);
        let rows: Vec<Vec<&str>> = lines[2..].iter().map(|l| cells(l)).collect();
        assert_eq!(
            rows[0],
            ["book Waker + Epoll::wait", "9.0", "30.0", "0.90", "1.50"]
        );
        assert_eq!(
            rows[1],
            ["mio::Waker + Poll::poll", "10.0", "20.0", "1.00", "1.00"]
        );
        assert_eq!(
            rows[2],
            ["thread park/unpark", "5.0", "25.0", "0.50", "1.25"]
        );
    }

    #[test]
    fn kinds_sort_waits_receives_eagain_sends_and_the_rest() {
        let all = syscall_counts();
        let kinds = |i: usize| Kinds::of(&all[i]);
        let k = |wait, recv_data, recv_eagain, send, ctl, other| Kinds {
            wait,
            recv_data,
            recv_eagain,
            send,
            ctl,
            other,
        };
        assert_eq!(kinds(0), k(1.0, 1.0, 0.0, 1.0, 0.0, 0.0), "book");
        // Failed recvfrom calls are the EAGAIN ones, not data.
        assert_eq!(kinds(1), k(1.0, 1.0, 1.0, 1.0, 0.0, 0.0), "book ET");
        // epoll_pwait is a wait like epoll_wait.
        assert_eq!(kinds(2), k(1.0, 1.0, 1.0, 1.0, 0.0, 0.0), "mio");
        // Receiving with recvfrom, its read and write are of something
        // else (an eventfd): other.
        assert_eq!(kinds(3), k(1.0, 1.0, 1.0, 1.0, 1.0, 1.0), "calloop");
        // Receiving with read, read and write are its receives and sends.
        assert_eq!(kinds(4), k(1.0, 1.0, 1.0, 1.0, 0.0, 0.0), "rustix");

        let more = counts(
            10,
            &[
                ("epoll_pwait2", 10, 0),
                ("recvmsg", 10, 5),
                ("readv", 5, 5),
                ("sendmsg", 10, 0),
                ("writev", 10, 0),
                ("accept4", 1, 0),
                ("close", 1, 0),
            ],
        );
        assert_eq!(Kinds::of(&more), k(1.0, 0.5, 1.0, 2.0, 0.0, 0.2));
        // Every call is in exactly one kind: they add up to the total.
        for c in all.iter().chain([&more]) {
            let s = Kinds::of(c);
            let sum = s.wait + s.recv_data + s.recv_eagain + s.send + s.ctl + s.other;
            assert!(
                (sum - c.total_per_round_trip()).abs() < 1e-9,
                "{s:?} for {c:?}"
            );
        }
    }

    /// A fresh directory for one test's files.
    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("epoll-book-report-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn listing(dir: &Path) -> io::Result<Vec<String>> {
        let mut names = fs::read_dir(dir)?
            .map(|e| Ok(e?.file_name().to_string_lossy().into_owned()))
            .collect::<io::Result<Vec<String>>>()?;
        names.sort();
        Ok(names)
    }

    #[test]
    fn write_puts_a_table_and_charts_per_measurement_and_the_machine() -> io::Result<()> {
        for quick in [false, true] {
            let dir = scratch(&format!("all-{quick}"));
            let results = Results { quick, ..all() };
            let written = results.write(&dir)?;
            let expected = [
                "echo-cpu.svg",
                "echo-throughput.svg",
                "echo.table",
                "machine.table",
                "syscalls.svg",
                "syscalls.table",
                "wakeup.svg",
                "wakeup.table",
            ];
            assert_eq!(listing(&dir)?, expected);
            let mut returned: Vec<String> = written.clone();
            returned.sort();
            let paths: Vec<String> = expected
                .iter()
                .map(|n| dir.join(n).display().to_string())
                .collect();
            assert_eq!(returned, paths, "write returns what it wrote");
            for name in expected {
                let text = fs::read_to_string(dir.join(name))?;
                if name.ends_with(".svg") {
                    assert!(
                        text.starts_with("<svg") && text.trim_end().ends_with("</svg>"),
                        "{name}"
                    );
                    continue;
                }
                let last = text.trim_end().lines().last().unwrap_or("");
                assert!(
                    last.starts_with(
                        "*Written by `cargo run --release -p bench -- --out src/ch13-performance`."
                    ),
                    "{name} ends with {last:?}"
                );
                assert_eq!(
                    last.contains("Reduced run"),
                    quick,
                    "{name} (quick {quick}): {last:?}"
                );
            }
            let echo = fs::read_to_string(dir.join("echo.table"))?;
            assert!(
                echo.starts_with(&results.echo_table().unwrap()),
                "echo.table is the echo table"
            );
            let charts = fs::read_to_string(dir.join("syscalls.svg"))?;
            assert!(
                charts.contains("(perf stat)"),
                "perf's counts are charted when there are some"
            );
            fs::remove_dir_all(&dir)?;
        }
        Ok(())
    }

    #[test]
    fn write_of_nothing_measured_is_the_machine_alone() -> io::Result<()> {
        let base = scratch("none");
        let dir = base.join("made/by/write");
        let written = Results::default().write(&dir)?;
        assert_eq!(written, [dir.join("machine.table").display().to_string()]);
        assert_eq!(listing(&dir)?, ["machine.table"]);
        let text = fs::read_to_string(dir.join("machine.table"))?;
        assert!(text.starts_with(&machine()), "{text}");
        fs::remove_dir_all(&base)?;
        Ok(())
    }

    #[test]
    fn machine_names_this_kernel_and_compiler() -> io::Result<()> {
        let table = machine();
        let lines = check_table(&table, &["machine", ""], &[false, false], 5);
        let rows: Vec<Vec<&str>> = lines[2..].iter().map(|l| cells(l)).collect();
        let names: Vec<&str> = rows.iter().map(|r| r[0]).collect();
        assert_eq!(
            names,
            [
                "CPU",
                "CPUs this process may use",
                "memory",
                "kernel",
                "compiler"
            ]
        );
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")?;
        assert_eq!(rows[3][1], format!("Linux {}", kernel.trim()));
        let cpus = std::thread::available_parallelism()?.get();
        assert_eq!(rows[1][1], cpus.to_string());
        assert!(rows[2][1].ends_with(" GiB"), "{:?}", rows[2]);
        assert!(rows[4][1].starts_with("rustc "), "{:?}", rows[4]);
        Ok(())
    }
}
