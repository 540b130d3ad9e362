//! The one `read` every source in this chapter makes, and errors from calls
//! that return an error number instead of setting `errno`.

use ch01_raw_syscalls::error::{SyscallError, check_size};
use std::ffi::c_int;
use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, BorrowedFd};

// ANCHOR: read_nonblocking
/// One `read(2)` of a nonblocking fd into `buf`: `Ok(Some(n))` for `n`
/// bytes read, `Ok(None)` when there is nothing to read now (`EAGAIN`),
/// and any other failure as an error naming `call`.
///
/// Every fd of this chapter is created nonblocking, so a read never waits
/// (and a signal handler cannot interrupt it with `EINTR`); "nothing yet" is
/// an answer, not an error.
pub(crate) fn read_nonblocking(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    call: &'static str,
) -> io::Result<Option<usize>> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes, and the kernel
    // writes at most that many; `fd` is open for the call (borrowed).
    let ret = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    match check_size(call, ret) {
        Ok(n) => Ok(Some(n)),
        Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(None),
        Err(err) => Err(err),
    }
}
// ANCHOR_END: read_nonblocking

/// The error for a call that returned the error number `code` (as the
/// `pthread_*` functions do) instead of setting `errno`: the same shape as
/// chapter 1's `last_error`, so `errno` and `failed_call` work on it.
pub(crate) fn error_number(call: &'static str, code: c_int) -> io::Error {
    let os_error = io::Error::from_raw_os_error(code);
    io::Error::new(os_error.kind(), SyscallError { call, os_error })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ch01_raw_syscalls::error::{errno, failed_call};

    #[test]
    fn an_error_number_keeps_the_code_and_the_call() {
        let err = error_number("pthread_sigmask", libc::EINVAL);
        assert_eq!(errno(&err), Some(libc::EINVAL));
        assert_eq!(failed_call(&err), Some("pthread_sigmask"));
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
