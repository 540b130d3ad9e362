//! One eventfd in two epoll instances, level-triggered in one and
//! edge-triggered in the other, through the same steps. After each step
//! both instances are asked what is ready (timeout 0).
//!
//! Run it with `cargo run -p ch05-eventfd-wakeups --example level_or_edge`.

use ch04_libc_and_a_safe_wrapper::{ET, Epoll, Events, IN};
use ch05_eventfd_wakeups::EventFd;
use std::io;
use std::time::Duration;

fn ready(epoll: &Epoll, events: &mut Events) -> io::Result<&'static str> {
    Ok(match epoll.wait(events, Some(Duration::ZERO))? {
        0 => "-",
        _ => "event",
    })
}

// ANCHOR: level_or_edge
pub fn main() -> io::Result<()> {
    let eventfd = EventFd::new(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC)?;
    let level = Epoll::new()?;
    level.add(&eventfd, IN, 1)?;
    let edge = Epoll::new()?;
    edge.add(&eventfd, IN | ET, 1)?;
    let mut events = Events::with_capacity(1);

    println!("step                          counter  level  edge");
    let steps: [(&str, &dyn Fn() -> io::Result<()>); 6] = [
        ("write(1)", &|| eventfd.write(1)),
        ("nothing", &|| Ok(())),
        ("write(1), never read", &|| eventfd.write(1)),
        ("write(0)", &|| eventfd.write(0)),
        ("read", &|| eventfd.read().map(drop)),
        ("write(0) at 0", &|| eventfd.write(0)),
    ];
    for (name, step) in steps {
        step()?;
        println!(
            "{name:<28}  {:>7}  {:<5}  {}",
            eventfd.peek()?,
            ready(&level, &mut events)?,
            ready(&edge, &mut events)?
        );
    }
    Ok(())
}
// ANCHOR_END: level_or_edge
