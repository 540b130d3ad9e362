//! The echo and syscall measurements end to end, at a tiny size: the five
//! servers are built by cargo, run as processes, played against, counted,
//! and stopped; a server that cannot start, cannot be reached or does not
//! exit cleanly is an error that names it. Nothing here looks at how long
//! anything took. Every test goes through `assert_no_fd_leaks`, which also
//! runs them one at a time.

use bench::echo::{self, Config};
use bench::load::Load;
use bench::report::Kinds;
use bench::servers::{self, REFERENCE, ServerSpec};
use bench::{cpu, syscalls};
use std::fs;
use std::io;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;
use testkit::assert_no_fd_leaks;

/// The servers' names, in the order of the tables.
const NAMES: [&str; 5] = ["book", "book ET", "mio", "calloop", "rustix"];

/// The servers, built once for all the tests here.
fn built() -> Vec<ServerSpec> {
    static BUILT: OnceLock<Vec<ServerSpec>> = OnceLock::new();
    BUILT
        .get_or_init(|| servers::build_all().expect("cargo could not build the servers"))
        .clone()
}

fn tiny() -> Config {
    Config {
        loads: vec![Load {
            connections: 2,
            message: 64,
        }],
        rounds: 1,
        warmup: Duration::from_millis(20),
        measure: Duration::from_millis(50),
    }
}

#[test]
fn build_all_builds_every_server_next_to_this_test() {
    assert_no_fd_leaks(|| {
        let specs = built();
        let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        assert_eq!(names, NAMES);
        // target/debug/deps/echo-HASH is this test; the servers are in
        // target/debug and target/debug/examples.
        let exe = std::env::current_exe().expect("current_exe");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        for spec in &specs {
            let metadata = fs::metadata(&spec.program)
                .unwrap_or_else(|e| panic!("{}: {}: {e}", spec.name, spec.program.display()));
            assert!(metadata.is_file(), "{}", spec.program.display());
            assert_ne!(metadata.permissions().mode() & 0o111, 0, "not executable");
            assert!(
                spec.program.starts_with(profile_dir),
                "{} is not under {}",
                spec.program.display(),
                profile_dir.display()
            );
        }
        assert_eq!(specs[0].program, profile_dir.join("echo_server"));
        assert_eq!(specs[2].program, profile_dir.join("examples/echo_mio"));
        // A second call finds them up to date and says the same.
        assert_eq!(servers::build_all().expect("second build"), specs);
    })
}

#[test]
fn every_server_echoes_under_the_same_load() -> io::Result<()> {
    assert_no_fd_leaks(|| {
        let specs = built();
        let config = tiny();
        let report = echo::run(&specs, &config)?;
        assert_eq!(
            report.servers, NAMES,
            "the servers in the order of the tables"
        );
        assert!(report.index_of(REFERENCE).is_some());
        assert_eq!(report.pinned, cpu::pair()?);
        assert_eq!(report.cells.len(), 1);
        let cell = &report.cells[0];
        assert_eq!(cell.load, config.loads[0]);
        assert_eq!(cell.figures.len(), NAMES.len());
        for (name, f) in NAMES.iter().zip(&cell.figures) {
            assert!(f.round_trips > 0, "{name}: no round trips: {f:?}");
            assert!(f.per_second > 0.0, "{name}: {f:?}");
            assert_eq!(f.rounds.len(), config.rounds, "{name}: {f:?}");
            assert!(f.rounds.iter().all(|&r| r > 0.0), "{name}: {f:?}");
            assert!(f.p50_us > 0.0 && f.p50_us <= f.p99_us, "{name}: {f:?}");
            assert!(
                f.server_cpu_us >= 0.0 && f.server_cpu_us.is_finite(),
                "{name}: {f:?}"
            );
        }
        Ok(())
    })
}

/// Makes an executable shell script in a fresh directory, as a server
/// program. It gets `--addr 127.0.0.1:0` as its arguments.
fn script(name: &str, body: &str) -> io::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("epoll-book-echo-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let path = dir.join("server");
    fs::write(&path, format!("#!/bin/sh\n{body}\n"))?;
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755))?;
    Ok(path)
}

fn remove_script(path: &Path) -> io::Result<()> {
    fs::remove_dir_all(path.parent().expect("the script's directory"))
}

/// Runs the tiny echo measurement on the book's server and on `bad`, and
/// returns its error.
fn echo_error(bad: ServerSpec) -> io::Error {
    let good = built().into_iter().next().expect("the book's server");
    match echo::run(&[good, bad], &tiny()) {
        Ok(report) => panic!("measured a bad server: {report:?}"),
        Err(e) => e,
    }
}

#[test]
fn a_server_that_is_not_there_is_named() {
    assert_no_fd_leaks(|| {
        let program = PathBuf::from("/nonexistent/echo_server");
        let e = echo_error(ServerSpec {
            name: "ghost",
            program: program.clone(),
        });
        assert_eq!(e.kind(), io::ErrorKind::NotFound, "{e}");
        assert!(e.to_string().contains("/nonexistent/echo_server"), "{e}");
    })
}

