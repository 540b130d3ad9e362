//! The output the chapter page shows is what the examples print: each
//! `output/<example>.txt` is compared with a fresh run of `<example>`.
//! `EPOLL_BOOK_BLESS=1 cargo test` regenerates the files.
//!
//! The examples print counts of system calls and events, never times, and
//! every count is fixed by the order in which they do things, so the
//! comparison runs everywhere.

#[test]
fn example_output_matches_the_book() {
    testkit::assert_example_outputs(env!("CARGO_MANIFEST_DIR"));
}
