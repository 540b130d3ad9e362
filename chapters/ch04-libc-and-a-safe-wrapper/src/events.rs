//! The buffer `epoll_wait` writes into, and what comes out of it.

use crate::flags::{ERR, HUP, IN, OUT, PRI, RDHUP};
use ch01_raw_syscalls::error::check;
use std::ffi::c_int;
use std::fmt;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

// ANCHOR: max_events
/// The most events one `epoll_wait` may ask for: the kernel's
/// `EP_MAX_EVENTS`, `INT_MAX / sizeof(struct epoll_event)` (in
/// `fs/eventpoll.c`). A larger `maxevents` fails with `EINVAL`, so a
/// buffer with more room than this is asked to fill only this many.
pub const MAX_EVENTS: usize = c_int::MAX as usize / size_of::<libc::epoll_event>();

/// The `maxevents` to pass for a buffer with room for `room` events.
fn max_events(room: usize) -> c_int {
    // MAX_EVENTS is below c_int::MAX, so the conversion cannot fail.
    c_int::try_from(room.min(MAX_EVENTS)).expect("MAX_EVENTS fits in a c_int")
}
// ANCHOR_END: max_events

// ANCHOR: events
/// A buffer for [`Epoll::wait`](crate::Epoll::wait) to fill.
///
/// It is allocated once, with room for [`capacity`](Events::capacity)
/// events, and every wait reuses it: the capacity is the `maxevents` the
/// kernel is given (up to [`MAX_EVENTS`]), and after a wait
/// [`len`](Events::len) is how many events the kernel wrote and
/// [`iter`](Events::iter) yields exactly those.
pub struct Events {
    /// `len()` of this Vec is the number of events from the last wait; the
    /// kernel writes into its spare capacity.
    buf: Vec<libc::epoll_event>,
}
// ANCHOR_END: events

impl Events {
    /// A buffer with room for `capacity` events per wait.
    ///
    /// A capacity of 0 is allowed here, but every wait with it fails with
    /// `EINVAL` from the kernel, which wants room for at least one event.
    /// A capacity above [`MAX_EVENTS`] is allowed too; a wait fills at most
    /// `MAX_EVENTS` of it. Like `Vec::with_capacity`, this panics if the
    /// size in bytes overflows `isize`; [`try_with_capacity`](Events::try_with_capacity)
    /// returns an error instead.
    pub fn with_capacity(capacity: usize) -> Events {
        Events {
            buf: Vec::with_capacity(capacity),
        }
    }

    /// Like [`with_capacity`](Events::with_capacity), for a capacity that
    /// comes from outside (a configuration, a user): a capacity a wait can
    /// use, from 1 to [`MAX_EVENTS`], or an error instead of a panic.
    /// 0 and anything above `MAX_EVENTS` are `InvalidInput`; memory the
    /// allocator cannot give is `OutOfMemory`. Both errors name the call.
    pub fn try_with_capacity(capacity: usize) -> io::Result<Events> {
        if !(1..=MAX_EVENTS).contains(&capacity) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "Events::try_with_capacity: {capacity} events; a wait takes 1 to {MAX_EVENTS}"
                ),
            ));
        }
        let mut buf = Vec::new();
        buf.try_reserve_exact(capacity).map_err(|e| {
            io::Error::new(
                io::ErrorKind::OutOfMemory,
                format!("Events::try_with_capacity: {capacity} events: {e}"),
            )
        })?;
        Ok(Events { buf })
    }

    /// The room for events: one wait returns at most this many (and at most
    /// [`MAX_EVENTS`]).
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// How many events the last wait returned (0 after [`clear`](Events::clear)
    /// or a failed wait).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether the last wait returned no events.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Forgets the events of the last wait, keeping the allocation.
    pub fn clear(&mut self) {
        self.buf.clear();
    }

    /// The events of the last wait, in the order the kernel reported them.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            raw: self.buf.iter(),
        }
    }

    // ANCHOR: fill
    /// One `epoll_wait` on `epfd` into this buffer's spare capacity.
    pub(crate) fn fill(&mut self, epfd: BorrowedFd<'_>, timeout_ms: c_int) -> io::Result<usize> {
        // Drop the last wait's events: now the whole allocation is spare.
        self.buf.clear();
        let spare = self.buf.spare_capacity_mut();
        let maxevents = max_events(spare.len());
        // `MaybeUninit<epoll_event>` has the layout of `epoll_event`, which
        // `libc` declares as the kernel does. With no room, `maxevents` is
        // 0 and the kernel fails with EINVAL before it touches the pointer.
        // SAFETY: `spare` is the Vec's unused allocation, valid for writes
        // of `spare.len()` events; the kernel writes at most
        // `maxevents <= spare.len()` of them. `epfd` is open: borrowed.
        let ret = unsafe {
            libc::epoll_wait(
                epfd.as_raw_fd(),
                spare.as_mut_ptr().cast::<libc::epoll_event>(),
                maxevents,
                timeout_ms,
            )
        };
        let n = check("epoll_wait", ret)?;
        let n = usize::try_from(n).expect("epoll_wait returned a non-negative count");
        // SAFETY: the kernel wrote, and so initialized, the first `n`
        // events of the spare capacity, and `n <= maxevents <= capacity`.
        unsafe { self.buf.set_len(n) };
        Ok(n)
    }
    // ANCHOR_END: fill
}

