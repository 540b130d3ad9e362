//! `Connection`: one TCP stream as an event source, built on a `Generic`.
//!
//! A `Generic` in the loop is out of the program's reach: nothing outside
//! can change its interest without going through the loop's handle, and a
//! callback only gets the stream. Chapter 8 left the way in: a source built
//! on a `Generic` may call its `set_interest` and return
//! `PostAction::Reregister`. `Connection` does exactly that and nothing
//! more. Its callback says what the connection waits for next, as a
//! [`Next`]; the source compares that with what is registered, and asks
//! the loop for an `epoll_ctl(MOD)` only when they differ, or when an
//! edge-triggered connection must be re-armed ([`Next::Rearm`]).

use ch08_generic_sources::{
    EventSource, Generic, Interest, Mode, Poller, PostAction, Readiness, Token, TokenFactory,
    Watched,
};
use std::io;
use std::net::TcpStream;
use std::os::fd::{AsFd, BorrowedFd};

// ANCHOR: connection
/// What a connection's callback wants after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Stay open and wait for this.
    Wait(Interest),
    /// Wait for this, and make the `epoll_ctl(MOD)` even if it is what is
    /// registered already. Edge-triggered, that is how a connection that
    /// stopped reading with data left gets reported again: a `MOD` makes
    /// the kernel check the fd's readiness anew (chapter 3).
    Rearm(Interest),
    /// Close the connection: the loop removes the source, which deletes
    /// the stream from the interest list and closes it.
    Close,
}

/// A TCP stream in the loop, registered for [`Interest::READABLE`] to
/// begin with: level-triggered, unless made with
/// [`with_mode`](Connection::with_mode).
#[derive(Debug)]
pub struct Connection {
    stream: Generic<TcpStream>,
}

impl Connection {
    /// Wraps an accepted (nonblocking) stream, level-triggered.
    pub fn new(stream: TcpStream) -> Connection {
        Connection::with_mode(stream, Mode::Level)
    }

    /// Wraps an accepted (nonblocking) stream, registered in `mode`.
    pub fn with_mode(stream: TcpStream, mode: Mode) -> Connection {
        Connection {
            stream: Generic::new(stream, Interest::READABLE, mode),
        }
    }

    /// What it is registered for, or will be once inserted.
    pub fn interest(&self) -> Interest {
        self.stream.interest()
    }
}
// ANCHOR_END: connection

// ANCHOR: connection_source
impl EventSource for Connection {
    type Event = Readiness;
    type Metadata = Watched<TcpStream>;
    type Ret = Next;
    type Error = io::Error;

    fn process_events<C>(
        &mut self,
        readiness: Readiness,
        token: Token,
        mut callback: C,
    ) -> io::Result<PostAction>
    where
        C: FnMut(Readiness, &mut Watched<TcpStream>) -> Next,
    {
        let mut next = None;
        self.stream
            .process_events(readiness, token, |readiness, stream| {
                next = Some(callback(readiness, stream));
                Ok(PostAction::Continue)
            })?;
        Ok(match next {
            // Not this stream's token: nothing happened.
            None => PostAction::Continue,
            Some(Next::Close) => PostAction::Remove,
            // The common case: no system call.
            Some(Next::Wait(interest)) if interest == self.stream.interest() => {
                PostAction::Continue
            }
            Some(Next::Wait(interest) | Next::Rearm(interest)) => {
                self.stream.set_interest(interest);
                PostAction::Reregister // one epoll_ctl(MOD), made by the loop
            }
        })
    }

    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.stream.register(poller, tokens)
    }

    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.stream.reregister(poller, tokens)
    }

    fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
        self.stream.unregister(poller)
    }
}
// ANCHOR_END: connection_source

impl AsFd for Connection {
    /// The stream's fd.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.stream.as_fd()
    }
}
