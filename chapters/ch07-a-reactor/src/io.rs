//! The edge-triggered contract, as functions.
//!
//! An edge-triggered registration reports a change once. A handler that
//! stops reading while data is left, or stops writing while there is room,
//! is not told again until the next change, which may never come. So a
//! handler reads and writes until the kernel answers `EAGAIN`, and these
//! helpers make that answer a value instead of an error: `Ok(None)`, "would
//! block, wait for the next event". A signal handler that interrupts a call
//! (`EINTR`) is not an answer at all; the call is made again.
//!
//! Chapter 3 already wrote the loop that reads until `EAGAIN`; it is
//! re-exported here as it is, so a handler finds the whole contract in one
//! module.

use ch01_raw_syscalls::error::check_size;
use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, BorrowedFd};

pub use ch03_level_edge_oneshot::drain::{Drained, Stop, read_until_would_block};

// ANCHOR: read_some
/// One `read(2)` into `buf`: `Some(n)` for `n` bytes (`Some(0)` is end of
/// file), `None` if the fd has nothing now (`EAGAIN`: it is nonblocking and
/// empty). Tried again after `EINTR`. Any other failure is an error naming
/// `read`.
///
/// An empty `buf` is refused with `InvalidInput`: a read of 0 bytes returns
/// 0 at once, data or not, and `Some(0)` would say end of file.
pub fn read_some(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<Option<usize>> {
    if buf.is_empty() {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            "read: an empty buffer cannot tell data from end of file",
        ));
    }
    loop {
        // SAFETY: `buf` is valid for writes of `buf.len()` bytes, and the
        // kernel writes at most that many; `fd` is open (borrowed).
        let ret = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        match would_block(check_size("read", ret)) {
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// One `write(2)` of `buf`: `Some(n)` for the `n` bytes the kernel took
/// (perhaps fewer than `buf.len()`), `None` if it has no room now
/// (`EAGAIN`). Tried again after `EINTR`.
pub fn write_some(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<Option<usize>> {
    loop {
        // SAFETY: `buf` is valid for reads of `buf.len()` bytes; `fd` is
        // open (borrowed).
        let ret = unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
        match would_block(check_size("write", ret)) {
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            result => return result,
        }
    }
}

/// `EAGAIN` (`EWOULDBLOCK` is the same number on Linux) as `Ok(None)`.
fn would_block(result: io::Result<usize>) -> io::Result<Option<usize>> {
    match result {
        Ok(n) => Ok(Some(n)),
        Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(None),
        Err(err) => Err(err),
    }
}
// ANCHOR_END: read_some

// ANCHOR: write_to_would_block
/// Writes `data` until all of it is written or the fd has no more room,
/// and returns how many bytes went out. Fewer than `data.len()` means
/// "would block": keep the rest, and write it when the next `OUT` event
/// says there is room again.
pub fn write_to_would_block(fd: BorrowedFd<'_>, data: &[u8]) -> io::Result<usize> {
    let mut written = 0;
    while written < data.len() {
        match write_some(fd, &data[written..])? {
            Some(n) => written += n,
            None => break,
        }
    }
    Ok(written)
}
// ANCHOR_END: write_to_would_block

#[cfg(test)]
mod tests {
    use super::*;
    use ch01_raw_syscalls::error::{errno, failed_call};
    use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
    use std::os::fd::AsFd;

    #[test]
    fn read_some_tells_data_end_of_file_and_would_block_apart() {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        let mut buf = [0; 8];
        assert_eq!(read_some(reader.as_fd(), &mut buf).unwrap(), None);
        assert_eq!(write_some(writer.as_fd(), b"hi").unwrap(), Some(2));
        assert_eq!(read_some(reader.as_fd(), &mut buf).unwrap(), Some(2));
        assert_eq!(&buf[..2], b"hi");
        drop(writer);
        assert_eq!(read_some(reader.as_fd(), &mut buf).unwrap(), Some(0));
    }

    #[test]
    fn a_full_pipe_takes_part_then_would_block() {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        let data = vec![7u8; 1 << 20];
        let written = write_to_would_block(writer.as_fd(), &data).unwrap();
        assert!(written > 0 && written < data.len(), "{written}");
        assert_eq!(write_some(writer.as_fd(), b"x").unwrap(), None);
        let mut sink = Vec::new();
        let drained = read_until_would_block(reader.as_fd(), &mut sink).unwrap();
        assert_eq!((drained.bytes, drained.stop), (written, Stop::WouldBlock));
    }

    #[test]
    fn other_errors_name_the_call() {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        drop(reader);
        // SIGPIPE is ignored in Rust programs, so the write fails with EPIPE.
        let err = write_some(writer.as_fd(), b"x").unwrap_err();
        assert_eq!(errno(&err), Some(libc::EPIPE));
        assert_eq!(failed_call(&err), Some("write"));
        let err = read_some(writer.as_fd(), &mut [0; 1]).unwrap_err();
        assert_eq!(errno(&err), Some(libc::EBADF));
        assert_eq!(failed_call(&err), Some("read"));
    }
}