impl<'a> IntoIterator for &'a Events {
    type Item = Event;
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

// ANCHOR: iter
/// The events of one wait, from [`Events::iter`].
#[derive(Clone, Debug)]
pub struct Iter<'a> {
    raw: std::slice::Iter<'a, libc::epoll_event>,
}

impl Iterator for Iter<'_> {
    type Item = Event;

    fn next(&mut self) -> Option<Event> {
        let raw = self.raw.next()?;
        // `raw.events` and `raw.u64` copy the packed fields out, by value:
        // no reference to a packed field is made.
        Some(Event::new(raw.events, raw.u64))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.raw.size_hint()
    }
}

impl ExactSizeIterator for Iter<'_> {}
// ANCHOR_END: iter

impl fmt::Debug for Events {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Events")
            .field("capacity", &self.capacity())
            .field("events", &self.iter().collect::<Vec<_>>())
            .finish()
    }
}

// ANCHOR: event
/// One event from a wait: the token given to `add` or `modify`, and the
/// bits that say what happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    events: u32,
    token: u64,
}

impl Event {
    /// An event with these bits and token, as the kernel would report it
    /// (for tests and for code that replays events).
    pub const fn new(events: u32, token: u64) -> Event {
        Event { events, token }
    }

    /// The token of the registration this event is for.
    pub const fn token(&self) -> u64 {
        self.token
    }

    /// All the bits, as the kernel reported them.
    pub const fn events(&self) -> u32 {
        self.events
    }

    /// `EPOLLIN`: a read would not block (it may return data, or end of
    /// file).
    pub const fn is_readable(&self) -> bool {
        self.events & IN != 0
    }

    /// `EPOLLOUT`: a write would not block (it may still fail, say with
    /// `EPIPE`).
    pub const fn is_writable(&self) -> bool {
        self.events & OUT != 0
    }

    /// `EPOLLPRI`: an exceptional condition, such as TCP urgent data.
    pub const fn is_priority(&self) -> bool {
        self.events & PRI != 0
    }

    /// `EPOLLERR`: an error condition, such as the write end of a pipe
    /// whose read end is closed. Reported whether asked for or not.
    pub const fn is_error(&self) -> bool {
        self.events & ERR != 0
    }

    /// `EPOLLHUP`: the other end is gone (a pipe's last writer closed, a
    /// socket's peer closed, or both halves of a socket are shut down).
    /// Reported whether asked for or not. Data sent before may still be
    /// waiting to be read.
    pub const fn is_hangup(&self) -> bool {
        self.events & HUP != 0
    }

    /// No more data will arrive after what is buffered: `EPOLLRDHUP` (a
    /// stream socket's peer shut down its writing half or closed; reported
    /// only if `RDHUP` was asked for) or `EPOLLHUP` (the other end is gone
    /// altogether). Reading continues to work until it returns end of file.
    pub const fn is_read_closed(&self) -> bool {
        self.events & (RDHUP | HUP) != 0
    }
}
// ANCHOR_END: event

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flags::ET;

    #[test]
    fn max_events_is_the_room_up_to_the_kernels_limit() {
        assert_eq!(max_events(0), 0);
        assert_eq!(max_events(1), 1);
        assert_eq!(max_events(MAX_EVENTS), c_int::try_from(MAX_EVENTS).unwrap());
        assert_eq!(
            max_events(MAX_EVENTS + 1),
            c_int::try_from(MAX_EVENTS).unwrap()
        );
        assert_eq!(max_events(usize::MAX), c_int::try_from(MAX_EVENTS).unwrap());
        // What a plain `as c_int` would have done to a large room.
        assert!((1_usize << 31) as c_int <= 0);
        assert_eq!(((1_usize << 32) + 1) as c_int, 1);
    }

    #[test]
    fn max_events_is_int_max_over_the_struct_size() {
        assert_eq!(MAX_EVENTS, 2_147_483_647 / size_of::<libc::epoll_event>());
        #[cfg(target_arch = "x86_64")]
        assert_eq!(MAX_EVENTS, 178_956_970);
    }

    #[test]
    fn getters_read_the_bits() {
        let event = Event::new(IN | HUP, 9);
        assert_eq!(event.token(), 9);
        assert_eq!(event.events(), IN | HUP);
        assert!(event.is_readable() && event.is_hangup() && event.is_read_closed());
        assert!(!event.is_writable() && !event.is_error() && !event.is_priority());

        let event = Event::new(OUT | ERR | PRI | ET, 0);
        assert!(event.is_writable() && event.is_error() && event.is_priority());
        assert!(!event.is_readable() && !event.is_read_closed());

        assert!(Event::new(RDHUP, 1).is_read_closed());
        assert!(!Event::new(RDHUP, 1).is_hangup());
    }

    #[test]
    fn a_new_buffer_is_empty_with_the_capacity_asked_for() {
        let events = Events::with_capacity(16);
        assert_eq!(events.capacity(), 16);
        assert_eq!(events.len(), 0);
        assert!(events.is_empty());
        assert_eq!(events.iter().count(), 0);
    }
}
