//! `LoopSignal`: stopping or waking a loop, from any thread.

use ch04_libc_and_a_safe_wrapper::Epoll;
use ch05_eventfd_wakeups::Waker;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// The token of the loop's own eventfd. Its slot index, `u32::MAX`, is
/// one the table never gives out.
pub(crate) const SIGNAL_TOKEN: u64 = u64::MAX;

// ANCHOR: loop_signal
/// Stops or wakes an [`EventLoop`](crate::EventLoop) from anywhere: a
/// callback, or another thread (it is `Send`, `Sync` and cheap to clone).
///
/// Underneath is chapter 5's [`Waker`], an eventfd registered in the
/// loop's epoll instance under a token of its own, and a flag.
#[derive(Clone, Debug)]
pub struct LoopSignal {
    stop: Arc<AtomicBool>,
    waker: Waker,
}
// ANCHOR_END: loop_signal

impl LoopSignal {
    pub(crate) fn new(epoll: &Epoll) -> io::Result<LoopSignal> {
        Ok(LoopSignal {
            stop: Arc::new(AtomicBool::new(false)),
            waker: Waker::new(epoll, SIGNAL_TOKEN)?,
        })
    }

    // ANCHOR: stop
    /// Makes [`run`](crate::EventLoop::run) return once the dispatch in
    /// progress (or, if the loop is waiting, the one the wake-up ends) and
    /// the callback after it are done. A stop that comes while no `run` is
    /// going ends the next `run` before its first dispatch: each stop ends
    /// one run.
    pub fn stop(&self) {
        // Release: whatever this thread did before stopping the loop is
        // visible to the loop thread once it sees the flag.
        self.stop.store(true, Ordering::Release);
        self.wakeup();
    }

    /// Makes the loop's current (or next) wait return at once, even if no
    /// source has an event, so `run` calls its callback and looks at the
    /// stop flag.
    pub fn wakeup(&self) {
        // `wake` writes 1 to a nonblocking eventfd that this `LoopSignal`
        // keeps open. The only error such a write can meet is a full
        // counter (EAGAIN), and `wake` answers that with Ok, because the
        // eventfd is readable then already: nothing is left to fail.
        let _ = self.waker.wake();
    }

    /// Whether a stop was asked for; clears the request.
    pub(crate) fn take_stop(&self) -> bool {
        self.stop.swap(false, Ordering::Acquire)
    }

    /// Resets the eventfd, when the loop sees its token.
    pub(crate) fn drain(&self) -> io::Result<()> {
        self.waker.drain().map(drop)
    }
    // ANCHOR_END: stop
}
