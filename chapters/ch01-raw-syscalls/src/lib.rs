//! Chapter 1 of the epoll book: talking to the kernel with raw syscalls.
//!
//! The crate declares the C functions it calls by hand ([`ffi`]), mirrors
//! `struct epoll_event` and `union epoll_data` ([`Event`], [`Data`]), writes
//! down the constants ([`consts`]), and wraps each call in a function that
//! turns `-1` into an [`std::io::Error`] naming the call ([`error`]).
//! Later chapters replace the hand-written parts with the `libc` crate; the
//! shapes stay the same.
//!
//! [`solutions`] holds the solutions to the exercises at the end of the
//! chapter's page.

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: epoll is a Linux interface");

// The constants in `consts` are the values of the "generic" Linux
// architectures; O_CLOEXEC and O_NONBLOCK differ on alpha, parisc and sparc,
// and O_NONBLOCK on mips. The tests compare every one of them with libc's.
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64",
    target_arch = "arm",
    target_arch = "riscv64"
)))]
compile_error!("chapter 1's hand-written constants are those of x86, arm and riscv64");

pub mod consts;
pub mod error;
pub mod event;
pub mod ffi;
pub mod solutions;

mod calls;

pub use calls::{epoll_create1, epoll_ctl, epoll_wait, pipe2, read, write};
pub use consts::*;
pub use error::errno;
pub use event::{Data, Event};
