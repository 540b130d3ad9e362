//! One loopback connection, 1000 round trips of 64 bytes, and the server
//! side counting its own system calls: level-triggered and stopping at a
//! short read, then edge-triggered and reading until `EAGAIN`.
//!
//! Run it with `cargo run -p ch13-performance --example extra_read`.

use ch13_performance::{Reading, ping_pong};
use std::io;

const ROUND_TRIPS: u64 = 1000;
const MESSAGE: usize = 64;

// ANCHOR: main
pub fn main() -> io::Result<()> {
    println!("{ROUND_TRIPS} round trips of {MESSAGE} bytes on one loopback connection:");
    for reading in [Reading::StopAtShortRead, Reading::ReadToEagain] {
        let calls = ping_pong(reading, ROUND_TRIPS, MESSAGE)?;
        println!("{}:", reading.describe());
        println!(
            "  {} round trips, {} waits ({} events), {} reads ({} EAGAIN), {} writes",
            calls.round_trips, calls.waits, calls.events, calls.reads, calls.eagain, calls.writes
        );
        println!(
            "  {:.2} system calls per round trip",
            calls.per_round_trip()
        );
    }
    Ok(())
}
// ANCHOR_END: main
