//! The loop's table of sources: chapter 7's slab with generations, holding
//! type-erased sources with their callbacks.

use crate::error::BoxError;
use crate::interest::Readiness;
use crate::source::{EventSource, Poller, PostAction};
use crate::token::{RegistrationToken, Token, TokenFactory};
use std::any::{Any, TypeId};
use std::io::{self, ErrorKind};

// ANCHOR: dispatch_trait
/// A source and its callback, with their types erased, so that one table
/// holds sources of every kind. `Data` is the loop's shared state, lent to
/// the callback for the length of one call.
pub(crate) trait Dispatch<Data> {
    /// The source processes one event, calling the callback with `data`.
    fn process(
        &mut self,
        readiness: Readiness,
        token: Token,
        data: &mut Data,
    ) -> Result<PostAction, BoxError>;
    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()>;
    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()>;
    fn unregister(&mut self, poller: &Poller) -> io::Result<()>;
    /// The source's type, checked before it is given back.
    fn source_type(&self) -> TypeId;
    /// Moves the source into `out`, an `Option<S>` of its type; the
    /// callback is dropped.
    fn give_source(self: Box<Self>, out: &mut dyn Any);
}

/// What [`insert_source`](crate::LoopHandle::insert_source) stores.
pub(crate) struct Dispatcher<S, F> {
    pub(crate) source: S,
    pub(crate) callback: F,
}
// ANCHOR_END: dispatch_trait

impl<Data, S, F> Dispatch<Data> for Dispatcher<S, F>
where
    S: EventSource + 'static,
    F: FnMut(S::Event, &mut S::Metadata, &mut Data) -> S::Ret,
{
    // ANCHOR: dispatch_process
    fn process(
        &mut self,
        readiness: Readiness,
        token: Token,
        data: &mut Data,
    ) -> Result<PostAction, BoxError> {
        let callback = &mut self.callback;
        self.source
            .process_events(readiness, token, |event, metadata| {
                callback(event, metadata, data)
            })
            .map_err(Into::into)
    }
    // ANCHOR_END: dispatch_process

    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.source.register(poller, tokens)
    }

    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.source.reregister(poller, tokens)
    }

    fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
        self.source.unregister(poller)
    }

    fn source_type(&self) -> TypeId {
        TypeId::of::<S>()
    }

    fn give_source(self: Box<Self>, out: &mut dyn Any) {
        if let Some(out) = out.downcast_mut::<Option<S>>() {
            *out = Some(self.source);
        }
    }
}

pub(crate) type Boxed<'l, Data> = Box<dyn Dispatch<Data> + 'l>;

// ANCHOR: slot
/// One slot of the table.
struct Slot<'l, Data> {
    /// The generation of the current tenant, or of the last one while the
    /// slot is vacant.
    generation: u16,
    state: State<'l, Data>,
}

/// What a slot holds.
pub(crate) enum State<'l, Data> {
    /// Nobody. On the free list, unless the generation is `u16::MAX`: then
    /// the slot is retired, since its next generation would repeat a token
    /// given out before.
    Vacant,
    /// A source whose fds are registered.
    Enabled(Boxed<'l, Data>),
    /// A source whose fds are not registered, kept for `enable`.
    Disabled(Boxed<'l, Data>),
    /// A source out of its slot, in the loop's hands: its callback is
    /// running, or one of its methods. `then` is what the handle was asked
    /// to do to it meanwhile, to be done when it comes back.
    Lent { then: PostAction },
}
// ANCHOR_END: slot

/// Where a source is, for the handle's methods.
pub(crate) enum Found<'l, Data> {
    /// Its callback is running; the request is recorded instead.
    Running,
    /// Here it is, lent: `enabled` says whether it was registered.
    Here(Boxed<'l, Data>, bool),
}

pub(crate) struct Table<'l, Data> {
    slots: Vec<Slot<'l, Data>>,
    /// Vacant slots that may be reused, the most recent last.
    free: Vec<u32>,
    /// Sources in the table, removed ones excluded.
    len: usize,
}

impl<'l, Data> Table<'l, Data> {
    pub(crate) fn new() -> Table<'l, Data> {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    // ANCHOR: reserve
    /// The token the next source will get: a free slot's next generation,
    /// or a new slot. Changes nothing, so a failed `register` leaves the
    /// table as it was. Index `u32::MAX` is never given out: the loop's own
    /// eventfd uses the token `u64::MAX`.
    pub(crate) fn reserve(&self) -> io::Result<RegistrationToken> {
        if let Some(&index) = self.free.last() {
            let generation = self.slots[slot_index(index)].generation + 1;
            return Ok(RegistrationToken::new(index, generation));
        }
        match u32::try_from(self.slots.len()) {
            Ok(index) if index < u32::MAX => Ok(RegistrationToken::new(index, 0)),
            _ => Err(io::Error::new(
                ErrorKind::OutOfMemory,
                "insert_source: every slot of the table is taken",
            )),
        }
    }

    /// Puts a source in the slot `reserve` named.
    pub(crate) fn occupy(&mut self, key: RegistrationToken, source: Boxed<'l, Data>) {
        let slot = Slot {
            generation: key.generation(),
            state: State::Enabled(source),
        };
        if self.free.last() == Some(&key.index()) {
            self.free.pop();
            self.slots[slot_index(key.index())] = slot;
        } else {
            self.slots.push(slot);
        }
        self.len += 1;
    }
    // ANCHOR_END: reserve

