//! `EventFd`: an owned eventfd, a 64-bit counter the kernel keeps behind a
//! file descriptor.

use ch01_raw_syscalls::error::{check, check_size};
use std::ffi::c_int;
use std::fs;
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

// ANCHOR: constants
/// The largest value the counter can hold: `u64::MAX - 1`
/// (`0xfffffffffffffffe`). A write that would take the counter past it
/// blocks, or fails with `EAGAIN` on a nonblocking eventfd.
pub const MAX_COUNT: u64 = u64::MAX - 1;

/// The one value no write may carry: `u64::MAX` fails with `EINVAL`, even
/// when the counter is 0.
pub const INVALID_VALUE: u64 = u64::MAX;

/// How many bytes every read and write moves: one `u64`, in the machine's
/// byte order.
pub const VALUE_SIZE: usize = size_of::<u64>();
// ANCHOR_END: constants

// ANCHOR: eventfd
/// An eventfd, owned: dropping it closes the descriptor, once.
///
/// The kernel keeps a `u64` counter behind it. [`write`](EventFd::write)
/// adds to the counter, [`read`](EventFd::read) takes it (all of it, or 1
/// in semaphore mode), and epoll reports the fd readable while the counter
/// is above 0. Every method takes `&self`: the kernel serializes the
/// operations on one counter, so threads may share an `EventFd` (it is
/// `Send` and `Sync`).
#[derive(Debug)]
pub struct EventFd {
    fd: OwnedFd,
}
// ANCHOR_END: eventfd

impl EventFd {
    // ANCHOR: new
    /// Creates an eventfd whose counter starts at `initval`.
    ///
    /// `flags` is 0 or an OR of `libc::EFD_CLOEXEC`, `libc::EFD_NONBLOCK` and
    /// `libc::EFD_SEMAPHORE`; any other bit fails with `EINVAL`. Errors name
    /// the call: `eventfd`.
    pub fn new(initval: u32, flags: c_int) -> io::Result<EventFd> {
        // SAFETY: eventfd takes no pointers; the kernel checks both values.
        let fd = check("eventfd", unsafe { libc::eventfd(initval, flags) })?;
        // SAFETY: the kernel just returned `fd`: it is open and nothing else
        // in the program knows it, so the OwnedFd is its only owner.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(EventFd { fd })
    }
    // ANCHOR_END: new

    // ANCHOR: read_write
    /// Reads the counter. Normally this returns the whole counter and sets
    /// it to 0; in semaphore mode it returns 1 and subtracts 1.
    ///
    /// With the counter at 0, a blocking eventfd waits for a write, and a
    /// nonblocking one fails with `EAGAIN` (`ErrorKind::WouldBlock`).
    /// Errors name the call: `read(eventfd)`.
    pub fn read(&self) -> io::Result<u64> {
        let mut bytes = [0u8; VALUE_SIZE];
        let n = self.read_bytes(&mut bytes)?;
        // The kernel moves exactly eight bytes or fails; anything else
        // would be a kernel this code does not know.
        if n != VALUE_SIZE {
            return Err(short_transfer("read(eventfd)", n));
        }
        Ok(u64::from_ne_bytes(bytes))
    }

    /// Adds `value` to the counter.
    ///
    /// If the sum would pass [`MAX_COUNT`], a blocking eventfd waits until
    /// a read makes room, and a nonblocking one fails with `EAGAIN`
    /// (`ErrorKind::WouldBlock`). `value` = [`INVALID_VALUE`] fails with
    /// `EINVAL`. Errors name the call: `write(eventfd)`.
    pub fn write(&self, value: u64) -> io::Result<()> {
        let n = self.write_bytes(&value.to_ne_bytes())?;
        if n != VALUE_SIZE {
            return Err(short_transfer("write(eventfd)", n));
        }
        Ok(())
    }
    // ANCHOR_END: read_write

    // ANCHOR: raw_bytes
    /// One `read(2)` into `buf`, whatever its size, returning how many bytes
    /// the kernel wrote. For experiments with the size rule: a buffer
    /// shorter than eight bytes fails with `EINVAL`, and a longer one still
    /// gets eight.
    pub fn read_bytes(&self, buf: &mut [u8]) -> io::Result<usize> {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes, the kernel
        // writes at most that many, and the fd is open: `self` owns it.
        let ret = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        check_size("read(eventfd)", ret)
    }

    /// One `write(2)` of `buf`, whatever its size, returning how many bytes
    /// the kernel took. A buffer shorter than eight bytes fails with
    /// `EINVAL`; so does a longer one on this book's kernel (6.18), where
    /// older kernels took its first eight bytes.
    pub fn write_bytes(&self, buf: &[u8]) -> io::Result<usize> {
        // SAFETY: `buf` is valid for reads of `buf.len()` bytes, and the fd
        // is open: `self` owns it.
        let ret = unsafe { libc::write(self.fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
        check_size("write(eventfd)", ret)
    }
    // ANCHOR_END: raw_bytes

    // ANCHOR: peek
    /// The counter as the kernel shows it in `/proc/self/fdinfo/<fd>`
    /// (`eventfd-count:`, in hexadecimal; see `man 5 proc`), without
    /// reading it, so without changing it. A window for learning and tests:
    /// by the time the caller looks at the number, another thread may have
    /// changed the counter.
    pub fn peek(&self) -> io::Result<u64> {
        let path = format!("/proc/self/fdinfo/{}", self.fd.as_raw_fd());
        let text = fs::read_to_string(path)?;
        let hex = text
            .lines()
            .find_map(|line| line.strip_prefix("eventfd-count:"))
            .ok_or_else(|| fdinfo_error("no eventfd-count line"))?;
        u64::from_str_radix(hex.trim(), 16).map_err(|_| fdinfo_error("a count that is not hex"))
    }
    // ANCHOR_END: peek
}

fn short_transfer(call: &str, n: usize) -> io::Error {
    io::Error::new(
        ErrorKind::UnexpectedEof,
        format!("{call}: moved {n} bytes instead of {VALUE_SIZE}"),
    )
}

fn fdinfo_error(what: &str) -> io::Error {
    io::Error::new(
        ErrorKind::InvalidData,
        format!("reading an eventfd's fdinfo: {what}"),
    )
}

impl AsFd for EventFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for EventFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl From<EventFd> for OwnedFd {
    /// Gives up the wrapper and keeps the descriptor open, now owned by the
    /// returned `OwnedFd`.
    fn from(eventfd: EventFd) -> OwnedFd {
        eventfd.fd
    }
}
