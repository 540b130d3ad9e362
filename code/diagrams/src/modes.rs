//! Chapter 3: one byte stream, and what `epoll_wait` reports for it under
//! level-triggered, edge-triggered and one-shot registration.
//!
//! The picture is drawn from the output of chapter 3's `three_modes`
//! example, the file its tests compare the example's output with: the
//! steps, the bytes unread after each, and what each mode reported at each
//! `epoll_wait`. If the example changes, so does the picture.

use crate::svg::{BLUE, Frame, GREEN, GREY, INK, ORANGE, Stroke, Svg, Text};

/// `three_modes`'s output, as its tests check it.
const OUTPUT: &str =
    include_str!("../../../chapters/ch03-level-edge-oneshot/output/three_modes.txt");

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 494.0;

/// The columns: a `write` or `read` takes a narrow one, an `epoll_wait` a
/// wide one.
const LEFT: f64 = 176.0;
const IO_W: f64 = 46.0;
const WAIT_W: f64 = 66.0;

/// The stream: the baseline of the "bytes unread" chart and its scale.
const CHART_BASE: f64 = 196.0;
const PX_PER_BYTE: f64 = 6.0;
/// The row of call numbers, and the centre of the first mode's row.
const CALLS_Y: f64 = 226.0;
const FIRST_ROW: f64 = 272.0;
const ROW_STEP: f64 = 74.0;
const ROW_H: f64 = 60.0;

/// One line of the example's output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// `write 10`, `read 4`, or `epoll_wait`.
    pub what: String,
    /// Bytes in the pipe after the step.
    pub unread: u32,
    /// For an `epoll_wait`: whether level, edge and one-shot reported the
    /// read end (`EPOLLIN`) or nothing (`-`).
    pub reported: Option<[bool; 3]>,
}

/// The steps of `three_modes`'s output. Panics if the output does not have
/// the shape the example prints.
pub fn script() -> Vec<Step> {
    let mut lines = OUTPUT.lines();
    let header: Vec<&str> = lines.next().expect("a header").split_whitespace().collect();
    assert_eq!(header, ["step", "unread", "level", "edge", "one-shot"]);
    lines
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words[0] == "epoll_wait" {
                assert_eq!(words.len(), 5, "{line:?}");
                let cell = |word: &str| match word {
                    "EPOLLIN" => true,
                    "-" => false,
                    other => panic!("{other:?} in {line:?}"),
                };
                Step {
                    what: words[0].to_owned(),
                    unread: words[1].parse().expect("a count"),
                    reported: Some([cell(words[2]), cell(words[3]), cell(words[4])]),
                }
            } else {
                assert_eq!(words.len(), 3, "{line:?}");
                assert!(["write", "read"].contains(&words[0]), "{line:?}");
                Step {
                    what: format!("{} {}", words[0], words[1]),
                    unread: words[2].parse().expect("a count"),
                    reported: None,
                }
            }
        })
        .collect()
}

/// The three modes: name, flag, what it reports, colour.
const MODES: [(&str, &str, &str, crate::svg::Colour); 3] = [
    (
        "level-triggered",
        "(the default)",
        "while data is there",
        BLUE,
    ),
    ("edge-triggered", "EPOLLET", "when data arrives", ORANGE),
    ("one-shot", "EPOLLONESHOT", "once, until re-armed", GREEN),
];

/// The left edge and width of each step's column.
fn columns(steps: &[Step]) -> Vec<(f64, f64)> {
    let mut x = LEFT;
    steps
        .iter()
        .map(|step| {
            let w = if step.reported.is_some() {
                WAIT_W
            } else {
                IO_W
            };
            let column = (x, w);
            x += w;
            column
        })
        .collect()
}

fn row_y(mode: usize) -> f64 {
    FIRST_ROW + mode as f64 * ROW_STEP
}

