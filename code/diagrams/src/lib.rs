//! The epoll book's diagrams, drawn in code.
//!
//! Each diagram is one function that writes SVG text with the few helpers
//! of [`svg`]: boxes, text, arrows. The book's pages show the files that
//! the binary writes into `src/diagrams/`:
//!
//! ```console
//! cargo run -p diagrams
//! ```
//!
//! After changing a diagram here, run that command and commit the new
//! files with the change: `tests/diagrams.rs` fails while a file in
//! `src/diagrams/` differs from what its function draws now.
//!
//! | file | page | function |
//! |---|---|---|
//! | `epoll-event-layout.svg` | chapter 1 | [`event_layout::draw`] |
//! | `interest-and-ready-lists.svg` | chapter 2 | [`lists::draw`] |
//! | `level-edge-oneshot-timeline.svg` | chapter 3 | [`modes::draw`] |
//! | `generic-ownership.svg` | chapter 8 | [`ownership::draw`] |
//! | `event-loop-turn.svg` | chapter 8 | [`loop_turn::draw`] |

pub mod event_layout;
pub mod lists;
pub mod loop_turn;
pub mod modes;
pub mod ownership;
pub mod svg;

use std::path::PathBuf;

/// One diagram: its file name in `src/diagrams/` and the function that
/// draws it.
pub struct Diagram {
    pub file: &'static str,
    pub draw: fn() -> svg::Svg,
}

/// Every diagram of the book.
pub const DIAGRAMS: [Diagram; 5] = [
    Diagram {
        file: "epoll-event-layout.svg",
        draw: event_layout::draw,
    },
    Diagram {
        file: "interest-and-ready-lists.svg",
        draw: lists::draw,
    },
    Diagram {
        file: "level-edge-oneshot-timeline.svg",
        draw: modes::draw,
    },
    Diagram {
        file: "generic-ownership.svg",
        draw: ownership::draw,
    },
    Diagram {
        file: "event-loop-turn.svg",
        draw: loop_turn::draw,
    },
];

/// Where the book's pages find the diagrams: `src/diagrams/` at the root
/// of the workspace.
pub fn out_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../src/diagrams")
}
