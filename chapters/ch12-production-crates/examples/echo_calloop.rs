//! The echo server on calloop.
//!
//! calloop dispatches events to sources, and a source owns its state: each
//! connection is an event source of its own (`Connection`), wrapping a
//! `Generic` socket together with its pending output, and it decides after
//! every event what happens to its registration: keep it, change its
//! interest (`PostAction::Reregister`), or remove it, which closes the
//! socket. The loop's shared data (`Server`) holds only what the listener
//! and the timer need.
//!
//! - Trigger mode: level (`Mode::Level`), so the interest itself has to say
//!   what the connection can take: readable while less than `MAX_PENDING`
//!   bytes wait to be sent and the peer has not shut down, writable while
//!   anything is pending.
//! - Out of fds: when `accept` fails with anything but `WouldBlock`, the
//!   listener's callback returns `PostAction::Disable` and inserts a
//!   one-shot `Timer` that enables it again after `ACCEPT_RETRY`.
//! - Signals: signal-hook's handler writes a byte to a socket pair, and
//!   the read end is one more `Generic` source, whose callback stops the
//!   loop. (calloop's own `Signals` source, a signalfd, needs its `signals`
//!   feature, which brings in nix and a second build of libc here.)
//!
//! Run it with `cargo run -p ch12-production-crates --example echo_calloop`,
//! then talk to it with `nc 127.0.0.1 7878`.

// ci: server
use calloop::generic::Generic;
use calloop::timer::{TimeoutAction, Timer};
use calloop::{
    EventLoop, EventSource, Interest, LoopHandle, LoopSignal, Mode, Poll, PostAction, Readiness,
    RegistrationToken, Token, TokenFactory,
};
use echo_harness::cli::{self, named};
use signal_hook::consts::{SIGINT, SIGTERM};
use std::cell::RefCell;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::UnixStream;
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

// ANCHOR: constants
/// Stop reading from a connection while more than this waits to be sent.
const MAX_PENDING: usize = 256 * 1024;
/// How long to wait before accepting again after `accept` failed.
const ACCEPT_RETRY: Duration = Duration::from_millis(100);
// ANCHOR_END: constants

fn main() -> ExitCode {
    cli::run("echo_calloop", "a TCP echo server on calloop", serve)
}

/// The data every callback gets.
struct Server {
    handle: LoopHandle<'static, Server>,
    /// One read buffer for all connections. A source's `process_events`
    /// does not get the loop's data, so each connection holds a share.
    buf: ReadBuffer,
    stop: LoopSignal,
    listener: RegistrationToken,
    /// Why the loop was stopped, if not by a signal.
    failed: Option<io::Error>,
}

// ANCHOR: serve
fn serve(addr: SocketAddr) -> io::Result<()> {
    let mut event_loop = EventLoop::<Server>::try_new().map_err(named("creating the loop"))?;
    let handle = event_loop.handle();
    let listener = TcpListener::bind(addr).map_err(named(format!("bind({addr})")))?;
    listener
        .set_nonblocking(true)
        .map_err(named("fcntl(O_NONBLOCK)"))?;
    let local = listener.local_addr().map_err(named("getsockname"))?;
    let (signal_rx, signal_tx) = UnixStream::pair().map_err(named("socketpair"))?;
    signal_rx
        .set_nonblocking(true)
        .map_err(named("fcntl(O_NONBLOCK)"))?;
    signal_tx
        .set_nonblocking(true)
        .map_err(named("fcntl(O_NONBLOCK)"))?;
    let signal_tx_copy = signal_tx.try_clone().map_err(named("dup"))?;
    signal_hook::low_level::pipe::register(SIGINT, signal_tx_copy).map_err(named("sigaction"))?;
    signal_hook::low_level::pipe::register(SIGTERM, signal_tx).map_err(named("sigaction"))?;
    handle
        .insert_source(
            Generic::new(signal_rx, Interest::READ, Mode::Level),
            |_, _, server: &mut Server| {
                server.stop.stop();
                Ok(PostAction::Remove)
            },
        )
        .map_err(|e| named("registering the signals")(e.error))?;
    let listener = handle
        .insert_source(
            Generic::new(listener, Interest::READ, Mode::Level),
            |_, listener, server| Ok(server.accept_all(listener)),
        )
        .map_err(|e| named("registering the listener")(e.error))?;
    let mut server = Server {
        handle,
        stop: event_loop.get_signal(),
        listener,
        buf: Rc::new(RefCell::new(vec![0; 64 * 1024].into_boxed_slice())),
        failed: None,
    };
    // Announce the address only once everything is set up, signal
    // handling included; flushed, for whoever reads it through a pipe.
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on {local}")?;
    stdout.flush()?;
    drop(stdout);
    event_loop
        .run(None, &mut server, |_| {})
        .map_err(named("running the loop"))?;
    // The loop and the handle in `server` share the sources: dropping
    // both drops every source, which closes the listener and every
    // connection.
    let failed = server.failed.take();
    drop(server);
    drop(event_loop);
    failed.map_or(Ok(()), Err)
}
// ANCHOR_END: serve

