//! inotify: file-system events read from a file descriptor (`man 7
//! inotify`).
//!
//! An inotify instance keeps a list of *watches* (a path and the events to
//! report for it) and a queue of events. The fd is readable while the queue
//! is not empty; a read returns whole events, each a fixed header followed
//! by a file name padded with NUL bytes, as many as fit in the buffer.

use crate::fdio::read_nonblocking;
use ch01_raw_syscalls::error::check;
use std::ffi::{CString, OsString, c_int};
use std::io::{self, ErrorKind};
use std::mem::offset_of;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

// ANCHOR: sizes
/// The size of the fixed part of an event, `struct inotify_event`: four
/// 32-bit fields (16 bytes). The name follows it.
pub const EVENT_HEADER_SIZE: usize = size_of::<libc::inotify_event>();

/// The longest file name: `NAME_MAX`, 255 bytes.
pub const NAME_MAX: usize = libc::NAME_MAX as usize;

/// A read buffer this large always has room for the next event, whatever
/// its name: `man 7 inotify` recommends `sizeof(struct inotify_event) +
/// NAME_MAX + 1`. A smaller buffer works until an event does not fit, and
/// then the read fails with `EINVAL`.
pub const READ_BUFFER_SIZE: usize = EVENT_HEADER_SIZE + NAME_MAX + 1;
// ANCHOR_END: sizes

/// One watch, as [`Inotify::add_watch`] returned it. Events carry it to say
/// which watch they are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WatchDescriptor(c_int);

impl WatchDescriptor {
    /// The number the kernel gave the watch.
    pub fn raw(self) -> c_int {
        self.0
    }
}

// ANCHOR: event
/// One event from an inotify read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InotifyEvent {
    /// The watch it is for (-1 for `IN_Q_OVERFLOW`).
    pub wd: WatchDescriptor,
    /// What happened: `IN_CREATE`, `IN_MODIFY`, ... plus `IN_ISDIR` when
    /// the file is a directory.
    pub mask: u32,
    /// Pairs the `IN_MOVED_FROM` and `IN_MOVED_TO` of one rename; 0 for
    /// other events.
    pub cookie: u32,
    /// The file's name inside the watched directory; `None` for an event
    /// about the watched file or directory itself.
    pub name: Option<OsString>,
}
// ANCHOR_END: event

// ANCHOR: inotify
/// An inotify instance, owned: dropping it closes the fd, which removes all
/// of its watches. The fd is nonblocking and close-on-exec.
#[derive(Debug)]
pub struct Inotify {
    fd: OwnedFd,
}

impl Inotify {
    pub fn new() -> io::Result<Inotify> {
        // SAFETY: inotify_init1 takes no pointers; the kernel checks flags.
        let fd = check("inotify_init1", unsafe {
            libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC)
        })?;
        // SAFETY: the kernel just returned `fd`, open and known to no one
        // else, so the OwnedFd becomes its only owner.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok(Inotify { fd })
    }

    /// Watches `path` for the events in `mask` (`IN_CREATE | IN_DELETE`,
    /// ...). Watching a path that is already watched (the same inode)
    /// replaces its mask and returns the same descriptor.
    pub fn add_watch(&self, path: impl AsRef<Path>, mask: u32) -> io::Result<WatchDescriptor> {
        let path = CString::new(path.as_ref().as_os_str().as_bytes()).map_err(|_| {
            io::Error::new(
                ErrorKind::InvalidInput,
                "inotify_add_watch: a path with a NUL byte in it",
            )
        })?;
        // SAFETY: the fd is open (owned); `path` is a NUL-terminated string
        // that lives for the whole call and is only read.
        let wd = unsafe { libc::inotify_add_watch(self.fd.as_raw_fd(), path.as_ptr(), mask) };
        check("inotify_add_watch", wd).map(WatchDescriptor)
    }

    /// Removes a watch. The kernel then queues an `IN_IGNORED` event for it.
    pub fn rm_watch(&self, wd: WatchDescriptor) -> io::Result<()> {
        // SAFETY: inotify_rm_watch takes no pointers; the kernel checks both
        // numbers.
        let ret = unsafe { libc::inotify_rm_watch(self.fd.as_raw_fd(), wd.0) };
        check("inotify_rm_watch", ret).map(drop)
    }

    /// One `read(2)` into `buf`, parsed: the events that fit, in the order
    /// they happened. Empty when no event is queued.
    ///
    /// A buffer of [`READ_BUFFER_SIZE`] or more always has room for the
    /// next event. With a smaller one, a read whose next event does not fit
    /// fails with `EINVAL`, and the event stays queued.
    pub fn read_events(&self, buf: &mut [u8]) -> io::Result<Vec<InotifyEvent>> {
        match read_nonblocking(self.fd.as_fd(), buf, "read(inotify)")? {
            None => Ok(Vec::new()),
            Some(n) => parse_events(&buf[..n]),
        }
    }
}
// ANCHOR_END: inotify

