//! Measurement 3, scaling: one `epoll_wait` against one `poll(2)` while N
//! idle fds are registered and one fd is ready.
//!
//! Every fd is an eventfd: created with a counter of 0 it is idle (never
//! readable), created with a counter of 1 it is ready (readable until read,
//! and nothing reads it). So one set of N + 1 descriptors serves both
//! calls: an epoll instance watches all of them for `EPOLLIN`, and a
//! `pollfd` array lists the same ones for `POLLIN`. Both calls are made
//! with a timeout of 0; as one fd is always ready neither ever sleeps.
//!
//! epoll finds the ready fd on its ready list, whatever N is; `poll` asks
//! every one of the N + 1 files on every call. Each timed call is checked:
//! it must report exactly one fd, the ready one, or the run fails.
//!
//! A process may hold only `RLIMIT_NOFILE` fds, and on a machine where the
//! hard limit is below N + 1 and the process may not raise it, the N idle
//! eventfds cannot all be open in it. epoll does not need them to be: an
//! entry stays in the interest list until every fd of its open file
//! description is closed (`man 7 epoll`), whichever process holds them.
//! So the set is built in batches: open a batch, register it, fork a
//! *holder* process that inherits the batch's fds and does nothing but wait,
//! close the batch here, and go on with the next. `poll` has no such way
//! around the limit (its `nfds` may not exceed `RLIMIT_NOFILE`, `man 2
//! poll`, and every fd in its array must be open in the caller), so such a
//! row has an `epoll_wait` figure only.

use crate::{fd_limit, last_error};
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::{Duration, Instant};

/// The sizes the book reports: N idle fds besides the ready one.
pub const FULL_SIZES: [usize; 5] = [10, 100, 1_000, 10_000, 100_000];

/// What to measure and for how long.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The numbers of idle fds to measure, in order.
    pub sizes: Vec<usize>,
    /// How long one round of timed calls should last, per size and per call.
    pub round: Duration,
    /// How many rounds per size and call; the median round is reported.
    pub rounds: usize,
}

impl Config {
    /// The book's measurement: every size of [`FULL_SIZES`], about 100 ms
    /// of calls per point (five rounds of 20 ms).
    pub fn full() -> Config {
        Config {
            sizes: FULL_SIZES.to_vec(),
            round: Duration::from_millis(20),
            rounds: 5,
        }
    }

    /// A small run for CI: up to 1,000 idle fds, a few milliseconds a point.
    pub fn quick() -> Config {
        Config {
            sizes: vec![10, 100, 1_000],
            round: Duration::from_millis(1),
            rounds: 3,
        }
    }
}

/// One line of the table.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// Idle fds registered besides the ready one.
    pub idle: usize,
    /// Median nanoseconds per `epoll_wait` call.
    pub epoll_ns: f64,
    /// Median nanoseconds per `poll` call, or `None` if N + 1 fds do not
    /// fit in this process, which `poll` needs.
    pub poll_ns: Option<f64>,
    /// How many `epoll_wait` calls were made (and checked) for this row.
    pub epoll_calls: u64,
    /// How many `poll` calls were made (and checked) for this row.
    pub poll_calls: u64,
    /// How many of the idle fds were held open by holder processes.
    pub parked: usize,
}

impl Row {
    /// How many times longer a `poll` call takes than an `epoll_wait` call.
    pub fn ratio(&self) -> Option<f64> {
        self.poll_ns.map(|poll| poll / self.epoll_ns)
    }
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// One row per size measured.
    pub rows: Vec<Row>,
    /// The largest N that fits in this process under `RLIMIT_NOFILE`, if
    /// some size asked for was above it: that row's idle fds were held by
    /// holder processes, and `poll` was not measured.
    pub fit: Option<usize>,
}

/// N idle eventfds and one ready one, registered with an epoll instance and
/// listed in a `pollfd` array. Dropping it closes every fd it opened and
/// ends its holder processes.
#[derive(Debug)]
pub struct FdSet {
    // Declared first, so dropped first: the holders exit, closing the
    // parked fds, before the instance closes.
    holders: Option<Holders>,
    epoll: Epoll,
    /// The idle fds open in this process, then the ready one.
    fds: Vec<OwnedFd>,
    /// Every fd of `fds`; empty if some idle fds are parked.
    pollfds: Vec<libc::pollfd>,
    /// Idle fds registered and held by the holders, not open here.
    parked: usize,
}

