//! `PidFd`: a wrapper, written out in full, for a descriptor that a C
//! interface hands out with rules of its own.
//!
//! `pidfd_open(2)` returns a descriptor that refers to a process. epoll
//! reports it readable once the process has ended, so a loop can watch
//! child processes like sockets. Its rules, from the man page:
//!
//! - `flags` is 0 or `PIDFD_NONBLOCK`; the descriptor is close-on-exec
//!   whatever the flags.
//! - A pid is a number that the kernel reuses, like a descriptor number.
//!   `pidfd_open(pid)` is sure to reach the intended process only if that
//!   process is a child that has not been reaped: then the pid cannot have
//!   been given to anyone else. That holds only while `SIGCHLD` is not
//!   ignored and has no `SA_NOCLDWAIT` (either makes the kernel reap
//!   children by itself), and while nothing else in the program reaps it.
//! - Nothing can be read from it (`read` fails with `EINVAL`); the exit
//!   status still comes from a `wait` call.
//! - It is released with `close`, like any descriptor.

use ch01_raw_syscalls::error::{SyscallError, check, last_error};
use std::ffi::c_int;
use std::fs;
use std::io::{self, ErrorKind};
use std::mem::{ManuallyDrop, MaybeUninit};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::process::{Child, Command};
use std::ptr;

// ANCHOR: pidfd
/// A process, as a file descriptor that this value owns: dropping it
/// closes the descriptor, once.
///
/// The field is a plain `RawFd` on purpose, to show every piece that
/// ownership takes. (Holding an `OwnedFd` instead, as chapter 4's `Epoll`
/// does, gets `Drop`, `AsFd` and the rest for free.)
#[derive(Debug)]
pub struct PidFd {
    fd: RawFd,
}
// ANCHOR_END: pidfd

impl PidFd {
    // ANCHOR: spawn
    /// Starts `command` and opens a descriptor for the new process at
    /// once, before the `Child` is handed to anyone who could reap it:
    /// `pidfd_open(2)`'s NOTES give this order (open right after the fork,
    /// in the parent) as the one that works even if the child has already
    /// ended.
    ///
    /// Before starting anything it checks the other two conditions in
    /// those NOTES: `SIGCHLD` must not be ignored, nor set with
    /// `SA_NOCLDWAIT`, since either makes the kernel reap children by
    /// itself; this fails with `EINVAL` if one is. The last condition is
    /// the program's to keep: nothing else in it may reap the child
    /// (`waitpid(-1, ...)` would). If `pidfd_open` fails, the child is
    /// killed and reaped, so nothing is left behind. A program that cannot
    /// be started fails with the OS error, naming the call `spawn`.
    pub fn spawn(command: &mut Command) -> io::Result<(Child, PidFd)> {
        if children_are_reaped_by_the_kernel()? {
            return Err(refused(libc::EINVAL));
        }
        let mut child = command.spawn().map_err(|os_error| {
            io::Error::new(
                os_error.kind(),
                SyscallError {
                    call: "spawn",
                    os_error,
                },
            )
        })?;
        match PidFd::open_unreaped(&child) {
            Ok(pidfd) => Ok((child, pidfd)),
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(err)
            }
        }
    }

    /// `pidfd_open(pid, 0)` for a child that nothing can have reaped yet.
    fn open_unreaped(child: &Child) -> io::Result<PidFd> {
        let pid = libc::pid_t::try_from(child.id())
            .map_err(|_| io::Error::new(ErrorKind::InvalidData, "a pid that is not a pid_t"))?;
        let flags: libc::c_uint = 0;
        // SAFETY: pidfd_open takes a pid and flags, no pointers. libc has
        // no function for it, so it is called by number.
        let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, flags) };
        if ret == -1 {
            return Err(last_error("pidfd_open"));
        }
        let fd = RawFd::try_from(ret)
            .map_err(|_| io::Error::new(ErrorKind::InvalidData, "pidfd_open: not an fd"))?;
        // From here on `PidFd` owns `fd`: its Drop will close it.
        Ok(PidFd { fd })
    }
    // ANCHOR_END: spawn

    /// Sends `signal` to the process (`pidfd_send_signal(2)`). Unlike
    /// `kill(pid, ...)`, this can never reach another process that got the
    /// same pid later: once the process has been reaped, it fails with
    /// `ESRCH`.
    pub fn send_signal(&self, signal: c_int) -> io::Result<()> {
        let flags: libc::c_uint = 0;
        // SAFETY: the descriptor is open (self owns it); a null siginfo
        // pointer is allowed and means "as kill(2) would send it".
        let ret = unsafe {
            libc::syscall(
                libc::SYS_pidfd_send_signal,
                self.fd,
                signal,
                ptr::null::<libc::siginfo_t>(),
                flags,
            )
        };
        if ret == -1 {
            return Err(last_error("pidfd_send_signal"));
        }
        Ok(())
    }

    /// The pid of the process, from the `Pid:` line of
    /// `/proc/self/fdinfo/<fd>`; `None` once it has been reaped (the
    /// kernel shows -1 then).
    pub fn pid(&self) -> io::Result<Option<libc::pid_t>> {
        let path = format!("/proc/self/fdinfo/{}", self.fd);
        let text = fs::read_to_string(&path)?;
        let pid: libc::pid_t = text
            .lines()
            .find_map(|line| line.strip_prefix("Pid:"))
            .and_then(|value| value.trim().parse().ok())
            .ok_or_else(|| {
                io::Error::new(
                    ErrorKind::InvalidData,
                    format!("{path} has no Pid line: is it a pidfd?"),
                )
            })?;
        Ok((pid > 0).then_some(pid))
    }
}

