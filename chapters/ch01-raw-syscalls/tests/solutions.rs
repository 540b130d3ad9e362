//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. Every test runs under `assert_no_fd_leaks`: the
//! solutions close every fd they open. The assertions sit inside the
//! checked closure too, so that a failing one reports itself while no other
//! test is counting fds.

use ch01_raw_syscalls::solutions::{events_after_writer_closes, ready_names, write_end_readiness};
use ch01_raw_syscalls::{EPOLLHUP, EPOLLIN, EPOLLOUT};
use testkit::assert_no_fd_leaks;

#[test]
fn exercise_1_a_closed_writer_gives_in_and_hup_then_hup_alone() {
    assert_no_fd_leaks(|| {
        let seen = events_after_writer_closes().unwrap();
        assert_eq!(seen.with_data, EPOLLIN | EPOLLHUP);
        assert_eq!(seen.bytes_read, 5);
        // Drained: nothing to read, but the hang-up is still reported.
        assert_eq!(seen.drained, EPOLLHUP);
        assert_eq!(seen.then_read, 0);
    });
}

#[test]
fn exercise_2_an_empty_pipe_is_writable_on_every_wait_and_a_full_one_is_not() {
    assert_no_fd_leaks(|| {
        let seen = write_end_readiness().unwrap();
        assert_eq!(seen.empty, [EPOLLOUT; 3]);
        assert!(seen.filled_with > 0);
        assert_eq!(seen.events_when_full, 0);
    });
}

#[test]
fn exercise_3_pointer_tokens_lead_back_to_the_names() {
    assert_no_fd_leaks(|| {
        let found = ready_names(&["alpha", "beta", "gamma"], &[2, 0]).unwrap();
        assert_eq!(found, ["alpha", "gamma"]);
        let none = ready_names(&["alpha", "beta"], &[]).unwrap();
        assert!(none.is_empty());
    });
}

#[cfg(target_arch = "x86_64")]
#[test]
fn exercise_4_an_align4_struct_reads_the_kernels_events_on_x86_64() {
    use ch01_raw_syscalls::solutions::{Align4Event, wait_align4};
    use ch01_raw_syscalls::{
        EPOLL_CLOEXEC, EPOLL_CTL_ADD, Event, O_CLOEXEC, epoll_create1, epoll_ctl, pipe2, write,
    };
    use std::mem::{align_of, size_of};
    use std::os::fd::AsFd;

    assert_no_fd_leaks(|| {
        assert_eq!(size_of::<Align4Event>(), 12);
        assert_eq!(align_of::<Align4Event>(), 4);
        // Two ready pipes, the second with a token that uses all 64 bits:
        // the second event starts at byte 12, where only a 12-byte struct
        // looks for it.
        let tokens = [1_u64, 0x0123_4567_89ab_cdef];
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        let mut pipes = Vec::new();
        for token in tokens {
            let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
            epoll_ctl(
                epoll.as_fd(),
                EPOLL_CTL_ADD,
                reader.as_fd(),
                Some(&Event::new(EPOLLIN, token)),
            )
            .unwrap();
            write(writer.as_fd(), b"!").unwrap();
            pipes.push((reader, writer));
        }
        let mut events = [Align4Event::default(); 4];
        let n = wait_align4(epoll.as_fd(), &mut events).unwrap();
        let mut seen: Vec<(u32, u64)> = events[..n].iter().map(|e| (e.events, e.token())).collect();
        seen.sort_unstable_by_key(|&(_, token)| token);
        assert_eq!(seen, [(EPOLLIN, tokens[0]), (EPOLLIN, tokens[1])]);
    });
}
