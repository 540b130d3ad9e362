//! Tokens: the eight bytes the kernel hands back with every event, packed
//! so that an old token can never pass for a new one.
//!
//! A token names a slot of the registry (its index) and one tenancy of that
//! slot (its generation). A slot is reused once its registration is gone,
//! and each reuse gets the next generation, so the token of a removed
//! registration and the token of the one that took its slot differ in the
//! high half.

use std::fmt;

// ANCHOR: token
/// The name of one registration: a slot index in the low 32 bits of the
/// `u64` the kernel stores, and the slot's generation in the high 32 bits.
///
/// It names a registration of the reactor that issued it only: nothing in
/// it says which reactor that was, so another reactor takes it for its own
/// registration in that slot and generation, if it has one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Token(u64);

impl Token {
    /// The token for slot `index` in its `generation`.
    pub const fn new(index: u32, generation: u32) -> Token {
        Token(((generation as u64) << 32) | index as u64)
    }

    /// The token that an event carries as its data.
    pub const fn from_u64(data: u64) -> Token {
        Token(data)
    }

    /// The `u64` given to `epoll_ctl`, and returned in events.
    pub const fn as_u64(self) -> u64 {
        self.0
    }

    /// Which slot of the registry: the low 32 bits.
    pub const fn index(self) -> u32 {
        self.0 as u32
    }

    /// Which tenant of that slot: the high 32 bits.
    pub const fn generation(self) -> u32 {
        (self.0 >> 32) as u32
    }
}
// ANCHOR_END: token

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "slot {} generation {}", self.index(), self.generation())
    }
}

impl From<Token> for u64 {
    fn from(token: Token) -> u64 {
        token.as_u64()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_and_generation_pack_into_the_two_halves() {
        let token = Token::new(7, 3);
        assert_eq!(token.as_u64(), 0x0000_0003_0000_0007);
        assert_eq!((token.index(), token.generation()), (7, 3));
        assert_eq!(Token::from_u64(token.as_u64()), token);
        assert_eq!(u64::from(token), token.as_u64());
    }

    #[test]
    fn the_extremes_survive_the_round_trip() {
        let token = Token::new(u32::MAX, u32::MAX);
        assert_eq!(token.as_u64(), u64::MAX);
        assert_eq!((token.index(), token.generation()), (u32::MAX, u32::MAX));
        assert_eq!(Token::new(0, 0).as_u64(), 0);
    }

    #[test]
    fn same_slot_other_generation_is_another_token() {
        assert_ne!(Token::new(1, 0), Token::new(1, 1));
        assert_eq!(Token::new(1, 1).to_string(), "slot 1 generation 1");
    }
}
