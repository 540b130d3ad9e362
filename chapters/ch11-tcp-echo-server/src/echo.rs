//! `Echo`: what one connection does with an event.
//!
//! Each connection's callback owns an `Echo` (its pending output and
//! whether the peer has finished sending) and borrows the loop's
//! [`Shared`] state for the rest: the one read buffer every connection
//! reads into, the limits, the counters. After each event it tells its
//! [`Connection`](crate::Connection) source what to wait for next, and
//! that is where backpressure happens: a connection with too much output
//! pending stops asking for `EPOLLIN`.
//!
//! The read path is the one place where the registration's mode matters:
//! level-triggered it stops at a short read, edge-triggered it reads on
//! until `EAGAIN`, and re-arms the connection when it stops with data
//! perhaps left.
//!
//! I/O goes through std's `Read` and `Write` for `&TcpStream` (`recvfrom`
//! and `sendto` with `MSG_NOSIGNAL`), whose "would block" is an
//! `io::Error` holding only the number: matching it allocates nothing.

use crate::connection::Next;
use crate::outbox::Outbox;
use crate::server::{Closed, Shared};
use ch08_generic_sources::{Interest, Mode, Readiness};
use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;

// ANCHOR: echo
/// One connection's state between events.
#[derive(Debug)]
pub struct Echo {
    /// Bytes read and not yet written back.
    outbox: Outbox,
    /// The peer has shut down its sending side (a read returned 0).
    read_closed: bool,
}
// ANCHOR_END: echo

impl Echo {
    /// A new connection's state: nothing pending. `outbox_capacity` is the
    /// size of the buffer allocated if output ever has to wait.
    pub fn new(outbox_capacity: usize) -> Echo {
        Echo {
            outbox: Outbox::new(outbox_capacity),
            read_closed: false,
        }
    }

    /// Bytes waiting to be written back.
    pub fn pending(&self) -> usize {
        self.outbox.len()
    }

    // ANCHOR: ready
    /// Handles one event for `stream`, and says what to wait for next, or
    /// that the connection is done: the peer finished and got everything
    /// back, or an error (a reset, most often) ended it. Whatever happens
    /// to this connection, the server goes on.
    pub fn ready(&mut self, readiness: Readiness, stream: &TcpStream, shared: &mut Shared) -> Next {
        shared.stats.events += 1;
        let budget_spent = match self.serve(readiness, stream, shared) {
            Ok(budget_spent) => budget_spent,
            Err(error) => {
                shared.closed(Closed::Failed(error.kind()));
                return Next::Close;
            }
        };
        if self.read_closed && self.outbox.is_empty() {
            shared.closed(Closed::Finished);
            return Next::Close;
        }
        let interest = self.interest(shared.max_pending);
        // ANCHOR: rearm
        // Edge-triggered, bytes left in the socket make no new edge, so
        // no wait would report them again. A `MOD`, even to the same
        // interest, makes the kernel look at the socket anew and report it
        // once more if it is still readable (chapter 3).
        if budget_spent && shared.mode == Mode::Edge {
            return Next::Rearm(interest);
        }
        // ANCHOR_END: rearm
        Next::Wait(interest)
    }

    /// The I/O of one event. Returns whether the read path stopped at
    /// `reads_per_event`, with data perhaps left in the socket.
    fn serve(
        &mut self,
        readiness: Readiness,
        stream: &TcpStream,
        shared: &mut Shared,
    ) -> io::Result<bool> {
        // Errors and hang-ups come whatever the interest. Whichever of
        // the write and the read runs next fails with the error, or sees
        // the end, so the connection is closed instead of reported again.
        let trouble = readiness.error || readiness.hangup;
        let was_full = self.outbox.len() >= shared.max_pending;
        if (readiness.writable || trouble) && !self.outbox.is_empty() {
            self.flush(stream, shared)?;
        }
        // A connection that was full and has just made room reads at once:
        // its data has been waiting in the kernel. (Edge-triggered, that
        // data made its edge long ago; the `MOD` that asks for `EPOLLIN`
        // again would report it too, but one wait later.)
        if readiness.readable || trouble || was_full {
            return self.read_and_echo(stream, shared);
        }
        Ok(false)
    }
    // ANCHOR_END: ready

