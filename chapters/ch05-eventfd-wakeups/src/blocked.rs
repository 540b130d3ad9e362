//! Knowing that a thread is blocked in the kernel, so that an experiment
//! about waking it up really wakes it up.
//!
//! Sleeping for a while and hoping the other thread got there is not
//! enough on a busy machine. `/proc/self/task/<tid>/` says where a thread
//! is: `stat` has its state (`S` while it sleeps in an interruptible wait)
//! and `wchan` the kernel function it sleeps in, such as `do_epoll_wait`
//! (both in `man 5 proc`). A kernel may hide `wchan` (it then reads `0`,
//! as it also does for a thread on a CPU); a state that stays `S` with no
//! name for about 20 ms is enough then.

use std::fs;
use std::io::{self, ErrorKind};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: tid
/// How many looks in a row must find a sleeping thread with `wchan` at 0
/// before the kernel is taken to hide names (about 20 ms).
const HIDDEN_AFTER: u32 = 20;

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
    /// `TimedOut` after `patience` (a `patience` too long for an `Instant`,
    /// such as `Duration::MAX`, never gives up).
    pub fn wait_until_blocked_in(self, place: &str, patience: Duration) -> io::Result<()> {
        let deadline = Instant::now().checked_add(patience);
        // How many looks in a row found the thread in `S` with no name.
        let mut unnamed = 0;
        loop {
            let before = self.state()?;
            let wchan = self.wchan()?;
            let after = self.state()?;
            let asleep = before == Some('S') && after == Some('S');
            // `wchan` reads 0 where the kernel hides names, but also while
            // the thread is still on a CPU, for instance just after it has
            // set its state to `S` and before it has switched away. That
            // moment is short: only a 0 that lasts means hidden names.
            let named = !wchan.is_empty() && wchan != "0";
            unnamed = if asleep && !named { unnamed + 1 } else { 0 };
            if asleep && ((named && wchan.contains(place)) || unnamed >= HIDDEN_AFTER) {
                return Ok(());
            }
            if deadline.is_some_and(|deadline| Instant::now() > deadline) {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    format!("the thread never blocked in {place}"),
                ));
            }
            thread::sleep(Duration::from_millis(1));
        }
    }

    /// One file of `/proc/self/task/<tid>/`. A thread that has ended has
    /// none: `NotFound`, naming the file.
    fn read(self, name: &str) -> io::Result<String> {
        let path = format!("/proc/self/task/{}/{name}", self.0);
        fs::read_to_string(&path)
            .map_err(|err| io::Error::new(err.kind(), format!("reading {path}: {err}")))
    }

    /// The state letter from `/proc/self/task/<tid>/stat`.
    fn state(self) -> io::Result<Option<char>> {
        let stat = self.read("stat")?;
        // "<tid> (<name>) <state> ...": the name may hold spaces and
        // parentheses, so the state is the first word after the last ')'.
        Ok(stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next()))
    }

    /// Where in the kernel the thread sleeps, from `wchan`.
    fn wchan(self) -> io::Result<String> {
        let wchan = self.read("wchan")?;
        Ok(wchan.trim().to_owned())
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
        // This thread is running while it reads its own state, and a
        // thread on a CPU has no `wchan` name.
        assert_eq!(me.state().unwrap(), Some('R'));
        assert_eq!(me.wchan().unwrap(), "0");
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
