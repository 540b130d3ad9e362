//! The objects around this chapter's sources, dropped in every order: a
//! loop holding a timer, a channel (with a message that owns an fd still
//! queued), a signal source and a UDP source; a handle; a `LoopSignal`;
//! two `Sender`s; and a timer taken back out of the loop. In each of the
//! 720 orders, every fd is closed exactly once, when the last object that
//! keeps it open goes: the channel's eventfd lives as long as the loop or
//! a sender, the queued message's fd only as long as the loop.
//!
//! `ownership.rs` takes sources out of a live loop in every order; this
//! file drops what surrounds them. `testkit::fd_ledger` does the
//! bookkeeping (sentinels on closed numbers, and this binary's `close`
//! calls counted per number through `testkit::count_closes!`), inside
//! `assert_no_fd_leaks`. The binary has no harness (Cargo.toml): when a
//! check fails, objects dropped while the panic unwinds may close an fd a
//! second time, and the standard library then aborts the process, so the
//! check's message must not wait in the harness's capture.

mod common;

use ch02_interest_and_ready_lists::registrations;
use ch08_generic_sources::{EventLoop, LoopHandle, LoopSignal, RegistrationToken};
use ch10_sources_on_generic::{Event, Sender, Signals, Timer, TimerAction, UdpSource, channel};
use common::*;
use std::io::ErrorKind;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;
use testkit::assert_no_fd_leaks;
use testkit::fd_ledger::{FdLedger, Objects, drop_in_every_order};
use testkit::single_thread::{self, assert_one_thread};

testkit::count_closes!();

fn main() {
    single_thread::run_checked(
        &[(
            "every_drop_order_closes_each_fd_once_when_its_last_owner_goes",
            every_drop_order_closes_each_fd_once_when_its_last_owner_goes,
        )],
        assert_one_thread,
    );
}

const LOOP: usize = 0;
const HANDLE: usize = 1;
const SIGNAL: usize = 2;
const SENDER_A: usize = 3;
const SENDER_B: usize = 4;
const TAKEN: usize = 5;
const OBJECTS: [&str; 6] = [
    "loop",
    "handle",
    "signal",
    "sender A",
    "sender B",
    "taken timer",
];

const HOUR: Duration = Duration::from_secs(3600);

/// A message may own an fd.
type Message = Option<OwnedFd>;
/// The loop's data: messages received.
type Loop = EventLoop<'static, usize>;

struct Group {
    event_loop: Option<Loop>,
    handle: Option<LoopHandle<'static, usize>>,
    signal: Option<LoopSignal>,
    senders: [Option<Sender<Message>>; 2],
    taken: Option<Timer>,
    /// The timer, the channel, the signals, the UDP socket, the taken
    /// timer.
    tokens: [RegistrationToken; 5],
}

fn build(ledger: &mut FdLedger) -> Group {
    let mut event_loop: Loop = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let epfd = event_loop.as_raw_fd();
    let loop_eventfd = registrations(event_loop.as_fd())
        .unwrap()
        .iter()
        .find(|entry| entry.token == u64::MAX)
        .expect("the loop's own eventfd")
        .fd;

    let timer = Timer::every(HOUR).unwrap();
    let timer_fd = timer.as_fd().as_raw_fd();
    let timer = handle
        .insert_source(timer, |_, _, _: &mut usize| TimerAction::Continue)
        .unwrap();

    let (sender, receiver) = channel::<Message>().unwrap();
    let channel_fd = receiver.as_fd().as_raw_fd();
    let received = handle
        .insert_source(receiver, |event, _, received: &mut usize| {
            if let Event::Msg(_) = event {
                *received += 1;
            }
        })
        .unwrap();

    let signals = Signals::new(&[libc::SIGUSR2]).unwrap();
    let signals_fd = signals.as_fd().as_raw_fd();
    let signals = handle
        .insert_source(signals, |_, _, _: &mut usize| {})
        .unwrap();

    let udp = UdpSource::bind("127.0.0.1:0").unwrap();
    let udp_fd = udp.as_fd().as_raw_fd();
    let udp = handle
        .insert_source(udp, |_, _, _: &mut usize| {
            Ok(ch08_generic_sources::PostAction::Continue)
        })
        .unwrap();

    let taken = Timer::every(HOUR).unwrap();
    let taken_fd = taken.as_fd().as_raw_fd();
    let taken_token = handle
        .insert_source(taken, |_, _, _: &mut usize| TimerAction::Continue)
        .unwrap();

    // Used once: a message goes through.
    sender.send(None).unwrap();
    let mut received_count = 0;
    event_loop.dispatch(NOW, &mut received_count).unwrap();
    assert_eq!(received_count, 1);
    let taken: Timer = handle.take(taken_token).unwrap();

    // A message that owns a pipe's read end waits in the queue: the loop
    // is not dispatched again.
    let (queued, writer) = testkit::pipe();
    drop(writer);
    let queued_fd = queued.as_raw_fd();
    sender.send(Some(queued)).unwrap();

    let on_loop = [LOOP, HANDLE];
    ledger.track_epoll("the epoll instance", epfd, &on_loop);
    let with_signal = [LOOP, SIGNAL];
    ledger.track(
        "the loop's eventfd",
        loop_eventfd,
        &with_signal,
        &with_signal,
    );
    ledger.track("the timer", timer_fd, &[LOOP], &[LOOP]);
    let with_senders = [LOOP, SENDER_A, SENDER_B];
    ledger.track("the channel's eventfd", channel_fd, &with_senders, &[LOOP]);
    ledger.track("the queued message's fd", queued_fd, &[LOOP], &[]);
    ledger.track("the signalfd", signals_fd, &[LOOP], &[LOOP]);
    ledger.track("the UDP socket", udp_fd, &[LOOP], &[LOOP]);
    ledger.track("the taken timer", taken_fd, &[TAKEN], &[]);
    Group {
        signal: Some(event_loop.signal()),
        event_loop: Some(event_loop),
        handle: Some(handle),
        senders: [Some(sender.clone()), Some(sender)],
        taken: Some(taken),
        tokens: [timer, received, signals, udp, taken_token],
    }
}

