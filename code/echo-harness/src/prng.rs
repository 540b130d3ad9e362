//! A small deterministic pseudo-random generator for test traffic.
//!
//! The clients need bytes that are cheap to make, differ from one
//! connection to the next, and can be made again on the receiving side to
//! check what came back, without keeping a copy. xorshift64* (Marsaglia's
//! xorshift with a multiplying output step) is plenty for that; it is not
//! for anything that needs real randomness.

/// A xorshift64* generator. The same seed always gives the same sequence.
#[derive(Clone, Debug)]
pub struct Xorshift(u64);

impl Xorshift {
    /// A generator for `seed`; every seed, zero included, gives a usable
    /// sequence.
    pub fn new(seed: u64) -> Xorshift {
        // The state must never be zero; mixing the seed through a constant
        // (SplitMix64's increment) keeps seeds 0, 1, 2... far apart too.
        let mixed = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        Xorshift(if mixed == 0 { 1 } else { mixed })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `low..=high`. (Slightly biased for ranges that do not
    /// divide 2^64, which does not matter for picking chunk sizes.)
    pub fn range(&mut self, low: usize, high: usize) -> usize {
        assert!(low <= high, "empty range {low}..={high}");
        let span = (high - low) as u64 + 1;
        low + (self.next_u64() % span) as usize
    }
}

/// An endless stream of pseudo-random bytes: what one connection sends, and
/// what its receiving side expects back.
#[derive(Clone, Debug)]
pub struct ByteStream {
    rng: Xorshift,
    word: [u8; 8],
    used: usize,
}

impl ByteStream {
    pub fn new(seed: u64) -> ByteStream {
        ByteStream {
            rng: Xorshift::new(seed),
            word: [0; 8],
            used: 8,
        }
    }

    /// Fills `buf` with the next bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut buf = buf;
        // Finish the current word, then whole words, then start a new one.
        while self.used < 8 && !buf.is_empty() {
            buf[0] = self.word[self.used];
            self.used += 1;
            buf = &mut buf[1..];
        }
        let mut words = buf.chunks_exact_mut(8);
        for word in &mut words {
            word.copy_from_slice(&self.rng.next_u64().to_le_bytes());
        }
        let tail = words.into_remainder();
        if !tail.is_empty() {
            self.word = self.rng.next_u64().to_le_bytes();
            tail.copy_from_slice(&self.word[..tail.len()]);
            self.used = tail.len();
        }
    }

    /// Checks that `buf` holds the next bytes of the stream. On a mismatch,
    /// returns the index of the first byte that differs.
    pub fn check(&mut self, buf: &[u8]) -> Result<(), usize> {
        let mut expected = [0u8; 4096];
        for (i, chunk) in buf.chunks(expected.len()).enumerate() {
            let expected = &mut expected[..chunk.len()];
            self.fill(expected);
            if let Some(at) = chunk.iter().zip(expected.iter()).position(|(a, b)| a != b) {
                return Err(i * 4096 + at);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_bytes_however_they_are_cut() {
        let mut whole = vec![0u8; 1000];
        ByteStream::new(7).fill(&mut whole);
        let mut pieces = ByteStream::new(7);
        let mut cut = vec![0u8; 1000];
        let (a, rest) = cut.split_at_mut(3);
        let (b, c) = rest.split_at_mut(500);
        pieces.fill(a);
        pieces.fill(b);
        pieces.fill(c);
        assert_eq!(whole, cut);
        assert_eq!(ByteStream::new(7).check(&whole), Ok(()));
        // Pieces of every size from 1 to 20 bytes, straddling words.
        let mut pieces = ByteStream::new(7);
        let mut cut = vec![0u8; 1000];
        let (mut rest, mut size) = (&mut cut[..], 1);
        while !rest.is_empty() {
            let (piece, tail) = rest.split_at_mut(size.min(rest.len()));
            pieces.fill(piece);
            rest = tail;
            size = size % 20 + 1;
        }
        assert_eq!(whole, cut);
    }

    #[test]
    fn different_seeds_differ_and_check_finds_the_first_bad_byte() {
        let mut a = vec![0u8; 64];
        let mut b = vec![0u8; 64];
        ByteStream::new(0).fill(&mut a);
        ByteStream::new(1).fill(&mut b);
        assert_ne!(a, b);
        let mut corrupted = vec![0u8; 10_000];
        ByteStream::new(3).fill(&mut corrupted);
        corrupted[5000] ^= 1;
        assert_eq!(ByteStream::new(3).check(&corrupted), Err(5000));
    }

    #[test]
    fn range_stays_in_bounds_and_reaches_both_ends() {
        let mut rng = Xorshift::new(42);
        let picks: Vec<usize> = (0..1000).map(|_| rng.range(3, 6)).collect();
        assert!(picks.iter().all(|p| (3..=6).contains(p)));
        assert!(picks.contains(&3) && picks.contains(&6));
    }
}
