//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. Every test runs inside `assert_no_fd_leaks`.

use ch12_production_crates::solutions::{
    Entry, Leftover, StuckListener, calloop_instance, calloop_level_after_a_budget,
    listener_after_a_failed_accept, mio_after_a_budget,
};
use rustix::event::epoll::EventFlags;
use testkit::{assert_no_fd_leaks, open_fds};

#[test]
fn exercise_1_mio_reports_leftover_data_only_after_a_reregister() {
    assert_no_fd_leaks(|| {
        let cut_off = mio_after_a_budget(16, false).unwrap();
        assert_eq!(
            cut_off,
            Leftover {
                first_read: 16,
                events_after: 0
            }
        );
        let rearmed = mio_after_a_budget(16, true).unwrap();
        assert_eq!(
            rearmed,
            Leftover {
                first_read: 16,
                events_after: 1
            }
        );
    });
}

#[test]
fn exercise_1_calloop_level_reports_leftover_data_on_every_wait() {
    assert_no_fd_leaks(|| {
        assert_eq!(calloop_level_after_a_budget(16).unwrap(), [16, 16, 16]);
    });
}

#[test]
fn exercise_2_an_edge_listener_is_quiet_and_stuck_until_a_newcomer() {
    assert_no_fd_leaks(|| {
        assert_eq!(
            listener_after_a_failed_accept(true).unwrap(),
            StuckListener {
                events_while_stuck: 0,
                events_after_a_newcomer: 1,
                accepted_then: 2,
            }
        );
    });
}

#[test]
fn exercise_2_a_level_listener_is_reported_by_every_wait_it_spins_on() {
    assert_no_fd_leaks(|| {
        assert_eq!(
            listener_after_a_failed_accept(false).unwrap(),
            StuckListener {
                events_while_stuck: 3,
                events_after_a_newcomer: 1,
                accepted_then: 2,
            }
        );
    });
}

#[test]
fn exercise_3_calloop_opens_an_eventfd_and_a_timerfd_with_its_epoll() {
    assert_no_fd_leaks(|| {
        let before = open_fds();
        let event_loop: calloop::EventLoop<'_, ()> = calloop::EventLoop::try_new().unwrap();
        let mut new: Vec<String> = open_fds()
            .into_iter()
            .filter(|fd| !before.contains(fd))
            .map(|fd| fd.target)
            .collect();
        new.sort();
        assert_eq!(
            new,
            [
                "anon_inode:[eventfd]",
                "anon_inode:[eventpoll]",
                "anon_inode:[timerfd]"
            ]
        );
        drop(event_loop);
    });
}

#[test]
fn exercise_3_both_entries_are_one_shot_and_rearmed_around_each_wait() {
    assert_no_fd_leaks(|| {
        let oneshot = EventFlags::ONESHOT.bits();
        let always = EventFlags::ERR.bits() | EventFlags::HUP.bits();
        let readable = EventFlags::IN.bits() | EventFlags::PRI.bits();
        let armed = |kind: &str| Entry {
            kind: kind.to_owned(),
            events: oneshot | always | readable,
        };
        let [made, timed_out, looked] = calloop_instance().unwrap();
        // Made: the eventfd armed, the timerfd registered for nothing yet.
        assert_eq!(
            made,
            [
                armed("anon_inode:[eventfd]"),
                Entry {
                    kind: "anon_inode:[timerfd]".to_owned(),
                    events: oneshot | always
                }
            ]
        );
        // The 1 ms timeout was the timerfd firing: disabled, ONESHOT left.
        assert_eq!(
            timed_out,
            [
                armed("anon_inode:[eventfd]"),
                Entry {
                    kind: "anon_inode:[timerfd]".to_owned(),
                    events: oneshot
                }
            ]
        );
        // A wait that does not block re-arms the timerfd all the same.
        assert_eq!(
            looked,
            [armed("anon_inode:[eventfd]"), armed("anon_inode:[timerfd]")]
        );
    });
}
