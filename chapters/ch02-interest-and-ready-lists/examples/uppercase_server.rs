//! One thread serving several TCP clients at once: a listener on
//! 127.0.0.1, a connection table indexed by token, and `epoll_wait` in a
//! loop. The clients are threads of the same program; each sends a line
//! and reads it back in capitals. The program stops when all are done.
//!
//! Run it with `cargo run -p ch02-interest-and-ready-lists --example uppercase_server`.

use ch01_raw_syscalls::{EPOLL_CLOEXEC, EPOLLIN, EPOLLOUT, Event, epoll_create1};
use ch02_interest_and_ready_lists::{
    Slab, add, delete, key_of, modify, token_of, wait_retrying_eintr,
};
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

const CLIENTS: usize = 5;

/// The listener's token. Every other token is a key in the connection
/// table, and no table grows this big.
const LISTENER: u64 = u64::MAX;

/// How long the server waits for anything to happen before it gives up.
const IDLE_LIMIT_MS: i32 = 5_000;

// ANCHOR: connection
/// What a connection waits for next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Want {
    /// A request line, or the client closing: EPOLLIN.
    Read,
    /// Room to send the reply: EPOLLOUT.
    Write,
    /// Nothing: the client is gone.
    Close,
}

impl Want {
    fn events(self) -> u32 {
        match self {
            Want::Read => EPOLLIN,
            Want::Write => EPOLLOUT,
            Want::Close => 0,
        }
    }
}

/// One client's connection: the socket, and the bytes in flight each way.
struct Connection {
    stream: TcpStream,
    /// Bytes received, not yet a whole line.
    inbox: Vec<u8>,
    /// Reply bytes not yet sent.
    outbox: Vec<u8>,
    /// What the interest list holds for this connection now.
    registered: Want,
}

impl Connection {
    /// Does the I/O that the connection's state allows, once, and says
    /// what to wait for next. The socket is nonblocking, so no call here
    /// can stall the other connections.
    fn on_event(&mut self, stats: &mut Stats) -> io::Result<Want> {
        if !self.outbox.is_empty() {
            match self.stream.write(&self.outbox) {
                Ok(sent) => drop(self.outbox.drain(..sent)),
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                Err(err) => return Err(err),
            }
            return Ok(if self.outbox.is_empty() {
                Want::Read
            } else {
                Want::Write
            });
        }
        let mut buf = [0; 1024];
        match self.stream.read(&mut buf) {
            // End of file: the client has closed its end.
            Ok(0) => Ok(Want::Close),
            Ok(got) => {
                self.inbox.extend_from_slice(&buf[..got]);
                // Answer every complete line: the line, in capitals.
                while let Some(end) = self.inbox.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = self.inbox.drain(..=end).collect();
                    self.outbox.extend(line.to_ascii_uppercase());
                    stats.answered += 1;
                }
                Ok(if self.outbox.is_empty() {
                    Want::Read
                } else {
                    Want::Write
                })
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(Want::Read),
            Err(err) => Err(err),
        }
    }
}
// ANCHOR_END: connection

/// What the server counted.
#[derive(Default)]
struct Stats {
    accepted: usize,
    answered: usize,
    closed_at_eof: usize,
    closed_after_error: usize,
    most_open: usize,
}

// ANCHOR: serve
/// Serves until `clients` connections have been accepted and all of them
/// are closed again.
fn serve(listener: &TcpListener, clients: usize) -> io::Result<Stats> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    listener.set_nonblocking(true)?;
    add(epoll.as_fd(), listener.as_fd(), EPOLLIN, LISTENER)?;
    let mut table: Slab<Connection> = Slab::new();
    let mut stats = Stats::default();
    let mut events = [Event::zeroed(); 16];

    while stats.accepted < clients || !table.is_empty() {
        let n = wait_retrying_eintr(epoll.as_fd(), &mut events, IDLE_LIMIT_MS)?;
        if n == 0 {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                "no client did anything",
            ));
        }
        for event in &events[..n] {
            match event.token() {
                LISTENER => accept_all(epoll.as_fd(), listener, &mut table, &mut stats)?,
                token => {
                    let key = key_of(token).expect("connection tokens are table keys");
                    handle(epoll.as_fd(), &mut table, key, &mut stats)?;
                }
            }
        }
    }
    Ok(stats)
}

