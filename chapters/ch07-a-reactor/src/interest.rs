//! What a registration asks the kernel to report, and how.
//!
//! The reactor registers edge-triggered unless told otherwise: one event per
//! change of readiness, and handlers that read and write until the kernel
//! says "would block" (the helpers in [`crate::io`]). `level()` asks for the
//! other mode, `oneshot()` for one event per arming, and `from_bits` passes
//! any mask through unchanged.

use ch04_libc_and_a_safe_wrapper::{ET, IN, ONESHOT, OUT, PRI};
use std::fmt;
use std::ops::BitOr;

// ANCHOR: interest
/// The event mask of one registration, as given to `epoll_ctl`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Interest(u32);

impl Interest {
    /// Readable (`EPOLLIN`), edge-triggered.
    pub const READABLE: Interest = Interest(IN | ET);
    /// Writable (`EPOLLOUT`), edge-triggered.
    pub const WRITABLE: Interest = Interest(OUT | ET);
    /// Both readable and writable, edge-triggered.
    pub const BOTH: Interest = Interest(IN | OUT | ET);
    /// An exceptional condition (`EPOLLPRI`), such as TCP urgent data,
    /// edge-triggered.
    pub const PRIORITY: Interest = Interest(PRI | ET);

    /// Exactly these bits (constants from chapter 4's `flags`), with nothing
    /// added: the way to ask for anything the constants above do not say,
    /// such as `RDHUP` or `EXCLUSIVE`. Level-triggered unless `bits` holds
    /// `ET`.
    pub const fn from_bits(bits: u32) -> Interest {
        Interest(bits)
    }

    /// The same events, level-triggered: reported on every wait for as long
    /// as the fd is ready.
    pub const fn level(self) -> Interest {
        Interest(self.0 & !ET)
    }

    /// The same events, edge-triggered.
    pub const fn edge(self) -> Interest {
        Interest(self.0 | ET)
    }

    /// The same events, one-shot: after one event the kernel disables the
    /// registration until it is re-armed with `reregister`.
    pub const fn oneshot(self) -> Interest {
        Interest(self.0 | ONESHOT)
    }

    /// The mask passed to `epoll_ctl`.
    pub const fn bits(self) -> u32 {
        self.0
    }

    pub const fn is_edge_triggered(self) -> bool {
        self.0 & ET != 0
    }

    pub const fn is_oneshot(self) -> bool {
        self.0 & ONESHOT != 0
    }
}

impl BitOr for Interest {
    type Output = Interest;

    /// Both sets of bits: `Interest::READABLE | Interest::PRIORITY`.
    fn bitor(self, other: Interest) -> Interest {
        Interest(self.0 | other.0)
    }
}
// ANCHOR_END: interest

impl fmt::Debug for Interest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Interest({:#x})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ch04_libc_and_a_safe_wrapper::RDHUP;

    #[test]
    fn the_constants_are_edge_triggered() {
        for interest in [
            Interest::READABLE,
            Interest::WRITABLE,
            Interest::BOTH,
            Interest::PRIORITY,
        ] {
            assert!(interest.is_edge_triggered());
            assert!(!interest.is_oneshot());
        }
        assert_eq!(Interest::BOTH, Interest::READABLE | Interest::WRITABLE);
    }

    #[test]
    fn level_edge_and_oneshot_change_one_bit_each() {
        let level = Interest::READABLE.level();
        assert_eq!(level.bits(), IN);
        assert!(!level.is_edge_triggered());
        assert_eq!(level.edge(), Interest::READABLE);
        let once = Interest::READABLE.oneshot();
        assert_eq!(once.bits(), IN | ET | ONESHOT);
        assert!(once.is_oneshot());
        assert_eq!(once.level().bits(), IN | ONESHOT);
    }

    #[test]
    fn from_bits_adds_nothing() {
        assert_eq!(Interest::from_bits(IN | RDHUP).bits(), IN | RDHUP);
        assert!(!Interest::from_bits(IN).is_edge_triggered());
        assert_eq!(format!("{:?}", Interest::from_bits(IN)), "Interest(0x1)");
    }
}
