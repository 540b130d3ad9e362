//! How `dispatch` and `run` hand events to callbacks: shared data, changes
//! made from callbacks in the middle of a batch, post actions, modes, the
//! loop signal, and what the loop does not do in steady state.

mod common;

use ch05_eventfd_wakeups::Tid;
use ch08_generic_sources::{
    Error, EventLoop, EventSource, Generic, Interest, LoopSignal, Mode, Poller, PostAction,
    Readiness, RegistrationToken, Token, TokenFactory, Watched,
};
use common::*;
use std::cell::Cell;
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::rc::Rc;
use std::thread;
use std::time::Duration;

const PATIENCE: Option<Duration> = Some(Duration::from_secs(5));

#[test]
fn each_callback_gets_its_readiness_its_fd_and_the_shared_data() {
    let mut event_loop: EventLoop<'_, Vec<(&str, Readiness, usize)>> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let mut writers = Vec::new();
    for (name, data) in [("a", &b"one"[..]), ("b", &b"three"[..])] {
        let (source, writer) = readable_pipe(data);
        writers.push(writer);
        handle
            .insert_source(source, move |readiness, pipe, log: &mut Vec<_>| {
                log.push((name, readiness, drain(pipe)?));
                Ok(PostAction::Continue)
            })
            .unwrap();
    }
    let mut log = Vec::new();
    event_loop.dispatch(PATIENCE, &mut log).unwrap();
    log.sort_by_key(|entry| entry.0);
    let readable = Readiness {
        readable: true,
        ..Readiness::default()
    };
    assert_eq!(log, [("a", readable, 3), ("b", readable, 5)]);
    event_loop.dispatch(NOW, &mut log).unwrap();
    assert_eq!(log.len(), 2, "drained: level-triggered has nothing to say");
}

#[test]
fn a_callback_that_removes_a_source_of_the_same_batch_keeps_its_callback_from_running() {
    let mut event_loop: EventLoop<'_, Vec<&str>> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let tokens = Rc::new(Cell::new([None::<RegistrationToken>; 2]));
    let mut writers = Vec::new();
    for (i, name) in ["first", "second"].into_iter().enumerate() {
        let (source, writer) = readable_pipe(b"x");
        writers.push(writer);
        let (h, rivals) = (handle.clone(), Rc::clone(&tokens));
        let token = handle
            .insert_source(source, move |_, pipe, ran: &mut Vec<&str>| {
                ran.push(name);
                drain(pipe)?;
                h.remove(rivals.get()[1 - i].expect("both inserted"))?;
                Ok(PostAction::Continue)
            })
            .unwrap();
        let mut both = tokens.get();
        both[i] = Some(token);
        tokens.set(both);
    }
    let mut ran = Vec::new();
    event_loop.dispatch(PATIENCE, &mut ran).unwrap();
    assert_eq!(
        ran.len(),
        1,
        "two events in the batch, one callback: {ran:?}"
    );
    assert_eq!(handle.len(), 1);
}

#[test]
fn a_source_inserted_by_a_callback_works_from_the_next_dispatch_even_in_a_reused_slot() {
    // `first` removes `second`, whose event is in the same batch, and
    // inserts `third`, which takes `second`'s slot and is readable at once.
    // The batch's event for `second` must not reach `third`.
    let mut event_loop: EventLoop<'_, Vec<String>> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let (first, first_writer) = readable_pipe(b"x");
    let (second, second_writer) = readable_pipe(b"x");
    let second_token = Rc::new(Cell::new(None));
    let third_writer = Rc::new(Cell::new(None));
    let (h, victim, keep) = (
        handle.clone(),
        Rc::clone(&second_token),
        Rc::clone(&third_writer),
    );
    handle
        .insert_source(first, move |_, pipe, ran: &mut Vec<String>| {
            drain(pipe)?;
            ran.push("first".into());
            if let Some(victim) = victim.take() {
                h.remove(victim)?;
                let (third, writer) = readable_pipe(b"x");
                keep.set(Some(writer));
                let token = h
                    .insert_source(third, |_, pipe, ran: &mut Vec<String>| {
                        drain(pipe)?;
                        ran.push("third".into());
                        Ok(PostAction::Continue)
                    })
                    .map_err(io::Error::from)?;
                ran.push(format!("inserted {token}"));
            }
            Ok(PostAction::Continue)
        })
        .unwrap();
    let token = handle
        .insert_source(second, |_, pipe, ran: &mut Vec<String>| {
            drain(pipe)?;
            ran.push("second".into());
            Ok(PostAction::Continue)
        })
        .unwrap();
    second_token.set(Some(token));

    let mut ran = Vec::new();
    event_loop.dispatch(PATIENCE, &mut ran).unwrap();
    if ran[0] == "second" {
        // The kernel put `second` first; it ran before it was removed.
        // Make `first` run alone now.
        ran.remove(0);
        if ran.is_empty() {
            event_loop.dispatch(PATIENCE, &mut ran).unwrap();
        }
    }
    assert_eq!(ran, ["first", "inserted slot 1 generation 1"]);
    ran.clear();
    event_loop.dispatch(PATIENCE, &mut ran).unwrap();
    assert_eq!(ran, ["third"]);
    drop((first_writer, second_writer));
}

