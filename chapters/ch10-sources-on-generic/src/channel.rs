//! A channel whose receiving end is an event source: a queue behind a
//! mutex, and chapter 5's `EventFd` to wake the loop. Senders push and,
//! when the queue was empty, write the eventfd; the source resets the
//! eventfd, takes the whole queue, and calls its callback once per
//! message, then once with `Closed` when no sender is left.

use ch05_eventfd_wakeups::EventFd;
use ch08_generic_sources::{
    EventSource, Generic, Interest, Mode, Poller, PostAction, Readiness, Token, TokenFactory,
};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, BorrowedFd};
use std::sync::mpsc::SendError;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

// ANCHOR: shared
/// What the senders and the receiving source share: the queue, and the
/// eventfd that says "look at the queue".
struct Shared<T> {
    state: Mutex<State<T>>,
    wakeup: EventFd,
}

struct State<T> {
    queue: VecDeque<T>,
    /// Live `Sender`s. When it drops to 0, nothing can be sent any more:
    /// only a `Sender` can make another.
    senders: usize,
    /// False once the `Channel` is dropped: sends fail from then on.
    receiving: bool,
}
// ANCHOR_END: shared

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // A panic while the lock is held cannot leave the state half
        // changed (a push, a counter, a flag), so a poisoned lock is used
        // as it is.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    // ANCHOR: wake
    /// Makes the eventfd readable. It can only fail with `EAGAIN`, when
    /// the counter is at its maximum: then the eventfd is readable already,
    /// which is all a wake-up is for.
    fn wake(&self) {
        let _ = self.wakeup.write(1);
    }
    // ANCHOR_END: wake
}

impl<T> AsFd for Shared<T> {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.wakeup.as_fd()
    }
}

// ANCHOR: channel_fn
/// A new channel: a [`Sender`] to clone and hand to any thread, and the
/// [`Channel`] to insert in a loop. Fails only if the eventfd cannot be
/// created (`EMFILE`, `ENFILE`, `ENOMEM`).
pub fn channel<T>() -> io::Result<(Sender<T>, Channel<T>)> {
    let wakeup = EventFd::new(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC)?;
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            senders: 1,
            receiving: true,
        }),
        wakeup,
    });
    let sender = Sender {
        shared: Arc::clone(&shared),
    };
    let source = Generic::new(shared, Interest::READABLE, Mode::Level);
    let channel = Channel {
        inner: source,
        batch: VecDeque::new(),
        closed: false,
    };
    Ok((sender, channel))
}
// ANCHOR_END: channel_fn

// ANCHOR: sender
/// The sending end: `Send` and `Sync` when `T` is `Send`, and cheap to
/// clone. Dropping the last one closes the channel.
pub struct Sender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Sender<T> {
    /// Queues `message` for the loop, and wakes the loop if the queue was
    /// empty. Fails, giving the message back, once the [`Channel`] is
    /// dropped.
    pub fn send(&self, message: T) -> Result<(), SendError<T>> {
        let mut state = self.shared.lock();
        if !state.receiving {
            return Err(SendError(message));
        }
        let was_empty = state.queue.is_empty();
        state.queue.push_back(message);
        drop(state);
        // A queue that was not empty has had its wake-up already, and the
        // loop has not emptied it yet: it will take this message too.
        if was_empty {
            self.shared.wake();
        }
        Ok(())
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Sender<T> {
        self.shared.lock().senders += 1;
        Sender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Sender<T> {
    /// The last sender wakes the loop, so that it sees the channel closed.
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.senders -= 1;
        let last = state.senders == 0 && state.receiving;
        drop(state);
        if last {
            self.shared.wake();
        }
    }
}
// ANCHOR_END: sender

// ANCHOR: channel
/// What the channel's callback is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event<T> {
    /// A message, in the order it was sent (per sender: messages of
    /// different threads are in the order they took the lock).
    Msg(T),
    /// Every sender is gone and every message was delivered. Comes once,
    /// last; then the source removes itself from the loop.
    Closed,
}

/// The receiving end, an event source: the eventfd in a level-triggered
/// `Generic`, which owns a share of the queue.
pub struct Channel<T> {
    inner: Generic<Arc<Shared<T>>>,
    /// The messages being delivered: the queue is moved here in one step
    /// under the lock, and delivered without it, so a callback may send
    /// to its own channel. Kept between events to reuse its memory.
    batch: VecDeque<T>,
    closed: bool,
}
// ANCHOR_END: channel

impl<T> Channel<T> {
    /// How many messages wait in the queue.
    pub fn queued(&self) -> usize {
        self.inner.get_ref().lock().queue.len()
    }

