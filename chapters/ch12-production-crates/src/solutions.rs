//! Solutions to the exercises at the end of chapter 12's page, one item (or
//! a small group) per exercise, each tested in `tests/solutions.rs`. They
//! are experiments with the three crates, each on one socket or one loop,
//! rather than changes to the servers.

use echo_harness::cli::named;
use rustix::buffer::spare_capacity;
use rustix::event::{Timespec, epoll};
use rustix::net::{SocketFlags, accept_with};
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::time::Duration;

// ANCHOR: exercise_1
/// What a connection that stops reading after `budget` bytes is told next.
#[derive(Debug, PartialEq, Eq)]
pub struct Leftover {
    /// Bytes read on the first event.
    pub first_read: usize,
    /// Events the next wait (which does not block) returns.
    pub events_after: usize,
}

/// mio, edge-triggered as always: 64 bytes arrive, the handler reads
/// `budget` of them and stops, then (with `reregister`) re-arms.
///
/// The rest makes no new edge, so without the re-arm the next poll is
/// silent, and an `echo_mio` cut off this way would leave a client waiting
/// for an echo that never comes. In `check_contract` that client is the
/// slow reader: when it starts reading, megabytes are queued at the
/// server, and one read per event takes 64 KiB of them. (The echo
/// workload passes: its messages fit in one read, and each new segment
/// makes an edge of its own.) `reregister` is an `epoll_ctl(MOD)`, and a
/// `MOD` makes the kernel look at the socket again and report it if it is
/// still ready.
pub fn mio_after_a_budget(budget: usize, rearm: bool) -> io::Result<Leftover> {
    use mio::net::UnixStream;
    use mio::{Events, Interest, Poll, Token};

    let mut poll = Poll::new().map_err(named("epoll_create1"))?;
    let (mut server, mut client) = UnixStream::pair().map_err(named("socketpair"))?;
    poll.registry()
        .register(&mut server, Token(1), Interest::READABLE)
        .map_err(named("epoll_ctl(ADD)"))?;
    client.write_all(&[7; 64]).map_err(named("write"))?;
    let mut events = Events::with_capacity(4);
    poll.poll(&mut events, Some(Duration::from_secs(5)))
        .map_err(named("epoll_wait"))?;
    let mut buf = vec![0; budget];
    let first_read = server.read(&mut buf).map_err(named("read"))?;
    if rearm {
        poll.registry()
            .reregister(&mut server, Token(1), Interest::READABLE)
            .map_err(named("epoll_ctl(MOD)"))?;
    }
    poll.poll(&mut events, Some(Duration::ZERO))
        .map_err(named("epoll_wait"))?;
    Ok(Leftover {
        first_read,
        events_after: events.iter().count(),
    })
}

/// The same cut-off in calloop, level-triggered as `echo_calloop` is: the
/// callback reads `budget` bytes per call. Returns how many bytes each of
/// three dispatches read. Level-triggered, unread data keeps the socket
/// ready, so every wait reports it again: the same change in
/// `echo_calloop` costs a few more turns of the loop and breaks nothing.
pub fn calloop_level_after_a_budget(budget: usize) -> io::Result<Vec<usize>> {
    use calloop::generic::Generic;
    use calloop::{EventLoop, Interest, Mode, PostAction};
    use std::os::unix::net::UnixStream;

    let mut event_loop: EventLoop<'_, Vec<usize>> =
        EventLoop::try_new().map_err(named("EventLoop::try_new"))?;
    let (server, mut client) = UnixStream::pair().map_err(named("socketpair"))?;
    server
        .set_nonblocking(true)
        .map_err(named("fcntl(O_NONBLOCK)"))?;
    client.write_all(&[7; 64]).map_err(named("write"))?;
    let source = Generic::new(server, Interest::READ, Mode::Level);
    event_loop
        .handle()
        .insert_source(source, move |_, server, reads: &mut Vec<usize>| {
            // calloop lends the socket behind its `NoIoDrop` guard, which
            // derefs to `&UnixStream`: enough to read.
            let mut server: &UnixStream = server;
            let mut buf = vec![0; budget];
            reads.push(server.read(&mut buf).map_err(named("read"))?);
            Ok(PostAction::Continue)
        })
        .map_err(|err| named("insert_source")(err.error))?;
    let mut reads = Vec::new();
    for _ in 0..3 {
        event_loop
            .dispatch(Some(Duration::ZERO), &mut reads)
            .map_err(named("dispatch"))?;
    }
    Ok(reads)
}
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// What an edge-triggered listener does when its server stops accepting
/// at an error as if it were `EAGAIN`.
#[derive(Debug, PartialEq, Eq)]
pub struct StuckListener {
    /// Events in the waits after the failed accept, while nothing new
    /// arrives: 0 means the server is not busy.
    pub events_while_stuck: usize,
    /// Events once a second client connects.
    pub events_after_a_newcomer: usize,
    /// Connections the accept loop that event starts then takes.
    pub accepted_then: usize,
}

