//! The loop: an epoll instance, a table of sources, and `dispatch`.

use crate::error::{Error, InsertError};
use crate::interest::Readiness;
use crate::signal::{LoopSignal, SIGNAL_TOKEN};
use crate::source::{EventSource, Poller, PostAction};
use crate::table::{Boxed, Dispatcher, Found, State, Table};
use crate::token::{RegistrationToken, Token, TokenFactory};
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, MAX_EVENTS};
use std::any::{self, TypeId};
use std::cell::{Cell, RefCell, RefMut};
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};
use std::rc::Rc;
use std::time::Duration;

/// How many events one wait returns at most, unless
/// [`EventLoop::with_capacity`] says otherwise.
pub const DEFAULT_CAPACITY: usize = 256;

// ANCHOR: event_loop
/// An event loop: it owns its sources, waits on one epoll instance, and
/// calls the callback of each source that has an event, lending it the
/// `Data` that [`dispatch`](EventLoop::dispatch) was given.
///
/// `'l` is how long callbacks may borrow things for: the loop must not
/// outlive what its callbacks borrow. Sources themselves are `'static`:
/// they own their fds.
///
/// A loop is used from one thread (it is not `Send`); other threads reach
/// it through a [`LoopSignal`], or through any fd it watches.
pub struct EventLoop<'l, Data> {
    inner: Rc<Inner<'l, Data>>,
    /// The buffer `epoll_wait` fills, allocated once.
    events: Events,
    /// The next event of the buffer to dispatch. Below `events.len()` only
    /// after a source failed (or panicked) in the middle of a batch: the
    /// next `dispatch` starts there instead of waiting.
    next: usize,
    signal: LoopSignal,
}

/// What the loop and its handles share.
struct Inner<'l, Data> {
    poller: Poller,
    table: RefCell<Table<'l, Data>>,
    /// False once the `EventLoop` is dropped: handles that outlive it
    /// refuse new sources.
    alive: Cell<bool>,
}

/// A handle to a loop's sources: insert, remove, enable, disable, update.
/// Clones are cheap and all reach the same loop; a callback keeps one to
/// change the loop while it runs.
pub struct LoopHandle<'l, Data> {
    inner: Rc<Inner<'l, Data>>,
}
// ANCHOR_END: event_loop

impl<Data> Clone for LoopHandle<'_, Data> {
    fn clone(&self) -> Self {
        LoopHandle {
            inner: Rc::clone(&self.inner),
        }
    }
}

