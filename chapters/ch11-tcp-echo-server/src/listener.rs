//! The listening socket: made once, with the settings every connection
//! inherits, and `accept` in one system call.
//!
//! `TcpListener::bind` does most of the work: a close-on-exec socket,
//! `SO_REUSEADDR` (so a restarted server can bind while old connections sit
//! in `TIME_WAIT`), `bind` and `listen`. Three things are added here:
//!
//! - a longer accept queue: std listens with a backlog of 128, and a burst
//!   of clients beyond that waits for SYN retransmissions (one second, then
//!   more). `listen` again on a listening socket changes its backlog; the
//!   kernel caps it at `/proc/sys/net/core/somaxconn` (`man 2 listen`);
//! - `TCP_NODELAY` on the listener, which the sockets it accepts inherit,
//!   so no connection waits for Nagle's algorithm and no connection costs a
//!   `setsockopt`;
//! - the listener itself is nonblocking, so accepting until the queue is
//!   empty ends with `EAGAIN` instead of blocking the loop.
//!
//! [`accept`] uses `accept4` with `SOCK_NONBLOCK | SOCK_CLOEXEC`: the new
//! socket is nonblocking from its first moment, without std's extra
//! `ioctl(FIONBIO)`, and its peer address is not asked for, because the
//! server never uses it.

use echo_harness::cli::named;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::ptr;

// ANCHOR: bind
/// A nonblocking listener on `addr` (port 0: the kernel picks one), with
/// the longest accept queue the system allows and `TCP_NODELAY` for every
/// connection it accepts. Errors name the call: `bind(127.0.0.1:7878):
/// Address already in use (os error 98)`.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let listener = TcpListener::bind(addr).map_err(named(format!("bind({addr})")))?;
    let fd = listener.as_raw_fd();
    // SAFETY: `fd` is the listener's, open while `listener` lives; listen
    // takes no pointers.
    if unsafe { libc::listen(fd, libc::SOMAXCONN) } == -1 {
        return Err(named("listen")(io::Error::last_os_error()));
    }
    let on: libc::c_int = 1;
    // SAFETY: `fd` is open; the option value points to a live c_int and
    // the length passed is its exact size.
    let ret = unsafe {
        libc::setsockopt(
            fd,
            libc::IPPROTO_TCP,
            libc::TCP_NODELAY,
            (&raw const on).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if ret == -1 {
        return Err(named("setsockopt(TCP_NODELAY)")(io::Error::last_os_error()));
    }
    listener
        .set_nonblocking(true)
        .map_err(named("ioctl(FIONBIO)"))?;
    Ok(listener)
}
// ANCHOR_END: bind

// ANCHOR: accept
/// Takes one connection off the listener's queue: a nonblocking,
/// close-on-exec stream. `WouldBlock` when the queue is empty. The error
/// is `io::Error::last_os_error()`, which holds the number and allocates
/// nothing: the accept loop meets `EAGAIN` on every event.
pub fn accept(listener: &TcpListener) -> io::Result<TcpStream> {
    // SAFETY: the listener's fd is open while it is borrowed. A null
    // address and length are allowed, and ask for no peer address (`man 2
    // accept`); the kernel writes through no pointer of ours.
    let fd = unsafe {
        libc::accept4(
            listener.as_raw_fd(),
            ptr::null_mut(),
            ptr::null_mut(),
            libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
        )
    };
    if fd == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: accept4 just returned `fd`, a new descriptor that nothing
    // else in the program owns; the stream takes it over and closes it.
    Ok(TcpStream::from(unsafe { OwnedFd::from_raw_fd(fd) }))
}
// ANCHOR_END: accept

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::ErrorKind;

    #[test]
    fn an_accepted_stream_is_nonblocking_and_has_no_delay() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        assert_eq!(accept(&listener).unwrap_err().kind(), ErrorKind::WouldBlock);
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let stream = loop {
            match accept(&listener) {
                Ok(stream) => break stream,
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::yield_now(),
                Err(e) => panic!("{e}"),
            }
        };
        assert!(stream.nodelay().unwrap(), "inherited from the listener");
        let mut buf = [0u8; 1];
        let err = io::Read::read(&mut &stream, &mut buf).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WouldBlock);
    }
}
