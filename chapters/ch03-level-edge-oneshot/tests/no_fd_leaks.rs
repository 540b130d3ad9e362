//! Every example closes every file descriptor it opens. Each runs here, in
//! this process, between two looks at /proc/self/fd. All tests in this
//! binary go through `assert_no_fd_leaks`, which runs them one at a time.

#[path = "../examples/edge_triggered.rs"]
mod edge_triggered;
// The experiment's helpers are used by tests/exclusive.rs, not here.
#[allow(dead_code)]
#[path = "../examples/exclusive_wakeups.rs"]
mod exclusive_wakeups;
#[path = "../examples/half_close.rs"]
mod half_close;
#[path = "../examples/level_triggered.rs"]
mod level_triggered;
#[path = "../examples/mod_rechecks.rs"]
mod mod_rechecks;
#[path = "../examples/one_shot.rs"]
mod one_shot;
// The experiment's helpers are used by tests/starvation.rs, not here.
#[allow(dead_code)]
#[path = "../examples/starvation.rs"]
mod starvation;
#[path = "../examples/three_modes.rs"]
mod three_modes;

use testkit::assert_no_fd_leaks;

#[test]
fn level_triggered_closes_everything() {
    assert_no_fd_leaks(level_triggered::main).unwrap();
}

#[test]
fn edge_triggered_closes_everything() {
    assert_no_fd_leaks(edge_triggered::main).unwrap();
}

#[test]
fn mod_rechecks_closes_everything() {
    assert_no_fd_leaks(mod_rechecks::main).unwrap();
}

#[test]
fn one_shot_closes_everything() {
    assert_no_fd_leaks(one_shot::main).unwrap();
}

#[test]
fn three_modes_closes_everything() {
    assert_no_fd_leaks(three_modes::main).unwrap();
}

#[test]
fn half_close_closes_everything() {
    assert_no_fd_leaks(half_close::main).unwrap();
}

#[test]
fn exclusive_wakeups_closes_everything() {
    assert_no_fd_leaks(exclusive_wakeups::main).unwrap();
}

#[test]
fn starvation_closes_everything() {
    assert_no_fd_leaks(starvation::main).unwrap();
}
