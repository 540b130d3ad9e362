//! The operations the behaviour suite needs, as a trait, implemented once
//! over the book's `Epoll` and once over rustix's `epoll` module. The suite
//! (`tests/both_implementations.rs`) is written against the trait only, so
//! both implementations face exactly the same checks.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events};
use rustix::event::epoll as rx;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::Duration;

// ANCHOR: poller_trait
/// An epoll API, reduced to what the suite calls. Masks are the kernel's
/// `u32` bits; a wait returns `(token, mask)` pairs.
pub trait Poller: AsFd + Sized {
    fn create() -> io::Result<Self>;
    fn add(&self, fd: BorrowedFd<'_>, events: u32, token: u64) -> io::Result<()>;
    fn modify(&self, fd: BorrowedFd<'_>, events: u32, token: u64) -> io::Result<()>;
    fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()>;
    /// One wait with room for `capacity` events.
    fn wait(&self, capacity: usize, timeout: Option<Duration>) -> io::Result<Vec<(u64, u32)>>;
}
// ANCHOR_END: poller_trait

// ANCHOR: book_poller
/// The book's wrapper: a thin pass-through.
impl Poller for Epoll {
    fn create() -> io::Result<Epoll> {
        Epoll::new()
    }
    fn add(&self, fd: BorrowedFd<'_>, events: u32, token: u64) -> io::Result<()> {
        Epoll::add(self, fd, events, token)
    }
    fn modify(&self, fd: BorrowedFd<'_>, events: u32, token: u64) -> io::Result<()> {
        Epoll::modify(self, fd, events, token)
    }
    fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        Epoll::delete(self, fd)
    }
    fn wait(&self, capacity: usize, timeout: Option<Duration>) -> io::Result<Vec<(u64, u32)>> {
        let mut events = Events::with_capacity(capacity);
        Epoll::wait(self, &mut events, timeout)?;
        Ok(events.iter().map(|e| (e.token(), e.events())).collect())
    }
}
// ANCHOR_END: book_poller

// ANCHOR: rustix_poller
/// rustix's epoll: free functions over any `AsFd`, bitflags for masks,
/// `EventData` for the token, a `Timespec` for the timeout, and
/// `rustix::io::Errno` for errors.
pub struct Rustix(OwnedFd);

impl AsFd for Rustix {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl Poller for Rustix {
    fn create() -> io::Result<Rustix> {
        Ok(Rustix(rx::create(rx::CreateFlags::CLOEXEC)?))
    }
    fn add(&self, fd: BorrowedFd<'_>, events: u32, token: u64) -> io::Result<()> {
        let flags = rx::EventFlags::from_bits_retain(events);
        Ok(rx::add(&self.0, fd, rx::EventData::new_u64(token), flags)?)
    }
    fn modify(&self, fd: BorrowedFd<'_>, events: u32, token: u64) -> io::Result<()> {
        let flags = rx::EventFlags::from_bits_retain(events);
        Ok(rx::modify(
            &self.0,
            fd,
            rx::EventData::new_u64(token),
            flags,
        )?)
    }
    fn delete(&self, fd: BorrowedFd<'_>) -> io::Result<()> {
        Ok(rx::delete(&self.0, fd)?)
    }
    fn wait(&self, capacity: usize, timeout: Option<Duration>) -> io::Result<Vec<(u64, u32)>> {
        let timeout = timeout
            .map(rustix::event::Timespec::try_from)
            .transpose()
            .map_err(io::Error::other)?;
        let mut buf: Vec<rx::Event> = Vec::with_capacity(capacity);
        let spare: &mut [MaybeUninit<rx::Event>] = buf.spare_capacity_mut();
        let (ready, _unused) = rx::wait(&self.0, spare, timeout.as_ref())?;
        Ok(ready
            .iter()
            .map(|e| {
                let (flags, data) = (e.flags, e.data);
                (data.u64(), flags.bits())
            })
            .collect())
    }
}
// ANCHOR_END: rustix_poller
