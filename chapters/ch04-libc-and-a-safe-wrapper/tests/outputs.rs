//! The output the chapter page shows is what the examples print: each
//! `output/<example>.txt` is compared with a fresh run of `<example>`.
//! `EPOLL_BOOK_BLESS=1 cargo test` regenerates the files.
//!
//! `hand_written_vs_libc` compares the struct layouts, which differ between
//! libc and the kernel on 32-bit x86 only; nothing else printed depends on
//! the architecture.

#[cfg(not(target_arch = "x86"))]
#[test]
fn example_output_matches_the_book() {
    testkit::assert_example_outputs(env!("CARGO_MANIFEST_DIR"));
}

/// Moving chapter 1's first program to libc changed its types, not what it
/// does: it prints exactly what chapter 1's version prints.
#[test]
fn first_program_libc_prints_what_chapter_1s_first_program_prints() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ours = std::fs::read_to_string(dir.join("output/first_program_libc.txt")).unwrap();
    let chapter_1 =
        std::fs::read_to_string(dir.join("../ch01-raw-syscalls/output/first_program.txt")).unwrap();
    assert_eq!(ours, chapter_1);
}
