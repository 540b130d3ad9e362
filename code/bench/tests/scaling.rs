//! The scaling measurement's correctness: every timed call reports exactly
//! the one ready fd, and a run closes every fd it opens. Nothing here looks
//! at how long anything took.

use bench::fd_limit::open_fds;
use bench::scaling::{self, FdSet};
use std::io;
use std::sync::Mutex;

/// Tests that open fds or count them run one at a time.
static FDS: Mutex<()> = Mutex::new(());

#[test]
fn quick_run_checks_every_call_and_closes_every_fd() -> io::Result<()> {
    let _guard = FDS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = open_fds()?;
    let config = scaling::Config::quick();
    let report = scaling::run(&config)?;
    let sizes: Vec<usize> = report.rows.iter().map(|row| row.idle).collect();
    assert_eq!(sizes, [10, 100, 1_000]);
    assert_eq!(report.cap, None);
    for row in &report.rows {
        // At least one calibration batch and every round, all checked.
        assert!(row.epoll_calls > config.rounds as u64, "{row:?}");
        assert!(row.poll_calls > config.rounds as u64, "{row:?}");
    }
    assert_eq!(open_fds()?, before, "the run left fds open");
    Ok(())
}

#[test]
fn one_wait_and_one_poll_see_only_the_ready_fd() -> io::Result<()> {
    let _guard = FDS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = open_fds()?;
    for idle in [0, 1, 10, 1_000] {
        let mut set = FdSet::new(idle)?;
        assert_eq!(set.idle_count(), idle);
        assert_eq!(open_fds()?, before + idle as u64 + 2);
        // The ready fd is last and has token N; the idle ones never show.
        assert_eq!(set.epoll_ready()?, [idle as u64]);
        assert_eq!(set.poll_ready()?, [idle]);
        // Nothing reads the ready fd, so it stays ready call after call.
        set.time_epoll(100)?;
        set.time_poll(100)?;
        assert_eq!(set.epoll_ready()?, [idle as u64]);
        assert_eq!(set.poll_ready()?, [idle]);
    }
    assert_eq!(open_fds()?, before);
    Ok(())
}

#[test]
fn timed_calls_refuse_a_second_ready_fd() -> io::Result<()> {
    let _guard = FDS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut set = FdSet::new(10)?;
    set.wake_idle(3)?;
    let mut seen = set.epoll_ready()?;
    seen.sort_unstable();
    assert_eq!(seen, [3, 10]);
    assert_eq!(set.poll_ready()?, [3, 10]);
    let err = set.time_epoll(1).unwrap_err();
    assert!(
        err.to_string().contains("epoll_wait reported 2 event(s)"),
        "{err}"
    );
    let err = set.time_poll(1).unwrap_err();
    assert!(err.to_string().contains("poll reported 2 fd(s)"), "{err}");
    Ok(())
}
