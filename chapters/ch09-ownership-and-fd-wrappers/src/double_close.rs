//! A double close, committed on purpose with raw numbers, where it can only
//! hurt the experiment itself.
//!
//! The kernel gives every new descriptor the lowest free number, so a
//! number that is closed is handed out again by the next `open`, `pipe` or
//! `socket`. Code that closes the same number twice closes, the second
//! time, whatever got the number in between. The experiment does exactly
//! that, and then watches the owner of the closed descriptor go on using
//! its number.
//!
//! To keep the damage inside the experiment, its descriptors live at
//! [`PRIVATE_FLOOR`] and above: `fcntl(F_DUPFD_CLOEXEC, PRIVATE_FLOOR)` gives
//! the lowest free number at or above the floor, the same rule as `open`
//! applied to a range that nothing else in the process allocates from
//! (everything else gets the lowest free number, far below the floor). So
//! each number the experiment closes twice belongs to the experiment, at
//! every moment, and no `OwnedFd` or `File` anywhere in the process ever
//! has its descriptor closed behind its back.

use ch01_raw_syscalls::error::{check, check_size};
use std::ffi::c_int;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// The lowest number the experiment's descriptors may get: above anything
/// a test or an example has open, below the usual limit of 1024 open files.
pub const PRIVATE_FLOOR: RawFd = 512;

// ANCHOR: private_pipe
/// A nonblocking pipe whose read end is an ordinary `OwnedFd` and whose
/// write end is a raw number at or above [`PRIVATE_FLOOR`], owned by no Rust
/// type: whoever holds the number must close it, once.
pub fn private_pipe() -> io::Result<(OwnedFd, RawFd)> {
    let mut ends = [-1 as c_int; 2];
    // SAFETY: `ends` is an array of two c_ints, which pipe2 fills.
    check("pipe2", unsafe {
        libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK)
    })?;
    // SAFETY: pipe2 succeeded, so both numbers are new open descriptors that
    // nothing else knows; each OwnedFd becomes the only owner of one.
    let (reader, writer) =
        unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    // SAFETY: F_DUPFD_CLOEXEC takes no pointer; it reads `writer`, which is
    // open, and makes a new descriptor without closing any.
    let private = check("fcntl(F_DUPFD_CLOEXEC)", unsafe {
        libc::fcntl(writer.as_raw_fd(), libc::F_DUPFD_CLOEXEC, PRIVATE_FLOOR)
    })?;
    // `writer`, the low-numbered duplicate, is dropped here: closed by its
    // owner. The pipe's write end lives on at `private`.
    Ok((reader, private))
}
// ANCHOR_END: private_pipe

// ANCHOR: raw_calls
/// `write` on a raw number, the way code that keeps plain integers does it.
/// Returns the errno on failure.
///
/// # Safety
///
/// `fd` must be a number in the experiment's private range: the process
/// gives out numbers there only to the experiment, so whatever the number
/// refers to (or nothing, if it is free), no other code is affected.
unsafe fn raw_write(fd: RawFd, bytes: &[u8]) -> Result<usize, c_int> {
    // SAFETY: `bytes` is valid for reading `bytes.len()` bytes; the number
    // is the caller's business (see above).
    let ret = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
    check_size("write", ret).map_err(errno_of)
}

/// `close` on a raw number. Returns the errno on failure.
///
/// # Safety
///
/// As for [`raw_write`]: `fd` is in the experiment's private range.
unsafe fn raw_close(fd: RawFd) -> Result<(), c_int> {
    // SAFETY: close takes no pointer; the number is the caller's business.
    let ret = unsafe { libc::close(fd) };
    check("close", ret).map(drop).map_err(errno_of)
}
// ANCHOR_END: raw_calls

fn errno_of(err: io::Error) -> c_int {
    ch01_raw_syscalls::error::errno(&err).unwrap_or(0)
}

