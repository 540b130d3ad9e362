//! A small SVG writer: a white card, boxes, text and arrows, and nothing
//! else. Every diagram of the book is made of these few calls.

use std::collections::BTreeSet;
use std::fmt::Write as _;

/// A colour of the palette: a strong shade for lines and a light tint for
/// the inside of boxes. The strong shades are the Okabe–Ito colours, which
/// stay distinct for readers with any kind of colour blindness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Colour {
    /// A word for it, used in marker ids.
    pub name: &'static str,
    /// For lines, arrows and text.
    pub strong: &'static str,
    /// For filling boxes, behind dark text.
    pub tint: &'static str,
}

pub const BLUE: Colour = Colour {
    name: "blue",
    strong: "#0072B2",
    tint: "#DDEBF6",
};
pub const ORANGE: Colour = Colour {
    name: "orange",
    strong: "#E69F00",
    tint: "#FCEFD2",
};
pub const GREEN: Colour = Colour {
    name: "green",
    strong: "#009E73",
    tint: "#D9F0E8",
};
pub const PINK: Colour = Colour {
    name: "pink",
    strong: "#CC79A7",
    tint: "#F5E4EE",
};
pub const VERMILLION: Colour = Colour {
    name: "vermillion",
    strong: "#D55E00",
    tint: "#F9E0D0",
};
pub const GREY: Colour = Colour {
    name: "grey",
    strong: "#6B6B6B",
    tint: "#EFEFEF",
};
/// Text on a dark dot.
pub const WHITE: Colour = Colour {
    name: "white",
    strong: "#FFFFFF",
    tint: "#FFFFFF",
};
/// Text and outlines.
pub const INK: Colour = Colour {
    name: "ink",
    strong: "#222222",
    tint: "#F7F7F7",
};

/// Which font a text is set in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Font {
    /// Words.
    Sans,
    /// Code: names of functions, types, constants.
    Mono,
}

/// Where a text's `x` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// How a text looks. Build one with [`Text::sans`] or [`Text::mono`] and
/// the methods after them: `Text::sans(13.0).bold().middle()`.
#[derive(Clone, Copy, Debug)]
pub struct Text {
    pub size: f64,
    pub font: Font,
    pub anchor: Anchor,
    pub bold: bool,
    pub italic: bool,
    pub colour: &'static str,
}

impl Text {
    /// Words, in a sans-serif font. Parts between backquotes are set in
    /// the monospace font, as code.
    pub const fn sans(size: f64) -> Text {
        Text {
            size,
            font: Font::Sans,
            anchor: Anchor::Start,
            bold: false,
            italic: false,
            colour: INK.strong,
        }
    }

    /// Code, in a monospace font.
    pub const fn mono(size: f64) -> Text {
        Text {
            font: Font::Mono,
            ..Text::sans(size)
        }
    }

    pub const fn bold(self) -> Text {
        Text { bold: true, ..self }
    }

    pub const fn italic(self) -> Text {
        Text {
            italic: true,
            ..self
        }
    }

    pub const fn middle(self) -> Text {
        Text {
            anchor: Anchor::Middle,
            ..self
        }
    }

    pub const fn end(self) -> Text {
        Text {
            anchor: Anchor::End,
            ..self
        }
    }

    pub const fn colour(self, colour: Colour) -> Text {
        Text {
            colour: colour.strong,
            ..self
        }
    }
}

/// How wide `text` is set in `style`, about. The widths are those of
/// DejaVu Sans and DejaVu Sans Mono, which set text wider than most
/// default fonts (Arial, Helvetica, Liberation Sans), so what fits by this
/// measure fits in a browser too. Backquoted parts of a sans text count as
/// monospace, the way [`Svg::text`] sets them.
pub fn text_width(text: &str, style: Text) -> f64 {
    let bold = if style.bold { 1.1 } else { 1.0 };
    let em: f64 = match style.font {
        Font::Mono => text.chars().filter(|&c| c != '`').count() as f64 * MONO_EM,
        Font::Sans => text
            .split('`')
            .enumerate()
            .map(|(i, part)| {
                if i % 2 == 1 {
                    part.chars().count() as f64 * MONO_EM
                } else {
                    part.chars().map(sans_em).sum()
                }
            })
            .sum(),
    };
    em * style.size * bold
}

/// The advance of one monospace character, in ems.
const MONO_EM: f64 = 0.61;

/// The advance of `c` in a sans-serif font, in ems, by kind of character.
fn sans_em(c: char) -> f64 {
    match c {
        'i' | 'l' | 'j' | '\'' | '|' | '!' => 0.28,
        '.' | ',' | ':' | ';' | ' ' => 0.32,
        't' | 'f' | 'r' | '(' | ')' | '[' | ']' | '-' | '/' => 0.4,
        'm' | 'W' => 0.98,
        'w' | 'M' => 0.87,
        'A'..='Z' => 0.72,
        '0'..='9' => 0.64,
        'a'..='z' => 0.62,
        _ => 0.84,
    }
}

