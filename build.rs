//! Hands every Markdown page under `src/` to skeptic, which turns each
//! `rust` code block into a test in `$OUT_DIR/skeptic-tests.rs`.

use std::path::{Path, PathBuf};

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            markdown_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "md") {
            out.push(path);
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=src");
    let mut pages = Vec::new();
    markdown_files(Path::new("src"), &mut pages);
    for page in &pages {
        println!("cargo:rerun-if-changed={}", page.display());
    }
    let pages: Vec<String> = pages
        .iter()
        .map(|p| p.to_str().expect("UTF-8 path").to_owned())
        .collect();
    skeptic::generate_doc_tests(&pages);
}
