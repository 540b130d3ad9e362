//! Chapter 2: an epoll instance's two lists, what `epoll_ctl` changes and
//! what `epoll_wait` copies out, and a file becoming ready.
//!
//! The registrations are the ones of the chapter's text picture: a pipe's
//! read end (`EPOLLIN`, token 1) and write end (`EPOLLOUT`, token 2), both
//! ready, and a socket (`EPOLLIN`, token 3) that is about to be.

use crate::svg::{BLUE, Frame, GREEN, GREY, INK, Stroke, Svg, Text, VERMILLION};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 530.0;

/// The program, at the top.
const PROGRAM_Y: f64 = 52.0;
const PROGRAM_H: f64 = 94.0;
/// The events buffer in the program: its cells.
const BUFFER_X: f64 = 380.0;
const BUFFER_Y: f64 = 98.0;
const CELL_W: f64 = 104.0;
const CELL_H: f64 = 30.0;

/// The epoll instance, in the middle.
const KERNEL_Y: f64 = 200.0;
const KERNEL_H: f64 = 232.0;
/// The interest list's panel and its rows.
const INTEREST_X: f64 = 36.0;
const INTEREST_W: f64 = 420.0;
const PANEL_Y: f64 = KERNEL_Y + 36.0;
const PANEL_H: f64 = 180.0;
const ROW_Y: f64 = PANEL_Y + 56.0;
const ROW_H: f64 = 30.0;
const ROW_STEP: f64 = 38.0;
/// The ready list's panel and its entries.
const READY_X: f64 = 504.0;
const READY_W: f64 = 180.0;
const ENTRY_X: f64 = READY_X + 14.0;
const ENTRY_W: f64 = READY_W - 28.0;

/// The file event, at the bottom.
const FILE_Y: f64 = 462.0;

/// One registration: what it is, its mask and its token, and whether it is
/// on the ready list (`Some(true)`), about to be linked in (`Some(false)`),
/// or not ready (`None`).
const ENTRIES: [(&str, &str, &str, Option<bool>); 3] = [
    ("pipe read end", "EPOLLIN", "1", Some(true)),
    ("pipe write end", "EPOLLOUT", "2", Some(true)),
    ("socket", "EPOLLIN", "3", Some(false)),
];

fn row_y(i: usize) -> f64 {
    ROW_Y + i as f64 * ROW_STEP
}

pub fn draw() -> Svg {
    let mut svg = Svg::new(
        "interest-and-ready-lists",
        WIDTH,
        HEIGHT,
        "An epoll instance: the interest list and the ready list",
        "A program calls epoll_ctl, whose arrow points into the interest list of \
         an epoll instance in the kernel. The interest list has three entries, each \
         an fd with its event mask and its data (token): a pipe's read end, EPOLLIN, \
         1; the pipe's write end, EPOLLOUT, 2; a socket, EPOLLIN, 3. The ready list \
         links the first two entries. epoll_wait copies the ready entries out into \
         the program's events buffer as (events, data) pairs: (EPOLLIN, 1) and \
         (EPOLLOUT, 2). At the bottom, data arrives on the socket, and the kernel \
         links its entry onto the ready list.",
    );
    svg.text(
        24.0,
        34.0,
        "One epoll instance, two lists",
        Text::sans(17.0).bold(),
    );
    program(&mut svg);
    instance(&mut svg);
    file_event(&mut svg);
    svg
}

fn program(svg: &mut Svg) {
    svg.rect(20.0, PROGRAM_Y, WIDTH - 40.0, PROGRAM_H, Frame::of(INK));
    svg.text(
        36.0,
        PROGRAM_Y + 24.0,
        "your program",
        Text::sans(14.0).bold(),
    );
    svg.text(
        36.0,
        PROGRAM_Y + 52.0,
        "epoll_ctl(epfd, op, fd, &event)",
        Text::mono(13.0),
    );
    svg.text(
        36.0,
        PROGRAM_Y + 72.0,
        "op: ADD, MOD or DEL an entry",
        Text::sans(12.5).colour(GREY),
    );
    svg.text(
        BUFFER_X,
        PROGRAM_Y + 24.0,
        "epoll_wait(epfd, buffer, timeout)",
        Text::mono(13.0),
    );
    let cells = ["(EPOLLIN, 1)", "(EPOLLOUT, 2)", ""];
    for (i, cell) in cells.iter().enumerate() {
        let x = BUFFER_X + i as f64 * CELL_W;
        let frame = if cell.is_empty() {
            Frame::outline(GREY).radius(0.0)
        } else {
            Frame::of(GREEN).radius(0.0)
        };
        svg.boxed((x, BUFFER_Y, CELL_W, CELL_H), frame, cell, Text::mono(12.0));
    }
    svg.text(
        BUFFER_X + 2.5 * CELL_W,
        BUFFER_Y + CELL_H / 2.0 + 4.0,
        "unused",
        Text::sans(11.5).middle().italic().colour(GREY),
    );
    svg.text(
        BUFFER_X - 8.0,
        BUFFER_Y + CELL_H / 2.0 + 4.0,
        "buffer",
        Text::sans(12.5).end().colour(GREY),
    );
}

