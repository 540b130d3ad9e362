//! A timer source: chapter 6's `TimerFd` inside a `Generic`.
//!
//! The kernel keeps the time and counts expirations; the source keeps the
//! schedule it asked for, so it can tell its callback which deadline passed,
//! and applies what the callback answers by setting the timerfd again. The
//! fd stays registered the whole time: re-arming a timerfd is a
//! `timerfd_settime`, not an `epoll_ctl`.

use ch06_everything_is_an_fd::TimerFd;
use ch08_generic_sources::{
    EventSource, Generic, Interest, Mode, Poller, PostAction, Readiness, Token, TokenFactory,
};
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::{Duration, Instant};

// ANCHOR: tick
/// What a timer's callback is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tick {
    /// The deadline that passed. For a periodic timer that fell behind, the
    /// latest of those that passed. It is never later than the moment the
    /// callback runs.
    pub deadline: Instant,
    /// How many deadlines passed since the callback was last called, or
    /// since the timer was set: 1 on time, more when the loop was late.
    pub expirations: u64,
}

/// What the timer does next: the callback's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerAction {
    /// Keep the schedule: a periodic timer ticks on; a one-shot timer that
    /// fired stays in the loop, disarmed.
    Continue,
    /// Fire once more, at this instant (at once, if it has passed).
    At(Instant),
    /// Fire once more, this long from now.
    After(Duration),
    /// Fire every `period` from now on, the first time one period from now.
    Every(Duration),
    /// Stop: the loop removes the source, which closes its timerfd.
    Remove,
}
// ANCHOR_END: tick

// ANCHOR: timer
/// A timer event source: a timerfd on the monotonic clock (the clock of
/// `Instant`), level-triggered, and the schedule it was set to.
///
/// The timer starts counting when it is made, not when it is inserted: a
/// periodic timer inserted late reports the ticks it missed in its first
/// [`Tick`].
#[derive(Debug)]
pub struct Timer {
    inner: Generic<TimerFd>,
    schedule: Schedule,
}

/// The schedule the timerfd was last set to.
#[derive(Clone, Copy, Debug)]
struct Schedule {
    /// The next deadline; `None` while the timer is disarmed.
    next: Option<Instant>,
    /// The period of a periodic timer.
    period: Option<Duration>,
}
// ANCHOR_END: timer

impl Timer {
    // ANCHOR: constructors
    /// A one-shot timer for `deadline`; one in the past fires at once.
    pub fn at(deadline: Instant) -> io::Result<Timer> {
        Timer::with_action(TimerAction::At(deadline))
    }

    /// A one-shot timer, `delay` from now.
    pub fn after(delay: Duration) -> io::Result<Timer> {
        Timer::with_action(TimerAction::After(delay))
    }

    /// A periodic timer: every `period`, the first time one period from
    /// now. A zero period is refused with `InvalidInput`.
    pub fn every(period: Duration) -> io::Result<Timer> {
        Timer::with_action(TimerAction::Every(period))
    }

    fn with_action(action: TimerAction) -> io::Result<Timer> {
        let timer = TimerFd::new()?;
        let mut schedule = Schedule {
            next: None,
            period: None,
        };
        schedule.apply(&timer, action)?;
        Ok(Timer {
            inner: Generic::new(timer, Interest::READABLE, Mode::Level),
            schedule,
        })
    }
    // ANCHOR_END: constructors

    /// The next deadline, or `None` if the timer is disarmed (a one-shot
    /// timer that fired and was told to [`Continue`](TimerAction::Continue)).
    pub fn deadline(&self) -> Option<Instant> {
        self.schedule.next
    }

    /// The period, for a periodic timer.
    pub fn period(&self) -> Option<Duration> {
        self.schedule.period
    }
}

impl Schedule {
    // ANCHOR: passed
    /// The tick for `expirations` deadlines that passed, and the schedule
    /// moved on past them.
    fn passed(&mut self, expirations: u64) -> Tick {
        let first = self.next.unwrap_or_else(Instant::now);
        let deadline = match self.period {
            // The n-th deadline from `first` is n - 1 periods later.
            Some(period) => {
                let last = later(first, period, expirations - 1);
                self.next = Some(later(last, period, 1));
                last
            }
            None => {
                self.next = None;
                first
            }
        };
        Tick {
            deadline,
            expirations,
        }
    }
    // ANCHOR_END: passed