#[test]
fn a_server_that_cannot_be_reached_is_named_with_the_load() -> io::Result<()> {
    assert_no_fd_leaks(|| {
        // It announces a port where nothing listens, then waits.
        let closed = TcpListener::bind("127.0.0.1:0")?.local_addr()?;
        let program = script(
            "unreachable",
            &format!("echo 'listening on {closed}'\nexec sleep 30"),
        )?;
        let e = echo_error(ServerSpec {
            name: "unreachable",
            program: program.clone(),
        });
        remove_script(&program)?;
        assert_eq!(e.kind(), io::ErrorKind::ConnectionRefused, "{e}");
        assert!(
            e.to_string().starts_with("unreachable with 2 × 64 B: "),
            "{e}"
        );
        Ok(())
    })
}

#[test]
fn a_server_that_fails_on_sigterm_is_an_error() -> io::Result<()> {
    assert_no_fd_leaks(|| {
        // The book's server, behind a shell that exits with 3 on SIGTERM.
        let book = &built()[0].program;
        let program = script(
            "sigterm",
            &format!(
                "trap 'kill $child; wait $child; echo bye >&2; exit 3' TERM\n\
                 '{}' \"$@\" &\nchild=$!\nwait $child",
                book.display()
            ),
        )?;
        let e = echo_error(ServerSpec {
            name: "wrapped",
            program: program.clone(),
        });
        remove_script(&program)?;
        let message = e.to_string();
        assert!(
            message.starts_with("wrapped exited with exit status: 3 after SIGTERM"),
            "{e}"
        );
        assert!(message.contains("stderr: bye"), "{e}");
        Ok(())
    })
}

#[test]
fn syscalls_are_counted_for_the_round_trips_asked() -> io::Result<()> {
    assert_no_fd_leaks(|| {
        let tools = syscalls::Tool::available();
        if tools.is_empty() {
            println!("skipped: neither perf (with syscall tracepoints) nor strace is here");
            return Ok(());
        }
        let book: Vec<ServerSpec> = built().into_iter().take(2).collect();
        let config = syscalls::Config { round_trips: 100 };
        for tool in &tools {
            let counts = syscalls::run(tool, &book, &config)?;
            assert_eq!(counts.len(), 2, "{}", tool.name());
            for (spec, c) in book.iter().zip(&counts) {
                let kinds = Kinds::of(c);
                println!(
                    "{} {}: {kinds:?} from {:?}",
                    spec.name,
                    tool.name(),
                    c.by_call
                );
                assert_eq!(c.round_trips, 100, "{} {}", spec.name, tool.name());
                // Every round trip is one message received and sent back:
                // at least one receive with data and one send, whatever
                // the counter (strace slows the server down, which changes
                // what else it does).
                assert!(kinds.wait > 0.0, "{} {}: {c:?}", spec.name, tool.name());
                assert!(
                    kinds.recv_data >= 1.0,
                    "{} {}: {c:?}",
                    spec.name,
                    tool.name()
                );
                assert!(kinds.send >= 1.0, "{} {}: {c:?}", spec.name, tool.name());
            }
            if let syscalls::Tool::Perf(_) = tool {
                // At full speed, on the kernel's count: per round trip one
                // wait, one recvfrom with data and one sendto; the
                // edge-triggered server adds a recvfrom that ends in
                // EAGAIN, after its sendto. The wait the server was blocked
                // in when counting started is not counted, and counting
                // may stop before the calls that follow the last sendto:
                // a suffix of [recvfrom EAGAIN, epoll_wait] may be missing.
                for (c, tail) in counts.iter().zip([&["wait"][..], &["eagain", "wait"]]) {
                    let waits = c.by_call.get("epoll_wait").map_or(0, |w| w.calls);
                    let recv = c.by_call.get("recvfrom").copied().unwrap_or_default();
                    let sends = c.by_call.get("sendto").map_or(0, |s| s.calls);
                    assert_eq!(sends, 100, "{c:?}");
                    assert_eq!(recv.calls - recv.errors, 100, "receives with data: {c:?}");
                    assert_eq!(c.by_call.len(), 3, "no other calls: {c:?}");
                    let eagain_expected = if tail.contains(&"eagain") { 100 } else { 0 };
                    let missing = [
                        (eagain_expected as i64 - recv.errors as i64, "eagain"),
                        (100 - waits as i64, "wait"),
                    ];
                    let missing: Vec<&str> = missing
                        .iter()
                        .filter(|(n, _)| *n != 0)
                        .map(|&(n, name)| {
                            assert_eq!(n, 1, "{n} × {name} missing (negative: too many): {c:?}");
                            name
                        })
                        .collect();
                    assert!(
                        tail.ends_with(&missing),
                        "{missing:?} missing is not an end of {tail:?}: {c:?}"
                    );
                }
                let total = counts[0].total_per_round_trip();
                assert!(
                    (2.99..=3.0).contains(&total),
                    "the book's server: {total} calls per round trip"
                );
            }
        }
        Ok(())
    })
}