#[test]
fn edge_triggered_sources_are_not_rearmed_after_each_event() {
    // A `MOD` makes the kernel look at the fd again and report it if it is
    // ready (chapter 2). An edge-triggered source whose callback leaves the
    // data unread is reported once; if the loop re-registered it after
    // each event, it would be reported again.
    let mut event_loop: EventLoop<'_, usize> = EventLoop::new().unwrap();
    let (reader, writer) = pipe();
    put(&writer, b"unread");
    let source = Generic::new(reader, Interest::READABLE, Mode::Edge);
    event_loop
        .handle()
        .insert_source(source, |_, _, calls: &mut usize| {
            *calls += 1;
            Ok(PostAction::Continue)
        })
        .unwrap();
    let mut calls = 0;
    for _ in 0..5 {
        event_loop.dispatch(NOW, &mut calls).unwrap();
    }
    assert_eq!(calls, 1);
}

/// A `Generic` that counts the loop's calls to its registration methods.
struct Counted {
    inner: Generic<OwnedFd>,
    calls: Rc<Cell<[usize; 3]>>,
}

impl Counted {
    fn bump(&self, which: usize) {
        let mut calls = self.calls.get();
        calls[which] += 1;
        self.calls.set(calls);
    }
}

impl EventSource for Counted {
    type Event = Readiness;
    type Metadata = Watched<OwnedFd>;
    type Ret = io::Result<PostAction>;
    type Error = io::Error;

    fn process_events<C>(&mut self, r: Readiness, t: Token, callback: C) -> io::Result<PostAction>
    where
        C: FnMut(Readiness, &mut Watched<OwnedFd>) -> io::Result<PostAction>,
    {
        self.inner.process_events(r, t, callback)
    }

    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.bump(0);
        self.inner.register(poller, tokens)
    }

    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.bump(1);
        self.inner.reregister(poller, tokens)
    }

    fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
        self.bump(2);
        self.inner.unregister(poller)
    }
}

#[test]
fn in_steady_state_the_loop_calls_no_registration_method() {
    let calls = Rc::new(Cell::new([0; 3]));
    let mut event_loop: EventLoop<'_, usize> = EventLoop::new().unwrap();
    let mut writers = Vec::new();
    for mode in [Mode::Level, Mode::Edge] {
        let (reader, writer) = pipe();
        writers.push(writer);
        let inner = Generic::new(reader, Interest::READABLE, mode);
        let counted = Counted {
            inner,
            calls: Rc::clone(&calls),
        };
        event_loop
            .handle()
            .insert_source(counted, |_, pipe, events: &mut usize| {
                drain(pipe)?;
                *events += 1;
                Ok(PostAction::Continue)
            })
            .unwrap();
    }
    let mut events = 0;
    for round in 1..=50 {
        for writer in &writers {
            put(writer, b"x");
        }
        for _ in 0..2 {
            if events < 2 * round {
                event_loop.dispatch(PATIENCE, &mut events).unwrap();
            }
        }
        assert_eq!(events, 2 * round);
    }
    assert_eq!(events, 100);
    assert_eq!(calls.get(), [2, 0, 0], "one register each, then nothing");
}