impl Objects for Group {
    fn drop_object(&mut self, object: usize) {
        match object {
            LOOP => drop(self.event_loop.take()),
            HANDLE => drop(self.handle.take()),
            SIGNAL => drop(self.signal.take()),
            SENDER_A | SENDER_B => drop(self.senders[object - SENDER_A].take()),
            _ => drop(self.taken.take()),
        }
    }

    /// Uses every object still alive: the handle inserts and removes a
    /// timer, or is refused once the loop is gone; the senders send, or
    /// get their message (and its fd) back; the signal wakes and stops.
    fn use_what_is_left(&mut self) {
        let loop_alive = self.event_loop.is_some();
        if let Some(handle) = &self.handle {
            let fresh = Timer::after(HOUR).unwrap();
            let fresh_fd = fresh.as_fd().as_raw_fd();
            match handle.insert_source(fresh, |_, _, _: &mut usize| TimerAction::Remove) {
                Ok(token) => {
                    assert!(loop_alive, "a handle inserted into a dropped loop");
                    handle.remove(token).unwrap();
                    assert!(!is_open(fresh_fd));
                    let err = handle.take::<Timer>(self.tokens[4]).unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::NotFound, "taken already");
                    assert_eq!(handle.len(), 4);
                }
                Err(refused) => {
                    assert!(!loop_alive, "refused by a live loop: {}", refused.error);
                    assert_eq!(refused.source.as_fd().as_raw_fd(), fresh_fd);
                    assert!(refused.source.deadline().is_some());
                    drop(refused);
                    assert!(!is_open(fresh_fd));
                    assert!(handle.is_empty());
                    for token in self.tokens {
                        assert_eq!(
                            handle.remove(token).unwrap_err().kind(),
                            ErrorKind::NotFound
                        );
                        assert_eq!(
                            handle.take::<Timer>(token).unwrap_err().kind(),
                            ErrorKind::NotFound
                        );
                    }
                }
            }
        }
        for sender in self.senders.iter().flatten() {
            if loop_alive {
                sender.send(None).unwrap();
            } else {
                let (reader, writer) = testkit::pipe();
                drop(writer);
                let fd = reader.as_raw_fd();
                let refused = sender.send(Some(reader)).unwrap_err();
                let back = refused.0.expect("the message comes back");
                assert_eq!(back.as_raw_fd(), fd);
                drop(back);
                assert!(!is_open(fd));
            }
        }
        if let Some(signal) = &self.signal {
            signal.wakeup();
            signal.stop();
        }
        if let Some(taken) = &self.taken {
            assert_eq!(taken.period(), Some(HOUR));
        }
    }
}

fn every_drop_order_closes_each_fd_once_when_its_last_owner_goes() {
    let orders = assert_no_fd_leaks(|| drop_in_every_order(&OBJECTS, build));
    assert_eq!(orders, 720);
    eprintln!(
        "drop orders: {orders} orders of {} objects, 8 fds, checked after each drop and use",
        OBJECTS.len()
    );
}