/// Accepts every connection that is waiting, and puts each in the table
/// and in the interest list, with its table key as the token.
fn accept_all(
    epoll: BorrowedFd<'_>,
    listener: &TcpListener,
    table: &mut Slab<Connection>,
    stats: &mut Stats,
) -> io::Result<()> {
    loop {
        let stream = match listener.accept() {
            Ok((stream, _peer)) => stream,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(err) => return Err(err),
        };
        stream.set_nonblocking(true)?;
        let key = table.insert(Connection {
            stream,
            inbox: Vec::new(),
            outbox: Vec::new(),
            registered: Want::Read,
        });
        let stream = &table.get(key).expect("just inserted").stream;
        add(epoll, stream.as_fd(), EPOLLIN, token_of(key))?;
        stats.accepted += 1;
        stats.most_open = stats.most_open.max(table.len());
    }
}

/// Handles one event for the connection under `key`.
fn handle(
    epoll: BorrowedFd<'_>,
    table: &mut Slab<Connection>,
    key: usize,
    stats: &mut Stats,
) -> io::Result<()> {
    // A token whose connection is gone is stale; there is nothing to do.
    let Some(conn) = table.get_mut(key) else {
        return Ok(());
    };
    let want = match conn.on_event(stats) {
        Ok(Want::Close) => {
            stats.closed_at_eof += 1;
            Want::Close
        }
        Ok(want) => want,
        Err(_) => {
            stats.closed_after_error += 1;
            Want::Close
        }
    };
    if want == Want::Close {
        // Out of the interest list first, then out of the table; dropping
        // the connection closes the socket.
        delete(epoll, conn.stream.as_fd())?;
        table.remove(key);
    } else if want != conn.registered {
        modify(epoll, conn.stream.as_fd(), want.events(), token_of(key))?;
        conn.registered = want;
    }
    Ok(())
}
// ANCHOR_END: serve

// ANCHOR: client
/// One client: connect, send a line, read the reply. It keeps the
/// connection open until every client has its reply, so that all of them
/// are open on the server at the same time.
fn client(id: usize, server: SocketAddr, all_answered: &Barrier) -> io::Result<(String, String)> {
    let exchange = || -> io::Result<(TcpStream, String, String)> {
        let mut stream = TcpStream::connect(server)?;
        // A client never waits forever, even if the server is broken.
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let line = format!("hello from client {id}");
        stream.write_all(format!("{line}\n").as_bytes())?;
        let mut reply = String::new();
        BufReader::new(&stream).read_line(&mut reply)?;
        Ok((stream, line, reply.trim_end().to_owned()))
    };
    let outcome = exchange();
    // Every client reaches the barrier, whether its exchange worked or not.
    all_answered.wait();
    // Returning drops the stream: the server sees end of file.
    outcome.map(|(_stream, line, reply)| (line, reply))
}
// ANCHOR_END: client

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let server = listener.local_addr()?;
    println!("listening on 127.0.0.1, on a port the kernel chose");

    let all_answered = Arc::new(Barrier::new(CLIENTS));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let all_answered = Arc::clone(&all_answered);
            thread::spawn(move || (id, client(id, server, &all_answered)))
        })
        .collect();

    // This thread is the server; the clients run meanwhile.
    let served = serve(&listener, CLIENTS);
    drop(listener);

    let mut results: Vec<_> = clients
        .into_iter()
        .map(|handle| handle.join().expect("a client thread panicked"))
        .collect();
    results.sort_by_key(|(id, _)| *id);
    for (id, result) in results {
        match result {
            Ok((line, reply)) => println!("client {id}: sent {line:?}, got {reply:?}"),
            Err(err) => println!("client {id}: failed: {err}"),
        }
    }
    let stats = served?;
    println!(
        "server: accepted {} connections, at most {} open at once, all in one thread",
        stats.accepted, stats.most_open
    );
    println!(
        "server: answered {} lines; closed {} connections at end of file, {} after errors",
        stats.answered, stats.closed_at_eof, stats.closed_after_error
    );
    Ok(())
}
// ANCHOR_END: main
