//! The echo servers under measurement, and how the harness gets them built.
//!
//! The servers are programs of other packages: chapter 11's `echo_server`
//! binary and `echo_edge` example (the book's loop, level- and
//! edge-triggered), and chapter 12's examples on mio, calloop and rustix.
//! A package cannot depend on another's binaries, so the harness asks the
//! cargo that built it to build them, with the same profile and into the
//! same target directory, then runs them from there as processes of their
//! own.

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One server program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// Its name in the tables: `book`, `book ET`, `mio`, ...
    pub name: &'static str,
    /// The program, which takes `--addr 127.0.0.1:0` and prints
    /// `listening on ADDR`.
    pub program: PathBuf,
}

/// The name of the reference every ratio is taken against.
pub const REFERENCE: &str = "mio";

/// The servers, by name in the tables, package, and target: `(name,
/// package, is_example, target)`.
const SERVERS: &[(&str, &str, bool, &str)] = &[
    ("book", "ch11-tcp-echo-server", false, "echo_server"),
    ("book ET", "ch11-tcp-echo-server", true, "echo_edge"),
    ("mio", "ch12-production-crates", true, "echo_mio"),
    ("calloop", "ch12-production-crates", true, "echo_calloop"),
    ("rustix", "ch12-production-crates", true, "echo_rustix"),
];

/// Every server, built. The order is the order of the tables.
pub fn build_all() -> io::Result<Vec<ServerSpec>> {
    let exe = std::env::current_exe()?;
    // target/<profile>/bench (or target/<profile>/deps/<test> for tests)
    let mut profile_dir = exe
        .parent()
        .ok_or_else(|| io::Error::other("the harness's program has no directory"))?;
    if profile_dir.file_name().is_some_and(|n| n == "deps") {
        profile_dir = profile_dir.parent().unwrap_or(profile_dir);
    }
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| io::Error::other("the profile directory has no parent"))?;
    let profile = profile_dir
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("debug");
    build(target_dir, profile)?;
    Ok(SERVERS
        .iter()
        .map(|&(name, _, is_example, target)| ServerSpec {
            name,
            program: if is_example {
                profile_dir.join("examples").join(target)
            } else {
                profile_dir.join(target)
            },
        })
        .collect())
}

/// Runs `cargo build` for the servers' packages, quietly; cargo does
/// nothing if they are up to date.
fn build(target_dir: &Path, profile: &str) -> io::Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(["build", "--quiet"]);
    let mut packages: Vec<&str> = SERVERS.iter().map(|s| s.1).collect();
    packages.dedup();
    for package in packages {
        command.args(["-p", package]);
    }
    command.args(["--bins", "--examples", "--target-dir"]);
    command.arg(target_dir);
    // `dev` builds into `debug`; every other profile into its own name.
    if profile != "debug" {
        command.args(["--profile", profile]);
    }
    let status = command.status().map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("starting cargo to build the servers: {e}"),
        )
    })?;
    if !status.success() {
        return Err(io::Error::other(format!(
            "cargo build of the echo servers failed ({status})"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_include_the_reference() {
        let names: Vec<&str> = SERVERS.iter().map(|s| s.0).collect();
        assert_eq!(names, ["book", "book ET", "mio", "calloop", "rustix"]);
        assert!(names.contains(&REFERENCE), "{REFERENCE} is not measured");
    }

    #[test]
    fn each_package_is_listed_in_one_run_so_cargo_builds_it_once() {
        // `build` drops repeated packages with `dedup`, which removes only
        // neighbours: a package's servers must be next to each other.
        let mut packages: Vec<&str> = SERVERS.iter().map(|s| s.1).collect();
        packages.dedup();
        let mut unique = packages.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(packages.len(), unique.len(), "{packages:?}");
    }
}
