//! The book's diagrams: each is a well-formed, self-contained SVG document
//! with a title and a description, whose texts stay on the canvas; the
//! files in `src/diagrams/` are exactly what the generator draws now; and
//! every diagram is shown by a page.

use diagrams::{DIAGRAMS, modes, out_dir};
use std::collections::BTreeSet;
use std::fs;
use std::panic;
use std::path::{Path, PathBuf};
use testkit::svg::Element;

/// The elements of `svg`, in document order; panics unless it is
/// well-formed XML.
fn parse(svg: &str) -> Vec<Element> {
    testkit::svg::parse(svg)
}

fn number(element: &Element, name: &str) -> f64 {
    element.number(name)
}

#[test]
fn the_checker_rejects_what_is_not_well_formed() {
    let good = r#"<svg a="1"><g><text x="1">a &amp; b</text></g><rect/></svg>"#;
    assert_eq!(parse(good).len(), 4);
    let bad = [
        "<svg><g></svg></g>",
        "<svg><g></svg>",
        "<svg></svg><svg></svg>",
        r#"<svg a="1" a="2"></svg>"#,
        r#"<svg a=1></svg>"#,
        r#"<svg a="x"b="y"></svg>"#,
        "<svg>a & b</svg>",
        "</svg>",
    ];
    for svg in bad {
        let caught = panic::catch_unwind(|| parse(svg));
        assert!(caught.is_err(), "accepted {svg:?}");
    }
}

#[test]
fn every_diagram_is_a_self_contained_svg_with_a_title_and_a_description() {
    for diagram in &DIAGRAMS {
        let drawn = (diagram.draw)();
        let (width, height) = (drawn.width(), drawn.height());
        let text = drawn.finish();
        let elements = parse(&text);
        let file = diagram.file;

        let root = &elements[0];
        assert_eq!(root.name, "svg", "{file}");
        assert_eq!(
            root.attribute("xmlns"),
            Some("http://www.w3.org/2000/svg"),
            "{file}"
        );
        assert_eq!(
            root.attribute("viewBox"),
            Some(format!("0 0 {width} {height}").as_str()),
            "{file}"
        );
        assert!(
            (600.0..=760.0).contains(&width),
            "{file} is {width} px wide"
        );

        // Screen readers read the title and the description, the first two
        // children of the root.
        let children: Vec<&Element> = elements.iter().filter(|e| e.parent == Some(0)).collect();
        assert_eq!(children[0].name, "title", "{file}");
        assert_eq!(children[1].name, "desc", "{file}");
        assert!(children[0].text.trim().len() > 10, "{file}: title");
        assert!(children[1].text.trim().len() > 100, "{file}: desc");

        // A white card behind everything, for the dark themes.
        let card = elements.iter().find(|e| e.name == "rect").expect("a card");
        assert_eq!(card.attribute("fill"), Some("#FFFFFF"), "{file}");
        assert!(number(card, "width") >= width - 4.0, "{file}");
        assert!(number(card, "height") >= height - 4.0, "{file}");

        // Nothing is fetched: no links, no images, no outside fonts, and
        // every url(#id) names an id of this document.
        let ids: BTreeSet<&str> = elements.iter().filter_map(|e| e.attribute("id")).collect();
        assert_eq!(
            ids.len(),
            elements
                .iter()
                .filter(|e| e.attribute("id").is_some())
                .count(),
            "{file}: ids are unique"
        );
        for element in &elements {
            assert!(
                !["image", "use", "a", "style", "script", "foreignObject"]
                    .contains(&element.name.as_str()),
                "{file}: <{}>",
                element.name
            );
            for (key, value) in &element.attributes {
                assert!(!key.contains("href"), "{file}: {key}");
                let mut rest = value.as_str();
                while let Some(at) = rest.find("url(") {
                    let inside = &rest[at + 4..];
                    let (target, after) = inside.split_once(')').expect("url( ends with )");
                    let id = target
                        .strip_prefix('#')
                        .unwrap_or_else(|| panic!("{file}: url({target}) is outside"));
                    assert!(ids.contains(id), "{file}: url(#{id}) names no element");
                    rest = after;
                }
            }
        }
    }
}

