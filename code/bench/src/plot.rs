//! The performance chapter's charts: plain numbers in, SVG text out.
//!
//! Two kinds of chart, drawn with `plotters` into a `String`:
//!
//! - [`log_log_lines`]: lines over a logarithmic x axis and a logarithmic
//!   y axis, for a cost that grows by orders of magnitude with N;
//! - [`grouped_bars`]: clustered bars, one bar and one colour per series in
//!   every group, with an optional horizontal reference line.
//!
//! Neither knows anything about the measurements. Every chart is
//! [`SIZE`] pixels on an opaque white background, so that its black text
//! stays readable in the book's dark themes too, and draws its series in
//! the colours of [`PALETTE`], which people with the common forms of colour
//! blindness can still tell apart. The title and the legend sit in a strip
//! above the plot, where they can never hide a point or a bar.
//!
//! No font backend is compiled in: the SVG asks for the `sans-serif`
//! family and the browser lays the text out. Where this module needs the
//! width of a text (to centre the legend, to wrap a long group label, to
//! decide whether a value fits above its bar) it uses an estimate that errs
//! on the wide side.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::fmt::Display;
use std::fs;
use std::io;
use std::iter;
use std::ops::Range;
use std::path::Path;

/// Width and height of every chart, in pixels.
pub const SIZE: (u32, u32) = (720, 420);

/// The series colours, in the order series are given: the Okabe–Ito
/// palette (blue, orange, bluish green, reddish purple, sky blue,
/// vermillion). A chart has at most this many series.
pub const PALETTE: [(u8, u8, u8); 6] = [
    (0x00, 0x72, 0xB2),
    (0xE6, 0x9F, 0x00),
    (0x00, 0x9E, 0x73),
    (0xCC, 0x79, 0xA7),
    (0x56, 0xB4, 0xE9),
    (0xD5, 0x5E, 0x00),
];

/// Text, axes and the reference line.
const INK: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Grid lines at labelled values.
const GRID: RGBColor = RGBColor(0xD0, 0xD0, 0xD0);
/// Grid lines between labelled values (2 to 9 times a power of ten).
const MINOR_GRID: RGBColor = RGBColor(0xEE, 0xEE, 0xEE);

/// Font sizes in SVG pixels. Each comes out of [`font_size`] and plotters'
/// division as written: 13 would reach the SVG as `13.000000000000002`.
const TITLE_PX: f64 = 18.0;
const LEGEND_PX: f64 = 14.0;
const AXIS_NAME_PX: f64 = 14.0;
const TICK_PX: f64 = 12.0;
const VALUE_PX: f64 = 11.0;

/// Height of the strip above the plot that holds the title and the legend.
const HEADER: u32 = 62;
/// Margins around the plot inside the area below the header.
const MARGIN_LEFT: u32 = 8;
const MARGIN_RIGHT: u32 = 22;
/// Height of one line of group labels under a bar chart.
const GROUP_LINE: i32 = 15;

/// One named line of a line chart: its (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Line<'a> {
    /// The name the legend shows.
    pub name: &'a str,
    /// The points; the line joins them in the order of x.
    pub points: Vec<(f64, f64)>,
}

/// One group of a grouped bar chart: the label under it, and one value per
/// series, in the order of the series.
#[derive(Clone, Debug, PartialEq)]
pub struct Group<'a> {
    /// The label drawn under the group (wrapped onto two lines if long).
    pub label: &'a str,
    /// One value per series.
    pub values: Vec<f64>,
}

