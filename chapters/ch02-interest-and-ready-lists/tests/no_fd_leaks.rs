//! Every example closes every file descriptor it opens. Each runs here, in
//! this process, between two looks at /proc/self/fd. All tests in this
//! binary go through `assert_no_fd_leaks`, which runs them one at a time.

#[path = "../examples/ctl_errors.rs"]
mod ctl_errors;
#[path = "../examples/hangup_and_error.rs"]
mod hangup_and_error;
#[path = "../examples/interest_list.rs"]
mod interest_list;
// The example's signal helpers are used by tests/eintr.rs, not here.
#[allow(dead_code)]
#[path = "../examples/interrupted_wait.rs"]
mod interrupted_wait;
#[path = "../examples/round_robin.rs"]
mod round_robin;
#[path = "../examples/token_table.rs"]
mod token_table;
#[path = "../examples/uppercase_server.rs"]
mod uppercase_server;

use testkit::assert_no_fd_leaks;

#[test]
fn interest_list_closes_everything() {
    assert_no_fd_leaks(interest_list::main).unwrap();
}

#[test]
fn token_table_closes_everything() {
    assert_no_fd_leaks(token_table::main).unwrap();
}

#[test]
fn round_robin_closes_everything() {
    assert_no_fd_leaks(round_robin::main).unwrap();
}

#[test]
fn hangup_and_error_closes_everything() {
    assert_no_fd_leaks(hangup_and_error::main).unwrap();
}

#[test]
fn ctl_errors_closes_everything() {
    assert_no_fd_leaks(ctl_errors::main).unwrap();
}

#[test]
fn interrupted_wait_closes_everything() {
    assert_no_fd_leaks(interrupted_wait::main).unwrap();
}

#[test]
fn uppercase_server_closes_everything() {
    assert_no_fd_leaks(uppercase_server::main).unwrap();
}
