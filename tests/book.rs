//! Book-wide consistency checks: the seams between the Markdown pages, the
//! chapter crates and the tools that build and test them.
//!
//! mdBook exits 0 when an included file is missing and renders an empty
//! block for a missing anchor, and skeptic compiles whatever sits in a `rust`
//! fence; these tests catch what neither tool reports.

use cargo_metadata::{Metadata, MetadataCommand, Package};
use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Every Markdown file under `src/`, sorted.
fn pages() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in fs::read_dir(dir).expect("listing src/") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("src"), &mut out);
    out.sort();
    out
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn rel(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// One code block of a page.
struct Fence {
    line: usize,
    /// `None` for an indented block.
    info: Option<String>,
    body: String,
}

fn fences(text: &str) -> Vec<Fence> {
    let mut out = Vec::new();
    let mut current: Option<Fence> = None;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                current = Some(Fence {
                    line: line_of(text, range.start),
                    info: match kind {
                        CodeBlockKind::Fenced(info) => Some(info.to_string()),
                        CodeBlockKind::Indented => None,
                    },
                    body: String::new(),
                });
            }
            Event::Text(t) => {
                if let Some(fence) = current.as_mut() {
                    fence.body.push_str(&t);
                }
            }
            Event::End(Tag::CodeBlock(_)) => out.extend(current.take()),
            _ => {}
        }
    }
    out
}

/// One `{{#include ...}}` or `{{#rustdoc_include ...}}` directive.
#[derive(Debug)]
struct Include {
    page: PathBuf,
    line: usize,
    /// The file, resolved against the page's directory.
    file: PathBuf,
    /// What follows the path: an anchor name, or line numbers.
    selector: Option<String>,
}

/// The include directives in `text`, skipping escaped ones (`\{{#...}}`).
fn includes_in(page: &Path, text: &str) -> Vec<Include> {
    let mut out = Vec::new();
    for directive in ["{{#include ", "{{#rustdoc_include "] {
        for (at, _) in text.match_indices(directive) {
            if text[..at].ends_with('\\') {
                continue;
            }
            let rest = &text[at + directive.len()..];
            let end = rest
                .find("}}")
                .expect("an include directive is closed with }}");
            let target = rest[..end].trim();
            let (path, selector) = match target.split_once(':') {
                Some((path, selector)) => (path, Some(selector.to_owned())),
                None => (target, None),
            };
            out.push(Include {
                page: page.to_owned(),
                line: line_of(text, at),
                file: page.parent().expect("a page has a directory").join(path),
                selector,
            });
        }
    }
    out
}

fn all_includes() -> Vec<Include> {
    pages()
        .iter()
        .flat_map(|page| includes_in(page, &read(page)))
        .collect()
}

/// The lines between `ANCHOR: name` and `ANCHOR_END: name`, without any
/// anchor lines (which mdBook removes), or `None` if either marker is
/// missing.
fn anchor_body(file_text: &str, name: &str) -> Option<String> {
    let is_marker = |line: &str, marker: &str| {
        line.split_once(marker)
            .is_some_and(|(_, rest)| rest.trim() == name)
    };
    let mut lines = file_text.lines();
    lines.by_ref().find(|line| is_marker(line, "ANCHOR:"))?;
    let mut body = Vec::new();
    for line in lines {
        if is_marker(line, "ANCHOR_END:") {
            return Some(body.join("\n"));
        }
        if !line.contains("ANCHOR:") && !line.contains("ANCHOR_END:") {
            body.push(line);
        }
    }
    None
}

