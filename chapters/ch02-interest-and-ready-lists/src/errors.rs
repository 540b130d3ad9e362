//! The error numbers `epoll_ctl` returns, by name.
//!
//! Chapter 1's `consts::errno` has most of them; `ELOOP`, `ENOMEM` and
//! `ENOSPC` are added here, with the values they have on every architecture
//! chapter 1 supports (`tests/ctl_errors.rs` checks them against `libc`).

use ch01_raw_syscalls::consts::errno::{EBADF, EEXIST, EINTR, EINVAL, ENOENT, EPERM};
use std::ffi::c_int;

/// Too many levels of symbolic links, which `epoll_ctl` reuses for "this
/// would nest epoll instances in a loop, or too deep".
pub const ELOOP: c_int = 40;
/// Out of memory.
pub const ENOMEM: c_int = 12;
/// No space left: the `max_user_watches` limit was reached.
pub const ENOSPC: c_int = 28;

/// The symbolic name of an error number the chapter meets, such as
/// `"EEXIST"`; `None` for any other.
pub fn errno_name(code: c_int) -> Option<&'static str> {
    Some(match code {
        EPERM => "EPERM",
        ENOENT => "ENOENT",
        EINTR => "EINTR",
        EBADF => "EBADF",
        ENOMEM => "ENOMEM",
        EEXIST => "EEXIST",
        EINVAL => "EINVAL",
        ENOSPC => "ENOSPC",
        ELOOP => "ELOOP",
        _ => return None,
    })
}
