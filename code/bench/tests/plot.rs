//! The performance chapter's charts: each is a well-formed SVG document
//! that shows the names it was given, draws one mark per data item where
//! the data puts it, and refuses data it cannot draw with `InvalidInput`.

use bench::plot::{self, Group, Line, PALETTE};
use std::fs;
use std::io;
use std::path::PathBuf;
use testkit::svg::Element;

/// The elements of `svg`, checked to be well-formed, each text trimmed:
/// plotters writes a label on a line of its own.
fn parse(svg: &str) -> Vec<Element> {
    let mut elements = testkit::svg::parse(svg);
    for element in &mut elements {
        element.text = element.text.trim().to_owned();
    }
    elements
}

/// The texts of a document, in order.
fn texts(elements: &[Element]) -> Vec<&str> {
    elements
        .iter()
        .filter(|element| element.name == "text")
        .map(|element| element.text.as_str())
        .collect()
}

/// Where the text that reads `text` is anchored; panics unless there is
/// exactly one.
fn text_at(elements: &[Element], text: &str) -> (f64, f64) {
    let found: Vec<&Element> = elements
        .iter()
        .filter(|element| element.name == "text" && element.text == text)
        .collect();
    assert_eq!(found.len(), 1, "texts {text:?}");
    (found[0].number("x"), found[0].number("y"))
}

/// The SVG notation of the `i`th series colour.
fn hex(i: usize) -> String {
    let (r, g, b) = PALETTE[i];
    format!("#{r:02X}{g:02X}{b:02X}")
}

/// The elements named `name` whose attribute `attribute` is `value`.
fn with<'a>(elements: &'a [Element], name: &str, attribute: &str, value: &str) -> Vec<&'a Element> {
    elements
        .iter()
        .filter(|element| element.name == name && element.attribute(attribute) == Some(value))
        .collect()
}

const SIZES: [f64; 5] = [10.0, 100.0, 1_000.0, 10_000.0, 100_000.0];

/// The scaling chart: a flat line and a line that grows with N.
fn scaling_lines() -> Vec<Line<'static>> {
    vec![
        Line {
            name: "epoll_wait",
            points: SIZES
                .iter()
                .copied()
                .zip([410.0, 395.0, 402.0, 420.0, 431.0])
                .collect(),
        },
        Line {
            name: "poll",
            points: SIZES
                .iter()
                .copied()
                .zip([524.0, 1_200.0, 8_000.0, 70_000.0, 3e6])
                .collect(),
        },
    ]
}

const SERIES: [&str; 4] = ["book", "mio", "calloop", "rustix"];

/// Six groups of four round-trip rates.
fn throughput_groups() -> Vec<Group<'static>> {
    let rows: [(&str, [f64; 4]); 6] = [
        ("1 × 64 B", [62_000.0, 60_500.0, 55_800.0, 63_100.0]),
        ("64 × 64 B", [118_000.0, 121_500.0, 104_000.0, 119_800.0]),
        ("1000 × 64 B", [96_000.0, 99_500.0, 88_000.0, 101_000.0]),
        ("1 × 16 KiB", [41_000.0, 40_200.0, 38_500.0, 41_800.0]),
        ("64 × 16 KiB", [52_000.0, 53_300.0, 47_600.0, 54_100.0]),
        ("1000 × 16 KiB", [31_000.0, 33_800.0, 29_900.0, 34_500.0]),
    ];
    rows.into_iter()
        .map(|(label, values)| Group {
            label,
            values: values.to_vec(),
        })
        .collect()
}

#[test]
fn log_log_chart_is_an_svg_with_every_name_and_power_of_ten() -> io::Result<()> {
    let svg = plot::log_log_lines("One call", "idle fds (N)", "ns per call", &scaling_lines())?;
    let elements = parse(&svg);
    let root = &elements[0];
    assert_eq!(root.name, "svg");
    assert_eq!(
        (root.number("width"), root.number("height")),
        (720.0, 420.0)
    );
    // First drawn: an opaque white rectangle under everything.
    let background = &elements[1];
    assert_eq!(background.name, "rect");
    assert_eq!(background.attribute("fill"), Some("#FFFFFF"));
    assert_eq!(
        (background.number("width"), background.number("height")),
        (720.0, 420.0)
    );

    let texts = texts(&elements);
    for name in [
        "One call",
        "idle fds (N)",
        "ns per call",
        "epoll_wait",
        "poll",
    ] {
        assert!(texts.contains(&name), "{name:?} missing from {texts:?}");
    }
    // x from 10 to 100k, y from 395 ns to 3 ms: every power of ten in
    // between is labelled, and the axes stop at the next one out.
    for label in ["10", "100", "1k", "10k", "100k", "1M", "10M"] {
        assert!(texts.contains(&label), "{label:?} missing from {texts:?}");
    }
    for label in ["1", "100M"] {
        assert!(!texts.contains(&label), "{label:?} in {texts:?}");
    }
    Ok(())
}

