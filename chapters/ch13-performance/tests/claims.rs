//! The page's claims about the real servers and about its own figures.
//!
//! `system_calls_per_round_trip_are_what_the_page_says` counts each echo
//! server's system calls the way the harness does (`bench::syscalls`:
//! `perf stat` on the kernel's syscall tracepoints, 200 round trips of 64
//! bytes on one connection, client and server pinned to different CPUs)
//! and checks the counts the page explains, per wait and per round trip
//! (see `check` for what timing can change and what it cannot). It builds
//! the servers first with cargo, which takes a while the first time. It
//! needs `perf`, allowed to read the tracepoints, and two CPUs: on one,
//! the client's next message often arrives before an edge-triggered
//! server's last read, which then finds data instead of `EAGAIN`. Where
//! either is missing the test says why on stderr and passes without
//! counting, since there is nothing here to count with.
//!
//! `committed_figures_are_from_a_full_run` checks the tables and charts in
//! `src/ch13-performance/` that the page shows: they exist, and none comes
//! from a reduced (`--quick`) run.

use bench::syscalls::{self, Config, Counts, Tool};
use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What the page says a server does, as calls per wait: at full speed a
/// wait per round trip, so these plus one read with data and one write are
/// the page's calls per round trip.
#[derive(Clone, Copy)]
struct PerWait {
    /// `recvfrom` calls that fail with `EAGAIN`.
    eagain: u64,
    /// `epoll_ctl` calls.
    ctl: u64,
    /// Calls of any other kind (the perf table's "other").
    other: u64,
}

impl PerWait {
    /// The page's calls per round trip: the wait, these, a read and a write.
    fn per_round_trip(&self) -> u64 {
        1 + self.eagain + self.ctl + self.other + 2
    }
}

/// `epoll_wait` calls, whichever of its system calls the server makes.
fn waits(counts: &Counts) -> u64 {
    ["epoll_wait", "epoll_pwait", "epoll_pwait2"]
        .iter()
        .filter_map(|name| counts.by_call.get(*name))
        .map(|count| count.calls)
        .sum()
}

/// `count` is `per_wait` times `waits`, up to the wait the server was in
/// when counting started or stopped.
fn assert_per_wait(server: &str, what: &str, count: u64, per_wait: u64, waits: u64) {
    assert!(
        count.abs_diff(per_wait * waits) <= per_wait,
        "{server}: {count} {what} for {waits} waits; the page says {per_wait} per wait"
    );
}

/// Checks one server's counts against the page. Exact, whatever the timing:
/// one read with data and one write per round trip, and `per_wait` for
/// every `epoll_wait`. Then: nearly one wait per round trip.
///
/// At full speed it is exactly one, so the page's calls per round trip are
/// `per_wait.per_round_trip()`. But a server that reads until `EAGAIN`
/// and is held up by something else on its CPU between its write and its
/// last read finds the client's next message there instead of `EAGAIN`,
/// and serves it without a wait: what strace does to every round trip,
/// here once in a while. So fewer waits than round trips are allowed, down
/// to 90%, never more.
fn check(server: &str, counts: &Counts, per_wait: PerWait) {
    let calls = |name: &str| counts.by_call.get(name).map_or(0, |c| c.calls);
    let failed = |name: &str| counts.by_call.get(name).map_or(0, |c| c.errors);
    let round_trips = counts.round_trips;
    let waits = waits(counts);
    let eagain = failed("recvfrom");
    assert_eq!(
        calls("recvfrom") - eagain,
        round_trips,
        "{server}: reads with data"
    );
    assert_eq!(calls("sendto"), round_trips, "{server}: writes");
    assert_per_wait(
        server,
        "recvfrom failing with EAGAIN",
        eagain,
        per_wait.eagain,
        waits,
    );
    assert_per_wait(server, "epoll_ctl", calls("epoll_ctl"), per_wait.ctl, waits);
    let named = [
        "epoll_wait",
        "epoll_pwait",
        "epoll_pwait2",
        "epoll_ctl",
        "recvfrom",
        "sendto",
    ];
    let other: u64 = counts
        .by_call
        .iter()
        .filter(|(name, _)| !named.contains(&name.as_str()))
        .map(|(_, count)| count.calls)
        .sum();
    assert_per_wait(server, "other calls", other, per_wait.other, waits);
    assert!(
        waits <= round_trips + 1 && waits * 10 >= round_trips * 9,
        "{server}: {waits} waits for {round_trips} round trips"
    );
}

