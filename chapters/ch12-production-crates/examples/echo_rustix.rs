//! The echo server on rustix's epoll.
//!
//! rustix gives the system calls safe signatures (`OwnedFd` in and out,
//! `Errno` for errors) and nothing more, so this server is the closest of
//! the three to the book's own: it creates the epoll instance, makes the
//! sockets with `socket`/`bind`/`listen`/`accept4`, registers them with
//! `epoll_ctl` and reads `epoll_wait`'s events itself. The event's `u64`
//! says which fd it is about: 0 the listener, 1 the signal pipe, and a
//! connection number (never reused) for the rest.
//!
//! - Trigger mode: edge (`EPOLLET`), so each handler reads until `EAGAIN`,
//!   and a connection that stopped reading because too much output was
//!   pending starts again by itself once the output drains.
//! - Writability: `EPOLLOUT` is in the interest only while output is
//!   pending (`epoll_ctl(MOD)` both ways).
//! - Out of fds: `accept4` failing with anything but `EAGAIN` removes the
//!   listener from the interest list and retries after `ACCEPT_RETRY`,
//!   through `epoll_wait`'s timeout.
//! - Signals: signal-hook's handler writes a byte to a socket pair whose
//!   other end is in the interest list (the self-pipe trick).
//!
//! Run it with `cargo run -p ch12-production-crates --example echo_rustix`,
//! then talk to it with `nc 127.0.0.1 7878`.

// ci: server
use echo_harness::cli::{self, named};
use rustix::buffer::spare_capacity;
use rustix::event::{Timespec, epoll};
use rustix::io::Errno;
use rustix::net::{self, AddressFamily, RecvFlags, SendFlags, SocketFlags, SocketType, sockopt};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::collections::HashMap;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

// ANCHOR: constants
const LISTENER: u64 = 0;
const SIGNALS: u64 = 1;
/// Stop reading from a connection while more than this waits to be sent.
const MAX_PENDING: usize = 256 * 1024;
/// How long to wait before accepting again after `accept4` failed.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);
// ANCHOR_END: constants

fn main() -> ExitCode {
    cli::run("echo_rustix", "a TCP echo server on rustix's epoll", serve)
}

/// The sockets' flags: nonblocking, and closed in any program we exec.
const FLAGS: SocketFlags = SocketFlags::NONBLOCK.union(SocketFlags::CLOEXEC);

// ANCHOR: listen
fn listen(addr: SocketAddr) -> io::Result<OwnedFd> {
    let family = match addr {
        SocketAddr::V4(_) => AddressFamily::INET,
        SocketAddr::V6(_) => AddressFamily::INET6,
    };
    let socket =
        net::socket_with(family, SocketType::STREAM, FLAGS, None).map_err(named("socket"))?;
    // As std and mio do: allow binding while old connections linger in
    // TIME_WAIT (a listening socket still makes the port busy).
    sockopt::set_socket_reuseaddr(&socket, true).map_err(named("setsockopt(SO_REUSEADDR)"))?;
    net::bind(&socket, &addr).map_err(named(format!("bind({addr})")))?;
    net::listen(&socket, 1024).map_err(named("listen"))?;
    Ok(socket)
}
// ANCHOR_END: listen