#[test]
fn post_actions_rearm_disable_and_remove() {
    let mut event_loop: EventLoop<'_, Vec<&str>> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let mut writers = Vec::new();
    let mut tokens = Vec::new();
    for (name, mode, action) in [
        ("oneshot-rearm", Mode::OneShot, PostAction::Reregister),
        ("oneshot", Mode::OneShot, PostAction::Continue),
        ("disable", Mode::Level, PostAction::Disable),
        ("remove", Mode::Level, PostAction::Remove),
    ] {
        let (reader, writer) = pipe();
        put(&writer, b"unread");
        writers.push(writer);
        let source = Generic::new(reader, Interest::READABLE, mode);
        let token = handle
            .insert_source(source, move |_, _, ran: &mut Vec<&str>| {
                ran.push(name);
                Ok(action)
            })
            .unwrap();
        tokens.push(token);
    }
    let mut ran = Vec::new();
    for _ in 0..3 {
        event_loop.dispatch(NOW, &mut ran).unwrap();
    }
    ran.sort_unstable();
    assert_eq!(
        ran,
        [
            "disable",
            "oneshot",
            "oneshot-rearm",
            "oneshot-rearm",
            "oneshot-rearm",
            "remove"
        ]
    );
    assert_eq!(handle.len(), 3);
    assert!(handle.contains(tokens[2]), "disabled, but still there");
    assert!(!handle.contains(tokens[3]));

    // Re-arm the one-shot and enable the disabled one, from outside.
    handle.update(tokens[1]).unwrap();
    handle.enable(tokens[2]).unwrap();
    handle.disable(tokens[0]).unwrap();
    ran.clear();
    event_loop.dispatch(NOW, &mut ran).unwrap();
    ran.sort_unstable();
    assert_eq!(ran, ["disable", "oneshot"]);
}

#[test]
fn a_callback_can_disable_and_update_its_own_source_through_the_handle() {
    let mut event_loop: EventLoop<'_, usize> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let (reader, writer) = pipe();
    put(&writer, b"unread");
    let own = Rc::new(Cell::new(None));
    let (h, me) = (handle.clone(), Rc::clone(&own));
    let source = Generic::new(reader, Interest::READABLE, Mode::OneShot);
    let token = handle
        .insert_source(source, move |_, _, calls: &mut usize| {
            *calls += 1;
            let me = me.get().expect("set after insert");
            match *calls {
                1 => h.update(me)?,  // re-arm, like returning Reregister
                2 => h.disable(me)?, // stronger than the Reregister below
                _ => {}
            }
            Ok(PostAction::Reregister)
        })
        .unwrap();
    own.set(Some(token));
    let mut calls = 0;
    for _ in 0..4 {
        event_loop.dispatch(NOW, &mut calls).unwrap();
    }
    assert_eq!(calls, 2, "re-armed once, then disabled");
    handle.enable(token).unwrap();
    event_loop.dispatch(NOW, &mut calls).unwrap();
    assert_eq!(calls, 3);
}

#[test]
fn a_callback_that_removes_its_own_source_wins_over_what_it_returns() {
    let mut event_loop: EventLoop<'_, Vec<String>> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let (source, _writer) = readable_pipe(b"x");
    let h = handle.clone();
    let token = handle
        .insert_source(source, move |_, _, log: &mut Vec<String>| {
            let me = RegistrationToken::new(0, 0);
            h.remove(me)?;
            log.push(format!("contains after remove: {}", h.contains(me)));
            log.push(format!("len: {}", h.len()));
            let again = h.remove(me).unwrap_err();
            log.push(again.to_string());
            Ok(PostAction::Reregister) // weaker than the Remove asked for
        })
        .unwrap();
    assert_eq!(token, RegistrationToken::new(0, 0));
    let mut log = Vec::new();
    event_loop.dispatch(NOW, &mut log).unwrap();
    assert_eq!(
        log,
        [
            "contains after remove: false",
            "len: 0",
            "remove: the source with token slot 0 generation 0 was removed",
        ]
    );
    assert!(!handle.contains(token));
    assert!(
        interest_list(event_loop.as_raw_fd())
            .iter()
            .all(|&(_, data)| data == u64::MAX)
    );
    event_loop.dispatch(NOW, &mut log).unwrap();
    assert_eq!(log.len(), 3, "not called again");
}

