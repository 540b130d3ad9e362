//! The extra read: one loopback connection, ping-pong, and the server side
//! counting its own system calls, level-triggered against edge-triggered.
//!
//! Everything runs on one thread, in a fixed order: the client writes a
//! message, the server waits, reads as its mode says and echoes, and the
//! client reads the echo. The client's next message is never sent before
//! the server has finished with the last one, so every count is exact.

use ch04_libc_and_a_safe_wrapper::{ET, Epoll, Events, IN};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::time::Duration;

/// A bound on every blocking step: a broken experiment fails instead of
/// hanging. Nothing is timed.
const PATIENCE: Duration = Duration::from_secs(5);

/// The server's read buffer: far larger than a message, so a message is
/// always a short read.
pub const READ_BUFFER: usize = 4096;

/// How the server side reads after a wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reading {
    /// Registered level-triggered; a read shorter than the buffer has
    /// emptied the socket, so it ends the turn (chapter 11's `echo_server`).
    StopAtShortRead,
    /// Registered edge-triggered (`EPOLLET`); reads until `EAGAIN`
    /// (chapter 11's `echo_edge`, mio, rustix).
    ReadToEagain,
}

impl Reading {
    /// The bits it registers the server's socket with.
    pub fn interest(self) -> u32 {
        match self {
            Reading::StopAtShortRead => IN,
            Reading::ReadToEagain => IN | ET,
        }
    }

    /// How the chapter names it.
    pub fn describe(self) -> &'static str {
        match self {
            Reading::StopAtShortRead => "level-triggered, stop at a short read",
            Reading::ReadToEagain => "edge-triggered, read to EAGAIN",
        }
    }
}

/// The system calls the server side made, counted by the program itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerCalls {
    /// Round trips completed, every echo checked.
    pub round_trips: u64,
    /// `epoll_wait` calls.
    pub waits: u64,
    /// Events those calls returned.
    pub events: u64,
    /// `recvfrom` calls, with data or not.
    pub reads: u64,
    /// Of those, the ones that failed with `EAGAIN`: nothing left to read.
    pub eagain: u64,
    /// `sendto` calls.
    pub writes: u64,
}

impl ServerCalls {
    /// Every call counted.
    pub fn total(&self) -> u64 {
        self.waits + self.reads + self.writes
    }

    /// Calls per round trip.
    pub fn per_round_trip(&self) -> f64 {
        self.total() as f64 / self.round_trips as f64
    }
}

/// A loopback TCP connection: the client's end, blocking (with a time
/// limit on reads), and the server's end, nonblocking as an event loop
/// needs it. Both send small messages at once (`TCP_NODELAY`).
pub fn loopback_pair() -> io::Result<(TcpStream, TcpStream)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    client.set_nodelay(true)?;
    client.set_read_timeout(Some(PATIENCE))?;
    server.set_nodelay(true)?;
    server.set_nonblocking(true)?;
    Ok((client, server))
}

/// Makes `round_trips` round trips of `message` bytes on a new loopback
/// connection, the server side reading as `reading` says, and returns the
/// server's calls. Fails if an echo comes back wrong or a wait finds
/// nothing for [`PATIENCE`].
pub fn ping_pong(reading: Reading, round_trips: u64, message: usize) -> io::Result<ServerCalls> {
    if message == 0 || message >= READ_BUFFER {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!("a message must be 1 to {} bytes", READ_BUFFER - 1),
        ));
    }
    let (mut client, server) = loopback_pair()?;
    let epoll = Epoll::new()?;
    epoll.add(&server, reading.interest(), 0)?;
    let mut events = Events::with_capacity(8);
    let mut buf = vec![0; READ_BUFFER];
    let mut calls = ServerCalls::default();
    let mut back = vec![0; message];
    for round in 0..round_trips {
        let sent: Vec<u8> = (0..message).map(|i| (round as usize + i) as u8).collect();
        client.write_all(&sent)?;
        serve_one_turn(&epoll, &mut events, &server, reading, &mut buf, &mut calls)?;
        client.read_exact(&mut back)?;
        if back != sent {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!("round trip {round}: the echo came back changed"),
            ));
        }
        calls.round_trips += 1;
    }
    Ok(calls)
}

// ANCHOR: turn
/// The server's turn: one wait, then the reads its mode asks for, each
/// chunk echoed at once.
fn serve_one_turn(
    epoll: &Epoll,
    events: &mut Events,
    mut server: &TcpStream,
    reading: Reading,
    buf: &mut [u8],
    calls: &mut ServerCalls,
) -> io::Result<()> {
    let n = epoll.wait(events, Some(PATIENCE))?;
    calls.waits += 1;
    calls.events += n as u64;
    if n == 0 {
        return Err(io::Error::new(
            ErrorKind::TimedOut,
            "no event for the message",
        ));
    }
    loop {
        calls.reads += 1;
        let got = match server.read(buf) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(got) => got,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                calls.eagain += 1;
                return Ok(()); // emptied, and now the kernel said so
            }
            Err(e) => return Err(e),
        };
        calls.writes += 1;
        if server.write(&buf[..got])? != got {
            // An empty send buffer takes a small message whole.
            return Err(ErrorKind::WriteZero.into());
        }
        if reading == Reading::StopAtShortRead && got < buf.len() {
            return Ok(()); // emptied: man 7 epoll, on stream-oriented files
        }
    }
}
// ANCHOR_END: turn
