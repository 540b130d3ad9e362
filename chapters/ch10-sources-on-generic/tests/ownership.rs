//! Whatever order the four sources leave in (removed, taken back, dropped
//! with the loop, removed from a callback), each fd leaves the interest
//! list and is closed exactly once, and nothing else is closed. Every test
//! runs inside `assert_no_fd_leaks`, which also runs them one at a time,
//! so fd numbers seen here are not reused by another test meanwhile.

mod common;

use ch06_everything_is_an_fd::signal_this_thread;
use ch08_generic_sources::{EventLoop, LoopHandle, PostAction, RegistrationToken};
use ch10_sources_on_generic::{
    Channel, Event, Sender, Signals, Timer, TimerAction, UdpSource, channel,
};
use common::*;
use std::any::Any;
use std::net::UdpSocket;
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::time::{Duration, Instant};
use testkit::assert_no_fd_leaks;

const TIMER: usize = 0;
const CHANNEL: usize = 1;
const SIGNALS: usize = 2;
const UDP: usize = 3;
const NAMES: [&str; 4] = ["timer", "channel", "signals", "udp"];

/// What each callback saw: the loop's `Data` in these tests.
#[derive(Default)]
struct Seen {
    ticks: usize,
    messages: Vec<u8>,
    signals: usize,
    datagrams: usize,
}

/// A loop with one source of each kind, and what a test needs to follow
/// them: their tokens and fd numbers, the channel's sender, and where the
/// UDP source listens.
struct Four {
    event_loop: EventLoop<'static, Seen>,
    tokens: [RegistrationToken; 4],
    fds: [RawFd; 4],
    sender: Sender<u8>,
    address: std::net::SocketAddr,
}

fn insert_all(
    handle: &LoopHandle<'static, Seen>,
    timer: Timer,
    channel: Channel<u8>,
    signals: Signals,
    udp: UdpSource,
) -> [RegistrationToken; 4] {
    let timer = handle
        .insert_source(timer, |_, _, seen: &mut Seen| {
            seen.ticks += 1;
            TimerAction::Continue
        })
        .unwrap();
    let channel = handle
        .insert_source(channel, |event, _, seen: &mut Seen| {
            if let Event::Msg(m) = event {
                seen.messages.push(m);
            }
        })
        .unwrap();
    let signals = handle
        .insert_source(signals, |_, _, seen: &mut Seen| seen.signals += 1)
        .unwrap();
    let udp = handle
        .insert_source(udp, |_, _, seen: &mut Seen| {
            seen.datagrams += 1;
            Ok(PostAction::Continue)
        })
        .unwrap();
    [timer, channel, signals, udp]
}

fn four() -> Four {
    let event_loop = EventLoop::new().unwrap();
    let timer = Timer::every(Duration::from_secs(3600)).unwrap();
    let (sender, channel) = channel().unwrap();
    let signals = Signals::new(&[libc::SIGUSR1]).unwrap();
    let udp = UdpSource::bind("127.0.0.1:0").unwrap();
    let address = udp.socket().local_addr().unwrap();
    let fds = [
        timer.as_fd().as_raw_fd(),
        channel.as_fd().as_raw_fd(),
        signals.as_fd().as_raw_fd(),
        udp.as_fd().as_raw_fd(),
    ];
    let tokens = insert_all(&event_loop.handle(), timer, channel, signals, udp);
    let four = Four {
        event_loop,
        tokens,
        fds,
        sender,
        address,
    };
    let listed = interest_fds(&four.event_loop);
    assert_eq!(listed.len(), 5, "four sources and the loop's own eventfd");
    for fd in fds {
        assert!(listed.contains(&fd));
    }
    four
}

/// Every order of the four sources.
fn permutations() -> Vec<[usize; 4]> {
    let mut all = Vec::new();
    for a in 0..4 {
        for b in (0..4).filter(|&b| b != a) {
            for c in (0..4).filter(|&c| c != a && c != b) {
                let d = 6 - a - b - c;
                all.push([a, b, c, d]);
            }
        }
    }
    assert_eq!(all.len(), 24);
    all
}

#[test]
fn removing_in_every_order_leaves_no_entry_and_no_fd() {
    for order in permutations() {
        assert_no_fd_leaks(|| {
            let four = four();
            let handle = four.event_loop.handle();
            for (done, &i) in order.iter().enumerate() {
                handle.remove(four.tokens[i]).unwrap();
                let listed = interest_fds(&four.event_loop);
                assert_eq!(listed.len(), 4 - done, "{order:?}");
                assert!(!listed.contains(&four.fds[i]), "{} listed", NAMES[i]);
                // The channel's eventfd is shared with the sender, which
                // keeps it open; every other fd closes with its source.
                assert_eq!(is_open(four.fds[i]), i == CHANNEL, "{}", NAMES[i]);
            }
            drop(four.event_loop);
            assert!(is_open(four.fds[CHANNEL]));
            drop(four.sender);
            assert!(!is_open(four.fds[CHANNEL]));
        });
    }
}