impl FdSet {
    /// Opens `idle` idle eventfds and one ready one. The idle fd at index
    /// `i` has token `i`; the ready fd is last, with token `idle`, both in
    /// the epoll instance and in the `pollfd` array. If they do not fit in
    /// this process ([`max_idle`]), the idle ones are parked with holder
    /// processes, in batches that do.
    pub fn new(idle: usize) -> io::Result<FdSet> {
        let fit = max_idle()?;
        if idle <= fit {
            FdSet::here(idle)
        } else {
            FdSet::parked(idle, fit)
        }
    }

    /// Every fd open in this process, in the `pollfd` array too.
    fn here(idle: usize) -> io::Result<FdSet> {
        let epoll = Epoll::new()?;
        let mut fds = Vec::with_capacity(idle + 1);
        for _ in 0..idle {
            fds.push(eventfd(0)?);
        }
        fds.push(eventfd(1)?);
        let mut pollfds = Vec::with_capacity(idle + 1);
        for (token, fd) in fds.iter().enumerate() {
            epoll.add(fd, IN, token as u64)?;
            pollfds.push(libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        Ok(FdSet {
            holders: None,
            epoll,
            fds,
            pollfds,
            parked: 0,
        })
    }

    /// Every idle fd parked: opened, registered and handed to a holder in
    /// batches of at most `batch`, then closed here. Only the ready fd
    /// stays open in this process, and `poll` cannot be used.
    pub fn parked(idle: usize, batch: usize) -> io::Result<FdSet> {
        if batch == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "FdSet::parked: a batch must hold at least one fd",
            ));
        }
        let epoll = Epoll::new()?;
        let mut holders = Holders::new()?;
        let mut token = 0;
        while token < idle {
            let size = batch.min(idle - token);
            let mut fds = Vec::with_capacity(size);
            for _ in 0..size {
                let fd = eventfd(0)?;
                epoll.add(&fd, IN, token as u64)?;
                fds.push(fd);
                token += 1;
            }
            holders.spawn()?;
            // Closed here; the holder's copies keep the entries alive.
            drop(fds);
        }
        holders.close_read_end();
        let ready = eventfd(1)?;
        epoll.add(&ready, IN, idle as u64)?;
        Ok(FdSet {
            holders: Some(holders),
            epoll,
            fds: vec![ready],
            pollfds: Vec::new(),
            parked: idle,
        })
    }

    /// How many idle fds the set holds (the ready fd's token).
    pub fn idle_count(&self) -> usize {
        self.parked + self.fds.len() - 1
    }

    /// The epoll instance's fd, to look at its entries in
    /// `/proc/self/fdinfo`.
    pub fn epoll_fd(&self) -> RawFd {
        self.epoll.as_raw_fd()
    }

    /// How many of them are parked with holder processes.
    pub fn parked_count(&self) -> usize {
        self.parked
    }

    /// Whether `poll` can be used: every fd is open in this process.
    pub fn can_poll(&self) -> bool {
        self.holders.is_none()
    }

    /// Makes idle fd `index` ready too (its counter becomes 1), so that the
    /// checks of the timed calls have something to refuse. Only an idle
    /// fd open in this process can be: a parked one is `Unsupported`.
    /// Panics if `index` is not below [`idle_count`](FdSet::idle_count).
    pub fn wake_idle(&self, index: usize) -> io::Result<()> {
        assert!(index < self.idle_count(), "no idle fd {index}");
        if !self.can_poll() {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "the idle fds are parked with holder processes",
            ));
        }
        write_one(&self.fds[index])
    }

    /// The tokens one `epoll_wait` (through the book's `Epoll::wait`,
    /// timeout 0) reports ready, with room for 64 events.
    pub fn epoll_ready(&self) -> io::Result<Vec<u64>> {
        let mut events = Events::with_capacity(64);
        self.epoll.wait(&mut events, Some(Duration::ZERO))?;
        Ok(events.iter().map(|event| event.token()).collect())
    }

    /// The indices into the `pollfd` array that one `poll` (timeout 0)
    /// reports with any `revents`.
    pub fn poll_ready(&mut self) -> io::Result<Vec<usize>> {
        self.check_can_poll()?;
        self.poll_once()?;
        Ok(self
            .pollfds
            .iter()
            .enumerate()
            .filter(|(_, pollfd)| pollfd.revents != 0)
            .map(|(index, _)| index)
            .collect())
    }

    /// Makes `calls` calls of `epoll_wait` (timeout 0, room for two events)
    /// and returns how long they took. Fails unless every call reports
    /// exactly one event, the ready fd's `EPOLLIN`.
    pub fn time_epoll(&self, calls: u64) -> io::Result<Duration> {
        let token = self.idle_count() as u64;
        let epfd = self.epoll.as_raw_fd();
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; 2];
        let start = Instant::now();
        for _ in 0..calls {
            // SAFETY: `epfd` is the epoll instance `self` owns, open for the
            // whole call; `events` is a live array of 2 epoll_events on this
            // stack frame, and the kernel writes at most `maxevents` = 2.
            let n = unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), 2, 0) };
            if n == -1 {
                return Err(last_error("epoll_wait"));
            }
            let (bits, got) = (events[0].events, events[0].u64);
            if n != 1 || got != token || bits != IN {
                return Err(io::Error::other(format!(
                    "epoll_wait reported {n} event(s), the first with token {got} \
                     and bits {bits:#x}; expected exactly token {token} with EPOLLIN"
                )));
            }
        }
        Ok(start.elapsed())
    }

    /// Makes `calls` calls of `poll` over the whole array (timeout 0) and
    /// returns how long they took. Fails unless every call reports exactly
    /// one fd, the ready one, with `POLLIN`.
    pub fn time_poll(&mut self, calls: u64) -> io::Result<Duration> {
        self.check_can_poll()?;
        let start = Instant::now();
        for _ in 0..calls {
            let n = self.poll_once()?;
            // poll's count is the number of entries with non-zero revents,
            // so 1 and the last entry's POLLIN mean: that one, and no other.
            let revents = self.pollfds[self.idle_count()].revents;
            if n != 1 || revents != libc::POLLIN {
                return Err(io::Error::other(format!(
                    "poll reported {n} fd(s), the ready fd with revents {revents:#x}; \
                     expected exactly the ready fd with POLLIN"
                )));
            }
        }
        Ok(start.elapsed())
    }

    fn check_can_poll(&self) -> io::Result<()> {
        if self.can_poll() {
            return Ok(());
        }
        Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "poll needs all {} fds open in this process; {} are parked",
                self.idle_count() + 1,
                self.parked
            ),
        ))
    }

    /// One `poll` over the whole array with timeout 0; returns its count.
    fn poll_once(&mut self) -> io::Result<usize> {
        let nfds = self.pollfds.len() as libc::nfds_t;
        // SAFETY: `pollfds` is a live array of `nfds` initialised pollfds
        // that `self` owns; the kernel writes only their `revents`. Each fd
        // in it is owned by `self`, so all are open for the call.
        let n = unsafe { libc::poll(self.pollfds.as_mut_ptr(), nfds, 0) };
        usize::try_from(n).map_err(|_| last_error("poll"))
    }
}

