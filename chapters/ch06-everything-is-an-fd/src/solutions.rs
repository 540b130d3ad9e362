//! Solutions to the exercises at the end of chapter 6's page, one anchored
//! item (or small group) per exercise. `tests/solutions.rs` checks each
//! one.

use crate::{Inotify, READ_BUFFER_SIZE, SignalFd, TimerFd, WatchDescriptor};
use ch01_raw_syscalls::error::check;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use std::collections::{BTreeSet, HashMap};
use std::ffi::c_int;
use std::fs;
use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::time::Duration;

// ANCHOR: exercise_1
/// What became of a `sleep 10` started with plain `Command::spawn` by a
/// thread that blocks `SIGUSR1` for a `SignalFd`.
#[derive(Debug)]
pub struct InheritedMask {
    /// Whether the child's mask (`SigBlk` in `/proc/<pid>/status`) holds
    /// `SIGUSR1`.
    pub child_blocks_usr1: bool,
    /// Whether `SIGUSR1`, once sent, was pending for the child (`ShdPnd`,
    /// signals pending for the whole process).
    pub usr1_pending: bool,
    /// The signal that ended the child, sent after `SIGUSR1`.
    pub ended_by: Option<c_int>,
}

/// Starts `sleep 10` while this thread blocks `SIGCHLD` and `SIGUSR1` for
/// a `SignalFd`, sends it `SIGUSR1` and then `finish` (`SIGTERM` or
/// `SIGKILL`), and reports what the child did. Runs on a thread of its own,
/// so that the caller's mask is never touched.
///
/// A new program inherits its signal mask ("the signal mask is preserved
/// across execve(2)", `man 7 signal`), and
/// `Command::spawn` does not reset it, which is why `Children::spawn`
/// unblocks the `SignalFd`'s signals in the child. Without that, the
/// `SIGUSR1` only waits, pending, in a child that will never unblock it,
/// and the `sleep` goes on. `SIGTERM`, which this parent does not block,
/// ends it. `SIGKILL` would end it whatever its mask: it is one of the two
/// signals that cannot be blocked, caught or ignored (`man 7 signal`), and
/// it is what `Child::kill` sends.
pub fn plain_spawn_under_a_signal_fd(finish: c_int) -> io::Result<InheritedMask> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let _signals = SignalFd::new(&[libc::SIGCHLD, libc::SIGUSR1])?;
                let mut child = Command::new("sleep").arg("10").spawn()?;
                let pid = libc::pid_t::try_from(child.id()).expect("pids fit in a pid_t");
                let child_blocks_usr1 = in_status_mask(pid, "SigBlk:", libc::SIGUSR1);
                let sent = send(pid, libc::SIGUSR1);
                let usr1_pending = in_status_mask(pid, "ShdPnd:", libc::SIGUSR1);
                // Whatever happened above, end and reap the child.
                let finished = send(pid, finish);
                let status = child.wait()?;
                sent?;
                finished?;
                Ok(InheritedMask {
                    child_blocks_usr1: child_blocks_usr1?,
                    usr1_pending: usr1_pending?,
                    ended_by: status.signal(),
                })
            })
            .join()
            .expect("the spawning thread panicked")
    })
}

fn send(pid: libc::pid_t, signal: c_int) -> io::Result<()> {
    // SAFETY: kill takes no pointers; `pid` is our own unreaped child, so
    // the number cannot have been reused by another process.
    check("kill", unsafe { libc::kill(pid, signal) }).map(drop)
}

/// Whether `signal` is in the mask on line `key` of `/proc/<pid>/status`
/// (hexadecimal, bit `signal - 1`; `man 5 proc`).
fn in_status_mask(pid: libc::pid_t, key: &str, signal: c_int) -> io::Result<bool> {
    let status = fs::read_to_string(format!("/proc/{pid}/status"))?;
    let hex = status
        .lines()
        .find_map(|line| line.strip_prefix(key))
        .ok_or_else(|| io::Error::new(ErrorKind::InvalidData, format!("no {key} line")))?;
    let mask = u64::from_str_radix(hex.trim(), 16)
        .map_err(|_| io::Error::new(ErrorKind::InvalidData, format!("{key} is not hex")))?;
    Ok(mask & (1 << (signal - 1)) != 0)
}
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
/// A file descriptor for the process `pid` (`man 2 pidfd_open`), readable
/// once the process has ended; as in `one_epoll_many_fds`.
fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).expect("pids fit in a pid_t");
    // SAFETY: pidfd_open takes a pid and flags, no pointers.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = check("pidfd_open", i32::try_from(ret).expect("an fd or -1"))?;
    // SAFETY: the kernel just returned `fd`, open and known to no one else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The reaping loop with one pidfd per child, each registered under the
