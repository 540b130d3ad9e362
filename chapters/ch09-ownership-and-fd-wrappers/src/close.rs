//! Closing on purpose, to see the error that `Drop` has to ignore.

use ch01_raw_syscalls::error::last_error;
use std::io;
use std::os::fd::{IntoRawFd, OwnedFd};

// ANCHOR: close
/// Closes `fd` now and reports what `close` returned, for a program that
/// wants to know (data that NFS or a full disk could not write shows up
/// here). Dropping an owner closes too, but `drop` has nowhere to put an
/// error.
///
/// The descriptor is consumed, so there is nothing to call this with a
/// second time: on Linux the number is released even when `close` fails,
/// and another thread may have it by the time the error comes back, so a
/// retry could only close somebody else's file (`man 2 close`, NOTES).
pub fn close(fd: impl Into<OwnedFd>) -> io::Result<()> {
    let raw = fd.into().into_raw_fd();
    // SAFETY: `into_raw_fd` ended the OwnedFd's ownership without closing,
    // so `raw` is open and ours alone, and this is its only close.
    if unsafe { libc::close(raw) } == -1 {
        return Err(last_error("close"));
    }
    Ok(())
}
// ANCHOR_END: close
