//! The reactor: one epoll instance, a registry of sources and handlers,
//! and a loop that waits once and calls the handler of each event.

use crate::registry::{Current, Entry, Registry};
use crate::{Interest, Token};
use ch04_libc_and_a_safe_wrapper::{Epoll, Event, Events, MAX_EVENTS};
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

/// How many events one wait returns at most, unless
/// [`Reactor::with_capacity`] says otherwise.
pub const DEFAULT_CAPACITY: usize = 64;

// ANCHOR: reactor
/// An event loop: it owns every registered source and its handler, waits
/// for events, and calls the handler of each.
///
/// Single-threaded: handlers need not be `Send`, and the reactor is not.
/// Other threads reach it through a registered fd, such as an eventfd.
pub struct Reactor {
    registry: Registry,
    events: Events,
}
// ANCHOR_END: reactor

/// What one [`Reactor::turn`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Turn {
    /// Events the wait returned.
    pub events: usize,
    /// Handlers called: one per event whose token was still registered.
    pub dispatched: usize,
    /// Events ignored because their registration was removed (or its slot
    /// given to someone else) after the wait, by an earlier handler of the
    /// same batch.
    pub stale: usize,
}

impl Reactor {
    // ANCHOR: new
    /// A reactor whose waits return up to [`DEFAULT_CAPACITY`] events.
    ///
    /// Its epoll instance is close-on-exec (chapter 4's `Epoll::new`), so
    /// programs started from this one do not inherit it. Fails as
    /// `epoll_create1(2)` does: `EMFILE` (this process has as many fds
    /// open as `RLIMIT_NOFILE` allows, or the user has as many epoll
    /// instances as `/proc/sys/fs/epoll/max_user_instances` allows, on
    /// kernels that have that file), `ENFILE` (the system-wide limit on
    /// open files) or `ENOMEM`. The error names `epoll_create1`.
    pub fn new() -> io::Result<Reactor> {
        Reactor::with_capacity(DEFAULT_CAPACITY)
    }

    /// A reactor whose waits return up to `capacity` events; more stay on
    /// the ready list for the next turn. A capacity of 0 is refused with
    /// `InvalidInput` (`epoll_wait` would fail with `EINVAL` on every turn),
    /// and so is one above [`MAX_EVENTS`], more than one wait can return.
    pub fn with_capacity(capacity: usize) -> io::Result<Reactor> {
        if capacity == 0 {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                "Reactor::with_capacity: a wait needs room for at least one event",
            ));
        }
        if capacity > MAX_EVENTS {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                format!("Reactor::with_capacity: a wait returns at most {MAX_EVENTS} events"),
            ));
        }
        Ok(Reactor {
            registry: Registry::new(Epoll::new()?),
            events: Events::with_capacity(capacity),
        })
    }
    // ANCHOR_END: new

    // ANCHOR: register
    /// Takes ownership of `source`, puts its fd in the interest list with
    /// `interest`, and returns the token its events will carry. Each event
    /// calls `handler` with the source, a [`Context`] and the event.
    ///
    /// The source stays open for as long as it is registered: the reactor
    /// owns it and lends handlers only `&S`. It is closed after
    /// `epoll_ctl(DEL)`, by [`deregister`](Reactor::deregister), or handed
    /// back by [`remove`](Reactor::remove), or closed when the reactor is
    /// dropped (after the epoll instance).
    ///
    /// Fails as `epoll_ctl(2)` `ADD` does, and then `source` is dropped:
    /// `EEXIST` (this fd is registered already, say through a clone of an
    /// `Arc`), `EPERM` (its file does not support epoll: a regular file, a
    /// directory), `EBADF` (it is not open: only possible if unsafe code
    /// made an `OwnedFd` from a number that is not), `EINVAL` (`interest`
    /// has `EXCLUSIVE` with a bit it does not allow, or the source is an
    /// epoll instance and `interest` has `EXCLUSIVE`), `ELOOP` (epoll
    /// instances would watch each other), `ENOMEM`, `ENOSPC` (the
    /// `max_user_watches` limit). The error names `epoll_ctl(ADD)`.
    pub fn register<S, F>(&mut self, source: S, interest: Interest, handler: F) -> io::Result<Token>
    where
        S: AsFd + 'static,
        F: FnMut(&S, &mut Context<'_>, Event) -> io::Result<()> + 'static,
    {
        self.registry
            .insert(Box::new(Entry { source, handler }), interest)
    }
    // ANCHOR_END: register

    /// Changes what the registration `token` watches, with `epoll_ctl(MOD)`
    /// and the same token; re-arms a one-shot registration. A token that
    /// was removed or never issued fails with `NotFound`, naming
    /// `reregister`; `EINVAL` from the kernel if `interest` has `EXCLUSIVE`.
    pub fn reregister(&mut self, token: Token, interest: Interest) -> io::Result<()> {
        self.registry.reregister(token, interest, None)
    }

    /// Takes the registration `token` out of the interest list
    /// (`epoll_ctl(DEL)`), then drops its source and handler. A token that
    /// was removed or never issued fails with `NotFound`, naming
    /// `deregister`. If `DEL` fails, the registration stays as it was.
    pub fn deregister(&mut self, token: Token) -> io::Result<()> {
        self.registry.deregister(token, None)
    }

    /// Like [`deregister`](Reactor::deregister), but gives the source back
    /// (its handler is dropped). `InvalidInput` if it is not an `S`, and
    /// then it stays registered.
    pub fn remove<S: AsFd + 'static>(&mut self, token: Token) -> io::Result<S> {
        self.registry.remove(token)
    }

    /// Whether `token` names a registration that is still there.
    pub fn contains(&self, token: Token) -> bool {
        self.registry.contains(token)
    }

    /// How many sources are registered.
    pub fn len(&self) -> usize {
        self.registry.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // ANCHOR: turn
    /// One turn of the loop: one `epoll_wait` (chapter 4's `Epoll::wait`:
    /// `None` waits with no limit, signals do not cut it short), then, for
    /// each event in the order the kernel gave them, the handler of its
    /// token. An event whose token is no longer registered is skipped and
    /// counted as stale.
    ///
    /// Every event of the batch is dispatched, even after a handler fails
    /// (under edge-triggered notification an event not handled now is not
    /// reported again); the first error is returned afterwards.
    ///
    /// A handler that panics ends the turn, but its entry is put back first
    /// (or dropped, if it was deregistered), so a program that catches the
    /// panic finds the registry in step with the kernel.
    pub fn turn(&mut self, timeout: Option<Duration>) -> io::Result<Turn> {
        let events = self.registry.epoll().wait(&mut self.events, timeout)?;
        let mut turn = Turn {
            events,
            ..Turn::default()
        };
        let mut first_error = None;
        for event in self.events.iter() {
            let token = Token::from_u64(event.token());
            let Some(mut entry) = self.registry.lend(token) else {
                turn.stale += 1;
                continue;
            };
            let result = panic::catch_unwind(AssertUnwindSafe(|| {
                entry.handle(&mut self.registry, token, event)
            }));
            self.registry.give_back(token, entry);
            let result = result.unwrap_or_else(|payload| panic::resume_unwind(payload));
            turn.dispatched += 1;
            if let Err(err) = result {
                first_error.get_or_insert(err);
            }
        }
        match first_error {
            Some(err) => Err(err),
            None => Ok(turn),
        }
    }
    // ANCHOR_END: turn

    // ANCHOR: run
    /// Turns until a handler calls [`Context::stop`] (the rest of that
    /// turn's batch is still dispatched) or nothing is registered any more.
    /// With `idle` set, a wait that returns no event within it ends the run
    /// with `TimedOut`: a loop that expects to be finished by its events
    /// does not hang if one never comes.
    pub fn run(&mut self, idle: Option<Duration>) -> io::Result<()> {
        self.registry.stopped = false;
        while !self.registry.stopped && !self.is_empty() {
            if self.turn(idle)?.events == 0 {
                return Err(io::Error::new(
                    ErrorKind::TimedOut,
                    format!("Reactor::run: no event for {idle:?}"),
                ));
            }
        }
        Ok(())
    }
    // ANCHOR_END: run
}