    // ANCHOR: apply
    /// Sets `timer` as `action` says, and returns what the loop should do
    /// with the source.
    ///
    /// A deadline is turned into a delay from now, computed before the
    /// kernel arms the timer: the kernel's expiration comes a little after
    /// the deadline kept here, never before it.
    fn apply(&mut self, timer: &TimerFd, action: TimerAction) -> io::Result<PostAction> {
        let now = Instant::now();
        let (next, period) = match action {
            TimerAction::Continue => return Ok(PostAction::Continue),
            // The loop drops the source, and closing the timerfd frees
            // the timer.
            TimerAction::Remove => return Ok(PostAction::Remove),
            TimerAction::At(deadline) => {
                timer.set_after(deadline.saturating_duration_since(now))?;
                (deadline, None)
            }
            TimerAction::After(delay) => {
                let deadline = now.checked_add(delay).ok_or_else(|| too_far(delay))?;
                timer.set_after(delay)?;
                (deadline, None)
            }
            TimerAction::Every(period) => {
                let deadline = now.checked_add(period).ok_or_else(|| too_far(period))?;
                timer.set_interval(period)?;
                (deadline, Some(period))
            }
        };
        self.next = Some(next);
        self.period = period;
        Ok(PostAction::Continue)
    }
    // ANCHOR_END: apply
}

/// `start` plus `times` periods; the far future if that does not fit in an
/// `Instant` (which no timer of this book reaches).
fn later(start: Instant, period: Duration, times: u64) -> Instant {
    let times = u32::try_from(times).unwrap_or(u32::MAX);
    period
        .checked_mul(times)
        .and_then(|span| start.checked_add(span))
        .unwrap_or(start + Duration::from_secs(u64::from(u32::MAX)))
}

fn too_far(delay: Duration) -> io::Error {
    io::Error::new(
        ErrorKind::InvalidInput,
        format!("Timer: a delay of {delay:?} goes past the end of time"),
    )
}

// ANCHOR: event_source
impl EventSource for Timer {
    type Event = Tick;
    type Metadata = ();
    type Ret = TimerAction;
    type Error = io::Error;

    fn process_events<C>(
        &mut self,
        readiness: Readiness,
        token: Token,
        mut callback: C,
    ) -> io::Result<PostAction>
    where
        C: FnMut(Tick, &mut ()) -> TimerAction,
    {
        let schedule = &mut self.schedule;
        self.inner.process_events(readiness, token, |_, timer| {
            // The count, and the timerfd is not readable any more. 0: the
            // timer was set again since the event was queued.
            let expirations = timer.read()?;
            if expirations == 0 {
                return Ok(PostAction::Continue);
            }
            let tick = schedule.passed(expirations);
            let action = callback(tick, &mut ());
            schedule.apply(timer, action)
        })
    }

    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.register(poller, tokens)
    }

    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.reregister(poller, tokens)
    }

    fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
        self.inner.unregister(poller)
    }
}
// ANCHOR_END: event_source

impl AsFd for Timer {
    /// The timerfd.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_periodic_schedule_moves_on_by_whole_periods() {
        let start = Instant::now();
        let period = Duration::from_millis(10);
        let mut schedule = Schedule {
            next: Some(start),
            period: Some(period),
        };
        let tick = schedule.passed(3);
        assert_eq!(tick.deadline, start + 2 * period);
        assert_eq!(tick.expirations, 3);
        assert_eq!(schedule.next, Some(start + 3 * period));
        assert_eq!(schedule.passed(1).deadline, start + 3 * period);
    }

    #[test]
    fn a_one_shot_schedule_is_spent_once_it_passed() {
        let start = Instant::now();
        let mut schedule = Schedule {
            next: Some(start),
            period: None,
        };
        assert_eq!(schedule.passed(1).deadline, start);
        assert_eq!(schedule.next, None);
    }

    #[test]
    fn a_zero_period_and_an_endless_delay_are_refused() {
        assert_eq!(
            Timer::every(Duration::ZERO).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            Timer::after(Duration::MAX).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }
}
