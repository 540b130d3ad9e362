//! The timer source in one loop: a one-shot timer, a deadline that has
//! passed already, a periodic timer whose loop falls behind, and a timer
//! that reschedules itself until it says stop.
//!
//! Run it with `cargo run -p ch10-sources-on-generic --example timer_source`.

use ch08_generic_sources::EventLoop;
use ch10_sources_on_generic::{Tick, Timer, TimerAction};
use std::io::{self, ErrorKind};
use std::thread;
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

// ANCHOR: log
/// What the timers saw: for each one, its ticks and when each callback ran.
#[derive(Default)]
struct Log {
    one_shot: Vec<(Tick, Instant)>,
    overdue: Vec<(Tick, Instant)>,
    periodic: Vec<(Tick, Instant)>,
    rescheduling: Vec<(Tick, Instant)>,
}

impl Log {
    fn done(&self) -> bool {
        self.one_shot.len() == 1
            && self.overdue.len() == 1
            && self.periodic.len() == 3
            && self.rescheduling.len() == 3
    }
}
// ANCHOR_END: log

pub fn main() -> io::Result<()> {
    let mut event_loop: EventLoop<'_, Log> = EventLoop::new()?;
    let handle = event_loop.handle();
    let start = Instant::now();

    // ANCHOR: timers
    // Once, 20 ms from now; then it stays in the loop, disarmed.
    handle.insert_source(Timer::after(20 * MS)?, |tick, _, log: &mut Log| {
        log.one_shot.push((tick, Instant::now()));
        TimerAction::Continue
    })?;

    // A deadline that passed before the timer existed: it fires at once.
    handle.insert_source(Timer::at(start)?, |tick, _, log: &mut Log| {
        log.overdue.push((tick, Instant::now()));
        TimerAction::Remove
    })?;

    // Every 10 ms. The first callback stalls the loop for 45 ms, so the
    // second tick reports the deadlines it missed.
    handle.insert_source(Timer::every(10 * MS)?, |tick, _, log: &mut Log| {
        log.periodic.push((tick, Instant::now()));
        match log.periodic.len() {
            1 => thread::sleep(45 * MS),
            3 => return TimerAction::Remove,
            _ => {}
        }
        TimerAction::Continue
    })?;

    // Fires after 5 ms, then asks for 15 ms more, twice, then stops.
    handle.insert_source(Timer::after(5 * MS)?, |tick, _, log: &mut Log| {
        log.rescheduling.push((tick, Instant::now()));
        if log.rescheduling.len() < 3 {
            TimerAction::After(15 * MS)
        } else {
            TimerAction::Remove
        }
    })?;
    // ANCHOR_END: timers

    // ANCHOR: run
    let mut log = Log::default();
    let give_up = start + Duration::from_secs(5);
    while !log.done() {
        if Instant::now() > give_up {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                "the timers never fired",
            ));
        }
        event_loop.dispatch(Some(100 * MS), &mut log)?;
    }
    // ANCHOR_END: run

    // ANCHOR: report
    let (tick, called) = log.one_shot[0];
    println!(
        "one-shot after 20 ms: {} expiration, deadline 20 ms after start: {}, passed when told: {}",
        tick.expirations,
        tick.deadline >= start + 20 * MS,
        tick.deadline <= called
    );
    let (tick, _) = log.overdue[0];
    println!(
        "deadline already passed: fired with {} expiration, deadline as given: {}",
        tick.expirations,
        tick.deadline == start
    );
    let missed = log.periodic[1].0.expirations;
    println!(
        "every 10 ms, the loop stalled 45 ms after the first tick: the next tick reports 4 or more expirations: {}",
        missed >= 4
    );
    let whole_periods = log.periodic.windows(2).all(|w| {
        let periods = u32::try_from(w[1].0.expirations).unwrap_or(u32::MAX);
        w[1].0.deadline - w[0].0.deadline == 10 * MS * periods
    });
    println!("deadlines of the periodic timer are whole periods apart: {whole_periods}");
    let spaced = log
        .rescheduling
        .windows(2)
        .all(|w| w[1].0.deadline >= w[0].1 + 15 * MS);
    println!(
        "rescheduled with After(15 ms): fired {} times, each at least 15 ms after the callback before: {spaced}",
        log.rescheduling.len()
    );
    println!(
        "sources left in the loop: {} (the disarmed one-shot)",
        handle.len()
    );
    // ANCHOR_END: report
    Ok(())
}