/// child's index, and no `SignalFd`. Returns each script's index and exit
/// status, in index order.
///
/// With the `SignalFd` go its rules: no signal mask to set up, so nothing
/// has to happen before the first thread starts, and no `SIGCHLD` that
/// another thread might take. This runs fine in the test harness, among
/// threads that block nothing. Each event names its child, so the loop
/// reaps that one and never asks the others. And a child that a library
/// starts and waits for itself is no business of this loop: it has no
/// pidfd here, and its end wakes nobody, where a `SIGCHLD` would have.
pub fn reap_with_pidfds(scripts: &[&str]) -> io::Result<Vec<(usize, ExitStatus)>> {
    let epoll = Epoll::new()?;
    let mut running = Vec::new();
    for (index, script) in scripts.iter().enumerate() {
        let child = Command::new("sh").args(["-c", script]).spawn()?;
        // The child is not reaped before its pidfd exists, so its pid
        // cannot have gone to another process in between.
        let pidfd = pidfd_open(child.id())?;
        epoll.add(&pidfd, IN, u64::try_from(index).expect("a small index"))?;
        running.push(Some((child, pidfd)));
    }
    let mut reaped = Vec::new();
    let mut events = Events::with_capacity(8);
    while reaped.len() < scripts.len() {
        if epoll.wait(&mut events, Some(Duration::from_secs(5)))? == 0 {
            return Err(io::Error::new(ErrorKind::TimedOut, "a child never ended"));
        }
        for event in &events {
            let index = usize::try_from(event.token()).expect("a token we chose");
            // A reaped child's pidfd has left the interest list, so no
            // event can name it twice.
            let Some((mut child, pidfd)) = running[index].take() else {
                return Err(io::Error::other("an event for a child already reaped"));
            };
            // Ended, so this wait returns at once, with its status.
            reaped.push((index, child.wait()?));
            epoll.delete(&pidfd)?;
        }
    }
    reaped.sort_by_key(|&(index, _)| index);
    Ok(reaped)
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
/// What a recursive watch listens for in every directory.
const TREE_EVENTS: u32 = libc::IN_CREATE | libc::IN_MOVED_TO;

/// `watch_a_directory` made recursive: every directory that appears gets a
/// watch of its own, and then a listing, for what was made in it before
/// the watch existed. Each path is reported once, whether an event or a
/// listing found it first (or both did).
pub struct TreeWatch {
    inotify: Inotify,
    dirs: HashMap<WatchDescriptor, PathBuf>,
    reported: BTreeSet<PathBuf>,
}

impl TreeWatch {
    pub fn new(root: &Path) -> io::Result<TreeWatch> {
        let inotify = Inotify::new()?;
        let wd = inotify.add_watch(root, TREE_EVENTS)?;
        Ok(TreeWatch {
            inotify,
            dirs: HashMap::from([(wd, root.to_owned())]),
            reported: BTreeSet::new(),
        })
    }

    /// Reads every queued event and returns the paths reported for the
    /// first time. `after_watch` runs each time a new directory's watch has
    /// been added, before the directory is listed: the moment at which a
    /// file can be both listed and announced by an event.
    pub fn process(&mut self, mut after_watch: impl FnMut(&Path)) -> io::Result<Vec<PathBuf>> {
        let mut new = Vec::new();
        let mut buf = [0u8; READ_BUFFER_SIZE * 4];
        loop {
            let events = self.inotify.read_events(&mut buf)?;
            if events.is_empty() {
                return Ok(new);
            }
            for event in events {
                let (Some(dir), Some(name)) = (self.dirs.get(&event.wd), &event.name) else {
                    continue; // IN_IGNORED, IN_Q_OVERFLOW: not files
                };
                let path = dir.join(name);
                if event.mask & libc::IN_ISDIR != 0 {
                    self.add_dir(path, &mut new, &mut after_watch)?;
                } else {
                    self.report(path, &mut new);
                }
            }
        }
    }

    /// Watches `dir`, then lists it: whatever was made in it before the
    /// watch shows up in the listing, whatever is made after, in an event.
    /// A file made in between is in both, which is why `report` skips
    /// paths it has seen. Subdirectories found in the listing were made
    /// before the watch too, and get the same treatment.
    fn add_dir(
        &mut self,
        dir: PathBuf,
        new: &mut Vec<PathBuf>,
        after_watch: &mut impl FnMut(&Path),
    ) -> io::Result<()> {
        let wd = self.inotify.add_watch(&dir, TREE_EVENTS)?;
        self.dirs.insert(wd, dir.clone());
        self.report(dir.clone(), new);
        after_watch(&dir);
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                self.add_dir(entry.path(), new, after_watch)?;
            } else {
                self.report(entry.path(), new);
            }
        }
        Ok(())
    }

    fn report(&mut self, path: PathBuf, new: &mut Vec<PathBuf>) {
        if self.reported.insert(path.clone()) {
            new.push(path);
        }
    }
}
// ANCHOR_END: exercise_3

