//! Every example closes every file descriptor it opens, and `Epoll` closes
//! its own exactly once. Each runs here, in this process, between two looks
//! at /proc/self/fd. All tests in this binary go through
//! `assert_no_fd_leaks`, which runs them one at a time.

#[path = "../examples/errors_name_the_call.rs"]
mod errors_name_the_call;
#[path = "../examples/first_program_libc.rs"]
mod first_program_libc;
#[path = "../examples/hand_written_vs_libc.rs"]
mod hand_written_vs_libc;
#[path = "../examples/maxevents_limit.rs"]
mod maxevents_limit;
#[path = "../examples/socket_pair_echo.rs"]
mod socket_pair_echo;

use ch04_libc_and_a_safe_wrapper::Epoll;
use std::os::fd::{AsRawFd, OwnedFd};
use testkit::{assert_no_fd_leaks, open_fds};

#[test]
fn first_program_libc_closes_everything() {
    assert_no_fd_leaks(first_program_libc::main).unwrap();
}

#[test]
fn hand_written_vs_libc_closes_everything() {
    assert_no_fd_leaks(hand_written_vs_libc::main).unwrap();
}

#[test]
fn maxevents_limit_closes_everything() {
    assert_no_fd_leaks(maxevents_limit::main).unwrap();
}

#[test]
fn errors_name_the_call_closes_everything() {
    assert_no_fd_leaks(errors_name_the_call::main).unwrap();
}

#[test]
fn socket_pair_echo_closes_everything() {
    assert_no_fd_leaks(socket_pair_echo::main).unwrap();
}

/// The fd numbers open now that refer to an epoll instance.
fn epoll_fds() -> Vec<i32> {
    open_fds()
        .into_iter()
        .filter(|fd| fd.target == "anon_inode:[eventpoll]")
        .map(|fd| fd.fd)
        .collect()
}

#[test]
fn dropping_an_epoll_closes_its_fd_once() {
    assert_no_fd_leaks(|| {
        let before = epoll_fds();
        let epoll = Epoll::new().unwrap();
        let fd = epoll.as_raw_fd();
        assert!(!before.contains(&fd));
        assert!(epoll_fds().contains(&fd), "open while the Epoll lives");
        drop(epoll);
        assert_eq!(epoll_fds(), before, "closed when it is dropped");
    });
}

#[test]
fn into_owned_fd_hands_the_fd_over_without_closing_it() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let fd = epoll.as_raw_fd();
        let owned = OwnedFd::from(epoll);
        assert_eq!(owned.as_raw_fd(), fd);
        assert!(epoll_fds().contains(&fd), "still open, now owned elsewhere");
        drop(owned);
        assert!(!epoll_fds().contains(&fd));
    });
}

#[test]
fn registered_fds_are_not_closed_or_kept_by_the_instance() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, writer) = std::io::pipe().unwrap();
        epoll
            .add(&reader, ch04_libc_and_a_safe_wrapper::IN, 1)
            .unwrap();
        // Dropping the instance leaves the pipe open: `add` only borrowed it.
        drop(epoll);
        let (reader_fd, writer_fd) = (reader.as_raw_fd(), writer.as_raw_fd());
        let open: Vec<i32> = open_fds().iter().map(|fd| fd.fd).collect();
        assert!(open.contains(&reader_fd) && open.contains(&writer_fd));
    });
}
