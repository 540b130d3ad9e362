//! The wakeup measurement's correctness: every wake sent is received, the
//! echo thread is joined, and no fd is left open. Nothing here looks at how
//! long anything took.

use bench::wakeup::{self, Stats};
use std::io;

fn assert_counts(stats: &Stats, round_trips: usize) {
    assert_eq!(stats.round_trips, round_trips, "{stats:?}");
    // Each round trip is one wake each way.
    assert_eq!(stats.wakes_sent, 2 * round_trips as u64, "{stats:?}");
    assert_eq!(stats.wakes_received, stats.wakes_sent, "{stats:?}");
    assert_eq!(stats.threads_joined, 1, "{stats:?}");
    assert!(stats.median_us <= stats.p99_us, "{stats:?}");
}

#[test]
fn quick_run_receives_every_wake_and_closes_every_fd() -> io::Result<()> {
    testkit::assert_no_fd_leaks(|| {
        let config = wakeup::Config::quick();
        assert_eq!(config.round_trips, 1_000);
        let report = wakeup::run(&config)?;
        assert_counts(&report.book, config.round_trips);
        assert_counts(&report.mio, config.round_trips);
        assert_counts(&report.park, config.round_trips);
        Ok(())
    })
}

#[test]
fn each_way_alone_receives_every_wake() -> io::Result<()> {
    testkit::assert_no_fd_leaks(|| {
        for round_trips in [1, 2, 10] {
            assert_counts(&wakeup::measure_book(round_trips)?, round_trips);
            assert_counts(&wakeup::measure_mio(round_trips)?, round_trips);
            assert_counts(&wakeup::measure_park(round_trips)?, round_trips);
        }
        Ok(())
    })
}