/// A box's place: left, top, width, height.
pub type Area = (f64, f64, f64, f64);

/// How a box is drawn.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub fill: &'static str,
    pub stroke: &'static str,
    pub dashed: bool,
    pub radius: f64,
    pub stroke_width: f64,
}

impl Frame {
    /// Tinted inside, outlined in the strong shade.
    pub const fn of(colour: Colour) -> Frame {
        Frame {
            fill: colour.tint,
            stroke: colour.strong,
            dashed: false,
            radius: 6.0,
            stroke_width: 1.5,
        }
    }

    /// White inside, outlined in `colour`.
    pub const fn outline(colour: Colour) -> Frame {
        Frame {
            fill: "#FFFFFF",
            ..Frame::of(colour)
        }
    }

    /// A tint and no outline.
    pub const fn tint(colour: Colour) -> Frame {
        Frame {
            stroke: "none",
            ..Frame::of(colour)
        }
    }

    pub const fn dashed(self) -> Frame {
        Frame {
            dashed: true,
            ..self
        }
    }

    pub const fn radius(self, radius: f64) -> Frame {
        Frame { radius, ..self }
    }
}

/// How a line or an arrow is drawn.
#[derive(Clone, Copy, Debug)]
pub struct Stroke {
    pub colour: Colour,
    pub width: f64,
    pub dashed: bool,
}

impl Stroke {
    pub const fn of(colour: Colour) -> Stroke {
        Stroke {
            colour,
            width: 1.6,
            dashed: false,
        }
    }

    pub const fn dashed(self) -> Stroke {
        Stroke {
            dashed: true,
            ..self
        }
    }

    pub const fn width(self, width: f64) -> Stroke {
        Stroke { width, ..self }
    }
}

/// One text that was placed, for the tests: where it starts and ends.
#[derive(Clone, Debug)]
pub struct Placed {
    pub text: String,
    pub left: f64,
    pub right: f64,
    pub baseline: f64,
    pub size: f64,
    /// The left and right edges of the box it was centred in, if any.
    pub within: Option<(f64, f64)>,
}

/// An SVG document being written. `id` prefixes every id in it, so that
/// two diagrams on one page can never mix up their arrow heads.
pub struct Svg {
    id: &'static str,
    width: f64,
    height: f64,
    title: String,
    desc: String,
    body: String,
    heads: BTreeSet<Colour>,
    placed: Vec<Placed>,
}

/// The gap between the edge of the picture and its white card.
const CARD_INSET: f64 = 1.0;

impl Svg {
    /// A `width` × `height` picture on a white rounded card, with a title
    /// and a description for screen readers.
    pub fn new(id: &'static str, width: f64, height: f64, title: &str, desc: &str) -> Svg {
        let mut svg = Svg {
            id,
            width,
            height,
            title: title.to_owned(),
            desc: desc.to_owned(),
            body: String::new(),
            heads: BTreeSet::new(),
            placed: Vec::new(),
        };
        let card = Frame {
            fill: "#FFFFFF",
            stroke: "#CFCFCF",
            dashed: false,
            radius: 12.0,
            stroke_width: 1.0,
        };
        let side = 2.0 * CARD_INSET;
        svg.rect(CARD_INSET, CARD_INSET, width - side, height - side, card);
        svg
    }

    pub fn width(&self) -> f64 {
        self.width
    }

    pub fn height(&self) -> f64 {
        self.height
    }

    /// Every text placed so far.
    pub fn placed(&self) -> &[Placed] {
        &self.placed
    }

