//! The timer source: one-shot deadlines, periodic ticks, missed ticks,
//! and what the callback's answer does to the schedule.

mod common;

use ch08_generic_sources::EventLoop;
use ch10_sources_on_generic::{Tick, Timer, TimerAction};
use common::*;
use std::thread;
use std::time::{Duration, Instant};

const MS: Duration = Duration::from_millis(1);

/// The ticks a loop saw, each with the moment its callback ran.
type Seen = Vec<(Tick, Instant)>;

#[test]
fn a_one_shot_timer_fires_once_after_its_delay() {
    let mut event_loop: EventLoop<'_, Seen> = EventLoop::new().unwrap();
    let start = Instant::now();
    let timer = Timer::after(20 * MS).unwrap();
    let deadline = timer.deadline().unwrap();
    assert!(deadline >= start + 20 * MS);
    assert_eq!(timer.period(), None);
    event_loop
        .handle()
        .insert_source(timer, |tick, &mut (), seen: &mut Seen| {
            seen.push((tick, Instant::now()));
            TimerAction::Continue
        })
        .unwrap();

    let mut seen = Seen::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    if Instant::now() < deadline {
        // The dispatch certainly looked before the deadline (a slow
        // machine may get past it first, and then this proves nothing).
        assert!(seen.is_empty(), "not before its deadline");
    }
    dispatch_until(&mut event_loop, &mut seen, |seen| !seen.is_empty());
    let (tick, called) = seen[0];
    assert_eq!(tick.expirations, 1);
    assert_eq!(tick.deadline, deadline);
    assert!(tick.deadline <= called, "the deadline has passed when told");

    // Once only: the timerfd is disarmed, and the source waits in the loop.
    event_loop.dispatch(Some(30 * MS), &mut seen).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(event_loop.handle().len(), 1);
}

#[test]
fn a_deadline_that_has_passed_fires_at_the_first_dispatch() {
    let mut event_loop: EventLoop<'_, Seen> = EventLoop::new().unwrap();
    let past = Instant::now();
    thread::sleep(MS);
    let timer = Timer::at(past).unwrap();
    event_loop
        .handle()
        .insert_source(timer, |tick, &mut (), seen: &mut Seen| {
            seen.push((tick, Instant::now()));
            TimerAction::Remove
        })
        .unwrap();
    let mut seen = Seen::new();
    // One dispatch; the timeout only bounds the wait.
    event_loop.dispatch(Some(PATIENCE), &mut seen).unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0.deadline, past);
    assert!(event_loop.handle().is_empty(), "Remove removed it");
}

#[test]
fn a_periodic_timer_ticks_one_period_apart_until_told_to_stop() {
    let mut event_loop: EventLoop<'_, Seen> = EventLoop::new().unwrap();
    let period = 5 * MS;
    let timer = Timer::every(period).unwrap();
    let first = timer.deadline().unwrap();
    assert_eq!(timer.period(), Some(period));
    event_loop
        .handle()
        .insert_source(timer, |tick, &mut (), seen: &mut Seen| {
            seen.push((tick, Instant::now()));
            if seen.len() == 4 {
                TimerAction::Remove
            } else {
                TimerAction::Continue
            }
        })
        .unwrap();
    let mut seen = Seen::new();
    dispatch_until(&mut event_loop, &mut seen, |seen| seen.len() == 4);
    assert!(event_loop.handle().is_empty());

    // Whatever the loop's delays, each deadline is a whole number of
    // periods after the first, as many as expirations say.
    let mut expected = first - period;
    for (tick, called) in &seen {
        expected += period * u32::try_from(tick.expirations).unwrap();
        assert_eq!(tick.deadline, expected);
        assert!(tick.deadline <= *called);
    }
}

#[test]
fn a_late_loop_is_told_how_many_ticks_it_missed() {
    let mut event_loop: EventLoop<'_, Seen> = EventLoop::new().unwrap();
    let period = 10 * MS;
    let timer = Timer::every(period).unwrap();
    let first = timer.deadline().unwrap();
    event_loop
        .handle()
        .insert_source(timer, |tick, &mut (), seen: &mut Seen| {
            seen.push((tick, Instant::now()));
            TimerAction::Remove
        })
        .unwrap();
    // Five periods and a half go by before the loop looks.
    thread::sleep(55 * MS);
    let mut seen = Seen::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert_eq!(seen.len(), 1, "one event, one call");
    let tick = seen[0].0;
    assert!(tick.expirations >= 5, "{} expirations", tick.expirations);
    let missed = u32::try_from(tick.expirations - 1).unwrap();
    assert_eq!(tick.deadline, first + period * missed, "the latest one");
}

#[test]
fn the_callback_reschedules_the_timer() {
    let mut event_loop: EventLoop<'_, Seen> = EventLoop::new().unwrap();
    let delay = 5 * MS;
    let timer = Timer::after(delay).unwrap();
    event_loop
        .handle()
        .insert_source(timer, move |tick, &mut (), seen: &mut Seen| {
            let now = Instant::now();
            seen.push((tick, now));
            match seen.len() {
                1 => TimerAction::After(delay),
                2 => TimerAction::At(now + delay),
                3 => TimerAction::Every(delay),
                4 => TimerAction::Continue,
                _ => TimerAction::Remove,
            }
        })
        .unwrap();
    let mut seen = Seen::new();
    dispatch_until(&mut event_loop, &mut seen, |seen| seen.len() == 5);
    assert!(event_loop.handle().is_empty());
    // The first three answers set a new deadline from inside the callback:
    // the next tick is never earlier than that callback plus the delay.
    for pair in seen[..4].windows(2) {
        let (_, called_before) = pair[0];
        let (tick, _) = pair[1];
        assert!(tick.deadline >= called_before + delay);
    }
    // The fourth kept the periodic schedule: whole periods on.
    let periods = u32::try_from(seen[4].0.expirations).unwrap();
    assert_eq!(seen[4].0.deadline, seen[3].0.deadline + delay * periods);
}

#[test]
fn a_timer_out_of_the_loop_keeps_counting() {
    let mut event_loop: EventLoop<'_, Seen> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let period = 5 * MS;
    let callback = |tick, _: &mut (), seen: &mut Seen| {
        seen.push((tick, Instant::now()));
        TimerAction::Continue
    };
    let token = handle
        .insert_source(Timer::every(period).unwrap(), callback)
        .unwrap();
    let timer: Timer = handle.take(token).unwrap();
    assert!(handle.is_empty());
    thread::sleep(30 * MS);
    handle.insert_source(timer, callback).unwrap();
    let mut seen = Seen::new();
    event_loop.dispatch(NOW, &mut seen).unwrap();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].0.expirations >= 6, "{}", seen[0].0.expirations);
}

#[test]
fn continue_leaves_a_fired_one_shot_timer_disarmed() {
    let mut event_loop: EventLoop<'_, Seen> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let token = handle
        .insert_source(
            Timer::after(MS).unwrap(),
            |tick, &mut (), seen: &mut Seen| {
                seen.push((tick, Instant::now()));
                TimerAction::Continue
            },
        )
        .unwrap();
    let mut seen = Seen::new();
    dispatch_until(&mut event_loop, &mut seen, |seen| !seen.is_empty());
    let timer: Timer = handle.take(token).unwrap();
    assert_eq!(timer.deadline(), None);
}