/// A line chart with logarithmic x and y axes, one colour per line.
///
/// Made for costs that grow by orders of magnitude: N from 10 to 100,000
/// on the x axis, nanoseconds from 100 to 10^7 on the y axis. The axes
/// cover every point, are labelled at powers of ten (with `k`, `M` and `G`
/// for thousands, millions and billions) and have light grid lines at 2 to
/// 9 times each power of ten.
///
/// Fails with `InvalidInput`, naming the problem, if there is no line or
/// more lines than [`PALETTE`] has colours, if a line has no point, or if
/// a coordinate is not a finite number greater than zero (a logarithmic
/// axis has no place for it).
pub fn log_log_lines(
    title: &str,
    x_label: &str,
    y_label: &str,
    lines: &[Line],
) -> io::Result<String> {
    if lines.is_empty() {
        return Err(invalid(title, "no lines to draw"));
    }
    check_series_count(title, lines.len())?;
    for line in lines {
        if line.points.is_empty() {
            return Err(invalid(
                title,
                format!("line {:?} has no points", line.name),
            ));
        }
        for &(x, y) in &line.points {
            for (axis, value) in [("x", x), ("y", y)] {
                if !(value.is_finite() && value > 0.0) {
                    return Err(invalid(
                        title,
                        format!(
                            "line {:?} has {axis} = {value}, which a logarithmic axis \
                             cannot show (it must be finite and greater than zero)",
                            line.name
                        ),
                    ));
                }
            }
        }
    }
    let all = || lines.iter().flat_map(|line| line.points.iter());
    let x_range = log_range(all().map(|point| point.0));
    let y_range = log_range(all().map(|point| point.1));
    let legend: Vec<Key> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| Key {
            name: line.name,
            colour: colour(i),
            kind: KeyKind::Line,
        })
        .collect();

    let mut svg = String::new();
    {
        let fail = drawing_failed(title);
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&fail)?;
        let plot = header(&root, title, &legend).map_err(&fail)?;
        let x_axis = (x_range.clone())
            .log_scale()
            .with_key_points(powers_of_ten(&x_range))
            .with_light_points(between_powers_of_ten(&x_range));
        let y_axis = (y_range.clone())
            .log_scale()
            .with_key_points(powers_of_ten(&y_range))
            .with_light_points(between_powers_of_ten(&y_range));
        let y_labels = powers_of_ten(&y_range).into_iter().map(short_number);
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(MARGIN_LEFT)
            .margin_right(MARGIN_RIGHT)
            .margin_top(6)
            .margin_bottom(8)
            .x_label_area_size(48)
            .y_label_area_size(y_label_area(y_labels))
            .build_cartesian_2d(x_axis, y_axis)
            .map_err(&fail)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .x_label_formatter(&|value| short_number(*value))
            .y_label_formatter(&|value| short_number(*value))
            .label_style(font(TICK_PX))
            .axis_desc_style(font(AXIS_NAME_PX))
            .bold_line_style(GRID)
            .light_line_style(MINOR_GRID)
            .axis_style(INK)
            .draw()
            .map_err(&fail)?;
        for (i, line) in lines.iter().enumerate() {
            let colour = colour(i);
            let mut points = line.points.clone();
            points.sort_by(|a, b| a.0.total_cmp(&b.0));
            chart
                .draw_series(LineSeries::new(
                    points.iter().copied(),
                    colour.stroke_width(2),
                ))
                .map_err(&fail)?;
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|&point| Circle::new(point, 4, colour.filled())),
                )
                .map_err(&fail)?;
        }
        root.present().map_err(&fail)?;
    }
    Ok(svg)
}

