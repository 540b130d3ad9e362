//! timerfd, as `man 2 timerfd_create` describes it and as `TimerFd` wraps
//! it: the expiration count, `EAGAIN` when there is none, the 8-byte read,
//! the zero `it_value` that disarms, and what setting a timer does to
//! expirations not read yet.
//!
//! Times appear only as lower bounds that a sleep guarantees, or as limits
//! that keep a broken test from hanging.

use ch01_raw_syscalls::error::errno;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch06_everything_is_an_fd::{TimerFd, TimerSetting};
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::thread;
use std::time::{Duration, Instant};

const PATIENCE: Duration = Duration::from_secs(5);

/// An epoll instance watching `timer` with token 1.
fn watched(timer: &TimerFd) -> Epoll {
    let epoll = Epoll::new().unwrap();
    epoll.add(timer, IN, 1).unwrap();
    epoll
}

/// Whether the timer is readable, waiting at most `timeout`.
fn readable(epoll: &Epoll, timeout: Duration) -> bool {
    let mut events = Events::with_capacity(2);
    epoll.wait(&mut events, Some(timeout)).unwrap() == 1
}

#[test]
fn a_new_timer_is_disarmed_and_never_readable() {
    let timer = TimerFd::new().unwrap();
    assert_eq!(
        timer.setting().unwrap(),
        TimerSetting {
            next: None,
            interval: None
        }
    );
    assert!(!readable(&watched(&timer), Duration::from_millis(20)));
    assert_eq!(timer.read().unwrap(), 0);
}

#[test]
fn a_one_shot_timer_expires_once() {
    let timer = TimerFd::new().unwrap();
    let epoll = watched(&timer);
    timer.set_after(Duration::from_millis(10)).unwrap();
    assert!(readable(&epoll, PATIENCE));
    assert_eq!(timer.read().unwrap(), 1);
    // Expired and read: disarmed, and nothing more to read, ever.
    assert_eq!(timer.setting().unwrap().next, None);
    assert!(!readable(&epoll, Duration::from_millis(30)));
    assert_eq!(timer.read().unwrap(), 0);
}

#[test]
fn a_nonblocking_read_with_no_expiration_is_eagain_which_read_reports_as_zero() {
    let timer = TimerFd::new().unwrap();
    timer.set_after(Duration::from_secs(60)).unwrap();
    let mut count = [0u8; 8];
    // SAFETY: `count` is valid for writes of 8 bytes; the fd is open.
    let ret = unsafe { libc::read(timer.as_raw_fd(), count.as_mut_ptr().cast(), 8) };
    assert_eq!(ret, -1);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::EAGAIN)
    );
    assert_eq!(timer.read().unwrap(), 0);
}

#[test]
fn a_read_shorter_than_eight_bytes_is_einval() {
    let timer = TimerFd::new().unwrap();
    let epoll = watched(&timer);
    timer.set_after(Duration::ZERO).unwrap();
    assert!(readable(&epoll, PATIENCE));
    let mut short = [0u8; 4];
    // SAFETY: `short` is valid for writes of 4 bytes; the fd is open.
    let ret = unsafe { libc::read(timer.as_raw_fd(), short.as_mut_ptr().cast(), 4) };
    assert_eq!(ret, -1);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::EINVAL)
    );
    // The failed read took nothing: the expiration is still there.
    assert_eq!(timer.read().unwrap(), 1);
}

#[test]
fn a_timer_stays_readable_until_it_is_read() {
    let timer = TimerFd::new().unwrap();
    let epoll = watched(&timer);
    timer.set_after(Duration::ZERO).unwrap();
    for _ in 0..3 {
        assert!(readable(&epoll, PATIENCE), "level-triggered: every wait");
    }
    assert_eq!(timer.read().unwrap(), 1);
    assert!(!readable(&epoll, Duration::ZERO));
}

#[test]
fn a_zero_it_value_disarms_instead_of_firing() {
    let timer = TimerFd::new().unwrap();
    let epoll = watched(&timer);
    timer.set_after(Duration::from_secs(60)).unwrap();
    assert!(timer.setting().unwrap().next.is_some());
    // What a naive "fire now" sends: it_value zero, with an interval even.
    let zero = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    let value = libc::itimerspec {
        it_value: zero,
        it_interval: libc::timespec {
            tv_sec: 0,
            tv_nsec: 1_000_000,
        },
    };
    // SAFETY: the fd is open; `value` is a live itimerspec, only read; a
    // null old_value asks for nothing back.
    let ret = unsafe { libc::timerfd_settime(timer.as_raw_fd(), 0, &value, std::ptr::null_mut()) };
    assert_eq!(ret, 0);
    // Disarmed. The kernel even keeps the interval, but with no first
    // expiration it never starts.
    assert_eq!(
        timer.setting().unwrap(),
        TimerSetting {
            next: None,
            interval: Some(Duration::from_millis(1))
        }
    );
    assert!(!readable(&epoll, Duration::from_millis(30)));
    assert_eq!(timer.read().unwrap(), 0);
}

