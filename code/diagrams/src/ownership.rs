//! Chapter 8: who owns what when a `Generic<TcpStream>` is in an
//! `EventLoop`, and what each way out of the loop does, in order.
//!
//! From `chapters/ch08-generic-sources/src`: `EventLoop` and `LoopHandle`
//! share an `Inner` (`Rc`) holding the `Poller` (an `Arc<Epoll>`) and the
//! table; a slot holds a `Box<Dispatcher>` of the source and its callback;
//! a registered `Generic` keeps a `Registration` (a clone of the `Poller`
//! and its token) and its value in a `Watched`, which it lends to the
//! callback. `remove` and `PostAction::Remove` vacate the slot, unregister
//! (`DEL`) and drop; dropping the loop drops every source, and
//! `Generic::drop` deletes before the fields close; `take` unregisters,
//! vacates and gives the source back, and `into_inner` the value, open.

use crate::svg::{
    Area, BLUE, Colour, Frame, GREEN, GREY, INK, ORANGE, PINK, Stroke, Svg, Text, VERMILLION,
};

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 664.0;

/// The program's side: the `Inner` box and what nests in it.
const INNER: Area = (24.0, 104.0, 440.0, 272.0);
/// The kernel's side.
const KERNEL: Area = (488.0, 104.0, 212.0, 272.0);
const EPOLL: Area = (500.0, 134.0, 188.0, 120.0);
const ENTRY: Area = (510.0, 184.0, 168.0, 58.0);
const OPEN_FILE: Area = (500.0, 300.0, 188.0, 60.0);

/// The legend's first line.
const LEGEND_Y: f64 = 400.0;
/// The ways out: where their rows start, and the step boxes.
const WAYS_Y: f64 = 460.0;
const WAY_STEP: f64 = 62.0;
const WAY_H: f64 = 48.0;
const STEP_X: f64 = 186.0;
const STEP_W: f64 = 158.0;
const STEP_GAP: f64 = 18.0;

pub fn draw() -> Svg {
    let mut svg = Svg::new(
        "generic-ownership",
        WIDTH,
        HEIGHT,
        "Who owns which fd: a Generic<TcpStream> in an EventLoop",
        "Top: the EventLoop and its LoopHandles share an Inner through Rc. Inner \
         owns the Poller, an Arc of the epoll instance, and the table. Slot 0, \
         generation 0 of the table holds a Box<Dispatcher> with the callback and \
         the source, a Generic<TcpStream>. The Generic keeps a registration (a \
         clone of the Poller, which also owns the epoll instance, and its token) \
         and a Watched<TcpStream>, which owns fd 5, the socket's open file. The \
         callback is lent &mut Watched<TcpStream> for one call, which dereferences \
         to &TcpStream only. In the kernel, the epoll instance's interest list has \
         an entry for fd 5 with the token as its data; the entry refers to the \
         open file but does not own it. Bottom: the ways out, in order. remove or \
         PostAction::Remove: the slot is vacated, unregister calls \
         epoll_ctl(DEL, fd 5), then dropping the source closes fd 5. Dropping the \
         EventLoop: take_all empties the slots, Generic::drop calls \
         epoll_ctl(DEL, fd 5), then its fields drop and close fd 5. take then \
         into_inner: unregister calls epoll_ctl(DEL, fd 5), the slot is vacated \
         and the Generic comes back, into_inner gives back the TcpStream with fd \
         5 open. The DEL always comes before the close.",
    );
    svg.text(
        24.0,
        34.0,
        "Who owns what: a Generic<TcpStream> in an EventLoop",
        Text::sans(17.0).bold(),
    );
    program(&mut svg);
    kernel(&mut svg);
    links(&mut svg);
    legend(&mut svg);
    ways_out(&mut svg);
    svg
}

