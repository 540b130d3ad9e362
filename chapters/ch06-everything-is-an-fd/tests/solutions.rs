//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. Every test runs under `assert_no_fd_leaks`, with its
//! assertions inside the checked closure: the solutions close every fd they
//! open, and a failing assertion reports itself while no other test is
//! counting fds.
//!
//! No test here waits for a signal sent to the process: the one that
//! blocks signals does it on a thread of its own and signals only its
//! child, so the harness's threads are no trouble.

use ch06_everything_is_an_fd::TempDir;
use ch06_everything_is_an_fd::solutions::{
    TreeWatch, first_read_after_a_start_in_the_past, plain_spawn_under_a_signal_fd,
    reap_with_pidfds,
};
use std::fs::{self, File};
use std::path::PathBuf;
use testkit::assert_no_fd_leaks;

#[test]
fn exercise_1_a_plain_child_inherits_the_mask_and_only_unblocked_signals_end_it() {
    assert_no_fd_leaks(|| {
        for (finish, ended_by) in [
            (libc::SIGTERM, libc::SIGTERM),
            (libc::SIGKILL, libc::SIGKILL),
        ] {
            let seen = plain_spawn_under_a_signal_fd(finish).unwrap();
            assert!(seen.child_blocks_usr1, "{seen:?}");
            assert!(seen.usr1_pending, "{seen:?}");
            // Ended by what came second: the SIGUSR1 never acted.
            assert_eq!(seen.ended_by, Some(ended_by), "{seen:?}");
        }
    });
}

#[test]
fn exercise_2_pidfds_reap_every_child_without_a_signal_fd() {
    assert_no_fd_leaks(|| {
        let reaped =
            reap_with_pidfds(&["sleep 0.05; exit 0", "sleep 0.1; exit 1", "exit 2"]).unwrap();
        let codes: Vec<(usize, Option<i32>)> = reaped
            .iter()
            .map(|(index, status)| (*index, status.code()))
            .collect();
        assert_eq!(codes, [(0, Some(0)), (1, Some(1)), (2, Some(2))]);
    });
}

#[test]
fn exercise_3_a_recursive_watch_reports_every_path_once() {
    assert_no_fd_leaks(|| {
        let root = TempDir::new("tree").unwrap();
        let mut watch = TreeWatch::new(root.path()).unwrap();
        // Made before `a` has a watch: only a listing can find them.
        fs::create_dir_all(root.join("a/b")).unwrap();
        File::create(root.join("a/early.txt")).unwrap();
        let mut all: Vec<PathBuf> = watch
            .process(|dir| {
                // Made after the watch, before the listing: in both.
                if dir.ends_with("a") {
                    File::create(dir.join("between.txt")).unwrap();
                }
            })
            .unwrap();
        // Made with every watch in place: only events report them.
        File::create(root.join("a/late.txt")).unwrap();
        File::create(root.join("a/b/late.txt")).unwrap();
        all.extend(watch.process(|_| {}).unwrap());

        let mut expected: Vec<PathBuf> = [
            "a",
            "a/b",
            "a/early.txt",
            "a/between.txt",
            "a/late.txt",
            "a/b/late.txt",
        ]
        .iter()
        .map(|name| root.join(name))
        .collect();
        all.sort();
        expected.sort();
        assert_eq!(all, expected, "every path, each once");
        drop(watch);
    });
}

#[test]
fn exercise_4_a_start_in_the_past_counts_every_period_since() {
    assert_no_fd_leaks(|| {
        assert_eq!(first_read_after_a_start_in_the_past().unwrap(), 5);
    });
}