/// A grouped (clustered) vertical bar chart: for each group, one bar per
/// series side by side, coloured by series, with the label of the group
/// under it and a legend of the series above the plot.
///
/// The y axis runs from 0 to a round number at or above 1.1 times the
/// largest value. A `reference` of `(value, name)` draws a dashed
/// horizontal line at that value (say, 1.0 on a chart of ratios), which
/// the legend names. A group label too wide for its group is wrapped onto
/// two lines at a space. Each bar carries its value above it when every
/// value fits the width of a bar; otherwise the grid lines give the scale.
///
/// Fails with `InvalidInput`, naming the problem, if there are no series,
/// more series than [`PALETTE`] has colours, no groups, a group whose
/// number of values is not the number of series, or a value (or the
/// reference) that is not a finite number at least zero.
pub fn grouped_bars(
    title: &str,
    y_label: &str,
    series: &[&str],
    groups: &[Group],
    reference: Option<(f64, &str)>,
) -> io::Result<String> {
    if series.is_empty() {
        return Err(invalid(title, "no series to draw"));
    }
    check_series_count(title, series.len())?;
    if groups.is_empty() {
        return Err(invalid(title, "no groups to draw"));
    }
    for group in groups {
        if group.values.len() != series.len() {
            return Err(invalid(
                title,
                format!(
                    "group {:?} has {} values for {} series",
                    group.label,
                    group.values.len(),
                    series.len()
                ),
            ));
        }
        for (value, name) in group.values.iter().zip(series) {
            if !(value.is_finite() && *value >= 0.0) {
                return Err(invalid(
                    title,
                    format!(
                        "group {:?} has {value} for series {name:?}: a bar needs a \
                         finite value at least zero",
                        group.label
                    ),
                ));
            }
        }
    }
    if let Some((value, name)) = reference {
        if !(value.is_finite() && value >= 0.0) {
            return Err(invalid(
                title,
                format!(
                    "the reference line {name:?} is at {value}: it needs a finite value at least zero"
                ),
            ));
        }
    }

    let largest = groups
        .iter()
        .flat_map(|group| group.values.iter().copied())
        .chain(reference.map(|(value, _)| value))
        .fold(0.0, f64::max);
    let (top, step) = round_top(largest * 1.1);
    let ticks = (top / step).round() as usize + 1;

    let y_area = y_label_area((0..ticks).map(|i| number(i as f64 * step)));
    // Group labels: one line if they all fit their group, else two.
    let plot_width = SIZE.0 - y_area - MARGIN_LEFT - MARGIN_RIGHT;
    let group_width = f64::from(plot_width) / groups.len() as f64;
    let labels: Vec<Vec<&str>> = groups
        .iter()
        .map(|group| wrap(group.label, TICK_PX, group_width * 0.92))
        .collect();
    let label_lines = labels.iter().map(Vec::len).max().unwrap_or(1) as i32;

    let mut legend: Vec<Key> = series
        .iter()
        .enumerate()
        .map(|(i, name)| Key {
            name,
            colour: colour(i),
            kind: KeyKind::Block,
        })
        .collect();
    if let Some((_, name)) = reference {
        legend.push(Key {
            name,
            colour: INK,
            kind: KeyKind::Dashed,
        });
    }

    // Bars take 80% of a group; the rest separates the groups.
    let bar = 0.8 / series.len() as f64;
    let bar_span = |group: usize, series: usize| {
        let left = group as f64 + 0.1 + bar * series as f64;
        // A hair between neighbouring bars.
        (left + bar * 0.04, left + bar * 0.96)
    };
    let value_labels = groups.iter().all(|group| {
        group
            .values
            .iter()
            .all(|value| text_width(&number(*value), VALUE_PX) <= group_width * bar)
    });

    let mut svg = String::new();
    {
        let fail = drawing_failed(title);
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(&fail)?;
        let plot = header(&root, title, &legend).map_err(&fail)?;
        let mut chart = ChartBuilder::on(&plot)
            .margin_left(MARGIN_LEFT)
            .margin_right(MARGIN_RIGHT)
            .margin_top(6)
            .margin_bottom(6)
            .x_label_area_size(12 + GROUP_LINE * label_lines)
            .y_label_area_size(y_area)
            // A hair above the top, so that plotters' rounding keeps the
            // top among the labelled values.
            .build_cartesian_2d(0.0..groups.len() as f64, 0.0..top * (1.0 + 1e-9))
            .map_err(&fail)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(0)
            .y_labels(ticks)
            .y_desc(y_label)
            .y_label_formatter(&|value| number(*value))
            .label_style(font(TICK_PX))
            .axis_desc_style(font(AXIS_NAME_PX))
            .bold_line_style(GRID)
            .max_light_lines(0)
            .axis_style(INK)
            .draw()
            .map_err(&fail)?;

        for (g, group) in groups.iter().enumerate() {
            for (s, value) in group.values.iter().enumerate() {
                let (left, right) = bar_span(g, s);
                chart
                    .draw_series(iter::once(Rectangle::new(
                        [(left, 0.0), (right, *value)],
                        colour(s).filled(),
                    )))
                    .map_err(&fail)?;
                if value_labels {
                    let (x, y) = chart.backend_coord(&((left + right) / 2.0, *value));
                    root.draw(&Text::new(
                        number(*value),
                        (x, y - 3),
                        font(VALUE_PX).pos(Pos::new(HPos::Center, VPos::Bottom)),
                    ))
                    .map_err(&fail)?;
                }
            }
            let (x, y) = chart.backend_coord(&(g as f64 + 0.5, 0.0));
            for (i, line) in labels[g].iter().enumerate() {
                root.draw(&Text::new(
                    *line,
                    (x, y + 7 + GROUP_LINE * i as i32),
                    font(TICK_PX).pos(Pos::new(HPos::Center, VPos::Top)),
                ))
                .map_err(&fail)?;
            }
        }
        if let Some((value, _)) = reference {
            chart
                .draw_series(DashedLineSeries::new(
                    [(0.0, value), (groups.len() as f64, value)],
                    6,
                    4,
                    INK.stroke_width(2),
                ))
                .map_err(&fail)?;
        }
        root.present().map_err(&fail)?;
    }
    Ok(svg)
}