#[test]
fn log_log_chart_draws_one_polyline_per_line_spaced_by_ratio() -> io::Result<()> {
    let mut lines = scaling_lines();
    // Points out of order are joined in the order of x.
    lines[1].points.reverse();
    let svg = plot::log_log_lines("One call", "N", "ns", &lines)?;
    let elements = parse(&svg);
    let coloured: Vec<&Element> = elements
        .iter()
        .filter(|element| {
            element.name == "polyline"
                && (0..PALETTE.len()).any(|i| element.attribute("stroke") == Some(&*hex(i)))
        })
        .collect();
    assert_eq!(coloured.len(), lines.len());
    for (i, line) in lines.iter().enumerate() {
        let polylines = with(&elements, "polyline", "stroke", &hex(i));
        assert_eq!(polylines.len(), 1, "line {i}");
        let points = polylines[0].points();
        assert_eq!(points.len(), line.points.len());
        // N grows ten times from one point to the next: on a logarithmic
        // axis the points are evenly spaced (to a pixel of rounding).
        let steps: Vec<f64> = points
            .windows(2)
            .map(|pair| pair[1].0 - pair[0].0)
            .collect();
        assert!(steps[0] > 0.0);
        assert!(
            steps.iter().all(|step| (step - steps[0]).abs() <= 1.0),
            "{steps:?}"
        );
        // One dot per point, plus one in the legend.
        let dots = with(&elements, "circle", "fill", &hex(i));
        assert_eq!(dots.len(), line.points.len() + 1);
    }
    // The labels of the axes sit where the points of their values are
    // (10 is only on the x axis; 1M and 10M only on the y axis).
    let epoll = with(&elements, "polyline", "stroke", &hex(0))[0].points();
    assert!((epoll[0].0 - text_at(&elements, "10").0).abs() <= 1.0);
    // poll grows: each point is higher (a smaller y) than the one before,
    // by a distance that follows the ratio of the values, on the scale of
    // the y axis's labels.
    let poll = with(&elements, "polyline", "stroke", &hex(1))[0].points();
    assert!(
        poll.windows(2).all(|pair| pair[1].1 < pair[0].1),
        "{poll:?}"
    );
    let million = text_at(&elements, "1M").1;
    let decade = million - text_at(&elements, "10M").1;
    for (point, value) in poll.iter().zip([524.0, 1_200.0, 8_000.0, 70_000.0, 3e6]) {
        let expected = million - (value / 1e6_f64).log10() * decade;
        assert!(
            (point.1 - expected).abs() <= 1.0,
            "{value} at {point:?}, not {expected}"
        );
    }
    Ok(())
}

/// The rectangles filled with a series colour.
fn coloured_rects(elements: &[Element]) -> Vec<&Element> {
    elements
        .iter()
        .filter(|element| {
            element.name == "rect"
                && (0..PALETTE.len()).any(|i| element.attribute("fill") == Some(&*hex(i)))
        })
        .collect()
}

/// The bottom edge of a rectangle.
fn bottom(rect: &Element) -> f64 {
    rect.number("y") + rect.number("height")
}

/// The bars of series `s`, in group order: its rectangles that stand on
/// the x axis, the lowest bottom edge of any coloured rectangle. (Its
/// other rectangle is its key in the legend, above the plot.)
fn bars(elements: &[Element], s: usize) -> Vec<&Element> {
    let axis = coloured_rects(elements)
        .into_iter()
        .map(bottom)
        .fold(0.0, f64::max);
    with(elements, "rect", "fill", &hex(s))
        .into_iter()
        .filter(|rect| bottom(rect) == axis)
        .collect()
}