// ANCHOR: serve
fn serve(addr: SocketAddr) -> io::Result<()> {
    let epoll = epoll::create(epoll::CreateFlags::CLOEXEC).map_err(named("epoll_create1"))?;
    let listener = listen(addr)?;
    let local = net::getsockname(&listener).map_err(named("getsockname"))?;
    let local = SocketAddr::try_from(local).map_err(named("getsockname"))?;
    let (signal_rx, signal_tx) =
        net::socketpair(AddressFamily::UNIX, SocketType::STREAM, FLAGS, None)
            .map_err(named("socketpair"))?;
    // The handlers own the write end (a copy each) and write a byte to it.
    let signal_tx_copy = signal_tx.try_clone().map_err(named("dup"))?;
    signal_hook::low_level::pipe::register(SIGINT, signal_tx_copy).map_err(named("sigaction"))?;
    signal_hook::low_level::pipe::register(SIGTERM, signal_tx).map_err(named("sigaction"))?;
    let edge = epoll::EventFlags::IN | epoll::EventFlags::ET;
    epoll::add(&epoll, &listener, epoll::EventData::new_u64(LISTENER), edge)
        .map_err(named("epoll_ctl(ADD, listener)"))?;
    epoll::add(&epoll, &signal_rx, epoll::EventData::new_u64(SIGNALS), edge)
        .map_err(named("epoll_ctl(ADD, signals)"))?;
    // Announce the address only once everything is set up, signal
    // handling included; flushed, for whoever reads it through a pipe.
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on {local}")?;
    stdout.flush()?;
    drop(stdout);

    let mut server = Server {
        epoll,
        connections: HashMap::new(),
        next_id: 2,
        buf: vec![0; 64 * 1024],
    };
    let mut events = Vec::with_capacity(256);
    let mut accept_paused_until: Option<Instant> = None;
    'serve: loop {
        let timeout = accept_paused_until
            .map(|t| Timespec::try_from(t.saturating_duration_since(Instant::now())))
            .transpose()
            .map_err(io::Error::other)?;
        events.clear();
        match epoll::wait(&server.epoll, spare_capacity(&mut events), timeout.as_ref()) {
            Err(Errno::INTR) => continue,
            result => result.map_err(named("epoll_wait"))?,
        };
        if accept_paused_until.is_some_and(|t| Instant::now() >= t) {
            let data = epoll::EventData::new_u64(LISTENER);
            epoll::add(&server.epoll, &listener, data, edge)
                .map_err(named("epoll_ctl(ADD, listener)"))?;
            // Clients that queued meanwhile made no new edge: accept now.
            accept_paused_until = server.accept_all(&listener)?;
        }
        for event in &events {
            match event.data.u64() {
                LISTENER => accept_paused_until = server.accept_all(&listener)?,
                SIGNALS => {
                    // Any byte in the pipe is a SIGINT or a SIGTERM.
                    let mut bytes = [0u8; 16];
                    if let Ok((1.., _)) = net::recv(&signal_rx, &mut bytes, RecvFlags::empty()) {
                        break 'serve;
                    }
                }
                id => server.ready(id),
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
    epoll: OwnedFd,
    connections: HashMap<u64, Connection>,
    next_id: u64,
    /// One read buffer for all connections.
    buf: Vec<u8>,
}

struct Connection {
    socket: OwnedFd,
    /// Bytes read but not yet written back.
    pending: Vec<u8>,
    /// The peer has shut down its side (a read returned 0).
    read_closed: bool,
    /// Whether the interest includes `EPOLLOUT`.
    out_interest: bool,
}

/// A connection's interest: input, edge-triggered, and output if asked.
fn interest(out: bool) -> epoll::EventFlags {
    let flags = epoll::EventFlags::IN | epoll::EventFlags::ET;
    if out {
        flags | epoll::EventFlags::OUT
    } else {
        flags
    }
}

impl Server {
    // ANCHOR: accept_all
    /// Accepts until the backlog is empty. Returns when to try again if
    /// `accept4` failed (out of fds or memory); the listener is then out
    /// of the interest list, so it cannot wake the loop meanwhile.
    fn accept_all(&mut self, listener: &OwnedFd) -> io::Result<Option<Instant>> {
        loop {
            match net::accept_with(listener, FLAGS) {
                Ok(socket) => {
                    let id = self.next_id;
                    self.next_id += 1;
                    let data = epoll::EventData::new_u64(id);
                    // A connection that cannot be registered is dropped,
                    // which closes it; the server carries on.
                    if epoll::add(&self.epoll, &socket, data, interest(false)).is_ok() {
                        let connection = Connection {
                            socket,
                            pending: Vec::new(),
                            read_closed: false,
                            out_interest: false,
                        };
                        self.connections.insert(id, connection);
                    }
                }
                Err(Errno::AGAIN) => return Ok(None),
                Err(Errno::INTR | Errno::CONNABORTED) => {}
                Err(e) => {
                    // A full stderr must not stop the server: the message is
                    // best effort.
                    let _ = writeln!(
                        io::stderr(),
                        "echo_rustix: accept4: {e}; pausing accepts for {ACCEPT_RETRY:?}"
                    );
                    epoll::delete(&self.epoll, listener)
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
    fn ready(&mut self, id: u64) {
        let Some(connection) = self.connections.get_mut(&id) else {
            return;
        };
        let open = matches!(connection.serve(&mut self.buf), Ok(true))
            && connection.update_interest(&self.epoll, id).is_ok();
        if !open {
            // Closing the socket (dropping the OwnedFd) also removes it from
            // the interest list: this process holds no other copy of it.
            self.connections.remove(&id);
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
    fn serve(&mut self, buf: &mut [u8]) -> Result<bool, Errno> {
        self.flush()?;
        while !self.read_closed && self.pending.len() < MAX_PENDING {
            match net::recv(&self.socket, &mut *buf, RecvFlags::empty()) {
                Ok((0, _)) => self.read_closed = true,
                Ok((n, _)) => {
                    self.pending.extend_from_slice(&buf[..n]);
                    self.flush()?;
                }
                Err(Errno::AGAIN) => break,
                Err(Errno::INTR) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(!(self.read_closed && self.pending.is_empty()))
    }

    /// Asks for `EPOLLOUT` while output is pending, and only then.
    fn update_interest(&mut self, epoll: &OwnedFd, id: u64) -> Result<(), Errno> {
        let want = !self.pending.is_empty();
        if want != self.out_interest {
            let data = epoll::EventData::new_u64(id);
            epoll::modify(epoll, &self.socket, data, interest(want))?;
            self.out_interest = want;
        }
        Ok(())
    }

    /// Writes pending bytes until they are gone or the socket is full.
    /// `MSG_NOSIGNAL`: a peer that has gone away is an `EPIPE` error for
    /// this connection, not a SIGPIPE for the process.
    fn flush(&mut self) -> Result<(), Errno> {
        while !self.pending.is_empty() {
            match net::send(&self.socket, &self.pending, SendFlags::NOSIGNAL) {
                Ok(0) => return Err(Errno::IO),
                Ok(n) => {
                    self.pending.drain(..n);
                }
                Err(Errno::AGAIN) => break,
                Err(Errno::INTR) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
    // ANCHOR_END: connection
}