#[test]
fn callbacks_may_borrow_what_outlives_the_loop() {
    let names = vec!["a".to_owned(), "b".to_owned()];
    let mut event_loop: EventLoop<'_, Vec<String>> = EventLoop::new().unwrap();
    let (source, _writer) = readable_pipe(b"x");
    let borrowed = &names;
    event_loop
        .handle()
        .insert_source(source, move |_, pipe, seen: &mut Vec<String>| {
            drain(pipe)?;
            seen.extend(borrowed.iter().cloned());
            Ok(PostAction::Continue)
        })
        .unwrap();
    let mut seen = Vec::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    drop(event_loop);
    assert_eq!(seen, names);
}

#[test]
fn interest_none_still_reports_hangup_and_error() {
    let mut event_loop: EventLoop<'_, Vec<Readiness>> = EventLoop::new().unwrap();
    let (reader, writer) = pipe();
    put(&writer, b"data");
    let source = Generic::new(reader, Interest::NONE, Mode::Level);
    event_loop
        .handle()
        .insert_source(source, |readiness, _, seen: &mut Vec<Readiness>| {
            seen.push(readiness);
            Ok(PostAction::Continue)
        })
        .unwrap();
    let mut seen = Vec::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert!(seen.is_empty(), "data is not asked for");
    drop(writer);
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert_eq!(
        seen,
        [Readiness {
            hangup: true,
            ..Readiness::default()
        }]
    );
}

#[test]
fn set_interest_applies_at_the_next_update() {
    let mut event_loop: EventLoop<'_, Vec<Readiness>> = EventLoop::new().unwrap();
    let (_reader, writer) = pipe();
    let mut source = Generic::new(writer, Interest::NONE, Mode::Level);
    source.set_interest(Interest::WRITABLE);
    assert_eq!(source.interest(), Interest::WRITABLE);
    source.set_mode(Mode::Edge);
    assert_eq!(source.mode(), Mode::Edge);
    let handle = event_loop.handle();
    let token = handle
        .insert_source(source, |readiness, _, seen: &mut Vec<Readiness>| {
            seen.push(readiness);
            Ok(PostAction::Continue)
        })
        .unwrap();
    let mut seen = Vec::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert_eq!(seen.len(), 1, "writable, edge-triggered: once");
    assert!(seen[0].writable);
    // An update is a MOD, which reports a ready fd again.
    handle.update(token).unwrap();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert_eq!(seen.len(), 2);
}

/// A source built on a `Generic` that reads one message, then changes its
/// interest to writing, through `set_interest` and `Reregister`.
struct ReadThenWrite {
    inner: Generic<UnixStream>,
}

impl EventSource for ReadThenWrite {
    type Event = &'static str;
    type Metadata = ();
    type Ret = ();
    type Error = io::Error;

    fn process_events<C>(&mut self, r: Readiness, t: Token, mut cb: C) -> io::Result<PostAction>
    where
        C: FnMut(&'static str, &mut ()),
    {
        let mut turn_to_writing = false;
        self.inner.process_events(r, t, |readiness, socket| {
            if readiness.readable {
                drain(&**socket)?;
                cb("read", &mut ());
                turn_to_writing = true;
            } else if readiness.writable {
                cb("writable", &mut ());
            }
            Ok(PostAction::Continue)
        })?;
        if turn_to_writing {
            self.inner.set_interest(Interest::WRITABLE);
            return Ok(PostAction::Reregister);
        }
        Ok(PostAction::Continue)
    }

    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.register(poller, tokens)
    }

    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.reregister(poller, tokens)
    }

    fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
        self.inner.unregister(poller)
    }
}

#[test]
fn a_source_built_on_a_generic_changes_its_interest_with_reregister() {
    let mut event_loop: EventLoop<'_, Vec<&str>> = EventLoop::new().unwrap();
    let (socket, mut peer) = UnixStream::pair().unwrap();
    socket.set_nonblocking(true).unwrap();
    let inner = Generic::new(socket, Interest::READABLE, Mode::Edge);
    event_loop
        .handle()
        .insert_source(ReadThenWrite { inner }, |what, _, seen: &mut Vec<&str>| {
            seen.push(what)
        })
        .unwrap();
    let mut seen = Vec::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert!(
        seen.is_empty(),
        "nothing to read, and writing not asked for"
    );
    peer.write_all(b"hello").unwrap();
    event_loop.dispatch(PATIENCE, &mut seen).unwrap();
    assert_eq!(seen, ["read"]);
    event_loop.dispatch(PATIENCE, &mut seen).unwrap();
    assert_eq!(seen, ["read", "writable"]);
}

