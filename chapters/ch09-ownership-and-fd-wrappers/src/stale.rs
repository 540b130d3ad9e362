//! Registrations that outlive the descriptor they were made with.
//!
//! `man 7 epoll`: an interest list entry is keyed by the descriptor number
//! *and* the open file description it referred to when it was added, and
//! it stays until every descriptor of that open file is closed. Close the
//! registered number while a duplicate is open and the entry stays, under
//! a number that no longer refers to its file. The only names left for it
//! are a number: which `Epoll::delete`, taking `impl AsFd`, cannot be
//! given once the descriptor is gone.

use ch01_raw_syscalls::error::check;
use ch04_libc_and_a_safe_wrapper::Epoll;
use std::io;
use std::os::fd::{AsRawFd, RawFd};
use std::ptr;

// ANCHOR: delete_number
/// `epoll_ctl(EPOLL_CTL_DEL)` by number: what a program that kept only the
/// number can try once the descriptor is closed.
///
/// It changes only `epoll`'s interest list, never the descriptor `fd` or
/// its file, which is why it can take a plain number and still be a safe
/// function. It fails with `EBADF` if no descriptor has the number, and
/// with `ENOENT` if the number now refers to a file other than the one
/// registered under it (unless that new file is registered under the
/// number too: then it is the new file's entry that goes).
pub fn delete_number(epoll: &Epoll, fd: RawFd) -> io::Result<()> {
    // SAFETY: DEL ignores the event pointer, so null is fine; the kernel
    // checks both numbers, and the instance is borrowed, so open.
    let ret =
        unsafe { libc::epoll_ctl(epoll.as_raw_fd(), libc::EPOLL_CTL_DEL, fd, ptr::null_mut()) };
    check("epoll_ctl(DEL)", ret).map(drop)
}
// ANCHOR_END: delete_number
