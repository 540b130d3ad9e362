//! Helpers the chapter's tests share.

#![allow(dead_code)] // each test binary uses some of them

use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch08_generic_sources::{Generic, Interest, Mode, PostAction, Readiness, Watched};
use std::fs;
use std::io;
use std::os::fd::{AsFd, OwnedFd, RawFd};
use std::time::Duration;

/// Do not wait: look at the ready list and return.
pub const NOW: Option<Duration> = Some(Duration::ZERO);

/// A nonblocking pipe, `(read end, write end)`.
pub fn pipe() -> (OwnedFd, OwnedFd) {
    pipe2(O_CLOEXEC | O_NONBLOCK).expect("pipe2")
}

/// Writes all of `data` into a pipe with room for it.
pub fn put(writer: &OwnedFd, data: &[u8]) {
    let n = ch07_a_reactor::io::write_some(writer.as_fd(), data)
        .expect("write")
        .expect("room in the pipe");
    assert_eq!(n, data.len());
}

/// A pipe's read end in a level-triggered `Generic` for reading, with
/// `data` waiting in the pipe; and the write end.
pub fn readable_pipe(data: &[u8]) -> (Generic<OwnedFd>, OwnedFd) {
    let (reader, writer) = pipe();
    if !data.is_empty() {
        put(&writer, data);
    }
    (
        Generic::new(reader, Interest::READABLE, Mode::Level),
        writer,
    )
}

/// Reads everything the fd has now.
pub fn drain(fd: &impl AsFd) -> io::Result<usize> {
    let mut total = 0;
    while let Some(n) = ch07_a_reactor::io::read_some(fd.as_fd(), &mut [0; 256])? {
        if n == 0 {
            break;
        }
        total += n;
    }
    Ok(total)
}

/// A callback that does nothing.
pub fn ignore<F, D>(_: Readiness, _: &mut Watched<F>, _: &mut D) -> io::Result<PostAction> {
    Ok(PostAction::Continue)
}

/// The interest list of the epoll instance `epfd` as the kernel shows it
/// in `/proc/self/fdinfo/<epfd>` (`man 5 proc`): for each entry, the fd
/// number it was added under and its data, sorted.
pub fn interest_list(epfd: RawFd) -> Vec<(RawFd, u64)> {
    let info = fs::read_to_string(format!("/proc/self/fdinfo/{epfd}")).expect("reading fdinfo");
    let mut entries: Vec<(RawFd, u64)> = info
        .lines()
        .filter(|line| line.starts_with("tfd:"))
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let after = |label: &str| {
                let at = words.iter().position(|w| *w == label).expect(label);
                words[at + 1]
            };
            (
                after("tfd:").parse().expect("an fd number"),
                u64::from_str_radix(after("data:"), 16).expect("hex data"),
            )
        })
        .collect();
    entries.sort_unstable();
    entries
}

/// Whether `fd` is in the interest list of `epfd`.
pub fn in_interest_list(epfd: RawFd, fd: RawFd) -> bool {
    interest_list(epfd).iter().any(|&(entry, _)| entry == fd)
}

/// Whether `fd` is open in this process. Only meaningful while no other
/// thread opens or closes fds: call it inside `assert_no_fd_leaks`.
pub fn is_open(fd: RawFd) -> bool {
    fs::symlink_metadata(format!("/proc/self/fd/{fd}")).is_ok()
}