/// rustix, as `echo_rustix` registers its listener (`IN | ET`). A client
/// connects; the server's `accept4` "fails" (the experiment does not
/// call it, since running out of fds in a test process would hurt the
/// other tests) and the server treats that like `EAGAIN`: it waits.
///
/// Edge-triggered, the client still in the backlog made its one edge
/// already, so the waits that follow return nothing: no busy loop. But
/// descriptors coming free make no edge either, and the client waits
/// until some other client connects, whose edge finally runs the accept
/// loop, which then takes both. Nothing serves the waiting client in
/// between, however long that is: in `check_out_of_fds`,
/// `newcomers_served_later` is the field that turns false.
///
/// With `edge` false the listener is registered level-triggered (`IN`
/// alone), for comparison: every one of those waits returns it again.
pub fn listener_after_a_failed_accept(edge: bool) -> io::Result<StuckListener> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(named("bind"))?;
    listener
        .set_nonblocking(true)
        .map_err(named("fcntl(O_NONBLOCK)"))?;
    let addr = listener.local_addr().map_err(named("getsockname"))?;
    let epoll = epoll::create(epoll::CreateFlags::CLOEXEC).map_err(named("epoll_create1"))?;
    let flags = if edge {
        epoll::EventFlags::IN | epoll::EventFlags::ET
    } else {
        epoll::EventFlags::IN
    };
    epoll::add(&epoll, &listener, epoll::EventData::new_u64(0), flags)
        .map_err(named("epoll_ctl(ADD)"))?;
    let wait = |timeout: Duration| -> io::Result<usize> {
        let mut events: Vec<epoll::Event> = Vec::with_capacity(4);
        let timeout = Timespec::try_from(timeout)
            .map_err(|_| io::Error::new(ErrorKind::InvalidInput, "epoll_wait: timeout"))?;
        epoll::wait(&epoll, spare_capacity(&mut events), Some(&timeout))
            .map_err(named("epoll_wait"))?;
        Ok(events.len())
    };

    let _first = TcpStream::connect(addr).map_err(named("connect"))?;
    if wait(Duration::from_secs(5))? != 1 {
        return Err(io::Error::new(
            ErrorKind::TimedOut,
            "epoll_wait: no event for the first client",
        ));
    }
    // accept4 failed with EMFILE, taken for EAGAIN: back to waiting.
    let mut events_while_stuck = 0;
    for _ in 0..3 {
        events_while_stuck += wait(Duration::ZERO)?;
    }

    let _second = TcpStream::connect(addr).map_err(named("connect"))?;
    let events_after_a_newcomer = wait(Duration::from_secs(5))?;
    let mut accepted = Vec::new();
    loop {
        match accept_with(&listener, SocketFlags::NONBLOCK | SocketFlags::CLOEXEC) {
            Ok(socket) => accepted.push(socket),
            Err(rustix::io::Errno::AGAIN) => break,
            Err(err) => return Err(named("accept4")(err)),
        }
    }
    Ok(StuckListener {
        events_while_stuck,
        events_after_a_newcomer,
        accepted_then: accepted.len(),
    })
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
/// One entry of an epoll instance's interest list, from
/// `/proc/self/fdinfo/<epfd>`: what the fd is, and its event mask.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where `/proc/self/fd/<fd>` points: `anon_inode:[timerfd]`, ...
    pub kind: String,
    pub events: u32,
}

/// The interest list of the epoll instance `epfd`, sorted by kind.
pub fn interest_list(epfd: BorrowedFd<'_>) -> io::Result<Vec<Entry>> {
    let path = format!("/proc/self/fdinfo/{}", epfd.as_raw_fd());
    let info = fs::read_to_string(&path).map_err(named(format!("reading {path}")))?;
    let mut entries = Vec::new();
    for line in info.lines().filter(|line| line.starts_with("tfd:")) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let after = |label: &str| {
            words
                .iter()
                .position(|w| *w == label)
                .map(|at| words[at + 1])
        };
        let bad = || io::Error::new(ErrorKind::InvalidData, format!("fdinfo line: {line}"));
        let fd: RawFd = after("tfd:").and_then(|w| w.parse().ok()).ok_or_else(bad)?;
        let events = after("events:")
            .and_then(|w| u32::from_str_radix(w, 16).ok())
            .ok_or_else(bad)?;
        let link = format!("/proc/self/fd/{fd}");
        let kind = fs::read_link(&link).map_err(named(format!("readlink {link}")))?;
        entries.push(Entry {
            kind: kind.to_string_lossy().into_owned(),
            events,
        });
    }
    entries.sort_by(|a, b| a.kind.cmp(&b.kind));
    Ok(entries)
}

/// What calloop's loop keeps in its own epoll instance: right after it is
/// made, after a dispatch with a 1 ms timeout (nothing else in the loop,
/// so the timeout passes), and after one that does not wait.
///
/// calloop's `polling` adds two fds of its own, both one-shot: an eventfd
/// for `LoopSignal` wake-ups, and a timerfd that carries the wait's
/// timeout. Before every `epoll_wait` it sets the timerfd
/// (`timerfd_settime`) and re-arms it (`MOD`); after every wait it reads
/// the eventfd, to clear a wake-up, and re-arms it (`MOD`). A one-shot entry that has fired keeps only its
/// `EPOLLONESHOT` bit in the kernel (`man 2 epoll_ctl`: "disabled"), which
/// is how the timer's entry looks after the wait its timeout ended, until
/// the next wait re-arms it.
pub fn calloop_instance() -> io::Result<[Vec<Entry>; 3]> {
    let mut event_loop: calloop::EventLoop<'_, ()> =
        calloop::EventLoop::try_new().map_err(named("EventLoop::try_new"))?;
    let made = interest_list(event_loop.as_fd())?;
    event_loop
        .dispatch(Some(Duration::from_millis(1)), &mut ())
        .map_err(named("dispatch"))?;
    let timed_out = interest_list(event_loop.as_fd())?;
    event_loop
        .dispatch(Some(Duration::ZERO), &mut ())
        .map_err(named("dispatch"))?;
    let looked = interest_list(event_loop.as_fd())?;
    Ok([made, timed_out, looked])
}
// ANCHOR_END: exercise_3
