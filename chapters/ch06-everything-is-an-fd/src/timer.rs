//! timerfd: a timer that counts its expirations, read from a file
//! descriptor (`man 2 timerfd_create`).
//!
//! The fd is readable once the timer has expired at least once since it was
//! last set or read; a read returns how many times, as a `u64`, and starts
//! the count again. So a timer can sit in an epoll instance next to sockets
//! and pipes, and a loop that falls behind learns how far behind it is.

use crate::fdio::read_nonblocking;
use ch01_raw_syscalls::error::check;
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;
use std::time::Duration;

// ANCHOR: timer_fd
/// A timer on the monotonic clock (`CLOCK_MONOTONIC`, which no one can set
/// and which does not jump), owned: dropping it closes the fd, which
/// disarms and frees the timer.
///
/// The fd is nonblocking and close-on-exec. Register it with
/// [`Epoll::add`](ch04_libc_and_a_safe_wrapper::Epoll::add) for `IN`, and
/// [`read`](TimerFd::read) it when it is reported.
#[derive(Debug)]
pub struct TimerFd {
    fd: OwnedFd,
}
// ANCHOR_END: timer_fd

/// What [`TimerFd::setting`] reports: the kernel's `itimerspec`, with its
/// zeros spelled as `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerSetting {
    /// Time left until the next expiration; `None` if the timer is disarmed.
    pub next: Option<Duration>,
    /// The period of a repeating timer; `None` for a one-shot timer.
    pub interval: Option<Duration>,
}

impl TimerFd {
    // ANCHOR: new
    /// Creates a disarmed timer.
    pub fn new() -> io::Result<TimerFd> {
        let flags = libc::TFD_NONBLOCK | libc::TFD_CLOEXEC;
        // SAFETY: timerfd_create takes no pointers; the kernel checks the
        // clock id and the flags.
        let fd = check("timerfd_create", unsafe {
            libc::timerfd_create(libc::CLOCK_MONOTONIC, flags)
        })?;
        // SAFETY: the kernel just returned `fd`, open and known to no one
        // else, so the OwnedFd becomes its only owner.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(TimerFd { fd })
    }
    // ANCHOR_END: new

    // ANCHOR: set
    /// Arms the timer: it expires `first` from now, then every `interval`
    /// (`None`, or a zero interval, for once only).
    ///
    /// To the kernel, an `it_value` of zero means *disarm*, not "expire
    /// now". A `first` of [`Duration::ZERO`] is therefore sent as one
    /// nanosecond, which has passed by the time the call returns: the timer
    /// expires at once, as the caller meant. [`disarm`](TimerFd::disarm)
    /// is the way to stop it.
    ///
    /// Setting the timer, armed or not, throws away expirations that were
    /// not read yet.
    pub fn set(&self, first: Duration, interval: Option<Duration>) -> io::Result<()> {
        let first = first.max(Duration::from_nanos(1));
        self.settime(libc::itimerspec {
            it_value: timespec(first)?,
            it_interval: timespec(interval.unwrap_or(Duration::ZERO))?,
        })
    }

    /// A one-shot timer: one expiration, `delay` from now
    /// ([`Duration::ZERO`]: now).
    pub fn set_after(&self, delay: Duration) -> io::Result<()> {
        self.set(delay, None)
    }

