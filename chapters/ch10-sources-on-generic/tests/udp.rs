//! The UDP source: echoes over loopback, and why an edge-triggered source
//! must read until the kernel says "would block".

mod common;

use ch08_generic_sources::{EventLoop, Generic, Interest, Mode, PostAction};
use ch10_sources_on_generic::{Datagram, UdpSource};
use common::*;
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

/// A blocking client socket on loopback that gives up after `PATIENCE`.
fn client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_read_timeout(Some(PATIENCE)).unwrap();
    socket
}

fn receive(socket: &UdpSocket) -> Vec<u8> {
    let mut buf = [0; 256];
    let (n, _) = socket.recv_from(&mut buf).unwrap();
    buf[..n].to_vec()
}

/// Sends back what came, and records it.
fn echo(
    datagram: Datagram,
    socket: &mut ch08_generic_sources::Watched<UdpSocket>,
    seen: &mut Vec<Datagram>,
) -> io::Result<PostAction> {
    socket.send_to(&datagram.bytes, datagram.peer)?;
    seen.push(datagram);
    Ok(PostAction::Continue)
}

#[test]
fn one_edge_many_datagrams_all_read_in_one_dispatch() {
    const N: usize = 20;
    let mut event_loop: EventLoop<'_, Vec<Datagram>> = EventLoop::new().unwrap();
    let server = UdpSource::bind("127.0.0.1:0").unwrap();
    let address = server.socket().local_addr().unwrap();
    event_loop.handle().insert_source(server, echo).unwrap();

    let client = client();
    for i in 0..N {
        client
            .send_to(format!("datagram {i}").as_bytes(), address)
            .unwrap();
    }
    let mut seen = Vec::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert_eq!(seen.len(), N, "every datagram, from one event");
    let me = client.local_addr().unwrap();
    assert!(seen.iter().all(|d| d.peer == me));
    for i in 0..N {
        assert_eq!(receive(&client), format!("datagram {i}").as_bytes());
    }
}

#[test]
fn a_generic_that_reads_once_per_edge_strands_the_rest() {
    let mut event_loop: EventLoop<'_, usize> = EventLoop::new().unwrap();
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.set_nonblocking(true).unwrap();
    let address = socket.local_addr().unwrap();
    let generic = Generic::new(socket, Interest::READABLE, Mode::Edge);
    event_loop
        .handle()
        .insert_source(generic, |_, socket, read: &mut usize| {
            socket.recv_from(&mut [0; 64])?; // one datagram, then stop
            *read += 1;
            Ok(PostAction::Continue)
        })
        .unwrap();
    let client = client();
    for _ in 0..3 {
        client.send_to(b"x", address).unwrap();
    }
    let mut read = 0;
    event_loop.dispatch(NOW, &mut read).unwrap();
    assert_eq!(read, 1);
    event_loop
        .dispatch(Some(Duration::from_millis(30)), &mut read)
        .unwrap();
    assert_eq!(read, 1, "two datagrams wait, and no edge comes for them");
    client.send_to(b"x", address).unwrap();
    event_loop.dispatch(NOW, &mut read).unwrap();
    assert_eq!(read, 2, "a new datagram makes a new edge");
}

#[test]
fn stopping_early_and_reregistering_reports_what_was_left() {
    let mut event_loop: EventLoop<'_, Vec<Datagram>> = EventLoop::new().unwrap();
    let server = UdpSource::bind("127.0.0.1:0").unwrap();
    let address = server.socket().local_addr().unwrap();
    event_loop
        .handle()
        .insert_source(server, |datagram, _, seen: &mut Vec<Datagram>| {
            seen.push(datagram);
            // One per event: MOD makes the kernel look at the socket again.
            Ok(PostAction::Reregister)
        })
        .unwrap();
    let client = client();
    for i in 0..3u8 {
        client.send_to(&[i], address).unwrap();
    }
    let mut seen = Vec::new();
    for expected in 1..=3 {
        event_loop.dispatch(NOW, &mut seen).unwrap();
        assert_eq!(seen.len(), expected);
    }
    let bytes: Vec<u8> = seen.iter().map(|d| d.bytes[0]).collect();
    assert_eq!(bytes, [0, 1, 2]);
}

#[test]
fn a_disabled_source_reports_what_waits_once_enabled() {
    let mut event_loop: EventLoop<'_, Vec<Datagram>> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let server = UdpSource::bind("127.0.0.1:0").unwrap();
    let address = server.socket().local_addr().unwrap();
    let token = handle
        .insert_source(server, |datagram, _, seen: &mut Vec<Datagram>| {
            seen.push(datagram);
            Ok(PostAction::Disable)
        })
        .unwrap();
    let client = client();
    client.send_to(b"a", address).unwrap();
    client.send_to(b"b", address).unwrap();
    let mut seen = Vec::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert_eq!(seen.len(), 1);
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert_eq!(seen.len(), 1, "disabled");
    handle.enable(token).unwrap();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert_eq!(seen[1].bytes, b"b");
}

#[test]
fn each_client_gets_its_own_echoes() {
    let mut event_loop: EventLoop<'_, Vec<Datagram>> = EventLoop::new().unwrap();
    let server = UdpSource::bind("127.0.0.1:0").unwrap();
    let address = server.socket().local_addr().unwrap();
    event_loop.handle().insert_source(server, echo).unwrap();
    let (a, b) = (client(), client());
    a.send_to(b"from a", address).unwrap();
    b.send_to(b"from b", address).unwrap();
    let mut seen = Vec::new();
    dispatch_until(&mut event_loop, &mut seen, |seen| seen.len() == 2);
    let peers: Vec<SocketAddr> = seen.iter().map(|d| d.peer).collect();
    assert!(peers.contains(&a.local_addr().unwrap()));
    assert!(peers.contains(&b.local_addr().unwrap()));
    assert_eq!(receive(&a), b"from a");
    assert_eq!(receive(&b), b"from b");
}

#[test]
fn removing_stops_reading_and_closes_the_socket() {
    let mut event_loop: EventLoop<'_, Vec<Datagram>> = EventLoop::new().unwrap();
    let server = UdpSource::bind("127.0.0.1:0").unwrap();
    let address = server.socket().local_addr().unwrap();
    event_loop
        .handle()
        .insert_source(server, |datagram, _, seen: &mut Vec<Datagram>| {
            seen.push(datagram);
            Ok(PostAction::Remove)
        })
        .unwrap();
    let client = client();
    client.send_to(b"1", address).unwrap();
    client.send_to(b"2", address).unwrap();
    let mut seen = Vec::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert_eq!(seen.len(), 1);
    assert!(event_loop.handle().is_empty());
    // Nobody listens on the port any more: loopback says so with an ICMP
    // "port unreachable", which a connected socket sees as ECONNREFUSED.
    client.connect(address).unwrap();
    client.send(b"3").unwrap();
    let err = client.recv(&mut [0; 8]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
}