impl AsFd for Reactor {
    /// The epoll instance's fd: to look at, or to register in another
    /// reactor (an epoll fd is readable while it has events ready).
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.registry.epoll().as_fd()
    }
}

impl AsRawFd for Reactor {
    fn as_raw_fd(&self) -> RawFd {
        self.registry.epoll().as_raw_fd()
    }
}

// ANCHOR: context
/// What a handler can do to the reactor while it runs: register,
/// re-register and deregister sources (its own included), and stop the
/// loop. Changes take effect at once, in the kernel and in the registry, so
/// the rest of the batch sees them.
pub struct Context<'a> {
    registry: &'a mut Registry,
    current: Current<'a>,
}
// ANCHOR_END: context

impl<'a> Context<'a> {
    pub(crate) fn new(registry: &'a mut Registry, token: Token, fd: BorrowedFd<'a>) -> Context<'a> {
        Context {
            registry,
            current: Current { token, fd },
        }
    }

    /// The token of the registration whose handler is running.
    pub fn token(&self) -> Token {
        self.current.token
    }

    /// [`Reactor::register`], from inside a handler. The new source's events
    /// come from the next wait on: it may get a slot freed earlier in this
    /// batch, but with a new generation, so the old tenant's events in the
    /// batch are not given to it.
    pub fn register<S, F>(&mut self, source: S, interest: Interest, handler: F) -> io::Result<Token>
    where
        S: AsFd + 'static,
        F: FnMut(&S, &mut Context<'_>, Event) -> io::Result<()> + 'static,
    {
        self.registry
            .insert(Box::new(Entry { source, handler }), interest)
    }

    /// [`Reactor::reregister`], for any registration, this handler's own
    /// included (re-arming itself after a one-shot event).
    pub fn reregister(&mut self, token: Token, interest: Interest) -> io::Result<()> {
        self.registry
            .reregister(token, interest, Some(self.current))
    }

    /// [`Reactor::deregister`], for any registration. Another one is
    /// removed and dropped at once, and its events later in this batch are
    /// skipped. This handler's own registration is taken out of the
    /// interest list at once, and its source and handler are dropped when
    /// the handler returns.
    pub fn deregister(&mut self, token: Token) -> io::Result<()> {
        self.registry.deregister(token, Some(self.current))
    }

    /// [`Reactor::remove`], for another registration; `ResourceBusy` for
    /// this handler's own, which it is still using.
    pub fn remove<S: AsFd + 'static>(&mut self, token: Token) -> io::Result<S> {
        self.registry.remove(token)
    }

    /// Whether `token` names a registration that is still there.
    pub fn contains(&self, token: Token) -> bool {
        self.registry.contains(token)
    }

    /// How many sources are registered.
    pub fn len(&self) -> usize {
        self.registry.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Ends [`Reactor::run`] after this turn's batch.
    pub fn stop(&mut self) {
        self.registry.stopped = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // `Reactor` must be neither `Send` nor `Sync`: its handlers need not
    // be (they may share an `Rc`), and a source such as chapter 6's
    // `SignalFd` must be dropped on the thread that made it. These do not
    // compile if it is either.
    testkit::assert_not_send!(Reactor);
    testkit::assert_not_sync!(Reactor);
}
