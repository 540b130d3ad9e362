//! A timerfd in an epoll instance, as a one-shot timer and as a periodic
//! one: what a read returns before and after an expiration, that a timer
//! stays readable until it is read, that expirations a program sleeps
//! through are counted, not lost, and that disarming stops it.
//!
//! Nothing printed depends on how fast the machine is: times are only
//! bounds ("at most", "or more"), and every wait that must see an event has
//! a generous limit.
//!
//! Run it with `cargo run -p ch06-everything-is-an-fd --example timer_one_shot_and_periodic`.

use ch01_raw_syscalls::consts::event_names;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch06_everything_is_an_fd::TimerFd;
use std::io;
use std::thread;
use std::time::Duration;

const ONE_SHOT: u64 = 1;
const PERIODIC: u64 = 2;
/// The limit on waits that must see an event, so a bug cannot hang.
const PATIENCE: Duration = Duration::from_secs(2);

/// Waits (at most `timeout`) and describes what came back.
fn wait(epoll: &Epoll, events: &mut Events, timeout: Duration) -> io::Result<String> {
    let n = epoll.wait(events, Some(timeout))?;
    let list: Vec<String> = events
        .iter()
        .map(|event| format!("token {} {}", event.token(), event_names(event.events())))
        .collect();
    Ok(format!("{n} event(s) {list:?}"))
}

// ANCHOR: one_shot
fn one_shot(epoll: &Epoll, events: &mut Events) -> io::Result<()> {
    println!("-- a one-shot timer, 200 ms");
    let timer = TimerFd::new()?;
    epoll.add(&timer, IN, ONE_SHOT)?;
    timer.set_after(Duration::from_millis(200))?;
    let setting = timer.setting()?;
    let next = setting.next.expect("an armed timer has a next expiration");
    println!(
        "armed: next expiration in at most 200 ms: {}; interval: {:?}",
        next <= Duration::from_millis(200),
        setting.interval
    );
    println!("read before it expires: {}", timer.read()?);
    println!("wait: {}", wait(epoll, events, PATIENCE)?);
    println!(
        "wait again, before reading: {}",
        wait(epoll, events, PATIENCE)?
    );
    println!("read: {}", timer.read()?);
    println!("read again: {}", timer.read()?);
    let quiet = Duration::from_millis(50);
    println!("wait 50 ms: {}", wait(epoll, events, quiet)?);
    println!("setting now: {:?}", timer.setting()?);

    println!("-- set_after(Duration::ZERO): expire now");
    timer.set_after(Duration::ZERO)?;
    println!("wait: {}", wait(epoll, events, PATIENCE)?);
    println!("read: {}", timer.read()?);
    Ok(())
}
// ANCHOR_END: one_shot

// ANCHOR: periodic
fn periodic(epoll: &Epoll, events: &mut Events) -> io::Result<()> {
    println!("-- a periodic timer, every 10 ms");
    let timer = TimerFd::new()?;
    epoll.add(&timer, IN, PERIODIC)?;
    timer.set_interval(Duration::from_millis(10))?;
    println!("interval: {:?}", timer.setting()?.interval);
    println!("wait: {}", wait(epoll, events, PATIENCE)?);
    let first = timer.read()?;
    println!("read: at least one expiration: {}", first >= 1);

    // Five periods go by without a read. The kernel counts each expiration.
    thread::sleep(Duration::from_millis(55));
    let missed = timer.read()?;
    println!(
        "read after sleeping 55 ms: {} expirations",
        if missed >= 5 {
            "5 or more"
        } else {
            "fewer than 5"
        }
    );

    timer.disarm()?;
    println!("disarmed; read: {}", timer.read()?);
    let quiet = Duration::from_millis(50);
    println!("wait 50 ms: {}", wait(epoll, events, quiet)?);
    println!("setting now: {:?}", timer.setting()?);
    Ok(())
}
// ANCHOR_END: periodic

pub fn main() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let mut events = Events::with_capacity(4);
    one_shot(&epoll, &mut events)?;
    periodic(&epoll, &mut events)
}