impl<'l, Data> EventLoop<'l, Data> {
    // ANCHOR: new
    /// A loop whose waits return up to [`DEFAULT_CAPACITY`] events. Its
    /// epoll instance is close-on-exec (chapter 4's `Epoll::new`), and its
    /// eventfd for [`LoopSignal`] is registered in it.
    pub fn new() -> io::Result<EventLoop<'l, Data>> {
        EventLoop::with_capacity(DEFAULT_CAPACITY)
    }

    /// A loop whose waits return up to `capacity` events; more wait on the
    /// ready list for the next dispatch. 0 is refused with `InvalidInput`,
    /// and so is a capacity above [`MAX_EVENTS`], more than one wait can
    /// return.
    pub fn with_capacity(capacity: usize) -> io::Result<EventLoop<'l, Data>> {
        if capacity == 0 {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                "EventLoop::with_capacity: a wait needs room for at least one event",
            ));
        }
        if capacity > MAX_EVENTS {
            return Err(io::Error::new(
                ErrorKind::InvalidInput,
                format!("EventLoop::with_capacity: a wait returns at most {MAX_EVENTS} events"),
            ));
        }
        let epoll = Epoll::new()?;
        let signal = LoopSignal::new(&epoll)?;
        Ok(EventLoop {
            inner: Rc::new(Inner {
                poller: Poller::new(epoll),
                table: RefCell::new(Table::new()),
                alive: Cell::new(true),
            }),
            events: Events::with_capacity(capacity),
            next: 0,
            signal,
        })
    }
    // ANCHOR_END: new

    /// A handle to insert and change sources, here or from callbacks.
    pub fn handle(&self) -> LoopHandle<'l, Data> {
        LoopHandle {
            inner: Rc::clone(&self.inner),
        }
    }

    /// A signal that stops or wakes this loop, from any thread.
    pub fn signal(&self) -> LoopSignal {
        self.signal.clone()
    }

    // ANCHOR: dispatch
    /// Waits at most `timeout` (`None`: no limit) for events, then calls the
    /// callback of each source that has one, in the order the kernel
    /// reported them, lending each `data`.
    ///
    /// Events for sources removed or disabled earlier in the batch are
    /// skipped. If a source fails, `dispatch` returns its error at once,
    /// as [`Error::Source`] with its token; the rest of the batch is kept,
    /// and the next `dispatch` hands it out before it waits again, so no
    /// event is lost for an error.
    pub fn dispatch(&mut self, timeout: Option<Duration>, data: &mut Data) -> Result<(), Error> {
        if self.next >= self.events.len() {
            self.next = 0;
            self.inner
                .poller
                .epoll()
                .wait(&mut self.events, timeout)
                .map_err(Error::Io)?;
        }
        for event in self.events.iter().skip(self.next) {
            // Counted before the callback runs: if it fails or panics, the
            // next dispatch goes on after it, not with it again.
            self.next += 1;
            if event.token() == SIGNAL_TOKEN {
                self.signal.drain().map_err(Error::Io)?;
                continue;
            }
            let token = Token::from_u64(event.token());
            let Some(running) = Running::lend(&self.inner, token.source()) else {
                continue; // stale or disabled
            };
            running.process(Readiness::from_bits(event.events()), token, data)?;
        }
        Ok(())
    }
    // ANCHOR_END: dispatch

    // ANCHOR: run
    /// Dispatches, with `timeout` for each wait, and calls
    /// `between_dispatches` after each dispatch (whether or not it had
    /// events), until a [`LoopSignal::stop`] or an error.
    pub fn run<F>(
        &mut self,
        timeout: Option<Duration>,
        data: &mut Data,
        mut between_dispatches: F,
    ) -> Result<(), Error>
    where
        F: FnMut(&mut Data),
    {
        while !self.signal.take_stop() {
            self.dispatch(timeout, data)?;
            between_dispatches(data);
        }
        Ok(())
    }
    // ANCHOR_END: run
}

// ANCHOR: loop_drop
impl<Data> Drop for EventLoop<'_, Data> {
    /// Drops every source (each takes its fds out of the interest list
    /// first), then the loop's own fds. Callbacks often hold a
    /// `LoopHandle`, which holds the table: without emptying it here, the
    /// sources and the handles would keep each other alive for ever.
    fn drop(&mut self) {
        self.inner.alive.set(false);
        let sources = self.inner.table.borrow_mut().take_all();
        // Dropped with the table no longer borrowed: a callback's captured
        // state may use a handle while it is dropped.
        drop(sources);
    }
}
// ANCHOR_END: loop_drop

impl<Data> AsFd for EventLoop<'_, Data> {
    /// The epoll instance's fd, to look at (its interest list in
    /// `/proc/self/fdinfo`) or to watch from another loop.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.poller.as_fd()
    }
}

impl<Data> AsRawFd for EventLoop<'_, Data> {
    fn as_raw_fd(&self) -> RawFd {
        self.inner.poller.as_fd().as_raw_fd()
    }
}

// ANCHOR: running
/// A source out of its slot while its callback runs. If the callback
/// panics, `Drop` puts the source back (doing whatever the handle was asked
/// to do to it meanwhile) while the panic unwinds, so the table and the
/// kernel still agree when the caller catches it.
struct Running<'a, 'l, Data> {
    inner: &'a Inner<'l, Data>,
    key: RegistrationToken,
    source: Option<Boxed<'l, Data>>,
}

impl<'a, 'l, Data> Running<'a, 'l, Data> {
    fn lend(inner: &'a Inner<'l, Data>, key: RegistrationToken) -> Option<Self> {
        let source = inner.table.borrow_mut().lend(key)?;
        Some(Running {
            inner,
            key,
            source: Some(source),
        })
    }

    fn process(mut self, readiness: Readiness, token: Token, data: &mut Data) -> Result<(), Error> {
        let source = self.source.as_mut().expect("lent until settled");
        let result = source.process(readiness, token, data);
        let source = self.source.take().expect("lent until settled");
        let action = *result.as_ref().unwrap_or(&PostAction::Continue);
        let settled = self.inner.settle(self.key, source, action);
        let key = self.key;
        match result {
            Err(error) => Err(Error::Source { token: key, error }),
            Ok(_) => settled.map_err(|error| Error::Source {
                token: key,
                error: error.into(),
            }),
        }
    }
}