/// Writes `svg` to `path`, creating the parent directory first if it is
/// missing. Errors name the path.
pub fn write_svg(path: &Path, svg: &str) -> io::Result<()> {
    let named = |action: &str, at: &Path| {
        let at = at.display().to_string();
        let action = action.to_owned();
        move |e: io::Error| io::Error::new(e.kind(), format!("{action} {at}: {e}"))
    };
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        fs::create_dir_all(parent).map_err(named("creating the directory", parent))?;
    }
    fs::write(path, svg).map_err(named("writing", path))
}

/// The colour of the `i`th series.
fn colour(i: usize) -> RGBColor {
    let (r, g, b) = PALETTE[i % PALETTE.len()];
    RGBColor(r, g, b)
}

/// A text style of `px` SVG pixels in the text colour.
fn font(px: f64) -> TextStyle<'static> {
    ("sans-serif", font_size(px)).into_font().color(&INK)
}

/// The font size to give plotters for text of `px` SVG pixels: plotters
/// writes `size / 1.24` into the SVG's `font-size`.
fn font_size(px: f64) -> f64 {
    px * 1.24
}

/// An estimate of how wide `text` is at `px` pixels in a sans-serif font,
/// from rough character widths that err on the wide side (DejaVu Sans,
/// the widest of the usual fonts, has digits of 0.64 em).
fn text_width(text: &str, px: f64) -> f64 {
    let em: f64 = text
        .chars()
        .map(|c| match c {
            'i' | 'j' | 'l' | '.' | ',' | ':' | ';' | '\'' | '!' | '|' => 0.32,
            ' ' | 'f' | 't' | 'r' | 'I' | '(' | ')' | '[' | ']' | '-' => 0.42,
            'm' | 'w' | 'M' | 'W' => 0.95,
            c if c.is_uppercase() => 0.72,
            _ => 0.64,
        })
        .sum();
    em * px
}

/// The `InvalidInput` error of a chart that cannot be drawn from its data.
fn invalid(title: &str, problem: impl Display) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("cannot draw the chart {title:?}: {problem}"),
    )
}

/// Turns an error of plotters into an `io::Error` naming the chart.
fn drawing_failed<E: Display>(title: &str) -> impl Fn(E) -> io::Error + '_ {
    move |e| io::Error::other(format!("drawing the chart {title:?}: {e}"))
}

/// Refuses more series than there are colours: two series of one colour
/// could not be told apart.
fn check_series_count(title: &str, count: usize) -> io::Result<()> {
    if count > PALETTE.len() {
        return Err(invalid(
            title,
            format!(
                "{count} series, but only {} colours to tell them apart",
                PALETTE.len()
            ),
        ));
    }
    Ok(())
}

/// One entry of the legend: what it names and how its key looks.
struct Key<'a> {
    name: &'a str,
    colour: RGBColor,
    kind: KeyKind,
}

/// The key drawn before a name in the legend.
enum KeyKind {
    /// A short line with a dot: a series of a line chart.
    Line,
    /// A filled square: a series of a bar chart.
    Block,
    /// A short dashed line: a reference line.
    Dashed,
}

impl KeyKind {
    /// How wide the key is, in pixels.
    fn width(&self) -> i32 {
        match self {
            KeyKind::Line | KeyKind::Dashed => 24,
            KeyKind::Block => 12,
        }
    }
}

/// The gap between a legend key and its name, and between entries.
const KEY_GAP: i32 = 6;
const ENTRY_GAP: i32 = 22;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult<T> = Result<T, DrawingAreaErrorKind<io::Error>>;