#[test]
fn dropping_the_loop_first_closes_every_source_and_the_epoll_fd() {
    assert_no_fd_leaks(|| {
        let four = four();
        let epfd = four.event_loop.as_raw_fd();
        drop(four.event_loop);
        assert!(!is_open(epfd));
        for i in [TIMER, SIGNALS, UDP] {
            assert!(!is_open(four.fds[i]), "{}", NAMES[i]);
        }
        // A send now finds the channel gone, and says so.
        assert!(four.sender.send(1).is_err());
        assert!(is_open(four.fds[CHANNEL]));
        drop(four.sender);
        assert!(!is_open(four.fds[CHANNEL]));
    });
}

/// Takes the source `i` back, typed, and boxes it.
fn take(handle: &LoopHandle<'static, Seen>, four: &Four, i: usize) -> Box<dyn Any> {
    let token = four.tokens[i];
    match i {
        TIMER => Box::new(handle.take::<Timer>(token).unwrap()),
        CHANNEL => Box::new(handle.take::<Channel<u8>>(token).unwrap()),
        SIGNALS => Box::new(handle.take::<Signals>(token).unwrap()),
        _ => Box::new(handle.take::<UdpSource>(token).unwrap()),
    }
}

#[test]
fn sources_taken_back_leave_the_list_open_and_close_when_dropped_in_any_order() {
    for order in permutations() {
        assert_no_fd_leaks(|| {
            let four = four();
            let handle = four.event_loop.handle();
            let mut taken: Vec<(usize, Box<dyn Any>)> = Vec::new();
            for &i in &order {
                taken.push((i, take(&handle, &four, i)));
                assert!(!interest_fds(&four.event_loop).contains(&four.fds[i]));
                assert!(is_open(four.fds[i]), "{} taken, not closed", NAMES[i]);
            }
            assert_eq!(interest_fds(&four.event_loop).len(), 1);
            drop(four.event_loop);
            // Dropped in the order they were taken: each closes its own fd.
            for (i, source) in taken {
                drop(source);
                assert_eq!(is_open(four.fds[i]), i == CHANNEL, "{}", NAMES[i]);
            }
            drop(four.sender);
            assert!(!is_open(four.fds[CHANNEL]));
        });
    }
}

#[test]
fn sources_moved_to_another_loop_work_there_and_leave_nothing_in_the_first() {
    assert_no_fd_leaks(|| {
        let four = four();
        let first = four.event_loop.handle();
        let timer: Timer = first.take(four.tokens[TIMER]).unwrap();
        let channel: Channel<u8> = first.take(four.tokens[CHANNEL]).unwrap();
        let signals: Signals = first.take(four.tokens[SIGNALS]).unwrap();
        let udp: UdpSource = first.take(four.tokens[UDP]).unwrap();
        assert_eq!(interest_fds(&four.event_loop).len(), 1);
        drop(four.event_loop);

        let mut second: EventLoop<'static, Seen> = EventLoop::new().unwrap();
        insert_all(&second.handle(), timer, channel, signals, udp);
        assert_eq!(interest_fds(&second).len(), 5);
        four.sender.send(9).unwrap();
        signal_this_thread(libc::SIGUSR1).unwrap();
        let client = UdpSocket::bind("127.0.0.1:0").unwrap();
        client.send_to(b"hi", four.address).unwrap();
        let mut seen = Seen::default();
        dispatch_until(&mut second, &mut seen, |seen| {
            seen.messages == [9] && seen.signals == 1 && seen.datagrams == 1
        });
        drop(client);
        drop(second);
        drop(four.sender);
        for (fd, name) in four.fds.into_iter().zip(NAMES) {
            assert!(!is_open(fd), "{name}");
        }
    });
}

#[test]
fn a_callback_that_removes_every_other_source_leaves_only_the_loop() {
    assert_no_fd_leaks(|| {
        let four = four();
        let mut event_loop = four.event_loop;
        let handle = event_loop.handle();
        let others = [four.tokens[CHANNEL], four.tokens[SIGNALS], four.tokens[UDP]];
        let remover = handle.clone();
        let fired = Timer::at(Instant::now()).unwrap();
        let fired_fd = fired.as_fd().as_raw_fd();
        handle
            .insert_source(fired, move |_, _, _: &mut Seen| {
                for token in others {
                    remover.remove(token).unwrap();
                }
                TimerAction::Remove
            })
            .unwrap();
        let mut seen = Seen::default();
        dispatch_until(&mut event_loop, &mut seen, |_| handle.len() == 1);
        // Left: the hour-long timer, and the loop's own eventfd.
        let listed = interest_fds(&event_loop);
        assert_eq!(listed.len(), 2);
        assert!(listed.contains(&four.fds[TIMER]));
        assert!(!is_open(fired_fd));
        for i in [SIGNALS, UDP] {
            assert!(!is_open(four.fds[i]), "{}", NAMES[i]);
        }
        drop(handle);
        drop(event_loop);
        drop(four.sender);
    });
}
