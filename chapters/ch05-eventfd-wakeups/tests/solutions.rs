//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. Every test runs under `assert_no_fd_leaks`, with its
//! assertions inside the checked closure: the solutions close every fd they
//! open, and a failing assertion reports itself while no other test is
//! counting fds.

use ch01_raw_syscalls::error::errno;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events};
use ch05_eventfd_wakeups::solutions::{
    Handling, Moment, PipeWaker, Round, round, wake_a_full_edge_waker,
};
use ch05_eventfd_wakeups::{INVALID_VALUE, MAX_COUNT, Waker};
use std::time::Duration;
use testkit::{assert_no_fd_leaks, open_fds};

fn ready_now(epoll: &Epoll) -> usize {
    let mut events = Events::with_capacity(4);
    epoll.wait(&mut events, Some(Duration::ZERO)).unwrap()
}

#[test]
fn exercise_1_a_full_edge_triggered_counter_loses_the_wake_unless_read() {
    assert_no_fd_leaks(|| {
        assert_eq!(wake_a_full_edge_waker(false).unwrap(), 0, "lost");
        assert_eq!(wake_a_full_edge_waker(true).unwrap(), 1, "a fresh edge");
    });
}

#[test]
fn exercise_2_a_second_drain_loses_a_wake_and_draining_until_nothing_does_not() {
    assert_no_fd_leaks(|| {
        let lost = round(Handling::DrainTakeDrain, Moment::AfterTake).unwrap();
        assert_eq!(
            lost,
            Round {
                taken: vec!["A"],
                next_wait: 0,
                left: vec!["B"],
            }
        );
        // Between drain and take, the second drain only saves the wait.
        let spared = round(Handling::DrainTakeDrain, Moment::BeforeTake).unwrap();
        assert_eq!((spared.taken, spared.next_wait), (vec!["A", "B"], 0));
        for moment in [Moment::BeforeTake, Moment::AfterTake] {
            let right = round(Handling::UntilDrainFindsNothing, moment).unwrap();
            assert_eq!(
                right,
                Round {
                    taken: vec!["A", "B"],
                    next_wait: 0,
                    left: vec![],
                },
                "{moment:?}"
            );
        }
    });
}

#[test]
fn exercise_3_wake_many_is_refused_whole_and_the_loop_is_woken_anyway() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let waker = Waker::new(&epoll, 1).unwrap();
        assert!(waker.wake_many(0).unwrap());
        assert_eq!(ready_now(&epoll), 0, "0 wakes nobody");
        assert!(waker.wake_many(10).unwrap());
        // 10 + (MAX_COUNT - 9) passes MAX_COUNT by one: nothing is added.
        assert!(!waker.wake_many(MAX_COUNT - 9).unwrap());
        assert_eq!(waker.eventfd().peek().unwrap(), 10);
        assert_eq!(ready_now(&epoll), 1, "but the loop is woken");
        let invalid = waker.wake_many(INVALID_VALUE).unwrap_err();
        assert_eq!(errno(&invalid), Some(libc::EINVAL));
        assert_eq!(waker.drain().unwrap(), 10);
    });
}

#[test]
fn exercise_4_a_pipe_waker_needs_a_draining_loop_and_two_fds() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let before = open_fds().len();
        let eventfd_waker = Waker::new(&epoll, 1).unwrap();
        assert_eq!(open_fds().len(), before + 1);
        drop(eventfd_waker);
        let waker = PipeWaker::new(&epoll, 2).unwrap();
        assert_eq!(open_fds().len(), before + 2);

        // More wakes than the pipe holds: the extra ones are successes.
        for _ in 0..100_000 {
            waker.wake().unwrap();
        }
        assert_eq!(ready_now(&epoll), 1);
        let wakes = waker.drain().unwrap();
        // More than one read's worth came out, and not more than went in.
        assert!(wakes > 4096 && wakes < 100_000, "{wakes}");
        assert_eq!(ready_now(&epoll), 0, "drained");
        waker.wake().unwrap();
        assert_eq!(waker.drain().unwrap(), 1);
    });
}
