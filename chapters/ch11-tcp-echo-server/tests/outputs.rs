//! The session the chapter page shows is what `echo_client` prints: its
//! `output/echo_client.txt` is compared with a fresh run.
//! `EPOLL_BOOK_BLESS=1 cargo test` regenerates the file.
//!
//! The example prints facts (what came back, counters), never ports or
//! timings, so the comparison runs everywhere.

#[test]
fn example_output_matches_the_book() {
    testkit::assert_example_outputs(env!("CARGO_MANIFEST_DIR"));
}
