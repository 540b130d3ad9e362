//! The output the chapter page shows is what the examples print: each
//! `output/<example>.txt` is compared with a fresh run of `<example>`, as a
//! program of its own (which is the only way `fork_shares_the_instance` may
//! run: it forks, so it must be single-threaded).
//! `EPOLL_BOOK_BLESS=1 cargo test` regenerates the files.

#[test]
fn example_output_matches_the_book() {
    testkit::assert_example_outputs(env!("CARGO_MANIFEST_DIR"));
}
