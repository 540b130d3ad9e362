//! A runner for test binaries that cannot use the test harness.
//!
//! A signal sent to the whole process goes to any thread that does not block
//! it. The harness runs tests on threads of its own, which block nothing, so
//! a test that blocks a signal and waits for it on a signalfd can lose it to
//! one of them. Such tests live in a binary declared with `harness = false`
//! in its crate's `Cargo.toml`, whose `main` hands them to [`run`] (or
//! [`run_checked`], or [`run_without_fd_leaks`] for examples): they run one
//! after another on the process's only thread.
//!
//! The runner behaves enough like the harness for `cargo test` to work on
//! the whole crate:
//!
//! - `--list` prints `NAME: test` for each test and runs nothing;
//! - the first argument that does not start with `-` is a filter: only the
//!   tests whose names contain it run (or are listed);
//! - each test prints `test NAME ... ok`, and the run ends with
//!   `test result: ok. N passed (one thread, no harness)`, whose fourth
//!   word is the count, where the harness puts it;
//! - a test fails by panicking, which ends the process with a non-zero
//!   status, so `cargo test` fails too.

use std::io::{self, Write};

/// A test: its name and the function that runs it.
pub type Test<'a> = (&'a str, fn());

/// An example: its name and its `main`.
pub type Example<'a> = (&'a str, fn() -> io::Result<()>);

/// Runs `tests` one after another on the calling thread, as described in
/// the [module documentation](self).
pub fn run(tests: &[Test<'_>]) {
    run_checked(tests, || {});
}

/// Like [`run`], with `before_each` called before each test that runs, for
/// a check every test needs (such as [`assert_one_thread`]).
pub fn run_checked(tests: &[Test<'_>], before_each: impl Fn()) {
    run_named(
        tests,
        |&(name, _)| name.to_owned(),
        |&(_, test)| {
            before_each();
            test();
        },
    );
}

/// Runs each example's `main` under [`assert_no_fd_leaks`], as a test named
/// `NAME_closes_everything`: the example must succeed and close every file
/// descriptor it opens.
///
/// [`assert_no_fd_leaks`]: crate::assert_no_fd_leaks
pub fn run_without_fd_leaks(examples: &[Example<'_>]) {
    run_named(
        examples,
        |&(name, _)| format!("{name}_closes_everything"),
        |&(name, example)| {
            // The example's own output is not what this test is about.
            crate::assert_no_fd_leaks(example).unwrap_or_else(|err| panic!("{name} failed: {err}"));
        },
    );
}

/// How many threads this process has (the `Threads:` line of
/// `/proc/self/status`).
pub fn threads() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("reading /proc/self/status");
    let line = status
        .lines()
        .find(|line| line.starts_with("Threads:"))
        .expect("/proc/self/status has a Threads: line");
    line["Threads:".len()..]
        .trim()
        .parse()
        .expect("the thread count is a number")
}

/// Panics unless the calling thread is the process's only thread.
pub fn assert_one_thread() {
    assert_eq!(threads(), 1, "these tests need the process to themselves");
}

/// The runner behind the public functions: `name` names a test, `run_one`
/// runs it.
fn run_named<T>(tests: &[T], name: impl Fn(&T) -> String, run_one: impl Fn(&T)) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    run_with_args(&args, &mut io::stdout(), tests, name, run_one).expect("writing to stdout");
}

/// The runner itself, given the command-line arguments (without the
/// program's name) and where to print.
fn run_with_args<T>(
    args: &[String],
    out: &mut impl Write,
    tests: &[T],
    name: impl Fn(&T) -> String,
    run_one: impl Fn(&T),
) -> io::Result<()> {
    let listing = args.iter().any(|arg| arg == "--list");
    let filter = args.iter().find(|arg| !arg.starts_with('-'));
    let mut passed = 0;
    for test in tests {
        let name = name(test);
        if filter.is_some_and(|filter| !name.contains(filter.as_str())) {
            continue;
        }
        if listing {
            writeln!(out, "{name}: test")?;
            continue;
        }
        write!(out, "test {name} ... ")?;
        // Shown before the test runs, so a test that panics is named.
        out.flush()?;
        run_one(test);
        writeln!(out, "ok")?;
        passed += 1;
    }
    if !listing {
        writeln!(
            out,
            "\ntest result: ok. {passed} passed (one thread, no harness)"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    const NAMES: [&str; 3] = ["reads_a_pipe", "reads_a_socket", "writes_a_pipe"];

    /// Runs the runner on three tests that note their names in `ran`;
    /// returns what it printed.
    fn run_three(args: &[&str], ran: &RefCell<Vec<String>>) -> String {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        let mut out = Vec::new();
        run_with_args(
            &args,
            &mut out,
            &NAMES,
            |name| name.to_string(),
            |name| ran.borrow_mut().push(name.to_string()),
        )
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn runs_every_test_and_counts_them() {
        let ran = RefCell::new(Vec::new());
        let out = run_three(&[], &ran);
        assert_eq!(*ran.borrow(), NAMES);
        assert_eq!(
            out,
            "test reads_a_pipe ... ok\n\
             test reads_a_socket ... ok\n\
             test writes_a_pipe ... ok\n\
             \n\
             test result: ok. 3 passed (one thread, no harness)\n"
        );
        // `.ci/run` sums the fourth word of `test result:` lines.
        let summary = out.lines().last().unwrap();
        assert_eq!(summary.split_whitespace().nth(3), Some("3"));
    }

    #[test]
    fn a_filter_picks_tests_by_part_of_their_name() {
        let ran = RefCell::new(Vec::new());
        let out = run_three(&["--nocapture", "pipe"], &ran);
        assert_eq!(*ran.borrow(), ["reads_a_pipe", "writes_a_pipe"]);
        assert!(out.ends_with("test result: ok. 2 passed (one thread, no harness)\n"));
    }

    #[test]
    fn list_names_the_tests_and_runs_none() {
        let ran = RefCell::new(Vec::new());
        let out = run_three(&["--list"], &ran);
        assert!(ran.borrow().is_empty());
        assert_eq!(
            out,
            "reads_a_pipe: test\nreads_a_socket: test\nwrites_a_pipe: test\n"
        );
        let out = run_three(&["--list", "socket"], &ran);
        assert!(ran.borrow().is_empty());
        assert_eq!(out, "reads_a_socket: test\n");
    }

    #[test]
    fn a_failing_test_stops_the_run_before_the_summary() {
        let mut out = Vec::new();
        let result = catch_unwind(AssertUnwindSafe(|| {
            run_with_args(
                &[],
                &mut out,
                &NAMES,
                |name| name.to_string(),
                |name| assert_ne!(*name, "reads_a_socket", "it fails"),
            )
        }));
        assert!(result.is_err(), "the panic goes on, to end the process");
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out, "test reads_a_pipe ... ok\ntest reads_a_socket ... ",
            "the failing test is named, and no result line claims success"
        );
    }

    #[test]
    fn this_test_binary_has_several_threads() {
        // The harness's threads (and this test's own) are what a binary
        // without the harness gets rid of.
        let other = std::thread::spawn(threads);
        assert!(other.join().unwrap() >= 2);
        let checked = std::thread::spawn(assert_one_thread).join();
        assert!(checked.is_err(), "assert_one_thread panicked");
    }
}
