//! The experiment: what happens on x86_64 when `struct epoll_event` is
//! declared without packing.
//!
//! The kernel writes events 12 bytes apart. A 16-byte Rust struct reads them
//! 16 bytes apart, so from the second field on, every value comes from the
//! wrong bytes. The experiment stays safe because the wrong struct is
//! *larger*: a buffer of N 16-byte structs has room for the N 12-byte events
//! the kernel may write into it. (The opposite mistake, a struct smaller
//! than the kernel's, would let the kernel write past the end of the buffer;
//! no experiment can show that safely.)
//!
//! Run it with `cargo run -p ch01-raw-syscalls --example unpacked_layout`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::error::check;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLL_CTL_ADD, EPOLLIN, Event, O_CLOEXEC, epoll_create1, epoll_ctl, ffi, pipe2,
    write,
};
use std::ffi::c_int;
use std::io;
use std::mem::{offset_of, size_of};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

// ANCHOR: unpacked_event
/// The mistake: C's fields in C's order, but no `packed`.
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct UnpackedEvent {
    events: u32,
    // 4 bytes of padding here, so that `data` is 8-byte aligned
    data: u64,
}
// ANCHOR_END: unpacked_event

/// One event as the program decoded it.
struct Decoded {
    events: u32,
    token: u64,
}

/// Anything `epoll_wait` can be asked to fill.
trait EventSlot: Copy + Default {
    fn decode(&self) -> Decoded;
}

impl EventSlot for Event {
    fn decode(&self) -> Decoded {
        Decoded {
            events: self.events,
            token: self.token(),
        }
    }
}

impl EventSlot for UnpackedEvent {
    fn decode(&self) -> Decoded {
        Decoded {
            events: self.events,
            token: self.data,
        }
    }
}

// ANCHOR: wait_into
/// Calls `epoll_wait` with a buffer of `T`s. For `T = UnpackedEvent` this
/// is the bug under study.
fn wait_into<T: EventSlot>(epoll: BorrowedFd<'_>, capacity: usize) -> io::Result<Vec<Decoded>> {
    // Every field is zero, so a field the kernel does not overwrite still
    // holds a defined value. (The padding bytes are not, but no field reads
    // them.)
    let mut buf = vec![T::default(); capacity];
    let maxevents = c_int::try_from(capacity).expect("a small buffer");
    // SAFETY: the kernel writes at most `maxevents` events of 12 bytes each
    // (x86_64), and `buf` holds `capacity` values of at least 12 bytes, so
    // every write lands inside `buf`. Both structs accept any bytes: they
    // hold only integers. `epoll` is open for the duration of the call.
    let n = unsafe {
        ffi::epoll_wait(
            epoll.as_raw_fd(),
            buf.as_mut_ptr().cast::<Event>(),
            maxevents,
            0,
        )
    };
    let n = usize::try_from(check("epoll_wait", n)?).expect("a non-negative count");
    Ok(buf[..n].iter().map(T::decode).collect())
}
// ANCHOR_END: wait_into

fn show(label: &str, decoded: &[Decoded], hex: bool) {
    let shown: Vec<String> = decoded
        .iter()
        .map(|d| {
            let token = if hex {
                format!("{:#018x}", d.token)
            } else {
                d.token.to_string()
            };
            format!("token {token} ({})", event_names(d.events))
        })
        .collect();
    println!(
        "  {label:<15} {} event(s): {}",
        decoded.len(),
        shown.join(", ")
    );
}

/// A pipe with a byte in it, registered for EPOLLIN with `token`.
fn ready_pipe(epoll: BorrowedFd<'_>, token: u64) -> io::Result<(OwnedFd, OwnedFd)> {
    let (reader, writer) = pipe2(O_CLOEXEC)?;
    epoll_ctl(
        epoll,
        EPOLL_CTL_ADD,
        reader.as_fd(),
        Some(&Event::new(EPOLLIN, token)),
    )?;
    write(writer.as_fd(), b"!")?;
    Ok((reader, writer))
}

pub fn main() -> io::Result<()> {
    if !cfg!(target_arch = "x86_64") {
        println!("This experiment is about x86_64, where the kernel packs struct epoll_event.");
        println!("On this machine both declarations have the same layout.");
        return Ok(());
    }
    println!(
        "Event (packed, as the kernel):  {} bytes, data at offset {}",
        size_of::<Event>(),
        ch01_raw_syscalls::event::DATA_OFFSET
    );
    println!(
        "UnpackedEvent (the mistake):    {} bytes, data at offset {}",
        size_of::<UnpackedEvent>(),
        offset_of!(UnpackedEvent, data)
    );

    // Two ready pipes, small tokens, room for two events.
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let first = ready_pipe(epoll.as_fd(), 1)?;
    let second = ready_pipe(epoll.as_fd(), 2)?;
    println!("\ntwo pipes ready, registered with tokens 1 and 2; epoll_wait with room for 2:");
    show("Event:", &wait_into::<Event>(epoll.as_fd(), 2)?, false);
    show(
        "UnpackedEvent:",
        &wait_into::<UnpackedEvent>(epoll.as_fd(), 2)?,
        false,
    );
    drop((first, second, epoll));

    // One ready pipe, a token that uses all 64 bits.
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let pipe = ready_pipe(epoll.as_fd(), 0x0123_4567_89ab_cdef)?;
    println!("\none pipe ready, registered with token 0x0123456789abcdef; room for 1:");
    show("Event:", &wait_into::<Event>(epoll.as_fd(), 1)?, true);
    show(
        "UnpackedEvent:",
        &wait_into::<UnpackedEvent>(epoll.as_fd(), 1)?,
        true,
    );
    drop((pipe, epoll));
    Ok(())
}
