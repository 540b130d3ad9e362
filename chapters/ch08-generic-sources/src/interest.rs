//! What to watch, how to be told, and what happened.
//!
//! Chapter 7's `Interest` held both what to watch and the triggering mode
//! in one mask. Here they are two types, because they answer two questions
//! and change independently: [`Interest`] says which directions matter,
//! [`Mode`] says how the kernel reports them. [`Readiness`] is what comes
//! back, and what a [`Generic`](crate::Generic)'s callback is given.

use ch04_libc_and_a_safe_wrapper::{ERR, ET, HUP, IN, ONESHOT, OUT};

// ANCHOR: interest
/// Which directions of an fd to watch.
///
/// Errors and hang-ups are reported whatever the interest, `NONE`
/// included: the kernel adds `EPOLLERR` and `EPOLLHUP` to every
/// registration (`man 2 epoll_ctl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Interest {
    /// `EPOLLIN`: tell me when a read would not block.
    pub readable: bool,
    /// `EPOLLOUT`: tell me when a write would not block.
    pub writable: bool,
}

impl Interest {
    /// Readable only.
    pub const READABLE: Interest = Interest {
        readable: true,
        writable: false,
    };
    /// Writable only.
    pub const WRITABLE: Interest = Interest {
        readable: false,
        writable: true,
    };
    /// Readable and writable.
    pub const BOTH: Interest = Interest {
        readable: true,
        writable: true,
    };
    /// Neither: only errors and hang-ups, which cannot be turned off.
    pub const NONE: Interest = Interest {
        readable: false,
        writable: false,
    };

    /// The event bits for `epoll_ctl`.
    pub const fn bits(self) -> u32 {
        (if self.readable { IN } else { 0 }) | (if self.writable { OUT } else { 0 })
    }
}
// ANCHOR_END: interest

// ANCHOR: mode
/// How the kernel reports an fd that is ready (chapter 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// On every wait, for as long as the fd is ready.
    Level,
    /// Once per change (`EPOLLET`): the callback must read or write until
    /// the kernel says "would block", or it is not told again.
    Edge,
    /// Once (`EPOLLONESHOT`, level-triggered otherwise), then the
    /// registration is disabled until it is re-armed: the callback returns
    /// [`PostAction::Reregister`](crate::PostAction::Reregister), or
    /// someone calls [`LoopHandle::update`](crate::LoopHandle::update).
    OneShot,
}

impl Mode {
    /// The bits this mode adds to the interest's.
    pub const fn bits(self) -> u32 {
        match self {
            Mode::Level => 0,
            Mode::Edge => ET,
            Mode::OneShot => ONESHOT,
        }
    }
}
// ANCHOR_END: mode

// ANCHOR: readiness
/// What the kernel reported for an fd, from the bits of one event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Readiness {
    /// `EPOLLIN`: a read would not block (it may return data, or end of
    /// file).
    pub readable: bool,
    /// `EPOLLOUT`: a write would not block.
    pub writable: bool,
    /// `EPOLLERR`: an error is pending on the fd; the next I/O says which.
    pub error: bool,
    /// `EPOLLHUP`: the other end is gone. Data sent before may still wait
    /// to be read.
    pub hangup: bool,
}

impl Readiness {
    /// The readiness an event with these bits stands for.
    pub const fn from_bits(bits: u32) -> Readiness {
        Readiness {
            readable: bits & IN != 0,
            writable: bits & OUT != 0,
            error: bits & ERR != 0,
            hangup: bits & HUP != 0,
        }
    }
}
// ANCHOR_END: readiness

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interest_and_mode_are_separate_bits() {
        assert_eq!(Interest::READABLE.bits(), IN);
        assert_eq!(Interest::WRITABLE.bits(), OUT);
        assert_eq!(Interest::BOTH.bits(), IN | OUT);
        assert_eq!(Interest::NONE.bits(), 0);
        assert_eq!(Mode::Level.bits(), 0);
        assert_eq!(Mode::Edge.bits(), ET);
        assert_eq!(Mode::OneShot.bits(), ONESHOT);
    }

    #[test]
    fn readiness_reads_one_bit_per_field() {
        let r = Readiness::from_bits(IN | HUP);
        assert_eq!(
            r,
            Readiness {
                readable: true,
                writable: false,
                error: false,
                hangup: true
            }
        );
        assert!(Readiness::from_bits(OUT | ERR).error);
        assert_eq!(Readiness::from_bits(0), Readiness::default());
    }
}
