//! Chapter 1: `struct epoll_event` byte by byte, packed on x86-64 and
//! natural everywhere else, with the members of `union epoll_data` laid
//! over the data field.
//!
//! The facts: the kernel's `include/uapi/linux/eventpoll.h` and glibc's
//! `<sys/epoll.h>` pack the struct on x86-64 only (`EPOLL_PACKED`,
//! `__EPOLL_PACKED`); `libc` does the same with
//! `#[cfg_attr(target_arch = "x86_64", repr(packed))]`, and chapter 1's
//! `Event` with `repr(C, packed)`. Chapter 1's tests check the sizes and
//! offsets drawn here.

use crate::svg::{BLUE, Colour, Frame, GREY, ORANGE, PINK, Stroke, Svg, Text};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 540.0;
/// Where byte 0 starts, and how wide a byte is drawn.
const X0: f64 = 40.0;
const BYTE: f64 = 36.0;
/// The height of a field, and of a union member's bar under it.
const FIELD_H: f64 = 40.0;
const BAR_H: f64 = 18.0;
const BAR_GAP: f64 = 5.0;

/// One target's layout: where `data` starts and how long the struct is.
struct Layout {
    heading: &'static str,
    note: &'static str,
    data_at: u32,
    size: u32,
    /// The top of the block: its heading's baseline.
    top: f64,
}

const PACKED: Layout = Layout {
    heading: "x86-64: packed, 12 bytes, alignment 1",
    note: "kernel and glibc headers: `__attribute__((packed))`; Rust: `repr(C, packed)`",
    data_at: 4,
    size: 12,
    top: 66.0,
};

const NATURAL: Layout = Layout {
    heading: "every other 64-bit target: natural C layout, 16 bytes, alignment 8",
    note: "the `u64` needs 8-byte alignment, so 4 bytes of padding follow `events`",
    data_at: 8,
    size: 16,
    top: 282.0,
};

/// The union's members: name and type, and how many bytes each covers.
const MEMBERS: [(&str, u32); 4] = [
    ("u64: u64", 8),
    ("ptr: *mut c_void", 8),
    ("fd: c_int", 4),
    ("u32: u32", 4),
];

fn x_of(byte: u32) -> f64 {
    X0 + f64::from(byte) * BYTE
}

pub fn draw() -> Svg {
    let mut svg = Svg::new(
        "epoll-event-layout",
        WIDTH,
        HEIGHT,
        "The layout of struct epoll_event",
        "Two byte layouts of struct epoll_event. On x86-64 the struct is packed: \
         12 bytes, events (a u32) at offset 0 and data (8 bytes) at offset 4, so \
         the next event in an array starts at byte 12. On every other 64-bit \
         target it has C's natural layout: 16 bytes, events at offset 0, 4 bytes \
         of padding, data at offset 8, the next event at byte 16. Under each data \
         field the four members of union epoll_data are drawn overlapping: u64 \
         and ptr cover all 8 bytes, fd and u32 the first 4.",
    );
    svg.text(
        24.0,
        34.0,
        "struct epoll_event, byte by byte",
        Text::sans(17.0).bold(),
    );
    block(&mut svg, &PACKED);
    block(&mut svg, &NATURAL);
    let small = Text::sans(12.5).colour(GREY);
    svg.text(
        24.0,
        HEIGHT - 34.0,
        "The union's members overlap: all four start at the first byte of `data`. \
         `fd` and `u32` are its",
        small,
    );
    svg.text(
        24.0,
        HEIGHT - 16.0,
        "first four bytes, the low half of the `u64` on a little-endian machine. \
         On 32-bit targets `ptr` is 4 bytes.",
        small,
    );
    svg
}

/// One layout: heading, byte numbers, the fields, the union under `data`,
/// and the start of the next event.
fn block(svg: &mut Svg, layout: &Layout) {
    let top = layout.top;
    svg.text(24.0, top, layout.heading, Text::sans(15.0).bold());
    svg.text(24.0, top + 20.0, layout.note, Text::sans(12.5));

    let numbers = top + 44.0;
    let field_y = numbers + 6.0;
    for byte in 0..layout.size {
        let centre = x_of(byte) + BYTE / 2.0;
        svg.text(
            centre,
            numbers,
            &byte.to_string(),
            Text::sans(11.0).middle().colour(GREY),
        );
    }

    let mono = Text::mono(13.0);
    field(svg, 0, 4, field_y, BLUE, "events: u32", mono);
    if layout.data_at > 4 {
        let (left, right) = (x_of(4), x_of(layout.data_at));
        svg.boxed(
            (left, field_y, right - left, FIELD_H),
            Frame::of(GREY).dashed().radius(4.0),
            "padding",
            Text::sans(13.0).italic().colour(GREY),
        );
    }
    field(
        svg,
        layout.data_at,
        layout.size,
        field_y,
        ORANGE,
        "data: union epoll_data",
        mono,
    );

    // The next event of an array, right after this one.
    let next = x_of(layout.size);
    svg.text(
        next + BYTE / 2.0,
        numbers,
        &layout.size.to_string(),
        Text::sans(11.0).middle().bold(),
    );
    svg.rect(
        next + 4.0,
        field_y,
        WIDTH - 24.0 - next - 4.0,
        FIELD_H,
        Frame::outline(GREY).dashed().radius(4.0),
    );
    svg.text(
        (next + WIDTH - 24.0) / 2.0 + 2.0,
        field_y + FIELD_H / 2.0 + 4.5,
        "next event",
        Text::sans(12.5).middle().colour(GREY),
    );

    // The union, laid over the data field.
    let bars = field_y + FIELD_H + 8.0;
    for (i, (name, len)) in MEMBERS.iter().enumerate() {
        let y = bars + i as f64 * (BAR_H + BAR_GAP);
        let from = x_of(layout.data_at);
        let to = x_of(layout.data_at + len);
        svg.boxed(
            (from, y, to - from, BAR_H),
            Frame::of(PINK).radius(3.0),
            name,
            Text::mono(12.0),
        );
    }
    let label_x = x_of(layout.data_at) - 10.0;
    let middle = bars + 2.0 * (BAR_H + BAR_GAP) - BAR_GAP / 2.0;
    svg.text(
        label_x,
        middle - 4.0,
        "union epoll_data",
        Text::mono(12.5).end(),
    );
    svg.text(
        label_x,
        middle + 12.0,
        "its members overlap",
        Text::sans(12.0).end().colour(GREY),
    );
    svg.line(
        &[
            (x_of(layout.data_at) - 5.0, bars),
            (
                x_of(layout.data_at) - 5.0,
                bars + 4.0 * (BAR_H + BAR_GAP) - BAR_GAP,
            ),
        ],
        Stroke::of(PINK),
    );
}

/// A field of the struct: bytes `from..to`, with a tick at every byte.
fn field(svg: &mut Svg, from: u32, to: u32, y: f64, colour: Colour, label: &str, style: Text) {
    let (left, right) = (x_of(from), x_of(to));
    let frame = Frame::of(colour).radius(4.0);
    svg.boxed((left, y, right - left, FIELD_H), frame, label, style);
    let tick = Stroke::of(colour).width(1.0);
    for byte in from + 1..to {
        let x = x_of(byte);
        svg.line(&[(x, y), (x, y + 6.0)], tick);
        svg.line(&[(x, y + FIELD_H - 6.0), (x, y + FIELD_H)], tick);
    }
}
