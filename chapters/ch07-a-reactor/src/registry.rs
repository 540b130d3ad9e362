//! The registry: the reactor's table from token to registration.
//!
//! It is a slab, like chapter 2's: a vector of slots, and a list of free
//! ones to reuse. Two things are new. Each slot counts its tenants, and the
//! count (the generation) goes into the token, so a token outlives its
//! registration harmlessly. And each slot owns what was registered there:
//! the source, whose fd is in the kernel's interest list, and its handler.
//! The ways out of a slot go through `epoll_ctl(DEL)` first; only when the
//! whole registry is dropped are the sources closed without it, after the
//! epoll instance itself.

use crate::reactor::Context;
use crate::{Interest, Token};
use ch04_libc_and_a_safe_wrapper::{Epoll, Event};
use std::any::{self, Any};
use std::io::{self, ErrorKind};
use std::os::fd::{AsFd, BorrowedFd};

// ANCHOR: registered
/// A source and its handler, with their types erased so that one table can
/// hold sockets, pipes, timers and signals side by side.
pub(crate) trait Registered {
    /// The fd that is in the interest list.
    fn fd(&self) -> BorrowedFd<'_>;
    /// Calls the handler with a shared reference to the source.
    fn handle(&mut self, registry: &mut Registry, token: Token, event: Event) -> io::Result<()>;
    /// The source, to check its type before giving it back.
    fn source(&self) -> &dyn Any;
    /// The source, given back; the handler is dropped.
    fn into_source(self: Box<Self>) -> Box<dyn Any>;
}

/// What [`Reactor::register`](crate::Reactor::register) stores.
pub(crate) struct Entry<S, F> {
    pub(crate) source: S,
    pub(crate) handler: F,
}

impl<S, F> Registered for Entry<S, F>
where
    S: AsFd + 'static,
    F: FnMut(&S, &mut Context<'_>, Event) -> io::Result<()> + 'static,
{
    fn fd(&self) -> BorrowedFd<'_> {
        self.source.as_fd()
    }

    fn handle(&mut self, registry: &mut Registry, token: Token, event: Event) -> io::Result<()> {
        // The handler gets `&S`, never `&mut S`: with a mutable reference
        // it could replace the source (`mem::replace`) and close the fd
        // that is still in the interest list.
        let mut cx = Context::new(registry, token, self.source.as_fd());
        (self.handler)(&self.source, &mut cx, event)
    }

    fn source(&self) -> &dyn Any {
        &self.source
    }

    fn into_source(self: Box<Self>) -> Box<dyn Any> {
        Box::new(self.source)
    }
}
// ANCHOR_END: registered

// ANCHOR: slot
/// One slot of the table.
struct Slot {
    /// The generation of the slot's tenant: the current one, or the last
    /// one if the slot is vacant. A new tenant gets the next generation.
    generation: u32,
    state: State,
}

enum State {
    /// Nobody lives here. The slot is on the free list, unless its
    /// generation is `u32::MAX`: then it is retired, never to be reused,
    /// because the next generation would wrap around to tokens already
    /// given out.
    Vacant,
    /// A registration.
    Occupied(Box<dyn Registered>),
    /// A registration whose entry is out of the table while its handler
    /// runs (the reactor holds it and gives it back afterwards).
    Lent,
}
// ANCHOR_END: slot

/// The table, and the epoll instance whose interest list it mirrors.
pub(crate) struct Registry {
    // Fields are dropped in the order they are declared: the epoll instance
    // is closed before any source it watches.
    epoll: Epoll,
    slots: Vec<Slot>,
    /// Indices of vacant slots that can be reused, the most recent last.
    free: Vec<u32>,
    /// How many slots are occupied or lent.
    len: usize,
    /// Set by a handler (`Context::stop`); read by `Reactor::run`.
    pub(crate) stopped: bool,
}

/// The token of the registration whose handler is running, and its fd,
/// which is out of the table while it runs.
#[derive(Clone, Copy)]
pub(crate) struct Current<'a> {
    pub(crate) token: Token,
    pub(crate) fd: BorrowedFd<'a>,
}

impl Registry {
    pub(crate) fn new(epoll: Epoll) -> Registry {
        Registry {
            epoll,
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
            stopped: false,
        }
    }

