//! A UDP echo server as an event source, over loopback: two clients send
//! three datagrams each before the loop looks; one event, one dispatch,
//! and the source reads all six, answering each to the address it came
//! from.
//!
//! Run it with `cargo run -p ch10-sources-on-generic --example udp_echo`.

use ch08_generic_sources::{EventLoop, PostAction};
use ch10_sources_on_generic::{Datagram, UdpSource};
use std::io;
use std::net::UdpSocket;
use std::time::Duration;

const PER_CLIENT: usize = 3;

/// A client on loopback, blocking, that gives up waiting after 5 s.
fn client() -> io::Result<UdpSocket> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    Ok(socket)
}

/// What `client` gets back: `count` datagrams, as text.
fn answers(client: &UdpSocket, count: usize) -> io::Result<Vec<String>> {
    let mut buf = [0; 64];
    (0..count)
        .map(|_| {
            let (n, _) = client.recv_from(&mut buf)?;
            Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
        })
        .collect()
}

pub fn main() -> io::Result<()> {
    // ANCHOR: server
    let mut event_loop: EventLoop<'_, Vec<Datagram>> = EventLoop::new()?;
    let server = UdpSource::bind("127.0.0.1:0")?;
    let address = server.socket().local_addr()?;
    event_loop.handle().insert_source(
        server,
        |datagram: Datagram, socket, seen: &mut Vec<Datagram>| {
            // `socket` is the source's `&UdpSocket`: the answer goes to
            // the peer the datagram came from.
            socket.send_to(&datagram.bytes, datagram.peer)?;
            seen.push(datagram);
            Ok(PostAction::Continue)
        },
    )?;
    // ANCHOR_END: server

    // ANCHOR: clients
    let (a, b) = (client()?, client()?);
    for i in 1..=PER_CLIENT {
        a.send_to(format!("a{i}").as_bytes(), address)?;
    }
    for i in 1..=PER_CLIENT {
        b.send_to(format!("b{i}").as_bytes(), address)?;
    }

    let mut seen = Vec::new();
    event_loop.dispatch(Some(Duration::from_secs(5)), &mut seen)?;
    println!(
        "one dispatch: the source read {} datagrams from one edge-triggered event",
        seen.len()
    );
    // ANCHOR_END: clients

    // ANCHOR: report
    for (name, client) in [("a", &a), ("b", &b)] {
        let me = client.local_addr()?;
        let from_it: Vec<String> = seen
            .iter()
            .filter(|d| d.peer == me)
            .map(|d| String::from_utf8_lossy(&d.bytes).into_owned())
            .collect();
        let back = answers(client, from_it.len())?;
        println!(
            "client {name}: the server saw {from_it:?} from its address, it got back {back:?}"
        );
    }
    // ANCHOR_END: report
    Ok(())
}