#[test]
fn a_failing_source_is_named_and_the_rest_of_the_batch_comes_next() {
    let mut event_loop: EventLoop<'_, Vec<&str>> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let mut writers = Vec::new();
    let mut tokens = Vec::new();
    for name in ["a", "b", "c"] {
        let (reader, writer) = pipe();
        put(&writer, b"x");
        writers.push(writer);
        let source = Generic::new(reader, Interest::READABLE, Mode::Edge);
        let token = handle
            .insert_source(source, move |_, _, ran: &mut Vec<&str>| {
                ran.push(name);
                if name == "c" {
                    Ok(PostAction::Continue)
                } else {
                    Err(io::Error::other(format!("{name} failed")))
                }
            })
            .unwrap();
        tokens.push(token);
    }
    let mut ran = Vec::new();
    let mut failed = Vec::new();
    for _ in 0..4 {
        match event_loop.dispatch(NOW, &mut ran) {
            Ok(()) => {}
            Err(Error::Source { token, error }) => {
                let name = ["a", "b"][tokens.iter().position(|t| *t == token).unwrap()];
                assert_eq!(error.to_string(), format!("{name} failed"));
                failed.push(name);
            }
            Err(err) => panic!("{err}"),
        }
    }
    ran.sort_unstable();
    failed.sort_unstable();
    assert_eq!(
        ran,
        ["a", "b", "c"],
        "edge-triggered: each event once, none lost"
    );
    assert_eq!(failed, ["a", "b"]);
}

#[test]
fn errors_convert_to_io_errors_keeping_the_kind_and_the_token() {
    let mut event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
    let (source, _writer) = readable_pipe(b"x");
    let token = event_loop
        .handle()
        .insert_source(source, |_, _, _: &mut ()| {
            Err(io::Error::new(io::ErrorKind::InvalidData, "bad bytes"))
        })
        .unwrap();
    let err = event_loop.dispatch(NOW, &mut ()).unwrap_err();
    assert_eq!(err.token(), Some(token));
    assert!(err.downcast_ref::<io::Error>().is_some());
    let err = io::Error::from(err);
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert_eq!(err.to_string(), format!("source {token}: bad bytes"));
}

#[test]
fn a_source_of_several_fds_gets_each_event_with_its_sub_id() {
    /// Two pipes as one source: events say which.
    struct Pair {
        left: Generic<OwnedFd>,
        right: Generic<OwnedFd>,
    }

    impl EventSource for Pair {
        type Event = &'static str;
        type Metadata = ();
        type Ret = ();
        type Error = io::Error;

        fn process_events<C>(&mut self, r: Readiness, t: Token, mut cb: C) -> io::Result<PostAction>
        where
            C: FnMut(&'static str, &mut ()),
        {
            self.left.process_events(r, t, |_, pipe| {
                drain(pipe)?;
                cb("left", &mut ());
                Ok(PostAction::Continue)
            })?;
            self.right.process_events(r, t, |_, pipe| {
                drain(pipe)?;
                cb("right", &mut ());
                Ok(PostAction::Continue)
            })
        }

        fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
            self.left.register(poller, tokens)?;
            self.right.register(poller, tokens)
        }

        fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
            self.left.reregister(poller, tokens)?;
            self.right.reregister(poller, tokens)
        }

        fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
            self.left.unregister(poller)?;
            self.right.unregister(poller)
        }
    }

    let mut event_loop: EventLoop<'_, Vec<&str>> = EventLoop::new().unwrap();
    let (left, left_writer) = readable_pipe(b"");
    let (right, right_writer) = readable_pipe(b"");
    let pair = Pair { left, right };
    let token = event_loop
        .handle()
        .insert_source(pair, |side, _, seen: &mut Vec<&str>| seen.push(side))
        .unwrap();
    let mut seen = Vec::new();
    put(&right_writer, b"x");
    event_loop.dispatch(PATIENCE, &mut seen).unwrap();
    assert_eq!(seen, ["right"]);
    put(&left_writer, b"x");
    event_loop.dispatch(PATIENCE, &mut seen).unwrap();
    assert_eq!(seen, ["right", "left"]);
    let listed = interest_list(event_loop.as_raw_fd());
    let subs: Vec<(RegistrationToken, u16)> = listed
        .iter()
        .map(|&(_, data)| Token::from_u64(data))
        .filter(|t| t.source() == token)
        .map(|t| (t.source(), t.sub_id()))
        .collect();
    assert_eq!(subs.len(), 2);
    assert!(subs.contains(&(token, 0)) && subs.contains(&(token, 1)));
}

