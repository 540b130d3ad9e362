//! The echo server on mio.
//!
//! mio is edge-triggered only: an event says a socket *became* ready, so
//! every handler reads until `WouldBlock`, and a connection that stopped
//! reading because too much output was pending must start again by itself
//! once the output drains (no new edge will come for bytes that are already
//! waiting). Tokens are plain numbers; the connections live in a `HashMap`
//! keyed by token, and a token is never reused.
//!
//! - Backpressure: no reads while more than `MAX_PENDING` bytes wait to be
//!   sent. The socket's receive buffer then fills and TCP stops the client.
//! - Writability: asked for (`reregister` with `WRITABLE`) only while output
//!   is pending.
//! - Out of fds: `accept` failing with anything but `WouldBlock` (EMFILE,
//!   ENFILE, ENOBUFS...) deregisters the listener and retries after
//!   `ACCEPT_RETRY`, through `poll`'s timeout. Clients wait in the kernel's
//!   backlog meanwhile.
//! - Signals: signal-hook-mio turns SIGINT and SIGTERM into readiness of a
//!   self-pipe registered with the same `Poll`.
//!
//! Run it with `cargo run -p ch12-production-crates --example echo_mio`, then
//! talk to it with `nc 127.0.0.1 7878`.

// ci: server
use echo_harness::cli::{self, named};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Registry, Token};
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook_mio::v1_0::Signals;
use std::collections::HashMap;
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

// ANCHOR: constants
const LISTENER: Token = Token(0);
const SIGNALS: Token = Token(1);
/// Stop reading from a connection while more than this waits to be sent.
const MAX_PENDING: usize = 256 * 1024;
/// How long to wait before accepting again after `accept` failed.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);
// ANCHOR_END: constants

fn main() -> ExitCode {
    cli::run("echo_mio", "a TCP echo server on mio", serve)
}

// ANCHOR: serve
fn serve(addr: SocketAddr) -> io::Result<()> {
    let mut poll = Poll::new().map_err(named("epoll_create1"))?;
    let mut listener = TcpListener::bind(addr).map_err(named(format!("bind({addr})")))?;
    let mut signals = Signals::new([SIGINT, SIGTERM]).map_err(named("signal handlers"))?;
    let registry = poll.registry();
    registry
        .register(&mut listener, LISTENER, Interest::READABLE)
        .map_err(named("epoll_ctl(ADD, listener)"))?;
    registry
        .register(&mut signals, SIGNALS, Interest::READABLE)
        .map_err(named("epoll_ctl(ADD, signals)"))?;
    let local = listener.local_addr().map_err(named("getsockname"))?;
    // Announce the address only once everything is set up, signal
    // handling included; flushed, for whoever reads it through a pipe.
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on {local}")?;
    stdout.flush()?;
    drop(stdout);

    let mut server = Server {
        connections: HashMap::new(),
        next_token: 2,
        buf: vec![0; 64 * 1024],
    };
    let mut events = Events::with_capacity(256);
    let mut accept_paused_until: Option<Instant> = None;
    'serve: loop {
        let timeout = accept_paused_until.map(|t| t.saturating_duration_since(Instant::now()));
        match poll.poll(&mut events, timeout) {
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            result => result.map_err(named("epoll_wait"))?,
        }
        if accept_paused_until.is_some_and(|t| Instant::now() >= t) {
            poll.registry()
                .register(&mut listener, LISTENER, Interest::READABLE)
                .map_err(named("epoll_ctl(ADD, listener)"))?;
            // Clients that queued meanwhile made no new edge: accept now.
            accept_paused_until = server.accept_all(poll.registry(), &mut listener)?;
        }
        for event in &events {
            match event.token() {
                LISTENER => {
                    accept_paused_until = server.accept_all(poll.registry(), &mut listener)?;
                }
                SIGNALS => {
                    if signals.pending().next().is_some() {
                        break 'serve;
                    }
                }
                token => server.ready(poll.registry(), token),
            }
        }
    }
    // Stop accepting, then close every connection.
    drop(listener);
    server.connections.clear();
    Ok(())
}
// ANCHOR_END: serve