/// Draws the title and, under it, the legend on one centred row; returns
/// the area below them, where the plot goes.
fn header<'a>(root: &Area<'a>, title: &str, legend: &[Key]) -> DrawResult<Area<'a>> {
    let (top, rest) = root.split_vertically(HEADER);
    let centre = SIZE.0 as i32 / 2;
    let title_style = ("sans-serif", font_size(TITLE_PX), FontStyle::Bold)
        .into_font()
        .color(&INK)
        .pos(Pos::new(HPos::Center, VPos::Center));
    top.draw(&Text::new(title, (centre, 20), title_style))?;

    let entry_width =
        |key: &Key| key.kind.width() + KEY_GAP + text_width(key.name, LEGEND_PX).ceil() as i32;
    let total: i32 =
        legend.iter().map(entry_width).sum::<i32>() + ENTRY_GAP * (legend.len() as i32 - 1).max(0);
    let mut x = (centre - total / 2).max(4);
    let y = 47;
    for key in legend {
        let (left, right) = (x, x + key.kind.width());
        match key.kind {
            KeyKind::Line => {
                top.draw(&Rectangle::new(
                    [(left, y - 1), (right, y + 1)],
                    key.colour.filled(),
                ))?;
                top.draw(&Circle::new(
                    ((left + right) / 2, y),
                    4,
                    key.colour.filled(),
                ))?;
            }
            KeyKind::Block => {
                top.draw(&Rectangle::new(
                    [(left, y - 6), (right, y + 6)],
                    key.colour.filled(),
                ))?;
            }
            KeyKind::Dashed => {
                for dash in [(left, left + 9), (left + 15, right)] {
                    top.draw(&Rectangle::new(
                        [(dash.0, y - 1), (dash.1, y + 1)],
                        key.colour.filled(),
                    ))?;
                }
            }
        }
        top.draw(&Text::new(
            key.name,
            (right + KEY_GAP, y),
            font(LEGEND_PX).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += entry_width(key) + ENTRY_GAP;
    }
    Ok(rest)
}

/// Room left of the plot for the y axis: its widest label, the tick mark,
/// and the name of the axis turned on its side.
fn y_label_area(labels: impl Iterator<Item = String>) -> u32 {
    let widest = labels
        .map(|label| text_width(&label, TICK_PX))
        .fold(0.0, f64::max);
    widest.ceil() as u32 + 36
}

/// The range of a logarithmic axis that shows every value in `values`
/// (all finite and positive, at least one). It reaches out to the powers
/// of ten around the values, so that at least two are labelled, or to
/// 40% beyond the values if that is farther, so that no point sits on
/// the frame.
fn log_range(values: impl Iterator<Item = f64>) -> Range<f64> {
    let (min, max) = values.fold((f64::INFINITY, 0.0_f64), |(min, max), value| {
        (min.min(value), max.max(value))
    });
    let below = 10f64.powf(min.log10().floor());
    let mut above = 10f64.powf(max.log10().ceil());
    if above <= below {
        above = below * 10.0;
    }
    (min / 1.4).min(below)..(max * 1.4).max(above)
}

/// The powers of ten in `range`.
fn powers_of_ten(range: &Range<f64>) -> Vec<f64> {
    let first = range.start.log10().ceil() as i32;
    let last = range.end.log10().floor() as i32;
    (first..=last)
        .map(|exponent| 10f64.powi(exponent))
        .collect()
}

/// 2 to 9 times each power of ten, those in `range`.
fn between_powers_of_ten(range: &Range<f64>) -> Vec<f64> {
    let first = range.start.log10().floor() as i32;
    let last = range.end.log10().floor() as i32;
    (first..=last)
        .flat_map(|exponent| (2..=9).map(move |m| f64::from(m) * 10f64.powi(exponent)))
        .filter(|value| range.contains(value))
        .collect()
}

/// The top of a linear axis from 0 that shows `at_least`, and the step
/// between its labelled values: 4 to 8 steps of 1, 2 or 5 times a power
/// of ten (the steps plotters picks itself when asked for that many
/// labels).
fn round_top(at_least: f64) -> (f64, f64) {
    if at_least <= 0.0 {
        return (1.0, 0.2);
    }
    let rough = at_least / 8.0;
    let exponent = rough.log10().floor() as i32;
    // m × 10^exponent, computed so that 12 × 10^-1 is 1.2 exactly as
    // written, not 1.2000000000000002.
    let scaled = |m: f64| {
        if exponent >= 0 {
            m * 10f64.powi(exponent)
        } else {
            m / 10f64.powi(-exponent)
        }
    };
    let multiple = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| scaled(*m) >= rough)
        .unwrap_or(10.0);
    let steps = (at_least / scaled(multiple)).ceil();
    (scaled(steps * multiple), scaled(multiple))
}