// ANCHOR: parse_events
/// The events in `bytes`, which a read of an inotify fd returned.
///
/// Each event is a `struct inotify_event` header (`wd`, `mask`, `cookie`,
/// `len`) followed by `len` bytes of name: the name, a NUL, and more NULs
/// up to an aligned size. The header's fields are read with
/// `from_ne_bytes` at the offsets `libc` gives, so the buffer needs no
/// particular alignment and no `unsafe` code is needed. Bytes that end in
/// the middle of an event are `InvalidData`: the kernel never returns
/// them.
pub fn parse_events(bytes: &[u8]) -> io::Result<Vec<InotifyEvent>> {
    let mut events = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let header = rest.get(..EVENT_HEADER_SIZE).ok_or_else(truncated)?;
        let field = |offset: usize| -> [u8; 4] {
            header[offset..offset + 4]
                .try_into()
                .expect("four bytes inside the header")
        };
        let wd = c_int::from_ne_bytes(field(offset_of!(libc::inotify_event, wd)));
        let mask = u32::from_ne_bytes(field(offset_of!(libc::inotify_event, mask)));
        let cookie = u32::from_ne_bytes(field(offset_of!(libc::inotify_event, cookie)));
        let len = u32::from_ne_bytes(field(offset_of!(libc::inotify_event, len)));
        let len = usize::try_from(len).map_err(|_| truncated())?;

        let end = EVENT_HEADER_SIZE.checked_add(len).ok_or_else(truncated)?;
        let padded_name = rest.get(EVENT_HEADER_SIZE..end).ok_or_else(truncated)?;
        let name_len = padded_name
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(padded_name.len());
        let name = (name_len > 0).then(|| OsString::from_vec(padded_name[..name_len].to_vec()));

        events.push(InotifyEvent {
            wd: WatchDescriptor(wd),
            mask,
            cookie,
            name,
        });
        rest = &rest[end..];
    }
    Ok(events)
}

fn truncated() -> io::Error {
    io::Error::new(
        ErrorKind::InvalidData,
        "inotify bytes that end in the middle of an event",
    )
}
// ANCHOR_END: parse_events

/// The names of the bits in an inotify mask, such as `"IN_CREATE |
/// IN_ISDIR"`.
pub fn mask_names(mask: u32) -> String {
    const NAMES: [(u32, &str); 16] = [
        (libc::IN_ACCESS, "IN_ACCESS"),
        (libc::IN_MODIFY, "IN_MODIFY"),
        (libc::IN_ATTRIB, "IN_ATTRIB"),
        (libc::IN_CLOSE_WRITE, "IN_CLOSE_WRITE"),
        (libc::IN_CLOSE_NOWRITE, "IN_CLOSE_NOWRITE"),
        (libc::IN_OPEN, "IN_OPEN"),
        (libc::IN_MOVED_FROM, "IN_MOVED_FROM"),
        (libc::IN_MOVED_TO, "IN_MOVED_TO"),
        (libc::IN_CREATE, "IN_CREATE"),
        (libc::IN_DELETE, "IN_DELETE"),
        (libc::IN_DELETE_SELF, "IN_DELETE_SELF"),
        (libc::IN_MOVE_SELF, "IN_MOVE_SELF"),
        (libc::IN_UNMOUNT, "IN_UNMOUNT"),
        (libc::IN_Q_OVERFLOW, "IN_Q_OVERFLOW"),
        (libc::IN_IGNORED, "IN_IGNORED"),
        (libc::IN_ISDIR, "IN_ISDIR"),
    ];
    let mut parts = Vec::new();
    let mut rest = mask;
    for (bit, name) in NAMES {
        if mask & bit != 0 {
            parts.push(name.to_owned());
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    if parts.is_empty() {
        "0".to_owned()
    } else {
        parts.join(" | ")
    }
}

impl AsFd for Inotify {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for Inotify {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bytes of one event, as the kernel lays it out.
    fn raw_event(wd: c_int, mask: u32, cookie: u32, name: &[u8], padded_to: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        bytes.extend(wd.to_ne_bytes());
        bytes.extend(mask.to_ne_bytes());
        bytes.extend(cookie.to_ne_bytes());
        bytes.extend(u32::try_from(padded_to).unwrap().to_ne_bytes());
        bytes.extend(name);
        bytes.resize(EVENT_HEADER_SIZE + padded_to, 0);
        bytes
    }

    #[test]
    fn the_header_is_four_fields_of_four_bytes() {
        assert_eq!(EVENT_HEADER_SIZE, 16);
        assert_eq!(offset_of!(libc::inotify_event, wd), 0);
        assert_eq!(offset_of!(libc::inotify_event, mask), 4);
        assert_eq!(offset_of!(libc::inotify_event, cookie), 8);
        assert_eq!(offset_of!(libc::inotify_event, len), 12);
        assert_eq!(READ_BUFFER_SIZE, 272);
    }

    #[test]
    fn events_with_and_without_names_are_parsed() {
        let mut bytes = raw_event(1, libc::IN_CREATE, 0, b"notes.txt", 16);
        bytes.extend(raw_event(1, libc::IN_IGNORED, 0, b"", 0));
        // At an odd offset: the parser does not care about alignment.
        let mut shifted = vec![0xff];
        shifted.extend(&bytes);
        for input in [&bytes[..], &shifted[1..]] {
            let events = parse_events(input).unwrap();
            assert_eq!(events.len(), 2);
            assert_eq!(events[0].wd.raw(), 1);
            assert_eq!(events[0].mask, libc::IN_CREATE);
            assert_eq!(events[0].name.as_deref(), Some("notes.txt".as_ref()));
            assert_eq!(events[1].name, None);
        }
    }

    #[test]
    fn bytes_cut_in_the_middle_of_an_event_are_refused() {
        let bytes = raw_event(1, libc::IN_CREATE, 0, b"notes.txt", 16);
        for cut in [1, 15, 16, 20, 31] {
            let err = parse_events(&bytes[..cut]).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidData, "cut at {cut}");
        }
        assert!(parse_events(&[]).unwrap().is_empty());
    }

    #[test]
    fn masks_have_names() {
        assert_eq!(
            mask_names(libc::IN_CREATE | libc::IN_ISDIR),
            "IN_CREATE | IN_ISDIR"
        );
        assert_eq!(mask_names(0), "0");
    }
}
