//! The server: a listener, a connection source per client, signals, and a
//! loop that runs until told to stop.

use crate::connection::Connection;
use crate::echo::Echo;
use crate::listener;
use ch06_everything_is_an_fd::signal_name;
use ch08_generic_sources::{
    EventLoop, Generic, Interest, LoopHandle, Mode, PostAction, Readiness, RegistrationToken,
    Watched,
};
use ch10_sources_on_generic::{Event, Sender, Signals, channel};
use std::ffi::c_int;
use std::fmt;
use std::io::{self, ErrorKind, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::mpsc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

// ANCHOR: config
/// The server's settings. [`Config::default`] is what the `echo_server`
/// binary runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Backpressure: a connection with this many bytes or more waiting to
    /// be written back is not read from until they drain below it.
    pub max_pending: usize,
    /// The size of the one read buffer all connections share.
    pub read_buffer: usize,
    /// The most reads one connection gets per event, so that one fast
    /// client cannot keep the loop from the others. Its data is not lost:
    /// level-triggered, the next wait reports the connection again;
    /// edge-triggered, the connection is re-armed with an `epoll_ctl(MOD)`.
    pub reads_per_event: usize,
    /// The most connections accepted per event of the listener.
    pub accepts_per_event: usize,
    /// How long to stop accepting after `accept` fails for want of file
    /// descriptors or memory, unless a connection closes first.
    pub accept_backoff: Duration,
    /// Whether SIGINT and SIGTERM stop the server. They are blocked in the
    /// thread that calls [`Server::bind`] and read through a signalfd, so
    /// this is for a server that runs on its program's main thread, made
    /// before any other thread starts (the `echo_server` binary).
    pub signals: bool,
    /// How every connection is registered: [`Mode::Level`], or
    /// [`Mode::Edge`] for the `echo_edge` example, which reads until
    /// `EAGAIN` (see `Echo`'s read path). [`Mode::OneShot`] is refused:
    /// it would cost an `epoll_ctl(MOD)` after every event, the very call
    /// the server is written to avoid. The listener is level-triggered in
    /// every mode.
    pub mode: Mode,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_pending: 256 * 1024,
            read_buffer: 64 * 1024,
            reads_per_event: 16,
            accepts_per_event: 256,
            accept_backoff: Duration::from_millis(50),
            signals: true,
            mode: Mode::Level,
        }
    }
}
// ANCHOR_END: config

impl Config {
    /// Refuses settings that would stop the server from reading or
    /// accepting, sizes whose sum (an outbox's capacity) overflows, and the
    /// one-shot mode: `InvalidInput`, naming the field.
    fn check(&self) -> io::Result<()> {
        let zero = [
            ("max_pending", self.max_pending),
            ("read_buffer", self.read_buffer),
            ("reads_per_event", self.reads_per_event),
            ("accepts_per_event", self.accepts_per_event),
        ];
        let invalid = |message: String| Err(io::Error::new(ErrorKind::InvalidInput, message));
        if let Some((name, _)) = zero.iter().find(|(_, value)| *value == 0) {
            return invalid(format!("Config::{name} must not be 0"));
        }
        if self.max_pending.checked_add(self.read_buffer).is_none() {
            return invalid(
                "Config::max_pending + Config::read_buffer (an outbox's size) overflows".to_owned(),
            );
        }
        if self.mode == Mode::OneShot {
            return invalid("Config::mode must be Mode::Level or Mode::Edge".to_owned());
        }
        Ok(())
    }
}

// ANCHOR: stats
/// What the server has done so far. Plain counters in the loop's data:
/// only the loop's thread touches them, so they cost an add each.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections accepted and inserted in the loop.
    pub accepted: u64,
    /// Connections accepted but refused by the loop (`epoll_ctl(ADD)`
    /// failed, say with `ENOSPC` at the `max_user_watches` limit); they
    /// were closed at once.
    pub refused: u64,
    /// Connections open now.
    pub open: u64,
    /// Connections the peer finished normally: every byte echoed, then
    /// closed.
    pub finished: u64,
    /// Connections ended by an error: a reset (`ECONNRESET`, `EPIPE`) or
    /// anything else a read or a write returned.
    pub failed: u64,
    /// Of those, the resets.
    pub resets: u64,
    /// Events handled for connections: each is one wake-up of a
    /// connection's callback.
    pub events: u64,
    /// Bytes written back.
    pub bytes_echoed: u64,
    /// The most bytes one connection ever had pending. Backpressure keeps
    /// it under `max_pending + read_buffer`.
    pub max_pending: usize,
    /// The most memory one connection's outbox ever held.
    pub max_allocated: usize,
    /// How many times accepting was paused because `accept` failed for
    /// want of fds or memory.
    pub accept_pauses: u64,
    /// Connections closed by the shutdown.
    pub closed_at_shutdown: u64,
}
// ANCHOR_END: stats