// ANCHOR: exercise_4
/// The monotonic clock's time now (`clock_gettime(CLOCK_MONOTONIC)`), the
/// clock of every `TimerFd`.
pub fn monotonic_now() -> io::Result<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a live timespec for the kernel to write.
    check("clock_gettime", unsafe {
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now)
    })?;
    let secs = u64::try_from(now.tv_sec).expect("the monotonic clock is not negative");
    let nanos = u32::try_from(now.tv_nsec).expect("nanoseconds below a second");
    Ok(Duration::new(secs, nanos))
}

impl TimerFd {
    /// Arms the timer to expire at `first` on the monotonic clock (an
    /// absolute time, as [`monotonic_now`] gives), then every `interval`:
    /// `timerfd_settime` with `TFD_TIMER_ABSTIME`. A `first` of zero would
    /// disarm the timer, so it is sent as one nanosecond, long past.
    pub fn set_at(&self, first: Duration, interval: Option<Duration>) -> io::Result<()> {
        let spec = |d: Duration| -> io::Result<libc::timespec> {
            Ok(libc::timespec {
                tv_sec: libc::time_t::try_from(d.as_secs())
                    .map_err(|_| io::Error::new(ErrorKind::InvalidInput, "too far away"))?,
                tv_nsec: libc::c_long::from(d.subsec_nanos()),
            })
        };
        let value = libc::itimerspec {
            it_value: spec(first.max(Duration::from_nanos(1)))?,
            it_interval: spec(interval.unwrap_or(Duration::ZERO))?,
        };
        // SAFETY: the fd is open (owned by self); `value` is a live
        // itimerspec the kernel only reads; a null `old_value` asks for
        // nothing back.
        let ret = unsafe {
            libc::timerfd_settime(
                self.as_raw_fd(),
                libc::TFD_TIMER_ABSTIME,
                &value,
                std::ptr::null_mut(),
            )
        };
        check("timerfd_settime", ret).map(drop)
    }
}

/// Sets a periodic timer whose first expiration was 4.5 periods ago, and
/// reads it at once.
///
/// The read returns 5: the expirations 4.5, 3.5, 2.5, 1.5 and 0.5 periods
/// ago. The kernel does not skip a start in the past, nor count it as
/// one; it counts every period that has gone by since, as it counts the
/// periods a sleeping loop misses. The period is long (10 s) so that the
/// half period between the last of those and the next one leaves seconds
/// for the two calls, on any machine.
pub fn first_read_after_a_start_in_the_past() -> io::Result<u64> {
    let period = Duration::from_secs(10);
    let now = monotonic_now()?;
    let first = now
        .checked_sub(period * 9 / 2)
        .ok_or_else(|| io::Error::other("the machine has been up for less than 45 s"))?;
    let timer = TimerFd::new()?;
    timer.set_at(first, Some(period))?;
    timer.read()
}
// ANCHOR_END: exercise_4
