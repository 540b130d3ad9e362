//! The syscall traces the pages show are those of the programs as they are
//! now: each program is built, run under strace and its trace made again,
//! and the committed file must be the same. After an intended change,
//! `cargo run -p traces` writes them anew.
//!
//! Without strace (or on another architecture than x86_64, whose calls the
//! traces show) the comparison is skipped, and says so.

use std::fs;
use std::path::Path;
use traces::{Checked, TRACES};

#[test]
fn every_trace_matches_a_fresh_run_of_its_program() {
    if !cfg!(target_arch = "x86_64") {
        eprintln!("skipped: the traces are of x86_64 system calls");
        return;
    }
    let Some(version) = traces::strace_version().expect("running strace -V") else {
        eprintln!("skipped: strace is not installed, so the traces are not checked");
        return;
    };
    let root = traces::workspace_root();
    let mut stale = Vec::new();
    for trace in TRACES {
        let name = trace.program.name();
        match traces::check(&root, trace, &version)
            .unwrap_or_else(|e| panic!("tracing {name}: {e}"))
        {
            Checked::Same => {}
            Checked::OtherStrace { file, installed } => eprintln!(
                "skipped: the trace of {name} was made with strace {file}, this is strace {installed}"
            ),
            Checked::Stale { committed, fresh } => stale.push(format!(
                "trace of {name} is stale: run `cargo run -p traces`\n({}; {})",
                trace.file().display(),
                traces::first_difference(&committed, &fresh)
            )),
        }
    }
    assert!(stale.is_empty(), "{}", stale.join("\n"));
}

#[test]
fn every_trace_file_is_made_by_the_generator_and_shown_by_its_page() {
    let root = traces::workspace_root();
    // Every file in a chapter's traces/ is one the generator makes...
    let mut files = Vec::new();
    for chapter in fs::read_dir(root.join("chapters")).expect("listing chapters/") {
        let dir = chapter.expect("a directory entry").path().join("traces");
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            files.push(
                path.strip_prefix(&root)
                    .expect("under the root")
                    .to_path_buf(),
            );
        }
    }
    files.sort();
    let mut made: Vec<_> = TRACES.iter().map(|t| t.file()).collect();
    made.sort();
    assert_eq!(files, made, "chapters/*/traces/ and traces::TRACES differ");

    // ...and its chapter's page includes it.
    for trace in TRACES {
        let page = root.join("src").join(format!("{}.md", trace.package));
        let text =
            fs::read_to_string(&page).unwrap_or_else(|e| panic!("reading {}: {e}", page.display()));
        let include = format!("{{{{#include ../{}}}}}", Path::new(&trace.file()).display());
        assert!(
            text.contains(&include),
            "{} does not show its trace: no {include}",
            page.display()
        );
    }
}