#[test]
fn system_calls_per_round_trip_are_what_the_page_says() -> io::Result<()> {
    let Some(perf) = Tool::available()
        .into_iter()
        .find(|tool| matches!(tool, Tool::Perf(_)))
    else {
        eprintln!(
            "not counted: perf is not installed, or may not read the syscall tracepoints here"
        );
        return Ok(());
    };
    if bench::cpu::pair()?.is_none() {
        eprintln!("not counted: this process may use one CPU only");
        return Ok(());
    }
    let servers = bench::servers::build_all()?;
    let counts = syscalls::run(&perf, &servers, &Config { round_trips: 200 })?;
    let by_name: BTreeMap<&str, &Counts> = servers.iter().map(|s| s.name).zip(&counts).collect();

    // The book's loop, level-triggered: a wait, one read that is short, one
    // write. No read ever fails. 3 calls per round trip.
    let level = PerWait {
        eagain: 0,
        ctl: 0,
        other: 0,
    };
    assert_eq!(level.per_round_trip(), 3);
    check("book", by_name["book"], level);
    // Level-triggered, a wait per round trip whatever the timing.
    let book = by_name["book"];
    assert!(
        waits(book).abs_diff(book.round_trips) <= 1,
        "book: {} waits",
        waits(book)
    );

    // Edge-triggered: the same, and one read more, which fails with EAGAIN.
    // 4 calls per round trip.
    let edge = PerWait { eagain: 1, ..level };
    assert_eq!(edge.per_round_trip(), 4);
    for server in ["book ET", "mio", "rustix"] {
        check(server, by_name[server], edge);
    }

    // calloop reads to EAGAIN too (its server does, in level mode), and
    // `polling` adds four calls around every wait: timerfd_settime and
    // epoll_ctl(MOD) of its timerfd before, a read of its eventfd (which
    // fails: nobody woke the loop) and epoll_ctl(MOD) of the eventfd after.
    // 8 calls per round trip.
    let calloop = PerWait {
        eagain: 1,
        ctl: 2,
        other: 2,
    };
    assert_eq!(calloop.per_round_trip(), 8);
    let counts = by_name["calloop"];
    check("calloop", counts, calloop);
    let eventfd = counts.by_call.get("read").copied().unwrap_or_default();
    let waits = waits(counts);
    assert_per_wait("calloop", "reads of its eventfd", eventfd.calls, 1, waits);
    assert_eq!(
        eventfd.errors, eventfd.calls,
        "calloop: a read of its eventfd worked"
    );
    Ok(())
}

/// The directory of the chapter's tables and charts, and the page.
fn figures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../src/ch13-performance")
}

fn page() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../src/ch13-performance.md");
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The files of `src/ch13-performance/` the page shows: the
/// `{{#include ch13-performance/NAME}}` of a table and the
/// `![...](ch13-performance/NAME)` of a chart.
fn shown_files(page: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (directive, end) in [
        ("{{#include ch13-performance/", "}}"),
        ("](ch13-performance/", ")"),
    ] {
        for (at, _) in page.match_indices(directive) {
            let rest = &page[at + directive.len()..];
            let name = rest.split(end).next().unwrap_or("").trim();
            names.push(name.to_owned());
        }
    }
    names
}

#[test]
fn committed_figures_are_from_a_full_run() {
    let page = page();
    let shown = shown_files(&page);
    assert!(
        shown.iter().any(|n| n.ends_with(".table")) && shown.iter().any(|n| n.ends_with(".svg")),
        "the page shows no table or no chart: the scan is broken ({shown:?})"
    );
    let dir = figures_dir();
    for name in &shown {
        let path = dir.join(name);
        let text = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("the page shows {}: {e}", path.display()));
        assert!(!text.trim().is_empty(), "{} is empty", path.display());
    }
    for entry in fs::read_dir(&dir).expect("listing src/ch13-performance") {
        let path = entry.expect("a directory entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            shown.contains(&name),
            "{name} is in src/ch13-performance but the page does not show it"
        );
        if name.ends_with(".table") {
            let text = fs::read_to_string(&path).unwrap();
            assert!(
                !text.contains("Reduced run"),
                "{name} is from a --quick run: run `cargo run --release -p bench -- --out src/ch13-performance`"
            );
        }
    }
}

#[test]
fn the_file_scan_finds_includes_and_images() {
    let page = "in `chapters/ch13-performance/`\n\
                {{#include ch13-performance/echo.table}}\n\
                {{#include ../chapters/ch13-performance/output/batching.txt}}\n\
                ![a chart](ch13-performance/echo-cpu.svg)\n";
    assert_eq!(shown_files(page), ["echo.table", "echo-cpu.svg"]);
}
