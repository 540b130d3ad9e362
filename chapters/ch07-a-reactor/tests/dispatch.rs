//! One turn: one wait, and each event dispatched to its handler, while
//! handlers change the registry under the batch.

mod common;

use ch07_a_reactor::io::read_until_would_block;
use ch07_a_reactor::{Interest, Reactor, Token, Turn};
use common::{Log, Observed, in_interest_list, pipe, put};
use std::cell::Cell;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::rc::Rc;
use std::time::Duration;

const PATIENCE: Option<Duration> = Some(Duration::from_secs(5));
const NOW: Option<Duration> = Some(Duration::ZERO);

/// A handler that logs `name` and drains its pipe.
fn draining(
    name: &'static str,
    log: &Log,
) -> impl FnMut(
    &OwnedFd,
    &mut ch07_a_reactor::Context<'_>,
    ch04_libc_and_a_safe_wrapper::Event,
) -> io::Result<()>
+ 'static {
    let log = log.clone();
    move |pipe, _, _| {
        let mut data = Vec::new();
        read_until_would_block(pipe.as_fd(), &mut data)?;
        log.push(format!("{name}: {}", String::from_utf8_lossy(&data)));
        Ok(())
    }
}

#[test]
fn each_event_goes_to_the_handler_of_its_token() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let (a, a_writer) = pipe();
    let (b, b_writer) = pipe();
    let (c, _c_writer) = pipe();
    let ta = reactor
        .register(a, Interest::READABLE, draining("a", &log))
        .unwrap();
    let tb = reactor
        .register(b, Interest::READABLE, draining("b", &log))
        .unwrap();
    reactor
        .register(c, Interest::READABLE, draining("c", &log))
        .unwrap();
    assert_eq!((ta, tb), (Token::new(0, 0), Token::new(1, 0)));
    assert_eq!(reactor.len(), 3);

    put(&b_writer, b"to b");
    put(&a_writer, b"to a");
    let turn = reactor.turn(PATIENCE).unwrap();
    assert_eq!(
        turn,
        Turn {
            events: 2,
            dispatched: 2,
            stale: 0
        }
    );
    let mut lines = log.take();
    lines.sort();
    assert_eq!(lines, ["a: to a", "b: to b"]);
    assert_eq!(reactor.turn(NOW).unwrap(), Turn::default());
}

#[test]
fn a_handler_that_removes_the_next_event_of_the_batch_makes_it_stale() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    // Each handler removes the other: whichever the kernel reports first
    // runs, and the other's event, already in the buffer, is stale.
    let other_of_a = Rc::new(Cell::new(None::<Token>));
    let other_of_b = Rc::new(Cell::new(None::<Token>));
    let mut tokens = Vec::new();
    for (name, other) in [("a", &other_of_a), ("b", &other_of_b)] {
        let (reader, writer) = pipe();
        put(&writer, b"x");
        let (log, other) = (log.clone(), Rc::clone(other));
        let token = reactor
            .register(reader, Interest::READABLE, move |_, cx, _| {
                log.push(name);
                cx.deregister(other.get().expect("set before the first turn"))
            })
            .unwrap();
        tokens.push((token, writer));
    }
    other_of_a.set(Some(tokens[1].0));
    other_of_b.set(Some(tokens[0].0));

    let turn = reactor.turn(PATIENCE).unwrap();
    assert_eq!(
        turn,
        Turn {
            events: 2,
            dispatched: 1,
            stale: 1
        }
    );
    assert_eq!(log.take().len(), 1, "only the first handler ran");
    assert_eq!(reactor.len(), 1);
}

