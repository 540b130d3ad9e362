//! The load generator of the echo measurements: closed-loop ping-pong over
//! loopback TCP.
//!
//! A [`Client`] opens N connections to an echo server. Each connection has
//! exactly one message in flight: it sends a message, waits until every
//! byte has come back, checks every byte, and sends the next. The time
//! from the first byte sent to the last byte back is that round trip's
//! latency. With one message in flight per connection, the server can
//! never have more than N messages to work on, so the load is the same for
//! every server and a faster server simply gets more round trips done.
//!
//! The client runs on one thread with its own `epoll` instance (the book's
//! [`Epoll`]), level-triggered, one read per event, so that its own cost
//! per round trip is the same whatever server it talks to: `epoll_wait`,
//! one `recvfrom`, one `sendto`.
//!
//! Every message carries a sequence number in its first 8 bytes, and the
//! rest is a fixed pseudo-random pattern, so a lost, repeated, reordered or
//! corrupted byte is an error, never a figure.

use ch04_libc_and_a_safe_wrapper::{ERR, Epoll, Events, HUP, IN, OUT};
use echo_harness::prng::ByteStream;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long the client waits for any echo before it gives up on the
/// server: a stuck server is an error, not a hang.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(10);

/// The smallest message: the sequence number takes 8 bytes.
pub const MIN_MESSAGE: usize = 8;

/// The shape of a load: how many connections, and how big a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Load {
    /// Connections, each with one message in flight.
    pub connections: usize,
    /// Bytes per message, each way.
    pub message: usize,
}

impl Load {
    /// A short label for tables and plots: `64 × 64 B`, `1000 × 16 KiB`.
    pub fn label(&self) -> String {
        let size = if self.message >= 1024 && self.message.is_multiple_of(1024) {
            format!("{} KiB", self.message / 1024)
        } else {
            format!("{} B", self.message)
        };
        format!("{} × {}", self.connections, size)
    }
}

/// When [`Client::run`] stops sending new messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// After this long.
    Elapsed(Duration),
    /// After this many round trips, over all connections together.
    RoundTrips(u64),
}

/// What one [`Client::run`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sample {
    /// Round trips completed and checked.
    pub round_trips: u64,
    /// From the first message sent to the last echo received.
    pub elapsed: Duration,
    /// Every round trip's latency, in nanoseconds, in completion order.
    pub latencies_ns: Vec<u64>,
}

/// One connection's state.
struct Conn {
    stream: TcpStream,
    /// The message in flight: sequence number, then the pattern.
    tx: Vec<u8>,
    /// Bytes of `tx` written so far.
    written: usize,
    /// The echo so far.
    rx: Vec<u8>,
    /// Bytes of `rx` received so far.
    received: usize,
    /// The sequence number of the message in flight.
    seq: u64,
    /// When its first byte was sent; `None` while idle.
    sent_at: Option<Instant>,
    /// Registered for `EPOLLOUT` too: a write was short.
    waiting_to_write: bool,
}

/// N connections to one server, ready to play ping-pong.
pub struct Client {
    epoll: Epoll,
    events: Events,
    conns: Vec<Conn>,
    /// The pattern after each message's sequence number.
    pattern: Vec<u8>,
    load: Load,
    /// The last wait's events: token and flags.
    ready: Vec<(usize, u32)>,
}

