//! The numbers the epoll calls speak in, written down from the kernel's
//! `include/uapi/linux/eventpoll.h` and the man pages.
//!
//! Event bits are `u32`, the type of [`Event::events`](crate::Event); the
//! `op` codes and flags are `c_int`, the type of the arguments they are
//! passed as. `tests/constants.rs` checks every value against `libc`.

use std::ffi::c_int;

// ANCHOR: ctl_ops
/// `epoll_ctl` operation: add `fd` to the interest list.
pub const EPOLL_CTL_ADD: c_int = 1;
/// `epoll_ctl` operation: remove `fd` from the interest list.
pub const EPOLL_CTL_DEL: c_int = 2;
/// `epoll_ctl` operation: change the events and data of a registered `fd`.
pub const EPOLL_CTL_MOD: c_int = 3;
// ANCHOR_END: ctl_ops

// ANCHOR: event_bits
/// Readable: a `read` would not block.
pub const EPOLLIN: u32 = 0x001;
/// An exceptional condition, such as TCP urgent data (see `POLLPRI` in poll(2)).
pub const EPOLLPRI: u32 = 0x002;
/// Writable: a `write` would not block.
pub const EPOLLOUT: u32 = 0x004;
/// An error condition; always reported, whether asked for or not.
pub const EPOLLERR: u32 = 0x008;
/// Hang-up: the other end is gone; always reported, whether asked for or not.
pub const EPOLLHUP: u32 = 0x010;
/// A stream socket's peer closed or shut down its writing half.
pub const EPOLLRDHUP: u32 = 0x2000;
// ANCHOR_END: event_bits

// ANCHOR: input_flags
/// When several epoll instances watch the same fd, wake one or more of
/// them instead of all (`EPOLL_CTL_ADD` only; since Linux 4.5).
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
/// Keep the system from suspending while the event is pending; ignored
/// silently without the `CAP_BLOCK_SUSPEND` capability.
pub const EPOLLWAKEUP: u32 = 1 << 29;
/// Report one event, then disable the fd until `EPOLL_CTL_MOD` re-arms it.
pub const EPOLLONESHOT: u32 = 1 << 30;
/// Edge-triggered: report changes, not states.
pub const EPOLLET: u32 = 1 << 31;
// ANCHOR_END: input_flags

// ANCHOR: open_flags
/// `epoll_create1` flag: close the epoll fd in `execve`d programs.
/// It is `O_CLOEXEC` under another name.
pub const EPOLL_CLOEXEC: c_int = O_CLOEXEC;
/// `pipe2` (and `open`) flag: close on `execve`.
pub const O_CLOEXEC: c_int = 0o2000000;
/// `pipe2` (and `open`) flag: reads and writes that would block fail with
/// `EAGAIN` instead.
pub const O_NONBLOCK: c_int = 0o4000;
// ANCHOR_END: open_flags

/// The `errno` values the chapter's examples and tests meet.
pub mod errno {
    use std::ffi::c_int;
    /// Operation not permitted: the fd does not support epoll.
    pub const EPERM: c_int = 1;
    /// No such entry: the fd is not in the interest list.
    pub const ENOENT: c_int = 2;
    /// Interrupted by a signal handler.
    pub const EINTR: c_int = 4;
    /// Bad file descriptor.
    pub const EBADF: c_int = 9;
    /// Try again: a nonblocking call would block.
    pub const EAGAIN: c_int = 11;
    /// Already exists: the fd is already in the interest list.
    pub const EEXIST: c_int = 17;
    /// Invalid argument.
    pub const EINVAL: c_int = 22;
}

/// The names of the event bits set in `events`, joined with ` | `
/// (`"EPOLLIN | EPOLLHUP"`); unknown bits are shown in hex, no bits as `"0"`.
pub fn event_names(events: u32) -> String {
    const NAMES: [(u32, &str); 10] = [
        (EPOLLIN, "EPOLLIN"),
        (EPOLLPRI, "EPOLLPRI"),
        (EPOLLOUT, "EPOLLOUT"),
        (EPOLLERR, "EPOLLERR"),
        (EPOLLHUP, "EPOLLHUP"),
        (EPOLLRDHUP, "EPOLLRDHUP"),
        (EPOLLEXCLUSIVE, "EPOLLEXCLUSIVE"),
        (EPOLLWAKEUP, "EPOLLWAKEUP"),
        (EPOLLONESHOT, "EPOLLONESHOT"),
        (EPOLLET, "EPOLLET"),
    ];
    let mut parts: Vec<String> = Vec::new();
    let mut rest = events;
    for (bit, name) in NAMES {
        if events & bit != 0 {
            parts.push(name.to_owned());
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    if parts.is_empty() {
        "0".to_owned()
    } else {
        parts.join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_known_bits_in_order() {
        assert_eq!(event_names(EPOLLHUP | EPOLLIN), "EPOLLIN | EPOLLHUP");
        assert_eq!(event_names(EPOLLIN | EPOLLET), "EPOLLIN | EPOLLET");
    }

    #[test]
    fn shows_unknown_bits_in_hex_and_nothing_as_zero() {
        assert_eq!(event_names(0), "0");
        assert_eq!(event_names(EPOLLOUT | 0x40), "EPOLLOUT | 0x40");
    }
}
