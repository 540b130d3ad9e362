//! Knowing that a thread is asleep in `epoll_wait`, without guessing.
//!
//! An experiment that counts how many waiting threads an event wakes must
//! first make sure that every thread *is* waiting. Sleeping for a while and
//! hoping is not enough on a busy machine. `/proc` says it exactly
//! (`man 5 proc`): `/proc/self/task/<tid>/stat` has the thread's state
//! (`S` for an interruptible sleep) and `/proc/self/task/<tid>/wchan` the
//! kernel function it sleeps in (`do_epoll_wait` on this book's kernel).

use std::fs;
use std::io::{self, ErrorKind};
use std::thread;
use std::time::{Duration, Instant};

/// The kernel's id of the calling thread (what `gettid` returns), read
/// from the `/proc/thread-self` link, which points to
/// `<pid>/task/<tid>`.
pub fn current_tid() -> io::Result<u32> {
    let link = fs::read_link("/proc/thread-self")?;
    let text = link.to_string_lossy();
    text.rsplit('/')
        .next()
        .and_then(|tid| tid.parse().ok())
        .ok_or_else(|| {
            io::Error::new(
                ErrorKind::InvalidData,
                format!("/proc/thread-self points to {text:?}"),
            )
        })
}

/// What `/proc` says a thread is doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadState {
    /// The state letter from `stat`: `R` running, `S` sleeping, ...
    pub state: char,
    /// The kernel function it sleeps in, from `wchan`; `"0"` when it runs
    /// (or when the kernel hides it).
    pub wchan: String,
}

impl ThreadState {
    /// Whether the thread sleeps in `epoll_wait`. A kernel that hides
    /// `wchan` (it shows `"0"`) leaves only the state to go by.
    pub fn in_epoll_wait(&self) -> bool {
        self.state == 'S' && (self.wchan.contains("epoll") || self.wchan == "0")
    }
}

/// The state of thread `tid` of this process. `NotFound`, naming the file,
/// for a `tid` that is not one of its threads (or no longer is).
pub fn thread_state(tid: u32) -> io::Result<ThreadState> {
    let read = |name: &str| {
        let path = format!("/proc/self/task/{tid}/{name}");
        fs::read_to_string(&path)
            .map_err(|err| io::Error::new(err.kind(), format!("reading {path}: {err}")))
    };
    let stat = read("stat")?;
    let wchan = read("wchan")?;
    Ok(ThreadState {
        state: state_of(&stat).ok_or_else(|| {
            io::Error::new(ErrorKind::InvalidData, format!("unexpected stat: {stat:?}"))
        })?,
        wchan: wchan.trim().to_owned(),
    })
}

/// The state letter of a `stat` line, `"<tid> (<name>) <state> ..."`.
/// The name may hold spaces and parentheses, so the state is the first
/// word after the last `)`.
fn state_of(stat: &str) -> Option<char> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().next()?.chars().next()
}

// ANCHOR: wait_until_in_epoll_wait
/// Waits until thread `tid` sleeps in `epoll_wait`; gives up with
/// `TimedOut` after `patience` (a `patience` too long for an `Instant`,
/// such as `Duration::MAX`, never gives up).
pub fn wait_until_in_epoll_wait(tid: u32, patience: Duration) -> io::Result<()> {
    let deadline = Instant::now().checked_add(patience);
    loop {
        let now = thread_state(tid)?;
        if now.in_epoll_wait() {
            return Ok(());
        }
        if deadline.is_some_and(|deadline| Instant::now() > deadline) {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                format!("thread {tid} never slept in epoll_wait (last seen: {now:?})"),
            ));
        }
        thread::sleep(Duration::from_millis(1));
    }
}
// ANCHOR_END: wait_until_in_epoll_wait

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_state_is_the_word_after_the_last_parenthesis() {
        assert_eq!(state_of("42 (worker) S 1 2 3"), Some('S'));
        assert_eq!(state_of("42 (a) b) (c) R 1 2"), Some('R'));
        assert_eq!(state_of("42 worker S"), None);
    }

    #[test]
    fn the_calling_thread_is_running() {
        let tid = current_tid().unwrap();
        assert_eq!(current_tid().unwrap(), tid, "the same thread, the same id");
        let other = thread::spawn(|| current_tid().unwrap()).join().unwrap();
        assert_ne!(other, tid, "each thread has its own id");
        let me = thread_state(tid).unwrap();
        assert_eq!(me.state, 'R', "reading its own stat, a thread is running");
        assert!(!me.in_epoll_wait());
    }

    #[test]
    fn only_a_sleep_in_epoll_counts() {
        let asleep = |wchan: &str| ThreadState {
            state: 'S',
            wchan: wchan.to_owned(),
        };
        assert!(asleep("do_epoll_wait").in_epoll_wait());
        assert!(!asleep("futex_wait_queue").in_epoll_wait());
        assert!(asleep("0").in_epoll_wait(), "hidden wchan: state only");
    }
}
