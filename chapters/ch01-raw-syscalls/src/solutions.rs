//! Solutions to the exercises at the end of chapter 1's page, one anchored
//! item (or small group) per exercise. `tests/solutions.rs` checks each
//! one.

use crate::consts::errno::EAGAIN;
use crate::{
    EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLIN, EPOLLOUT, Event, O_CLOEXEC, O_NONBLOCK, epoll_create1,
    epoll_ctl, epoll_wait, errno, pipe2, read, write,
};
use std::ffi::c_void;
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::ptr;

// ANCHOR: exercise_1
/// What a pipe's read end reports once its writer has written and closed.
#[derive(Debug)]
pub struct AfterWriterCloses {
    /// The bits of the first wait, with the data still in the pipe.
    pub with_data: u32,
    /// What the read after that wait returned.
    pub bytes_read: usize,
    /// The bits of a second wait, with the pipe empty.
    pub drained: u32,
    /// What a read returned then: 0, end of file.
    pub then_read: usize,
}

/// `first_program` with the race taken out: the "writer" writes five bytes
/// and closes its end *before* the wait, on the same thread.
///
/// In `first_program` the main thread and the writer thread run side by
/// side. If the writer has not closed its end when `epoll_wait` looks at the
/// pipe, the event is `EPOLLIN` alone; if it has, the kernel reports
/// `EPOLLIN | EPOLLHUP`. The kernel looks at the pipe's state when it copies
/// the event out, so which one a run prints depends on which thread the
/// scheduler ran first. Doing everything on one thread, in order, fixes the
/// outcome.
pub fn events_after_writer_closes() -> io::Result<AfterWriterCloses> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_ADD,
        reader.as_fd(),
        Some(&Event::new(EPOLLIN, 7)),
    )?;
    write(writer.as_fd(), b"hello")?;
    drop(writer); // the only write end: the pipe now has no writer

    let with_data = wait_once(epoll.as_fd())?;
    let mut buf = [0u8; 64];
    let bytes_read = read(reader.as_fd(), &mut buf)?;
    // Only EPOLLIN was asked for, but the hang-up stays: it is reported
    // whether or not we ask, and level-triggered mode reports it on every
    // wait for as long as it lasts, which for a pipe with no writer is
    // forever. A loop must remove such an fd, or it spins.
    let drained = wait_once(epoll.as_fd())?;
    let then_read = read(reader.as_fd(), &mut buf)?;
    Ok(AfterWriterCloses {
        with_data,
        bytes_read,
        drained,
        then_read,
    })
}

/// The bits of the one event a zero-timeout wait reports (0 if none).
fn wait_once(epoll: BorrowedFd<'_>) -> io::Result<u32> {
    let mut events = [Event::zeroed(); 4];
    let n = epoll_wait(epoll, &mut events, 0)?;
    Ok(events[..n]
        .iter()
        .fold(0, |bits, event| bits | event.events))
}
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// How the write end of a pipe looks to `epoll_wait`, empty and full.
#[derive(Debug)]
pub struct WriteEndReadiness {
    /// The bits of three zero-timeout waits in a row on a fresh pipe.
    pub empty: [u32; 3],
    /// How many bytes went in before a write failed with `EAGAIN`.
    pub filled_with: usize,
    /// How many events a zero-timeout wait reported with the pipe full.
    pub events_when_full: usize,
}

/// Registers the write end of a fresh pipe for `EPOLLOUT`, waits three
/// times without writing anything, then fills the pipe and waits again.
///
/// An empty pipe has room, so its write end is ready before anything has
/// happened, and in level-triggered mode it stays on the ready list: every
/// wait returns it at once. A loop that asks for `EPOLLOUT` while it has
/// nothing to write never sleeps. Only a full pipe is not writable, so the
/// rule is to ask for `EPOLLOUT` when a write has just failed with `EAGAIN`
/// (there is data waiting and no room for it), and to stop asking once the
/// data is out.
pub fn write_end_readiness() -> io::Result<WriteEndReadiness> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    // Nonblocking, so that filling the pipe ends in EAGAIN, not in a hang.
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    epoll_ctl(
        epoll.as_fd(),
        EPOLL_CTL_ADD,
        writer.as_fd(),
        Some(&Event::new(EPOLLOUT, 2)),
    )?;
    let mut empty = [0; 3];
    for bits in &mut empty {
        *bits = wait_once(epoll.as_fd())?;
    }

    let page = [0u8; 4096];
    let mut filled_with = 0;
    loop {
        match write(writer.as_fd(), &page) {
            Ok(n) => filled_with += n,
            Err(err) if errno(&err) == Some(EAGAIN) => break,
            Err(err) => return Err(err),
        }
    }
    let mut events = [Event::zeroed(); 4];
    let events_when_full = epoll_wait(epoll.as_fd(), &mut events, 0)?;
    drop(reader);
    Ok(WriteEndReadiness {
        empty,
        filled_with,
        events_when_full,
    })
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
/// A pipe with a name. Registered by address: the token is a pointer to it.
pub struct NamedPipe {
    pub name: String,
    reader: OwnedFd,
    writer: OwnedFd,
}

