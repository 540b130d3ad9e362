//! A crowd of clients on one echo server, all connected at once, every byte
//! checked.
//!
//! [`Crowd::connect`] opens every connection first, so that the server
//! holds all of them at the same time (the caller can count them in
//! `/proc/PID/fd`). [`Crowd::run`] then drives them all from one thread and
//! one epoll instance (the book's `Epoll`):
//!
//! - **echoers** send their own pseudo-random stream in chunks of random
//!   size, read whatever comes back and check it against the same stream,
//!   then shut down their sending side and expect end-of-file once every
//!   byte is back;
//! - **resetters** send part of their stream, then close with `SO_LINGER`
//!   0, so the server meets a reset (`ECONNRESET`) with data in flight;
//! - **hoarders** send megabytes without reading anything until every
//!   echoer has finished, so the server must hold them back (stop reading
//!   them) instead of buffering without bound; then they read it all back
//!   and check it.
//!
//! Nothing here is timed: a stall of [`STALL_TIMEOUT`] with work left is an
//! error that says what was left, never a hang.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN, OUT};
use echo_harness::prng::{ByteStream, Xorshift};
use echo_harness::workloads::set_linger_zero;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long the crowd may go without any progress before it gives up.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The crowd's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Echoers: connections that send, check and half-close.
    pub echoers: usize,
    /// Each echoer sends a random number of bytes in this range.
    pub bytes: (usize, usize),
    /// The largest chunk one write sends (each is 1 to this many bytes).
    pub max_chunk: usize,
    /// Connections that reset after sending half their bytes.
    pub resetters: usize,
    /// Connections that send `hoard` bytes before reading any.
    pub hoarders: usize,
    /// What each hoarder sends before it starts reading.
    pub hoard: usize,
    /// Seeds every connection's stream and chunk sizes.
    pub seed: u64,
}

impl Config {
    /// The full run: 10,000 echoers of 16 to 64 KiB each, 100 resetters,
    /// 10 hoarders of 64 MiB. (A hoarder must send more than every buffer
    /// between it and the server's outbox can hold: on loopback the socket
    /// buffers alone grow to several MiB each way.)
    pub fn full() -> Config {
        Config {
            echoers: 10_000,
            bytes: (16 * 1024, 64 * 1024),
            max_chunk: 8 * 1024,
            resetters: 100,
            hoarders: 10,
            hoard: 64 << 20,
            seed: 2026,
        }
    }

    /// The size `cargo test` runs: 500 echoers of 1 to 8 KiB, 5
    /// resetters, 2 hoarders of 32 MiB.
    pub fn quick() -> Config {
        Config {
            echoers: 500,
            bytes: (1024, 8 * 1024),
            max_chunk: 2 * 1024,
            resetters: 5,
            hoarders: 2,
            hoard: 32 << 20,
            seed: 7,
        }
    }

    /// All connections.
    pub fn connections(&self) -> usize {
        self.echoers + self.resetters + self.hoarders
    }
}

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Connections opened (all open at once before any data moved).
    pub connections: usize,
    /// Bytes sent, by every client.
    pub bytes_sent: u64,
    /// Bytes that came back and matched, byte for byte.
    pub bytes_verified: u64,
    /// Echoers and hoarders that got every byte back, then end-of-file.
    pub finished: usize,
    /// Resetters that reset their connection.
    pub resets: usize,
    /// The most bytes any hoarder had sent while reading nothing. The
    /// server held the rest back.
    pub hoarded: u64,
    /// How long the data phase took.
    pub elapsed: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Echoer,
    Resetter,
    Hoarder,
}

/// One client connection.
struct Client {
    role: Role,
    stream: Option<TcpStream>,
    /// What it sends, and what it expects back.
    out: ByteStream,
    expected: ByteStream,
    /// Chunk sizes.
    rng: Xorshift,
    /// Bytes to send in all (for a resetter: before it resets).
    total: u64,
    sent: u64,
    received: u64,
    /// Generated but not yet taken by the kernel.
    unsent: Vec<u8>,
    /// What it is registered for.
    interest: u32,
    shut_down: bool,
    done: bool,
}

