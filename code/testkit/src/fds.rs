//! Counting open file descriptors through `/proc/self/fd`.

use std::fs;
use std::os::fd::RawFd;
use std::sync::Mutex;

/// One open file descriptor and what it refers to (the target of its
/// `/proc/self/fd` link, such as `pipe:[1234]` or `anon_inode:[eventpoll]`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct OpenFd {
    pub fd: RawFd,
    pub target: String,
}

/// The file descriptors this process has open, in ascending order.
///
/// Listing `/proc/self/fd` needs a file descriptor of its own for the
/// directory; it is closed again before this returns, and left out.
pub fn open_fds() -> Vec<OpenFd> {
    let listed: Vec<RawFd> = fs::read_dir("/proc/self/fd")
        .expect("listing /proc/self/fd")
        .map(|entry| {
            let name = entry.expect("reading /proc/self/fd").file_name();
            name.to_str()
                .and_then(|s| s.parse().ok())
                .expect("fd names are numbers")
        })
        .collect();
    // The directory's own fd is closed now, so its link is gone.
    let mut open: Vec<OpenFd> = listed
        .into_iter()
        .filter_map(|fd| {
            let target = fs::read_link(format!("/proc/self/fd/{fd}")).ok()?;
            Some(OpenFd {
                fd,
                target: target.to_string_lossy().into_owned(),
            })
        })
        .collect();
    open.sort();
    open
}

static FD_CHECK: Mutex<()> = Mutex::new(());

/// Runs `f` and panics if it leaves file descriptors open that were not
/// open before (or closes ones it did not open).
///
/// The fd table belongs to the whole process, and the test harness runs
/// tests on several threads. Checks made through this function take a lock,
/// so they do not disturb each other; a test binary that uses it should run
/// all of its tests through it, so that no other test opens fds meanwhile.
pub fn assert_no_fd_leaks<R>(f: impl FnOnce() -> R) -> R {
    let _guard = FD_CHECK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = open_fds();
    let result = f();
    let after = open_fds();
    let leaked: Vec<&OpenFd> = after.iter().filter(|fd| !before.contains(fd)).collect();
    let lost: Vec<&OpenFd> = before.iter().filter(|fd| !after.contains(fd)).collect();
    assert!(
        leaked.is_empty() && lost.is_empty(),
        "file descriptors changed: left open {leaked:?}, closed that were open before {lost:?}"
    );
    result
}
