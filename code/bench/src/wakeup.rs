//! Measurement 4, wakeup: how long one thread takes to wake another that
//! is blocked, and to be woken back by it.
//!
//! Two threads play ping-pong. The main thread wakes the echo thread and
//! blocks; the echo thread, blocked until then, returns from its wait,
//! wakes the main thread and blocks again. One round trip is therefore two
//! wake-ups of a blocked thread, and it is timed from the main thread's
//! wake to the moment its own wait returns. Three ways to block and wake
//! are measured:
//!
//! - the book's [`Waker`] (chapter 5), each thread blocked in its own
//!   [`Epoll::wait`] with no timeout;
//! - `mio::Waker`, each thread blocked in its own `mio::Poll::poll` with no
//!   timeout;
//! - `std::thread::park` and `Thread::unpark`, with a counter per thread
//!   so that a spurious return from `park` is never taken for a wake.
//!
//! Every wake sent is counted, and every wake received: a run where they
//! differ is an error, never a figure.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events};
use ch05_eventfd_wakeups::Waker;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, OnceLock};
use std::thread::{self, Thread};
use std::time::{Duration, Instant};

/// How many round trips to time per way of waking.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Round trips per way; every one is timed.
    pub round_trips: usize,
}

impl Config {
    /// The book's measurement: 20,000 round trips per way.
    pub fn full() -> Config {
        Config {
            round_trips: 20_000,
        }
    }

    /// A small run for CI: 1,000 round trips per way.
    pub fn quick() -> Config {
        Config { round_trips: 1_000 }
    }
}

/// The figures and the counts of one way of waking.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Median round trip, in microseconds.
    pub median_us: f64,
    /// 99th percentile round trip, in microseconds.
    pub p99_us: f64,
    /// Round trips timed.
    pub round_trips: usize,
    /// Wakes sent, by both threads together.
    pub wakes_sent: u64,
    /// Wakes received, by both threads together.
    pub wakes_received: u64,
    /// Threads started and joined for the measurement (the echo thread).
    pub threads_joined: usize,
}

/// The result of a run: one [`Stats`] per way of waking.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The book's `Waker`, threads blocked in `Epoll::wait`.
    pub book: Stats,
    /// `mio::Waker`, threads blocked in `mio::Poll::poll`.
    pub mio: Stats,
    /// `thread::park` and `Thread::unpark`.
    pub park: Stats,
}

/// One thread's end of the ping-pong.
trait End: Send {
    /// Called on the thread that will use this end, before the game.
    fn start(&mut self) {}
    /// Blocks until at least one wake has come; returns how many came.
    fn wait(&mut self) -> io::Result<u64>;
    /// Wakes the other end.
    fn wake_peer(&self) -> io::Result<()>;
}

/// The book's way: an epoll instance with a `Waker` registered in it, and
/// a clone of the other thread's `Waker`.
struct BookEnd {
    epoll: Epoll,
    events: Events,
    own: Waker,
    peer: Waker,
}

impl End for BookEnd {
    fn wait(&mut self) -> io::Result<u64> {
        loop {
            self.epoll.wait(&mut self.events, None)?;
            let mut woken = 0;
            for event in &self.events {
                if event.token() != self.own.token() {
                    return Err(io::Error::other(format!(
                        "epoll_wait reported token {}, registered only {}",
                        event.token(),
                        self.own.token()
                    )));
                }
                woken += self.own.drain()?;
            }
            if woken > 0 {
                return Ok(woken);
            }
        }
    }

    fn wake_peer(&self) -> io::Result<()> {
        self.peer.wake()
    }
}

fn book_pair() -> io::Result<(BookEnd, BookEnd)> {
    const TOKEN: u64 = 7;
    let epoll_a = Epoll::new()?;
    let waker_a = Waker::new(&epoll_a, TOKEN)?;
    let epoll_b = Epoll::new()?;
    let waker_b = Waker::new(&epoll_b, TOKEN)?;
    let a = BookEnd {
        epoll: epoll_a,
        events: Events::with_capacity(4),
        own: waker_a.clone(),
        peer: waker_b.clone(),
    };
    let b = BookEnd {
        epoll: epoll_b,
        events: Events::with_capacity(4),
        own: waker_b,
        peer: waker_a,
    };
    Ok((a, b))
}