#[test]
fn bar_chart_draws_one_bar_per_group_and_series_to_scale() -> io::Result<()> {
    let groups = throughput_groups();
    let svg = plot::grouped_bars(
        "Round trips",
        "round trips per second",
        &SERIES,
        &groups,
        None,
    )?;
    let elements = parse(&svg);

    // Each series colour fills one bar per group, all standing on the x
    // axis, and one key in the legend.
    let coloured = coloured_rects(&elements);
    assert_eq!(coloured.len(), groups.len() * SERIES.len() + SERIES.len());
    for s in 0..SERIES.len() {
        assert_eq!(bars(&elements, s).len(), groups.len(), "series {s}");
        assert_eq!(
            with(&elements, "rect", "fill", &hex(s)).len(),
            groups.len() + 1
        );
    }
    // The scale, from where the axis labels 0 and 140,000 sit.
    let pixels_per_unit = (text_at(&elements, "0").1 - text_at(&elements, "140,000").1) / 140_000.0;
    let mut previous_right = 0.0;
    for (g, group) in groups.iter().enumerate() {
        for (s, value) in group.values.iter().enumerate() {
            let bar = bars(&elements, s)[g];
            // The bars come in order, without overlap, and the height of
            // each is its value to one scale.
            assert!(bar.number("x") >= previous_right, "bar {g}/{s} overlaps");
            previous_right = bar.number("x") + bar.number("width");
            let expected = value * pixels_per_unit;
            assert!(
                (bar.number("height") - expected).abs() <= 1.0,
                "bar {g}/{s}"
            );
        }
    }

    let texts = texts(&elements);
    for name in SERIES
        .iter()
        .chain(&["Round trips", "round trips per second"])
    {
        assert!(texts.contains(name), "{name:?} missing from {texts:?}");
    }
    for group in &groups {
        assert!(texts.contains(&group.label), "{:?} missing", group.label);
    }
    // The largest value is 121,500: the axis goes to a round 140,000.
    assert!(
        texts.contains(&"0") && texts.contains(&"140,000"),
        "{texts:?}"
    );
    assert!(!texts.contains(&"160,000"), "{texts:?}");
    // Labels as wide as "121,500" do not fit above bars this narrow.
    assert!(!texts.contains(&"121,500"), "{texts:?}");
    Ok(())
}

#[test]
fn bars_carry_their_values_when_the_values_fit() -> io::Result<()> {
    let calls = [
        ("epoll_wait", [1.0, 1.0, 1.0]),
        ("recvfrom", [1.0, 2.0, 2.0]),
        ("sendto", [1.0, 1.0, 1.0]),
        ("epoll_ctl", [0.0, 0.0, 0.0]),
    ];
    let groups: Vec<Group> = calls
        .iter()
        .map(|(label, values)| Group {
            label,
            values: values.to_vec(),
        })
        .collect();
    let series = ["book LT", "book ET", "mio"];
    let svg = plot::grouped_bars("Calls per round trip", "calls", &series, &groups, None)?;
    let elements = parse(&svg);
    let texts: Vec<&Element> = elements
        .iter()
        .filter(|element| element.name == "text")
        .collect();
    for (g, group) in groups.iter().enumerate() {
        for (s, value) in group.values.iter().enumerate() {
            let bar = bars(&elements, s)[g];
            let centre = bar.number("x") + bar.number("width") / 2.0;
            let top = bar.number("y");
            // A zero is a bar of no height: its label says so.
            assert_eq!(bar.number("height") == 0.0, *value == 0.0);
            let above: Vec<&str> = texts
                .iter()
                .filter(|text| {
                    (text.number("x") - centre).abs() <= 1.0
                        && text.number("y") < top
                        && top - text.number("y") < 10.0
                })
                .map(|text| text.text.as_str())
                .collect();
            assert_eq!(above, [format!("{value}")], "bar {g}/{s}");
        }
    }
    Ok(())
}

#[test]
fn long_group_labels_are_centred_on_two_lines() -> io::Result<()> {
    let labels = ["1 conn × 64 B", "1000 conns × 16 KiB"];
    // Six groups, as in the chapter: about 100 pixels a group.
    let groups: Vec<Group> = labels
        .iter()
        .cycle()
        .take(6)
        .map(|label| Group {
            label,
            values: vec![50_000.0; 4],
        })
        .collect();
    let svg = plot::grouped_bars("Long labels", "rate", &SERIES, &groups, None)?;
    let elements = parse(&svg);
    let texts: Vec<&Element> = elements
        .iter()
        .filter(|element| element.name == "text")
        .collect();
    assert_eq!(
        texts.iter().filter(|text| text.text == labels[0]).count(),
        3
    );
    assert!(
        !texts.iter().any(|text| text.text == labels[1]),
        "not wrapped"
    );
    let first: Vec<&&Element> = texts
        .iter()
        .filter(|text| text.text == "1000 conns")
        .collect();
    let second: Vec<&&Element> = texts
        .iter()
        .filter(|text| text.text == "× 16 KiB")
        .collect();
    assert_eq!((first.len(), second.len()), (3, 3));
    for (upper, lower) in first.iter().zip(&second) {
        assert_eq!(upper.number("x"), lower.number("x"));
        assert!(lower.number("y") > upper.number("y"));
    }
    Ok(())
}