struct Server {
    connections: HashMap<Token, Connection>,
    next_token: usize,
    /// One read buffer for all connections.
    buf: Vec<u8>,
}

struct Connection {
    stream: TcpStream,
    /// Bytes read but not yet written back.
    pending: Vec<u8>,
    /// The peer has shut down its side (a read returned 0).
    read_closed: bool,
    /// Whether the registration includes `WRITABLE`.
    writable_interest: bool,
}

impl Server {
    // ANCHOR: accept_all
    /// Accepts until the backlog is empty. Returns when to try again if
    /// `accept` failed (out of fds or memory); the listener is then
    /// deregistered, so its readiness cannot wake the loop meanwhile.
    fn accept_all(
        &mut self,
        registry: &Registry,
        listener: &mut TcpListener,
    ) -> io::Result<Option<Instant>> {
        loop {
            match listener.accept() {
                Ok((mut stream, _peer)) => {
                    let token = Token(self.next_token);
                    self.next_token += 1;
                    // A connection that cannot be registered is dropped,
                    // which closes it; the server carries on.
                    if registry
                        .register(&mut stream, token, Interest::READABLE)
                        .is_ok()
                    {
                        let connection = Connection {
                            stream,
                            pending: Vec::new(),
                            read_closed: false,
                            writable_interest: false,
                        };
                        self.connections.insert(token, connection);
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(None),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => {}
                Err(e) => {
                    // A full stderr must not stop the server: the message is
                    // best effort.
                    let _ = writeln!(
                        io::stderr(),
                        "echo_mio: accept: {e}; pausing accepts for {ACCEPT_RETRY:?}"
                    );
                    registry
                        .deregister(listener)
                        .map_err(named("epoll_ctl(DEL, listener)"))?;
                    return Ok(Some(Instant::now() + ACCEPT_RETRY));
                }
            }
        }
    }
    // ANCHOR_END: accept_all

    // ANCHOR: ready
    /// Handles an event for a connection: serves it, then either updates
    /// its interest or, when it is finished or failed, closes it.
    fn ready(&mut self, registry: &Registry, token: Token) {
        let Some(connection) = self.connections.get_mut(&token) else {
            return;
        };
        let open = matches!(connection.serve(&mut self.buf), Ok(true))
            && connection.update_interest(registry, token).is_ok();
        if !open {
            if let Some(mut connection) = self.connections.remove(&token) {
                let _ = registry.deregister(&mut connection.stream);
            }
        }
    }
    // ANCHOR_END: ready
}

impl Connection {
    // ANCHOR: connection
    /// Sends what is pending, then reads and echoes until the socket has no
    /// more data or too much output is pending. Returns whether the
    /// connection stays open: it closes once the peer has shut down its
    /// side and everything owed has been sent.
    fn serve(&mut self, buf: &mut [u8]) -> io::Result<bool> {
        self.flush()?;
        while !self.read_closed && self.pending.len() < MAX_PENDING {
            match self.stream.read(buf) {
                Ok(0) => self.read_closed = true,
                Ok(n) => {
                    self.pending.extend_from_slice(&buf[..n]);
                    self.flush()?;
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(!(self.read_closed && self.pending.is_empty()))
    }

    /// Asks for writability while output is pending, and only then.
    fn update_interest(&mut self, registry: &Registry, token: Token) -> io::Result<()> {
        let want = !self.pending.is_empty();
        if want != self.writable_interest {
            let interest = if want {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            registry.reregister(&mut self.stream, token, interest)?;
            self.writable_interest = want;
        }
        Ok(())
    }

    /// Writes pending bytes until they are gone or the socket is full.
    fn flush(&mut self) -> io::Result<()> {
        while !self.pending.is_empty() {
            match self.stream.write(&self.pending) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    // ANCHOR_END: connection
}
