//! The C functions this chapter calls, declared by hand.
//!
//! Each declaration copies the prototype from the man page, with C's types
//! spelled in Rust: `int` is [`c_int`], `size_t` is `usize`, `ssize_t` is
//! `isize`, `void *` is `*mut c_void`. Nothing checks these against the C
//! headers when the crate compiles; `tests/declarations.rs` checks them against
//! the `libc` crate's declarations instead.
//!
//! All of them are `unsafe` to call: the compiler cannot know what the kernel
//! will do with the pointers and file descriptors we pass.

use crate::event::Event;
use std::ffi::{c_int, c_void};

// ANCHOR: extern_epoll
unsafe extern "C" {
    /// `int epoll_create1(int flags);` returns a new epoll fd, or -1.
    pub fn epoll_create1(flags: c_int) -> c_int;

    /// `int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event);`
    /// returns 0, or -1. `event` may be null for `EPOLL_CTL_DEL`.
    pub fn epoll_ctl(epfd: c_int, op: c_int, fd: c_int, event: *mut Event) -> c_int;

    /// `int epoll_wait(int epfd, struct epoll_event *events, int maxevents,
    /// int timeout);` returns how many events it wrote, or -1.
    pub fn epoll_wait(epfd: c_int, events: *mut Event, maxevents: c_int, timeout: c_int) -> c_int;

    /// `int close(int fd);` returns 0, or -1.
    pub fn close(fd: c_int) -> c_int;
}
// ANCHOR_END: extern_epoll

// ANCHOR: extern_io
unsafe extern "C" {
    /// `int pipe2(int pipefd[2], int flags);` writes the read end to
    /// `pipefd[0]` and the write end to `pipefd[1]`.
    pub fn pipe2(pipefd: *mut c_int, flags: c_int) -> c_int;

    /// `ssize_t read(int fd, void *buf, size_t count);`
    pub fn read(fd: c_int, buf: *mut c_void, count: usize) -> isize;

    /// `ssize_t write(int fd, const void *buf, size_t count);`
    pub fn write(fd: c_int, buf: *const c_void, count: usize) -> isize;
}
// ANCHOR_END: extern_io