    pub(crate) fn epoll(&self) -> &Epoll {
        &self.epoll
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    // ANCHOR: insert
    /// Puts `entry` in a slot (a free one if there is one) and its fd in
    /// the interest list, under the slot's next token. If `epoll_ctl(ADD)`
    /// fails, the table is as it was, and `entry` is dropped.
    pub(crate) fn insert(
        &mut self,
        entry: Box<dyn Registered>,
        interest: Interest,
    ) -> io::Result<Token> {
        let reused = self.free.last().copied();
        let token = match reused {
            Some(index) => Token::new(index, self.slots[slot_index(index)].generation + 1),
            None => {
                let index = u32::try_from(self.slots.len()).map_err(|_| {
                    io::Error::new(ErrorKind::OutOfMemory, "register: all 2^32 slots are taken")
                })?;
                Token::new(index, 0)
            }
        };
        self.epoll
            .add(entry.fd(), interest.bits(), token.as_u64())?;
        let slot = Slot {
            generation: token.generation(),
            state: State::Occupied(entry),
        };
        match reused {
            Some(index) => {
                self.free.pop();
                self.slots[slot_index(index)] = slot;
            }
            None => self.slots.push(slot),
        }
        self.len += 1;
        Ok(token)
    }
    // ANCHOR_END: insert

    /// Whether `token` names a registration that is still there.
    pub(crate) fn contains(&self, token: Token) -> bool {
        self.slots
            .get(slot_index(token.index()))
            .is_some_and(|slot| {
                slot.generation == token.generation() && !matches!(slot.state, State::Vacant)
            })
    }

    // ANCHOR: deregister
    /// `epoll_ctl(DEL)`, then the slot is vacated and its entry dropped
    /// (closing the source). If `DEL` fails, nothing changes.
    ///
    /// A lent entry (the one whose handler is running) is dropped by the
    /// reactor when its handler returns, because the handler is still using
    /// it: here its slot is only vacated.
    pub(crate) fn deregister(
        &mut self,
        token: Token,
        current: Option<Current<'_>>,
    ) -> io::Result<()> {
        let entry = self.delete(token, current, "deregister")?;
        drop(entry);
        Ok(())
    }

    /// `deregister`, but the source is given back instead of dropped (the
    /// handler is dropped). Fails with `InvalidInput` if the source is not
    /// an `S`, and with `ResourceBusy` if its handler is running.
    pub(crate) fn remove<S: 'static>(&mut self, token: Token) -> io::Result<S> {
        let slot = slot_of(&mut self.slots, "remove", token)?;
        match &slot.state {
            State::Occupied(entry) if entry.source().is::<S>() => {}
            State::Occupied(_) => {
                return Err(io::Error::new(
                    ErrorKind::InvalidInput,
                    format!(
                        "remove: the source with token {token} is not a {}",
                        any::type_name::<S>()
                    ),
                ));
            }
            State::Lent | State::Vacant => {
                return Err(io::Error::new(
                    ErrorKind::ResourceBusy,
                    format!("remove: the handler of token {token} is running; deregister it"),
                ));
            }
        }
        let entry = self
            .delete(token, None, "remove")?
            .expect("an occupied slot gives its entry");
        Ok(*entry
            .into_source()
            .downcast::<S>()
            .expect("the type was checked"))
    }

    /// `epoll_ctl(DEL)` for `token`'s fd; if it succeeds, vacates the slot
    /// and returns its entry (`None` for the lent one).
    fn delete(
        &mut self,
        token: Token,
        current: Option<Current<'_>>,
        op: &'static str,
    ) -> io::Result<Option<Box<dyn Registered>>> {
        let slot = slot_of(&mut self.slots, op, token)?;
        self.epoll.delete(fd_of(&slot.state, token, current, op)?)?;
        let entry = match std::mem::replace(&mut slot.state, State::Vacant) {
            State::Occupied(entry) => Some(entry),
            _ => None,
        };
        if slot.generation < u32::MAX {
            self.free.push(token.index());
        }
        self.len -= 1;
        Ok(entry)
    }
    // ANCHOR_END: deregister

    // ANCHOR: reregister
    /// `epoll_ctl(MOD)` with a new interest and the same token: changes what
    /// is watched, and re-arms a one-shot registration.
    pub(crate) fn reregister(
        &mut self,
        token: Token,
        interest: Interest,
        current: Option<Current<'_>>,
    ) -> io::Result<()> {
        let slot = slot_of(&mut self.slots, "reregister", token)?;
        let fd = fd_of(&slot.state, token, current, "reregister")?;
        self.epoll.modify(fd, interest.bits(), token.as_u64())
    }
    // ANCHOR_END: reregister

    // ANCHOR: lend
    /// Takes the entry `token` names out of its slot, for its handler to
    /// run; `None` if the token is stale (or was never issued).
    pub(crate) fn lend(&mut self, token: Token) -> Option<Box<dyn Registered>> {
        let slot = self.slots.get_mut(slot_index(token.index()))?;
        if slot.generation != token.generation() {
            return None;
        }
        match std::mem::replace(&mut slot.state, State::Lent) {
            State::Occupied(entry) => Some(entry),
            other => {
                slot.state = other;
                None
            }
        }
    }