/// A new eventfd, close-on-exec and non-blocking, with counter `initial`.
fn eventfd(initial: u32) -> io::Result<OwnedFd> {
    // SAFETY: eventfd takes no pointers; the kernel checks the flags.
    let fd = unsafe { libc::eventfd(initial, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd == -1 {
        return Err(last_error("eventfd"));
    }
    // SAFETY: the kernel just returned `fd`: it is open and nothing else in
    // the program knows it, so the OwnedFd is its one owner.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Adds 1 to an eventfd's counter.
fn write_one(fd: &OwnedFd) -> io::Result<()> {
    let one = 1u64.to_ne_bytes();
    // SAFETY: `fd` is open (borrowed from its owner for the call) and `one`
    // is a live 8-byte buffer the kernel only reads.
    let n = unsafe { libc::write(fd.as_raw_fd(), one.as_ptr().cast(), one.len()) };
    match n {
        8 => Ok(()),
        -1 => Err(last_error("write(eventfd)")),
        _ => Err(io::Error::other(format!(
            "write(eventfd) wrote {n} of 8 bytes"
        ))),
    }
}

/// The largest N a set can have under the current soft `RLIMIT_NOFILE`: the
/// fds already open, the epoll instance and the ready fd must fit too, with
/// a few to spare for the standard library.
pub fn max_idle() -> io::Result<usize> {
    let limit = fd_limit::get()?;
    let open = fd_limit::open_fds()?;
    let spare = 2 + 16;
    let fit = limit.soft.saturating_sub(open + spare);
    Ok(usize::try_from(fit).unwrap_or(usize::MAX))
}

/// Median nanoseconds per call of `timed` (which makes that many calls and
/// returns how long they took), and the total number of calls made: the
/// call count is doubled until one batch lasts at least `round`, then
/// `rounds` batches of that size are timed.
fn measure(
    config: &Config,
    mut timed: impl FnMut(u64) -> io::Result<Duration>,
) -> io::Result<(f64, u64)> {
    let mut calls = 1u64;
    let mut total = 0u64;
    loop {
        let took = timed(calls)?;
        total += calls;
        if took >= config.round {
            break;
        }
        calls *= 2;
    }
    let mut per_call = Vec::with_capacity(config.rounds);
    for _ in 0..config.rounds.max(1) {
        let took = timed(calls)?;
        total += calls;
        per_call.push(took.as_nanos() as f64 / calls as f64);
    }
    per_call.sort_by(f64::total_cmp);
    Ok((per_call[per_call.len() / 2], total))
}

/// Measures one size: builds the set, times both calls, closes the set.
pub fn measure_size(config: &Config, idle: usize) -> io::Result<Row> {
    let mut set = FdSet::new(idle)?;
    let (epoll_ns, epoll_calls) = measure(config, |calls| set.time_epoll(calls))?;
    let (poll_ns, poll_calls) = if set.can_poll() {
        let (ns, calls) = measure(config, |calls| set.time_poll(calls))?;
        (Some(ns), calls)
    } else {
        (None, 0)
    };
    Ok(Row {
        idle,
        epoll_ns,
        poll_ns,
        epoll_calls,
        poll_calls,
        parked: set.parked_count(),
    })
}

/// Runs the measurement at every size of `config`. A size above
/// [`max_idle`] is measured with its idle fds parked, `epoll_wait` only;
/// then [`max_idle`] itself is measured too, the largest N for `poll`, and
/// the report gives it in [`Report::fit`].
pub fn run(config: &Config) -> io::Result<Report> {
    let fit = max_idle()?;
    let over = config.sizes.iter().any(|&idle| idle > fit);
    let mut sizes = config.sizes.clone();
    if over && !sizes.contains(&fit) {
        // The largest N that poll can be measured at too.
        sizes.push(fit);
        sizes.sort_unstable();
    }
    let mut rows = Vec::with_capacity(sizes.len());
    for idle in sizes {
        rows.push(measure_size(config, idle)?);
    }
    Ok(Report {
        rows,
        fit: over.then_some(fit),
    })
}

/// The holder processes of parked fds, and the pipe that keeps them
/// waiting: each blocks reading it, and exits when the read returns, which
/// it does once every write end is closed. Dropping this closes this
/// process's write end and waits for every holder to exit.
#[derive(Debug)]
struct Holders {
    /// `None` once dropped: the holders then read end-of-file.
    write_end: Option<OwnedFd>,
    /// Given to each holder; closed here once the last one is made.
    read_end: Option<OwnedFd>,
    pids: Vec<libc::pid_t>,
}

impl Holders {
    fn new() -> io::Result<Holders> {
        let mut ends = [0 as RawFd; 2];
        // SAFETY: `ends` is a live array of two ints, which pipe2 fills
        // with the read and the write end.
        if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
            return Err(last_error("pipe2"));
        }
        // SAFETY: pipe2 just opened both fds, and nothing else owns them.
        let (read_end, write_end) =
            unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
        Ok(Holders {
            write_end: Some(write_end),
            read_end: Some(read_end),
            pids: Vec::new(),
        })
    }

    /// Forks a holder: a copy of this process that keeps every fd open now
    /// (the batch to park among them) until the pipe is closed.
    fn spawn(&mut self) -> io::Result<()> {
        let (Some(read_end), Some(write_end)) = (&self.read_end, &self.write_end) else {
            return Err(io::Error::other("the holders' pipe is closed"));
        };
        let (read_fd, write_fd) = (read_end.as_raw_fd(), write_end.as_raw_fd());
        // SAFETY: the child runs only async-signal-safe calls (close, read,
        // _exit) on fds it inherited, touches no lock or allocator, and
        // never returns into Rust code: it is safe to fork even with other
        // threads running.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: as above; the byte is a live local the kernel writes.
            unsafe {
                // Its copy of the write end would keep its own read from
                // ever seeing end-of-file.
                libc::close(write_fd);
                let mut byte = 0u8;
                libc::read(read_fd, (&raw mut byte).cast(), 1);
                libc::_exit(0);
            }
        }
        if pid == -1 {
            return Err(last_error("fork"));
        }
        self.pids.push(pid);
        Ok(())
    }

    /// No more holders will be made.
    fn close_read_end(&mut self) {
        self.read_end = None;
    }
}

impl Drop for Holders {
    fn drop(&mut self) {
        self.read_end = None;
        // Every holder's read returns 0 now, and it exits.
        self.write_end = None;
        for &pid in &self.pids {
            let mut status = 0;
            // SAFETY: `pid` is a child of this process that nothing else
            // waits for; `status` is a live int the kernel writes.
            unsafe { libc::waitpid(pid, &mut status, 0) };
        }
    }
}
