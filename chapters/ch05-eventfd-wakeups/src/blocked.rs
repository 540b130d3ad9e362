//! Knowing that a thread is blocked in the kernel, so that an experiment
//! about waking it up really wakes it up.
//!
//! Sleeping for a while and hoping the other thread got there is not
//! enough on a busy machine. `/proc/self/task/<tid>/` says where a thread
//! is: `stat` has its state (`S` while it sleeps in an interruptible wait)
//! and `wchan` the kernel function it sleeps in, such as `do_epoll_wait`
//! (both in `man 5 proc`). A kernel may hide `wchan` (it then reads `0`);
//! the state alone is used then.

use std::fs;
use std::io::{self, ErrorKind};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: tid
/// A thread's id in the kernel (`gettid(2)`), for watching it from another
/// thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tid(libc::pid_t);

impl Tid {
    /// The calling thread's id.
    pub fn current() -> Tid {
        // SAFETY: gettid takes no arguments and cannot fail.
        Tid(unsafe { libc::gettid() })
    }

    /// Waits until the thread sleeps in the kernel in a function whose name
    /// contains `place` (such as `"epoll"`; `""` accepts any place), or,
    /// where the kernel hides names, until it sleeps at all. Gives up with
    /// `TimedOut` after `patience`.
    pub fn wait_until_blocked_in(self, place: &str, patience: Duration) -> io::Result<()> {
        let deadline = Instant::now() + patience;
        loop {
            // `wchan` reads 0 for a thread that runs, and for every thread
            // where the kernel hides names. Asleep before and after reading
            // it, the thread was asleep while it was read.
            let before = self.state()?;
            let wchan = self.wchan()?;
            let after = self.state()?;
            let hidden = wchan.is_empty() || wchan == "0";
            if before == Some('S') && after == Some('S') && (hidden || wchan.contains(place)) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    format!("the thread never blocked in {place}"),
                ));
            }
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// The state letter from `/proc/self/task/<tid>/stat`.
    fn state(self) -> io::Result<Option<char>> {
        let stat = fs::read_to_string(format!("/proc/self/task/{}/stat", self.0))?;
        // "<tid> (<name>) <state> ...": the name may hold spaces and
        // parentheses, so the state is the first word after the last ')'.
        Ok(stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next()))
    }

    /// Where in the kernel the thread sleeps, from `wchan`.
    fn wchan(self) -> io::Result<String> {
        fs::read_to_string(format!("/proc/self/task/{}/wchan", self.0))
    }
}
// ANCHOR_END: tid

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_running_thread_is_not_blocked_and_a_sleeping_one_is() {
        let me = Tid::current();
        // This thread is running while it reads its own state.
        assert_eq!(me.state().unwrap(), Some('R'));
        let err = me
            .wait_until_blocked_in("epoll", Duration::from_millis(20))
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);

        let (tx, rx) = mpsc::channel::<Tid>();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let sleeper = thread::spawn(move || {
            tx.send(Tid::current()).unwrap();
            stop_rx.recv().unwrap(); // blocks on a futex
        });
        let tid = rx.recv().unwrap();
        tid.wait_until_blocked_in("futex", Duration::from_secs(5))
            .unwrap();
        stop_tx.send(()).unwrap();
        sleeper.join().unwrap();
    }
}