/// A value as a bar chart shows it: whole numbers with thousands
/// separators (`120,000`), others with at most two decimals (`0.75`).
fn number(value: f64) -> String {
    if value.fract().abs() < 1e-9 || value.abs() >= 1_000.0 {
        let digits = format!("{:.0}", value.abs());
        let mut grouped = String::new();
        for (i, digit) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        if value < 0.0 {
            grouped.insert(0, '-');
        }
        grouped
    } else {
        let text = format!("{value:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// A value as a logarithmic axis shows it: `k`, `M` and `G` for thousands,
/// millions and billions (`10k`, `1M`), as [`number`] below a thousand.
fn short_number(value: f64) -> String {
    for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] {
        if value >= scale * (1.0 - 1e-9) {
            return format!("{}{suffix}", number(value / scale));
        }
    }
    number(value)
}

/// Splits `label` into lines no wider than `width` at `px` pixels: one
/// line if it fits, else the two lines (split at a space) whose wider one
/// is narrowest, else as many lines as a word-by-word fill needs.
fn wrap(label: &str, px: f64, width: f64) -> Vec<&str> {
    if text_width(label, px) <= width {
        return vec![label];
    }
    let best_pair = label
        .match_indices(' ')
        .map(|(at, _)| (label[..at].trim_end(), label[at..].trim_start()))
        .min_by(|a, b| {
            let wider = |(x, y): &(&str, &str)| text_width(x, px).max(text_width(y, px));
            wider(a).total_cmp(&wider(b))
        });
    match best_pair {
        None => vec![label],
        Some((first, second))
            if text_width(first, px) <= width && text_width(second, px) <= width =>
        {
            vec![first, second]
        }
        Some(_) => {
            let mut lines = Vec::new();
            let mut start = 0;
            let mut end = 0;
            for (at, _) in label
                .match_indices(' ')
                .chain(iter::once((label.len(), "")))
            {
                if end > start && text_width(&label[start..at], px) > width {
                    lines.push(&label[start..end]);
                    start = end + 1;
                }
                end = at;
            }
            lines.push(&label[start..]);
            lines
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn font_sizes_reach_the_svg_as_written() {
        for px in [TITLE_PX, LEGEND_PX, AXIS_NAME_PX, TICK_PX, VALUE_PX] {
            assert_eq!(font_size(px) / 1.24, px);
        }
    }

    #[test]
    fn numbers_are_grouped_or_trimmed() {
        assert_eq!(number(0.0), "0");
        assert_eq!(number(2.0), "2");
        assert_eq!(number(0.75), "0.75");
        assert_eq!(number(1.5), "1.5");
        assert_eq!(number(999.0), "999");
        assert_eq!(number(1_000.0), "1,000");
        assert_eq!(number(120_000.0), "120,000");
        assert_eq!(number(1_234_567.4), "1,234,567");
        assert_eq!(short_number(100.0), "100");
        assert_eq!(short_number(1_000.0), "1k");
        assert_eq!(short_number(100_000.0), "100k");
        assert_eq!(short_number(10_000_000.0), "10M");
        assert_eq!(short_number(1e9), "1G");
    }

    #[test]
    fn axis_tops_are_round_and_cover_the_value() {
        assert_eq!(round_top(132_000.0), (140_000.0, 20_000.0));
        assert_eq!(round_top(2.2), (2.5, 0.5));
        assert_eq!(round_top(1.1), (1.2, 0.2));
        assert_eq!(round_top(0.0), (1.0, 0.2));
        for at_least in [0.3, 7.0, 11.0, 99.0, 12_345.0, 98_765.0] {
            let (top, step) = round_top(at_least);
            assert!(
                top >= at_least && top - step < at_least,
                "{at_least}: {top} {step}"
            );
            assert!(
                (4.0..=8.0).contains(&(top / step).round()),
                "{at_least}: {top} {step}"
            );
        }
    }

    #[test]
    fn log_ranges_reach_past_the_values_and_hold_powers_of_ten() {
        let range = log_range([10.0, 100_000.0].into_iter());
        assert!(range.start < 10.0 && range.end > 100_000.0, "{range:?}");
        assert_eq!(powers_of_ten(&range), [10.0, 100.0, 1e3, 1e4, 1e5]);
        let range = log_range([400.0, 3e6].into_iter());
        assert_eq!(range, 100.0..1e7);
        // One value still gets two labelled powers of ten.
        let range = log_range([400.0].into_iter());
        assert_eq!(powers_of_ten(&range), [100.0, 1_000.0]);
        let minor = between_powers_of_ten(&(100.0..1_000.0));
        assert_eq!(
            minor,
            [200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0]
        );
    }

    #[test]
    fn long_labels_wrap_evenly_at_a_space() {
        assert_eq!(wrap("1 × 64 B", 12.0, 90.0), ["1 × 64 B"]);
        assert_eq!(
            wrap("1000 conns × 16 KiB", 12.0, 90.0),
            ["1000 conns", "× 16 KiB"]
        );
        assert_eq!(wrap("unbreakable_label", 12.0, 50.0), ["unbreakable_label"]);
        assert_eq!(
            wrap("one two three four five six", 12.0, 60.0),
            ["one two", "three", "four five", "six"]
        );
    }
}
