//! Pipes and socket pairs for tests, made with the standard library.
//!
//! Chapters that teach a way of making these (chapter 1's `pipe2`) use
//! their own; tests that just need a pair of connected fds use these.

use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;

/// A pipe, as `(read end, write end)`, both close-on-exec and blocking.
pub fn pipe() -> (OwnedFd, OwnedFd) {
    let (reader, writer) = std::io::pipe().expect("creating a pipe");
    (OwnedFd::from(reader), OwnedFd::from(writer))
}

/// A connected pair of Unix stream sockets, both close-on-exec and
/// blocking.
pub fn socket_pair() -> (UnixStream, UnixStream) {
    UnixStream::pair().expect("creating a socket pair")
}
