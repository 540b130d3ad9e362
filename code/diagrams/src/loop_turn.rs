//! Chapter 8: one turn of the loop, `EventLoop::dispatch`, from the wait
//! to the callbacks and what `settle` does with each `PostAction`.
//!
//! From `chapters/ch08-generic-sources/src/event_loop.rs`: `dispatch`
//! waits unless events are left from a dispatch that failed; for each
//! event it counts it first (`next += 1`), drains the `LoopSignal`'s
//! eventfd for the token `u64::MAX`, lends the source out of its slot
//! (`Running::lend`, `None` for a stale or disabled one), runs
//! `process_events`, and `settle`s the stronger of the callback's
//! `PostAction` and what the handle was asked meanwhile (`then`).

use crate::svg::{BLUE, Frame, GREEN, GREY, INK, ORANGE, PINK, Stroke, Svg, Text, VERMILLION};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 704.0;

/// The main column of steps, and the notes to its right.
const MAIN_X: f64 = 52.0;
const MAIN_W: f64 = 340.0;
const NOTE_X: f64 = 424.0;
const NOTE_W: f64 = 272.0;
const STEP_H: f64 = 30.0;

/// The tops of the steps, in order.
const DISPATCH_Y: f64 = 52.0;
const WAIT_Y: f64 = 112.0;
const BUFFER_Y: f64 = 178.0;
const EACH_Y: f64 = 240.0;
const SIGNAL_Y: f64 = 262.0;
const LEND_Y: f64 = 334.0;
const PROCESS_Y: f64 = 398.0;
const SETTLE_Y: f64 = 478.0;
const OUTCOME_Y: f64 = 536.0;
const OUTCOME_H: f64 = 58.0;
const FAIL_Y: f64 = 640.0;
/// Where the arrow back to the next event runs.
const LOOP_X: f64 = 30.0;

fn centre() -> f64 {
    MAIN_X + MAIN_W / 2.0
}

pub fn draw() -> Svg {
    let mut svg = Svg::new(
        "event-loop-turn",
        WIDTH,
        HEIGHT,
        "One turn of the event loop: dispatch",
        "A flow chart of EventLoop::dispatch. dispatch(timeout, data) calls \
         epoll_wait, unless events are left from a dispatch that failed; the \
         kernel fills the Events buffer with (events, token) pairs. Then, for each \
         event in the kernel's order, counted first: the token u64::MAX is the \
         LoopSignal's eventfd, which is drained. Any other token names a slot and \
         a generation; table.lend takes the source out of its slot, or finds the \
         slot vacant, disabled or of another generation, and the stale event is \
         skipped. The lent source's process_events calls the callback with the \
         event, &mut Watched and the loop's data. settle then does the stronger of \
         the returned PostAction and what the handle was asked meanwhile: \
         Continue puts the source back with no system call; Reregister calls \
         epoll_ctl(MOD) and puts it back; Disable calls epoll_ctl(DEL) and keeps \
         it disabled; Remove vacates the slot, calls epoll_ctl(DEL) and drops the \
         source, closing its fd. Then the next event. If a source fails, dispatch \
         returns Error::Source at once and the rest of the batch waits for the \
         next dispatch.",
    );
    svg.text(
        24.0,
        34.0,
        "One turn of the loop: dispatch",
        Text::sans(17.0).bold(),
    );
    wait(&mut svg);
    each_event(&mut svg);
    settle(&mut svg);
    svg
}

/// A step of the main column.
fn step(svg: &mut Svg, y: f64, colour: crate::svg::Colour, label: &str) {
    svg.boxed(
        (MAIN_X, y, MAIN_W, STEP_H),
        Frame::of(colour),
        label,
        Text::mono(12.5),
    );
}

/// An arrow down the main column, from the bottom of one step to the top
/// of the next.
fn down(svg: &mut Svg, from: f64, to: f64) {
    svg.arrow(&[(centre(), from), (centre(), to)], Stroke::of(INK));
}