fn program(svg: &mut Svg) {
    let mono = Text::mono(12.5);
    let (x, y, w, h) = INNER;
    // The two owners of the shared part.
    svg.boxed(
        (x, 50.0, 120.0, 28.0),
        Frame::of(INK),
        "EventLoop",
        mono.bold(),
    );
    svg.boxed(
        (x + w - 196.0, 50.0, 196.0, 28.0),
        Frame::of(INK),
        "LoopHandle (and clones)",
        mono,
    );
    let rc = Stroke::of(BLUE).width(1.6);
    svg.arrow(&[(x + 60.0, 78.0), (x + 60.0, y)], rc);
    svg.arrow(&[(x + w - 98.0, 78.0), (x + w - 98.0, y)], rc);
    svg.text(x + 68.0, 96.0, "Rc", Text::mono(12.0));
    svg.text(x + w - 90.0, 96.0, "Rc", Text::mono(12.0));

    svg.rect(x, y, w, h, Frame::outline(INK));
    svg.text(x + 12.0, y + 20.0, "Inner", Text::mono(13.0).bold());

    let (px, py) = (x + 12.0, y + 30.0);
    svg.boxed(
        (px, py, w - 24.0, 28.0),
        Frame::of(BLUE).radius(4.0),
        "poller: Poller = Arc<Epoll>",
        mono,
    );

    let table = (x + 12.0, y + 68.0, w - 24.0, h - 78.0);
    svg.rect(table.0, table.1, table.2, table.3, Frame::outline(GREY));
    svg.text(
        table.0 + 10.0,
        table.1 + 18.0,
        "table: RefCell<Table>",
        mono,
    );

    let slot = (
        table.0 + 10.0,
        table.1 + 26.0,
        table.2 - 20.0,
        table.3 - 36.0,
    );
    svg.rect(
        slot.0,
        slot.1,
        slot.2,
        slot.3,
        Frame::tint(GREY).radius(4.0),
    );
    svg.text(
        slot.0 + 10.0,
        slot.1 + 18.0,
        "slot 0, generation 0: Enabled(Box<Dispatcher>)",
        Text::mono(12.0),
    );
    let inner_x = slot.0 + 10.0;
    let inner_w = slot.2 - 20.0;
    svg.boxed(
        (inner_x, slot.1 + 26.0, inner_w, 26.0),
        Frame::of(PINK).radius(4.0),
        "callback(readiness, &mut Watched<TcpStream>, data)",
        Text::mono(11.5),
    );

    let source = (inner_x, slot.1 + 62.0, inner_w, 84.0);
    svg.rect(
        source.0,
        source.1,
        source.2,
        source.3,
        Frame::outline(INK).radius(4.0),
    );
    svg.text(
        source.0 + 10.0,
        source.1 + 18.0,
        "source: Generic<TcpStream>",
        Text::mono(12.5).bold(),
    );
    svg.text(
        source.0 + 10.0,
        source.1 + 38.0,
        "registration: Poller (an Arc clone), token",
        Text::mono(11.5),
    );
    svg.boxed(
        (source.0 + 10.0, source.1 + 48.0, source.2 - 20.0, 26.0),
        Frame::of(VERMILLION).radius(4.0),
        "file: Watched<TcpStream>  (fd 5)",
        Text::mono(12.0),
    );
}

fn kernel(svg: &mut Svg) {
    let (x, y, w, h) = KERNEL;
    svg.rect(x, y, w, h, Frame::of(GREY));
    svg.text(x + 12.0, y + 20.0, "the kernel", Text::sans(13.0).bold());

    let (ex, ey, ew, eh) = EPOLL;
    svg.rect(ex, ey, ew, eh, Frame::outline(BLUE));
    svg.text(
        ex + 10.0,
        ey + 18.0,
        "epoll instance",
        Text::sans(13.0).bold(),
    );
    svg.text(
        ex + 10.0,
        ey + 36.0,
        "interest list:",
        Text::sans(12.0).colour(GREY),
    );
    let (nx, ny, nw, nh) = ENTRY;
    svg.rect(nx, ny, nw, nh, Frame::of(BLUE).radius(4.0));
    svg.text(
        nx + 10.0,
        ny + 23.0,
        "entry: fd 5, EPOLLIN",
        Text::mono(11.5),
    );
    svg.text(nx + 10.0, ny + 41.0, "data: the token", Text::mono(11.5));

    let (ox, oy, ow, oh) = OPEN_FILE;
    svg.boxed_lines(
        (ox, oy, ow, oh),
        Frame::of(VERMILLION),
        &["open file:", "the TCP socket"],
        Text::sans(12.5),
    );
}

