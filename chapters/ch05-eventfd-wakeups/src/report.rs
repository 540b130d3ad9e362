//! Short names for the errors this chapter's calls return, for examples
//! that print what happened.

use ch01_raw_syscalls::error::{errno, failed_call};
use std::ffi::c_int;
use std::io;

/// The symbolic name of an error number that eventfd, read, write or
/// epoll can return (`"EAGAIN"`), or `None` for others.
pub fn errno_name(code: c_int) -> Option<&'static str> {
    Some(match code {
        libc::EAGAIN => "EAGAIN",
        libc::EINVAL => "EINVAL",
        libc::EBADF => "EBADF",
        libc::EINTR => "EINTR",
        libc::EFAULT => "EFAULT",
        libc::EMFILE => "EMFILE",
        libc::ENFILE => "ENFILE",
        libc::ENODEV => "ENODEV",
        libc::ENOMEM => "ENOMEM",
        _ => return None,
    })
}

/// An error in a few words: its errno's name and the call that failed, as
/// in `EAGAIN from write(eventfd)`; other errors as they display.
pub fn describe(err: &io::Error) -> String {
    match (errno(err).and_then(errno_name), failed_call(err)) {
        (Some(name), Some(call)) => format!("{name} from {call}"),
        (Some(name), None) => name.to_owned(),
        _ => err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ch01_raw_syscalls::error::last_error;

    #[test]
    fn names_the_error_and_the_call() {
        // SAFETY: close(-1) touches nothing; it only fails with EBADF.
        let ret = unsafe { libc::close(-1) };
        assert_eq!(ret, -1);
        let err = last_error("close");
        assert_eq!(describe(&err), "EBADF from close");
        assert_eq!(
            describe(&io::Error::from_raw_os_error(libc::EAGAIN)),
            "EAGAIN"
        );
        assert_eq!(errno_name(libc::EPERM), None);
        let other = io::Error::other("something else");
        assert_eq!(describe(&other), "something else");
    }
}
