//! Every example closes every file descriptor it opens. Each runs here, in
//! this process, between two looks at /proc/self/fd. All tests in this
//! binary go through `assert_no_fd_leaks`, which runs them one at a time.

#[path = "../examples/children_in_a_loop.rs"]
mod children_in_a_loop;
#[path = "../examples/cloexec_audit.rs"]
mod cloexec_audit;
#[path = "../examples/closed_but_still_registered.rs"]
mod closed_but_still_registered;
#[path = "../examples/double_close.rs"]
mod double_close;
#[path = "../examples/watch_a_child.rs"]
mod watch_a_child;

use testkit::assert_no_fd_leaks;

#[test]
fn double_close_closes_everything() {
    assert_no_fd_leaks(double_close::main).unwrap();
}

#[test]
fn closed_but_still_registered_closes_everything() {
    assert_no_fd_leaks(closed_but_still_registered::main).unwrap();
}

#[test]
fn watch_a_child_closes_everything() {
    assert_no_fd_leaks(watch_a_child::main).unwrap();
}

#[test]
fn cloexec_audit_closes_everything() {
    assert_no_fd_leaks(cloexec_audit::main).unwrap();
}

#[test]
fn children_in_a_loop_closes_everything() {
    assert_no_fd_leaks(children_in_a_loop::main).unwrap();
}