/// mio's way: a `Poll` with a `mio::Waker` registered in it, and the other
/// thread's `mio::Waker`. mio's waker needs no draining: it is registered
/// edge-triggered, so each wake is one event.
struct MioEnd {
    poll: mio::Poll,
    events: mio::Events,
    /// Keeps this end's waker (its eventfd) open while the end waits.
    _own: Arc<mio::Waker>,
    peer: Arc<mio::Waker>,
}

const MIO_TOKEN: mio::Token = mio::Token(7);

impl End for MioEnd {
    fn wait(&mut self) -> io::Result<u64> {
        loop {
            match self.poll.poll(&mut self.events, None) {
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                result => result?,
            }
            let mut woken = 0;
            for event in &self.events {
                if event.token() != MIO_TOKEN {
                    return Err(io::Error::other(format!(
                        "mio::Poll::poll reported {:?}, registered only {MIO_TOKEN:?}",
                        event.token()
                    )));
                }
                woken += 1;
            }
            if woken > 0 {
                return Ok(woken);
            }
        }
    }

    fn wake_peer(&self) -> io::Result<()> {
        self.peer.wake()
    }
}

fn mio_pair() -> io::Result<(MioEnd, MioEnd)> {
    let poll_a = mio::Poll::new()?;
    let waker_a = Arc::new(mio::Waker::new(poll_a.registry(), MIO_TOKEN)?);
    let poll_b = mio::Poll::new()?;
    let waker_b = Arc::new(mio::Waker::new(poll_b.registry(), MIO_TOKEN)?);
    let a = MioEnd {
        poll: poll_a,
        events: mio::Events::with_capacity(4),
        _own: Arc::clone(&waker_a),
        peer: Arc::clone(&waker_b),
    };
    let b = MioEnd {
        poll: poll_b,
        events: mio::Events::with_capacity(4),
        _own: waker_b,
        peer: waker_a,
    };
    Ok((a, b))
}

/// The standard library's way: each thread parks until its counter of
/// pending wakes is above 0; the waker adds 1 to the other's counter, then
/// unparks it. `park` may return with no unpark, so the counter, not the
/// return, says whether a wake came.
struct ParkEnd {
    inbox: Arc<AtomicU64>,
    me: Arc<OnceLock<Thread>>,
    peer_inbox: Arc<AtomicU64>,
    peer: Arc<OnceLock<Thread>>,
}

impl End for ParkEnd {
    fn start(&mut self) {
        // Set once: each end starts on one thread only.
        let _ = self.me.set(thread::current());
    }

    fn wait(&mut self) -> io::Result<u64> {
        loop {
            let woken = self.inbox.swap(0, Ordering::Acquire);
            if woken > 0 {
                return Ok(woken);
            }
            thread::park();
        }
    }

    fn wake_peer(&self) -> io::Result<()> {
        self.peer_inbox.fetch_add(1, Ordering::Release);
        // Both ends have started before either wakes (see `ping_pong`).
        let peer = self
            .peer
            .get()
            .ok_or_else(|| io::Error::other("woke a thread that has not started"))?;
        peer.unpark();
        Ok(())
    }
}

fn park_pair() -> (ParkEnd, ParkEnd) {
    let inbox_a = Arc::new(AtomicU64::new(0));
    let thread_a = Arc::new(OnceLock::new());
    let inbox_b = Arc::new(AtomicU64::new(0));
    let thread_b = Arc::new(OnceLock::new());
    let a = ParkEnd {
        inbox: Arc::clone(&inbox_a),
        me: Arc::clone(&thread_a),
        peer_inbox: Arc::clone(&inbox_b),
        peer: Arc::clone(&thread_b),
    };
    let b = ParkEnd {
        inbox: inbox_b,
        me: thread_b,
        peer_inbox: inbox_a,
        peer: thread_a,
    };
    (a, b)
}