impl Client {
    /// Opens `load.connections` connections to `addr`. Connections are
    /// made one at a time, with `TCP_NODELAY` so that no small message
    /// waits for an acknowledgement.
    pub fn connect(addr: SocketAddr, load: Load) -> io::Result<Client> {
        if load.connections == 0 || load.message < MIN_MESSAGE {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "a load needs at least 1 connection and {MIN_MESSAGE}-byte messages, not {load:?}"
                ),
            ));
        }
        let epoll = Epoll::new()?;
        let mut pattern = vec![0; load.message];
        ByteStream::new(load.message as u64).fill(&mut pattern);
        let mut conns = Vec::with_capacity(load.connections);
        for index in 0..load.connections {
            let stream = TcpStream::connect(addr)
                .map_err(|e| named(e, format!("connect({addr}), connection {index}")))?;
            stream.set_nodelay(true)?;
            stream.set_nonblocking(true)?;
            epoll.add(&stream, IN, index as u64)?;
            conns.push(Conn {
                stream,
                tx: pattern.clone(),
                written: 0,
                rx: vec![0; load.message],
                received: 0,
                // Different connections carry different numbers, so that
                // an echo on the wrong connection is caught too.
                seq: (index as u64) << 40,
                sent_at: None,
                waiting_to_write: false,
            });
        }
        Ok(Client {
            epoll,
            events: Events::with_capacity(load.connections.min(1024)),
            conns,
            pattern,
            load,
            ready: Vec::new(),
        })
    }

    /// The load it was made for.
    pub fn load(&self) -> Load {
        self.load
    }

    /// Plays ping-pong on every connection until `until`, then lets the
    /// messages in flight come back, so that nothing is left in flight
    /// when it returns. Latencies are recorded only if `record`.
    pub fn run(&mut self, until: Until, record: bool) -> io::Result<Sample> {
        let mut sample = Sample::default();
        let start = Instant::now();
        let deadline = match until {
            Until::Elapsed(d) => Some(start + d),
            Until::RoundTrips(_) => None,
        };
        let limit = match until {
            Until::RoundTrips(n) => n,
            Until::Elapsed(_) => u64::MAX,
        };
        let mut started = 0u64;
        let mut in_flight = 0usize;
        for index in 0..self.conns.len() {
            if started == limit {
                break;
            }
            self.send(index)?;
            started += 1;
            in_flight += 1;
        }
        let mut sending = true;
        while in_flight > 0 {
            if sending && deadline.is_some_and(|d| Instant::now() >= d) {
                sending = false;
            }
            let n = self.epoll.wait(&mut self.events, Some(STALL_TIMEOUT))?;
            if n == 0 {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    format!("no echo for {STALL_TIMEOUT:?} with {in_flight} messages in flight"),
                ));
            }
            // The events are copied out of the buffer, which `self` owns,
            // into a list kept from call to call: no allocation per wait.
            let mut ready = std::mem::take(&mut self.ready);
            ready.clear();
            ready.extend(self.events.iter().map(|e| (e.token() as usize, e.events())));
            for &(index, flags) in &ready {
                if flags & OUT != 0 {
                    self.write_more(index)?;
                }
                if flags & (IN | HUP | ERR) == 0 {
                    continue;
                }
                let Some(latency) = self.read_echo(index)? else {
                    continue;
                };
                in_flight -= 1;
                sample.round_trips += 1;
                if record {
                    sample.latencies_ns.push(latency.as_nanos() as u64);
                }
                if sending && started < limit {
                    self.send(index)?;
                    started += 1;
                    in_flight += 1;
                }
            }
            self.ready = ready;
        }
        sample.elapsed = start.elapsed();
        Ok(sample)
    }

    /// Starts the next message on connection `index`.
    fn send(&mut self, index: usize) -> io::Result<()> {
        let conn = &mut self.conns[index];
        conn.seq += 1;
        conn.tx[..MIN_MESSAGE].copy_from_slice(&conn.seq.to_le_bytes());
        conn.written = 0;
        conn.received = 0;
        conn.sent_at = Some(Instant::now());
        self.write_more(index)
    }

    /// Writes what the kernel takes of the message in flight; asks for
    /// `EPOLLOUT` while some is left, and stops asking once it is all out.
    fn write_more(&mut self, index: usize) -> io::Result<()> {
        let conn = &mut self.conns[index];
        while conn.written < conn.tx.len() {
            match (&conn.stream).write(&conn.tx[conn.written..]) {
                Ok(0) => return Err(ErrorKind::WriteZero.into()),
                Ok(n) => conn.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(named(e, format!("send on connection {index}"))),
            }
        }
        let want_out = conn.written < conn.tx.len();
        if want_out != conn.waiting_to_write {
            let mask = if want_out { IN | OUT } else { IN };
            self.epoll.modify(&conn.stream, mask, index as u64)?;
            conn.waiting_to_write = want_out;
        }
        Ok(())
    }

    /// One read on connection `index`. When the echo is complete, checks
    /// it and returns the round trip's latency.
    fn read_echo(&mut self, index: usize) -> io::Result<Option<Duration>> {
        let conn = &mut self.conns[index];
        let Some(sent_at) = conn.sent_at else {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!("connection {index}: the server sent bytes nobody asked for"),
            ));
        };
        let n = match (&conn.stream).read(&mut conn.rx[conn.received..]) {
            Ok(0) => {
                return Err(io::Error::new(
                    ErrorKind::UnexpectedEof,
                    format!(
                        "connection {index}: the server closed it with {} of {} bytes echoed",
                        conn.received,
                        conn.rx.len()
                    ),
                ));
            }
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {
                return Ok(None);
            }
            Err(e) => return Err(named(e, format!("recv on connection {index}"))),
        };
        conn.received += n;
        if conn.received < conn.rx.len() {
            return Ok(None);
        }
        let latency = sent_at.elapsed();
        conn.sent_at = None;
        if conn.rx[..MIN_MESSAGE] != conn.seq.to_le_bytes()
            || conn.rx[MIN_MESSAGE..] != self.pattern[MIN_MESSAGE..]
        {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!("connection {index}: message {} came back changed", conn.seq),
            ));
        }
        Ok(Some(latency))
    }
}

