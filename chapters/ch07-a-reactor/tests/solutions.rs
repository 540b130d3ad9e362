//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do.

mod common;

use ch07_a_reactor::io::read_until_would_block;
use ch07_a_reactor::solutions::{
    Failures, Swapped, Tokens, replay_slot_reuse, reporting, swap_the_registered_fd, turn_reporting,
};
use ch07_a_reactor::{Interest, Reactor, Turn};
use common::{pipe, put};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

#[test]
fn exercise_1_index_only_tokens_give_the_old_event_to_the_new_tenant() {
    testkit::assert_no_fd_leaks(|| {
        let log = replay_slot_reuse(Tokens::IndexOnly).unwrap();
        assert_eq!(log.len(), 2, "{log:?}");
        assert!(log[0].ends_with("puts c in slot 1") || log[0].ends_with("puts c in slot 0"));
        assert_eq!(log[1], "c: told it is readable, found nothing");
    });
}

#[test]
fn exercise_1_generations_make_the_old_event_stale() {
    testkit::assert_no_fd_leaks(|| {
        let log = replay_slot_reuse(Tokens::WithGeneration).unwrap();
        assert_eq!(log.len(), 2, "{log:?}");
        assert!(log[0].contains(", removes "), "{log:?}");
        assert!(log[1].starts_with("event for slot ") && log[1].ends_with(": stale, skipped"));
    });
}

#[test]
fn exercise_2_a_swapped_source_leaves_the_kernel_and_the_registry_apart() {
    testkit::assert_no_fd_leaks(|| {
        assert_eq!(
            swap_the_registered_fd().unwrap(),
            Swapped {
                entries_before: 1,
                entries_after: 0,
                events_after: 0,
                delete_errno: Some(libc::ENOENT),
            }
        );
    });
}

#[test]
fn exercise_3_every_error_of_a_batch_comes_back_with_its_token() {
    testkit::assert_no_fd_leaks(|| {
        let mut reactor = Reactor::new().unwrap();
        let failures = Failures::default();
        let mut writers = Vec::new();
        let mut tokens = Vec::new();
        for name in ["fails", "works", "fails too"] {
            let (reader, writer) = pipe();
            let handler = reporting(&failures, move |pipe: &OwnedFd, _, _| {
                read_until_would_block(pipe.as_fd(), &mut Vec::new())?;
                match name {
                    "works" => Ok(()),
                    _ => Err(io::Error::other(name)),
                }
            });
            tokens.push(
                reactor
                    .register(reader, Interest::READABLE, handler)
                    .unwrap(),
            );
            writers.push(writer);
        }
        for writer in &writers {
            put(writer, b"x");
        }

        let patience = Some(Duration::from_secs(5));
        let (turn, batch) = turn_reporting(&mut reactor, patience, &failures).unwrap();
        assert_eq!(
            turn,
            Turn {
                events: 3,
                dispatched: 3,
                stale: 0
            }
        );
        let mut batch: Vec<_> = batch
            .iter()
            .map(|(token, err)| (*token, err.to_string()))
            .collect();
        batch.sort();
        assert_eq!(
            batch,
            [
                (tokens[0], "fails".to_owned()),
                (tokens[2], "fails too".to_owned())
            ]
        );

        // The list is emptied by each turn: the next one reports nothing.
        let (turn, batch) = turn_reporting(&mut reactor, Some(Duration::ZERO), &failures).unwrap();
        assert_eq!((turn, batch.len()), (Turn::default(), 0));
        assert!(failures.borrow().is_empty());
    });
}
