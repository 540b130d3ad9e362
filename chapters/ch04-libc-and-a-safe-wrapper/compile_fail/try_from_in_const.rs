//! Does not compile, on purpose: `tests/solutions.rs` checks that rustc
//! rejects it, as the solution to the page's first exercise says. The
//! file is compiled without dependencies, so `EPOLLET` stands in for
//! `libc::EPOLLET`, with the same type and value.

const EPOLLET: i32 = i32::MIN;

// ANCHOR: try_from_in_const
// error[E0015]: cannot call non-const method `Result::unwrap` in constants
// (and `u32::try_from` is not callable in a constant either)
pub const ET: u32 = u32::try_from(EPOLLET).unwrap();
// ANCHOR_END: try_from_in_const
