//! One registration of each kind: readable, writable, both, priority (TCP
//! urgent data), one-shot with a re-arm, and explicit flags. Each handler
//! prints the bits of the event it got.
//!
//! Run it with `cargo run -p ch07-a-reactor --example interest_variants`.

use ch01_raw_syscalls::consts::event_names;
use ch04_libc_and_a_safe_wrapper::{Event, IN, RDHUP};
use ch07_a_reactor::io::{read_until_would_block, write_some};
use ch07_a_reactor::{Context, Interest, Reactor, Token};
use std::io;
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

const PATIENCE: Option<Duration> = Some(Duration::from_secs(2));

/// A handler that prints what it got, for sources it need not read.
fn show<S>(name: &'static str) -> impl FnMut(&S, &mut Context<'_>, Event) -> io::Result<()> {
    move |_, _, event| {
        println!("  {name}: {}", event_names(event.events()));
        Ok(())
    }
}

/// Turns until one turn calls no handler, and says how many turns called one.
fn settle(reactor: &mut Reactor) -> io::Result<()> {
    let mut turns = 0;
    while reactor.turn(Some(Duration::ZERO))?.dispatched > 0 {
        turns += 1;
    }
    println!("  ({turns} turn(s) with events, then one without)");
    Ok(())
}

fn socket_pair() -> io::Result<(UnixStream, UnixStream)> {
    let (ours, theirs) = UnixStream::pair()?;
    ours.set_nonblocking(true)?;
    Ok((ours, theirs))
}

// ANCHOR: variants
pub fn main() -> io::Result<()> {
    let mut reactor = Reactor::new()?;

    println!("READABLE, WRITABLE and BOTH on three socket pairs with data waiting");
    let mut peers = Vec::new();
    for (name, interest) in [
        ("readable", Interest::READABLE),
        ("writable", Interest::WRITABLE),
        ("both", Interest::BOTH),
    ] {
        let (ours, theirs) = socket_pair()?;
        write_some(theirs.as_fd(), b"hi")?;
        reactor.register(ours, interest, show(name))?;
        peers.push(theirs);
    }
    settle(&mut reactor)?;

    println!("PRIORITY on a TCP connection, then urgent data (MSG_OOB)");
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    server.set_nonblocking(true)?;
    reactor.register(server, Interest::PRIORITY, |socket, _, event| {
        let mut byte = 0u8;
        // SAFETY: `byte` is valid for a write of 1 byte; the socket is open
        // (the reactor owns it). MSG_OOB reads the urgent byte.
        let n = unsafe { libc::recv(socket.as_raw_fd(), (&raw mut byte).cast(), 1, libc::MSG_OOB) };
        println!(
            "  priority: {}, urgent byte {:?} ({n} byte)",
            event_names(event.events()),
            char::from(byte)
        );
        Ok(())
    })?;
    let before = reactor.turn(Some(Duration::ZERO))?;
    println!("  before any urgent data: {} event(s)", before.events);
    // SAFETY: the buffer is valid for a read of 1 byte; `client` is open.
    let sent = unsafe { libc::send(client.as_raw_fd(), b"!".as_ptr().cast(), 1, libc::MSG_OOB) };
    if sent != 1 {
        return Err(io::Error::last_os_error());
    }
    reactor.turn(PATIENCE)?;

    println!("READABLE.oneshot(): one event, then nothing until re-armed");
    let (ours, theirs) = socket_pair()?;
    let once = reactor.register(ours, Interest::READABLE.oneshot(), |socket, _, event| {
        let mut data = Vec::new();
        read_until_would_block(socket.as_fd(), &mut data)?;
        println!(
            "  one-shot: {}, read {:?}",
            event_names(event.events()),
            String::from_utf8_lossy(&data)
        );
        Ok(())
    })?;
    println!("  the peer writes \"first\"");
    write_some(theirs.as_fd(), b"first")?;
    settle(&mut reactor)?;
    println!("  the peer writes \"second\"");
    write_some(theirs.as_fd(), b"second")?;
    settle(&mut reactor)?;
    println!("  reregister({once}, READABLE.oneshot())");
    reactor.reregister(once, Interest::READABLE.oneshot())?;
    settle(&mut reactor)?;

    println!("from_bits(IN | RDHUP), level-triggered, then the peer shuts down writing");
    let (ours, theirs) = socket_pair()?;
    let explicit: Token =
        reactor.register(ours, Interest::from_bits(IN | RDHUP), show("explicit"))?;
    theirs.shutdown(Shutdown::Write)?;
    for turn in 1..=2 {
        println!("  turn {turn}:");
        reactor.turn(PATIENCE)?;
    }
    reactor.deregister(explicit)?;
    println!("  deregistered");
    settle(&mut reactor)?;
    drop((peers, client));
    Ok(())
}
// ANCHOR_END: variants
