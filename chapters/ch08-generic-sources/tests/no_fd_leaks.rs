//! Every example closes every file descriptor it opens. Each runs here, in
//! this process, between two looks at /proc/self/fd. All tests in this
//! binary go through `assert_no_fd_leaks`, which runs them one at a time.

#[path = "../examples/callbacks_change_the_loop.rs"]
mod callbacks_change_the_loop;
#[path = "../examples/drop_deregisters.rs"]
mod drop_deregisters;
#[path = "../examples/generic_modes.rs"]
mod generic_modes;
#[path = "../examples/loop_errors.rs"]
mod loop_errors;
#[path = "../examples/own_error_type.rs"]
mod own_error_type;
#[path = "../examples/stop_from_another_thread.rs"]
mod stop_from_another_thread;
#[path = "../examples/swapped_fd.rs"]
mod swapped_fd;
#[path = "../examples/three_sources.rs"]
mod three_sources;

use testkit::assert_no_fd_leaks;

#[test]
fn three_sources_closes_everything() {
    assert_no_fd_leaks(three_sources::main).unwrap();
}

#[test]
fn generic_modes_closes_everything() {
    assert_no_fd_leaks(generic_modes::main).unwrap();
}

#[test]
fn own_error_type_closes_everything() {
    assert_no_fd_leaks(own_error_type::main).unwrap();
}

#[test]
fn drop_deregisters_closes_everything() {
    assert_no_fd_leaks(drop_deregisters::main).unwrap();
}

#[test]
fn swapped_fd_closes_everything() {
    assert_no_fd_leaks(swapped_fd::main).unwrap();
}

#[test]
fn callbacks_change_the_loop_closes_everything() {
    assert_no_fd_leaks(callbacks_change_the_loop::main).unwrap();
}

#[test]
fn stop_from_another_thread_closes_everything() {
    assert_no_fd_leaks(stop_from_another_thread::main).unwrap();
}

#[test]
fn loop_errors_closes_everything() {
    assert_no_fd_leaks(loop_errors::main).unwrap();
}
