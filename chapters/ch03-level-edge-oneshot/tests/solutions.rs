//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. Every test runs under `assert_no_fd_leaks`, with its
//! assertions inside the checked closure: the solutions close every fd they
//! open, and a failing assertion reports itself while no other test is
//! counting fds.

use ch01_raw_syscalls::{EPOLLHUP, EPOLLIN, EPOLLRDHUP};
use ch03_level_edge_oneshot::Stop;
use ch03_level_edge_oneshot::solutions::{
    Handled, LoudAndQuiet, Run, drain_a_blocking_pipe, edge_half_close, fair_with_budget,
    fair_with_mod,
};
use testkit::assert_no_fd_leaks;

#[test]
fn exercise_1_a_drain_of_a_blocking_pipe_sleeps_after_the_data() {
    assert_no_fd_leaks(|| {
        let seen = drain_a_blocking_pipe().unwrap();
        assert_eq!(seen.while_stuck.state, 'S');
        assert!(
            seen.while_stuck.wchan.ends_with("pipe_read") || seen.while_stuck.wchan == "0",
            "{:?}",
            seen.while_stuck
        );
        // It had the data all along, and only the closed write end let it
        // return: with end of file, never with EAGAIN.
        assert_eq!(seen.data, b"hello");
        assert_eq!(
            (seen.drained.bytes, seen.drained.reads, seen.drained.stop),
            (5, 1, Stop::EndOfFile)
        );
    });
}

#[test]
fn exercise_2_the_budget_trades_the_quiet_fds_wait_for_turns() {
    assert_no_fd_leaks(|| {
        // (budget, loud reads before the quiet fd, turns)
        for (budget, quiet_after, turns) in [(1, 1, 101), (4, 4, 26), (1000, 100, 1)] {
            let run = fair_with_budget(&LoudAndQuiet::new().unwrap(), budget).unwrap();
            assert_eq!(run.quiet_served, Some((1, quiet_after)), "budget {budget}");
            assert_eq!(run.turns, turns, "budget {budget}");
            // One wait per turn, and one that finds nothing left.
            assert_eq!(run.epoll_waits, turns + 1, "budget {budget}");
            assert_eq!(run.loud_reads, 100, "budget {budget}");
        }
    });
}

#[test]
fn exercise_3_mod_instead_of_a_queue_serves_the_quiet_fd_for_a_syscall_a_turn() {
    assert_no_fd_leaks(|| {
        let queue = fair_with_budget(&LoudAndQuiet::new().unwrap(), 4).unwrap();
        let with_mod = fair_with_mod(&LoudAndQuiet::new().unwrap(), 4).unwrap();
        assert_eq!(
            with_mod,
            Run {
                quiet_served: Some((1, 4)),
                turns: 25,
                epoll_waits: 26,
                epoll_ctls: 25,
                // 100 loud reads, then the quiet one's data and EAGAIN.
                reads: 102,
                loud_reads: 100,
            }
        );
        assert_eq!((queue.epoll_ctls, queue.reads), (0, 103));
        assert_eq!(queue.syscalls(), 27 + 103);
        assert_eq!(with_mod.syscalls(), 26 + 25 + 102);
    });
}

#[test]
fn exercise_4_edge_triggered_reports_the_half_close_once_and_the_handler_answers() {
    assert_no_fd_leaks(|| {
        let seen = edge_half_close().unwrap();
        assert_eq!(seen.first, [EPOLLIN]);
        assert!(seen.again.is_empty());
        assert_eq!(seen.at_shutdown, [EPOLLIN | EPOLLRDHUP]);
        assert_eq!(
            seen.handled,
            Handled {
                peer_done: true,
                request: b"request".to_vec(),
                stop: Stop::EndOfFile,
                answered: true,
            }
        );
        assert!(seen.after_drain.is_empty(), "no second report of the end");
        assert_eq!(&seen.reply, b"reply");
        assert_eq!(seen.at_close, [EPOLLIN | EPOLLRDHUP | EPOLLHUP]);
    });
}