fn instance(svg: &mut Svg) {
    svg.rect(20.0, KERNEL_Y, WIDTH - 40.0, KERNEL_H, Frame::of(GREY));
    svg.text(
        36.0,
        KERNEL_Y + 24.0,
        "epoll instance, in the kernel",
        Text::sans(14.0).bold(),
    );

    // epoll_ctl writes into the interest list.
    let ctl_x = 300.0;
    svg.arrow(
        &[(ctl_x, PROGRAM_Y + PROGRAM_H), (ctl_x, PANEL_Y)],
        Stroke::of(BLUE).width(2.0),
    );
    svg.text(
        ctl_x - 10.0,
        PROGRAM_Y + PROGRAM_H + 30.0,
        "adds, changes or removes an entry",
        Text::sans(12.5).end().colour(BLUE),
    );

    // The interest list.
    svg.rect(INTEREST_X, PANEL_Y, INTEREST_W, PANEL_H, Frame::of(BLUE));
    svg.text(
        INTEREST_X + 12.0,
        PANEL_Y + 22.0,
        "interest list: every registered fd",
        Text::sans(13.5).bold(),
    );
    let columns = [
        (INTEREST_X + 16.0, "fd"),
        (INTEREST_X + 170.0, "events"),
        (INTEREST_X + 300.0, "data (token)"),
    ];
    for (x, name) in columns {
        svg.text(x, PANEL_Y + 44.0, name, Text::sans(12.0).colour(GREY));
    }
    for (i, (fd, events, token, _)) in ENTRIES.iter().enumerate() {
        let y = row_y(i);
        svg.rect(
            INTEREST_X + 8.0,
            y,
            INTEREST_W - 16.0,
            ROW_H,
            Frame::outline(BLUE).radius(4.0),
        );
        let baseline = y + ROW_H / 2.0 + 4.5;
        svg.text(columns[0].0, baseline, fd, Text::sans(13.0));
        svg.text(columns[1].0, baseline, events, Text::mono(13.0));
        svg.text(
            columns[2].0 + 30.0,
            baseline,
            token,
            Text::mono(13.0).bold(),
        );
    }

    // The ready list: links to entries of the interest list.
    svg.rect(READY_X, PANEL_Y, READY_W, PANEL_H, Frame::of(GREEN));
    svg.text(
        READY_X + 12.0,
        PANEL_Y + 22.0,
        "ready list",
        Text::sans(13.5).bold(),
    );
    svg.text(
        READY_X + 12.0,
        PANEL_Y + 40.0,
        "the entries ready now",
        Text::sans(12.0).colour(GREY),
    );
    for (i, (_, events, token, ready)) in ENTRIES.iter().enumerate() {
        let Some(linked) = ready else { continue };
        let y = row_y(i);
        let frame = if *linked {
            Frame::outline(GREEN).radius(4.0)
        } else {
            Frame::outline(GREEN).dashed().radius(4.0)
        };
        svg.boxed(
            (ENTRY_X, y, ENTRY_W, ROW_H),
            frame,
            &format!("{token}  {events}"),
            Text::mono(13.0),
        );
        let link = Stroke::of(GREEN).width(1.8);
        let link = if *linked { link } else { link.dashed() };
        let middle = y + ROW_H / 2.0;
        svg.arrow(
            &[(INTEREST_X + INTEREST_W - 8.0, middle), (ENTRY_X, middle)],
            link,
        );
        if *linked {
            svg.text(
                (INTEREST_X + INTEREST_W + ENTRY_X) / 2.0 - 4.0,
                middle - 6.0,
                "linked",
                Text::sans(11.0).middle().colour(GREEN),
            );
        }
    }
    // The entries form a list.
    let chain = |i: usize| {
        [
            (ENTRY_X + 20.0, row_y(i) + ROW_H),
            (ENTRY_X + 20.0, row_y(i + 1)),
        ]
    };
    svg.line(&chain(0), Stroke::of(GREEN).width(1.8));
    svg.line(&chain(1), Stroke::of(GREEN).width(1.8).dashed());

    // epoll_wait copies the ready entries out.
    let wait_x = READY_X + 40.0;
    svg.arrow(
        &[(wait_x, PANEL_Y), (wait_x, BUFFER_Y + CELL_H + 2.0)],
        Stroke::of(GREEN).width(2.0),
    );
    svg.text(
        wait_x - 10.0,
        PROGRAM_Y + PROGRAM_H + 22.0,
        "copies each ready entry's",
        Text::sans(12.5).end().colour(GREEN),
    );
    svg.text(
        wait_x - 10.0,
        PROGRAM_Y + PROGRAM_H + 38.0,
        "(events, data) out",
        Text::sans(12.5).end().colour(GREEN),
    );
}

fn file_event(svg: &mut Svg) {
    let socket_row = ENTRIES.len() - 1;
    let link_x = (INTEREST_X + INTEREST_W + ENTRY_X) / 2.0 - 4.0;
    svg.arrow(
        &[
            (link_x, FILE_Y),
            (link_x, row_y(socket_row) + ROW_H / 2.0 + 4.0),
        ],
        Stroke::of(VERMILLION).width(2.0),
    );
    svg.boxed(
        (36.0, FILE_Y, WIDTH - 72.0, 38.0),
        Frame::of(VERMILLION),
        "data arrives on the socket: the kernel links its entry onto the ready list",
        Text::sans(13.5),
    );
}