/// Why a connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closed {
    /// The peer shut down its side and got everything back.
    Finished,
    /// A read or a write failed with this.
    Failed(ErrorKind),
}

/// Why the server stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// A signal: SIGINT or SIGTERM.
    Signal(c_int),
    /// [`Remote::stop`].
    Requested,
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Signal(signal) => f.write_str(&signal_name(*signal)),
            StopReason::Requested => f.write_str("a stop request"),
        }
    }
}

/// What [`Server::run`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Report {
    pub stopped_by: StopReason,
    pub stats: Stats,
}

// ANCHOR: shared
/// The loop's data: what every callback may use, lent to each in turn.
pub struct Shared {
    /// The one read buffer.
    pub(crate) buf: Box<[u8]>,
    pub(crate) max_pending: usize,
    pub(crate) reads_per_event: usize,
    /// How the connections are registered: level- or edge-triggered.
    pub(crate) mode: Mode,
    pub(crate) stats: Stats,
    pub(crate) accept: AcceptState,
    /// Set by the signal source or a stop request; the loop ends after
    /// the dispatch that set it.
    pub(crate) stop: Option<StopReason>,
}

/// Whether the listener is in the loop, and if not, when to put it back.
#[derive(Debug, Default)]
pub(crate) struct AcceptState {
    /// `Some` while accepting is paused: since when, and for how long.
    /// A start and a length rather than an end, so that a backoff too long
    /// to add to an `Instant` (`Duration::MAX`) cannot overflow: it only
    /// ends when a connection closes.
    paused: Option<(Instant, Duration)>,
    /// A connection closed since the pause began: an fd is free.
    fd_freed: bool,
    /// The last `accept` failed. Cleared by the next one that succeeds,
    /// so a failure is reported once, not after every pause.
    failing: bool,
}
// ANCHOR_END: shared

// ANCHOR: closed
impl Shared {
    /// A connection is done; the loop closes it when its callback returns.
    pub(crate) fn closed(&mut self, why: Closed) {
        self.stats.open -= 1;
        match why {
            Closed::Finished => self.stats.finished += 1,
            Closed::Failed(kind) => {
                self.stats.failed += 1;
                if matches!(
                    kind,
                    ErrorKind::ConnectionReset
                        | ErrorKind::BrokenPipe
                        | ErrorKind::ConnectionAborted
                ) {
                    self.stats.resets += 1;
                }
            }
        }
        self.accept.fd_freed = true;
    }
}
// ANCHOR_END: closed

// ANCHOR: emfile
impl AcceptState {
    /// `accept` failed: stop accepting for `backoff`. Returns whether
    /// this is the first failure since the last success, to report.
    fn pause(&mut self, backoff: Duration) -> bool {
        self.paused = Some((Instant::now(), backoff));
        self.fd_freed = false;
        !std::mem::replace(&mut self.failing, true)
    }

    /// How long the next wait may last: until the pause ends, or for ever.
    fn timeout(&self) -> Option<Duration> {
        self.paused
            .map(|(since, backoff)| backoff.saturating_sub(since.elapsed()))
    }

    /// Whether to put the listener back now: the pause is over, or a
    /// connection has closed and freed an fd.
    fn should_resume(&mut self) -> bool {
        match self.paused {
            Some((since, backoff)) if self.fd_freed || since.elapsed() >= backoff => {
                self.paused = None;
                true
            }
            _ => false,
        }
    }
}
// ANCHOR_END: emfile

/// What another thread may ask of a running server, through its
/// [`Remote`].
enum Request {
    Stop,
    Stats(mpsc::Sender<Stats>),
}

/// A remote control for a server running on another thread: a sender of
/// chapter 10's channel, whose receiving end is a source in the server's
/// loop. `Send`, `Sync` and cheap to clone.
#[derive(Clone, Debug)]
pub struct Remote {
    sender: Sender<Request>,
}