    /// Puts a lent entry back, unless its handler (or another) deregistered
    /// it meanwhile: then its `DEL` is done, and it is dropped here.
    pub(crate) fn give_back(&mut self, token: Token, entry: Box<dyn Registered>) {
        match self.slots.get_mut(slot_index(token.index())) {
            Some(slot)
                if slot.generation == token.generation() && matches!(slot.state, State::Lent) =>
            {
                slot.state = State::Occupied(entry);
            }
            _ => drop(entry),
        }
    }
    // ANCHOR_END: lend

    #[cfg(test)]
    fn set_generation(&mut self, index: u32, generation: u32) {
        self.slots[slot_index(index)].generation = generation;
    }
}

// ANCHOR: slot_of
/// The slot `token` names, if the registration it names is still there;
/// otherwise an error that names the operation and says which of the two
/// ways the token is wrong.
fn slot_of<'s>(slots: &'s mut [Slot], op: &'static str, token: Token) -> io::Result<&'s mut Slot> {
    let slot = slots
        .get_mut(slot_index(token.index()))
        .filter(|slot| token.generation() <= slot.generation)
        .ok_or_else(|| {
            io::Error::new(
                ErrorKind::NotFound,
                format!("{op}: no registration was ever given the token {token}"),
            )
        })?;
    if token.generation() < slot.generation || matches!(slot.state, State::Vacant) {
        return Err(io::Error::new(
            ErrorKind::NotFound,
            format!("{op}: the registration with token {token} was removed"),
        ));
    }
    Ok(slot)
}
// ANCHOR_END: slot_of

/// The fd registered under `token`: in its slot, or, while its handler
/// runs and the entry is out of the slot, in the handler's context.
fn fd_of<'a>(
    state: &'a State,
    token: Token,
    current: Option<Current<'a>>,
    op: &'static str,
) -> io::Result<BorrowedFd<'a>> {
    match (state, current) {
        (State::Occupied(entry), _) => Ok(entry.fd()),
        (_, Some(current)) if current.token == token => Ok(current.fd),
        _ => Err(io::Error::new(
            ErrorKind::ResourceBusy,
            format!("{op}: the entry with token {token} is lent to its handler"),
        )),
    }
}

fn slot_index(index: u32) -> usize {
    usize::try_from(index).expect("a u32 fits in a usize on every Linux target")
}

#[cfg(test)]
mod tests {
    use super::*;
    use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
    use std::os::fd::OwnedFd;

    fn entry(source: OwnedFd) -> Box<dyn Registered> {
        Box::new(Entry {
            source,
            handler: |_: &OwnedFd, _: &mut Context<'_>, _: Event| Ok(()),
        })
    }

    #[test]
    fn a_slot_at_the_last_generation_is_retired_not_reused() {
        let mut registry = Registry::new(Epoll::new().unwrap());
        let (a, _a_writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        let first = registry.insert(entry(a), Interest::READABLE).unwrap();
        assert_eq!(first, Token::new(0, 0));
        registry.deregister(first, None).unwrap();

        // Pretend the slot has been reused u32::MAX - 1 times.
        registry.set_generation(0, u32::MAX - 1);
        let (b, _b_writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        let last = registry.insert(entry(b), Interest::READABLE).unwrap();
        assert_eq!(last, Token::new(0, u32::MAX));
        registry.deregister(last, None).unwrap();

        // The next generation would be 0 again, the generation of `first`:
        // the slot is retired, and a new one is used.
        let (c, _c_writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        let next = registry.insert(entry(c), Interest::READABLE).unwrap();
        assert_eq!(next, Token::new(1, 0));
        assert!(!registry.contains(first) && !registry.contains(last));
        assert_eq!(registry.len(), 1);
    }

    #[test]
    fn a_failed_add_leaves_the_table_as_it_was() {
        let mut registry = Registry::new(Epoll::new().unwrap());
        let (a, _a_writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        let a = registry.insert(entry(a), Interest::READABLE).unwrap();
        registry.deregister(a, None).unwrap();
        assert_eq!(registry.free, [0]);

        let file = OwnedFd::from(std::fs::File::open("Cargo.toml").unwrap());
        let err = registry
            .insert(entry(file), Interest::READABLE)
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert_eq!(registry.free, [0], "the free slot is still free");
        assert_eq!(registry.slots[0].generation, 0, "and keeps its generation");
        assert_eq!(registry.len(), 0);
    }
}
