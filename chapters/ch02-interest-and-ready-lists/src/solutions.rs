//! Solutions to the exercises at the end of chapter 2's page, one anchored
//! item (or small group) per exercise. `tests/solutions.rs` checks each
//! one.

use crate::{Slab, add, delete, key_of, registrations, token_of};
use ch01_raw_syscalls::consts::errno::EAGAIN;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLIN, Event, O_CLOEXEC, O_NONBLOCK, epoll_create1, epoll_wait, errno, pipe2,
    read, write,
};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

/// The tokens of everything ready now, sorted.
fn ready_tokens(epoll: BorrowedFd<'_>) -> io::Result<Vec<u64>> {
    let mut events = [Event::zeroed(); 8];
    let n = epoll_wait(epoll, &mut events, 0)?;
    let mut tokens: Vec<u64> = events[..n].iter().map(Event::token).collect();
    tokens.sort_unstable();
    Ok(tokens)
}

// ANCHOR: exercise_1
/// What one pipe registered twice, through two descriptors, reports.
#[derive(Debug)]
pub struct TwoEntries {
    /// Interest list entries after adding the original and its duplicate.
    pub entries: usize,
    /// Tokens reported once data is in the pipe.
    pub both_open: Vec<u64>,
    /// Tokens reported after the original descriptor is closed.
    pub original_closed: Vec<u64>,
    /// Tokens reported after the duplicate's own entry is deleted too.
    pub duplicate_deleted: Vec<u64>,
    /// Interest list entries once the duplicate is closed as well.
    pub entries_at_the_end: usize,
}

