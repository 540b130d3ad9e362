//! The event bits, as `u32`.
//!
//! `libc` spells every epoll constant as a C `int` (`c_int`), the type C
//! gives the members of an `enum`, which is what glibc's `<sys/epoll.h>`
//! makes of the event bits (the operations are `#define`d plain numbers,
//! `int`s too). The field they go into,
//! `epoll_event::events`, is a `u32`, and the top bit, `EPOLLET`, does not
//! fit in a positive `c_int`: `libc::EPOLLET` is negative. `as u32` keeps
//! the bits of a `c_int` unchanged (both are 32 bits wide), which is the
//! conversion wanted here; `u32::try_from` would refuse `EPOLLET`.
//!
//! Converting once, here, keeps the casts out of every call site.

// ANCHOR: flags
/// Readable: a read would not block.
pub const IN: u32 = libc::EPOLLIN as u32;
/// Writable: a write would not block.
pub const OUT: u32 = libc::EPOLLOUT as u32;
/// An exceptional condition, such as TCP urgent data.
pub const PRI: u32 = libc::EPOLLPRI as u32;
/// An error condition; reported whether asked for or not.
pub const ERR: u32 = libc::EPOLLERR as u32;
/// Hang-up; reported whether asked for or not.
pub const HUP: u32 = libc::EPOLLHUP as u32;
/// The peer of a stream socket shut down its writing half (or closed).
pub const RDHUP: u32 = libc::EPOLLRDHUP as u32;
/// Edge-triggered: report changes, not states. Bit 31, so `libc::EPOLLET`
/// is negative and this cast is the one that matters.
pub const ET: u32 = libc::EPOLLET as u32;
/// Report one event, then disable the registration until `modify`.
pub const ONESHOT: u32 = libc::EPOLLONESHOT as u32;
/// Wake one (or some) of several epoll instances watching one fd; `add`
/// only.
pub const EXCLUSIVE: u32 = libc::EPOLLEXCLUSIVE as u32;
/// Keep the system from suspending while the event is pending (needs
/// `CAP_BLOCK_SUSPEND`, silently dropped without it).
pub const WAKEUP: u32 = libc::EPOLLWAKEUP as u32;
// ANCHOR_END: flags

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn et_is_the_top_bit_and_negative_in_libc() {
        const { assert!(libc::EPOLLET < 0) };
        assert_eq!(ET, 0x8000_0000);
        assert_eq!(ET, 1 << 31);
        assert!(u32::try_from(libc::EPOLLET).is_err());
    }

    #[test]
    fn combining_before_or_after_the_cast_gives_the_same_bits() {
        assert_eq!((libc::EPOLLIN | libc::EPOLLET) as u32, IN | ET);
        assert_eq!(IN | ET, 0x8000_0001);
    }
}