/// Plays `round_trips` round trips: `main` on this thread, `echo` on a new
/// one, which is joined before this returns, whatever happens. If either
/// side fails it raises `failed` and wakes the other, which then stops.
fn ping_pong(
    round_trips: usize,
    mut main: impl End,
    echo: impl End + 'static,
) -> io::Result<Stats> {
    let failed = Arc::new(AtomicBool::new(false));
    let ready = Arc::new(Barrier::new(2));
    let echo_thread = {
        let failed = Arc::clone(&failed);
        let ready = Arc::clone(&ready);
        thread::Builder::new().name("wakeup-echo".into()).spawn(
            move || -> io::Result<(u64, u64)> {
                let mut echo = echo;
                echo.start();
                ready.wait();
                let (mut sent, mut received) = (0, 0);
                let result = (|| -> io::Result<()> {
                    for _ in 0..round_trips {
                        let woken = echo.wait()?;
                        if failed.load(Ordering::Acquire) {
                            break;
                        }
                        received += woken;
                        echo.wake_peer()?;
                        sent += 1;
                    }
                    Ok(())
                })();
                if result.is_err() {
                    failed.store(true, Ordering::Release);
                    let _ = echo.wake_peer();
                }
                result.map(|()| (sent, received))
            },
        )?
    };
    main.start();
    ready.wait();
    let mut times = Vec::with_capacity(round_trips);
    let (mut sent, mut received) = (0, 0);
    let result = (|| -> io::Result<()> {
        for _ in 0..round_trips {
            let start = Instant::now();
            main.wake_peer()?;
            sent += 1;
            let woken = main.wait()?;
            let time = start.elapsed();
            if failed.load(Ordering::Acquire) {
                break;
            }
            received += woken;
            times.push(time);
        }
        Ok(())
    })();
    if result.is_err() {
        failed.store(true, Ordering::Release);
        let _ = main.wake_peer();
    }
    let echo_result = echo_thread
        .join()
        .map_err(|_| io::Error::other("the echo thread panicked"))?;
    result?;
    let (echo_sent, echo_received) = echo_result?;
    let stats = Stats {
        median_us: percentile_us(&mut times, 50),
        p99_us: percentile_us(&mut times, 99),
        round_trips: times.len(),
        wakes_sent: sent + echo_sent,
        wakes_received: received + echo_received,
        threads_joined: 1,
    };
    if stats.round_trips != round_trips || stats.wakes_sent != stats.wakes_received {
        return Err(io::Error::other(format!(
            "wakes lost or invented: {stats:?}, {round_trips} round trips asked for"
        )));
    }
    Ok(stats)
}

/// The `pct`th percentile of `times` in microseconds (sorts `times`).
fn percentile_us(times: &mut [Duration], pct: usize) -> f64 {
    if times.is_empty() {
        return f64::NAN;
    }
    times.sort_unstable();
    let index = (times.len() * pct / 100).min(times.len() - 1);
    times[index].as_secs_f64() * 1e6
}

/// Round trips with the book's `Waker`, threads blocked in `Epoll::wait`.
pub fn measure_book(round_trips: usize) -> io::Result<Stats> {
    let (main, echo) = book_pair()?;
    ping_pong(round_trips, main, echo)
}

/// Round trips with `mio::Waker`, threads blocked in `mio::Poll::poll`.
pub fn measure_mio(round_trips: usize) -> io::Result<Stats> {
    let (main, echo) = mio_pair()?;
    ping_pong(round_trips, main, echo)
}

/// Round trips with `thread::park` and `Thread::unpark`.
pub fn measure_park(round_trips: usize) -> io::Result<Stats> {
    let (main, echo) = park_pair();
    ping_pong(round_trips, main, echo)
}

/// Measures the three ways, one after the other.
pub fn run(config: &Config) -> io::Result<Report> {
    Ok(Report {
        book: measure_book(config.round_trips)?,
        mio: measure_mio(config.round_trips)?,
        park: measure_park(config.round_trips)?,
    })
}
