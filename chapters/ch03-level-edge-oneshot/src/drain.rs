//! Reading a nonblocking fd until the kernel says "nothing more for now".
//!
//! Under edge-triggered notification an event means "something changed",
//! and the next event comes only with the next change. A handler that
//! leaves data behind will not hear about it again, so it must read until
//! `read` fails with `EAGAIN` (`man 7 epoll`). That only works on a
//! nonblocking fd: on a blocking one, the read after the last byte waits.

use ch01_raw_syscalls::read;
use std::io::{self, ErrorKind};
use std::os::fd::BorrowedFd;

// ANCHOR: drained
/// Why a read loop stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `read` failed with `EAGAIN`: the fd has nothing more for now. Under
    /// `EPOLLET` the next event will come with the next data.
    WouldBlock,
    /// `read` returned 0: end of file. The peer will send nothing more,
    /// and the fd will stay readable (at end of file) from now on.
    EndOfFile,
    /// The budget of reads was spent before either of the above: the fd
    /// may well have more, and nobody will be told.
    Budget,
}

/// What a read loop did: the bytes and reads that returned data, and why
/// it stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drained {
    pub bytes: usize,
    pub reads: usize,
    pub stop: Stop,
}
// ANCHOR_END: drained

/// How many bytes [`read_until_would_block`] asks for in each read.
pub const CHUNK: usize = 4096;

// ANCHOR: read_until_would_block
/// Reads everything `fd` has now, appending it to `sink`, until `read`
/// fails with `EAGAIN` or returns 0 (end of file). `fd` must be
/// nonblocking, or the last read waits for data that may never come.
pub fn read_until_would_block(fd: BorrowedFd<'_>, sink: &mut Vec<u8>) -> io::Result<Drained> {
    read_with_budget(fd, sink, CHUNK, usize::MAX)
}

/// Like [`read_until_would_block`], `chunk` bytes at a time, but stops
/// after `max_reads` reads that returned data, with [`Stop::Budget`].
/// Interrupted reads are tried again and do not count.
///
/// A `chunk` of 0 is refused with `InvalidInput`: a read of 0 bytes returns
/// 0, which would pass for end of file. A `chunk` that `sink` cannot grow by
/// fails with `OutOfMemory` instead of aborting.
pub fn read_with_budget(
    fd: BorrowedFd<'_>,
    sink: &mut Vec<u8>,
    chunk: usize,
    max_reads: usize,
) -> io::Result<Drained> {
    if chunk == 0 {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            "read_with_budget: a read of 0 bytes returns 0, which means end of file",
        ));
    }
    let mut done = Drained {
        bytes: 0,
        reads: 0,
        stop: Stop::Budget,
    };
    while done.reads < max_reads {
        let start = sink.len();
        sink.try_reserve(chunk).map_err(|err| {
            io::Error::new(ErrorKind::OutOfMemory, format!("read_with_budget: {err}"))
        })?;
        sink.resize(start + chunk, 0);
        let result = read(fd, &mut sink[start..]);
        sink.truncate(start + *result.as_ref().unwrap_or(&0));
        match result {
            Ok(0) => {
                done.stop = Stop::EndOfFile;
                return Ok(done);
            }
            Ok(n) => {
                done.bytes += n;
                done.reads += 1;
            }
            Err(err) if err.kind() == ErrorKind::WouldBlock => {
                done.stop = Stop::WouldBlock;
                return Ok(done);
            }
            Err(err) if err.kind() == ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(done)
}
// ANCHOR_END: read_until_would_block

#[cfg(test)]
mod tests {
    use super::*;
    use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2, write};
    use std::os::fd::AsFd;

    #[test]
    fn stops_at_eagain_and_keeps_the_data() {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        write(writer.as_fd(), b"hello").unwrap();
        let mut sink = b">".to_vec();
        let done = read_until_would_block(reader.as_fd(), &mut sink).unwrap();
        assert_eq!(
            done,
            Drained {
                bytes: 5,
                reads: 1,
                stop: Stop::WouldBlock
            }
        );
        assert_eq!(sink, b">hello", "appended, nothing extra left behind");
    }

    #[test]
    fn end_of_file_is_not_would_block() {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        write(writer.as_fd(), b"bye").unwrap();
        drop(writer);
        let mut sink = Vec::new();
        let done = read_until_would_block(reader.as_fd(), &mut sink).unwrap();
        assert_eq!((done.bytes, done.stop), (3, Stop::EndOfFile));
        let again = read_until_would_block(reader.as_fd(), &mut sink).unwrap();
        assert_eq!((again.bytes, again.stop), (0, Stop::EndOfFile));
    }

    #[test]
    fn the_budget_counts_reads_that_returned_data() {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        write(writer.as_fd(), b"0123456789").unwrap();
        let mut sink = Vec::new();
        let done = read_with_budget(reader.as_fd(), &mut sink, 3, 2).unwrap();
        assert_eq!(
            done,
            Drained {
                bytes: 6,
                reads: 2,
                stop: Stop::Budget
            }
        );
        assert_eq!(sink, b"012345");
        let rest = read_with_budget(reader.as_fd(), &mut sink, 3, 10).unwrap();
        assert_eq!(
            (rest.bytes, rest.reads, rest.stop),
            (4, 2, Stop::WouldBlock)
        );
        assert_eq!(sink, b"0123456789");
    }

    #[test]
    fn other_errors_are_returned() {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        drop(reader);
        // The write end cannot be read from: EBADF.
        let err = read_until_would_block(writer.as_fd(), &mut Vec::new()).unwrap_err();
        assert_eq!(ch01_raw_syscalls::errno(&err), Some(9));
    }
}
