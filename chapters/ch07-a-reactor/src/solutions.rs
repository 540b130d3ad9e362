//! Solutions to the exercises at the end of chapter 7's page, one item (or
//! a small group) per exercise, each tested in `tests/solutions.rs`.

use crate::io::read_some;
use crate::{Context, Reactor, Token, Turn};
use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch04_libc_and_a_safe_wrapper::{ET, Epoll, Event, Events, IN};
use std::cell::RefCell;
use std::fs;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::rc::Rc;
use std::time::Duration;

// ANCHOR: exercise_1
/// What a dispatcher puts in the eight bytes the kernel keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tokens {
    /// The slot index alone, as chapter 2's slab did.
    IndexOnly,
    /// The slot index and the slot's generation, as [`Token`] does.
    WithGeneration,
}

/// One slot of a table as small as it can be: the generation of its
/// tenant (or last tenant), and the tenant, a named pipe read end.
struct Slot {
    generation: u32,
    tenant: Option<(&'static str, OwnedFd)>,
}

/// Replays the second trap of the chapter on a hand-made table: `a` and
/// `b` are readable, the handler that runs first removes the other one and
/// registers `c`, an empty pipe, in the slot it freed. Returns one line per
/// event of the batch, saying who got it.
pub fn replay_slot_reuse(tokens: Tokens) -> io::Result<Vec<String>> {
    let data = |index: u32, generation: u32| match tokens {
        Tokens::IndexOnly => u64::from(index),
        Tokens::WithGeneration => Token::new(index, generation).as_u64(),
    };
    let epoll = Epoll::new()?;
    let mut slots = Vec::new();
    let mut writers = Vec::new();
    for (index, name) in (0..).zip(["a", "b"]) {
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        epoll.add(&reader, IN | ET, data(index, 0))?;
        crate::io::write_some(writer.as_fd(), name.as_bytes())?;
        slots.push(Slot {
            generation: 0,
            tenant: Some((name, reader)),
        });
        writers.push(writer);
    }

    let mut events = Events::with_capacity(8);
    epoll.wait(&mut events, Some(Duration::from_secs(2)))?;
    let mut log = Vec::new();
    // `c`'s write end, kept open so that `c` is empty rather than at end of
    // file; set by the first handler, so it also says one has run.
    let mut c_writer = None;
    for event in events.iter() {
        // The lookup. With the index alone, "the slot has a tenant" is all
        // it can check; with generations it also checks that the tenant is
        // the one the event was meant for.
        let token = Token::from_u64(event.token());
        let index = token.index() as usize;
        let slot = &slots[index];
        let tenant = match &slot.tenant {
            Some(tenant)
                if tokens == Tokens::IndexOnly || slot.generation == token.generation() =>
            {
                tenant
            }
            _ => {
                log.push(format!("event for slot {index}: stale, skipped"));
                continue;
            }
        };
        let (name, pipe) = (tenant.0, tenant.1.as_fd());
        let read = match read_some(pipe, &mut [0; 16])? {
            Some(n) => format!("read {n} byte(s)"),
            None => "told it is readable, found nothing".to_owned(),
        };
        if c_writer.is_some() {
            log.push(format!("{name}: {read}"));
            continue;
        }
        // The first handler: remove the other tenant (DEL, then close),
        // and put `c` in its slot under the slot's next generation.
        let other = 1 - index;
        let (other_name, other_pipe) = slots[other].tenant.take().expect("both registered");
        epoll.delete(&other_pipe)?;
        drop(other_pipe);
        let (c, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        let generation = slots[other].generation + 1;
        epoll.add(&c, IN | ET, data(other as u32, generation))?;
        slots[other] = Slot {
            generation,
            tenant: Some(("c", c)),
        };
        c_writer = Some(writer);
        log.push(format!(
            "{name}: {read}, removes {other_name}, puts c in slot {other}"
        ));
    }
    // Closing `epoll` drops its entries; the pipes close with `slots`.
    Ok(log)
}
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// What became of a registration whose source was replaced under it.
#[derive(Debug, PartialEq, Eq)]
pub struct Swapped {
    /// Entries in the interest list before and after the swap.
    pub entries_before: usize,
    pub entries_after: usize,
    /// Events one wait returned once the new pipe had data.
    pub events_after: usize,
    /// The errno of `epoll_ctl(DEL)` of the fd the source holds now.
    pub delete_errno: Option<i32>,
}

/// Registers a pipe's read end, then lets a "handler" that was given
/// `&mut OwnedFd` do what a mutable reference allows: put a fresh pipe in
/// its place.
pub fn swap_the_registered_fd() -> io::Result<Swapped> {
    let epoll = Epoll::new()?;
    let (reader, _writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let mut source = reader;
    epoll.add(&source, IN | ET, 1)?;
    let entries_before = interest_list_len(epoll.as_fd())?;

    // The handler, had the reactor given it `&mut S`. The assignment drops
    // the old `OwnedFd`, which closes it: the last descriptor of that pipe
    // end, so the kernel takes its entry out of the interest list on its
    // own (chapter 2). Had a duplicate kept the file open, the entry would
    // have stayed, reporting events under a token whose fd is gone.
    let handler = |pipe: &mut OwnedFd| -> io::Result<OwnedFd> {
        let (fresh, fresh_writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        *pipe = fresh;
        Ok(fresh_writer)
    };
    let fresh_writer = handler(&mut source)?;
    let entries_after = interest_list_len(epoll.as_fd())?;

    // The new pipe was never added: its data makes no event, so its
    // handler would never run again.
    crate::io::write_some(fresh_writer.as_fd(), b"unseen")?;
    let mut events = Events::with_capacity(4);
    let events_after = epoll.wait(&mut events, Some(Duration::ZERO))?;

    // And the reactor's `deregister` would `DEL` the fd it holds, which the
    // kernel never heard of: ENOENT, and the registry would keep the entry.
    let delete_errno = epoll
        .delete(&source)
        .err()
        .and_then(|err| ch01_raw_syscalls::error::errno(&err));
    Ok(Swapped {
        entries_before,
        entries_after,
        events_after,
        delete_errno,
    })
}

/// How many entries the interest list of `epoll` has: one `tfd:` line
/// each in `/proc/self/fdinfo/<epfd>` (`man 5 proc`).
pub fn interest_list_len(epoll: BorrowedFd<'_>) -> io::Result<usize> {
    let info = fs::read_to_string(format!("/proc/self/fdinfo/{}", epoll.as_raw_fd()))?;
    Ok(info.lines().filter(|line| line.starts_with("tfd:")).count())
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
/// The errors of a batch, each with the token of the handler that failed.
pub type Failures = Rc<RefCell<Vec<(Token, io::Error)>>>;

/// Wraps `handler` so that its error is not returned to `turn` (which
/// keeps only the first) but pushed on `failures` with its token, and the
/// handler reports success. Nothing in the crate changes.
pub fn reporting<S, F>(
    failures: &Failures,
    mut handler: F,
) -> impl FnMut(&S, &mut Context<'_>, Event) -> io::Result<()> + 'static
where
    S: 'static,
    F: FnMut(&S, &mut Context<'_>, Event) -> io::Result<()> + 'static,
{
    let failures = Rc::clone(failures);
    move |source, cx, event| {
        if let Err(err) = handler(source, cx, event) {
            failures.borrow_mut().push((cx.token(), err));
        }
        Ok(())
    }
}

/// One turn, and every error its handlers had, in the order they ran.
///
/// What a loop should do with them is the loop's choice, not `run`'s: an
/// error from one source says nothing about the others, so a server would
/// deregister the failing connection and keep turning, while a program
/// whose every source matters would stop. A `run` built on this turns on
/// and hands each batch's failures to a policy given by the caller; the
/// `Err` of `turn` itself is left for the wait, whose failure does concern
/// the whole loop.
pub fn turn_reporting(
    reactor: &mut Reactor,
    timeout: Option<Duration>,
    failures: &Failures,
) -> io::Result<(Turn, Vec<(Token, io::Error)>)> {
    let turn = reactor.turn(timeout)?;
    let batch = failures.borrow_mut().drain(..).collect();
    Ok((turn, batch))
}
// ANCHOR_END: exercise_3
