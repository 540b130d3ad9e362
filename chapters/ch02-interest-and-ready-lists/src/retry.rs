//! Waiting through signal handlers.
//!
//! A blocked `epoll_wait` fails with `EINTR` whenever a signal handler runs
//! in the waiting thread, and `SA_RESTART` does not change that (`man 7
//! signal` lists `epoll_wait` among the calls that are never restarted).
//! A loop that treats `EINTR` as an error dies of every signal; this one
//! waits again.

use ch01_raw_syscalls::{Event, epoll_wait};
use std::ffi::c_int;
use std::io::{self, ErrorKind};
use std::os::fd::BorrowedFd;
use std::time::{Duration, Instant};

// ANCHOR: wait_retrying_eintr
/// `epoll_wait`, called again whenever a signal handler interrupts it.
///
/// A timeout of -1 (no limit) or 0 (do not block) is passed again as it
/// is. A positive timeout is a deadline: each retry waits only for what is
/// left of it, so a stream of signals cannot stretch the wait.
pub fn wait_retrying_eintr(
    epoll: BorrowedFd<'_>,
    events: &mut [Event],
    timeout_ms: c_int,
) -> io::Result<usize> {
    let deadline = u64::try_from(timeout_ms)
        .ok()
        .filter(|&ms| ms > 0)
        .map(|ms| Instant::now() + Duration::from_millis(ms));
    let mut timeout = timeout_ms;
    loop {
        match epoll_wait(epoll, events, timeout) {
            Err(err) if err.kind() == ErrorKind::Interrupted => {
                if let Some(deadline) = deadline {
                    timeout = ms_until(deadline);
                }
            }
            result => return result,
        }
    }
}

/// Milliseconds from now until `deadline`, rounded up; 0 once it is past,
/// which makes the last retry a look at the ready list without blocking.
fn ms_until(deadline: Instant) -> c_int {
    let left = deadline.saturating_duration_since(Instant::now());
    c_int::try_from(left.as_micros().div_ceil(1000)).unwrap_or(c_int::MAX)
}
// ANCHOR_END: wait_retrying_eintr

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_time_left_is_rounded_up_and_never_negative() {
        let past = Instant::now();
        assert_eq!(ms_until(past), 0);
        let soon = Instant::now() + Duration::from_micros(10_500);
        let left = ms_until(soon);
        assert!((1..=11).contains(&left), "{left}");
    }
}
