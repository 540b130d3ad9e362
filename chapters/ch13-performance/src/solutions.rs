//! Solutions to the exercises at the end of chapter 13's page, one item (or
//! a small group) per exercise, each tested in `tests/solutions.rs`. Like
//! the rest of the crate they count calls and never time them.

use crate::batching::arrived;
use crate::extra_read::{READ_BUFFER, Reading, ServerCalls, loopback_pair};
use crate::poll_scan::Found;
use ch04_libc_and_a_safe_wrapper::{ET, Epoll, Events, IN, RDHUP};
use ch05_eventfd_wakeups::EventFd;
use std::io::{self, ErrorKind, Read, Write};
use std::mem::MaybeUninit;
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::ptr;
use std::time::Duration;

/// A bound on every wait: a broken experiment fails instead of hanging.
const PATIENCE: Duration = Duration::from_secs(5);

// ANCHOR: exercise_1
/// Ping-pong as in `extra_read`, edge-triggered, with the shortcut made
/// safe: the socket is registered for `IN | RDHUP | ET`, and a short read
/// ends the turn unless the event carries `RDHUP` (chapter 11's third
/// exercise). Then the client sends one more message and closes its side
/// at once, so the FIN is queued behind the data when the server waits:
/// the server must echo it and see the end of file in the same turn.
/// Returns the calls of the round trips, and whether that turn read the
/// end of file.
///
/// Edge-triggered, the shortcut alone loses an end of file queued behind
/// the last data: no change, no event (`tests/edge_triggered.rs` in
/// chapter 11 fails on it, with a client that waits for the server's close
/// until its timeout). With `RDHUP` the wait says whether the peer's FIN
/// has arrived, so the read that would find 0 is made only when there is
/// a 0 to find. What a wait has to report for that, and does not in this
/// book's loop today, is `EPOLLRDHUP`: chapter 8's `Interest` cannot ask
/// for it, and its `Readiness` has no field for it.
pub fn ping_pong_with_rdhup(round_trips: u64, message: usize) -> io::Result<(ServerCalls, bool)> {
    if message == 0 || message >= READ_BUFFER {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!("a message must be 1 to {} bytes", READ_BUFFER - 1),
        ));
    }
    let (mut client, server) = loopback_pair()?;
    let epoll = Epoll::new()?;
    epoll.add(&server, IN | RDHUP | ET, 0)?;
    let mut events = Events::with_capacity(8);
    let mut buf = vec![0; READ_BUFFER];
    let mut calls = ServerCalls::default();
    let mut back = vec![0; message];
    for round in 0..round_trips {
        let sent: Vec<u8> = (0..message).map(|i| (round as usize + i) as u8).collect();
        client.write_all(&sent)?;
        if turn_with_rdhup(&epoll, &mut events, &server, &mut buf, &mut calls)? {
            return Err(ErrorKind::UnexpectedEof.into());
        }
        client.read_exact(&mut back)?;
        if back != sent {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!("round trip {round}: the echo came back changed"),
            ));
        }
        calls.round_trips += 1;
    }
    let counted = calls;
    client.write_all(b"bye")?;
    client.shutdown(Shutdown::Write)?;
    fin_arrived(&server)?;
    let end_of_file = turn_with_rdhup(&epoll, &mut events, &server, &mut buf, &mut calls)?;
    client.read_exact(&mut back[..3])?;
    if &back[..3] != b"bye" {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            "the last echo came back changed",
        ));
    }
    Ok((counted, end_of_file))
}

/// Returns once the peer's FIN has reached `server`, asking a second,
/// level-triggered epoll instance, which leaves the first one's edge alone.
fn fin_arrived(server: &TcpStream) -> io::Result<()> {
    let look = Epoll::new()?;
    look.add(server, IN | RDHUP, 0)?;
    let mut events = Events::with_capacity(1);
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        look.wait(&mut events, Some(Duration::from_millis(10)))?;
        if events.iter().any(|event| event.events() & RDHUP != 0) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Err(io::Error::new(
        ErrorKind::TimedOut,
        "the FIN did not arrive",
    ))
}