impl Remote {
    /// Asks the server to stop: it stops accepting, closes every
    /// connection, and [`Server::run`] returns. Does nothing if it has
    /// stopped already.
    pub fn stop(&self) {
        let _ = self.sender.send(Request::Stop);
    }

    /// The server's counters, as its loop sees them between two events.
    /// Fails if the server has stopped.
    pub fn stats(&self) -> io::Result<Stats> {
        let stopped = || io::Error::new(ErrorKind::NotConnected, "the server has stopped");
        let (reply, answer) = mpsc::channel();
        self.sender
            .send(Request::Stats(reply))
            .map_err(|_| stopped())?;
        answer.recv().map_err(|_| stopped())
    }

    /// Asks for [`stats`](Remote::stats) until `done` says yes, at most
    /// `timeout` (one too long to add to an `Instant`, such as
    /// `Duration::MAX`: until `done` says yes or the server stops); returns
    /// the last stats seen. For tests and examples that must wait for the
    /// server to notice something a client did.
    pub fn wait_for(
        &self,
        timeout: Duration,
        mut done: impl FnMut(&Stats) -> bool,
    ) -> io::Result<Stats> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let stats = self.stats()?;
            if done(&stats) || deadline.is_some_and(|deadline| Instant::now() >= deadline) {
                return Ok(stats);
            }
            thread::sleep(Duration::from_millis(2));
        }
    }
}

// ANCHOR: server
/// An echo server, bound and ready, not yet running.
pub struct Server {
    event_loop: EventLoop<'static, Shared>,
    handle: LoopHandle<'static, Shared>,
    listener: RegistrationToken,
    addr: SocketAddr,
    accept_backoff: Duration,
    shared: Shared,
}
// ANCHOR_END: server

impl Server {
    // ANCHOR: bind
    /// Binds `addr`, makes the loop, and inserts the listener (and, if
    /// `config.signals`, the signal source). Connections that arrive from
    /// now on wait in the accept queue until [`run`](Server::run).
    pub fn bind(addr: SocketAddr, config: Config) -> io::Result<Server> {
        config.check()?;
        // Allocated before anything is opened, and fallibly: a size no
        // allocator can give is an error, not an abort.
        let mut buf = Vec::new();
        buf.try_reserve_exact(config.read_buffer).map_err(|err| {
            io::Error::new(
                ErrorKind::OutOfMemory,
                format!("Config::read_buffer: {err}"),
            )
        })?;
        buf.resize(config.read_buffer, 0);
        let listener = listener::bind(addr)?;
        let addr = listener.local_addr()?;
        let event_loop: EventLoop<'static, Shared> = EventLoop::new()?;
        let handle = event_loop.handle();
        if config.signals {
            let signals = Signals::new(&[libc::SIGINT, libc::SIGTERM])?;
            handle.insert_source(signals, |signal, _, shared: &mut Shared| {
                shared.stop = Some(StopReason::Signal(signal.signal));
            })?;
        }
        // The listener stays level-triggered whatever `config.mode` says:
        // its callback may stop before the accept queue is empty (after
        // `accepts_per_event`, or when it pauses for want of fds), and
        // level-triggered, the next wait reports what is left without a
        // re-arm. It is one event per connection, not per request: the
        // modes are compared on the connections.
        let source = Generic::new(listener, Interest::READABLE, Mode::Level);
        let accept = accept_loop(handle.clone(), config);
        let listener = handle.insert_source(source, accept)?;
        Ok(Server {
            event_loop,
            handle,
            listener,
            addr,
            accept_backoff: config.accept_backoff,
            shared: Shared {
                buf: buf.into_boxed_slice(),
                max_pending: config.max_pending,
                reads_per_event: config.reads_per_event,
                mode: config.mode,
                stats: Stats::default(),
                accept: AcceptState::default(),
                stop: None,
            },
        })
    }
    // ANCHOR_END: bind

    /// The address it listens on, with the port the kernel picked.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// A remote control, for a server that runs on another thread (see
    /// [`ServerThread`]). The first call inserts the channel's source.
    pub fn remote(&mut self) -> io::Result<Remote> {
        let (sender, requests) = channel::<Request>()?;
        self.handle
            .insert_source(requests, |event, _, shared: &mut Shared| match event {
                Event::Msg(Request::Stop) => {
                    shared.stop.get_or_insert(StopReason::Requested);
                }
                Event::Msg(Request::Stats(reply)) => {
                    let _ = reply.send(shared.stats);
                }
                Event::Closed => {}
            })?;
        Ok(Remote { sender })
    }

