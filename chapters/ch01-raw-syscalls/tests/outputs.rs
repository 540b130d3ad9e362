//! The output the chapter page shows is what the examples print: each
//! `output/<example>.txt` is compared with a fresh run of `<example>`.
//! `EPOLL_BOOK_BLESS=1 cargo test` regenerates the files.
//!
//! The files were generated on x86_64, and `unpacked_layout` prints
//! something else on other architectures, so the comparison runs there only.

#[cfg(target_arch = "x86_64")]
#[test]
fn example_output_matches_the_book() {
    testkit::assert_example_outputs(env!("CARGO_MANIFEST_DIR"));
}