impl Server {
    // ANCHOR: accept_all
    /// Accepts until the backlog is empty, inserting a source for each
    /// connection. If `accept` fails (out of fds or memory), disables the
    /// listener and sets a timer to enable it again.
    fn accept_all(&mut self, listener: &TcpListener) -> PostAction {
        loop {
            match listener.accept() {
                Ok((stream, _peer)) => {
                    // A connection that cannot be set up is dropped, which
                    // closes it; the server carries on.
                    if stream.set_nonblocking(true).is_ok() {
                        let _ = self.handle.insert_source(
                            Connection::new(stream, Rc::clone(&self.buf)),
                            |_, _, _| {},
                        );
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return PostAction::Continue,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::ConnectionAborted => {}
                Err(e) => {
                    // A full stderr must not stop the server: the message is
                    // best effort.
                    let _ = writeln!(
                        io::stderr(),
                        "echo_calloop: accept: {e}; pausing accepts for {ACCEPT_RETRY:?}"
                    );
                    let listener = self.listener;
                    let retry = self.handle.insert_source(
                        Timer::from_duration(ACCEPT_RETRY),
                        move |_, _, server| {
                            if let Err(e) = server.handle.enable(&listener) {
                                server.failed = Some(named("enabling the listener")(e));
                                server.stop.stop();
                            }
                            TimeoutAction::Drop
                        },
                    );
                    // Without a timer to enable it again, disabling the
                    // listener would stop the server accepting for good.
                    return match retry {
                        Ok(_) => PostAction::Disable,
                        Err(_) => PostAction::Continue,
                    };
                }
            }
        }
    }
    // ANCHOR_END: accept_all
}

/// The read buffer the connections share: 64 KiB, allocated (and zeroed)
/// once, not on every event.
type ReadBuffer = Rc<RefCell<Box<[u8]>>>;

// ANCHOR: connection_source
/// One client connection: an event source that owns its socket (through a
/// `Generic`) and the bytes it still owes the client.
struct Connection {
    socket: Generic<TcpStream>,
    buf: ReadBuffer,
    /// Bytes read but not yet written back.
    pending: Vec<u8>,
    /// The peer has shut down its side (a read returned 0).
    read_closed: bool,
}

impl Connection {
    fn new(stream: TcpStream, buf: ReadBuffer) -> Connection {
        Connection {
            socket: Generic::new(stream, Interest::READ, Mode::Level),
            buf,
            pending: Vec::new(),
            read_closed: false,
        }
    }
}

impl EventSource for Connection {
    type Event = ();
    type Metadata = ();
    type Ret = ();
    // Errors end the connection, never the loop: this source reports none.
    type Error = io::Error;

    fn process_events<F>(
        &mut self,
        readiness: Readiness,
        token: Token,
        _: F,
    ) -> io::Result<PostAction>
    where
        F: FnMut((), &mut ()),
    {
        let Connection {
            socket,
            buf,
            pending,
            read_closed,
        } = self;
        let served = socket.process_events(readiness, token, |_, stream| {
            // `&TcpStream` reads and writes: no need to reach inside
            // calloop's `NoIoDrop` guard for a `&mut`. Only one source runs
            // at a time, so the buffer is never borrowed twice.
            let mut buf = buf.borrow_mut();
            serve_connection(stream, &mut buf, pending, read_closed).map(|()| PostAction::Continue)
        });
        if served.is_err() || (*read_closed && pending.is_empty()) {
            return Ok(PostAction::Remove);
        }
        // Level-triggered: ask only for what the connection can take now.
        let wanted = Interest {
            readable: !*read_closed && pending.len() < MAX_PENDING,
            writable: !pending.is_empty(),
        };
        let current = socket.interest;
        if (wanted.readable, wanted.writable) == (current.readable, current.writable) {
            return Ok(PostAction::Continue);
        }
        socket.interest = wanted;
        Ok(PostAction::Reregister)
    }

    fn register(&mut self, poll: &mut Poll, tokens: &mut TokenFactory) -> calloop::Result<()> {
        self.socket.register(poll, tokens)
    }

    fn reregister(&mut self, poll: &mut Poll, tokens: &mut TokenFactory) -> calloop::Result<()> {
        self.socket.reregister(poll, tokens)
    }

    fn unregister(&mut self, poll: &mut Poll) -> calloop::Result<()> {
        self.socket.unregister(poll)
    }
}
// ANCHOR_END: connection_source

// ANCHOR: serve_connection
/// Sends what is pending, then reads and echoes until the socket has no
/// more data or too much output is pending.
fn serve_connection(
    mut stream: &TcpStream,
    buf: &mut [u8],
    pending: &mut Vec<u8>,
    read_closed: &mut bool,
) -> io::Result<()> {
    flush(stream, pending)?;
    while !*read_closed && pending.len() < MAX_PENDING {
        match stream.read(buf) {
            Ok(0) => *read_closed = true,
            Ok(n) => {
                pending.extend_from_slice(&buf[..n]);
                flush(stream, pending)?;
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Writes pending bytes until they are gone or the socket is full.
fn flush(mut stream: &TcpStream, pending: &mut Vec<u8>) -> io::Result<()> {
    while !pending.is_empty() {
        match stream.write(pending) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => {
                pending.drain(..n);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
// ANCHOR_END: serve_connection