/// A note to the right of the main column, with an arrow to it from the
/// step at `y`.
fn aside(svg: &mut Svg, y: f64, colour: crate::svg::Colour, lines: &[&str]) {
    let h = 14.0 + lines.len() as f64 * 16.0;
    let top = y + STEP_H / 2.0 - h / 2.0;
    svg.boxed_lines(
        (NOTE_X, top, NOTE_W, h),
        Frame::of(colour),
        lines,
        Text::sans(12.0),
    );
    let middle = y + STEP_H / 2.0;
    svg.arrow(
        &[(MAIN_X + MAIN_W, middle), (NOTE_X - 1.0, middle)],
        Stroke::of(colour),
    );
}

fn wait(svg: &mut Svg) {
    step(
        svg,
        DISPATCH_Y,
        GREY,
        "event_loop.dispatch(timeout, &mut data)",
    );
    down(svg, DISPATCH_Y + STEP_H, WAIT_Y);
    svg.text(
        centre() + 10.0,
        DISPATCH_Y + STEP_H + 20.0,
        "unless events are left from a dispatch that failed",
        Text::sans(11.5).colour(GREY),
    );
    step(svg, WAIT_Y, BLUE, "epoll_wait(&mut events, timeout)");
    svg.text(
        NOTE_X,
        WAIT_Y + 20.0,
        "one system call, one batch",
        Text::sans(12.5).colour(BLUE),
    );
    down(svg, WAIT_Y + STEP_H, BUFFER_Y);

    // The buffer the kernel filled.
    let cells = [
        "IN, slot 2 gen 0 fd 0",
        "IN, u64::MAX",
        "OUT, slot 0 gen 1 fd 0",
        "…",
    ];
    let widths = [190.0, 130.0, 196.0, 40.0];
    let mut x = MAIN_X;
    for (cell, w) in cells.iter().zip(widths) {
        svg.boxed(
            (x, BUFFER_Y, w, 26.0),
            Frame::outline(BLUE).radius(0.0),
            cell,
            Text::mono(11.5),
        );
        x += w;
    }
    svg.text(
        centre() + 10.0,
        BUFFER_Y - 12.0,
        "the kernel fills the `Events` buffer: (bits, token) pairs",
        Text::sans(11.5).colour(GREY),
    );
}

fn each_event(svg: &mut Svg) {
    svg.text(
        MAIN_X,
        EACH_Y + 4.0,
        "for each event, in the kernel's order, counted first (`next += 1`):",
        Text::sans(13.0).bold(),
    );
    step(svg, SIGNAL_Y, GREY, "token == u64::MAX ?");
    aside(
        svg,
        SIGNAL_Y,
        GREY,
        &[
            "yes: the `LoopSignal`'s eventfd:",
            "drain it, then the next event",
        ],
    );
    down(svg, SIGNAL_Y + STEP_H, LEND_Y);
    svg.text(
        centre() + 8.0,
        SIGNAL_Y + STEP_H + 17.0,
        "no: the token names a slot",
        Text::sans(11.5).colour(GREY),
    );
    svg.text(
        centre() + 8.0,
        SIGNAL_Y + STEP_H + 31.0,
        "and a generation",
        Text::sans(11.5).colour(GREY),
    );

    step(svg, LEND_Y, GREEN, "table.lend(slot, generation)");
    aside(
        svg,
        LEND_Y,
        GREY,
        &["vacant, disabled, or another", "generation: stale, skipped"],
    );
    down(svg, LEND_Y + STEP_H, PROCESS_Y);
    svg.text(
        centre() + 8.0,
        LEND_Y + STEP_H + 15.0,
        "the source leaves its slot;",
        Text::sans(11.5).colour(GREEN),
    );
    svg.text(
        centre() + 8.0,
        LEND_Y + STEP_H + 29.0,
        "the slot is `Lent { then }`",
        Text::sans(11.5).colour(GREEN),
    );

    let h = 46.0;
    svg.boxed_lines(
        (MAIN_X, PROCESS_Y, MAIN_W, h),
        Frame::of(PINK),
        &[
            "source.process_events(readiness, token, …)",
            "→ callback(event, &mut Watched<F>, data)",
        ],
        Text::mono(12.0),
    );
    let note_h = 62.0;
    let top = PROCESS_Y + h / 2.0 - note_h / 2.0;
    svg.boxed_lines(
        (NOTE_X, top, NOTE_W, note_h),
        Frame::outline(PINK),
        &[
            "the callback may use the `LoopHandle`;",
            "a change to its own source waits",
            "in `then` until it returns",
        ],
        Text::sans(12.0),
    );
    svg.line(
        &[
            (MAIN_X + MAIN_W, PROCESS_Y + h / 2.0),
            (NOTE_X, PROCESS_Y + h / 2.0),
        ],
        Stroke::of(PINK).dashed(),
    );
    down(svg, PROCESS_Y + h, SETTLE_Y);
    svg.text(
        centre() + 8.0,
        PROCESS_Y + h + 20.0,
        "its `PostAction` (`Continue` after an error)",
        Text::sans(11.5).colour(GREY),
    );
}