fn links(svg: &mut Svg) {
    let (ix, iy, iw, _) = INNER;
    let (ex, ey, _, _) = EPOLL;
    // The loop's Poller owns the epoll instance (shared, Arc).
    let owns = Stroke::of(BLUE).width(2.0);
    svg.arrow(&[(ix + iw - 12.0, iy + 44.0), (ex, iy + 44.0)], owns);
    // So does the registration's clone.
    let registration_y = iy + 68.0 + 26.0 + 62.0 + 34.0;
    svg.arrow(
        &[
            (ix + iw - 32.0, registration_y),
            (ix + iw + 12.0, registration_y),
            (ix + iw + 12.0, ey + 100.0),
            (ex, ey + 100.0),
        ],
        Stroke::of(BLUE).width(1.6),
    );
    // The TcpStream owns fd 5, and fd 5 keeps the open file open.
    let file_y = iy + 68.0 + 26.0 + 62.0 + 48.0 + 13.0;
    let (ox, oy, _, oh) = OPEN_FILE;
    svg.arrow(
        &[(ix + iw - 32.0, file_y), (ox, oy + oh / 2.0 + 4.0)],
        Stroke::of(VERMILLION).width(2.0),
    );
    // The entry names fd 5 and its open file, and owns neither.
    let (nx, ny, nw, nh) = ENTRY;
    svg.arrow(
        &[(nx + nw / 2.0, ny + nh), (nx + nw / 2.0, oy)],
        Stroke::of(GREY).width(1.6).dashed(),
    );
    svg.text(
        nx + nw / 2.0 + 8.0,
        ny + nh + 30.0,
        "names it",
        Text::sans(11.5).colour(GREY),
    );
    // The callback borrows the Watched for one call.
    let callback_y = iy + 68.0 + 26.0 + 26.0 + 13.0;
    let lend_x = ix + 28.0;
    svg.arrow(
        &[
            (lend_x + 14.0, file_y),
            (lend_x, file_y),
            (lend_x, callback_y + 14.0),
        ],
        Stroke::of(PINK).width(1.8),
    );
}

/// What the four kinds of arrow mean, in two columns.
fn legend(svg: &mut Svg) {
    let items: [(Colour, bool, &str); 4] = [
        (VERMILLION, false, "owns: dropping it closes the fd"),
        (
            PINK,
            false,
            "lent for one call, derefs to `&TcpStream` only",
        ),
        (
            BLUE,
            false,
            "owns a share (`Rc`, `Arc`): the last one drops it",
        ),
        (GREY, true, "refers to, owns nothing"),
    ];
    for (i, (colour, dashed, label)) in items.into_iter().enumerate() {
        let x = if i % 2 == 0 { 24.0 } else { 380.0 };
        let y = LEGEND_Y + (i / 2) as f64 * 20.0;
        let stroke = Stroke::of(colour).width(2.0);
        let stroke = if dashed { stroke.dashed() } else { stroke };
        svg.arrow(&[(x, y - 4.0), (x + 30.0, y - 4.0)], stroke);
        svg.text(x + 38.0, y, label, Text::sans(12.0));
    }
}

/// The three ways out of the loop, each a row of steps in order.
fn ways_out(svg: &mut Svg) {
    let rule = WAYS_Y - 22.0;
    svg.line(
        &[(24.0, rule), (WIDTH - 24.0, rule)],
        Stroke::of(GREY).width(1.0),
    );
    svg.text(
        24.0,
        WAYS_Y - 2.0,
        "Ways out of the loop, in order: the DEL always comes before the close",
        Text::sans(14.0).bold(),
    );
    let table = GREY;
    let del = ORANGE;
    let close = VERMILLION;
    let open = GREEN;
    type Way<'a> = (&'a [&'a str], [(Colour, &'a [&'a str]); 3]);
    let ways: [Way; 3] = [
        (
            &["`handle.remove(token)`", "or `PostAction::Remove`"],
            [
                (table, &["slot vacated:", "the token is stale"]),
                (del, &["`unregister`:", "`epoll_ctl(DEL, fd 5)`"]),
                (close, &["source dropped:", "`close(5)`"]),
            ],
        ),
        (
            &["dropping the", "`EventLoop`"],
            [
                (table, &["`take_all`:", "every slot emptied"]),
                (del, &["`Generic::drop`:", "`epoll_ctl(DEL, fd 5)`"]),
                (close, &["then its fields:", "`close(5)`"]),
            ],
        ),
        (
            &["`handle.take(token)`,", "then `into_inner()`"],
            [
                (del, &["`unregister`:", "`epoll_ctl(DEL, fd 5)`"]),
                (table, &["slot vacated, the", "`Generic` returned"]),
                (open, &["`into_inner()`: the", "`TcpStream`, fd 5 open"]),
            ],
        ),
    ];
    for (row, (name, steps)) in ways.iter().enumerate() {
        let y = WAYS_Y + 16.0 + row as f64 * WAY_STEP;
        let style = Text::sans(12.0);
        let first = y + WAY_H / 2.0 - 3.0;
        for (i, line) in name.iter().enumerate() {
            svg.text(24.0, first + i as f64 * 16.0, line, style);
        }
        for (i, (colour, lines)) in steps.iter().enumerate() {
            let x = STEP_X + i as f64 * (STEP_W + STEP_GAP);
            svg.boxed_lines(
                (x, y, STEP_W, WAY_H),
                Frame::of(*colour),
                lines,
                Text::sans(11.5),
            );
            if i > 0 {
                let middle = y + WAY_H / 2.0;
                svg.arrow(
                    &[(x - STEP_GAP + 2.0, middle), (x - 1.0, middle)],
                    Stroke::of(INK),
                );
            }
        }
    }
}