    // ANCHOR: run
    /// Serves until a signal or a stop request, then stops accepting,
    /// closes every connection, and reports.
    pub fn run(mut self) -> io::Result<Report> {
        let stopped_by = loop {
            if let Some(reason) = self.shared.stop {
                break reason;
            }
            let timeout = self.shared.accept.timeout();
            if let Err(error) = self.event_loop.dispatch(timeout, &mut self.shared) {
                self.close_failed_connection(error)?;
            }
            if self.shared.accept.should_resume() {
                // epoll_ctl(ADD) can fail for want of memory too: then
                // try again later, like a failed accept.
                if let Err(e) = self.handle.enable(self.listener) {
                    if self.shared.accept.pause(self.accept_backoff) {
                        eprintln!("{}: {e}; pausing accepts", program_name());
                    }
                }
            }
        };
        Ok(Report {
            stopped_by,
            stats: self.shutdown(),
        })
    }
    // ANCHOR_END: run

    /// An error out of `dispatch` names the source it came from. If that
    /// source is a connection (the kernel refused its `epoll_ctl(MOD)`,
    /// say, for want of memory), only that connection is closed and the
    /// server goes on; any other error ends `run`.
    fn close_failed_connection(&mut self, error: ch08_generic_sources::Error) -> io::Result<()> {
        let Some(token) = error.token().filter(|&token| token != self.listener) else {
            return Err(error.into());
        };
        match self.handle.take::<Connection>(token) {
            Ok(connection) => {
                eprintln!("{}: closing a connection: {error}", program_name());
                drop(connection);
                self.shared.closed(Closed::Failed(ErrorKind::Other));
                Ok(())
            }
            Err(_) => Err(error.into()),
        }
    }

    // ANCHOR: shutdown
    /// Closes the listener first, so that no new client is accepted, then
    /// every connection: dropping the loop drops each source, which
    /// deletes its fd from the interest list and closes it. A client still
    /// connected reads end-of-file.
    fn shutdown(self) -> Stats {
        let Server {
            event_loop,
            handle,
            listener,
            shared,
            ..
        } = self;
        // Removing fails only if the listener is gone already.
        let _ = handle.remove(listener);
        drop(event_loop);
        Stats {
            closed_at_shutdown: shared.stats.open,
            open: 0,
            ..shared.stats
        }
    }
    // ANCHOR_END: shutdown
}

// ANCHOR: serve
/// What a server program does with the address from its command line:
/// binds, says `listening on ADDR` on stdout, serves until SIGINT or
/// SIGTERM, and says what it did. For a program's main thread, before any
/// other thread starts, with `config.signals` set: the signals are
/// blocked here, and the signalfd is the only way they arrive.
pub fn serve(addr: SocketAddr, config: Config) -> io::Result<()> {
    let server = Server::bind(addr, config)?;
    // `writeln!`, not `println!`: a stdout nobody reads any more is an
    // error on stderr and exit status 1, not a panic.
    let mut stdout = io::stdout();
    writeln!(stdout, "listening on {}", server.local_addr())?;
    stdout.flush()?;
    let report = server.run()?;
    writeln!(
        stdout,
        "stopped by {}: {} connections accepted, {} closed at shutdown, {} bytes echoed",
        report.stopped_by,
        report.stats.accepted,
        report.stats.closed_at_shutdown,
        report.stats.bytes_echoed
    )?;
    Ok(())
}
// ANCHOR_END: serve

/// The running program's name, to begin a line on stderr with:
/// `echo_server`, `echo_edge`, or a test's.
fn program_name() -> String {
    let argv0 = std::env::args_os().next();
    match argv0.as_deref().map(Path::new).and_then(Path::file_name) {
        Some(name) => name.to_string_lossy().into_owned(),
        None => "echo_server".to_owned(),
    }
}

