//! Turning C's `-1` into a Rust error that keeps the OS error and names the
//! call that failed.
//!
//! `io::Error::last_os_error()` reads `errno` and keeps it: its
//! `raw_os_error()` gives the number back and its `kind()` classifies it.
//! What it does not say is which call failed, and in a program that makes
//! three syscalls in a row, "Bad file descriptor (os error 9)" is a riddle.
//! [`SyscallError`] adds the name; [`errno`] finds the number in either kind of
//! error.

use std::ffi::c_int;
use std::fmt;
use std::io;

/// An OS error together with the name of the call that produced it.
///
/// It travels inside an [`io::Error`] whose [`kind`](io::Error::kind) is the
/// OS error's kind, so callers can still match on the kind; [`errno`] gets the
/// number back.
#[derive(Debug)]
pub struct SyscallError {
    /// The call that failed, such as `"epoll_ctl(ADD)"`.
    pub call: &'static str,
    /// The OS error, as `io::Error::last_os_error()` reported it.
    pub os_error: io::Error,
}

impl fmt::Display for SyscallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.call, self.os_error)
    }
}

impl std::error::Error for SyscallError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.os_error)
    }
}

// ANCHOR: last_error
/// The error for a call that just returned -1: `errno`, kept, and the
/// call's name. Call it before anything else can overwrite `errno`.
pub fn last_error(call: &'static str) -> io::Error {
    let os_error = io::Error::last_os_error();
    io::Error::new(os_error.kind(), SyscallError { call, os_error })
}

/// Passes a non-negative return value through; turns -1 into
/// [`last_error`].
pub fn check(call: &'static str, ret: c_int) -> io::Result<c_int> {
    if ret == -1 {
        Err(last_error(call))
    } else {
        Ok(ret)
    }
}
// ANCHOR_END: last_error

/// [`check`] for the calls that return `ssize_t` (`read`, `write`).
pub fn check_size(call: &'static str, ret: isize) -> io::Result<usize> {
    usize::try_from(ret).map_err(|_| last_error(call))
}

/// The `errno` value behind `err`, whether it came straight from
/// `io::Error::last_os_error()` or from [`last_error`].
pub fn errno(err: &io::Error) -> Option<c_int> {
    err.raw_os_error().or_else(|| {
        err.get_ref()?
            .downcast_ref::<SyscallError>()?
            .os_error
            .raw_os_error()
    })
}

/// The name of the call behind `err`, if it came from [`last_error`].
pub fn failed_call(err: &io::Error) -> Option<&'static str> {
    Some(err.get_ref()?.downcast_ref::<SyscallError>()?.call)
}
