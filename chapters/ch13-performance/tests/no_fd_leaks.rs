//! Every example closes every file descriptor it opens. Each runs here, in
//! this process, between two looks at /proc/self/fd. All tests in this
//! binary go through `assert_no_fd_leaks`, which runs them one at a time.

#[path = "../examples/batching.rs"]
mod batching;
#[path = "../examples/extra_read.rs"]
mod extra_read;
#[path = "../examples/poll_scans_every_entry.rs"]
mod poll_scans_every_entry;

use testkit::assert_no_fd_leaks;

#[test]
fn extra_read_closes_everything() {
    assert_no_fd_leaks(extra_read::main).unwrap();
}

#[test]
fn batching_closes_everything() {
    assert_no_fd_leaks(batching::main).unwrap();
}

#[test]
fn poll_scans_every_entry_closes_everything() {
    assert_no_fd_leaks(poll_scans_every_entry::main).unwrap();
}
