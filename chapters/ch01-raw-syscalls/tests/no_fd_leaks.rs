//! Every example closes every file descriptor it opens. Each runs here, in
//! this process, between two looks at /proc/self/fd. All tests in this
//! binary go through `assert_no_fd_leaks`, which runs them one at a time.

#[path = "../examples/errors.rs"]
mod errors;
#[path = "../examples/first_program.rs"]
mod first_program;
#[path = "../examples/timeout_contract.rs"]
mod timeout_contract;
#[path = "../examples/unpacked_layout.rs"]
mod unpacked_layout;

use testkit::assert_no_fd_leaks;

#[test]
fn first_program_closes_everything() {
    assert_no_fd_leaks(first_program::main).unwrap();
}

#[test]
fn timeout_contract_closes_everything() {
    assert_no_fd_leaks(timeout_contract::main).unwrap();
}

#[test]
fn errors_closes_everything() {
    assert_no_fd_leaks(errors::main).unwrap();
}

#[test]
fn unpacked_layout_closes_everything() {
    assert_no_fd_leaks(unpacked_layout::main).unwrap();
}