/// One wait and the reads the rule asks for; true if a read returned 0.
fn turn_with_rdhup(
    epoll: &Epoll,
    events: &mut Events,
    mut server: &TcpStream,
    buf: &mut [u8],
    calls: &mut ServerCalls,
) -> io::Result<bool> {
    let n = epoll.wait(events, Some(PATIENCE))?;
    calls.waits += 1;
    calls.events += n as u64;
    let Some(event) = events.iter().next() else {
        return Err(io::Error::new(ErrorKind::TimedOut, "epoll_wait: no event"));
    };
    let fin_arrived = event.events() & RDHUP != 0;
    loop {
        calls.reads += 1;
        let got = match server.read(buf) {
            Ok(0) => return Ok(true),
            Ok(got) => got,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                calls.eagain += 1;
                return Ok(false);
            }
            Err(e) => return Err(e),
        };
        calls.writes += 1;
        if server.write(&buf[..got])? != got {
            return Err(ErrorKind::WriteZero.into());
        }
        if got < buf.len() && !fin_arrived {
            return Ok(false); // emptied, and no FIN behind the data
        }
    }
}
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// `connections` clients send one `message`-byte message each; once all
/// have arrived the server waits once, with room for every event, and
/// serves each connection as `reading` says. Returns its calls.
///
/// One wait serves them all, so it costs 1/64 of a call per round trip at
/// 64 connections. The reads are not shared: reading to `EAGAIN` ends
/// every connection's turn with a read of its own that finds nothing, so
/// an edge-triggered server makes two reads per round trip however many
/// connections a wait returns, and a level-triggered one that stops at
/// the short read makes one. That is the 2 against 3 calls per round trip
/// that `perf stat` counts under load. Anything paid per wait shrinks the
/// same way as the wait: calloop's four extra calls come to 4/64, some
/// 0.06 per round trip, when a wait returns 64 connections.
pub fn serve_all_counted(
    reading: Reading,
    connections: usize,
    message: usize,
) -> io::Result<ServerCalls> {
    if message == 0 || message >= READ_BUFFER {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!("a message must be 1 to {} bytes", READ_BUFFER - 1),
        ));
    }
    let epoll = Epoll::new()?;
    let mut pairs = Vec::with_capacity(connections);
    for token in 0..connections {
        let (client, server) = loopback_pair()?;
        epoll.add(&server, reading.interest(), token as u64)?;
        pairs.push((client, server));
    }
    let sent = vec![b'm'; message];
    for (client, server) in &mut pairs {
        client.write_all(&sent)?;
        arrived(server, message)?;
    }

    let mut calls = ServerCalls::default();
    let mut events = Events::with_capacity(connections.max(1));
    let mut buf = vec![0; READ_BUFFER];
    calls.waits += 1;
    calls.events += epoll.wait(&mut events, Some(PATIENCE))? as u64;
    for event in events.iter() {
        let mut server = &pairs[event.token() as usize].1;
        loop {
            calls.reads += 1;
            let got = match server.read(&mut buf) {
                Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
                Ok(got) => got,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    calls.eagain += 1;
                    break;
                }
                Err(e) => return Err(e),
            };
            calls.writes += 1;
            server.write_all(&buf[..got])?;
            if reading == Reading::StopAtShortRead && got < buf.len() {
                break;
            }
        }
    }

    let mut back = vec![0; message];
    for (client, _) in &mut pairs {
        client.read_exact(&mut back)?;
        if back != sent {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                "an echo came back changed",
            ));
        }
        calls.round_trips += 1;
    }
    Ok(calls)
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
/// `idle` eventfds that are never readable and one that is, as for
/// `poll_once`, looked at with one `select` (timeout 0). Returns what it
/// found; the program looks through every fd it put in the set.
///
/// `select` passes bitmaps of `FD_SETSIZE` bits (1024), so an fd numbered
/// 1024 or more cannot be put in one: `man 2 select` calls `FD_SET` with
/// such an fd undefined behaviour (C's macro writes past the end of the
/// `fd_set`; the libc crate's indexes a Rust array, whose bounds check
/// panics). This refuses such a set with `InvalidInput` before it touches
/// the bitmap. Within the limit the kernel does what it does for `poll`,
/// asks every fd up to the highest number whether it is ready, so the cost
/// per fd is of the same kind, and the program's search is the same too.
///
/// The other half of the question needs no code: the idle fds are never
/// on the ready list, level- or edge-triggered, so `epoll_wait` does not
/// look at them in either mode. (Registering the *ready* fd
/// edge-triggered would change the experiment instead: it would be
/// reported by the first call only.)
pub fn select_idle_and_ready(idle: usize) -> io::Result<Found> {
    let flags = libc::EFD_CLOEXEC | libc::EFD_NONBLOCK;
    let mut fds = Vec::with_capacity(idle + 1);
    for _ in 0..idle {
        fds.push(EventFd::new(0, flags)?);
    }
    fds.push(EventFd::new(1, flags)?);
    let limit = libc::FD_SETSIZE as i32;
    if let Some(fd) = fds.iter().map(|fd| fd.as_raw_fd()).find(|&fd| fd >= limit) {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!("select: fd {fd} does not fit in an fd_set of {limit} bits"),
        ));
    }

    let mut set = MaybeUninit::<libc::fd_set>::uninit();
    // SAFETY: FD_ZERO initialises the whole fd_set it is given.
    unsafe { libc::FD_ZERO(set.as_mut_ptr()) };
    // SAFETY: FD_ZERO has just initialised it.
    let mut set = unsafe { set.assume_init() };
    let mut highest = -1;
    for fd in &fds {
        let fd = fd.as_raw_fd();
        // SAFETY: `fd` is below FD_SETSIZE (checked above), so its bit is
        // inside `set`.
        unsafe { libc::FD_SET(fd, &mut set) };
        highest = highest.max(fd);
    }
    let mut timeout = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: `set` and `timeout` are live and owned here; the kernel
    // reads and rewrites the first `highest + 1` bits of `set`, and every
    // fd whose bit is set is open (owned by `fds`).
    let n = unsafe {
        libc::select(
            highest + 1,
            &mut set,
            ptr::null_mut(),
            ptr::null_mut(),
            &mut timeout,
        )
    };
    let returned =
        usize::try_from(n).map_err(|_| ch01_raw_syscalls::error::last_error("select"))?;
    let mut found = Found {
        returned,
        looked_at: 0,
        ready: Vec::new(),
    };
    for (index, fd) in fds.iter().enumerate() {
        if found.ready.len() == returned {
            break;
        }
        found.looked_at += 1;
        // SAFETY: the fd is below FD_SETSIZE, so its bit is inside `set`.
        if unsafe { libc::FD_ISSET(fd.as_raw_fd(), &set) } {
            found.ready.push(index);
        }
    }
    Ok(found)
}
// ANCHOR_END: exercise_3