pub fn draw() -> Svg {
    let steps = script();
    let columns = columns(&steps);
    let right = columns.last().map_or(LEFT, |(x, w)| x + w);
    let mut svg = Svg::new(
        "level-edge-oneshot-timeline",
        WIDTH,
        HEIGHT,
        "One byte stream, three modes: what epoll_wait reports",
        &description(&steps),
    );
    svg.text(
        24.0,
        34.0,
        "One byte stream, three ways to hear about it",
        Text::sans(17.0).bold(),
    );
    svg.text(
        24.0,
        54.0,
        "A pipe's read end in each mode; `epoll_wait` (timeout 0) at the numbered points. \
         From `three_modes`.",
        Text::sans(12.5).colour(GREY),
    );

    stream(&mut svg, &steps, &columns, right);
    // The calls' lines run behind the rows, and show between them.
    calls(&mut svg, &steps, &columns);
    for (mode, (name, flag, what, colour)) in MODES.iter().enumerate() {
        let y = row_y(mode);
        svg.rect(
            16.0,
            y - ROW_H / 2.0,
            right + 8.0 - 16.0,
            ROW_H,
            Frame::tint(*colour).radius(8.0),
        );
        svg.text(24.0, y - 8.0, name, Text::sans(14.0).bold());
        let flag_style = if flag.starts_with('(') {
            Text::sans(12.0)
        } else {
            Text::mono(12.0)
        };
        svg.text(24.0, y + 8.0, flag, flag_style);
        svg.text(24.0, y + 23.0, what, Text::sans(12.0).colour(GREY));
    }
    for (mode, (.., colour)) in MODES.iter().enumerate() {
        reports(&mut svg, &steps, &columns, mode, *colour);
    }
    svg.arrow(
        &[(LEFT, HEIGHT - 22.0), (right, HEIGHT - 22.0)],
        Stroke::of(GREY),
    );
    svg.text(
        LEFT - 8.0,
        HEIGHT - 18.0,
        "time",
        Text::sans(12.0).end().colour(GREY),
    );
    svg
}

/// The byte stream: what each step did, and the bytes unread as a step
/// chart.
fn stream(svg: &mut Svg, steps: &[Step], columns: &[(f64, f64)], right: f64) {
    svg.text(
        24.0,
        CHART_BASE - 40.0,
        "bytes unread",
        Text::sans(14.0).bold(),
    );
    svg.text(
        24.0,
        CHART_BASE - 24.0,
        "in the pipe",
        Text::sans(12.0).colour(GREY),
    );
    let mut outline = vec![(LEFT, CHART_BASE)];
    let mut unread = 0;
    for (step, (x, w)) in steps.iter().zip(columns) {
        if step.unread != unread {
            let centre = x + w / 2.0;
            outline.push((centre, level(unread)));
            outline.push((centre, level(step.unread)));
            unread = step.unread;
        }
    }
    outline.push((right, level(unread)));
    let mut area = outline.clone();
    area.push((right, CHART_BASE));
    svg.area(&area, BLUE.tint);
    svg.line(&outline, Stroke::of(BLUE).width(2.0));
    svg.line(
        &[(LEFT, CHART_BASE), (right, CHART_BASE)],
        Stroke::of(GREY).width(1.0),
    );

    // What each write or read did, over its jump; the count over each
    // stretch of wait.
    for (step, (x, w)) in steps.iter().zip(columns) {
        let centre = x + w / 2.0;
        if step.reported.is_none() {
            let colour = if step.what.starts_with("write") {
                BLUE
            } else {
                INK
            };
            svg.text(
                centre,
                84.0,
                &step.what,
                Text::sans(12.5).bold().middle().colour(colour),
            );
            svg.line(
                &[(centre, 90.0), (centre, CHART_BASE)],
                Stroke::of(GREY).width(1.0).dashed(),
            );
        } else {
            svg.text(
                centre,
                level(step.unread) - 6.0,
                &step.unread.to_string(),
                Text::sans(12.5).middle().colour(BLUE),
            );
        }
    }
}