fn settle(svg: &mut Svg) {
    step(
        svg,
        SETTLE_Y,
        ORANGE,
        "settle: the stronger of PostAction and then",
    );

    let outcomes: [(&str, [&str; 2], crate::svg::Colour); 4] = [
        ("Continue", ["back in its slot,", "no system call"], GREY),
        (
            "Reregister",
            ["`epoll_ctl(MOD)`,", "back in its slot"],
            BLUE,
        ),
        ("Disable", ["`epoll_ctl(DEL)`,", "kept, disabled"], ORANGE),
        (
            "Remove",
            ["slot vacated, `DEL`,", "dropped: fd closed"],
            VERMILLION,
        ),
    ];
    let gap = 12.0;
    let w = (WIDTH - 24.0 - MAIN_X - 3.0 * gap) / 4.0;
    let fork = SETTLE_Y + STEP_H + 12.0;
    svg.line(
        &[(centre(), SETTLE_Y + STEP_H), (centre(), fork)],
        Stroke::of(INK),
    );
    for (i, (name, lines, colour)) in outcomes.iter().enumerate() {
        let x = MAIN_X + i as f64 * (w + gap);
        let middle = x + w / 2.0;
        svg.line(&[(centre(), fork), (middle, fork)], Stroke::of(INK));
        svg.arrow(&[(middle, fork), (middle, OUTCOME_Y)], Stroke::of(INK));
        svg.rect(x, OUTCOME_Y, w, OUTCOME_H, Frame::of(*colour));
        svg.text(
            middle,
            OUTCOME_Y + 17.0,
            name,
            Text::mono(12.5).bold().middle(),
        );
        for (j, line) in lines.iter().enumerate() {
            svg.text(
                middle,
                OUTCOME_Y + 34.0 + j as f64 * 15.0,
                line,
                Text::sans(11.5).middle(),
            );
        }
    }

    // Back to the next event, from every outcome.
    let below = OUTCOME_Y + OUTCOME_H + 12.0;
    for i in 0..outcomes.len() {
        let middle = MAIN_X + i as f64 * (w + gap) + w / 2.0;
        svg.line(
            &[(middle, OUTCOME_Y + OUTCOME_H), (middle, below)],
            Stroke::of(INK),
        );
    }
    let last_middle = MAIN_X + 3.0 * (w + gap) + w / 2.0;
    svg.arrow(
        &[
            (last_middle, below),
            (LOOP_X, below),
            (LOOP_X, EACH_Y),
            (MAIN_X - 6.0, EACH_Y),
        ],
        Stroke::of(INK),
    );
    svg.text(
        MAIN_X,
        below + 17.0,
        "then the next event; after the last one, `dispatch` returns `Ok(())`",
        Text::sans(11.5).colour(GREY),
    );

    svg.boxed_lines(
        (MAIN_X, FAIL_Y, WIDTH - 24.0 - MAIN_X, 44.0),
        Frame::outline(VERMILLION),
        &[
            "If the source failed, `dispatch` returns `Error::Source { token, error }` after `settle`;",
            "the rest of the batch is kept, and the next `dispatch` hands it out before it waits.",
        ],
        Text::sans(12.0),
    );
}
