//! `Epoll`: an owned epoll instance and the four things to do with it.

use crate::events::Events;
use ch01_raw_syscalls::error::check;
use std::ffi::c_int;
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::time::{Duration, Instant};

// ANCHOR: epoll
/// An epoll instance, owned: dropping it closes its file descriptor, once.
///
/// All methods take `&self`: the kernel does its own locking, so one
/// instance can be shared between threads (it is `Send` and `Sync`), say
/// one thread waiting while another adds.
#[derive(Debug)]
pub struct Epoll {
    fd: OwnedFd,
}
// ANCHOR_END: epoll

impl Epoll {
    // ANCHOR: new
    /// Creates an epoll instance, close-on-exec (`EPOLL_CLOEXEC`), so that
    /// programs this one starts do not inherit it.
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes no pointers; the kernel checks `flags`.
        let fd = check("epoll_create1", unsafe {
            libc::epoll_create1(libc::EPOLL_CLOEXEC)
        })?;
        // SAFETY: the kernel just returned `fd`: it is open, and nothing else
        // in the program knows it, so the OwnedFd is its one owner.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Epoll { fd })
    }
    // ANCHOR_END: new

    // ANCHOR: ctl
    /// Puts `fd` in the interest list, watching for `events` (bits from
    /// [`flags`](crate::flags)); every event reported for it carries
    /// `token`.
    ///
    /// Fails with `EEXIST` if `fd` is already there, `EPERM` if its file
    /// does not support epoll (a regular file, a directory), `EINVAL` if
    /// `fd` is this instance itself, `ELOOP` if instances would watch each
    /// other in a loop. An `AsFd` is always open, so `EBADF` means one
    /// thing only: `fd` was opened with `O_PATH`, which epoll refuses.
    pub fn add(&self, fd: impl AsFd, events: u32, token: u64) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: token };
        self.ctl(
            "epoll_ctl(ADD)",
            libc::EPOLL_CTL_ADD,
            fd.as_fd(),
            &mut event,
        )
    }

    /// Replaces the events *and* the token of an fd in the interest list;
    /// re-arms a one-shot registration. `ENOENT` if `fd` is not there;
    /// `EINVAL` if `events` holds [`EXCLUSIVE`](crate::EXCLUSIVE).
    pub fn modify(&self, fd: impl AsFd, events: u32, token: u64) -> io::Result<()> {
        let mut event = libc::epoll_event { events, u64: token };
        self.ctl(
            "epoll_ctl(MOD)",
            libc::EPOLL_CTL_MOD,
            fd.as_fd(),
            &mut event,
        )
    }

    /// Takes `fd` out of the interest list; `ENOENT` if it is not there.
    /// The kernel ignores the event of a `DEL`, so a null pointer is passed.
    pub fn delete(&self, fd: impl AsFd) -> io::Result<()> {
        self.ctl(
            "epoll_ctl(DEL)",
            libc::EPOLL_CTL_DEL,
            fd.as_fd(),
            ptr::null_mut(),
        )
    }

    fn ctl(
        &self,
        call: &'static str,
        op: c_int,
        fd: BorrowedFd<'_>,
        event: *mut libc::epoll_event,
    ) -> io::Result<()> {
        // SAFETY: both fds are open for the whole call (one is owned by
        // `self`, the other borrowed), and `event` is null (DEL) or points
        // to a live epoll_event on the caller's stack, which the kernel only
        // reads.
        let ret = unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd.as_raw_fd(), event) };
        check(call, ret).map(drop)
    }
    // ANCHOR_END: ctl

    // ANCHOR: wait
    /// Waits until at least one registered fd is ready or `timeout` has
    /// passed, and fills `events` with what is ready, at most
    /// `events.capacity()` of them. Returns how many; 0 means the timeout
    /// passed with nothing ready.
    ///
    /// - `None` waits with no time limit.
    /// - `Some(d)` waits at least `d` rounded up to whole milliseconds:
    ///   `Some(Duration::ZERO)` only looks, `Some(1 µs)` waits 1 ms.
    ///   A `d` longer than the kernel's limit (`i32::MAX` ms, 24.8 days) is
    ///   waited out in several calls; one too long for `Instant` to add
    ///   (such as `Duration::MAX`) waits with no limit.
    /// - A signal handler that interrupts the wait (`EINTR`) does not end
    ///   it: the wait goes on until the same deadline.
    ///
    /// A capacity of 0 fails with `EINVAL`. After an error `events` is
    /// empty.
    pub fn wait(&self, events: &mut Events, timeout: Option<Duration>) -> io::Result<usize> {
        let deadline = Deadline::after(timeout);
        loop {
            match events.fill(self.fd.as_fd(), deadline.timeout_ms()) {
                // A step of a wait longer than one call can ask for ended.
                Ok(0) if !deadline.has_passed() => continue,
                Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                result => return result,
            }
        }
    }
    // ANCHOR_END: wait
}

// ANCHOR: deadline
/// When a wait must end: computed once, when the wait starts, so that
/// retries after `EINTR` and the steps of a long wait all aim at the same
/// instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Deadline {
    Never,
    At(Instant),
}

