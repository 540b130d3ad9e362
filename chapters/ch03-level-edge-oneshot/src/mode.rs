//! The three ways an entry of the interest list reports readiness.

use ch01_raw_syscalls::{EPOLLET, EPOLLONESHOT};

// ANCHOR: mode
/// How an entry of the interest list reports readiness. Each mode is an
/// input flag ORed into the event mask given to `ADD` or `MOD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The default: reported by every `epoll_wait` while the fd is ready.
    Level,
    /// `EPOLLET`: reported when something happens to the fd (data
    /// arrives, room appears), not for as long as it is ready.
    Edge,
    /// `EPOLLONESHOT`: reported once, then disabled until `MOD` re-arms it.
    OneShot,
}

impl Mode {
    /// All three, in the order the chapter meets them.
    pub const ALL: [Mode; 3] = [Mode::Level, Mode::Edge, Mode::OneShot];

    /// The input flag that selects the mode: 0 for level-triggered.
    pub const fn flag(self) -> u32 {
        match self {
            Mode::Level => 0,
            Mode::Edge => EPOLLET,
            Mode::OneShot => EPOLLONESHOT,
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Mode::Level => "level",
            Mode::Edge => "edge",
            Mode::OneShot => "one-shot",
        }
    }
}
// ANCHOR_END: mode

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mode_has_its_own_flag_and_level_has_none() {
        assert_eq!(Mode::Level.flag(), 0);
        assert_eq!(Mode::Edge.flag(), 1 << 31);
        assert_eq!(Mode::OneShot.flag(), 1 << 30);
        let names: Vec<&str> = Mode::ALL.iter().map(|mode| mode.name()).collect();
        assert_eq!(names, ["level", "edge", "one-shot"]);
    }
}
