//! The wrapper at work: an echo service for three socket pairs, served from
//! one `Epoll` and one reused `Events` buffer. Tokens index the connection
//! table, timeouts bound every wait, and each connection is removed and
//! closed when its peer is done. One thread plays both sides, in a fixed
//! order, so every run prints the same.
//!
//! Run it with `cargo run -p ch04-libc-and-a-safe-wrapper --example socket_pair_echo`.

use ch01_raw_syscalls::consts::event_names;
use ch04_libc_and_a_safe_wrapper::{Epoll, Event, Events, IN, RDHUP};
use std::io::{self, ErrorKind, Read, Write};
use std::net::Shutdown;
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// How long a round may wait for events before the program gives up.
const PATIENCE: Duration = Duration::from_secs(2);

// ANCHOR: serve_event
/// Handles one event for `conn`: echoes everything there is to read. Returns
/// whether the connection is still open (its peer has not finished).
fn serve_event(event: Event, conn: &mut UnixStream) -> io::Result<bool> {
    let mut buf = [0u8; 64];
    let mut echoed = 0;
    let open = loop {
        match conn.read(&mut buf) {
            Ok(0) => break false, // end of stream: the peer is done
            Ok(n) => {
                conn.write_all(&buf[..n])?;
                echoed += n;
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => break true,
            Err(err) => return Err(err),
        }
    };
    println!(
        "  token {}: {} -> echoed {echoed} bytes{}",
        event.token(),
        event_names(event.events()),
        if open { "" } else { ", then end of stream" }
    );
    Ok(open)
}
// ANCHOR_END: serve_event

// ANCHOR: serve_round
/// One wait, and every event it returned. Closed connections leave the
/// interest list first, then the table (which closes them).
fn serve_round(
    epoll: &Epoll,
    events: &mut Events,
    conns: &mut [Option<UnixStream>],
    timeout: Duration,
) -> io::Result<()> {
    let n = epoll.wait(events, Some(timeout))?;
    println!("wait({timeout:?}): {n} event(s)");
    for event in events.iter() {
        let slot = usize::try_from(event.token())
            .ok()
            .and_then(|key| conns.get_mut(key))
            .expect("every token is an index into the table");
        let conn = slot.as_mut().expect("a closed connection has no events");
        if !serve_event(event, conn)? {
            epoll.delete(&*conn)?;
            *slot = None;
            println!("  token {}: deleted and closed", event.token());
        }
    }
    Ok(())
}
// ANCHOR_END: serve_round

/// What client `i` got back.
fn reply(clients: &mut [Option<UnixStream>], i: usize) -> io::Result<String> {
    let client = clients[i].as_mut().expect("client is open");
    let mut buf = [0u8; 64];
    let n = client.read(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let mut events = Events::with_capacity(8);
    let mut conns: Vec<Option<UnixStream>> = Vec::new();
    let mut clients: Vec<Option<UnixStream>> = Vec::new();
    for token in 0..3 {
        let (server, client) = UnixStream::pair()?;
        server.set_nonblocking(true)?;
        epoll.add(&server, IN | RDHUP, token)?;
        conns.push(Some(server));
        clients.push(Some(client));
    }
    println!("3 socket pairs; server ends registered for IN | RDHUP, tokens 0, 1, 2");

    println!("-- clients 0 and 2 send");
    for i in [0, 2] {
        let message = format!("ping {i}");
        clients[i]
            .as_mut()
            .expect("open")
            .write_all(message.as_bytes())?;
    }
    serve_round(&epoll, &mut events, &mut conns, PATIENCE)?;
    for i in [0, 2] {
        println!("  client {i} got {:?}", reply(&mut clients, i)?);
    }

    println!("-- nobody sends");
    serve_round(&epoll, &mut events, &mut conns, Duration::from_millis(50))?;

    println!("-- client 1 sends and shuts down its writing half; client 0 closes");
    let client1 = clients[1].as_mut().expect("open");
    client1.write_all(b"bye 1")?;
    client1.shutdown(Shutdown::Write)?;
    clients[0] = None;
    serve_round(&epoll, &mut events, &mut conns, PATIENCE)?;
    println!("  client 1 got {:?}", reply(&mut clients, 1)?);

    println!("-- client 2 and client 1 close");
    clients[2] = None;
    clients[1] = None;
    serve_round(&epoll, &mut events, &mut conns, PATIENCE)?;

    let open = conns.iter().filter(|conn| conn.is_some()).count();
    println!("-- {open} connection(s) left");
    serve_round(&epoll, &mut events, &mut conns, Duration::ZERO)?;
    println!(
        "the buffer kept its capacity of {}: {} events from the last wait",
        events.capacity(),
        events.len()
    );
    Ok(())
}
// ANCHOR_END: main
