//! Helpers the chapter's tests share.

#![allow(dead_code)] // each test binary uses some of them

use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use std::cell::RefCell;
use std::fs;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::rc::Rc;

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

/// A list of what handlers did, shared between the test and its handlers
/// (which must be `'static`, so they cannot borrow it).
#[derive(Clone, Default)]
pub struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    pub fn push(&self, line: impl Into<String>) {
        self.0.borrow_mut().push(line.into());
    }

    /// Everything logged so far, leaving the log empty.
    pub fn take(&self) -> Vec<String> {
        self.0.borrow_mut().drain(..).collect()
    }
}

/// Whether `fd` is in the interest list of the epoll instance `epfd`, as
/// the kernel shows it in `/proc/self/fdinfo/<epfd>` (`man 5 proc`): one
/// `tfd:` line per entry.
pub fn in_interest_list(epfd: RawFd, fd: RawFd) -> bool {
    let info = fs::read_to_string(format!("/proc/self/fdinfo/{epfd}")).expect("reading fdinfo");
    info.lines().any(|line| {
        let mut words = line.split_whitespace();
        words.next() == Some("tfd:") && words.next() == Some(fd.to_string().as_str())
    })
}

/// A pipe's read end that writes to a log, when dropped, whether its fd
/// was still in the interest list of `epfd` at that moment.
pub struct Observed {
    pub fd: OwnedFd,
    pub epfd: RawFd,
    pub log: Log,
}

impl AsFd for Observed {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl Drop for Observed {
    fn drop(&mut self) {
        let registered = in_interest_list(self.epfd, self.fd.as_raw_fd());
        self.log
            .push(format!("dropped, still in the interest list: {registered}"));
    }
}
