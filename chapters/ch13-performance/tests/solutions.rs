//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. They count calls, never time them. Every test runs
//! inside `assert_no_fd_leaks`.

use ch13_performance::Reading;
use ch13_performance::solutions::{ping_pong_with_rdhup, select_idle_and_ready, serve_all_counted};
use ch13_performance::{IdleAndReady, ping_pong};
use std::io::ErrorKind;
use testkit::assert_no_fd_leaks;

#[test]
fn exercise_1_rdhup_makes_the_short_read_safe_edge_triggered() {
    assert_no_fd_leaks(|| {
        let (calls, end_of_file) = ping_pong_with_rdhup(50, 64).unwrap();
        assert!(end_of_file, "the FIN behind the last message was read");
        assert_eq!((calls.round_trips, calls.waits), (50, 50));
        assert_eq!((calls.reads, calls.eagain, calls.writes), (50, 0, 50));
        // The level-triggered count, edge-triggered.
        let level = ping_pong(Reading::StopAtShortRead, 50, 64).unwrap();
        assert_eq!(calls.total(), level.total());
        assert_eq!(calls.per_round_trip(), 3.0);
    });
}

#[test]
fn exercise_2_at_64_connections_the_wait_is_shared_and_the_reads_are_not() {
    assert_no_fd_leaks(|| {
        let level = serve_all_counted(Reading::StopAtShortRead, 64, 64).unwrap();
        assert_eq!((level.round_trips, level.waits, level.events), (64, 1, 64));
        assert_eq!((level.reads, level.eagain, level.writes), (64, 0, 64));
        let edge = serve_all_counted(Reading::ReadToEagain, 64, 64).unwrap();
        assert_eq!((edge.round_trips, edge.waits, edge.events), (64, 1, 64));
        assert_eq!((edge.reads, edge.eagain, edge.writes), (128, 64, 64));
        // 129 and 193 calls for 64 round trips.
        assert_eq!((level.total(), edge.total()), (129, 193));
    });
}

#[test]
fn exercise_3_select_finds_the_ready_fd_by_looking_at_all() {
    assert_no_fd_leaks(|| {
        let found = select_idle_and_ready(100).unwrap();
        assert_eq!((found.returned, found.ready.clone()), (1, vec![100]));
        assert_eq!(found.looked_at, 101);
        // The same answer as poll's.
        let mut set = IdleAndReady::new(100).unwrap();
        assert_eq!(set.poll_once().unwrap(), found);
    });
}

/// Makes sure this process may hold `fds` descriptors, raising its soft
/// `RLIMIT_NOFILE` if it must (a raise within the hard limit changes
/// nothing else).
fn room_for(fds: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is valid for writing one rlimit.
    assert_eq!(
        unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
        0
    );
    if limit.rlim_cur < fds {
        assert!(
            limit.rlim_max >= fds,
            "the hard limit {} is too low",
            limit.rlim_max
        );
        limit.rlim_cur = fds;
        // SAFETY: `limit` is a live rlimit that the kernel only reads.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);
    }
}

#[test]
fn exercise_3_select_refuses_fds_past_fd_setsize() {
    assert_no_fd_leaks(|| {
        room_for(2048);
        // 1100 eventfds: some get numbers of 1024 and more.
        let err = select_idle_and_ready(1100).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.to_string().contains("fd_set of 1024 bits"), "{err}");
    });
}