/// Makes one pipe per name, registers each read end with a pointer to its
/// `NamedPipe` as the token, writes into the pipes at `write_to`, and
/// returns the names found through the tokens of the events, sorted.
///
/// The promise a pointer token makes: for as long as the registration
/// exists, the pointee stays where it is and stays alive. A `String` on
/// the stack or in a `Vec<NamedPipe>` would move when the function returns
/// or the vector grows, and the kernel would keep handing back the old
/// address. Each pipe is boxed, so its address never changes while the
/// box lives, and the box owns the read end, so dropping it closes the fd,
/// which removes the registration at the same moment. (That last part
/// holds only while no duplicate of the read end exists: a duplicate would
/// keep the registration, and its pointer, alive after the box is gone.)
pub fn ready_names(names: &[&str], write_to: &[usize]) -> io::Result<Vec<String>> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let mut pipes: Vec<Box<NamedPipe>> = Vec::new();
    for name in names {
        let (reader, writer) = pipe2(O_CLOEXEC)?;
        pipes.push(Box::new(NamedPipe {
            name: (*name).to_owned(),
            reader,
            writer,
        }));
    }
    // Register only once every box is in place. From here on the boxes are
    // only borrowed, never moved, until they are dropped at the end; even a
    // push that moved the Vec's buffer would move the boxes (pointers), not
    // the NamedPipes they point to.
    for pipe in &pipes {
        let token = ptr::from_ref::<NamedPipe>(pipe).cast_mut().cast::<c_void>();
        epoll_ctl(
            epoll.as_fd(),
            EPOLL_CTL_ADD,
            pipe.reader.as_fd(),
            Some(&Event::with_ptr(EPOLLIN, token)),
        )?;
    }
    for &index in write_to {
        write(pipes[index].writer.as_fd(), b"!")?;
    }

    let mut events = [Event::zeroed(); 8];
    let n = epoll_wait(epoll.as_fd(), &mut events, 0)?;
    let mut found = Vec::new();
    for event in &events[..n] {
        let pipe = event.ptr().cast::<NamedPipe>().cast_const();
        // SAFETY: every registration here holds the address of a boxed
        // NamedPipe still in `pipes`, unmoved and unchanged, and the kernel
        // hands it back untouched: `pipe` points to a live NamedPipe, of
        // which only shared references exist.
        let pipe = unsafe { &*pipe };
        found.push(pipe.name.clone());
    }
    found.sort();
    // Dropping `pipes` drops each NamedPipe in turn: its fields first (the
    // name, then the read end, whose close ends the registration, then the
    // write end), and only then the box's memory, the address the token
    // holds. No token outlives its pointee.
    drop(pipes);
    Ok(found)
}
// ANCHOR_END: exercise_3

// ANCHOR: exercise_4
/// `struct epoll_event` for x86_64 without `packed`: the token is two
/// `u32`s, so nothing in the struct needs more than 4-byte alignment, and
/// C's natural layout is already the kernel's: `data` at offset 4, 12 bytes
/// in all, the next event at byte 12.
///
/// It is right on x86_64 only. On aarch64 (and every other 64-bit target)
/// the kernel's struct is *not* packed: it has 4 bytes of padding and is 16
/// bytes long, so this 12-byte struct would be too small, and a buffer of
/// them would let the kernel write past its end. That is why the type and
/// its wait exist on x86_64 alone.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
pub struct Align4Event {
    pub events: u32,
    pub data: [u32; 2],
}

#[cfg(target_arch = "x86_64")]
impl Align4Event {
    /// The token: the two halves put back together in memory order.
    pub fn token(&self) -> u64 {
        let [low_address, high_address] = self.data.map(u32::to_ne_bytes);
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&low_address);
        bytes[4..].copy_from_slice(&high_address);
        u64::from_ne_bytes(bytes)
    }
}

// The layout, checked when the crate compiles: the same size and data
// offset as the kernel's struct (and chapter 1's packed `Event`).
#[cfg(target_arch = "x86_64")]
const _: () = {
    assert!(size_of::<Align4Event>() == size_of::<Event>());
    assert!(std::mem::offset_of!(Align4Event, data) == crate::event::DATA_OFFSET);
    assert!(align_of::<Align4Event>() == 4);
};

/// `epoll_wait` into a buffer of [`Align4Event`]s; returns how many it
/// wrote. The timeout is 0.
#[cfg(target_arch = "x86_64")]
pub fn wait_align4(epoll: BorrowedFd<'_>, events: &mut [Align4Event]) -> io::Result<usize> {
    use crate::error::check;
    use crate::ffi;
    use std::ffi::c_int;
    use std::os::fd::AsRawFd;

    let maxevents = c_int::try_from(events.len()).unwrap_or(c_int::MAX);
    // SAFETY: `events` is valid for writes of `maxevents` Align4Events, and
    // Align4Event has the size and field offsets of the kernel's struct
    // epoll_event on x86_64 (checked above), so each event the kernel writes
    // lands in one element. Both fields accept any bytes. `epoll` is open.
    let ret = unsafe {
        ffi::epoll_wait(
            epoll.as_raw_fd(),
            events.as_mut_ptr().cast::<Event>(),
            maxevents,
            0,
        )
    };
    let n = check("epoll_wait", ret)?;
    Ok(usize::try_from(n).expect("epoll_wait returned a non-negative count"))
}
// ANCHOR_END: exercise_4