// ANCHOR: accept_loop
/// The listener's callback: accepts until the queue is empty (or
/// `accepts_per_event` connections, so a flood of connects cannot starve
/// the clients already connected), and inserts each new connection as a
/// source of its own, with a callback that owns its [`Echo`].
fn accept_loop(
    handle: LoopHandle<'static, Shared>,
    config: Config,
) -> impl FnMut(Readiness, &mut Watched<TcpListener>, &mut Shared) -> io::Result<PostAction> {
    let outbox_capacity = config.max_pending + config.read_buffer;
    move |_, listener, shared| {
        for _ in 0..config.accepts_per_event {
            match listener::accept(listener) {
                Ok(stream) => {
                    shared.accept.failing = false;
                    let mut echo = Echo::new(outbox_capacity);
                    let serve = move |readiness, stream: &mut Watched<_>, shared: &mut Shared| {
                        echo.ready(readiness, stream, shared)
                    };
                    let connection = Connection::with_mode(stream, config.mode);
                    match handle.insert_source(connection, serve) {
                        Ok(_) => {
                            shared.stats.accepted += 1;
                            shared.stats.open += 1;
                        }
                        // The refused source, and its stream, are dropped:
                        // closed.
                        Err(_) => shared.stats.refused += 1,
                    }
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if try_next(&e) => {}
                // EMFILE or ENFILE (no fd), ENOBUFS or ENOMEM (no memory),
                // or anything else: not a reason to end the server, and
                // not one to try again at once either.
                Err(e) => {
                    shared.stats.accept_pauses += 1;
                    if shared.accept.pause(config.accept_backoff) {
                        eprintln!(
                            "{}: accept: {e}; pausing accepts until a connection closes, or for {:?}",
                            program_name(),
                            config.accept_backoff
                        );
                    }
                    return Ok(PostAction::Disable);
                }
            }
        }
        Ok(PostAction::Continue)
    }
}

/// Errors of `accept` that concern one connection, not the listener: a
/// signal handler ran (`EINTR`), the client gave up before it was
/// accepted (`ECONNABORTED`), or a network error that Linux passes on
/// from the new connection, which `man 2 accept` says to treat like
/// `EAGAIN` by retrying.
fn try_next(error: &io::Error) -> bool {
    matches!(
        error.raw_os_error(),
        Some(
            libc::EINTR
                | libc::ECONNABORTED
                | libc::ENETDOWN
                | libc::EPROTO
                | libc::ENOPROTOOPT
                | libc::EHOSTDOWN
                | libc::ENONET
                | libc::EHOSTUNREACH
                | libc::EOPNOTSUPP
                | libc::ENETUNREACH
        )
    )
}
// ANCHOR_END: accept_loop

// ANCHOR: server_thread
/// A server running on a thread of its own, for tests and examples: the
/// loop is not `Send`, so the thread makes the server itself, and hands
/// back its address and a [`Remote`].
pub struct ServerThread {
    addr: SocketAddr,
    remote: Remote,
    thread: Option<JoinHandle<io::Result<Report>>>,
}

impl ServerThread {
    /// Starts a server on `addr`, on a new thread. `config.signals` is
    /// ignored: signals are for a server on the main thread.
    pub fn spawn(addr: SocketAddr, config: Config) -> io::Result<ServerThread> {
        let config = Config {
            signals: false,
            ..config
        };
        let (ready, started) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("echo-server".into())
            .spawn(move || {
                let server = Server::bind(addr, config).and_then(|mut server| {
                    let remote = server.remote()?;
                    Ok((server, remote))
                });
                match server {
                    Ok((server, remote)) => {
                        let _ = ready.send(Ok((server.local_addr(), remote)));
                        server.run()
                    }
                    Err(e) => {
                        let kind = e.kind();
                        let _ = ready.send(Err(e));
                        Err(io::Error::new(kind, "the server did not start"))
                    }
                }
            })?;
        let (addr, remote) = started
            .recv()
            .map_err(|_| io::Error::other("the server thread ended before it started"))??;
        Ok(ServerThread {
            addr,
            remote,
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its remote control.
    pub fn remote(&self) -> &Remote {
        &self.remote
    }

    /// Stops it and waits for its thread: every fd it opened is closed
    /// when this returns.
    pub fn stop(mut self) -> io::Result<Report> {
        self.remote.stop();
        let thread = self.thread.take().expect("joined only here and in drop");
        thread
            .join()
            .map_err(|_| io::Error::other("the server thread panicked"))?
    }
}

impl Drop for ServerThread {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            self.remote.stop();
            let _ = thread.join();
        }
    }
}
// ANCHOR_END: server_thread