#[test]
fn run_ends_on_a_stop_from_another_thread() {
    let mut event_loop: EventLoop<'_, usize> = EventLoop::new().unwrap();
    let signal = event_loop.signal();
    let loop_thread = Tid::current();
    let stopper = thread::spawn(move || {
        // Stop it while it waits: no source, no timeout, so only the stop
        // can end that wait.
        let blocked = loop_thread.wait_until_blocked_in("epoll", Duration::from_secs(5));
        signal.stop();
        blocked
    });
    let mut dispatches = 0;
    event_loop.run(None, &mut dispatches, |n| *n += 1).unwrap();
    stopper.join().unwrap().unwrap();
    assert_eq!(dispatches, 1);
}

#[test]
fn each_stop_ends_one_run_even_one_asked_for_before_it_starts() {
    let mut event_loop: EventLoop<'_, usize> = EventLoop::new().unwrap();
    let signal = event_loop.signal();
    signal.stop();
    let mut dispatches = 0;
    event_loop.run(None, &mut dispatches, |n| *n += 1).unwrap();
    assert_eq!(dispatches, 0, "ended before its first dispatch");

    // A stop from a callback ends the run after that dispatch.
    let (source, _writer) = readable_pipe(b"x");
    let from_callback = signal.clone();
    event_loop
        .handle()
        .insert_source(source, move |_, _, _: &mut usize| {
            from_callback.stop();
            Ok(PostAction::Continue)
        })
        .unwrap();
    event_loop
        .run(PATIENCE, &mut dispatches, |n| *n += 1)
        .unwrap();
    assert_eq!(dispatches, 1);

    // That stop also woke the loop's eventfd, registered under u64::MAX:
    // the next dispatch will find it and read it.
    let mut events = [ch01_raw_syscalls::Event::zeroed(); 4];
    let n = ch01_raw_syscalls::epoll_wait(event_loop.as_fd(), &mut events, 0).unwrap();
    let tokens: Vec<u64> = events[..n].iter().map(|e| e.token()).collect();
    assert!(tokens.contains(&u64::MAX), "{tokens:x?}");
}

#[test]
fn a_wakeup_ends_a_wait_with_no_source_events() {
    let mut event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
    let signal = event_loop.signal();
    let waker = thread::spawn(move || signal.wakeup());
    // No sources and no timeout: only the wakeup can end this wait.
    event_loop.dispatch(None, &mut ()).unwrap();
    waker.join().unwrap();
    // The loop's eventfd was drained: the kernel has nothing ready.
    let mut events = [ch01_raw_syscalls::Event::zeroed(); 4];
    let ready = ch01_raw_syscalls::epoll_wait(event_loop.as_fd(), &mut events, 0).unwrap();
    assert_eq!(ready, 0);
}

#[test]
fn signals_and_sources_cross_threads() {
    fn send_sync_clone<T: Send + Sync + Clone>() {}
    fn send<T: Send>() {}
    send_sync_clone::<LoopSignal>();
    send::<Generic<OwnedFd>>();
    send::<Generic<std::net::UdpSocket, std::fmt::Error>>();
}

/// `Watched<F>` must not implement `DerefMut`: this compiles only if it
/// does not (testkit's own tests show the check failing for a type that
/// does, such as a `Box`).
#[test]
fn watched_does_not_deref_mutably() {
    testkit::assert_not_impl!(Watched<OwnedFd>: std::ops::DerefMut);
}

#[test]
fn the_loop_is_its_epoll_fd() {
    let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
    let target = std::fs::read_link(format!("/proc/self/fd/{}", event_loop.as_raw_fd())).unwrap();
    assert_eq!(target.to_string_lossy(), "anon_inode:[eventpoll]");
}
