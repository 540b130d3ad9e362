//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. Every test runs under `assert_no_fd_leaks`, with its
//! assertions inside the checked closure: the solutions close every fd they
//! open, and a failing assertion reports itself while no other test is
//! counting fds.

use ch02_interest_and_ready_lists::solutions::{
    Handled, duplicate_in_one_instance, handle_batch, wait_and_read_until_quiet,
};
use std::collections::BTreeSet;
use testkit::assert_no_fd_leaks;

#[test]
fn exercise_1_a_duplicate_is_a_second_entry_that_outlives_the_original() {
    assert_no_fd_leaks(|| {
        let seen = duplicate_in_one_instance().unwrap();
        assert_eq!(seen.entries, 2);
        assert_eq!(seen.both_open, [1, 2]);
        assert_eq!(seen.original_closed, [1, 2]);
        assert_eq!(seen.duplicate_deleted, [1]);
        assert_eq!(seen.entries_at_the_end, 0);
    });
}

/// One byte read from the connection called `name`.
fn read_one(name: &'static str) -> Handled {
    Handled::Read { name, bytes: 1 }
}

#[test]
fn exercise_2_a_stale_event_finds_nothing_or_the_wrong_connection_unless_skipped() {
    use Handled::{NoConnection, Skipped, WouldBlock};
    assert_no_fd_leaks(|| {
        // b's event is still in the batch after a closed b: an empty slot.
        let empty_slot = handle_batch(false, false).unwrap();
        assert_eq!(
            empty_slot,
            [read_one("a"), NoConnection { token: 1 }, read_one("c")]
        );
        // ... or d, which got b's key, if d arrived in between.
        let wrong_conn = handle_batch(true, false).unwrap();
        assert_eq!(
            wrong_conn,
            [read_one("a"), WouldBlock { name: "d" }, read_one("c")]
        );
        // Remembering what the batch closed skips it either way.
        for accept_between in [false, true] {
            let fixed = handle_batch(accept_between, true).unwrap();
            assert_eq!(fixed, [read_one("a"), Skipped { token: 1 }, read_one("c")]);
        }
    });
}

#[test]
fn exercise_3_reading_what_comes_back_empties_the_ready_list() {
    assert_no_fd_leaks(|| {
        let calls = wait_and_read_until_quiet(5, 2).unwrap();
        let sizes: Vec<usize> = calls.iter().map(Vec::len).collect();
        assert_eq!(sizes, [2, 2, 1, 0]);
        // Every pipe exactly once.
        let all: Vec<u64> = calls.concat();
        let distinct: BTreeSet<u64> = all.iter().copied().collect();
        assert_eq!(all.len(), 5);
        assert_eq!(distinct, (0..5).collect());
    });
}