/// An error that says what the client was doing, keeping the kind.
fn named(error: io::Error, what: String) -> io::Error {
    io::Error::new(error.kind(), format!("{what}: {error}"))
}

/// The `pct` percentile of `values` (nearest rank), which it sorts; 0 for
/// none.
pub fn percentile(values: &mut [u64], pct: f64) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    // pct × n first: for a whole pct and n the product is exact, and so is
    // the rank (0.07 × 100 would be 7.000000000000001, rank 8).
    let rank = (pct * values.len() as f64 / 100.0).ceil() as usize;
    values[rank.clamp(1, values.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_is_the_nearest_rank_of_the_sorted_values() {
        // 1..=100 in a scrambled order: the p-th percentile is p itself.
        let mut values: Vec<u64> = (1..=100).map(|i| (i * 37) % 101).collect();
        assert_eq!(values.len(), 100);
        assert_eq!(percentile(&mut values, 50.0), 50);
        assert_eq!(percentile(&mut values, 99.0), 99);
        assert_eq!(percentile(&mut values, 100.0), 100);
        assert_eq!(percentile(&mut values, 0.0), 1, "p0 is the smallest");
        assert!(values.is_sorted(), "percentile sorts what it is given");
        // Every whole percentile of 1..=100 is itself, and of 1..=1000 ten
        // times itself: no rounding error moves a rank.
        for pct in 1..=100u64 {
            assert_eq!(
                percentile(&mut values, pct as f64),
                pct,
                "p{pct} of 1..=100"
            );
        }
        let mut thousand: Vec<u64> = (1..=1000).collect();
        for pct in 1..=100u64 {
            assert_eq!(
                percentile(&mut thousand, pct as f64),
                10 * pct,
                "p{pct} of 1..=1000"
            );
        }

        // Between ranks, the next rank up: ceil(p / 100 × n).
        let mut four = [40, 10, 30, 20];
        assert_eq!(percentile(&mut four, 25.0), 10);
        assert_eq!(percentile(&mut four, 26.0), 20);
        assert_eq!(percentile(&mut four, 50.0), 20);
        assert_eq!(percentile(&mut four, 75.0), 30);
        assert_eq!(percentile(&mut four, 76.0), 40);
        assert_eq!(percentile(&mut [7], 1.0), 7);
        assert_eq!(percentile(&mut [7], 99.0), 7);
    }

    #[test]
    fn percentile_of_nothing_is_zero() {
        assert_eq!(percentile(&mut [], 50.0), 0);
        assert_eq!(percentile(&mut [], 99.0), 0);
    }

    #[test]
    fn load_labels_use_kib_only_for_whole_kibibytes() {
        let label = |connections, message| {
            Load {
                connections,
                message,
            }
            .label()
        };
        assert_eq!(label(64, 64), "64 × 64 B");
        assert_eq!(label(1000, 16 * 1024), "1000 × 16 KiB");
        assert_eq!(label(3, 1000), "3 × 1000 B");
        assert_eq!(label(1, 1024), "1 × 1 KiB");
        assert_eq!(label(1, 1536), "1 × 1536 B");
        assert_eq!(label(2, 1024 * 1024), "2 × 1024 KiB");
    }
}
