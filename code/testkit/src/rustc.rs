//! Checking that code the book says does not compile really does not.
//!
//! skeptic cannot test `compile_fail` snippets, so such code lives in a file
//! of its own (the page includes it by anchor) and a test compiles it with
//! `rustc` and looks for the expected error code.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Compiles `file` as a library with no dependencies and asserts that rustc
/// rejects it with error `code` (such as `"E0793"`).
pub fn assert_compile_error(file: &Path, code: &str) {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let out_dir = std::env::temp_dir().join(format!(
        "epoll-book-rustc-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&out_dir).expect("creating a scratch directory");
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc)
        .args([
            "--edition",
            "2024",
            "--crate-type",
            "lib",
            "--emit",
            "metadata",
        ])
        .arg("--out-dir")
        .arg(&out_dir)
        .arg(file)
        .output()
        .expect("running rustc");
    let _ = std::fs::remove_dir_all(&out_dir);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !output.status.success(),
        "{} compiled, but the book says it does not",
        file.display()
    );
    assert!(
        stderr.contains(&format!("error[{code}]")),
        "{} failed to compile, but not with {code}:\n{stderr}",
        file.display()
    );
}
