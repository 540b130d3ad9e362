//! Batching: with many connections ready at once, one `epoll_wait` returns
//! as many events as the buffer has room for, and its cost is shared.
//!
//! Every client sends its message before the server waits for the first
//! time, and the server checks that every message has arrived before it
//! does, so the counts do not depend on timing.

use crate::extra_read::loopback_pair;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

/// A bound on every wait: a broken experiment fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(5);

/// What the server's waits returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Waits {
    /// Events returned by each `epoll_wait` that found something, in order.
    pub events_per_wait: Vec<usize>,
    /// Events returned by one more wait (timeout 0) once every message was
    /// echoed: 0, since every socket was read empty.
    pub after: usize,
}

impl Waits {
    /// `epoll_wait` calls that returned events.
    pub fn waits(&self) -> usize {
        self.events_per_wait.len()
    }

    /// Messages served, one per event.
    pub fn messages(&self) -> usize {
        self.events_per_wait.iter().sum()
    }
}

// ANCHOR: serve_all
/// Opens `connections` loopback connections, has every client send one
/// `message`-byte message, and serves them all with a level-triggered
/// server that waits with room for `capacity` events. Returns what each
/// wait returned; every echo is checked.
pub fn serve_all(connections: usize, message: usize, capacity: usize) -> io::Result<Waits> {
    let epoll = Epoll::new()?;
    let mut pairs: Vec<(TcpStream, TcpStream)> = Vec::with_capacity(connections);
    for token in 0..connections {
        let (client, server) = loopback_pair()?;
        epoll.add(&server, IN, token as u64)?;
        pairs.push((client, server));
    }
    let sent = vec![b'm'; message];
    for (client, server) in &mut pairs {
        client.write_all(&sent)?;
        arrived(server, message)?;
    }

    let mut events = Events::with_capacity(capacity);
    let mut buf = vec![0; message];
    let mut waits = Waits::default();
    while waits.messages() < connections {
        let n = epoll.wait(&mut events, Some(PATIENCE))?;
        if n == 0 {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                "a message went missing",
            ));
        }
        waits.events_per_wait.push(n);
        for event in events.iter() {
            let mut server = &pairs[event.token() as usize].1;
            server.read_exact(&mut buf)?;
            server.write_all(&buf)?;
        }
    }
    waits.after = epoll.wait(&mut events, Some(Duration::ZERO))?;

    let mut back = vec![0; message];
    for (client, _) in &mut pairs {
        client.read_exact(&mut back)?;
        if back != sent {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                "an echo came back changed",
            ));
        }
    }
    Ok(waits)
}
// ANCHOR_END: serve_all

/// Returns once `server` holds at least `bytes` bytes to read, looking with
/// `MSG_PEEK`, which leaves them there. On loopback they are there as soon
/// as the client's write returns; this makes sure of it.
pub fn arrived(server: &TcpStream, bytes: usize) -> io::Result<()> {
    let mut look = vec![0; bytes];
    let deadline = Instant::now() + PATIENCE;
    loop {
        match server.peek(&mut look) {
            Ok(n) if n >= bytes => return Ok(()),
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        if Instant::now() >= deadline {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                "a message did not arrive",
            ));
        }
        thread::sleep(Duration::from_millis(1));
    }
}
