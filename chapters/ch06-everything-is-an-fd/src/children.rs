//! Child processes and their `SIGCHLD`.
//!
//! When a child ends, the kernel keeps its exit status until the parent
//! collects it with one of the `wait` calls (it is a *zombie* until then),
//! and sends the parent `SIGCHLD`. `SIGCHLD` is a standard signal: if three
//! children end while one `SIGCHLD` is already pending, one is all the
//! parent sees. So a `SIGCHLD` means "one or more children may have ended",
//! and the answer is to ask about every child, until none is left that has
//! ended.

use crate::signal::restore_mask_in_child;
use ch01_raw_syscalls::error::{SyscallError, check};
use std::io;
use std::process::{Child, Command, ExitStatus};

// ANCHOR: children
/// The child processes a program spawned and has not reaped yet, each with
/// a label for printing.
///
/// Reaping uses `try_wait` on each child it owns (`waitpid(pid, WNOHANG)`),
/// never `waitpid(-1, ...)`, which would reap *any* child of the process,
/// including ones some other part of the program spawned and will wait for
/// itself.
///
/// Dropping it kills and reaps the children that are left, so none
/// outlives it as a zombie or an orphan.
#[derive(Debug, Default)]
pub struct Children {
    running: Vec<(String, Child)>,
}

impl Children {
    pub fn new() -> Children {
        Children::default()
    }

    /// Starts `command`; `label` names the child in what
    /// [`reap_ended`](Children::reap_ended) returns. The child's program
    /// starts with the signals this thread blocks for its `SignalFd`s
    /// unblocked ([`restore_mask_in_child`]). A program that cannot be
    /// started fails with the OS error (`ENOENT` for one that does not
    /// exist), naming the call `spawn`.
    pub fn spawn(&mut self, label: &str, command: &mut Command) -> io::Result<()> {
        restore_mask_in_child(command);
        let child = command.spawn().map_err(|os_error| {
            io::Error::new(
                os_error.kind(),
                SyscallError {
                    call: "spawn",
                    os_error,
                },
            )
        })?;
        self.running.push((label.to_owned(), child));
        Ok(())
    }

    /// Reaps every child that has ended, without blocking, and returns
    /// their labels and exit statuses, in the order they were spawned.
    /// One `SIGCHLD` may stand for several of them, or for none that is
    /// still unreaped: ask after every one.
    pub fn reap_ended(&mut self) -> io::Result<Vec<(String, ExitStatus)>> {
        let mut ended = Vec::new();
        let mut i = 0;
        while i < self.running.len() {
            match self.running[i].1.try_wait()? {
                Some(status) => {
                    let (label, _reaped) = self.running.remove(i);
                    ended.push((label, status));
                }
                None => i += 1,
            }
        }
        Ok(ended)
    }

    /// The process ids of the children not reaped yet.
    pub fn pids(&self) -> Vec<u32> {
        self.running.iter().map(|(_, child)| child.id()).collect()
    }

    /// How many children are not reaped yet.
    pub fn len(&self) -> usize {
        self.running.len()
    }

    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    /// Blocks until every child has ended, and leaves them unreaped:
    /// `waitid(P_PID, pid, WEXITED | WNOWAIT)`, which waits for the end but
    /// keeps the child waitable. For experiments that need every child to
    /// have ended before they look at `SIGCHLD`.
    pub fn wait_until_all_ended(&self) -> io::Result<()> {
        for (_, child) in &self.running {
            wait_until_ended(child.id())?;
        }
        Ok(())
    }
}
// ANCHOR_END: children

impl Drop for Children {
    fn drop(&mut self) {
        for (_, child) in &mut self.running {
            // Killing a child that has already ended fails harmlessly; the
            // wait reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `waitid(P_PID, pid, WEXITED | WNOWAIT)`, retried after `EINTR`.
fn wait_until_ended(pid: u32) -> io::Result<()> {
    let id = libc::id_t::from(pid);
    loop {
        // SAFETY: all-zero bytes are a valid siginfo_t (a C struct of
        // integers and unions of integers and pointers), which waitid
        // overwrites.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` is a live siginfo_t for the kernel to write.
        let ret =
            unsafe { libc::waitid(libc::P_PID, id, &mut info, libc::WEXITED | libc::WNOWAIT) };
        match check("waitid", ret) {
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            result => return result.map(drop),
        }
    }
}
