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

use crate::{fd_limit, last_error};
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
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
    /// Median nanoseconds per `poll` call.
    pub poll_ns: f64,
    /// How many `epoll_wait` calls were made (and checked) for this row.
    pub epoll_calls: u64,
    /// How many `poll` calls were made (and checked) for this row.
    pub poll_calls: u64,
}

impl Row {
    /// How many times longer a `poll` call takes than an `epoll_wait` call.
    pub fn ratio(&self) -> f64 {
        self.poll_ns / self.epoll_ns
    }
}

/// The result of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// One row per size measured.
    pub rows: Vec<Row>,
    /// The largest N that fits under `RLIMIT_NOFILE`, if some size asked
    /// for was above it (and was measured at this N instead).
    pub cap: Option<usize>,
}

/// N idle eventfds and one ready one, registered with an epoll instance and
/// listed in a `pollfd` array. Dropping it closes every fd it opened.
#[derive(Debug)]
pub struct FdSet {
    epoll: Epoll,
    /// The idle fds, then the ready one.
    fds: Vec<OwnedFd>,
    pollfds: Vec<libc::pollfd>,
}

impl FdSet {
    /// Opens `idle` idle eventfds and one ready one. The idle fd at index
    /// `i` has token `i`; the ready fd is last, with token `idle`, both in
    /// the epoll instance and in the `pollfd` array.
    pub fn new(idle: usize) -> io::Result<FdSet> {
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
            epoll,
            fds,
            pollfds,
        })
    }

    /// How many idle fds the set holds (the ready fd's token).
    pub fn idle_count(&self) -> usize {
        self.fds.len() - 1
    }

    /// Makes idle fd `index` ready too (its counter becomes 1), so that the
    /// checks of the timed calls have something to refuse.
    /// Panics if `index` is not below [`idle_count`](FdSet::idle_count).
    pub fn wake_idle(&self, index: usize) -> io::Result<()> {
        assert!(index < self.idle_count(), "no idle fd {index}");
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
    let (poll_ns, poll_calls) = measure(config, |calls| set.time_poll(calls))?;
    Ok(Row {
        idle,
        epoll_ns,
        poll_ns,
        epoll_calls,
        poll_calls,
    })
}

/// Runs the measurement at every size of `config`. A size above
/// [`max_idle`] is measured at `max_idle` instead (once), and the report
/// says so in [`Report::cap`].
pub fn run(config: &Config) -> io::Result<Report> {
    let fit = max_idle()?;
    let mut cap = None;
    let mut rows: Vec<Row> = Vec::new();
    for &asked in &config.sizes {
        let idle = if asked > fit {
            cap = Some(fit);
            fit
        } else {
            asked
        };
        if rows.last().is_some_and(|row| row.idle == idle) {
            continue;
        }
        rows.push(measure_size(config, idle)?);
    }
    Ok(Report { rows, cap })
}