#[test]
fn a_slot_reused_in_the_same_batch_does_not_get_the_old_event() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let others = [Rc::new(Cell::new(None::<Token>)), Rc::new(Cell::new(None))];
    let newcomer = Rc::new(Cell::new(None::<Token>));
    let mut writers = Vec::new();
    let mut tokens = Vec::new();
    for (name, other) in ["a", "b"].into_iter().zip(&others) {
        let (reader, writer) = pipe();
        put(&writer, b"x");
        writers.push(writer);
        let (log, other, newcomer) = (log.clone(), Rc::clone(other), Rc::clone(&newcomer));
        let token = reactor
            .register(reader, Interest::READABLE, move |_, cx, _| {
                log.push(name);
                // Remove the other one, whose event is later in this batch,
                // and register a new pipe, readable already: it takes the
                // freed slot.
                cx.deregister(other.get().expect("set before the first turn"))?;
                let (reader, writer) = pipe();
                put(&writer, b"new");
                let log = log.clone();
                let token = cx.register(reader, Interest::READABLE, move |_, _, _| {
                    log.push("newcomer");
                    let _keep_the_writer_open = &writer;
                    Ok(())
                })?;
                newcomer.set(Some(token));
                Ok(())
            })
            .unwrap();
        tokens.push(token);
    }
    others[0].set(Some(tokens[1]));
    others[1].set(Some(tokens[0]));

    let turn = reactor.turn(PATIENCE).unwrap();
    assert_eq!((turn.events, turn.dispatched, turn.stale), (2, 1, 1));
    let first = log.take();
    assert_eq!(
        first.len(),
        1,
        "the newcomer is not called with the old event"
    );
    let removed = if first[0] == "a" {
        tokens[1]
    } else {
        tokens[0]
    };
    let newcomer = newcomer.get().unwrap();
    assert_eq!(
        newcomer.index(),
        removed.index(),
        "the freed slot was reused"
    );
    assert_eq!(newcomer.generation(), removed.generation() + 1);
    assert!(!reactor.contains(removed) && reactor.contains(newcomer));

    // Its own event comes with the next wait.
    let turn = reactor.turn(PATIENCE).unwrap();
    assert_eq!((turn.events, turn.dispatched, turn.stale), (1, 1, 0));
    assert_eq!(log.take(), ["newcomer"]);
}

#[test]
fn deregistering_takes_the_fd_out_of_the_interest_list_before_closing_it() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let (reader, _writer) = pipe();
    let fd = reader.as_raw_fd();
    let observed = Observed {
        fd: reader,
        epfd: reactor.as_raw_fd(),
        log: log.clone(),
    };
    let token = reactor
        .register(observed, Interest::READABLE, |_, _, _| Ok(()))
        .unwrap();
    assert!(in_interest_list(reactor.as_raw_fd(), fd));
    reactor.deregister(token).unwrap();
    assert_eq!(log.take(), ["dropped, still in the interest list: false"]);
    assert!(!reactor.contains(token));
    assert!(reactor.is_empty());
}

#[test]
fn a_handler_can_deregister_itself_and_is_dropped_after_it_returns() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let (reader, writer) = pipe();
    let observed = Observed {
        fd: reader,
        epfd: reactor.as_raw_fd(),
        log: log.clone(),
    };
    let handler_log = log.clone();
    let token = reactor
        .register(observed, Interest::READABLE, move |source, cx, _| {
            cx.deregister(cx.token())?;
            // Out of the interest list already, but still open: the
            // handler is still using it.
            let out = in_interest_list(source.epfd, source.fd.as_raw_fd());
            handler_log.push(format!("deregistered itself, in the list: {out}"));
            assert!(!cx.contains(cx.token()));
            Ok(())
        })
        .unwrap();
    put(&writer, b"x");
    let turn = reactor.turn(PATIENCE).unwrap();
    assert_eq!(turn.dispatched, 1);
    assert_eq!(
        log.take(),
        [
            "deregistered itself, in the list: false",
            "dropped, still in the interest list: false"
        ]
    );
    assert!(!reactor.contains(token) && reactor.is_empty());
}

#[test]
fn a_one_shot_handler_can_rearm_itself() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let (reader, writer) = pipe();
    let handler_log = log.clone();
    reactor
        .register(reader, Interest::READABLE.oneshot(), move |pipe, cx, _| {
            let mut data = Vec::new();
            read_until_would_block(pipe.as_fd(), &mut data)?;
            handler_log.push(String::from_utf8_lossy(&data));
            cx.reregister(cx.token(), Interest::READABLE.oneshot())
        })
        .unwrap();
    for word in ["one", "two", "three"] {
        put(&writer, word.as_bytes());
        assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    }
    assert_eq!(log.take(), ["one", "two", "three"]);
}

#[test]
fn a_failing_handler_does_not_cost_the_rest_of_the_batch() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let mut writers = Vec::new();
    for name in ["fails", "fine"] {
        let (reader, writer) = pipe();
        put(&writer, b"x");
        writers.push(writer);
        let log = log.clone();
        reactor
            .register(reader, Interest::READABLE, move |_, _, _| {
                log.push(name);
                match name {
                    "fails" => Err(io::Error::other("this handler fails")),
                    _ => Ok(()),
                }
            })
            .unwrap();
    }
    let err = reactor.turn(PATIENCE).unwrap_err();
    assert_eq!(err.to_string(), "this handler fails");
    let mut ran = log.take();
    ran.sort();
    assert_eq!(ran, ["fails", "fine"], "both ran, whatever the order");
    assert_eq!(reactor.len(), 2, "the failing source stays registered");
}