#[test]
fn set_after_zero_fires_at_once() {
    let timer = TimerFd::new().unwrap();
    let epoll = watched(&timer);
    timer.set_after(Duration::ZERO).unwrap();
    assert!(readable(&epoll, PATIENCE));
    assert_eq!(timer.read().unwrap(), 1);
    // And with an interval it goes on from there.
    timer
        .set(Duration::ZERO, Some(Duration::from_secs(60)))
        .unwrap();
    assert!(readable(&epoll, PATIENCE));
    assert_eq!(timer.read().unwrap(), 1);
    assert_eq!(
        timer.setting().unwrap().interval,
        Some(Duration::from_secs(60))
    );
}

#[test]
fn expirations_missed_while_not_reading_are_counted() {
    let period = Duration::from_millis(5);
    let timer = TimerFd::new().unwrap();
    timer.set_interval(period).unwrap();
    // At least 60 ms pass, so at least 12 periods of 5 ms end.
    thread::sleep(Duration::from_millis(60));
    let first_read = Instant::now();
    let count = timer.read().unwrap();
    assert!(count >= 12, "{count}");
    // The read started the count again: the second read counts only the
    // periods that ended after the first, at least 4 in the 20 ms slept,
    // and at most one more than fit in the time measured since (however
    // slow the machine, no fixed upper bound).
    thread::sleep(Duration::from_millis(20));
    let count = timer.read().unwrap();
    let at_most = first_read.elapsed().as_nanos() / period.as_nanos() + 1;
    assert!(count >= 4, "{count}");
    assert!(u128::from(count) <= at_most, "{count} > {at_most}");
}

#[test]
fn setting_a_timer_drops_expirations_not_read_yet() {
    let timer = TimerFd::new().unwrap();
    let epoll = watched(&timer);
    timer.set_after(Duration::ZERO).unwrap();
    assert!(readable(&epoll, PATIENCE));
    timer.set_after(Duration::from_secs(60)).unwrap();
    assert!(!readable(&epoll, Duration::ZERO));
    assert_eq!(timer.read().unwrap(), 0);

    timer.set_after(Duration::ZERO).unwrap();
    assert!(readable(&epoll, PATIENCE));
    timer.disarm().unwrap();
    assert_eq!(timer.read().unwrap(), 0, "disarming drops them too");
}

#[test]
fn disarm_stops_a_periodic_timer() {
    let timer = TimerFd::new().unwrap();
    let epoll = watched(&timer);
    timer.set_interval(Duration::from_millis(5)).unwrap();
    assert!(readable(&epoll, PATIENCE));
    timer.disarm().unwrap();
    assert_eq!(timer.setting().unwrap().next, None);
    assert!(!readable(&epoll, Duration::from_millis(30)));
}

#[test]
fn setting_reports_the_time_left_and_the_interval() {
    let timer = TimerFd::new().unwrap();
    timer
        .set(Duration::from_secs(10), Some(Duration::from_millis(250)))
        .unwrap();
    let setting = timer.setting().unwrap();
    let next = setting.next.unwrap();
    assert!(next <= Duration::from_secs(10), "{next:?}");
    assert!(next > Duration::from_secs(5), "{next:?}");
    assert_eq!(setting.interval, Some(Duration::from_millis(250)));
    // A zero interval is the kernel's "once".
    timer
        .set(Duration::from_secs(10), Some(Duration::ZERO))
        .unwrap();
    assert_eq!(timer.setting().unwrap().interval, None);
}

#[test]
fn a_zero_period_is_refused() {
    let timer = TimerFd::new().unwrap();
    let err = timer.set_interval(Duration::ZERO).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(errno(&err), None, "refused before any call");
}

#[test]
fn the_timer_fd_is_nonblocking_and_close_on_exec() {
    let timer = TimerFd::new().unwrap();
    // SAFETY: fcntl with F_GETFL / F_GETFD takes no pointers.
    let (status, fd_flags) = unsafe {
        (
            libc::fcntl(timer.as_raw_fd(), libc::F_GETFL),
            libc::fcntl(timer.as_raw_fd(), libc::F_GETFD),
        )
    };
    assert_ne!(status & libc::O_NONBLOCK, 0);
    assert_ne!(fd_flags & libc::FD_CLOEXEC, 0);
}