    // ANCHOR: interest
    /// What to wait for: `EPOLLIN` while the peer may still send and the
    /// pending output is under the bound; `EPOLLOUT` only while something
    /// is pending. A connected socket is writable nearly all the time, so
    /// asking for `EPOLLOUT` with nothing to write would wake the loop on
    /// every wait.
    ///
    /// Edge-triggered, this is enough too. Output is pending only after a
    /// write the kernel cut short (the socket's buffer is full), so the
    /// `EPOLLOUT` edge comes when the buffer drains; and a connection that
    /// stopped reading at the bound asks for `EPOLLIN` again with a `MOD`,
    /// which reports data already waiting.
    fn interest(&self, max_pending: usize) -> Interest {
        Interest {
            readable: !self.read_closed && self.outbox.len() < max_pending,
            writable: !self.outbox.is_empty(),
        }
    }
    // ANCHOR_END: interest

    // ANCHOR: read_path
    /// Reads into the shared buffer and echoes each chunk, until the socket
    /// is empty, the peer has finished, the outbox is full, or the
    /// connection has had its share of this turn. Returns whether it
    /// stopped for that last reason, with data perhaps left to read.
    ///
    /// Level-triggered, a read that returns less than the buffer's size
    /// ends the loop. It has emptied the socket's receive queue (`man 7
    /// epoll`, on stream-oriented files), so the `EAGAIN` that the next
    /// read would return is not asked for; anything that arrives later is
    /// reported by the next wait. So is an end-of-file queued behind the
    /// data, which the short read stops before: end-of-file keeps the
    /// socket readable.
    ///
    /// Edge-triggered, an end-of-file that came before the wait that
    /// reported the data would never be reported: only a change makes an
    /// edge, and it changed nothing since. `man 7 epoll` says to wait for
    /// an event "only after read(2) or write(2) return EAGAIN", so the loop
    /// goes on to `EAGAIN` or end-of-file: one read more per event.
    fn read_and_echo(&mut self, mut stream: &TcpStream, shared: &mut Shared) -> io::Result<bool> {
        let mut reads = 0;
        while !self.read_closed && self.outbox.len() < shared.max_pending {
            if reads == shared.reads_per_event {
                return Ok(true);
            }
            let n = match stream.read(&mut shared.buf) {
                Ok(0) => {
                    self.read_closed = true;
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.echo(stream, n, shared)?;
            reads += 1;
            // ANCHOR: short_read
            if n < shared.buf.len() && shared.mode == Mode::Level {
                break; // emptied; edge-triggered, read on to EAGAIN
            }
            // ANCHOR_END: short_read
        }
        Ok(false)
    }
    // ANCHOR_END: read_path

    // ANCHOR: write_path
    /// Sends the first `n` bytes of the shared buffer back. With nothing
    /// pending they go straight from the buffer to the socket, and what the
    /// kernel does not take waits in the outbox. With something pending,
    /// the socket was full a moment ago: they join the queue, in order,
    /// without a write that would most likely fail with `EAGAIN`.
    fn echo(&mut self, stream: &TcpStream, n: usize, shared: &mut Shared) -> io::Result<()> {
        let data = &shared.buf[..n];
        let written = if self.outbox.is_empty() {
            write_some(stream, data)?
        } else {
            0
        };
        shared.stats.bytes_echoed += written as u64;
        if written < n {
            self.outbox.push(&data[written..]);
            shared.stats.max_pending = shared.stats.max_pending.max(self.outbox.len());
            shared.stats.max_allocated = shared.stats.max_allocated.max(self.outbox.allocated());
        }
        Ok(())
    }

    /// On `EPOLLOUT`: writes what is pending, as much as the kernel takes.
    fn flush(&mut self, stream: &TcpStream, shared: &mut Shared) -> io::Result<()> {
        let written = write_some(stream, self.outbox.pending())?;
        self.outbox.consume(written);
        shared.stats.bytes_echoed += written as u64;
        Ok(())
    }
    // ANCHOR_END: write_path
}

// ANCHOR: write_some
/// One write: how many bytes the kernel took, 0 if its buffer is full.
/// A short write means the buffer filled up, so there is no second try.
fn write_some(mut stream: &TcpStream, data: &[u8]) -> io::Result<usize> {
    loop {
        match stream.write(data) {
            Ok(0) if !data.is_empty() => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(0),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}
// ANCHOR_END: write_some
