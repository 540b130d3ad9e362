//! Looking at descriptors without touching them: is a number in use, is a
//! descriptor close-on-exec, what flags does the kernel report for it.

use ch01_raw_syscalls::error::check;
use std::ffi::c_int;
use std::fs;
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, AsRawFd, RawFd};

// ANCHOR: number_in_use
/// Whether the number `fd` refers to an open descriptor of this process
/// right now.
///
/// It asks `fcntl(fd, F_GETFD)`, which reads the descriptor's flags and
/// changes nothing, and looks for `EBADF`. The answer is about the
/// *number*: it says nothing about which file holds it, and another thread
/// may change it the moment after. Only reading makes this a safe function:
/// a safe function that closed, read from or wrote to a number it was given
/// as a plain integer could hurt whoever owns that number.
pub fn number_in_use(fd: RawFd) -> bool {
    // SAFETY: F_GETFD takes no pointer and only reads the descriptor
    // table; on a number that is not open it fails with EBADF.
    let ret = unsafe { libc::fcntl(fd, libc::F_GETFD) };
    ret != -1 || io::Error::last_os_error().raw_os_error() != Some(libc::EBADF)
}
// ANCHOR_END: number_in_use

// ANCHOR: is_close_on_exec
/// Whether `fd` has the close-on-exec flag (`FD_CLOEXEC`), read with
/// `fcntl(F_GETFD)`.
pub fn is_close_on_exec(fd: impl AsFd) -> io::Result<bool> {
    let fd = fd.as_fd();
    // SAFETY: F_GETFD takes no pointer; `fd` is borrowed, so it is open.
    let flags = check("fcntl(F_GETFD)", unsafe {
        libc::fcntl(fd.as_raw_fd(), libc::F_GETFD)
    })?;
    Ok(flags & libc::FD_CLOEXEC != 0)
}
// ANCHOR_END: is_close_on_exec

// ANCHOR: fdinfo_flags
/// The `flags:` line of `/proc/self/fdinfo/<fd>` (`man 5 proc`): the open
/// file's status flags and access mode, in octal in the file. The kernel
/// adds `O_CLOEXEC` to them when the descriptor is close-on-exec, although
/// that flag belongs to the descriptor and not to the open file.
pub fn fdinfo_flags(fd: impl AsFd) -> io::Result<c_int> {
    let path = format!("/proc/self/fdinfo/{}", fd.as_fd().as_raw_fd());
    let text = fs::read_to_string(&path)?;
    text.lines()
        .find_map(|line| line.strip_prefix("flags:"))
        .and_then(|value| c_int::from_str_radix(value.trim(), 8).ok())
        .ok_or_else(|| {
            io::Error::new(
                ErrorKind::InvalidData,
                format!("{path} has no flags line in the expected format"),
            )
        })
}
// ANCHOR_END: fdinfo_flags

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{FromRawFd, OwnedFd};

    #[test]
    fn a_dup_without_the_flag_is_seen_both_ways() {
        let (reader, _writer) = std::io::pipe().unwrap();
        assert!(is_close_on_exec(&reader).unwrap());
        assert_eq!(
            fdinfo_flags(&reader).unwrap() & libc::O_CLOEXEC,
            libc::O_CLOEXEC
        );
        // SAFETY: dup takes no pointer; `reader` is open. The new fd is
        // owned by the OwnedFd at once.
        let plain = check("dup", unsafe { libc::dup(reader.as_raw_fd()) }).unwrap();
        // SAFETY: dup just returned `plain`; nothing else owns it.
        let plain = unsafe { OwnedFd::from_raw_fd(plain) };
        assert!(!is_close_on_exec(&plain).unwrap());
        assert_eq!(fdinfo_flags(&plain).unwrap() & libc::O_CLOEXEC, 0);
        assert!(number_in_use(plain.as_raw_fd()));
    }

    #[test]
    fn minus_one_is_never_in_use() {
        assert!(!number_in_use(-1));
    }
}