#[test]
fn reference_line_crosses_the_chart_at_its_value_and_is_named() -> io::Result<()> {
    let groups: Vec<Group> = throughput_groups()
        .into_iter()
        .map(|group| Group {
            label: group.label,
            values: group
                .values
                .iter()
                .map(|value| value / group.values[0])
                .collect(),
        })
        .collect();
    let reference = Some((1.0, "the book = 1"));
    let svg = plot::grouped_bars("Relative", "ratio", &SERIES, &groups, reference)?;
    let elements = parse(&svg);
    assert!(texts(&elements).contains(&"the book = 1"));
    // The first series is 1.0 everywhere: the line runs along its tops.
    let book = bars(&elements, 0);
    let level = book[0].number("y");
    assert!(book.iter().all(|bar| bar.number("y") == level));
    let segments: Vec<Vec<(f64, f64)>> = elements
        .iter()
        .filter(|element| element.name == "polyline")
        .map(Element::points)
        .filter(|points| points.iter().all(|point| (point.1 - level).abs() <= 1.0))
        .collect();
    assert!(!segments.is_empty(), "no line at y = {level}");
    let xs = segments.iter().flatten().map(|point| point.0);
    let (left, right) = xs.fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
    let last = bars(&elements, SERIES.len() - 1).pop().unwrap();
    assert!(left <= book[0].number("x"), "the line starts at {left}");
    assert!(
        right >= last.number("x") + last.number("width"),
        "it ends at {right}"
    );
    Ok(())
}

/// Asserts that `result` is an `InvalidInput` error whose message has
/// `words` in it.
fn assert_invalid(result: io::Result<String>, words: &str) {
    match result {
        Ok(_) => panic!("drawn, but the data should be refused ({words})"),
        Err(e) => {
            assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
            assert!(
                e.to_string().contains(words),
                "{e:?} does not say {words:?}"
            );
        }
    }
}

#[test]
fn log_log_chart_refuses_what_a_log_axis_cannot_show() {
    let draw = |lines: &[Line]| plot::log_log_lines("Bad", "x", "y", lines);
    assert_invalid(draw(&[]), "no lines");
    let line = |points: Vec<(f64, f64)>| Line {
        name: "bad line",
        points,
    };
    assert_invalid(draw(&[line(vec![])]), "\"bad line\" has no points");
    assert_invalid(draw(&[line(vec![(10.0, f64::NAN)])]), "y = NaN");
    assert_invalid(draw(&[line(vec![(0.0, 1.0)])]), "x = 0");
    assert_invalid(draw(&[line(vec![(10.0, -5.0)])]), "y = -5");
    assert_invalid(draw(&[line(vec![(f64::INFINITY, 1.0)])]), "x = inf");
    let seven: Vec<Line> = (0..7).map(|_| line(vec![(1.0, 1.0)])).collect();
    assert_invalid(draw(&seven), "7 series, but only 6 colours");
    // The name of the chart is in every message.
    assert_invalid(draw(&[]), "\"Bad\"");
}

#[test]
fn bar_chart_refuses_data_that_does_not_match_its_series() {
    let group = |label, values: Vec<f64>| Group { label, values };
    let draw = |series: &[&str], groups: &[Group], reference| {
        plot::grouped_bars("Bad", "y", series, groups, reference)
    };
    let good = [group("g", vec![1.0, 2.0])];
    assert!(draw(&["a", "b"], &good, None).is_ok());
    assert_invalid(draw(&[], &good, None), "no series");
    assert_invalid(draw(&["a", "b"], &[], None), "no groups");
    assert_invalid(
        draw(&["a", "b"], &[group("short", vec![1.0])], None),
        "group \"short\" has 1 values for 2 series",
    );
    assert_invalid(
        draw(&["a", "b"], &[group("g", vec![1.0, f64::NAN])], None),
        "NaN for series \"b\"",
    );
    assert_invalid(
        draw(&["a", "b"], &[group("g", vec![-1.0, 1.0])], None),
        "-1 for series \"a\"",
    );
    assert_invalid(
        draw(&["a", "b"], &good, Some((f64::INFINITY, "r"))),
        "\"r\" is at inf",
    );
    let seven = ["a"; 7];
    assert_invalid(draw(&seven, &[group("g", vec![1.0; 7])], None), "7 series");
}

#[test]
fn write_svg_creates_the_directory_and_names_the_path_it_fails_on() -> io::Result<()> {
    let base = std::env::temp_dir().join(format!("epoll-book-plot-{}", std::process::id()));
    let path: PathBuf = base.join("charts/nested/chart.svg");
    let svg = plot::grouped_bars(
        "T",
        "y",
        &["a"],
        &[Group {
            label: "g",
            values: vec![3.0],
        }],
        None,
    )?;
    plot::write_svg(&path, &svg)?;
    assert_eq!(fs::read_to_string(&path)?, svg);

    // A directory cannot be made under a regular file.
    let blocked = path.join("under-a-file.svg");
    let e = plot::write_svg(&blocked, &svg).expect_err("a file is not a directory");
    assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    fs::remove_dir_all(&base)?;
    Ok(())
}