    /// A periodic timer: an expiration every `period`, the first one
    /// `period` from now. A zero period is refused (`InvalidInput`): the
    /// kernel would take it for "once".
    pub fn set_interval(&self, period: Duration) -> io::Result<()> {
        if period.is_zero() {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                "TimerFd::set_interval: a period of zero would not repeat",
            ));
        }
        self.set(period, Some(period))
    }

    /// Stops the timer: `it_value` zero, which is what disarming means to
    /// the kernel. Unread expirations are dropped.
    pub fn disarm(&self) -> io::Result<()> {
        let zero = timespec(Duration::ZERO)?;
        self.settime(libc::itimerspec {
            it_value: zero,
            it_interval: zero,
        })
    }

    fn settime(&self, value: libc::itimerspec) -> io::Result<()> {
        // SAFETY: the fd is open (owned by self); `value` is a live
        // itimerspec the kernel only reads; a null `old_value` asks for
        // nothing back.
        let ret = unsafe { libc::timerfd_settime(self.fd.as_raw_fd(), 0, &value, ptr::null_mut()) };
        check("timerfd_settime", ret).map(drop)
    }
    // ANCHOR_END: set

    /// The time left until the next expiration, and the interval
    /// (`timerfd_gettime`).
    pub fn setting(&self) -> io::Result<TimerSetting> {
        let zero = timespec(Duration::ZERO)?;
        let mut current = libc::itimerspec {
            it_value: zero,
            it_interval: zero,
        };
        // SAFETY: the fd is open; `current` is a live itimerspec for the
        // kernel to write.
        let ret = unsafe { libc::timerfd_gettime(self.fd.as_raw_fd(), &mut current) };
        check("timerfd_gettime", ret)?;
        let nonzero = |d: Duration| (!d.is_zero()).then_some(d);
        Ok(TimerSetting {
            next: nonzero(duration(current.it_value)),
            interval: nonzero(duration(current.it_interval)),
        })
    }

    // ANCHOR: read
    /// How many times the timer expired since it was last set or read, and
    /// starts counting again from zero.
    ///
    /// `Ok(0)` means "not since then": the kernel's answer to a read of a
    /// nonblocking timerfd with no expirations is `EAGAIN`, which this turns
    /// into 0. A successful read never returns 0 for a monotonic timer, so
    /// the two cannot be confused.
    pub fn read(&self) -> io::Result<u64> {
        // The count is a u64 in host byte order; a buffer shorter than
        // 8 bytes fails with EINVAL.
        let mut count = [0u8; 8];
        match read_nonblocking(self.fd.as_fd(), &mut count, "read(timerfd)")? {
            None => Ok(0),
            Some(8) => Ok(u64::from_ne_bytes(count)),
            Some(n) => Err(io::Error::new(
                ErrorKind::InvalidData,
                format!("read(timerfd) returned {n} bytes, not 8"),
            )),
        }
    }
    // ANCHOR_END: read
}

/// `d` as a `timespec`; `InvalidInput` if its seconds do not fit in `time_t`.
fn timespec(d: Duration) -> io::Result<libc::timespec> {
    let tv_sec = libc::time_t::try_from(d.as_secs()).map_err(|_| {
        io::Error::new(
            ErrorKind::InvalidInput,
            format!("timerfd_settime: a timer duration of {d:?} does not fit in a timespec"),
        )
    })?;
    // `c_long` is 32 bits on 32-bit targets, where no `From<u32>` exists;
    // the nanoseconds (below 10^9) fit either way.
    #[allow(clippy::unnecessary_fallible_conversions)]
    let tv_nsec = libc::c_long::try_from(d.subsec_nanos()).expect("nanoseconds are below 10^9");
    Ok(libc::timespec { tv_sec, tv_nsec })
}

/// A `timespec` from the kernel as a `Duration` (negative fields, which the
/// kernel never reports for a timer, as zero).
fn duration(ts: libc::timespec) -> Duration {
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

impl AsFd for TimerFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for TimerFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<TimerFd> for OwnedFd {
    fn from(timer: TimerFd) -> OwnedFd {
        timer.fd
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_timespecs_convert_both_ways() {
        let d = Duration::new(3, 250_000_000);
        let ts = timespec(d).unwrap();
        assert_eq!((ts.tv_sec, ts.tv_nsec), (3, 250_000_000));
        assert_eq!(duration(ts), d);
        assert_eq!(duration(timespec(Duration::ZERO).unwrap()), Duration::ZERO);
    }

    #[test]
    fn a_duration_too_long_for_time_t_is_refused() {
        let err = timespec(Duration::MAX).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
