//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. Every test runs inside `assert_no_fd_leaks`.

mod common;

use ch08_generic_sources::{EventLoop, PostAction};
use ch10_sources_on_generic::solutions::{Budgeted, Limited, Resilient};
use ch10_sources_on_generic::{Event, UdpSource, channel};
use common::{NOW, PATIENCE};
use std::io;
use std::net::{SocketAddr, UdpSocket};
use testkit::assert_no_fd_leaks;

/// What the callbacks of one loop saw, in order.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Datagram,
    Message,
}

/// A UDP source of some kind and a channel on one loop; `flood`
/// datagrams, then one message. Returns how many datagrams the loop
/// delivered before the message, and how many in all.
fn flood_then_message<S>(source: S, address: SocketAddr, flood: usize) -> (usize, usize)
where
    S: ch08_generic_sources::EventSource<
            Event = ch10_sources_on_generic::Datagram,
            Metadata = ch08_generic_sources::Watched<UdpSocket>,
            Ret = io::Result<PostAction>,
            Error = io::Error,
        > + 'static,
{
    let mut event_loop: EventLoop<'_, Vec<Seen>> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    handle
        .insert_source(source, |_, _, seen: &mut Vec<Seen>| {
            seen.push(Seen::Datagram);
            Ok(PostAction::Continue)
        })
        .unwrap();
    let (sender, receiver) = channel::<()>().unwrap();
    handle
        .insert_source(receiver, |event, _, seen: &mut Vec<Seen>| {
            if let Event::Msg(()) = event {
                seen.push(Seen::Message);
            }
        })
        .unwrap();

    // On loopback each datagram is in the socket's queue when `send_to`
    // returns, so the socket is ready before the channel's eventfd, and
    // comes first in the batch.
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    for _ in 0..flood {
        client.send_to(b"x", address).unwrap();
    }
    sender.send(()).unwrap();
    let mut seen = Vec::new();
    let give_up = std::time::Instant::now() + PATIENCE;
    while seen.iter().filter(|s| **s == Seen::Datagram).count() < flood {
        assert!(std::time::Instant::now() < give_up, "datagrams were lost");
        event_loop.dispatch(Some(PATIENCE), &mut seen).unwrap();
    }
    let before = seen
        .iter()
        .position(|s| *s == Seen::Message)
        .expect("the message came");
    (before, seen.len() - 1)
}

#[test]
fn exercise_1_a_budget_lets_the_channel_in_after_budget_datagrams() {
    assert_no_fd_leaks(|| {
        let source = UdpSource::bind("127.0.0.1:0").unwrap();
        let address = source.socket().local_addr().unwrap();
        let budgeted = Budgeted::new(source, 16);
        assert_eq!(flood_then_message(budgeted, address, 50), (16, 50));
    });
}

#[test]
fn exercise_1_without_a_budget_the_channel_waits_for_the_flood() {
    assert_no_fd_leaks(|| {
        let source = UdpSource::bind("127.0.0.1:0").unwrap();
        let address = source.socket().local_addr().unwrap();
        assert_eq!(flood_then_message(source, address, 50), (50, 50));
    });
}

/// Three datagrams; the callback fails on the first one it gets. Returns
/// what each of two dispatches delivered.
fn fail_once<S>(source: S, address: SocketAddr) -> (usize, usize)
where
    S: ch08_generic_sources::EventSource<
            Event = ch10_sources_on_generic::Datagram,
            Metadata = ch08_generic_sources::Watched<UdpSocket>,
            Ret = io::Result<PostAction>,
            Error = io::Error,
        > + 'static,
{
    let mut event_loop: EventLoop<'_, usize> = EventLoop::new().unwrap();
    let mut failed = false;
    event_loop
        .handle()
        .insert_source(source, move |_, _, delivered: &mut usize| {
            *delivered += 1;
            if !failed {
                failed = true;
                return Err(io::Error::other("the callback failed"));
            }
            Ok(PostAction::Continue)
        })
        .unwrap();
    let client = UdpSocket::bind("127.0.0.1:0").unwrap();
    for i in 0..3u8 {
        client.send_to(&[i], address).unwrap();
    }
    let mut first = 0;
    let err = event_loop.dispatch(Some(PATIENCE), &mut first).unwrap_err();
    assert!(
        io::Error::from(err)
            .to_string()
            .ends_with("the callback failed")
    );
    let mut second = 0;
    event_loop.dispatch(NOW, &mut second).unwrap();
    (first, second)
}

#[test]
fn exercise_2_an_error_strands_the_rest_of_an_edge_triggered_socket() {
    assert_no_fd_leaks(|| {
        let source = UdpSource::bind("127.0.0.1:0").unwrap();
        let address = source.socket().local_addr().unwrap();
        // One delivered (and failed); the other two are not reported.
        assert_eq!(fail_once(source, address), (1, 0));
    });
}

#[test]
fn exercise_2_a_mod_after_the_error_delivers_the_rest() {
    assert_no_fd_leaks(|| {
        let source = Resilient::new(UdpSource::bind("127.0.0.1:0").unwrap());
        let address = source.socket().local_addr().unwrap();
        assert_eq!(fail_once(source, address), (1, 2));
    });
}

#[test]
fn exercise_3_a_limited_channel_delivers_in_slices_and_closes_last() {
    assert_no_fd_leaks(|| {
        let (sender, receiver) = channel::<u32>().unwrap();
        for n in 0..2500 {
            sender.send(n).unwrap();
        }
        drop(sender);
        let mut event_loop: EventLoop<'_, Vec<Event<u32>>> = EventLoop::new().unwrap();
        event_loop
            .handle()
            .insert_source(
                Limited::new(receiver, 1024),
                |event, _, got: &mut Vec<_>| got.push(event),
            )
            .unwrap();

        // Each dispatch only looks (no waiting): the source's own wake-up
        // is what brings it back.
        let mut got = Vec::new();
        let mut sizes = Vec::new();
        for _ in 0..4 {
            event_loop.dispatch(NOW, &mut got).unwrap();
            sizes.push(got.len());
        }
        assert_eq!(sizes, [1024, 2048, 2501, 2501]);
        assert!(got[..2500].iter().cloned().eq((0..2500).map(Event::Msg)));
        assert_eq!(got[2500], Event::Closed);
        assert!(event_loop.handle().is_empty(), "removed after Closed");
    });
}