    /// The eventfd's counter, read from `/proc/self/fdinfo` without
    /// resetting it (chapter 5's `EventFd::peek`): how many wake-ups were
    /// written since the source last read it. A window for learning.
    pub fn wakeup_count(&self) -> io::Result<u64> {
        self.inner.get_ref().wakeup.peek()
    }
}

// ANCHOR: event_source
impl<T> EventSource for Channel<T> {
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
        let batch = &mut self.batch;
        let closed = &mut self.closed;
        self.inner.process_events(readiness, token, |_, shared| {
            // Reset the eventfd *before* taking the queue: a message pushed
            // after this read either is taken below, or finds the queue
            // empty and writes a new wake-up.
            match shared.wakeup.read() {
                Ok(_) => {}
                Err(err) if err.kind() == ErrorKind::WouldBlock => {}
                Err(err) => return Err(err),
            }
            let senders_left = {
                let mut state = shared.lock();
                batch.append(&mut state.queue);
                state.senders > 0
            };
            let left = Undelivered {
                batch: &mut *batch,
                shared,
            };
            while let Some(message) = left.batch.pop_front() {
                callback(Event::Msg(message), &mut ());
            }
            drop(left);
            if senders_left || *closed {
                return Ok(PostAction::Continue);
            }
            *closed = true;
            callback(Event::Closed, &mut ());
            Ok(PostAction::Remove)
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

// ANCHOR: undelivered
/// The messages of a batch not delivered yet. It is dropped with some left
/// only while a callback's panic unwinds; the eventfd was reset for this
/// batch, so it writes a new wake-up: a loop that survives the panic
/// (chapter 8's does) delivers the rest, and `Closed`, at its next
/// dispatch instead of at the next send, which may never come.
struct Undelivered<'a, T> {
    batch: &'a mut VecDeque<T>,
    shared: &'a Shared<T>,
}

impl<T> Drop for Undelivered<'_, T> {
    fn drop(&mut self) {
        if !self.batch.is_empty() {
            self.shared.wake();
        }
    }
}
// ANCHOR_END: undelivered

// ANCHOR: channel_drop
impl<T> Drop for Channel<T> {
    /// Refuses further sends, and drops the messages nobody will receive
    /// now rather than when the last sender goes: a message may own an fd.
    /// Then the fields drop: the `Generic` deletes the eventfd from the
    /// interest list; the eventfd itself stays open while a sender holds
    /// the shared part.
    fn drop(&mut self) {
        let unread = {
            let mut state = self.inner.get_ref().lock();
            state.receiving = false;
            std::mem::take(&mut state.queue)
        };
        drop(unread);
    }
}
// ANCHOR_END: channel_drop

impl<T> AsFd for Channel<T> {
    /// The eventfd.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("token", &self.inner.token())
            .field("closed", &self.closed)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}

    #[test]
    fn both_ends_cross_threads_when_the_messages_can() {
        assert_send_sync::<Sender<String>>();
        assert_send::<Channel<String>>();
    }

    /// `Sender<Rc<u8>>` must not be `Send`: if it were, both impls below
    /// would fit and the call in `const _` would not know which to pick.
    #[allow(dead_code)]
    trait PicksOneIfNotSend<Which> {
        fn pick() {}
    }
    impl<T: ?Sized> PicksOneIfNotSend<()> for T {}
    #[allow(dead_code)]
    struct WhenSend;
    impl<T: ?Sized + Send> PicksOneIfNotSend<WhenSend> for T {}
    const _: fn() = <Sender<Rc<u8>> as PicksOneIfNotSend<_>>::pick;

    #[test]
    fn messages_wait_in_order_behind_one_wakeup() {
        let (sender, channel) = channel().unwrap();
        for i in 0..10 {
            sender.send(i).unwrap();
        }
        assert_eq!(channel.queued(), 10);
        assert_eq!(channel.wakeup_count().unwrap(), 1);
    }
}