impl<Data> Drop for Running<'_, '_, Data> {
    fn drop(&mut self) {
        if let Some(source) = self.source.take() {
            // Only while a callback's panic unwinds. An error here cannot
            // be returned; the panic is what the caller will see.
            let _ = self.inner.settle(self.key, source, PostAction::Continue);
        }
    }
}
// ANCHOR_END: running

impl<'l, Data> Inner<'l, Data> {
    /// The table, or an error if it is in use: only possible when a
    /// source's `register` calls a handle of the loop it is inserted in.
    fn table(&self, op: &'static str) -> io::Result<RefMut<'_, Table<'l, Data>>> {
        self.table.try_borrow_mut().map_err(|_| {
            io::Error::new(
                ErrorKind::ResourceBusy,
                format!("{op}: called from a source's register, while the loop inserts it"),
            )
        })
    }

    // ANCHOR: settle
    /// Puts a lent source back after its callback, doing the stronger of
    /// `action` (what the callback returned) and what the handle was asked
    /// for meanwhile. When the kernel refuses a `Reregister` or a
    /// `Disable`, the source stays enabled and the error is returned; a
    /// `Remove` removes it whatever `unregister` says.
    fn settle(
        &self,
        key: RegistrationToken,
        mut source: Boxed<'l, Data>,
        action: PostAction,
    ) -> io::Result<()> {
        let requested = {
            let mut table = self.table.borrow_mut();
            let requested = table.requested(key);
            if action.max(requested) == PostAction::Continue {
                // The common case, in one borrow of the table.
                table.put_back(key, State::Enabled(source));
                return Ok(());
            }
            requested
        };
        match action.max(requested) {
            PostAction::Continue => unreachable!("handled above"),
            PostAction::Reregister => {
                let result = source.reregister(&self.poller, &mut TokenFactory::new(key));
                self.table
                    .borrow_mut()
                    .put_back(key, State::Enabled(source));
                result
            }
            PostAction::Disable => {
                let result = source.unregister(&self.poller);
                let state = match result {
                    Ok(()) => State::Disabled(source),
                    Err(_) => State::Enabled(source),
                };
                self.table.borrow_mut().put_back(key, state);
                result
            }
            PostAction::Remove => {
                let counted = requested != PostAction::Remove;
                self.table.borrow_mut().vacate(key, counted);
                let result = source.unregister(&self.poller);
                drop(source);
                result
            }
        }
    }
    // ANCHOR_END: settle
}

impl<'l, Data> LoopHandle<'l, Data> {
    // ANCHOR: insert_source
    /// Takes ownership of `source`, registers it (its `register`, under a
    /// new [`RegistrationToken`]), and from the next wait on calls
    /// `callback` with each of its events, its metadata and the `Data`
    /// passed to `dispatch`.
    ///
    /// On failure the source comes back in the [`InsertError`],
    /// unregistered: `EEXIST` from `epoll_ctl(ADD)` if its fd is in this
    /// loop already, `EPERM` if the fd's file does not support epoll (a
    /// regular file, a directory).
    pub fn insert_source<S, F>(
        &self,
        mut source: S,
        callback: F,
    ) -> Result<RegistrationToken, InsertError<S>>
    where
        S: EventSource + 'static,
        F: FnMut(S::Event, &mut S::Metadata, &mut Data) -> S::Ret + 'l,
    {
        if !self.inner.alive.get() {
            let error = io::Error::other("insert_source: the event loop was dropped");
            return Err(InsertError { source, error });
        }
        let mut table = match self.inner.table("insert_source") {
            Ok(table) => table,
            Err(error) => return Err(InsertError { source, error }),
        };
        let key = match table.reserve() {
            Ok(key) => key,
            Err(error) => return Err(InsertError { source, error }),
        };
        if let Err(error) = source.register(&self.inner.poller, &mut TokenFactory::new(key)) {
            return Err(InsertError { source, error });
        }
        table.occupy(key, Box::new(Dispatcher { source, callback }));
        Ok(key)
    }
    // ANCHOR_END: insert_source