#[test]
fn every_include_names_an_existing_file_and_a_non_empty_anchor() {
    let mut problems = Vec::new();
    let includes = all_includes();
    assert!(
        !includes.is_empty(),
        "the book includes nothing: the scan is broken"
    );
    for inc in &includes {
        let place = format!("{}:{}", rel(&inc.page), inc.line);
        let Ok(text) = fs::read_to_string(&inc.file) else {
            problems.push(format!("{place}: no such file {}", inc.file.display()));
            continue;
        };
        match inc.selector.as_deref() {
            None => {
                if text.trim().is_empty() {
                    problems.push(format!("{place}: {} is empty", inc.file.display()));
                }
            }
            Some(sel)
                if sel
                    .split(':')
                    .all(|n| n.is_empty() || n.parse::<usize>().is_ok()) =>
            {
                let count = text.lines().count();
                for n in sel.split(':').filter_map(|n| n.parse::<usize>().ok()) {
                    if n == 0 || n > count {
                        problems.push(format!(
                            "{place}: line {n} is outside {} ({count} lines)",
                            inc.file.display()
                        ));
                    }
                }
            }
            Some(anchor) => match anchor_body(&text, anchor) {
                None => problems.push(format!(
                    "{place}: anchor `{anchor}` is not opened and closed in {}",
                    inc.file.display()
                )),
                Some(body) if body.trim().is_empty() => {
                    problems.push(format!("{place}: anchor `{anchor}` is empty"))
                }
                Some(_) => {}
            },
        }
    }
    assert!(
        problems.is_empty(),
        "broken includes:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_anchor_reader_sees_missing_and_empty_anchors() {
    let text = "a\n// ANCHOR: full\nx\n// ANCHOR: inner\ny\n// ANCHOR_END: inner\n// ANCHOR_END: full\n// ANCHOR: empty\n// ANCHOR_END: empty\n// ANCHOR: open\n";
    assert_eq!(anchor_body(text, "full").as_deref(), Some("x\ny"));
    assert_eq!(anchor_body(text, "inner").as_deref(), Some("y"));
    assert_eq!(anchor_body(text, "empty").as_deref(), Some(""));
    assert_eq!(anchor_body(text, "open"), None);
    assert_eq!(anchor_body(text, "missing"), None);
    assert_eq!(anchor_body(text, "ful"), None);
}

/// Whether skeptic turns a fence with this info string into a test: it
/// splits the info string on anything but letters, digits, `_` and `-`, and
/// compiles the block when one of the words is `rust`.
fn skeptic_compiles(info: &str) -> bool {
    info.split(|c: char| !(c == '_' || c == '-' || c.is_alphanumeric()))
        .any(|word| word == "rust")
}

#[test]
fn the_skeptic_rule_is_understood() {
    assert!(skeptic_compiles("rust"));
    assert!(skeptic_compiles("rust,no_run"));
    assert!(skeptic_compiles("rust ignore"));
    assert!(!skeptic_compiles("rs"));
    assert!(!skeptic_compiles("rustc"));
    assert!(!skeptic_compiles("text"));
    assert!(!skeptic_compiles(""));
}

#[test]
fn included_code_never_sits_in_a_fence_skeptic_compiles() {
    let mut problems = Vec::new();
    for page in pages() {
        for fence in fences(&read(&page)) {
            let info = fence.info.as_deref().unwrap_or("");
            let includes =
                fence.body.contains("{{#include") || fence.body.contains("{{#rustdoc_include");
            if includes && skeptic_compiles(info) {
                problems.push(format!(
                    "{}:{}: an include in a `{info}` fence: skeptic would compile the directive; use `rs`",
                    rel(&page),
                    fence.line
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_code_fence_has_an_info_string() {
    let mut problems = Vec::new();
    let mut count = 0;
    for page in pages() {
        for fence in fences(&read(&page)) {
            count += 1;
            match fence.info.as_deref().map(str::trim) {
                None => problems.push(format!(
                    "{}:{}: an indented code block; fence it",
                    rel(&page),
                    fence.line
                )),
                Some("") => problems.push(format!(
                    "{}:{}: a fence without an info string",
                    rel(&page),
                    fence.line
                )),
                Some(_) => {}
            }
        }
    }
    assert!(count > 0, "no code blocks found: the scan is broken");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn markdown_file_stems_are_unique() {
    // skeptic names each test after the page's file stem, so two pages
    // called `intro.md` in different folders would produce clashing tests.
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    for page in pages() {
        let stem = page.file_stem().unwrap().to_string_lossy().into_owned();
        if let Some(first) = seen.insert(stem.clone(), page.clone()) {
            panic!("{} and {} share the stem `{stem}`", rel(&first), rel(&page));
        }
    }
}

/// The page files that SUMMARY.md links to, in order.
fn summary_links() -> Vec<PathBuf> {
    let summary = root().join("src/SUMMARY.md");
    let text = read(&summary);
    let mut out = Vec::new();
    for event in Parser::new(&text) {
        if let Event::Start(Tag::Link(_, dest, _)) = event {
            out.push(root().join("src").join(dest.as_ref()));
        }
    }
    out
}

#[test]
fn summary_entries_have_pages_and_every_page_is_in_the_summary() {
    let links = summary_links();
    assert!(!links.is_empty(), "SUMMARY.md links to nothing");
    for link in &links {
        assert!(
            link.is_file(),
            "SUMMARY.md links to {}, which does not exist",
            rel(link)
        );
    }
    let linked: BTreeSet<&PathBuf> = links.iter().collect();
    // Two pages are not chapters: the summary itself, and src/404.md, which
    // mdBook renders as 404.html (the page a web server shows for an
    // address that has none) and which no reader reaches through the
    // table of contents.
    let not_chapters = [root().join("src/SUMMARY.md"), root().join("src/404.md")];
    for page in pages() {
        if not_chapters.contains(&page) {
            continue;
        }
        assert!(
            linked.contains(&page),
            "{} is not in SUMMARY.md",
            rel(&page)
        );
    }
}

fn metadata() -> &'static Metadata {
    static METADATA: OnceLock<Metadata> = OnceLock::new();
    METADATA.get_or_init(|| {
        MetadataCommand::new()
            .manifest_path(root().join("Cargo.toml"))
            .no_deps()
            .exec()
            .expect("running cargo metadata")
    })
}

fn workspace_package(name: &str) -> Option<&'static Package> {
    metadata()
        .workspace_packages()
        .into_iter()
        .find(|p| p.name == name)
}

fn is_chapter_stem(stem: &str) -> bool {
    let b = stem.as_bytes();
    b.len() > 5
        && b.starts_with(b"ch")
        && b[2].is_ascii_digit()
        && b[3].is_ascii_digit()
        && b[4] == b'-'
}

/// `chNN-slug` for every chapter page in the summary.
fn chapter_pages() -> BTreeSet<String> {
    summary_links()
        .iter()
        .filter_map(|p| p.file_stem()?.to_str().map(str::to_owned))
        .filter(|stem| is_chapter_stem(stem))
        .collect()
}

#[test]
fn chapter_pages_and_chapter_crates_match_one_to_one() {
    let pages = chapter_pages();
    assert!(!pages.is_empty(), "no chapter pages found");
    let mut crates = BTreeSet::new();
    for entry in fs::read_dir(root().join("chapters")).expect("listing chapters/") {
        let entry = entry.expect("directory entry");
        if entry.path().is_dir() {
            crates.insert(entry.file_name().to_string_lossy().into_owned());
        }
    }
    for dir in &crates {
        assert!(
            is_chapter_stem(dir),
            "chapters/{dir} is not named chNN-slug"
        );
        let package = workspace_package(dir)
            .unwrap_or_else(|| panic!("chapters/{dir} holds no workspace package named `{dir}`"));
        assert_eq!(
            package.manifest_path.parent().unwrap().as_std_path(),
            root().join("chapters").join(dir),
            "package `{dir}` lives in the wrong directory"
        );
    }
    let missing_crates: Vec<_> = pages.difference(&crates).collect();
    let missing_pages: Vec<_> = crates.difference(&pages).collect();
    assert!(
        missing_crates.is_empty(),
        "chapter pages without a crate in chapters/: {missing_crates:?}"
    );
    assert!(
        missing_pages.is_empty(),
        "chapter crates without a page in SUMMARY.md: {missing_pages:?}"
    );
}

#[test]
fn every_chapter_page_opens_with_a_run_it_box_naming_its_crate() {
    for stem in chapter_pages() {
        let page = root().join("src").join(format!("{stem}.md"));
        let text = read(&page);
        let first_section = text.find("\n## ").unwrap_or(text.len());
        let opening = &text[..first_section];
        let start = opening
            .find(r#"<div class="run-it">"#)
            .unwrap_or_else(|| panic!("{} has no Run-it box before its first section", rel(&page)));
        let bx = &opening[start
            ..opening[start..]
                .find("</div>")
                .map_or(opening.len(), |e| start + e)];
        assert!(
            bx.contains(&format!("-p {stem} ")),
            "{}: the Run-it box does not name the crate `{stem}`",
            rel(&page)
        );
        assert!(
            bx.contains(&format!("cargo test -p {stem}")),
            "{}: the Run-it box does not say how to test `{stem}`",
            rel(&page)
        );
    }
}

/// Every `cargo ...` command line in the pages and the README, with where it
/// was found.
fn cargo_commands() -> Vec<(String, String)> {
    let mut files = pages();
    files.push(root().join("README.md"));
    let mut out = Vec::new();
    for file in files {
        let text = read(&file);
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(at) = rest.find("cargo ") {
                let command = &rest[at..];
                let end = command
                    .find(['`', '\'', '"', ')', ';', '|', '&'])
                    .unwrap_or(command.len());
                out.push((
                    format!("{}:{}", rel(&file), n + 1),
                    command[..end].trim().to_owned(),
                ));
                rest = &command[end..];
            }
        }
    }
    out
}

/// The value after `flag` in `words`, as in `-p NAME` or `--example NAME`.
fn flag_value<'a>(words: &[&'a str], flags: &[&str]) -> Option<&'a str> {
    words
        .windows(2)
        .find(|pair| flags.contains(&pair[0]))
        .map(|pair| pair[1])
}

#[test]
fn cargo_commands_in_the_text_name_real_crates_and_examples() {
    let commands = cargo_commands();
    assert!(
        commands.iter().any(|(_, c)| c.contains("--example")),
        "no `cargo run --example` found: the scan is broken"
    );
    let mut problems = Vec::new();
    for (place, command) in &commands {
        let words: Vec<&str> = command.split_whitespace().collect();
        let package = flag_value(&words, &["-p", "--package"]);
        let example = flag_value(&words, &["--example"]);
        if let Some(name) = package {
            match workspace_package(name) {
                None => problems.push(format!(
                    "{place}: `{command}`: no crate `{name}` in the workspace"
                )),
                Some(pkg) => {
                    if let Some(example) = example {
                        let found = pkg
                            .targets
                            .iter()
                            .any(|t| t.name == example && t.kind.iter().any(|k| k == "example"));
                        if !found {
                            problems.push(format!(
                                "{place}: `{command}`: `{name}` has no example `{example}`"
                            ));
                        }
                    }
                }
            }
        } else if example.is_some() {
            problems.push(format!(
                "{place}: `{command}`: an --example without -p names no crate"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn shown_output_is_generated_by_an_example_and_compared_by_a_test() {
    let mut included = BTreeSet::new();
    for inc in all_includes() {
        let file = inc.file.canonicalize().unwrap_or(inc.file.clone());
        let Some(dir) = file.parent() else { continue };
        if dir.file_name().is_none_or(|n| n != "output") {
            continue;
        }
        let place = format!("{}:{}", rel(&inc.page), inc.line);
        let crate_dir = dir.parent().expect("output/ lives in a crate");
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        assert!(
            crate_dir
                .join("examples")
                .join(format!("{name}.rs"))
                .is_file(),
            "{place}: {} is not the output of an example `{name}` of its crate",
            rel(&file)
        );
        let outputs_test = crate_dir.join("tests/outputs.rs");
        assert!(
            outputs_test.is_file()
                && read(&outputs_test)
                    .contains("assert_example_outputs(env!(\"CARGO_MANIFEST_DIR\"))"),
            "{place}: {} has no tests/outputs.rs that compares example output",
            rel(crate_dir)
        );
        included.insert(file);
    }
    assert!(
        !included.is_empty(),
        "no page shows example output: the scan is broken"
    );
    // And no output file lies around that no page shows.
    for entry in fs::read_dir(root().join("chapters")).expect("listing chapters/") {
        let output_dir = entry.expect("directory entry").path().join("output");
        let Ok(files) = fs::read_dir(&output_dir) else {
            continue;
        };
        for file in files {
            let file = file
                .expect("directory entry")
                .path()
                .canonicalize()
                .unwrap();
            assert!(
                included.contains(&file),
                "{} is not shown on any page",
                rel(&file)
            );
        }
    }
}

#[test]
fn section_headings_give_snippet_tests_readable_names() {
    // skeptic names a snippet's test after the nearest `#` or `##` heading
    // above it, using only the heading's plain text (not inline code).
    let mut problems = Vec::new();
    for page in pages() {
        let text = read(&page);
        let mut in_heading = false;
        let mut plain = String::new();
        let mut start = 0;
        for (event, range) in Parser::new(&text).into_offset_iter() {
            match event {
                Event::Start(Tag::Heading(level, ..))
                    if level < pulldown_cmark::HeadingLevel::H3 =>
                {
                    in_heading = true;
                    plain.clear();
                    start = range.start;
                }
                Event::Text(t) if in_heading => plain.push_str(&t),
                Event::End(Tag::Heading(level, ..)) if level < pulldown_cmark::HeadingLevel::H3 => {
                    in_heading = false;
                    if !plain.chars().any(char::is_alphanumeric) {
                        problems.push(format!(
                            "{}:{}: a heading with no plain words",
                            rel(&page),
                            line_of(&text, start)
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The crates a snippet may use and still run on the Rust playground, which
/// has the standard library and the most used crates of crates.io, `libc`
/// among them, but none of the book's own.
const PLAYGROUND_CRATES: &[&str] = &["std", "core", "alloc", "libc"];

/// The crates the root package links snippets against, other than the
/// playground's: every snippet that names one of them cannot run there.
fn crates_off_the_playground() -> Vec<String> {
    let root_package = workspace_package("epoll-book").expect("the root package");
    root_package
        .dependencies
        .iter()
        .map(|d| d.name.replace('-', "_"))
        .filter(|name| !PLAYGROUND_CRATES.contains(&name.as_str()))
        .collect()
}

/// Whether `code` names crate `name`: `name::`, `use name`, or `extern crate
/// name`, not as the tail of a longer identifier.
fn names_crate(code: &str, name: &str) -> bool {
    let is_ident = |c: char| c == '_' || c.is_ascii_alphanumeric();
    let mut rest = code;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().next_back();
        let after = &rest[at + name.len()..];
        if !before.is_some_and(is_ident) && (after.starts_with("::") || after.starts_with(';')) {
            return true;
        }
        rest = &rest[at + name.len()..];
    }
    false
}

#[test]
fn the_crate_rule_is_understood() {
    assert!(names_crate(
        "use ch04_libc_and_a_safe_wrapper::Epoll;",
        "ch04_libc_and_a_safe_wrapper"
    ));
    assert!(names_crate("let e = bench::load::Load {", "bench"));
    assert!(names_crate("extern crate mio;", "mio"));
    assert!(!names_crate("let workbench::x = 1;", "bench"));
    assert!(!names_crate("// a bench of tests", "bench"));
    assert!(!names_crate("use std::io;", "bench"));
}

#[test]
fn only_snippets_the_playground_can_run_have_a_run_button() {
    // mdBook puts a Run button on every `rust` block unless its info string
    // says `noplayground`; the playground has std and libc, nothing else.
    let off = crates_off_the_playground();
    assert!(
        off.iter().any(|c| c == "ch04_libc_and_a_safe_wrapper"),
        "the root package's dependencies were not read: {off:?}"
    );
    let mut problems = Vec::new();
    let mut runnable = 0;
    for page in pages() {
        for fence in fences(&read(&page)) {
            let info = fence.info.as_deref().unwrap_or("");
            if !skeptic_compiles(info) {
                continue;
            }
            let marked = info
                .split(|c: char| !(c == '_' || c == '-' || c.is_alphanumeric()))
                .any(|word| word == "noplayground");
            let uses: Vec<&String> = off.iter().filter(|c| names_crate(&fence.body, c)).collect();
            match (uses.is_empty(), marked) {
                (true, true) => problems.push(format!(
                    "{}:{}: uses only std and libc, so it keeps its Run button: drop `noplayground`",
                    rel(&page),
                    fence.line
                )),
                (false, false) => problems.push(format!(
                    "{}:{}: uses {uses:?}, which the playground does not have: mark it `rust,noplayground`",
                    rel(&page),
                    fence.line
                )),
                (true, false) => runnable += 1,
                (false, true) => {}
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(
        runnable > 0,
        "no snippet keeps a Run button: the scan is broken"
    );
}

#[test]
fn every_chapter_ends_with_exercises_whose_solutions_are_hidden_tested_code() {
    let mut problems = Vec::new();
    for stem in chapter_pages() {
        let page = root().join("src").join(format!("{stem}.md"));
        let text = read(&page);
        let Some(start) = text.find("\n## Exercises\n") else {
            problems.push(format!("{}: no `## Exercises` section", rel(&page)));
            continue;
        };
        let section = &text[start + 1..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |e| e + 3)];
        let exercises = section.matches("\n**Exercise ").count();
        if !(2..=4).contains(&exercises) {
            problems.push(format!(
                "{}: {exercises} exercises; a chapter has 2 to 4",
                rel(&page)
            ));
        }
        // Each exercise is followed by its solution, collapsed, included
        // from the chapter's own crate (where a test runs it).
        let solutions: Vec<&str> = section.split("<details>").skip(1).collect();
        if solutions.len() != exercises {
            problems.push(format!(
                "{}: {exercises} exercises but {} <details> solutions",
                rel(&page),
                solutions.len()
            ));
        }
        for (n, solution) in solutions.iter().enumerate() {
            let body = &solution[..solution.find("</details>").unwrap_or(solution.len())];
            if !body.contains(&format!("{{{{#include ../chapters/{stem}/")) {
                problems.push(format!(
                    "{}: solution {} includes no code from chapters/{stem}/",
                    rel(&page),
                    n + 1
                ));
            }
        }
        let tests = root()
            .join("chapters")
            .join(&stem)
            .join("tests/solutions.rs");
        if !tests.is_file() {
            problems.push(format!("chapters/{stem}: no tests/solutions.rs"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
