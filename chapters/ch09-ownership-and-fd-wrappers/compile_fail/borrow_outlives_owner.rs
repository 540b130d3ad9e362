//! Does not compile, on purpose: `tests/borrow_checker.rs` checks that
//! rustc rejects it with E0505, as chapter 9 says.

use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

// ANCHOR: borrow_outlives_owner
pub fn number_after_close(file: File) -> i32 {
    let borrowed: BorrowedFd<'_> = file.as_fd();
    drop(file); // error[E0505]: cannot move out of `file` because it is borrowed
    borrowed.as_raw_fd()
}
// ANCHOR_END: borrow_outlives_owner