    /// A box.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, frame: Frame) {
        let dash = if frame.dashed {
            r#" stroke-dasharray="6 4""#
        } else {
            ""
        };
        let _ = writeln!(
            self.body,
            r#"<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{r}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"{dash}/>"#,
            r = frame.radius,
            fill = frame.fill,
            stroke = frame.stroke,
            sw = frame.stroke_width,
        );
    }

    /// A box with `label` centred in it (one line).
    pub fn boxed(&mut self, (x, y, w, h): Area, frame: Frame, label: &str, style: Text) {
        self.rect(x, y, w, h, frame);
        let baseline = y + h / 2.0 + style.size * 0.35;
        self.text(x + w / 2.0, baseline, label, style.middle());
        self.inside(x, w);
    }

    /// Records that the text placed last is in a box from `x`, `w` wide.
    fn inside(&mut self, x: f64, w: f64) {
        if let Some(placed) = self.placed.last_mut() {
            placed.within = Some((x, x + w));
        }
    }

    /// A box with `lines` centred in it, one under the other.
    pub fn boxed_lines(&mut self, (x, y, w, h): Area, frame: Frame, lines: &[&str], style: Text) {
        self.rect(x, y, w, h, frame);
        let step = style.size * 1.3;
        let first = y + h / 2.0 - step * (lines.len() as f64 - 1.0) / 2.0 + style.size * 0.35;
        for (i, line) in lines.iter().enumerate() {
            self.text(x + w / 2.0, first + i as f64 * step, line, style.middle());
            self.inside(x, w);
        }
    }

    /// One line of text whose baseline is at `y`. In a sans-serif text,
    /// parts between backquotes are set in the monospace font.
    pub fn text(&mut self, x: f64, y: f64, text: &str, style: Text) {
        let family = match style.font {
            Font::Sans => "sans-serif",
            Font::Mono => "monospace",
        };
        let anchor = match style.anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let mut attributes = format!(
            r#"x="{x}" y="{y}" font-family="{family}" font-size="{}" fill="{}""#,
            style.size, style.colour
        );
        if style.anchor != Anchor::Start {
            let _ = write!(attributes, r#" text-anchor="{anchor}""#);
        }
        if style.bold {
            attributes.push_str(r#" font-weight="bold""#);
        }
        if style.italic {
            attributes.push_str(r#" font-style="italic""#);
        }
        let mut content = String::new();
        match style.font {
            Font::Mono => content.push_str(&escape(text)),
            Font::Sans => {
                for (i, part) in text.split('`').enumerate() {
                    if i % 2 == 1 {
                        let _ = write!(
                            content,
                            r#"<tspan font-family="monospace">{}</tspan>"#,
                            escape(part)
                        );
                    } else {
                        content.push_str(&escape(part));
                    }
                }
            }
        }
        let _ = writeln!(self.body, "<text {attributes}>{content}</text>");
        let width = text_width(text, style);
        let left = match style.anchor {
            Anchor::Start => x,
            Anchor::Middle => x - width / 2.0,
            Anchor::End => x - width,
        };
        self.placed.push(Placed {
            text: text.replace('`', ""),
            left,
            right: left + width,
            baseline: y,
            size: style.size,
            within: None,
        });
    }

    /// A line through `points`, with no arrow head.
    pub fn line(&mut self, points: &[(f64, f64)], stroke: Stroke) {
        self.path(points, stroke, false);
    }

    /// An arrow through `points`, its head at the last one.
    pub fn arrow(&mut self, points: &[(f64, f64)], stroke: Stroke) {
        self.path(points, stroke, true);
    }

    fn path(&mut self, points: &[(f64, f64)], stroke: Stroke, head: bool) {
        let points: Vec<String> = points.iter().map(|(x, y)| format!("{x},{y}")).collect();
        let mut attributes = format!(
            r#"points="{}" fill="none" stroke="{}" stroke-width="{}" stroke-linejoin="round""#,
            points.join(" "),
            stroke.colour.strong,
            stroke.width
        );
        if stroke.dashed {
            attributes.push_str(r#" stroke-dasharray="5 4""#);
        }
        if head {
            self.heads.insert(stroke.colour);
            let _ = write!(
                attributes,
                r##" marker-end="url(#{}-head-{})""##,
                self.id, stroke.colour.name
            );
        }
        let _ = writeln!(self.body, "<polyline {attributes}/>");
    }

    /// A filled circle.
    pub fn dot(&mut self, x: f64, y: f64, r: f64, colour: Colour) {
        let _ = writeln!(
            self.body,
            r#"<circle cx="{x}" cy="{y}" r="{r}" fill="{}"/>"#,
            colour.strong
        );
    }

    /// A filled closed shape through `points` (an area under a curve).
    pub fn area(&mut self, points: &[(f64, f64)], fill: &'static str) {
        let points: Vec<String> = points.iter().map(|(x, y)| format!("{x},{y}")).collect();
        let _ = writeln!(
            self.body,
            r#"<polygon points="{}" fill="{fill}" stroke="none"/>"#,
            points.join(" ")
        );
    }

    /// The finished document.
    pub fn finish(self) -> String {
        let (w, h, id) = (self.width, self.height, self.id);
        let mut out = String::new();
        let _ = writeln!(
            out,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" aria-labelledby="{id}-title {id}-desc">"#
        );
        let _ = writeln!(
            out,
            r#"<title id="{id}-title">{}</title>"#,
            escape(&self.title)
        );
        let _ = writeln!(out, r#"<desc id="{id}-desc">{}</desc>"#, escape(&self.desc));
        if !self.heads.is_empty() {
            out.push_str("<defs>\n");
            for colour in &self.heads {
                let _ = writeln!(
                    out,
                    r#"<marker id="{id}-head-{}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{}"/></marker>"#,
                    colour.name, colour.strong
                );
            }
            out.push_str("</defs>\n");
        }
        out.push_str(&self.body);
        out.push_str("</svg>\n");
        out
    }
}

/// `text` with the three characters XML gives a meaning escaped.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