    // ANCHOR: lend
    /// Takes an enabled source out of its slot for its callback to run; `None`
    /// if `key` is stale (removed, or its slot has a new tenant) or the
    /// source is disabled.
    pub(crate) fn lend(&mut self, key: RegistrationToken) -> Option<Boxed<'l, Data>> {
        let slot = self.slots.get_mut(slot_index(key.index()))?;
        if slot.generation != key.generation() || !matches!(slot.state, State::Enabled(_)) {
            return None;
        }
        match std::mem::replace(
            &mut slot.state,
            State::Lent {
                then: PostAction::Continue,
            },
        ) {
            State::Enabled(source) => Some(source),
            _ => unreachable!("checked to be enabled"),
        }
    }

    /// What the handle asked for while the source was lent.
    pub(crate) fn requested(&self, key: RegistrationToken) -> PostAction {
        match self.slots.get(slot_index(key.index())) {
            Some(Slot {
                generation,
                state: State::Lent { then },
            }) if *generation == key.generation() => *then,
            _ => PostAction::Continue,
        }
    }

    /// Puts a lent source back, enabled or disabled.
    pub(crate) fn put_back(&mut self, key: RegistrationToken, state: State<'l, Data>) {
        let slot = &mut self.slots[slot_index(key.index())];
        debug_assert!(slot.generation == key.generation());
        debug_assert!(matches!(slot.state, State::Lent { .. }));
        slot.state = state;
    }

    /// Empties a lent slot for good. `counted` says whether the source
    /// still counts in `len` (it does not if `remove` was asked for while
    /// it was lent).
    pub(crate) fn vacate(&mut self, key: RegistrationToken, counted: bool) {
        let slot = &mut self.slots[slot_index(key.index())];
        slot.state = State::Vacant;
        if slot.generation < u16::MAX {
            self.free.push(key.index());
        }
        if counted {
            self.len -= 1;
        }
    }
    // ANCHOR_END: lend

    // ANCHOR: find
    /// Lends the source `key` names to one of the handle's methods, or
    /// says that its callback is running. `expected` is a type the source
    /// must have. Errors name `op` and say what is wrong with the token.
    pub(crate) fn find(
        &mut self,
        op: &'static str,
        key: RegistrationToken,
        expected: Option<(TypeId, String)>,
    ) -> io::Result<Found<'l, Data>> {
        let slot = self
            .slots
            .get_mut(slot_index(key.index()))
            .filter(|slot| key.generation() <= slot.generation)
            .ok_or_else(|| {
                io::Error::new(
                    ErrorKind::NotFound,
                    format!("{op}: no source was ever given the token {key}"),
                )
            })?;
        let removed = || {
            io::Error::new(
                ErrorKind::NotFound,
                format!("{op}: the source with token {key} was removed"),
            )
        };
        if key.generation() < slot.generation {
            return Err(removed());
        }
        let enabled = match &slot.state {
            State::Vacant
            | State::Lent {
                then: PostAction::Remove,
            } => return Err(removed()),
            State::Lent { .. } => return Ok(Found::Running),
            State::Enabled(source) | State::Disabled(source) => {
                if let Some((type_id, type_name)) = &expected {
                    if source.source_type() != *type_id {
                        return Err(io::Error::new(
                            ErrorKind::InvalidInput,
                            format!("{op}: the source with token {key} is not a {type_name}"),
                        ));
                    }
                }
                matches!(slot.state, State::Enabled(_))
            }
        };
        match std::mem::replace(
            &mut slot.state,
            State::Lent {
                then: PostAction::Continue,
            },
        ) {
            State::Enabled(source) | State::Disabled(source) => Ok(Found::Here(source, enabled)),
            _ => unreachable!("checked above"),
        }
    }

    /// Records what the handle asked for a source whose callback runs:
    /// `Remove` takes it out of the count at once; `Continue` (from
    /// `enable`) cancels a `Disable`.
    pub(crate) fn request(&mut self, key: RegistrationToken, action: PostAction) {
        let slot = &mut self.slots[slot_index(key.index())];
        if let State::Lent { then } = &mut slot.state {
            *then = match (action, *then) {
                (PostAction::Continue, PostAction::Disable) => PostAction::Continue,
                (action, then) => action.max(then),
            };
            if action == PostAction::Remove {
                self.len -= 1;
            }
        }
    }
    // ANCHOR_END: find

    /// Whether `key` names a source in the table.
    pub(crate) fn contains(&self, key: RegistrationToken) -> bool {
        self.slots.get(slot_index(key.index())).is_some_and(|slot| {
            slot.generation == key.generation()
                && !matches!(
                    slot.state,
                    State::Vacant
                        | State::Lent {
                            then: PostAction::Remove
                        }
                )
        })
    }

    /// Empties every slot, handing back every source (to be dropped by
    /// the caller, once it no longer holds the table). The slots stay, so
    /// an old token is still recognised as removed.
    pub(crate) fn take_all(&mut self) -> Vec<Boxed<'l, Data>> {
        self.free.clear();
        self.len = 0;
        let mut sources = Vec::new();
        for slot in &mut self.slots {
            if let State::Enabled(source) | State::Disabled(source) =
                std::mem::replace(&mut slot.state, State::Vacant)
            {
                sources.push(source);
            }
        }
        sources
    }

    #[cfg(test)]
    pub(crate) fn set_generation(&mut self, index: u32, generation: u16) {
        self.slots[slot_index(index)].generation = generation;
    }
}

fn slot_index(index: u32) -> usize {
    usize::try_from(index).expect("a u32 fits in a usize on every Linux target")
}