#[test]
fn every_text_stays_on_the_canvas() {
    for diagram in &DIAGRAMS {
        let drawn = (diagram.draw)();
        assert!(!drawn.placed().is_empty(), "{}", diagram.file);
        for text in drawn.placed() {
            let inside = text.left >= 8.0
                && text.right <= drawn.width() - 8.0
                && text.baseline - text.size >= 0.0
                && text.baseline <= drawn.height() - 4.0;
            assert!(
                inside,
                "{}: {:?} ({:.0}..{:.0} at {}) leaves the canvas",
                diagram.file, text.text, text.left, text.right, text.baseline
            );
        }
    }
}

/// The diagrams directory of the book.
fn diagrams_dir() -> PathBuf {
    out_dir()
}

#[test]
fn the_files_in_src_diagrams_are_what_the_generator_draws() {
    let mut stale = Vec::new();
    for diagram in &DIAGRAMS {
        let path = diagrams_dir().join(diagram.file);
        let drawn = (diagram.draw)().finish();
        match fs::read_to_string(&path) {
            Ok(committed) if committed == drawn => {}
            Ok(_) => stale.push(format!("{} differs", diagram.file)),
            Err(err) => stale.push(format!("{}: {err}", diagram.file)),
        }
    }
    assert!(
        stale.is_empty(),
        "src/diagrams/ is out of date ({}): run `cargo run -p diagrams`",
        stale.join("; ")
    );

    let made: BTreeSet<&str> = DIAGRAMS.iter().map(|d| d.file).collect();
    for entry in fs::read_dir(diagrams_dir()).expect("listing src/diagrams/") {
        let name = entry.expect("a directory entry").file_name();
        let name = name.to_string_lossy();
        assert!(
            made.contains(name.as_ref()),
            "src/diagrams/{name} is not drawn by code/diagrams: remove it or add its function"
        );
    }
}

/// Every Markdown page under `src/`.
fn pages(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("listing src/") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            pages(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "md") {
            out.push(path);
        }
    }
}

#[test]
fn every_diagram_is_shown_by_a_page_with_alt_text() {
    let mut found = Vec::new();
    pages(&diagrams_dir().join(".."), &mut found);
    let texts: Vec<String> = found
        .iter()
        .map(|page| fs::read_to_string(page).expect("reading a page"))
        .collect();
    for diagram in &DIAGRAMS {
        let target = format!("](diagrams/{})", diagram.file);
        let shown = texts.iter().any(|text| {
            text.match_indices(&target).any(|(at, _)| {
                // The image's alt text: from the last `![` before it.
                let before = &text[..at];
                before
                    .rfind("![")
                    .is_some_and(|open| before[open + 2..].trim().len() > 20)
            })
        });
        assert!(
            shown,
            "no page shows diagrams/{} as an image with alt text: ![what it shows]({})",
            diagram.file,
            &target[2..target.len() - 1]
        );
    }
}

#[test]
fn the_timeline_is_drawn_from_three_modes_output() {
    let steps = modes::script();
    let waits: Vec<[bool; 3]> = steps.iter().filter_map(|step| step.reported).collect();
    assert_eq!(waits.len(), 5);
    // Level reports while bytes are unread; edge and one-shot less often.
    let reports = |mode: usize| waits.iter().filter(|w| w[mode]).count();
    assert!(reports(0) > reports(1) && reports(1) > reports(2));

    let svg = diagrams::DIAGRAMS
        .iter()
        .find(|d| d.file == "level-edge-oneshot-timeline.svg")
        .map(|d| (d.draw)().finish())
        .expect("the timeline");
    let elements = parse(&svg);
    let pills = elements
        .iter()
        .filter(|e| e.name == "text" && e.text == "EPOLLIN")
        .count();
    assert_eq!(pills, reports(0) + reports(1) + reports(2));
    for step in steps.iter().filter(|step| step.reported.is_none()) {
        assert!(
            elements
                .iter()
                .any(|e| e.name == "text" && e.text == step.what),
            "{:?} is not drawn",
            step.what
        );
    }
}

#[test]
fn every_text_fits_the_box_it_is_centred_in() {
    for diagram in &DIAGRAMS {
        let drawn = (diagram.draw)();
        for text in drawn.placed() {
            let Some((left, right)) = text.within else {
                continue;
            };
            assert!(
                text.left >= left + 3.0 && text.right <= right - 3.0,
                "{}: {:?} is {:.0} wide, its box {:.0}",
                diagram.file,
                text.text,
                text.right - text.left,
                right - left
            );
        }
    }
}
