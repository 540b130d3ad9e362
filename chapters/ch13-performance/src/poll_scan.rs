//! What `poll(2)` and `epoll_wait` hand back when one fd among many is
//! ready: `poll` fills in every entry of the array it was given, and the
//! program has to look through them; `epoll_wait` writes only the ready
//! ones.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch05_eventfd_wakeups::EventFd;
use std::io;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// N idle eventfds, then one ready one, both in an epoll instance (token =
/// index) and in a `pollfd` array (in the same order). Dropping it closes
/// every fd.
#[derive(Debug)]
pub struct IdleAndReady {
    epoll: Epoll,
    fds: Vec<EventFd>,
    pollfds: Vec<libc::pollfd>,
}

/// What one call found, and how many entries the program looked at to
/// find it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// What the call returned: fds ready (`poll`) or events (`epoll_wait`).
    pub returned: usize,
    /// The entries the program looked at to find them all.
    pub looked_at: usize,
    /// The ready fds' indices.
    pub ready: Vec<usize>,
}

impl IdleAndReady {
    /// `idle` eventfds with a counter of 0 (never readable), then one with a
    /// counter of 1 (readable until read, and nothing reads it).
    pub fn new(idle: usize) -> io::Result<IdleAndReady> {
        let epoll = Epoll::new()?;
        let flags = libc::EFD_CLOEXEC | libc::EFD_NONBLOCK;
        let mut fds = Vec::with_capacity(idle + 1);
        for _ in 0..idle {
            fds.push(EventFd::new(0, flags)?);
        }
        fds.push(EventFd::new(1, flags)?);
        let mut pollfds = Vec::with_capacity(fds.len());
        for (index, fd) in fds.iter().enumerate() {
            epoll.add(fd, IN, index as u64)?;
            pollfds.push(libc::pollfd {
                fd: fd.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            });
        }
        Ok(IdleAndReady {
            epoll,
            fds,
            pollfds,
        })
    }

    /// Every fd, idle and ready.
    pub fn len(&self) -> usize {
        self.fds.len()
    }

    /// Never: there is always the ready fd.
    pub fn is_empty(&self) -> bool {
        self.fds.is_empty()
    }

    // ANCHOR: poll_once
    /// One `poll` (timeout 0) over the whole array, then the program's
    /// search: through the entries, until it has found as many ready ones
    /// as `poll` said there were.
    pub fn poll_once(&mut self) -> io::Result<Found> {
        // SAFETY: `pollfds` is a live array of `len()` initialised pollfds
        // owned by `self`; the kernel writes only their `revents`. Every fd
        // in it belongs to an EventFd in `self.fds`, open for the call.
        let n = unsafe { libc::poll(self.pollfds.as_mut_ptr(), self.pollfds.len() as _, 0) };
        if n == -1 {
            return Err(ch01_raw_syscalls::error::last_error("poll"));
        }
        let returned = n as usize;
        let mut found = Found {
            returned,
            looked_at: 0,
            ready: Vec::new(),
        };
        for (index, pollfd) in self.pollfds.iter().enumerate() {
            if found.ready.len() == returned {
                break;
            }
            found.looked_at += 1;
            if pollfd.revents != 0 {
                found.ready.push(index);
            }
        }
        Ok(found)
    }
    // ANCHOR_END: poll_once

    // ANCHOR: wait_once
    /// One `epoll_wait` (timeout 0) on the same fds: every event it
    /// returns names a ready fd by its token.
    pub fn wait_once(&self) -> io::Result<Found> {
        let mut events = Events::with_capacity(64);
        let returned = self.epoll.wait(&mut events, Some(Duration::ZERO))?;
        let ready: Vec<usize> = events.iter().map(|e| e.token() as usize).collect();
        Ok(Found {
            returned,
            looked_at: ready.len(),
            ready,
        })
    }
    // ANCHOR_END: wait_once
}
