//! One ready eventfd after N idle ones: `poll` says one is ready and the
//! program searches the array for it; `epoll_wait` returns just that one.
//!
//! Run it with `cargo run -p ch13-performance --example poll_scans_every_entry`.

use ch13_performance::IdleAndReady;
use std::io;

pub fn main() -> io::Result<()> {
    println!("one ready eventfd after N idle ones: what each call returned, and how many");
    println!("entries the program searched to find the ready one");
    println!("    N   poll returned   searched   epoll_wait returned   searched   ready fd");
    for idle in [10, 100, 1000] {
        let mut fds = IdleAndReady::new(idle)?;
        let polled = fds.poll_once()?;
        let waited = fds.wait_once()?;
        if polled.ready != waited.ready {
            return Err(io::Error::other(format!(
                "poll found {:?}, epoll_wait {:?}",
                polled.ready, waited.ready
            )));
        }
        let ready: Vec<String> = polled.ready.iter().map(|i| i.to_string()).collect();
        println!(
            "{idle:>5}   {:>13}   {:>8}   {:>19}   {:>8}   {}",
            polled.returned,
            polled.looked_at,
            waited.returned,
            waited.looked_at,
            ready.join(", ")
        );
    }
    Ok(())
}