    // ANCHOR: remove
    /// Unregisters the source and drops it with its callback. From its own
    /// callback, it happens when the callback returns; for another source,
    /// at once, so its events later in the batch are skipped. The source
    /// is removed even if `unregister` fails, and the error is returned.
    /// A token removed already fails with `NotFound`, naming `remove`.
    pub fn remove(&self, token: RegistrationToken) -> io::Result<()> {
        let mut table = self.inner.table("remove")?;
        match table.find("remove", token, None)? {
            Found::Running => {
                table.request(token, PostAction::Remove);
                Ok(())
            }
            Found::Here(mut source, enabled) => {
                table.vacate(token, true);
                drop(table);
                let result = match enabled {
                    true => source.unregister(&self.inner.poller),
                    false => Ok(()),
                };
                drop(source);
                result
            }
        }
    }

    /// Unregisters the source and gives it back (its callback is dropped):
    /// a `Generic` comes back with its fd open, out of the interest list.
    /// `InvalidInput` if the source is not an `S`, `ResourceBusy` from its
    /// own callback; if `unregister` fails, the source stays in the loop.
    pub fn take<S: EventSource + 'static>(&self, token: RegistrationToken) -> io::Result<S> {
        let mut table = self.inner.table("take")?;
        let expected = (TypeId::of::<S>(), short_type_name::<S>());
        let (mut source, enabled) = match table.find("take", token, Some(expected))? {
            Found::Here(source, enabled) => (source, enabled),
            Found::Running => {
                return Err(io::Error::new(
                    ErrorKind::ResourceBusy,
                    format!("take: the callback of {token} is running; remove it instead"),
                ));
            }
        };
        drop(table);
        if enabled {
            if let Err(err) = source.unregister(&self.inner.poller) {
                self.inner
                    .table
                    .borrow_mut()
                    .put_back(token, State::Enabled(source));
                return Err(err);
            }
        }
        self.inner.table.borrow_mut().vacate(token, true);
        let mut out: Option<S> = None;
        source.give_source(&mut out);
        Ok(out.expect("the type was checked"))
    }
    // ANCHOR_END: remove

    // ANCHOR: enable_disable
    /// Unregisters the source but keeps it, and its callback, for
    /// [`enable`](LoopHandle::enable). Disabling a disabled source does
    /// nothing.
    pub fn disable(&self, token: RegistrationToken) -> io::Result<()> {
        self.change(token, "disable", PostAction::Disable, |source, poller| {
            source.unregister(poller).map(|()| false)
        })
    }

    /// Registers a disabled source again, with its current settings.
    /// Enabling an enabled source does nothing.
    pub fn enable(&self, token: RegistrationToken) -> io::Result<()> {
        self.change(token, "enable", PostAction::Continue, |source, poller| {
            source
                .register(poller, &mut TokenFactory::new(token))
                .map(|()| true)
        })
    }

    /// Calls the source's `reregister` (one `epoll_ctl(MOD)` per fd): it
    /// applies a changed interest or mode, and re-arms a one-shot source. A
    /// disabled source is left alone; `enable` will use the new settings.
    pub fn update(&self, token: RegistrationToken) -> io::Result<()> {
        self.change(token, "update", PostAction::Reregister, |source, poller| {
            source
                .reregister(poller, &mut TokenFactory::new(token))
                .map(|()| true)
        })
    }

    /// The common part: `apply` turns a source that is `from` (enabled for
    /// disable and update, disabled for enable) into a source that is
    /// enabled or not; others are left as they are. From the source's own
    /// callback, `request` is recorded for when it returns. If `apply`
    /// fails, the source stays as it was.
    fn change<A>(
        &self,
        token: RegistrationToken,
        op: &'static str,
        request: PostAction,
        apply: A,
    ) -> io::Result<()>
    where
        A: FnOnce(&mut Boxed<'l, Data>, &Poller) -> io::Result<bool>,
    {
        let mut table = self.inner.table(op)?;
        let (mut source, enabled) = match table.find(op, token, None)? {
            Found::Running => {
                table.request(token, request);
                return Ok(());
            }
            Found::Here(source, enabled) => (source, enabled),
        };
        let from = request != PostAction::Continue; // enable acts on disabled ones
        if enabled != from {
            table.put_back(token, state(source, enabled));
            return Ok(());
        }
        drop(table);
        let (now_enabled, result) = match apply(&mut source, &self.inner.poller) {
            Ok(now_enabled) => (now_enabled, Ok(())),
            Err(err) => (enabled, Err(err)),
        };
        self.inner
            .table
            .borrow_mut()
            .put_back(token, state(source, now_enabled));
        result
    }
    // ANCHOR_END: enable_disable

    /// Whether `token` names a source in the loop (enabled or not).
    ///
    /// Panics if called from a source's `register` while `insert_source`
    /// runs it: the table is in use then, and a `bool` has no room for the
    /// `ResourceBusy` the other methods return.
    pub fn contains(&self, token: RegistrationToken) -> bool {
        self.inner.table.borrow().contains(token)
    }

    /// How many sources are in the loop. Panics where
    /// [`contains`](LoopHandle::contains) does.
    pub fn len(&self) -> usize {
        self.inner.table.borrow().len()
    }

    /// Whether the loop has no sources. Panics where
    /// [`contains`](LoopHandle::contains) does.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// `S`'s name without module paths: `Generic<OwnedFd>`, for messages.
fn short_type_name<S>() -> String {
    let full = any::type_name::<S>();
    let mut short = String::with_capacity(full.len());
    let mut word = String::new();
    for c in full.chars() {
        if c.is_alphanumeric() || c == '_' || c == ':' {
            word.push(c);
        } else {
            short.push_str(word.rsplit("::").next().unwrap_or(""));
            word.clear();
            short.push(c);
        }
    }
    short.push_str(word.rsplit("::").next().unwrap_or(""));
    short
}

fn state<'l, Data>(source: Boxed<'l, Data>, enabled: bool) -> State<'l, Data> {
    if enabled {
        State::Enabled(source)
    } else {
        State::Disabled(source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Generic, Interest, Mode};
    use std::os::fd::OwnedFd;

    fn pipe() -> (OwnedFd, OwnedFd) {
        let (r, w) = std::io::pipe().unwrap();
        (OwnedFd::from(r), OwnedFd::from(w))
    }

    #[test]
    fn a_slot_at_the_last_generation_is_retired_not_reused() {
        let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
        let handle = event_loop.handle();
        let (a, _wa) = pipe();
        let first = handle
            .insert_source(
                Generic::new(a, Interest::READABLE, Mode::Level),
                |_, _, _| Ok(PostAction::Continue),
            )
            .unwrap();
        assert_eq!(first, RegistrationToken::new(0, 0));
        handle.remove(first).unwrap();

        // Pretend the slot has had u16::MAX - 1 tenants.
        event_loop
            .inner
            .table
            .borrow_mut()
            .set_generation(0, u16::MAX - 1);
        let (b, _wb) = pipe();
        let last = handle
            .insert_source(
                Generic::new(b, Interest::READABLE, Mode::Level),
                |_, _, _| Ok(PostAction::Continue),
            )
            .unwrap();
        assert_eq!(last, RegistrationToken::new(0, u16::MAX));
        handle.remove(last).unwrap();

        let (c, _wc) = pipe();
        let next = handle
            .insert_source(
                Generic::new(c, Interest::READABLE, Mode::Level),
                |_, _, _| Ok(PostAction::Continue),
            )
            .unwrap();
        assert_eq!(next, RegistrationToken::new(1, 0), "slot 0 is retired");
        assert_eq!(handle.len(), 1);
    }

    #[test]
    fn a_failed_insert_leaves_the_table_as_it_was() {
        let event_loop: EventLoop<'_, ()> = EventLoop::new().unwrap();
        let handle = event_loop.handle();
        let (a, _wa) = pipe();
        let a = handle
            .insert_source(
                Generic::new(a, Interest::READABLE, Mode::Level),
                |_, _, _| Ok(PostAction::Continue),
            )
            .unwrap();
        handle.remove(a).unwrap();
        let file = std::fs::File::open("Cargo.toml").unwrap();
        let err = handle
            .insert_source(
                Generic::new(file, Interest::READABLE, Mode::Level),
                |_, _, _| Ok(PostAction::Continue),
            )
            .unwrap_err();
        assert_eq!(err.error.kind(), ErrorKind::PermissionDenied);
        assert_eq!(
            event_loop.inner.table.borrow().reserve().unwrap(),
            RegistrationToken::new(0, 1)
        );
        assert!(handle.is_empty());
    }

    #[test]
    fn type_names_lose_their_paths() {
        assert_eq!(short_type_name::<Generic<OwnedFd>>(), "Generic<OwnedFd>");
        assert_eq!(
            short_type_name::<(std::sync::Arc<OwnedFd>, std::fmt::Error)>(),
            "(Arc<OwnedFd>, Error)"
        );
        assert_eq!(short_type_name::<u8>(), "u8");
    }
}