impl Deadline {
    /// `timeout` from now, rounded up to whole milliseconds first, so that
    /// a sub-millisecond wait really lasts a millisecond.
    fn after(timeout: Option<Duration>) -> Deadline {
        match timeout
            .and_then(whole_ms_rounded_up)
            .and_then(|timeout| Instant::now().checked_add(timeout))
        {
            Some(instant) => Deadline::At(instant),
            None => Deadline::Never,
        }
    }

    /// The `timeout` argument for the next `epoll_wait`: -1 for no limit,
    /// else the time left in milliseconds, rounded up, at most `c_int::MAX`.
    fn timeout_ms(self) -> c_int {
        match self {
            Deadline::Never => -1,
            Deadline::At(instant) => {
                ms_rounded_up(instant.saturating_duration_since(Instant::now()))
            }
        }
    }

    fn has_passed(self) -> bool {
        match self {
            Deadline::Never => false,
            Deadline::At(instant) => Instant::now() >= instant,
        }
    }
}

/// `timeout` rounded up to whole milliseconds; `None` if that overflows
/// (`Duration::MAX`, and anything within a millisecond of it).
fn whole_ms_rounded_up(timeout: Duration) -> Option<Duration> {
    let up = timeout.checked_add(Duration::from_nanos(999_999))?;
    Some(Duration::new(up.as_secs(), up.subsec_millis() * 1_000_000))
}

/// `left` in whole milliseconds, rounded up, and capped at `c_int::MAX`.
fn ms_rounded_up(left: Duration) -> c_int {
    c_int::try_from(left.as_nanos().div_ceil(1_000_000)).unwrap_or(c_int::MAX)
}
// ANCHOR_END: deadline

// ANCHOR: fd_traits
impl AsFd for Epoll {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Epoll {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<Epoll> for OwnedFd {
    /// Gives up the wrapper and keeps the descriptor open, now owned by the
    /// returned `OwnedFd`.
    fn from(epoll: Epoll) -> OwnedFd {
        epoll.fd
    }
}
// ANCHOR_END: fd_traits

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_are_rounded_up() {
        assert_eq!(ms_rounded_up(Duration::ZERO), 0);
        assert_eq!(ms_rounded_up(Duration::from_nanos(1)), 1);
        assert_eq!(ms_rounded_up(Duration::from_micros(1)), 1);
        assert_eq!(ms_rounded_up(Duration::from_millis(1)), 1);
        assert_eq!(ms_rounded_up(Duration::from_micros(1001)), 2);
        assert_eq!(ms_rounded_up(Duration::from_millis(250)), 250);
    }

    #[test]
    fn milliseconds_beyond_an_int_are_capped() {
        let limit = Duration::from_millis(c_int::MAX as u64);
        assert_eq!(ms_rounded_up(limit), c_int::MAX);
        assert_eq!(ms_rounded_up(limit + Duration::from_nanos(1)), c_int::MAX);
        assert_eq!(
            ms_rounded_up(Duration::from_secs(30 * 24 * 3600)),
            c_int::MAX
        );
        assert_eq!(ms_rounded_up(Duration::MAX), c_int::MAX);
    }

    #[test]
    fn deadlines_are_whole_milliseconds_rounded_up() {
        let ms = Duration::from_millis;
        assert_eq!(whole_ms_rounded_up(Duration::ZERO), Some(Duration::ZERO));
        assert_eq!(whole_ms_rounded_up(Duration::from_nanos(1)), Some(ms(1)));
        assert_eq!(whole_ms_rounded_up(ms(1)), Some(ms(1)));
        assert_eq!(
            whole_ms_rounded_up(Duration::from_micros(1001)),
            Some(ms(2))
        );
        let month = Duration::from_secs(30 * 24 * 3600);
        assert_eq!(whole_ms_rounded_up(month), Some(month));
        assert_eq!(whole_ms_rounded_up(Duration::MAX), None);
    }

    #[test]
    fn no_timeout_and_unrepresentable_timeouts_never_end() {
        assert_eq!(Deadline::after(None), Deadline::Never);
        assert_eq!(Deadline::after(Some(Duration::MAX)), Deadline::Never);
        assert_eq!(Deadline::Never.timeout_ms(), -1);
        assert!(!Deadline::Never.has_passed());
    }

    #[test]
    fn a_deadline_counts_down_to_zero() {
        let now = Deadline::after(Some(Duration::ZERO));
        assert_eq!(now.timeout_ms(), 0);
        assert!(now.has_passed());

        let soon = Deadline::after(Some(Duration::from_micros(1)));
        // 1 µs became 1 ms from now; what is left of it rounds up to 1 ms
        // again, unless all of it has gone by already.
        assert!((0..=1).contains(&soon.timeout_ms()));

        let later = Deadline::after(Some(Duration::from_secs(60)));
        assert!((1..=60_000).contains(&later.timeout_ms()));
        assert!(!later.has_passed());

        let in_thirty_days = Deadline::after(Some(Duration::from_secs(30 * 24 * 3600)));
        assert_eq!(in_thirty_days.timeout_ms(), c_int::MAX);
    }
}
