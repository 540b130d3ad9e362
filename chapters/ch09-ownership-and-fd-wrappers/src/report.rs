//! Short names for the errors this chapter's examples print.

use ch01_raw_syscalls::error::errno;
use std::ffi::c_int;
use std::io;

/// The symbolic name of the error numbers the chapter meets (`"EBADF"`), or
/// the number itself for others.
pub fn errno_name(code: c_int) -> String {
    match code {
        libc::EBADF => "EBADF".to_owned(),
        libc::ENOENT => "ENOENT".to_owned(),
        libc::EAGAIN => "EAGAIN".to_owned(),
        libc::ESRCH => "ESRCH".to_owned(),
        libc::EINVAL => "EINVAL".to_owned(),
        libc::EEXIST => "EEXIST".to_owned(),
        other => format!("errno {other}"),
    }
}

/// `errno_name` of an `io::Error`, or the error as it displays if it has
/// no errno.
pub fn error_name(err: &io::Error) -> String {
    errno(err).map_or_else(|| err.to_string(), errno_name)
}

/// `"ok"`, or the name of the error.
pub fn outcome<T>(result: &io::Result<T>) -> String {
    match result {
        Ok(_) => "ok".to_owned(),
        Err(err) => error_name(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_known_errors_and_numbers_the_rest() {
        assert_eq!(errno_name(libc::EBADF), "EBADF");
        assert_eq!(errno_name(libc::EPERM), format!("errno {}", libc::EPERM));
        let err = io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(error_name(&err), "ENOENT");
        assert_eq!(outcome::<()>(&Err(err)), "ENOENT");
        assert_eq!(outcome(&Ok(3)), "ok");
        assert_eq!(error_name(&io::Error::other("odd")), "odd");
    }
}
