//! How many file descriptors this process may open (`RLIMIT_NOFILE`).

use crate::last_error;
use std::fs;
use std::io;

/// The soft and hard `RLIMIT_NOFILE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FdLimit {
    /// The limit in force: every new fd number is below it.
    pub soft: u64,
    /// The most the soft limit may be raised to without privilege.
    pub hard: u64,
}

/// The current `RLIMIT_NOFILE`.
pub fn get() -> io::Result<FdLimit> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a live rlimit on this stack frame, which the kernel
    // only writes.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == -1 {
        return Err(last_error("getrlimit(RLIMIT_NOFILE)"));
    }
    Ok(FdLimit {
        soft: limit.rlim_cur,
        hard: limit.rlim_max,
    })
}

/// Raises the soft limit to the hard one and returns the limits now in
/// force.
pub fn raise_to_hard() -> io::Result<FdLimit> {
    let before = get()?;
    if before.soft < before.hard {
        let limit = libc::rlimit {
            rlim_cur: before.hard,
            rlim_max: before.hard,
        };
        // SAFETY: `limit` is a live, initialised rlimit that the kernel only
        // reads.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } == -1 {
            return Err(last_error("setrlimit(RLIMIT_NOFILE)"));
        }
    }
    get()
}

/// Makes the soft limit at least `wanted`. Up to the hard limit anyone
/// may; above it, only a process with `CAP_SYS_RESOURCE` (root, usually),
/// which may raise the hard limit too, up to `/proc/sys/fs/nr_open`.
/// Without the privilege the soft limit is raised to the hard one and no
/// further: the caller sees what it got in the returned limits.
pub fn raise_to(wanted: u64) -> io::Result<FdLimit> {
    let before = raise_to_hard()?;
    if before.soft >= wanted {
        return Ok(before);
    }
    let limit = libc::rlimit {
        rlim_cur: wanted,
        rlim_max: wanted,
    };
    // SAFETY: `limit` is a live, initialised rlimit that the kernel only
    // reads.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } == -1 {
        let error = io::Error::last_os_error();
        // EPERM: no privilege to raise the hard limit. EINVAL: more than
        // nr_open. Either way, the hard limit is what there is.
        if !matches!(error.raw_os_error(), Some(libc::EPERM | libc::EINVAL)) {
            return Err(last_error("setrlimit(RLIMIT_NOFILE)"));
        }
    }
    get()
}

/// How many fds this process has open now, from `/proc/self/fd` (not
/// counting the one that reads the directory).
pub fn open_fds() -> io::Result<u64> {
    let mut count = 0u64;
    for entry in fs::read_dir("/proc/self/fd")? {
        entry?;
        count += 1;
    }
    Ok(count.saturating_sub(1))
}
