//! The two flags a waker's eventfd is created with, and what each one
//! prevents. Without `EFD_CLOEXEC` a program this process starts inherits
//! the descriptor; without `EFD_NONBLOCK` a wake on a full counter would
//! put the waking thread to sleep (`full_counter` shows that sleep).
//!
//! Run it with `cargo run -p ch05-eventfd-wakeups --example cloexec_and_nonblock`.

use ch01_raw_syscalls::error::check;
use ch05_eventfd_wakeups::report::describe;
use ch05_eventfd_wakeups::{EventFd, MAX_COUNT};
use std::io;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};

// ANCHOR: flags_seen_by_fcntl
/// The descriptor's close-on-exec flag and the open file's nonblocking
/// flag, as `fcntl` reports them.
fn flags(eventfd: &EventFd) -> io::Result<(bool, bool)> {
    let fd = eventfd.as_raw_fd();
    // SAFETY: F_GETFD and F_GETFL take no third argument and only read the
    // flags of `fd`, which is open: `eventfd` owns it.
    let fd_flags = check("fcntl(F_GETFD)", unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    // SAFETY: as above.
    let file_flags = check("fcntl(F_GETFL)", unsafe { libc::fcntl(fd, libc::F_GETFL) })?;
    Ok((
        fd_flags & libc::FD_CLOEXEC != 0,
        file_flags & libc::O_NONBLOCK != 0,
    ))
}
// ANCHOR_END: flags_seen_by_fcntl

// ANCHOR: child_sees
/// Whether a child program inherits the eventfd: the child runs
/// `readlink /proc/self/fd/<n>`, which names the file the *child* has at
/// this fd number, if any.
fn child_inherits(eventfd: &EventFd) -> io::Result<bool> {
    let output = Command::new("readlink")
        .arg(format!("/proc/self/fd/{}", eventfd.as_raw_fd()))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    Ok(output.status.success() && output.stdout.trim_ascii() == b"anon_inode:[eventfd]")
}
// ANCHOR_END: child_sees

// ANCHOR: main
pub fn main() -> io::Result<()> {
    for (name, extra) in [
        ("flags 0", 0),
        (
            "EFD_CLOEXEC | EFD_NONBLOCK",
            libc::EFD_CLOEXEC | libc::EFD_NONBLOCK,
        ),
    ] {
        let eventfd = EventFd::new(0, extra)?;
        let (cloexec, nonblock) = flags(&eventfd)?;
        println!("{name}: FD_CLOEXEC {cloexec}, O_NONBLOCK {nonblock}");
        let inherits = if child_inherits(&eventfd)? {
            "yes"
        } else {
            "no"
        };
        println!("  a child program inherits it: {inherits}");
        if nonblock {
            eventfd.write(MAX_COUNT)?;
            match eventfd.write(1) {
                Ok(()) => println!("  write(1) at the maximum: accepted"),
                Err(err) => println!("  write(1) at the maximum: {}, at once", describe(&err)),
            }
        }
    }
    Ok(())
}
// ANCHOR_END: main
