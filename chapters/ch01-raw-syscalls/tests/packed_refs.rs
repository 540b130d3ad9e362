//! The page says that Rust refuses references to fields of a packed struct.
//! skeptic cannot run a `compile_fail` snippet, so the code lives in a file
//! of its own and this test compiles it.

#[test]
fn a_reference_to_a_packed_field_does_not_compile() {
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("compile_fail/packed_field_ref.rs");
    testkit::rustc::assert_compile_error(&file, "E0793");
}
