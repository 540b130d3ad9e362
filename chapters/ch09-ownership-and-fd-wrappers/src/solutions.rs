//! Solutions to the exercises at the end of chapter 9's page, one item (or
//! a small group) per exercise, each tested in `tests/solutions.rs`.

use crate::PidFd;
use ch01_raw_syscalls::error::{check, check_size};
use ch04_libc_and_a_safe_wrapper::Epoll;
use std::io::{self, BufRead, BufReader, ErrorKind};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, ExitStatus, Stdio};

// ANCHOR: exercise_1
/// `PidFd` again, holding an `OwnedFd`. What disappears: the `Drop` impl
/// and its `unsafe` close (the field's own `Drop` closes, once), the
/// `unsafe` in `as_fd` (the field lends a borrow tied to it), and the
/// `unsafe` in `From<..> for OwnedFd` (the field *is* one). `into_raw_fd`
/// needs no `ManuallyDrop` any more: this type has no `Drop`, so moving
/// the field out of `self` is allowed, and the field's own `into_raw_fd`
/// skips its close. What stays `unsafe` is `from_raw_fd`, whose promise
/// (an open pidfd, owned by nobody else) only the caller can keep.
#[derive(Debug)]
pub struct OwnedPidFd {
    fd: OwnedFd,
}

impl OwnedPidFd {
    /// `PidFd::spawn`, which keeps the rules of `pidfd_open`, then the
    /// descriptor moved into the new field, open all along.
    pub fn spawn(command: &mut Command) -> io::Result<(Child, OwnedPidFd)> {
        let (child, pidfd) = PidFd::spawn(command)?;
        Ok((
            child,
            OwnedPidFd {
                fd: OwnedFd::from(pidfd),
            },
        ))
    }
}

impl AsFd for OwnedPidFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for OwnedPidFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl IntoRawFd for OwnedPidFd {
    fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}

