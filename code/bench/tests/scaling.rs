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
    assert_eq!(report.fit, None);
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

#[test]
fn parked_fds_stay_registered_while_their_holders_live() -> io::Result<()> {
    let _guard = FDS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = open_fds()?;
    // 100 idle fds in batches of 30: four holder processes.
    let mut set = FdSet::parked(100, 30)?;
    assert_eq!(set.idle_count(), 100);
    assert_eq!(set.parked_count(), 100);
    // Here: the instance, the ready fd, and the holders' pipe's write end.
    assert_eq!(open_fds()?, before + 3);
    // The instance still has all 101 entries, closed here or not.
    assert_eq!(fdinfo_entries(&set)?, 101);
    assert_eq!(set.epoll_ready()?, [100]);
    set.time_epoll(100)?;
    // poll cannot see fds this process does not hold.
    for err in [set.poll_ready().unwrap_err(), set.time_poll(1).unwrap_err()] {
        assert_eq!(err.kind(), io::ErrorKind::Unsupported, "{err}");
    }
    assert_eq!(
        set.wake_idle(0).unwrap_err().kind(),
        io::ErrorKind::Unsupported
    );
    drop(set);
    assert_eq!(open_fds()?, before, "the set left fds open");
    Ok(())
}

#[test]
fn a_batch_of_zero_is_refused() {
    let err = FdSet::parked(10, 0).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
}

/// How many `tfd:` lines the instance's `/proc/self/fdinfo` entry has: one
/// per interest-list entry.
fn fdinfo_entries(set: &FdSet) -> io::Result<usize> {
    let text = std::fs::read_to_string(format!("/proc/self/fdinfo/{}", set.epoll_fd()))?;
    Ok(text.lines().filter(|l| l.starts_with("tfd:")).count())
}

#[test]
fn the_table_marks_rows_poll_could_not_measure() {
    use bench::report::Results;
    use bench::scaling::{Report, Row};
    let row = |idle, poll_ns: Option<f64>, parked| Row {
        idle,
        epoll_ns: 400.0,
        poll_ns,
        epoll_calls: 10,
        poll_calls: if poll_ns.is_some() { 10 } else { 0 },
        parked,
    };
    let results = Results {
        scaling: Some(Report {
            rows: vec![row(10, Some(600.0), 0), row(100_000, None, 100_000)],
            fit: Some(19_977),
        }),
        ..Results::default()
    };
    let table = results.scaling_table().expect("a scaling report");
    let lines: Vec<&str> = table.lines().collect();
    assert!(
        lines[2].contains("|         10 |") && lines[2].contains("1.5 |"),
        "{table}"
    );
    assert!(
        lines[3].contains("100,000") && lines[3].matches('–').count() == 2,
        "{table}"
    );
    assert!(table.contains("Above N = 19,977"), "{table}");
    let no_cap = Results {
        scaling: Some(Report {
            rows: vec![row(10, Some(600.0), 0)],
            fit: None,
        }),
        ..Results::default()
    };
    assert!(!no_cap.scaling_table().unwrap().contains("Above N"));
}