/// One `read` from a nonblocking pipe's read end: `Ok(bytes)`, empty at end
/// of file, or the errno (`EAGAIN` when the pipe is open but empty).
pub fn read_now(reader: BorrowedFd<'_>) -> Result<Vec<u8>, c_int> {
    let mut buf = [0u8; 64];
    // SAFETY: `buf` is valid for writing `buf.len()` bytes; `reader` is
    // borrowed, so open.
    let ret = unsafe { libc::read(reader.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    let n = check_size("read", ret).map_err(errno_of)?;
    Ok(buf[..n].to_vec())
}

/// What the experiment saw, step by step. `Err` holds an errno.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DoubleClose {
    /// A closes its pipe's write end when it is done with it: correct.
    pub first_close: Result<(), c_int>,
    /// B's new pipe got the number A had just closed.
    pub b_got_a_number: bool,
    /// A's code closes its old number a second time. Success means it
    /// closed *something*: B's pipe.
    pub second_close: Result<(), c_int>,
    /// What B's reader reads next: empty means end of file, so the pipe
    /// has no write end left. B never closed it.
    pub b_reader_reads: Result<Vec<u8>, c_int>,
    /// B writes to its number, which nothing holds now.
    pub b_writes_to_nothing: Result<usize, c_int>,
    /// C's new pipe got the same number.
    pub c_got_the_number: bool,
    /// B writes to its number again, which is C's now.
    pub b_writes_into_c: Result<usize, c_int>,
    /// What C's reader finds in C's pipe.
    pub c_reader_reads: Result<Vec<u8>, c_int>,
    /// B, done, closes its number: C's pipe.
    pub b_closes: Result<(), c_int>,
    /// C writes to its number.
    pub c_writes: Result<usize, c_int>,
    /// C, done, closes its number.
    pub c_closes: Result<(), c_int>,
}

// ANCHOR: double_close
/// Three parts of a program, A, B and C, each keep the write end of a pipe
/// as a plain number. A closes its number twice.
pub fn double_close() -> io::Result<DoubleClose> {
    let (_a_reader, a) = private_pipe()?;
    // SAFETY: here and in every raw call below, the number came from
    // `private_pipe`, so it is in the private range.
    let first_close = unsafe { raw_close(a) }; // A is done: a correct close

    let (b_reader, b) = private_pipe()?;
    let b_got_a_number = b == a;
    if !b_got_a_number {
        // SAFETY: as above. Without the reuse there is nothing to show.
        let _ = unsafe { raw_close(b) };
        return Err(io::Error::other("the private range gave B a new number"));
    }

    // The bug: A's cleanup runs again. `a` is B's number now.
    // SAFETY: as above.
    let second_close = unsafe { raw_close(a) };
    let b_reader_reads = read_now(b_reader.as_fd());
    // SAFETY: as above.
    let b_writes_to_nothing = unsafe { raw_write(b, b"from B") };

    let (c_reader, c) = private_pipe()?;
    let c_got_the_number = c == b;
    if !c_got_the_number {
        // SAFETY: as above. `b` is not C's, so it is not touched again.
        let _ = unsafe { raw_close(c) };
        return Err(io::Error::other("the private range gave C a new number"));
    }
    // SAFETY: as above.
    let b_writes_into_c = unsafe { raw_write(b, b"from B") };
    let c_reader_reads = read_now(c_reader.as_fd());

    // Both finish, and each closes "its" number once.
    // SAFETY: as above.
    let b_closes = unsafe { raw_close(b) };
    // SAFETY: as above.
    let c_writes = unsafe { raw_write(c, b"from C") };
    // SAFETY: as above.
    let c_closes = unsafe { raw_close(c) };

    Ok(DoubleClose {
        first_close,
        b_got_a_number,
        second_close,
        b_reader_reads,
        b_writes_to_nothing,
        c_got_the_number,
        b_writes_into_c,
        c_reader_reads,
        b_closes,
        c_writes,
        c_closes,
    })
}
// ANCHOR_END: double_close