/// The y of `bytes` unread on the chart.
fn level(bytes: u32) -> f64 {
    CHART_BASE - f64::from(bytes) * PX_PER_BYTE
}

/// The numbered `epoll_wait` calls, each with a line down through the
/// three rows.
fn calls(svg: &mut Svg, steps: &[Step], columns: &[(f64, f64)]) {
    svg.text(24.0, CALLS_Y + 4.0, "epoll_wait", Text::mono(13.0).bold());
    let waits = steps
        .iter()
        .zip(columns)
        .filter(|(step, _)| step.reported.is_some());
    for (n, (_, (x, w))) in waits.enumerate() {
        let centre = x + w / 2.0;
        svg.line(
            &[(centre, CALLS_Y + 12.0), (centre, row_y(2) + ROW_H / 2.0)],
            Stroke::of(GREY).width(1.0).dashed(),
        );
        svg.dot(centre, CALLS_Y, 11.0, INK);
        svg.text(
            centre,
            CALLS_Y + 4.5,
            &(n + 1).to_string(),
            Text::sans(12.5).bold().middle().colour(crate::svg::WHITE),
        );
    }
}

/// One mode's row: what each call reported, and what the silences mean.
fn reports(
    svg: &mut Svg,
    steps: &[Step],
    columns: &[(f64, f64)],
    mode: usize,
    colour: crate::svg::Colour,
) {
    let y = row_y(mode);
    let mut reported_once = false;
    // Stretches of silence to explain: (first column, last column).
    let mut quiet: Option<(f64, f64)> = None;
    for (step, (x, w)) in steps.iter().zip(columns) {
        let Some(reported) = step.reported else {
            continue;
        };
        let centre = x + w / 2.0;
        if reported[mode] {
            reported_once = true;
            svg.boxed(
                (centre - 29.0, y - 11.0, 58.0, 22.0),
                Frame::of(colour).radius(11.0),
                "EPOLLIN",
                Text::mono(11.5),
            );
        } else {
            svg.text(centre, y + 5.0, "–", Text::sans(15.0).middle().colour(GREY));
            let explain = match mode {
                1 => step.unread > 0,
                2 => reported_once,
                _ => false,
            };
            if explain {
                quiet = Some(quiet.map_or((centre, centre), |(from, _)| (from, centre)));
            }
        }
    }
    let Some((from, to)) = quiet else { return };
    let note = match mode {
        1 => "bytes unread, but none new",
        _ => "off until `epoll_ctl(MOD)` re-arms it",
    };
    let bracket = y + 14.0;
    svg.line(
        &[
            (from - 20.0, bracket - 4.0),
            (from - 20.0, bracket),
            (to + 20.0, bracket),
            (to + 20.0, bracket - 4.0),
        ],
        Stroke::of(colour).width(1.2),
    );
    svg.text(
        (from + to) / 2.0,
        bracket + 13.0,
        note,
        Text::sans(11.5).middle(),
    );
}

/// The picture in words, from the same steps.
fn description(steps: &[Step]) -> String {
    let mut text = String::from(
        "A timeline of one pipe's read end. Top: the bytes unread after each step. \
         Below: for each epoll_wait call, what the level-triggered, edge-triggered \
         and one-shot registrations reported.",
    );
    let mut n = 0;
    for step in steps {
        match step.reported {
            None => text.push_str(&format!(
                " After {}, {} bytes unread.",
                step.what, step.unread
            )),
            Some(reported) => {
                n += 1;
                let say = |r: bool| if r { "EPOLLIN" } else { "nothing" };
                text.push_str(&format!(
                    " Call {n}: level {}, edge {}, one-shot {}.",
                    say(reported[0]),
                    say(reported[1]),
                    say(reported[2])
                ));
            }
        }
    }
    text.push_str(" One-shot stays off after its first report until epoll_ctl(MOD) re-arms it.");
    text
}