/// Adds a pipe's read end with token 1 and a duplicate of it with token 2,
/// then closes and deletes, looking at the ready list after each step.
///
/// `ADD` does not fail with `EEXIST`: an entry's key is the pair of fd
/// number and open file, and the duplicate has a number of its own. Both
/// entries watch the same pipe, so one write makes both ready. Closing the
/// original does not remove its entry, because the open file is still
/// open through the duplicate, and now nothing can remove it either: `DEL`
/// needs the fd number the entry was added with, and that number is closed.
/// Deleting through the duplicate removes only the duplicate's entry, and
/// token 1 keeps coming until the last descriptor for the pipe is closed.
pub fn duplicate_in_one_instance() -> io::Result<TwoEntries> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    let duplicate = reader.try_clone()?;
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1)?;
    add(epoll.as_fd(), duplicate.as_fd(), EPOLLIN, 2)?;
    let entries = registrations(epoll.as_fd())?.len();

    write(writer.as_fd(), b"x")?;
    let both_open = ready_tokens(epoll.as_fd())?;
    drop(reader);
    let original_closed = ready_tokens(epoll.as_fd())?;
    delete(epoll.as_fd(), duplicate.as_fd())?;
    let duplicate_deleted = ready_tokens(epoll.as_fd())?;
    drop(duplicate);
    let entries_at_the_end = registrations(epoll.as_fd())?.len();
    Ok(TwoEntries {
        entries,
        both_open,
        original_closed,
        duplicate_deleted,
        entries_at_the_end,
    })
}
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// What the batch handler did with one event.
#[derive(Debug, PartialEq, Eq)]
pub enum Handled {
    /// Read `bytes` from the connection called `name`.
    Read { name: &'static str, bytes: usize },
    /// The event's key led to an empty slot: a stale token, harmless.
    NoConnection { token: u64 },
    /// The event's key led to a connection with nothing to read: the event
    /// was somebody else's.
    WouldBlock { name: &'static str },
    /// Skipped, because its connection was closed earlier in the batch.
    Skipped { token: u64 },
}

/// One connection: a nonblocking pipe and a name.
struct Conn {
    name: &'static str,
    reader: OwnedFd,
    _writer: OwnedFd,
}

/// A new connection registered with its slab key as the token, with a
/// byte to read if `with_data`.
fn connect(
    epoll: BorrowedFd<'_>,
    conns: &mut Slab<Conn>,
    name: &'static str,
    with_data: bool,
) -> io::Result<usize> {
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    if with_data {
        write(writer.as_fd(), b"!")?;
    }
    let key = conns.insert(Conn {
        name,
        reader,
        _writer: writer,
    });
    let conn = conns.get(key).expect("just inserted");
    if let Err(err) = add(epoll, conn.reader.as_fd(), EPOLLIN, token_of(key)) {
        conns.remove(key);
        return Err(err);
    }
    Ok(key)
}

/// Three connections `a`, `b` and `c` (keys 0, 1, 2) each have a byte to
/// read, and one `epoll_wait` returns all three events. Handling `a` closes
/// `b` as well, the protocol's rule, so `b`'s event, still in the batch, is
/// stale. With `accept_between`, a new connection `d`, with nothing to
/// read, arrives after `b` is gone and gets `b`'s free key. With
/// `skip_closed`, the handler remembers the keys closed during the batch
/// and ignores their events, the fix `man 7 epoll` suggests for event
/// caches.
///
/// The events are handled in token order, so that the stale one always
/// comes after the event that closes it.
pub fn handle_batch(accept_between: bool, skip_closed: bool) -> io::Result<Vec<Handled>> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let mut conns = Slab::new();
    for name in ["a", "b", "c"] {
        connect(epoll.as_fd(), &mut conns, name, true)?;
    }

    let mut events = [Event::zeroed(); 8];
    let n = epoll_wait(epoll.as_fd(), &mut events, 0)?;
    let mut batch: Vec<u64> = events[..n].iter().map(Event::token).collect();
    batch.sort_unstable();

    let mut closed_this_batch = Vec::new();
    let mut handled = Vec::new();
    for token in batch {
        if skip_closed && closed_this_batch.contains(&token) {
            handled.push(Handled::Skipped { token });
            continue;
        }
        let Some(conn) = key_of(token).and_then(|key| conns.get(key)) else {
            handled.push(Handled::NoConnection { token });
            continue;
        };
        let name = conn.name;
        let mut buf = [0u8; 16];
        match read(conn.reader.as_fd(), &mut buf) {
            Ok(bytes) => handled.push(Handled::Read { name, bytes }),
            Err(err) if errno(&err) == Some(EAGAIN) => handled.push(Handled::WouldBlock { name }),
            Err(err) => return Err(err),
        }
        if name == "a" {
            // `a`'s message ends `b`'s session: DEL, then drop (close).
            let b = 1;
            let gone = conns.remove(b).expect("b is connected");
            delete(epoll.as_fd(), gone.reader.as_fd())?;
            drop(gone);
            closed_this_batch.push(token_of(b));
            if accept_between {
                let d = connect(epoll.as_fd(), &mut conns, "d", false)?;
                assert_eq!(d, b, "the slab reuses the freed key");
            }
        }
    }
    Ok(handled)
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
/// `round_robin` with the reads put in: `pipes` pipes with a byte each, a
/// buffer of `buffer` events, and one byte read from every pipe whose token
/// comes back. Returns the tokens of each call, up to and including the
/// first call that returns none.
///
/// Level-triggered mode reports an fd while it is ready. In `round_robin`
/// nothing was read, so every fd stayed ready and went back on the ready
/// list after each report: the calls never ran dry. Here each reported fd
/// is drained before the next call, so it is not ready any more and the
/// kernel does not put it back. Every fd is reported exactly once, and the
/// calls end after `pipes / buffer` rounded up, plus one empty call.
pub fn wait_and_read_until_quiet(pipes: u64, buffer: usize) -> io::Result<Vec<Vec<u64>>> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let mut readers = Vec::new();
    for token in 0..pipes {
        let (reader, writer) = pipe2(O_CLOEXEC)?;
        add(epoll.as_fd(), reader.as_fd(), EPOLLIN, token)?;
        write(writer.as_fd(), b"!")?;
        readers.push((reader, writer));
    }
    let mut events = vec![Event::zeroed(); buffer];
    let mut calls = Vec::new();
    // Bounded, in case the calls never run dry: one call per pipe is more
    // than enough, plus the empty one.
    for _ in 0..=pipes {
        let n = epoll_wait(epoll.as_fd(), &mut events, 0)?;
        let tokens: Vec<u64> = events[..n].iter().map(Event::token).collect();
        for &token in &tokens {
            let index = key_of(token).expect("a token we chose");
            let mut byte = [0u8; 1];
            read(readers[index].0.as_fd(), &mut byte)?;
        }
        calls.push(tokens);
        if n == 0 {
            break;
        }
    }
    Ok(calls)
}
// ANCHOR_END: exercise_3
