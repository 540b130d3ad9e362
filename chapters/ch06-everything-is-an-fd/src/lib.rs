//! Chapter 6 of the epoll book: everything is a file descriptor.
//!
//! Timers, signals and file-system events all have a file descriptor
//! version on Linux, and a file descriptor can sit in an epoll instance
//! next to sockets and pipes. Each type here owns one such fd, made
//! nonblocking and close-on-exec, and is registered with chapter 4's
//! [`Epoll`](ch04_libc_and_a_safe_wrapper::Epoll) like any other:
//!
//! - [`TimerFd`] (`timerfd_create`): readable when the timer has expired;
//!   a read returns how many times.
//! - [`SignalFd`] (`signalfd`): readable when one of its signals is
//!   pending; it blocks them in the creating thread, and a read returns one
//!   `signalfd_siginfo` per signal. [`Children`] reaps the child processes
//!   whose `SIGCHLD` it reports.
//! - [`Inotify`] (`inotify_init1`): readable when a watched file or
//!   directory changed; a read returns [`InotifyEvent`]s.
//!
//! [`TempDir`] is a scratch directory for the inotify experiments, and
//! [`solutions`] holds the solutions to the exercises at the end of the
//! chapter's page.

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: epoll is a Linux interface");

pub mod children;
pub mod inotify;
pub mod signal;
pub mod solutions;
pub mod tempdir;
pub mod timer;

mod fdio;

pub use children::Children;
pub use inotify::{Inotify, InotifyEvent, READ_BUFFER_SIZE, WatchDescriptor, mask_names};
pub use signal::{
    SIGINFO_SIZE, SignalFd, SignalSet, blocked_by_signal_fds, restore_mask_in_child, signal_name,
    signal_of, signal_this_process, signal_this_thread,
};
pub use tempdir::TempDir;
pub use timer::{TimerFd, TimerSetting};
