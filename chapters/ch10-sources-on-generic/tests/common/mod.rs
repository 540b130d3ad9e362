//! Helpers the chapter's tests share.

#![allow(dead_code)] // each test binary uses some of them

use ch02_interest_and_ready_lists::registrations;
use ch08_generic_sources::EventLoop;
use std::fs;
use std::os::fd::{AsFd, RawFd};
use std::time::{Duration, Instant};

/// How long a test waits for something that should take milliseconds,
/// before it fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(5);

/// Do not wait: look at the ready list and return.
pub const NOW: Option<Duration> = Some(Duration::ZERO);

/// The fd numbers in the interest list of `epoll` (chapter 2's
/// `registrations`, which reads `/proc/self/fdinfo`), sorted.
pub fn interest_fds(epoll: &impl AsFd) -> Vec<RawFd> {
    let mut fds: Vec<RawFd> = registrations(epoll.as_fd())
        .expect("reading the interest list")
        .iter()
        .map(|entry| entry.fd)
        .collect();
    fds.sort_unstable();
    fds
}

/// Whether `fd` is open in this process. Only meaningful while no other
/// thread opens or closes fds: call it inside `assert_no_fd_leaks`.
pub fn is_open(fd: RawFd) -> bool {
    fs::symlink_metadata(format!("/proc/self/fd/{fd}")).is_ok()
}

/// Dispatches until `done(data)`, and fails the test after `PATIENCE`.
/// Returns how many dispatches it took.
pub fn dispatch_until<Data>(
    event_loop: &mut EventLoop<'_, Data>,
    data: &mut Data,
    done: impl Fn(&Data) -> bool,
) -> usize {
    let give_up = Instant::now() + PATIENCE;
    let mut dispatches = 0;
    while !done(data) {
        assert!(
            Instant::now() < give_up,
            "nothing happened for {PATIENCE:?}"
        );
        event_loop
            .dispatch(Some(Duration::from_millis(100)), data)
            .expect("dispatch");
        dispatches += 1;
    }
    dispatches
}
