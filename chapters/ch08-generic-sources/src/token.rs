//! Tokens: which source an event is for, and which of its fds.
//!
//! Chapter 7's token packed two things into the eight bytes the kernel
//! hands back: a slot of the table and the slot's generation. A source of
//! this chapter may register more than one fd (a source built out of two
//! others registers both), so the token needs a third part, saying which
//! of the source's fds the event is for. The three share the 64 bits:
//!
//! ```text
//!  63            48 47            32 31                             0
//! +----------------+----------------+--------------------------------+
//! |     sub-id     |   generation   |           slot index           |
//! +----------------+----------------+--------------------------------+
//!  which fd of the   which tenant     which slot of the loop's table
//!  source            of the slot
//! ```

use std::fmt;
use std::io::{self, ErrorKind};

// ANCHOR: registration_token
/// The name of one source in an [`EventLoop`](crate::EventLoop): a slot of
/// its table and the slot's generation. Returned by
/// [`insert_source`](crate::LoopHandle::insert_source) and taken by every
/// method that changes a source.
///
/// It names a source of the loop that issued it only: nothing in it says
/// which loop that was, so another loop takes it for its own source in
/// that slot and generation, if it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegistrationToken {
    index: u32,
    generation: u16,
}
// ANCHOR_END: registration_token

impl RegistrationToken {
    /// The token of slot `index` in its `generation`.
    pub const fn new(index: u32, generation: u16) -> RegistrationToken {
        RegistrationToken { index, generation }
    }

    /// Which slot of the loop's table.
    pub const fn index(self) -> u32 {
        self.index
    }

    /// Which tenant of that slot.
    pub const fn generation(self) -> u16 {
        self.generation
    }
}

impl fmt::Display for RegistrationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "slot {} generation {}", self.index, self.generation)
    }
}

// ANCHOR: token
/// What the kernel stores with one registered fd and hands back with each
/// of its events: the source's [`RegistrationToken`] and a sub-id, which
/// of the source's fds this is. Sources get them from a [`TokenFactory`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Token {
    source: RegistrationToken,
    sub_id: u16,
}

impl Token {
    /// The `u64` given to `epoll_ctl`, and returned in events.
    pub const fn as_u64(self) -> u64 {
        ((self.sub_id as u64) << 48)
            | ((self.source.generation as u64) << 32)
            | self.source.index as u64
    }

    /// The token an event carries as its data.
    pub const fn from_u64(data: u64) -> Token {
        Token {
            source: RegistrationToken {
                index: data as u32,
                generation: (data >> 32) as u16,
            },
            sub_id: (data >> 48) as u16,
        }
    }

    /// The source this fd belongs to.
    pub const fn source(self) -> RegistrationToken {
        self.source
    }

    /// Which of the source's fds: 0 for the first one it registered.
    pub const fn sub_id(self) -> u16 {
        self.sub_id
    }
}
// ANCHOR_END: token

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} fd {}", self.source, self.sub_id)
    }
}

// ANCHOR: token_factory
/// Hands a source the tokens for its fds while it registers: the first
/// call gives sub-id 0, the next 1, and so on. The loop makes a new factory
/// for every `register` and `reregister`, so a source that registers its
/// fds in the same order always gets the same tokens.
#[derive(Debug)]
pub struct TokenFactory {
    source: RegistrationToken,
    next: u32,
}

impl TokenFactory {
    pub(crate) fn new(source: RegistrationToken) -> TokenFactory {
        TokenFactory { source, next: 0 }
    }

    /// The token for the source's next fd. Fails with `InvalidInput` after
    /// 65,536 tokens: the sub-id is 16 bits.
    pub fn token(&mut self) -> io::Result<Token> {
        let sub_id = u16::try_from(self.next).map_err(|_| {
            io::Error::new(
                ErrorKind::InvalidInput,
                format!("TokenFactory::token: {} has 65536 fds already", self.source),
            )
        })?;
        self.next += 1;
        Ok(Token {
            source: self.source,
            sub_id,
        })
    }
}
// ANCHOR_END: token_factory

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_parts_pack_into_one_u64_and_back() {
        let mut factory = TokenFactory::new(RegistrationToken::new(7, 3));
        let first = factory.token().unwrap();
        let second = factory.token().unwrap();
        assert_eq!(first.as_u64(), 0x0000_0003_0000_0007);
        assert_eq!(second.as_u64(), 0x0001_0003_0000_0007);
        assert_eq!(Token::from_u64(second.as_u64()), second);
        assert_eq!(second.source(), RegistrationToken::new(7, 3));
        assert_eq!(second.sub_id(), 1);
        assert_eq!(second.to_string(), "slot 7 generation 3 fd 1");
    }

    #[test]
    fn the_extremes_survive_the_round_trip() {
        let token = Token::from_u64(u64::MAX);
        assert_eq!(token.source(), RegistrationToken::new(u32::MAX, u16::MAX));
        assert_eq!(token.sub_id(), u16::MAX);
        assert_eq!(token.as_u64(), u64::MAX);
    }

    #[test]
    fn a_factory_runs_out_after_65536_tokens() {
        let mut factory = TokenFactory::new(RegistrationToken::new(0, 0));
        for _ in 0..=u16::MAX {
            factory.token().unwrap();
        }
        let err = factory.token().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
