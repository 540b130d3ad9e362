//! 64 connections, each with a 64-byte message waiting before the server's
//! first wait: how many `epoll_wait` calls serve them, with room for 64,
//! 16 and 1 events.
//!
//! Run it with `cargo run -p ch13-performance --example batching`.

use ch13_performance::serve_all;
use std::io;

const CONNECTIONS: usize = 64;
const MESSAGE: usize = 64;

pub fn main() -> io::Result<()> {
    println!(
        "{CONNECTIONS} connections, a {MESSAGE}-byte message waiting on each before the first wait"
    );
    println!(
        "room for   epoll_wait calls   events per call   calls per message   then a wait found"
    );
    for capacity in [64, 16, 1] {
        let waits = serve_all(CONNECTIONS, MESSAGE, capacity)?;
        let sizes: Vec<String> = waits
            .events_per_wait
            .iter()
            .map(|n| n.to_string())
            .collect();
        let all_alike = sizes.windows(2).all(|pair| pair[0] == pair[1]);
        let per_call = if sizes.len() > 4 && all_alike {
            format!("{} each", sizes[0])
        } else {
            sizes.join(", ")
        };
        println!(
            "{capacity:>8}   {:>16}   {per_call:<15}   {:>17.3}   {}",
            waits.waits(),
            waits.waits() as f64 / waits.messages() as f64,
            waits.after
        );
    }
    Ok(())
}
