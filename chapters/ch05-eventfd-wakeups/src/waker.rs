//! `Waker`: any thread can make a thread blocked in `Epoll::wait` return.

use crate::eventfd::EventFd;
use ch04_libc_and_a_safe_wrapper::{Epoll, IN};
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::Arc;

// ANCHOR: waker
/// Wakes the thread that waits on one epoll instance.
///
/// A `Waker` is an eventfd registered in that instance, level-triggered
/// and for reading, under a token of the caller's choosing. Any thread may
/// call [`wake`](Waker::wake); the loop, when it sees the token, calls
/// [`drain`](Waker::drain) and then looks at whatever it was woken for.
///
/// Clones share the one eventfd (it sits behind an `Arc`), so cloning is
/// cheap and every clone wakes the same loop. The eventfd is closed when
/// the last clone is dropped, which also takes it out of the interest list.
/// A `Waker` does not keep the `Epoll` alive: once that is dropped, `wake`
/// still succeeds, and nobody hears it.
///
/// Why level-triggered: the eventfd stays on the ready list for as long as
/// the counter is above 0, so a wake is reported until the loop drains it,
/// however many waits pass in between, and a full counter needs nothing
/// from the waking thread (see [`wake`](Waker::wake)). The price is one
/// `read` per wake-up, in `drain`, and a loop that forgets it hears about
/// the same wake on every wait.
#[derive(Clone, Debug)]
pub struct Waker {
    eventfd: Arc<EventFd>,
    token: u64,
}
// ANCHOR_END: waker

impl Waker {
    // ANCHOR: new
    /// Creates an eventfd, nonblocking and close-on-exec, and registers it
    /// in `epoll` for `IN`, level-triggered, with `token`.
    ///
    /// Nonblocking, so that neither `wake` nor `drain` can ever block the
    /// thread that calls it; close-on-exec, so that a program this process
    /// starts does not inherit the descriptor.
    pub fn new(epoll: &Epoll, token: u64) -> io::Result<Waker> {
        let eventfd = EventFd::new(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC)?;
        // If `add` fails, `eventfd` is dropped here, and closed.
        epoll.add(&eventfd, IN, token)?;
        Ok(Waker {
            eventfd: Arc::new(eventfd),
            token,
        })
    }
    // ANCHOR_END: new

    // ANCHOR: wake
    /// Makes the loop's next (or current) wait return an event with this
    /// waker's token. Never blocks. Wakes that happen before the loop
    /// drains coalesce into one event.
    ///
    /// With the counter full (`EAGAIN`), this returns `Ok`: a full counter
    /// is above 0, so the eventfd is readable and the loop is woken
    /// already. The wake adds nothing to the counter, but it is not lost:
    /// it merges with the wakes still waiting to be drained.
    pub fn wake(&self) -> io::Result<()> {
        match self.eventfd.write(1) {
            Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(()),
            result => result,
        }
    }
    // ANCHOR_END: wake

    // ANCHOR: drain
    /// Resets the counter, for the loop to call when it sees this waker's
    /// token, *before* it looks at what it was woken for. Returns how many
    /// wakes the event stood for (0 if there was nothing to drain).
    ///
    /// Draining first means that a wake which comes while the loop is busy
    /// leaves the counter above 0 and makes the next wait return at once;
    /// draining last could erase a wake whose work the loop has not seen.
    pub fn drain(&self) -> io::Result<u64> {
        match self.eventfd.read() {
            Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(0),
            result => result,
        }
    }
    // ANCHOR_END: drain

    /// The token this waker's events carry.
    pub fn token(&self) -> u64 {
        self.token
    }

    /// The eventfd underneath, to look at (its counter, with
    /// [`EventFd::peek`]) or to experiment with.
    pub fn eventfd(&self) -> &EventFd {
        &self.eventfd
    }
}

impl AsFd for Waker {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.eventfd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn a_waker_can_be_sent_shared_and_cloned() {
        assert_send_sync_clone::<Waker>();
    }
}