/// An error for a `pidfd_open` that this wrapper refused to make, with the
/// errno that names the reason.
fn refused(errno: c_int) -> io::Error {
    let os_error = io::Error::from_raw_os_error(errno);
    io::Error::new(
        os_error.kind(),
        SyscallError {
            call: "pidfd_open",
            os_error,
        },
    )
}

/// Whether `SIGCHLD` is ignored or has `SA_NOCLDWAIT`: then the kernel
/// reaps ended children at once and their pids are free for reuse.
fn children_are_reaped_by_the_kernel() -> io::Result<bool> {
    let mut current = MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: a null new action only reads the current one into `current`,
    // which is valid for writing one sigaction.
    check("sigaction", unsafe {
        libc::sigaction(libc::SIGCHLD, ptr::null(), current.as_mut_ptr())
    })?;
    // SAFETY: sigaction succeeded, so it filled `current`.
    let current = unsafe { current.assume_init() };
    Ok(current.sa_sigaction == libc::SIG_IGN || current.sa_flags & libc::SA_NOCLDWAIT != 0)
}

// ANCHOR: drop
impl Drop for PidFd {
    fn drop(&mut self) {
        // close's error is ignored: on Linux the number is released even
        // when close fails, so there is nothing to retry, and a destructor
        // has no one to report to.
        // SAFETY: `self.fd` is open and owned by this value alone (`spawn`
        // and `from_raw_fd` make it so, `into_raw_fd` skips this Drop).
        unsafe { libc::close(self.fd) };
    }
}
// ANCHOR_END: drop

// ANCHOR: fd_traits
impl AsFd for PidFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the descriptor stays open as long as `self` lives, and the
        // returned borrow cannot outlive `&self`.
        unsafe { BorrowedFd::borrow_raw(self.fd) }
    }
}

impl AsRawFd for PidFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd
    }
}

impl IntoRawFd for PidFd {
    /// Gives up ownership: the number is returned open, and this value's
    /// Drop does not run.
    fn into_raw_fd(self) -> RawFd {
        ManuallyDrop::new(self).fd
    }
}

impl FromRawFd for PidFd {
    /// Takes ownership of `fd`.
    ///
    /// # Safety
    ///
    /// `fd` must be an open pidfd that the caller owns and gives up: no
    /// other owner may close it or think it owns it.
    unsafe fn from_raw_fd(fd: RawFd) -> PidFd {
        PidFd { fd }
    }
}

impl From<PidFd> for OwnedFd {
    /// Moves the descriptor into an `OwnedFd`, still open.
    fn from(pidfd: PidFd) -> OwnedFd {
        // SAFETY: `into_raw_fd` ended PidFd's ownership without closing, so
        // the OwnedFd becomes the only owner.
        unsafe { OwnedFd::from_raw_fd(pidfd.into_raw_fd()) }
    }
}
// ANCHOR_END: fd_traits
