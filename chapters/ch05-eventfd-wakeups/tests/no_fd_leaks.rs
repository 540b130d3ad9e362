//! Every example closes every file descriptor it opens, including the ones
//! its threads use. Each runs here, in this process, between two looks at
//! /proc/self/fd. All tests in this binary go through `assert_no_fd_leaks`,
//! which runs them one at a time.

#[path = "../examples/cloexec_and_nonblock.rs"]
mod cloexec_and_nonblock;
#[path = "../examples/coalescing.rs"]
mod coalescing;
#[path = "../examples/counter_rules.rs"]
mod counter_rules;
#[path = "../examples/drain_then_check.rs"]
mod drain_then_check;
#[path = "../examples/full_counter.rs"]
mod full_counter;
#[path = "../examples/level_or_edge.rs"]
mod level_or_edge;
#[path = "../examples/semaphore_mode.rs"]
mod semaphore_mode;
#[path = "../examples/shutdown_from_another_thread.rs"]
mod shutdown_from_another_thread;
#[path = "../examples/wake_a_blocked_loop.rs"]
mod wake_a_blocked_loop;

use ch01_raw_syscalls::error::{errno, failed_call};
use ch04_libc_and_a_safe_wrapper::Epoll;
use ch05_eventfd_wakeups::{EventFd, Waker};
use std::io;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;
use testkit::{assert_no_fd_leaks, open_fds};

/// Runs an example whose loop waits with no timeout, on a thread of its
/// own, and fails instead of hanging if it has not returned after a while
/// (as it would not if a wake were lost).
fn bounded(main: fn() -> io::Result<()>) -> io::Result<()> {
    let (done_tx, done_rx) = mpsc::channel();
    thread::spawn(move || done_tx.send(main()));
    done_rx
        .recv_timeout(Duration::from_secs(20))
        .expect("the example panicked or never returned")
}

#[test]
fn cloexec_and_nonblock_closes_everything() {
    assert_no_fd_leaks(cloexec_and_nonblock::main).unwrap();
}

#[test]
fn coalescing_closes_everything() {
    assert_no_fd_leaks(coalescing::main).unwrap();
}

#[test]
fn counter_rules_closes_everything() {
    assert_no_fd_leaks(counter_rules::main).unwrap();
}

#[test]
fn drain_then_check_closes_everything() {
    assert_no_fd_leaks(drain_then_check::main).unwrap();
}

#[test]
fn full_counter_closes_everything() {
    assert_no_fd_leaks(full_counter::main).unwrap();
}

#[test]
fn level_or_edge_closes_everything() {
    assert_no_fd_leaks(level_or_edge::main).unwrap();
}

#[test]
fn semaphore_mode_closes_everything() {
    assert_no_fd_leaks(semaphore_mode::main).unwrap();
}

#[test]
fn shutdown_from_another_thread_closes_everything() {
    assert_no_fd_leaks(|| bounded(shutdown_from_another_thread::main)).unwrap();
}

#[test]
fn wake_a_blocked_loop_closes_everything() {
    assert_no_fd_leaks(|| bounded(wake_a_blocked_loop::main)).unwrap();
}

#[test]
fn an_eventfd_is_one_descriptor_closed_on_drop() {
    assert_no_fd_leaks(|| {
        let before = open_fds().len();
        let eventfd = EventFd::new(0, libc::EFD_CLOEXEC).unwrap();
        let fds = open_fds();
        assert_eq!(fds.len(), before + 1);
        assert!(fds.iter().any(|fd| fd.target == "anon_inode:[eventfd]"));
        drop(eventfd);
        assert_eq!(open_fds().len(), before);
    });
}

#[test]
fn a_waker_is_closed_when_its_last_clone_is_dropped() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let before = open_fds().len();
        let waker = Waker::new(&epoll, 0).unwrap();
        let clones: Vec<Waker> = (0..3).map(|_| waker.clone()).collect();
        assert_eq!(open_fds().len(), before + 1); // clones share one fd
        drop(waker);
        assert_eq!(open_fds().len(), before + 1);
        drop(clones);
        assert_eq!(open_fds().len(), before);
    });
}

#[test]
fn out_of_descriptors_eventfd_fails_with_emfile_and_names_the_call() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        // The lowest free fd number: with the soft limit there, no new
        // descriptor fits.
        let used: Vec<i32> = open_fds().iter().map(|fd| fd.fd).collect();
        let lowest_free = (0..).find(|n| !used.contains(n)).unwrap();
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: `limit` is a live rlimit for getrlimit to fill.
        assert_eq!(
            unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) },
            0
        );
        let lowered = libc::rlimit {
            rlim_cur: libc::rlim_t::try_from(lowest_free).unwrap(),
            rlim_max: limit.rlim_max,
        };
        // SAFETY: both point to live rlimit values; only the soft limit
        // changes, and it is put back below.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lowered) }, 0);
        let eventfd = EventFd::new(0, libc::EFD_CLOEXEC);
        let waker = Waker::new(&epoll, 0);
        // SAFETY: as above, restoring the limit read before.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) }, 0);

        for err in [eventfd.unwrap_err(), waker.unwrap_err()] {
            assert_eq!(errno(&err), Some(libc::EMFILE));
            assert_eq!(failed_call(&err), Some("eventfd"));
        }
    });
}
