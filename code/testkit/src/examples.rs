//! Running a chapter's example programs from its tests.
//!
//! `cargo test` builds every example of the packages it tests (to make sure
//! they compile) into `target/<profile>/examples/`, next to the `deps/`
//! directory that holds the test binary itself, so a test can find and run
//! them without invoking cargo.
//!
//! Output that a page shows is never typed by hand: it lives in
//! `chapters/<crate>/output/<example>.txt`, the page includes that file, and
//! [`assert_example_outputs`] runs each example and compares. Set
//! `EPOLL_BOOK_BLESS=1` to write the files from the programs' output instead.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;
use wait_timeout::ChildExt;

/// How long an example may run before it counts as hung.
pub const EXAMPLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The environment variable that makes [`assert_example_outputs`] rewrite
/// the output files instead of comparing.
pub const BLESS_VAR: &str = "EPOLL_BOOK_BLESS";

/// What one run of an example produced.
#[derive(Debug)]
pub struct ExampleRun {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// The path of the built example `name`.
pub fn example_path(name: &str) -> PathBuf {
    let test_exe = std::env::current_exe().expect("finding the test binary");
    // target/<profile>/deps/<test>-<hash>  ->  target/<profile>/examples/<name>
    let profile_dir = test_exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary lives in target/<profile>/deps");
    profile_dir.join("examples").join(name)
}

/// Runs the example `name` with no arguments and `extra_env` set, waits at
/// most `timeout`, and returns what it printed. Panics if it is not built or
/// does not finish in time (it is killed first).
pub fn run_example(name: &str, extra_env: &[(&str, &str)], timeout: Duration) -> ExampleRun {
    let path = example_path(name);
    assert!(
        path.exists(),
        "example `{name}` is not built at {}: run the tests with `cargo test`, which builds examples",
        path.display()
    );
    let mut child = Command::new(&path)
        .envs(extra_env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {}: {e}", path.display()));
    // Read both pipes on their own threads so a chatty program cannot fill
    // one and block while we wait.
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    let status = match child
        .wait_timeout(timeout)
        .expect("waiting for the example")
    {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            panic!("example `{name}` did not finish within {timeout:?}; killed it");
        }
    };
    ExampleRun {
        status,
        stdout: out_reader
            .join()
            .expect("stdout reader")
            .expect("reading stdout"),
        stderr: err_reader
            .join()
            .expect("stderr reader")
            .expect("reading stderr"),
    }
}

/// For every `output/<example>.txt` in the crate at `manifest_dir`, runs
/// the example, checks that it succeeds, and compares its standard output
/// with the file (or, with `EPOLL_BOOK_BLESS=1`, writes the file).
///
/// Also refuses to compare against an example binary older than its source,
/// which would test yesterday's program.
pub fn assert_example_outputs(manifest_dir: &str) {
    let manifest_dir = Path::new(manifest_dir);
    let output_dir = manifest_dir.join("output");
    let mut files: Vec<PathBuf> = fs::read_dir(&output_dir)
        .unwrap_or_else(|e| panic!("listing {}: {e}", output_dir.display()))
        .map(|entry| entry.expect("reading the output directory").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "{} holds no output files",
        output_dir.display()
    );
    let bless = std::env::var_os(BLESS_VAR).is_some_and(|v| v == "1");
    let mut mismatches = Vec::new();
    for file in &files {
        let name = file
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("UTF-8 file name");
        let source = manifest_dir.join("examples").join(format!("{name}.rs"));
        assert!(
            source.exists(),
            "{} has no example: expected {}",
            file.display(),
            source.display()
        );
        let built = fs::metadata(example_path(name)).and_then(|m| m.modified());
        let written = fs::metadata(&source).and_then(|m| m.modified());
        if let (Ok(built), Ok(written)) = (built, written) {
            assert!(
                built >= written,
                "example `{name}` is older than its source: run `cargo test`, which rebuilds it"
            );
        }
        let run = run_example(name, &[], EXAMPLE_TIMEOUT);
        assert!(
            run.status.success(),
            "example `{name}` failed ({}):\n{}{}",
            run.status,
            run.stdout,
            run.stderr
        );
        if bless {
            fs::write(file, &run.stdout).expect("writing the output file");
            continue;
        }
        let expected = fs::read_to_string(file).expect("reading the output file");
        if expected != run.stdout {
            mismatches.push(format!(
                "--- {} (expected)\n{expected}--- `{name}` printed\n{}",
                file.display(),
                run.stdout
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "example output differs from the book (rerun with {BLESS_VAR}=1 to regenerate if the change is intended):\n{}",
        mismatches.join("\n")
    );
}
