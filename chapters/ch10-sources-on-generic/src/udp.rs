//! A UDP socket source: a `std::net::UdpSocket` in an edge-triggered
//! `Generic`, which reads every waiting datagram on each event.

use ch01_raw_syscalls::error::SyscallError;
use ch08_generic_sources::{
    EventSource, Generic, Interest, Mode, Poller, PostAction, Readiness, Token, TokenFactory,
    Watched,
};
use std::io::{self, ErrorKind};
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::os::fd::{AsFd, BorrowedFd};

/// The largest datagram the source reads whole. A UDP header's length
/// field is 16 bits, so no datagram carries more (IPv6 jumbograms aside,
/// which ordinary links and loopback do not use); a longer one would be
/// cut to fit, with `MSG_TRUNC` (`man 7 udp`).
pub const MAX_DATAGRAM: usize = 65_536;

// ANCHOR: datagram
/// One datagram, as the callback gets it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Datagram {
    /// Its payload.
    pub bytes: Vec<u8>,
    /// Who sent it: where an answer goes.
    pub peer: SocketAddr,
}
// ANCHOR_END: datagram

// ANCHOR: udp_source
/// A UDP socket as an event source, edge-triggered: each event means "new
/// datagrams arrived", so the source reads until the kernel says "would
/// block", and the callback gets every datagram, with the socket to answer
/// through (`&UdpSocket` is all `send_to` needs).
#[derive(Debug)]
pub struct UdpSource {
    inner: Generic<UdpSocket>,
    /// One datagram's worth, reused for every read.
    buffer: Box<[u8]>,
}

impl UdpSource {
    /// Makes `socket` nonblocking (an edge-triggered reader must be able
    /// to read until `EAGAIN`) and wraps it.
    pub fn new(socket: UdpSocket) -> io::Result<UdpSource> {
        socket.set_nonblocking(true)?;
        Ok(UdpSource {
            inner: Generic::new(socket, Interest::READABLE, Mode::Edge),
            buffer: vec![0; MAX_DATAGRAM].into_boxed_slice(),
        })
    }

    /// Binds a new socket to `addr` (port 0: the kernel picks one). An
    /// address that is taken fails with `EADDRINUSE`, naming the call
    /// `bind`.
    pub fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSource> {
        let socket = UdpSocket::bind(addr).map_err(|os_error| {
            io::Error::new(
                os_error.kind(),
                SyscallError {
                    call: "bind",
                    os_error,
                },
            )
        })?;
        UdpSource::new(socket)
    }

    /// The socket, to ask its address or to send from.
    pub fn socket(&self) -> &UdpSocket {
        self.inner.get_ref()
    }
}
// ANCHOR_END: udp_source

// ANCHOR: event_source
impl EventSource for UdpSource {
    type Event = Datagram;
    type Metadata = Watched<UdpSocket>;
    /// `Continue` to go on reading; anything else stops reading for this
    /// event and goes to the loop.
    type Ret = io::Result<PostAction>;
    type Error = io::Error;

    fn process_events<C>(
        &mut self,
        readiness: Readiness,
        token: Token,
        mut callback: C,
    ) -> io::Result<PostAction>
    where
        C: FnMut(Datagram, &mut Watched<UdpSocket>) -> io::Result<PostAction>,
    {
        let buffer = &mut self.buffer;
        self.inner.process_events(readiness, token, |_, socket| {
            loop {
                let (n, peer) = match socket.recv_from(buffer) {
                    Ok(received) => received,
                    // Drained: the next datagram makes the next edge.
                    Err(err) if err.kind() == ErrorKind::WouldBlock => {
                        return Ok(PostAction::Continue);
                    }
                    Err(err) if err.kind() == ErrorKind::Interrupted => continue,
                    Err(err) => return Err(err),
                };
                let datagram = Datagram {
                    bytes: buffer[..n].to_vec(),
                    peer,
                };
                match callback(datagram, socket)? {
                    PostAction::Continue => {}
                    // Datagrams left unread still get reported: enabling
                    // a disabled source (ADD) and re-registering it (MOD)
                    // make the kernel look at the socket again. Removing
                    // closes the socket, with whatever it held.
                    other => return Ok(other),
                }
            }
        })
    }

    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.register(poller, tokens)
    }

    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.reregister(poller, tokens)
    }

    fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
        self.inner.unregister(poller)
    }
}
// ANCHOR_END: event_source

impl AsFd for UdpSource {
    /// The socket.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}