impl FromRawFd for OwnedPidFd {
    /// # Safety
    ///
    /// `fd` must be an open pidfd that the caller owns and gives up.
    unsafe fn from_raw_fd(fd: RawFd) -> OwnedPidFd {
        OwnedPidFd {
            // SAFETY: the caller's promise is `OwnedFd::from_raw_fd`'s.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        }
    }
}

impl From<OwnedPidFd> for OwnedFd {
    fn from(pidfd: OwnedPidFd) -> OwnedFd {
        pidfd.fd
    }
}
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// Deletes the entry that `number` was registered under, after that
/// descriptor was closed, through a new duplicate of `file` (a descriptor
/// of the same open file) made to sit on `number` again. The entry's key
/// is the pair (number, open file), and the duplicate is exactly that
/// pair, so `DEL` finds it; then the duplicate is closed.
///
/// `fcntl(F_DUPFD_CLOEXEC, number)` takes the lowest free number at or
/// above `number` and closes nothing. If another thread opened something
/// on `number` meanwhile, the duplicate lands elsewhere, and this gives up
/// with `ResourceBusy`. `dup2(file, number)` would always land on
/// `number`, by closing whatever is there first: the double close of this
/// chapter, done to another thread's descriptor, in silence.
pub fn delete_through_a_duplicate(
    epoll: &Epoll,
    number: RawFd,
    file: BorrowedFd<'_>,
) -> io::Result<()> {
    // SAFETY: F_DUPFD_CLOEXEC takes an int and no pointer; `file` is open
    // (borrowed). It closes nothing.
    let fd = check("fcntl(F_DUPFD_CLOEXEC)", unsafe {
        libc::fcntl(file.as_raw_fd(), libc::F_DUPFD_CLOEXEC, number)
    })?;
    // SAFETY: the kernel just returned `fd`, open and known to no one else.
    let duplicate = unsafe { OwnedFd::from_raw_fd(fd) };
    if duplicate.as_raw_fd() != number {
        return Err(io::Error::new(
            ErrorKind::ResourceBusy,
            format!("fcntl(F_DUPFD_CLOEXEC): fd {number} is in use again"),
        ));
    }
    epoll.delete(&duplicate)
    // `duplicate` is closed here: the entry is gone already.
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
/// Waits for the process behind `pidfd` with `waitid(P_PIDFD, ...)`
/// (Linux 5.4 and later), and reaps it. `block: false` adds `WNOHANG`:
/// `Ok(None)` while the process runs (Linux then leaves `si_pid` at 0,
/// `man 2 waitid`).
///
/// `Child::wait` on the same process afterwards fails with `ECHILD`: it
/// calls `waitpid(pid)`, and a reaped child is no child any more. Its pid
/// is free, and may already belong to another process; asking by pid could
/// only ever be answered about that one, which is what a pidfd avoids.
pub fn wait_pidfd(pidfd: &PidFd, block: bool) -> io::Result<Option<ExitStatus>> {
    let id = libc::id_t::try_from(pidfd.as_raw_fd()).expect("an open fd is not negative");
    let options = libc::WEXITED | if block { 0 } else { libc::WNOHANG };
    let mut info = MaybeUninit::<libc::siginfo_t>::zeroed();
    loop {
        // SAFETY: `info` is valid for writing one siginfo_t; the pidfd is
        // open (borrowed from `pidfd`).
        let ret = unsafe { libc::waitid(libc::P_PIDFD, id, info.as_mut_ptr(), options) };
        match check("waitid(P_PIDFD)", ret) {
            Ok(_) => break,
            Err(err) if err.kind() == ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        }
    }
    // SAFETY: zeroed is a valid siginfo_t, and waitid may only fill it in.
    let info = unsafe { info.assume_init() };
    // SAFETY: for waitid, the kernel fills si_pid and si_status as for
    // SIGCHLD, the union member these accessors read.
    let (pid, status) = unsafe { (info.si_pid(), info.si_status()) };
    if pid == 0 {
        return Ok(None);
    }
    // Back into the encoding `waitpid` uses, which ExitStatus understands:
    // an exit code in the second byte, or a signal number in the first.
    let raw = match info.si_code {
        libc::CLD_EXITED => (status & 0xff) << 8,
        libc::CLD_DUMPED => status | 0x80,
        _ => status,
    };
    Ok(Some(ExitStatus::from_raw(raw)))
}
// ANCHOR_END: exercise_3

// ANCHOR: exercise_4
/// Makes a nonblocking pipe, with or without `O_CLOEXEC`, starts a child
/// (a shell that says it is ready, then becomes `sleep 5`), closes the
/// pipe's write end, and reads the read end once; then stops the child.
///
/// `Some(0)` is end of file; `None` means the read would block: somebody
/// still has a write end. Without the flag that somebody is the child,
/// which inherited both ends across `exec` and has no idea it holds them.
/// A blocking read would wait until the child exits (a second, for
/// `sleep 1`), since a pipe reaches end of file only when every write end
/// is closed. The fix is at the pipe, not at the `Command`: `O_CLOEXEC`
/// in `pipe2`, in the call that makes the pipe. (`fcntl(F_SETFD)` after
/// the fact works here too, but another thread could `fork` between the
/// two calls, as `man 2 open` warns.)
///
/// Why wait for "ready": `spawn` returns once the child's `exec` has
/// begun, and on this kernel the parent can run again before the `exec`
/// has closed the close-on-exec descriptors. The read would then still
/// see the child's copy of the write end. A line the new program writes
/// comes after its `exec` is complete.
pub fn read_after_a_child_started(cloexec: bool) -> io::Result<Option<usize>> {
    let flags = libc::O_NONBLOCK | if cloexec { libc::O_CLOEXEC } else { 0 };
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    check("pipe2", unsafe { libc::pipe2(fds.as_mut_ptr(), flags) })?;
    // SAFETY: pipe2 succeeded: both numbers are open, and owned by no one.
    let (reader, writer) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };

    let mut child = Command::new("sh")
        .args(["-c", "echo ready; exec sleep 5"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    drop(writer);
    let mut ready = String::new();
    let stdout = child.stdout.take().expect("piped");
    let said = BufReader::new(stdout).read_line(&mut ready);

    let mut buf = [0u8; 8];
    // SAFETY: `buf` is valid for writes of its length; `reader` is open.
    let ret = unsafe { libc::read(reader.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    let read = match check_size("read", ret) {
        Ok(n) => Ok(Some(n)),
        Err(err) if err.kind() == ErrorKind::WouldBlock => Ok(None),
        Err(err) => Err(err),
    };
    child.kill()?;
    child.wait()?;
    if said? == 0 {
        return Err(io::Error::new(
            ErrorKind::UnexpectedEof,
            "the child ended before it said it was ready",
        ));
    }
    read
}
// ANCHOR_END: exercise_4
