//! A tick source: a periodic timerfd driving a loop built on `Epoll`, with
//! a token per source. The loop counts ticks, not reads: if the loop falls
//! behind, one read returns several expirations, and each one is a tick.
//! After the last tick the timer is disarmed and the loop ends.
//!
//! A second, one-shot timer is a watchdog: if the ticks stopped coming, it
//! would end the loop instead of letting it wait forever.
//!
//! Run it with `cargo run -p ch06-everything-is-an-fd --example ticks`.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch06_everything_is_an_fd::TimerFd;
use std::io;
use std::time::Duration;

// ANCHOR: ticks
const TICK: u64 = 0;
const WATCHDOG: u64 = 1;
const TICKS_WANTED: u64 = 5;
const PERIOD: Duration = Duration::from_millis(20);

pub fn main() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let ticker = TimerFd::new()?;
    let watchdog = TimerFd::new()?;
    epoll.add(&ticker, IN, TICK)?;
    epoll.add(&watchdog, IN, WATCHDOG)?;
    ticker.set_interval(PERIOD)?;
    watchdog.set_after(Duration::from_secs(2))?;

    let mut events = Events::with_capacity(4);
    let mut ticks = 0;
    while ticks < TICKS_WANTED {
        // No timeout: the timers are the only way out, and the watchdog
        // makes sure there is one.
        epoll.wait(&mut events, None)?;
        for event in &events {
            match event.token() {
                TICK => {
                    // Every expiration since the last read is a tick, even
                    // the ones this loop was too slow to see one by one.
                    let expired = ticker.read()?;
                    for _ in 0..expired {
                        if ticks == TICKS_WANTED {
                            break;
                        }
                        ticks += 1;
                        println!("tick {ticks}");
                    }
                }
                WATCHDOG => {
                    watchdog.read()?;
                    println!("watchdog: no tick for too long, giving up");
                    return Ok(());
                }
                token => unreachable!("no source has token {token}"),
            }
        }
    }
    ticker.disarm()?;
    println!("timer disarmed after {ticks} ticks of {PERIOD:?}");
    let n = epoll.wait(&mut events, Some(PERIOD * 3))?;
    println!("a wait of three periods after disarming: {n} events");
    Ok(())
}
// ANCHOR_END: ticks
