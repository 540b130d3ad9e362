//! Safe functions over the raw declarations in [`crate::ffi`].
//!
//! Each one does three jobs: it passes Rust values the way the C prototype
//! wants them (lengths that match buffers, pointers that are valid), it turns
//! `-1` into an `io::Error` that names the call, and it hands new file
//! descriptors back as [`OwnedFd`], which closes them exactly once when it is
//! dropped. Chapter 9 looks at `OwnedFd` and `BorrowedFd` closely; here it is
//! enough that taking a `BorrowedFd` means "an fd that is open for as long as
//! this call runs".

use crate::error::{check, check_size};
use crate::event::Event;
use crate::ffi;
use crate::{EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD};
use std::ffi::{c_int, c_void};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr;

// ANCHOR: create
/// Creates an epoll instance. `flags` is 0 or [`EPOLL_CLOEXEC`](crate::EPOLL_CLOEXEC).
pub fn epoll_create1(flags: c_int) -> io::Result<OwnedFd> {
    // SAFETY: epoll_create1 takes no pointers; the kernel checks `flags`.
    let fd = check("epoll_create1", unsafe { ffi::epoll_create1(flags) })?;
    // SAFETY: the kernel just returned `fd`: it is open, and nothing else in
    // the program knows it, so the OwnedFd is its only owner.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
// ANCHOR_END: create

// ANCHOR: ctl
/// Adds, changes or removes `fd` in the interest list of `epfd`.
///
/// `event` may be `None` for [`EPOLL_CTL_DEL`]; the kernel reads it but never
/// writes it.
pub fn epoll_ctl(
    epfd: BorrowedFd<'_>,
    op: c_int,
    fd: BorrowedFd<'_>,
    event: Option<&Event>,
) -> io::Result<()> {
    let call = match op {
        EPOLL_CTL_ADD => "epoll_ctl(ADD)",
        EPOLL_CTL_MOD => "epoll_ctl(MOD)",
        EPOLL_CTL_DEL => "epoll_ctl(DEL)",
        _ => "epoll_ctl",
    };
    let event_ptr = match event {
        // The prototype says `struct epoll_event *`, but epoll_ctl only reads
        // through it, so a shared reference is enough.
        Some(event) => ptr::from_ref(event).cast_mut(),
        None => ptr::null_mut(),
    };
    // SAFETY: both fds are open for the duration of the call (they are
    // borrowed), and `event_ptr` is null or points to a live Event laid out
    // like the kernel's struct epoll_event.
    let ret = unsafe { ffi::epoll_ctl(epfd.as_raw_fd(), op, fd.as_raw_fd(), event_ptr) };
    check(call, ret).map(drop)
}
// ANCHOR_END: ctl

// ANCHOR: wait
/// Waits for events on `epfd` and writes them to the front of `events`,
/// returning how many it wrote. `timeout_ms` is -1 (block until an event),
/// 0 (return at once) or a number of milliseconds.
///
/// `maxevents` is the buffer's length, so the kernel can never write past
/// its end. An empty buffer is passed through, and the kernel rejects it with
/// `EINVAL`.
pub fn epoll_wait(
    epfd: BorrowedFd<'_>,
    events: &mut [Event],
    timeout_ms: c_int,
) -> io::Result<usize> {
    let maxevents = c_int::try_from(events.len()).unwrap_or(c_int::MAX);
    // SAFETY: `events` is valid for writes of `maxevents` Events, and Event
    // has the kernel's layout of struct epoll_event; `epfd` is open.
    let ret =
        unsafe { ffi::epoll_wait(epfd.as_raw_fd(), events.as_mut_ptr(), maxevents, timeout_ms) };
    let n = check("epoll_wait", ret)?;
    Ok(usize::try_from(n).expect("epoll_wait returned a non-negative count"))
}
// ANCHOR_END: wait

/// Creates a pipe and returns `(read end, write end)`. `flags` may hold
/// [`O_CLOEXEC`](crate::O_CLOEXEC) and [`O_NONBLOCK`](crate::O_NONBLOCK).
pub fn pipe2(flags: c_int) -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds: [c_int; 2] = [-1, -1];
    // SAFETY: `fds` is an array of two c_ints, which is what pipe2 writes.
    check("pipe2", unsafe { ffi::pipe2(fds.as_mut_ptr(), flags) })?;
    // SAFETY: pipe2 succeeded, so both are new open fds that only we know.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Reads up to `buf.len()` bytes from `fd`; `Ok(0)` means end of file.
pub fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes; `fd` is open.
    let ret = unsafe { ffi::read(fd.as_raw_fd(), buf.as_mut_ptr().cast::<c_void>(), buf.len()) };
    check_size("read", ret)
}

/// Writes up to `buf.len()` bytes to `fd` and returns how many it wrote.
pub fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes; `fd` is open.
    let ret = unsafe { ffi::write(fd.as_raw_fd(), buf.as_ptr().cast::<c_void>(), buf.len()) };
    check_size("write", ret)
}
