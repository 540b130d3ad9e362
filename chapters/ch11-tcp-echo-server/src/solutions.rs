//! Solutions to the exercises at the end of chapter 11's page, one item (or
//! a small group) per exercise, each tested in `tests/solutions.rs`.

use crate::listener;
use ch01_raw_syscalls::error::check;
use ch04_libc_and_a_safe_wrapper::{ET, Epoll, Events, IN, RDHUP};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::ptr;
use std::time::Duration;

// ANCHOR: exercise_1
/// A connection that is the only descriptor of its socket, and stays so,
/// which makes it safe to close it without `epoll_ctl(DEL)`: closing the
/// last descriptor of an open file removes its entries from every
/// interest list (chapter 2).
///
/// What must be true is that no other descriptor of the socket exists,
/// anywhere, when it is closed, and the type keeps that by what it does
/// not do. It comes from `accept4` with `SOCK_CLOEXEC`, so no program this
/// one starts inherits it. It never lends its descriptor: no `AsFd`,
/// since a `BorrowedFd` can be duplicated (`try_clone_to_owned`), and no
/// `&TcpStream`, since `try_clone` makes a second descriptor of the same
/// socket through `&self`. One `try_clone` anywhere and the close leaves
/// the entry behind, reporting events for a descriptor nobody holds.
/// What no type can rule out is a `fork` without `exec` elsewhere in the
/// program: the child holds a copy until it exits.
pub struct SoleStream {
    stream: TcpStream,
}

impl SoleStream {
    /// Takes the next connection off `listener`'s queue (`WouldBlock` if
    /// there is none).
    pub fn accept(listener: &TcpListener) -> io::Result<SoleStream> {
        listener::accept(listener).map(|stream| SoleStream { stream })
    }

    /// Puts the socket in `epoll`'s interest list.
    pub fn register(&self, epoll: &Epoll, events: u32, token: u64) -> io::Result<()> {
        epoll.add(&self.stream, events, token)
    }

    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        (&self.stream).read(buf)
    }

    pub fn write(&self, buf: &[u8]) -> io::Result<usize> {
        (&self.stream).write(buf)
    }

    /// Closes the socket, without a `DEL`: one system call instead of two.
    pub fn close(self) {
        drop(self.stream);
    }
}
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// The open-files limit of a process, as `prlimit(2)` reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileLimit {
    pub soft: u64,
    pub hard: u64,
}

/// Raises the soft `RLIMIT_NOFILE` of process `pid` (0: this process, as
/// `main` would call it, before `Server::bind`) to its hard limit, and
/// returns the limit before and after, as the kernel reports them.
///
/// Raising the soft limit up to the hard one needs no privilege
/// (`man 2 getrlimit`). For `tests/emfile.rs` it changes everything: the
/// test lowers only the soft limit to 64 in the child, so a server that
/// raised it would never run out, and the test would fail for want of an
/// `EMFILE` that no longer comes. To keep the test honest, lower the hard
/// limit too (`rlim_max` as well as `rlim_cur`): a process cannot raise
/// its hard limit without `CAP_SYS_RESOURCE`, and the raise changes
/// nothing. The test then checks the server at 64 fds, raise and all.
pub fn raise_nofile_limit(pid: libc::pid_t) -> io::Result<(FileLimit, FileLimit)> {
    let before = prlimit_nofile(pid, None)?;
    let wanted = FileLimit {
        soft: before.hard,
        ..before
    };
    prlimit_nofile(pid, Some(wanted))?;
    Ok((before, prlimit_nofile(pid, None)?))
}

/// `prlimit(pid, RLIMIT_NOFILE, new, &old)`: sets the limit if `new` is
/// given, and returns the one it had.
pub fn prlimit_nofile(pid: libc::pid_t, new: Option<FileLimit>) -> io::Result<FileLimit> {
    let new = new.map(|limit| libc::rlimit {
        rlim_cur: limit.soft,
        rlim_max: limit.hard,
    });
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    let new_ptr = new
        .as_ref()
        .map_or(ptr::null(), |limit| limit as *const libc::rlimit);
    // SAFETY: `new_ptr` is null or points to a live rlimit, which the
    // kernel only reads; `old` is valid for writing one rlimit.
    check("prlimit", unsafe {
        libc::prlimit(pid, libc::RLIMIT_NOFILE, new_ptr, &mut old)
    })?;
    Ok(FileLimit {
        soft: old.rlim_cur,
        hard: old.rlim_max,
    })
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
/// Whether an edge-triggered reader may stop after a short read, given
/// the bits of the event that woke it, registered with `EPOLLRDHUP`.
///
/// Without `RDHUP` in the event, the peer's FIN had not arrived when the
/// wait returned, so the short read emptied what there was, and whatever
/// comes later, data or FIN, is a change of state: a new edge, a new
/// event. With `RDHUP`, the FIN is queued behind the data, no edge will
/// come for it, and only one more read (returning 0) finds it. So the
/// extra read is needed only on events that carry `RDHUP`.
pub fn may_stop_after_short_read(events: u32) -> bool {
    events & RDHUP == 0
}

/// A client sends `hello`, and closes its sending side before the
/// server's first wait (`fin_first`) or after it. The server's side is
/// registered edge-triggered for `IN | RDHUP` and reads with the rule
/// above. Returns what the server did, step by step.
pub fn read_with_rdhup(fin_first: bool) -> io::Result<Vec<String>> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let mut client = TcpStream::connect(listener.local_addr()?)?;
    let (server, _) = listener.accept()?;
    server.set_nonblocking(true)?;
    let epoll = Epoll::new()?;
    epoll.add(&server, IN | RDHUP | ET, 1)?;

    client.write_all(b"hello")?;
    if fin_first {
        client.shutdown(Shutdown::Write)?;
    }
    let mut log = Vec::new();
    let mut events = Events::with_capacity(4);
    let mut buf = [0; 64];
    let mut fin_sent = fin_first;
    loop {
        if epoll.wait(&mut events, Some(Duration::from_secs(5)))? == 0 {
            log.push("wait: nothing".to_owned());
            break;
        }
        let bits = events.iter().next().expect("one event").events();
        log.push(format!("wait: {}", describe(bits)));
        let mut ended = false;
        loop {
            match (&server).read(&mut buf) {
                Ok(0) => {
                    log.push("read: end of file".to_owned());
                    ended = true;
                    break;
                }
                Ok(n) => {
                    log.push(format!("read: {n} bytes"));
                    if n < buf.len() && may_stop_after_short_read(bits) {
                        log.push("short read, no RDHUP: wait".to_owned());
                        break;
                    }
                }
                Err(err) if err.kind() == ErrorKind::WouldBlock => {
                    log.push("read: would block".to_owned());
                    break;
                }
                Err(err) => return Err(err),
            }
        }
        if ended {
            break;
        }
        if !fin_sent {
            // The FIN comes after the wait: a new edge.
            client.shutdown(Shutdown::Write)?;
            fin_sent = true;
        }
    }
    Ok(log)
}

fn describe(bits: u32) -> String {
    let mut names = Vec::new();
    if bits & IN != 0 {
        names.push("IN");
    }
    if bits & RDHUP != 0 {
        names.push("RDHUP");
    }
    names.join(" | ")
}
// ANCHOR_END: exercise_3