/// Every connection of the crowd, connected.
pub struct Crowd {
    epoll: Epoll,
    clients: Vec<Client>,
    config: Config,
}

impl Crowd {
    /// Opens every connection, one after another, and registers it. Fails
    /// with `InvalidInput` for an empty crowd or an empty range.
    pub fn connect(addr: SocketAddr, config: &Config) -> io::Result<Crowd> {
        if config.connections() == 0
            || config.bytes.0 == 0
            || config.bytes.0 > config.bytes.1
            || config.max_chunk == 0
        {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                format!("not a crowd: {config:?}"),
            ));
        }
        let epoll = Epoll::new()?;
        let mut sizes = Xorshift::new(config.seed);
        let roles = std::iter::repeat_n(Role::Echoer, config.echoers)
            .chain(std::iter::repeat_n(Role::Resetter, config.resetters))
            .chain(std::iter::repeat_n(Role::Hoarder, config.hoarders));
        let mut clients = Vec::with_capacity(config.connections());
        for (index, role) in roles.enumerate() {
            let stream = TcpStream::connect(addr).map_err(|e| {
                io::Error::new(
                    e.kind(),
                    format!("connect({addr}), connection {index}: {e}"),
                )
            })?;
            stream.set_nonblocking(true)?;
            let total = match role {
                Role::Hoarder => config.hoard,
                _ => sizes.range(config.bytes.0, config.bytes.1),
            } as u64;
            // Hoarders only write until the echoers are done.
            let interest = if role == Role::Hoarder { OUT } else { IN | OUT };
            epoll.add(&stream, interest, index as u64)?;
            let seed = config.seed ^ ((index as u64 + 1) << 20);
            clients.push(Client {
                role,
                stream: Some(stream),
                out: ByteStream::new(seed),
                expected: ByteStream::new(seed),
                rng: Xorshift::new(!seed),
                total: if role == Role::Resetter {
                    total / 2
                } else {
                    total
                },
                sent: 0,
                received: 0,
                unsent: Vec::new(),
                interest,
                shut_down: false,
                done: false,
            });
        }
        Ok(Crowd {
            epoll,
            clients,
            config: config.clone(),
        })
    }

    /// Moves every byte and checks it, until every client is done.
    pub fn run(mut self) -> io::Result<Report> {
        let mut report = Report {
            connections: self.clients.len(),
            ..Report::default()
        };
        let start = Instant::now();
        let mut events = Events::with_capacity(1024);
        let mut buf = vec![0u8; 64 * 1024];
        let mut echoers_left = self.config.echoers + self.config.resetters;
        let mut left = self.clients.len();
        let mut hoarders_reading = false;
        let mut last_progress = Instant::now();
        while left > 0 {
            if !hoarders_reading && echoers_left == 0 {
                // Every echoer is done: the hoarders read at last.
                hoarders_reading = true;
                for index in 0..self.clients.len() {
                    let client = &self.clients[index];
                    if client.role == Role::Hoarder && !client.done {
                        let next = if client.shut_down { IN } else { IN | OUT };
                        self.set_interest(index, next)?;
                    }
                }
            }
            let n = self.epoll.wait(&mut events, Some(Duration::from_secs(1)))?;
            if n == 0 && last_progress.elapsed() > STALL_TIMEOUT {
                return Err(self.stalled(left, echoers_left));
            }
            let ready: Vec<(usize, u32)> = events
                .iter()
                .map(|e| (e.token() as usize, e.events()))
                .collect();
            for (index, flags) in ready {
                if self.clients[index].done {
                    continue;
                }
                let progress = self.serve(index, flags, &mut buf, &mut report)?;
                if progress {
                    last_progress = Instant::now();
                }
                if self.clients[index].done {
                    left -= 1;
                    if self.clients[index].role != Role::Hoarder {
                        echoers_left -= 1;
                    }
                }
            }
        }
        report.elapsed = start.elapsed();
        Ok(report)
    }

    /// One event of client `index`: write what the socket takes, read and
    /// check what came back. Returns whether anything moved.
    fn serve(
        &mut self,
        index: usize,
        flags: u32,
        buf: &mut [u8],
        report: &mut Report,
    ) -> io::Result<bool> {
        let name = |c: &Client| format!("connection {index} ({:?})", c.role);
        let mut progress = false;
        // Write.
        if flags & OUT != 0 {
            let client = &mut self.clients[index];
            let stream = client.stream.as_ref().expect("open until done");
            while client.sent < client.total {
                if client.unsent.is_empty() {
                    let left = (client.total - client.sent) as usize;
                    let size = client.rng.range(1, self.config.max_chunk).min(left);
                    client.unsent.resize(size, 0);
                    client.out.fill(&mut client.unsent);
                }
                match (&*stream).write(&client.unsent) {
                    Ok(n) => {
                        client.unsent.drain(..n);
                        client.sent += n as u64;
                        report.bytes_sent += n as u64;
                        progress = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Err(io::Error::new(
                            e.kind(),
                            format!("{}: send: {e}", name(client)),
                        ));
                    }
                }
            }
            if client.role == Role::Hoarder && client.interest & IN == 0 {
                report.hoarded = report.hoarded.max(client.sent);
            }
            if client.sent == client.total {
                match client.role {
                    Role::Resetter => {
                        let stream = client.stream.take().expect("open until done");
                        set_linger_zero(&stream)?;
                        drop(stream); // the reset
                        client.done = true;
                        report.resets += 1;
                        return Ok(true);
                    }
                    _ if !client.shut_down => {
                        stream.shutdown(Shutdown::Write).map_err(|e| {
                            io::Error::new(e.kind(), format!("{}: shutdown: {e}", name(client)))
                        })?;
                        client.shut_down = true;
                        let next = client.interest & !OUT;
                        self.set_interest(index, next)?;
                    }
                    _ => {}
                }
            }
        }
        // Read and check.
        let client = &mut self.clients[index];
        if flags & IN != 0 || (flags & !OUT != 0 && client.interest & IN != 0) {
            let stream = client.stream.as_ref().expect("open until done");
            loop {
                match (&*stream).read(buf) {
                    Ok(0) => {
                        if client.received != client.total || !client.shut_down {
                            return Err(io::Error::new(
                                ErrorKind::UnexpectedEof,
                                format!(
                                    "{}: end-of-file with {} of {} bytes back",
                                    name(client),
                                    client.received,
                                    client.total
                                ),
                            ));
                        }
                        client.done = true;
                        client.stream = None; // closed
                        report.finished += 1;
                        return Ok(true);
                    }
                    Ok(n) => {
                        if client.received + n as u64 > client.sent {
                            return Err(io::Error::new(
                                ErrorKind::InvalidData,
                                format!("{}: more bytes back than were sent", name(client)),
                            ));
                        }
                        client.expected.check(&buf[..n]).map_err(|at| {
                            io::Error::new(
                                ErrorKind::InvalidData,
                                format!(
                                    "{}: byte {} came back changed",
                                    name(client),
                                    client.received + at as u64
                                ),
                            )
                        })?;
                        client.received += n as u64;
                        report.bytes_verified += n as u64;
                        progress = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => {
                        return Err(io::Error::new(
                            e.kind(),
                            format!("{}: recv: {e}", name(client)),
                        ));
                    }
                }
            }
        }
        Ok(progress)
    }

    fn set_interest(&mut self, index: usize, interest: u32) -> io::Result<()> {
        let client = &mut self.clients[index];
        if client.interest != interest {
            let stream = client.stream.as_ref().expect("open until done");
            self.epoll.modify(stream, interest, index as u64)?;
            client.interest = interest;
        }
        Ok(())
    }

    fn stalled(&self, left: usize, echoers_left: usize) -> io::Error {
        let stuck: Vec<String> = self
            .clients
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.done)
            .take(5)
            .map(|(i, c)| {
                format!(
                    "{i} ({:?}): sent {}/{}, back {}",
                    c.role, c.sent, c.total, c.received
                )
            })
            .collect();
        io::Error::new(
            ErrorKind::TimedOut,
            format!(
                "no progress for {STALL_TIMEOUT:?}: {left} clients left ({echoers_left} not hoarders), e.g. {}",
                stuck.join("; ")
            ),
        )
    }
}
