//! Every server of Part IV through the same checks, with the results in
//! one table: the servers differ in how they are written, never in what a
//! client sees. The checks are `echo_harness::contract`'s, so any other
//! server of the book goes through exactly the same ones.
//!
//! The servers are the chapter's three examples, which `cargo test` builds,
//! and chapter 11's `echo_server` binary, which it does not: the first
//! check that needs it builds it with cargo. The checks start them as
//! processes.

use echo_harness::contract::{
    CommandLine, Contract, OutOfFds, check_command_line, check_contract, check_out_of_fds,
};
use std::fmt::Debug;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::thread;
use testkit::examples::example_path;

/// Where a server's program comes from.
enum Built {
    /// An example of this crate, built by `cargo test`.
    Example,
    /// Chapter 11's binary, built on demand by [`chapter_11_server`].
    Chapter11,
}

// ANCHOR: servers
/// The servers under test: one line each.
const SERVERS: &[(&str, Built)] = &[
    ("echo_mio", Built::Example),
    ("echo_calloop", Built::Example),
    ("echo_rustix", Built::Example),
    ("echo_server", Built::Chapter11),
];
// ANCHOR_END: servers

fn binary(name: &str, built: &Built) -> PathBuf {
    match built {
        Built::Example => example(name),
        Built::Chapter11 => chapter_11_server().clone(),
    }
}

/// The built example `name`, checked to be newer than its source: `cargo
/// test --test servers` alone does not build examples, and would test
/// yesterday's server.
fn example(name: &str) -> PathBuf {
    let path = example_path(name);
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.rs"));
    let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified());
    match (modified(&path), modified(&source)) {
        (Ok(built), Ok(written)) if built >= written => path,
        _ => panic!(
            "{name} is not built, or older than its source: run `cargo test -p ch12-production-crates`, which builds the examples"
        ),
    }
}

/// Chapter 11's `echo_server`, built once per test run by the cargo that
/// runs the tests, into the same target directory (cargo does nothing if
/// it is up to date). This crate cannot name it as a dependency: cargo
/// builds a dependency's library, never its binaries.
fn chapter_11_server() -> &'static PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT.get_or_init(|| {
        // target/<profile>/examples/<name>  ->  target/<profile>
        let examples = example_path("echo_server");
        let profile_dir = examples
            .parent()
            .and_then(Path::parent)
            .expect("examples live in target/<profile>/examples");
        let target_dir = profile_dir
            .parent()
            .expect("the profile directory lives in the target directory");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args(["build", "--quiet", "-p", "ch11-tcp-echo-server"])
            .args(["--bin", "echo_server", "--target-dir"])
            .arg(target_dir);
        // The profile these tests were built with: `dev` builds into
        // `debug`, every other profile into a directory of its name.
        match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") | None => {}
            Some(profile) => {
                command.args(["--profile", profile]);
            }
        }
        let status = command.status().expect("starting cargo");
        assert!(
            status.success(),
            "cargo build of chapter 11's echo_server failed"
        );
        profile_dir.join("echo_server")
    })
}

/// Runs `check` on every server, each on its own thread, and compares the
/// table of results with a table where every server got `expected`.
fn assert_every_server<R: Debug + PartialEq + Send>(
    check: fn(&Path) -> io::Result<R>,
    expected: R,
) {
    let table: Vec<(&str, R)> = thread::scope(|scope| {
        let running: Vec<_> = SERVERS
            .iter()
            .map(|(name, built)| (*name, scope.spawn(move || check(&binary(name, built)))))
            .collect();
        running
            .into_iter()
            .map(|(name, thread)| match thread.join() {
                Ok(Ok(result)) => (name, result),
                Ok(Err(e)) => panic!("{name}: {e}"),
                Err(_) => panic!("the check of {name} panicked"),
            })
            .collect()
    });
    let table: Vec<(&str, &R)> = table.iter().map(|(name, row)| (*name, row)).collect();
    let same: Vec<(&str, &R)> = SERVERS.iter().map(|(name, _)| (*name, &expected)).collect();
    assert_eq!(table, same);
}

#[test]
fn every_server_echoes_holds_back_survives_resets_and_stops_on_sigterm() {
    assert_every_server(check_contract, Contract::expected());
}

#[test]
fn every_server_has_the_same_command_line_and_stops_on_sigint() {
    assert_every_server(check_command_line, CommandLine::expected());
}

#[test]
fn out_of_fds_no_server_spins_or_stops_serving() {
    assert_every_server(check_out_of_fds, OutOfFds::expected());
}
