//! A `BorrowedFd` cannot outlive the owner it was borrowed from. skeptic
//! cannot run a `compile_fail` snippet, so the code lives in
//! `compile_fail/borrow_outlives_owner.rs` and this test compiles it.

#[test]
fn a_borrowed_fd_cannot_outlive_its_owner() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("compile_fail/borrow_outlives_owner.rs");
    testkit::rustc::assert_compile_error(&file, "E0505");
}
