//! Solutions to the exercises at the end of chapter 10's page, one item (or
//! a small group) per exercise, each tested in `tests/solutions.rs`.

use crate::{Channel, Datagram, Event, UdpSource};
use ch01_raw_syscalls::error::check_size;
use ch08_generic_sources::{
    EventSource, Interest, Mode, Poller, PostAction, Readiness, Token, TokenFactory, Watched,
};
use std::collections::VecDeque;
use std::io::{self, ErrorKind};
use std::net::UdpSocket;
use std::os::fd::{AsFd, AsRawFd};

// ANCHOR: exercise_1
/// A `UdpSource` that reads at most `budget` datagrams per event.
///
/// When the budget runs out it answers `Reregister`, which the inner
/// source passes to the loop: one `epoll_ctl(MOD)`, after which the kernel
/// looks at the socket again and, with datagrams left, reports it in the
/// next wait, which then does not block. Every other source of the batch
/// runs in between: under a flood, a message on another source waits for
/// at most `budget` datagrams, not for the flood.
///
/// What it costs: for every `budget` datagrams of a flood, one `MOD` and
/// one more `epoll_wait`, where reading to the end pays one `recvfrom`
/// that fails with `EAGAIN` per event. With a budget of 64, about two
/// system calls more per 64 `recvfrom`s, some three per cent, and only
/// while the flood lasts.
pub struct Budgeted {
    inner: UdpSource,
    budget: usize,
}

impl Budgeted {
    /// `budget` is at least 1.
    pub fn new(inner: UdpSource, budget: usize) -> Budgeted {
        Budgeted {
            inner,
            budget: budget.max(1),
        }
    }

    pub fn socket(&self) -> &UdpSocket {
        self.inner.socket()
    }
}

impl EventSource for Budgeted {
    type Event = Datagram;
    type Metadata = Watched<UdpSocket>;
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
        let budget = self.budget;
        let mut read = 0;
        self.inner
            .process_events(readiness, token, |datagram, socket| {
                let answer = callback(datagram, socket)?;
                read += 1;
                // Anything but `Continue` stops the inner loop already.
                if answer == PostAction::Continue && read == budget {
                    return Ok(PostAction::Reregister);
                }
                Ok(answer)
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
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// A `UdpSource` whose callback may fail without stranding datagrams.
///
/// When the callback fails, `UdpSource` returns at once, with datagrams
/// possibly left in the socket, and the loop hands the error out and keeps
/// the registration as it is. Edge-triggered, those datagrams made their
/// edge already: nothing reports them until a new one arrives, however
/// long that takes. So on an error this source does what `Reregister`
/// would have done, itself: a `MOD` with the same token, which makes the
/// kernel look at the socket again. The error still goes to the loop, and
/// the next dispatch delivers what was left.
pub struct Resilient {
    inner: UdpSource,
    /// The loop's epoll instance, while registered.
    poller: Option<Poller>,
}

impl Resilient {
    pub fn new(inner: UdpSource) -> Resilient {
        Resilient {
            inner,
            poller: None,
        }
    }

    pub fn socket(&self) -> &UdpSocket {
        self.inner.socket()
    }
}

impl EventSource for Resilient {
    type Event = Datagram;
    type Metadata = Watched<UdpSocket>;
    type Ret = io::Result<PostAction>;
    type Error = io::Error;

    fn process_events<C>(
        &mut self,
        readiness: Readiness,
        token: Token,
        callback: C,
    ) -> io::Result<PostAction>
    where
        C: FnMut(Datagram, &mut Watched<UdpSocket>) -> io::Result<PostAction>,
    {
        let result = self.inner.process_events(readiness, token, callback);
        if let (Err(_), Some(poller)) = (&result, &self.poller) {
            // The same interest and mode as `UdpSource` registers with.
            // `token` is the one this event came with, which is the
            // socket's. If this MOD fails too, the callback's error is the
            // one to report: it came first, and the MOD's only cause here
            // would be the kernel out of memory.
            let _ = poller.modify(self.inner.as_fd(), Interest::READABLE, Mode::Edge, token);
        }
        result
    }

    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.register(poller, tokens)?;
        self.poller = Some(poller.clone());
        Ok(())
    }

    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.reregister(poller, tokens)?;
        self.poller = Some(poller.clone());
        Ok(())
    }

    fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
        self.inner.unregister(poller)?;
        self.poller = None;
        Ok(())
    }
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
/// A `Channel` that delivers at most `limit` messages per event.
///
/// The inner channel hands over everything queued; what is over the limit
/// waits here. Before returning with messages still waiting, the source
/// must make sure it is called again without a send: it writes its own
/// eventfd, which (level-triggered) makes the next wait return at once.
/// Without that write the rest would wait for the next send, which may
/// never come. `Closed` waits in line too, and the source asks to be
/// removed only once it has delivered it.
pub struct Limited<T> {
    inner: Channel<T>,
    waiting: VecDeque<Event<T>>,
    limit: usize,
}

impl<T> Limited<T> {
    /// `limit` is at least 1.
    pub fn new(inner: Channel<T>, limit: usize) -> Limited<T> {
        Limited {
            inner,
            waiting: VecDeque::new(),
            limit: limit.max(1),
        }
    }

    /// Makes the channel's eventfd readable: adds 1 to its counter.
    fn wake_itself(&self) -> io::Result<()> {
        let one = 1u64.to_ne_bytes();
        // SAFETY: `one` is valid for reads of 8 bytes, what an eventfd
        // write takes; the eventfd is open (the inner channel owns a share
        // of it, and lends it for the call).
        let ret = unsafe { libc::write(self.inner.as_fd().as_raw_fd(), one.as_ptr().cast(), 8) };
        match check_size("write(eventfd)", ret) {
            // A full counter (EAGAIN) is readable already.
            Err(err) if err.kind() != ErrorKind::WouldBlock => Err(err),
            _ => Ok(()),
        }
    }
}

impl<T> EventSource for Limited<T> {
    type Event = Event<T>;
    type Metadata = ();
    type Ret = ();
    type Error = io::Error;

    fn process_events<C>(
        &mut self,
        readiness: Readiness,
        token: Token,
        mut callback: C,
    ) -> io::Result<PostAction>
    where
        C: FnMut(Event<T>, &mut ()),
    {
        let waiting = &mut self.waiting;
        // The inner channel resets the eventfd and hands over its queue
        // (nothing, if this event is our own wake-up and nobody sent).
        self.inner
            .process_events(readiness, token, |event, _| waiting.push_back(event))?;
        for _ in 0..self.limit {
            match self.waiting.pop_front() {
                Some(Event::Closed) => {
                    callback(Event::Closed, &mut ());
                    return Ok(PostAction::Remove);
                }
                Some(message) => callback(message, &mut ()),
                None => break,
            }
        }
        if !self.waiting.is_empty() {
            self.wake_itself()?;
        }
        Ok(PostAction::Continue)
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
// ANCHOR_END: exercise_3