#[test]
fn run_ends_when_a_handler_stops_it_or_nothing_is_left() {
    let mut reactor = Reactor::new().unwrap();
    let (reader, writer) = pipe();
    let count = Rc::new(Cell::new(0));
    let seen = Rc::clone(&count);
    reactor
        .register(reader, Interest::READABLE.level(), move |pipe, cx, _| {
            // Level-triggered, reading one byte at a time: three turns.
            ch07_a_reactor::io::read_some(pipe.as_fd(), &mut [0; 1])?;
            seen.set(seen.get() + 1);
            if seen.get() == 3 {
                cx.stop();
            }
            Ok(())
        })
        .unwrap();
    put(&writer, b"abcdef");
    reactor.run(PATIENCE).unwrap();
    assert_eq!(count.get(), 3);
    reactor.deregister(Token::new(0, 0)).unwrap();

    // A source that deregisters itself leaves nothing to wait for.
    let (reader, writer) = pipe();
    put(&writer, b"x");
    reactor
        .register(reader, Interest::READABLE, |_, cx, _| {
            cx.deregister(cx.token())
        })
        .unwrap();
    reactor.run(PATIENCE).unwrap();
    assert!(reactor.is_empty());
}

#[test]
fn run_gives_up_when_nothing_happens() {
    let mut reactor = Reactor::new().unwrap();
    let (reader, _writer) = pipe();
    reactor
        .register(reader, Interest::READABLE, |_, _, _| Ok(()))
        .unwrap();
    let err = reactor.run(Some(Duration::from_millis(10))).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::TimedOut);
}

#[test]
fn a_waiting_batch_larger_than_the_buffer_is_handed_out_over_several_turns() {
    let mut reactor = Reactor::with_capacity(2).unwrap();
    let log = Log::default();
    let mut writers = Vec::new();
    for name in ["a", "b", "c"] {
        let (reader, writer) = pipe();
        put(&writer, name.as_bytes());
        writers.push(writer);
        reactor
            .register(reader, Interest::READABLE, draining(name, &log))
            .unwrap();
    }
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 2);
    assert_eq!(reactor.turn(PATIENCE).unwrap().dispatched, 1);
    let mut lines = log.take();
    lines.sort();
    assert_eq!(lines, ["a: a", "b: b", "c: c"]);
}

#[test]
fn stop_lets_the_rest_of_the_batch_run() {
    let mut reactor = Reactor::new().unwrap();
    let log = Log::default();
    let mut writers = Vec::new();
    for name in ["a", "b"] {
        let (reader, writer) = pipe();
        put(&writer, b"x");
        writers.push(writer);
        let log = log.clone();
        reactor
            .register(reader, Interest::READABLE, move |_, cx, _| {
                log.push(name);
                cx.stop();
                Ok(())
            })
            .unwrap();
    }
    reactor.run(PATIENCE).unwrap();
    let mut ran = log.take();
    ran.sort();
    assert_eq!(ran, ["a", "b"], "both events of the batch were handled");
    assert_eq!(reactor.len(), 2);
}

#[test]
fn a_panicking_handler_leaves_its_entry_registered_and_in_its_slot() {
    let mut reactor = Reactor::new().unwrap();
    let (reader, writer) = pipe();
    let fd = reader.as_raw_fd();
    let token = reactor
        .register(reader, Interest::READABLE, |_, _, _| {
            panic!("a handler panics")
        })
        .unwrap();
    put(&writer, b"x");
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| reactor.turn(PATIENCE)));
    assert!(caught.is_err(), "the panic goes on to the caller");
    // The entry went back into its slot: still registered, still open,
    // still in the interest list, and it can be taken out as usual.
    assert!(reactor.contains(token));
    assert_eq!(reactor.len(), 1);
    assert!(in_interest_list(reactor.as_raw_fd(), fd));
    let back: OwnedFd = reactor.remove(token).unwrap();
    assert_eq!(back.as_raw_fd(), fd);
    assert!(!in_interest_list(reactor.as_raw_fd(), fd));
}
