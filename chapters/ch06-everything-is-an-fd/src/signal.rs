//! signalfd: signals read from a file descriptor instead of run in a
//! handler (`man 2 signalfd`).
//!
//! The kernel keeps, for every thread, a *mask* of the signals that thread
//! blocks, and a set of *pending* signals: generated, but not delivered yet.
//! A signal that is blocked stays pending, and a signalfd is readable while
//! one of its signals is pending; reading it takes the signal away. So the
//! recipe is: block the signals, then read them from the fd. [`SignalFd`]
//! does both, and undoes the blocking when it is dropped.

use crate::fdio::{error_number, read_nonblocking};
use ch01_raw_syscalls::error::check;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::ffi::c_int;
use std::fmt;
use std::io::{self, ErrorKind};
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::ptr;

/// The size of one `struct signalfd_siginfo`, the record a read returns
/// for each signal: 128 bytes, padded so fields can be added.
pub const SIGINFO_SIZE: usize = size_of::<libc::signalfd_siginfo>();

// ANCHOR: signal_set
/// A set of signals, as the kernel takes it: a `sigset_t`.
#[derive(Clone, Copy)]
pub struct SignalSet {
    set: libc::sigset_t,
}

impl SignalSet {
    /// The empty set.
    pub fn empty() -> SignalSet {
        let mut set = MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initializes the whole set it is given, and
        // cannot fail for a valid pointer.
        unsafe { libc::sigemptyset(set.as_mut_ptr()) };
        // SAFETY: sigemptyset initialized it just above.
        let set = unsafe { set.assume_init() };
        SignalSet { set }
    }

    /// The set of `signals`. Fails with `EINVAL` for a number that is not a
    /// signal, or one the C library keeps for itself (glibc uses the first
    /// two real-time signals for its threads).
    pub fn from_signals(signals: &[c_int]) -> io::Result<SignalSet> {
        let mut set = SignalSet::empty();
        for &signal in signals {
            set.add(signal)?;
        }
        Ok(set)
    }

    /// Adds `signal`; `EINVAL` as for [`from_signals`](SignalSet::from_signals).
    pub fn add(&mut self, signal: c_int) -> io::Result<()> {
        // SAFETY: `self.set` is an initialized sigset_t; sigaddset checks
        // the number.
        check("sigaddset", unsafe {
            libc::sigaddset(&mut self.set, signal)
        })
        .map(drop)
    }

    /// Whether `signal` is in the set (`false` for a number that is not a
    /// signal).
    pub fn contains(&self, signal: c_int) -> bool {
        // SAFETY: `self.set` is an initialized sigset_t, only read.
        unsafe { libc::sigismember(&self.set, signal) == 1 }
    }

    /// The signals in the set, in increasing order.
    pub fn signals(&self) -> Vec<c_int> {
        (1..=libc::SIGRTMAX())
            .filter(|&signal| self.contains(signal))
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.signals().is_empty()
    }

    /// The signals the calling thread blocks now: its signal mask.
    pub fn blocked() -> io::Result<SignalSet> {
        let mut old = SignalSet::empty();
        // SAFETY: a null `set` only reads the mask, into `old`, a live
        // sigset_t.
        let code = unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, ptr::null(), &mut old.set) };
        match code {
            0 => Ok(old),
            code => Err(error_number("pthread_sigmask", code)),
        }
    }

    /// The signals pending for the calling thread or for the whole process
    /// (`sigpending`): generated, and not delivered because they are
    /// blocked.
    pub fn pending() -> io::Result<SignalSet> {
        let mut pending = SignalSet::empty();
        // SAFETY: `pending.set` is a live sigset_t for the kernel to write.
        check("sigpending", unsafe { libc::sigpending(&mut pending.set) })?;
        Ok(pending)
    }

    /// Changes the calling thread's mask: `how` is `SIG_BLOCK` or
    /// `SIG_UNBLOCK`.
    fn apply_to_this_thread(&self, how: c_int, call: &'static str) -> io::Result<()> {
        // SAFETY: `self.set` is an initialized sigset_t, only read; a null
        // `oldset` asks for nothing back.
        let code = unsafe { libc::pthread_sigmask(how, &self.set, ptr::null_mut()) };
        match code {
            0 => Ok(()),
            code => Err(error_number(call, code)),
        }
    }
}
// ANCHOR_END: signal_set

impl PartialEq for SignalSet {
    fn eq(&self, other: &SignalSet) -> bool {
        self.signals() == other.signals()
    }
}

impl Eq for SignalSet {}

impl fmt::Debug for SignalSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.signals().into_iter().map(signal_name))
            .finish()
    }
}

/// The signal a `signalfd_siginfo` record is about: its `ssi_signo`, as the
/// `c_int` the rest of this module uses.
pub fn signal_of(info: &libc::signalfd_siginfo) -> c_int {
    c_int::try_from(info.ssi_signo).expect("signal numbers are small")
}

/// The name of a signal, such as `"SIGCHLD"`; real-time signals are
/// `"SIGRTMIN+n"`, others without a name here `"signal n"`.
pub fn signal_name(signal: c_int) -> String {
    let name = match signal {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGWINCH => "SIGWINCH",
        _ if (libc::SIGRTMIN()..=libc::SIGRTMAX()).contains(&signal) => {
            return format!("SIGRTMIN+{}", signal - libc::SIGRTMIN());
        }
        _ => return format!("signal {signal}"),
    };
    name.to_owned()
}

// ANCHOR: holds
thread_local! {
    /// The signals this thread's live `SignalFd`s block: for each, how many
    /// of them block it, and whether the thread blocked it before the first
    /// one did. The last one to go unblocks it, if it was not blocked
    /// before, whatever order they are dropped in.
    static HOLDS: RefCell<BTreeMap<c_int, Hold>> = const { RefCell::new(BTreeMap::new()) };
}

#[derive(Clone, Copy, Debug)]
struct Hold {
    sources: usize,
    blocked_before: bool,
}

/// Counts a new source blocking `signals` in this thread; `blocked_before`
/// is the thread's mask from before it blocked them.
fn hold(signals: &SignalSet, blocked_before: &SignalSet) {
    HOLDS.with_borrow_mut(|holds| {
        for signal in signals.signals() {
            holds
                .entry(signal)
                .or_insert(Hold {
                    sources: 0,
                    blocked_before: blocked_before.contains(signal),
                })
                .sources += 1;
        }
    });
}

/// Forgets a source blocking `signals`, and returns the ones that nothing
/// in this thread blocks any more and that were not blocked before.
fn release(signals: &SignalSet) -> SignalSet {
    let mut to_unblock = SignalSet::empty();
    // `try_with`: during thread exit the map may already be gone; the
    // thread's mask goes with it, so there is nothing to undo.
    let _ = HOLDS.try_with(|holds| {
        let mut holds = holds.borrow_mut();
        for signal in signals.signals() {
            let Some(hold) = holds.get_mut(&signal) else {
                continue;
            };
            hold.sources -= 1;
            if hold.sources == 0 {
                let blocked_before = hold.blocked_before;
                holds.remove(&signal);
                if !blocked_before {
                    to_unblock
                        .add(signal)
                        .expect("a signal from a SignalSet is valid");
                }
            }
        }
    });
    to_unblock
}
// ANCHOR_END: holds

// ANCHOR: signal_fd
/// Signals, blocked in the creating thread and read from a file descriptor.
///
/// [`new`](SignalFd::new) blocks the signals in the calling thread (with
/// `pthread_sigmask`) and creates a nonblocking, close-on-exec signalfd for
/// them. Dropping it gives back what it took: it reads and discards any of
/// its signals still pending, then unblocks the ones it blocked, unless
/// another `SignalFd` of the same thread still needs them.
///
/// **Blocking is per thread.** A signal sent to the process (`kill`, a
/// child's `SIGCHLD`) goes to any one thread that does not block it, and if
/// that thread does not read a signalfd the signal is handled there with
/// its usual action. Threads started after `new` inherit the blocked mask;
/// threads already running do not. Create the `SignalFd` early in `main`,
/// before any other thread exists.
///
/// **It is neither `Send` nor `Sync`.** The mask it changed belongs to the
/// thread that created it, and only that thread can change it back, so it
/// must be dropped there. Reads from other threads would also see other
/// signals: a thread reads its own thread-directed signals and the
/// process's.
#[derive(Debug)]
pub struct SignalFd {
    fd: OwnedFd,
    signals: SignalSet,
    /// A raw pointer is neither `Send` nor `Sync`, and neither is this type.
    _owned_by_this_thread: PhantomData<*const ()>,
}
// ANCHOR_END: signal_fd

impl SignalFd {
    // ANCHOR: new
    /// Blocks `signals` in the calling thread and returns a signalfd that
    /// reads them. `SIGKILL` and `SIGSTOP` cannot be blocked or read; the
    /// kernel ignores them.
    pub fn new(signals: &[c_int]) -> io::Result<SignalFd> {
        let signals = SignalSet::from_signals(signals)?;
        let flags = libc::SFD_NONBLOCK | libc::SFD_CLOEXEC;
        // SAFETY: fd -1 asks for a new signalfd; `signals.set` is a live,
        // initialized sigset_t, which the kernel only reads.
        let fd = check("signalfd", unsafe {
            libc::signalfd(-1, &signals.set, flags)
        })?;
        // SAFETY: the kernel just returned `fd`, open and known to no one
        // else, so the OwnedFd becomes its only owner.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };

        let blocked_before = SignalSet::blocked()?;
        signals.apply_to_this_thread(libc::SIG_BLOCK, "pthread_sigmask(SIG_BLOCK)")?;
        hold(&signals, &blocked_before);
        Ok(SignalFd {
            fd,
            signals,
            _owned_by_this_thread: PhantomData,
        })
    }
    // ANCHOR_END: new

    /// The signals this fd reads.
    pub fn signals(&self) -> &SignalSet {
        &self.signals
    }

    // ANCHOR: read
    /// One `read(2)`: the signals pending now, up to 16 of them, each as a
    /// `signalfd_siginfo` (`ssi_signo`, `ssi_pid`, `ssi_status`, ... as
    /// described in `man 2 signalfd`). Reading takes them away: they are no
    /// longer pending. An empty `Vec` means none is pending.
    ///
    /// A standard signal is pending at most once, however many times it was
    /// sent (`man 7 signal`); real-time signals queue, one record each.
    pub fn read(&self) -> io::Result<Vec<libc::signalfd_siginfo>> {
        // A read must have room for at least one record, or it fails with
        // EINVAL.
        let mut buf = [0u8; 16 * SIGINFO_SIZE];
        let Some(n) = read_nonblocking(self.fd.as_fd(), &mut buf, "read(signalfd)")? else {
            return Ok(Vec::new());
        };
        if n % SIGINFO_SIZE != 0 {
            return Err(io::Error::new(
                ErrorKind::InvalidData,
                format!("read(signalfd) returned {n} bytes, not whole records"),
            ));
        }
        let records = buf[..n].chunks_exact(SIGINFO_SIZE).map(|record| {
            // SAFETY: `record` holds SIGINFO_SIZE initialized bytes, the
            // size of a signalfd_siginfo, which has only integer fields (and
            // padding), so any bytes are a valid value; `read_unaligned`
            // needs no alignment from the byte buffer.
            unsafe { ptr::read_unaligned(record.as_ptr().cast::<libc::signalfd_siginfo>()) }
        });
        Ok(records.collect())
    }
    // ANCHOR_END: read

    /// Changes which signals this fd reads (signalfd with an existing fd).
    fn read_only(&self, signals: &SignalSet) -> io::Result<()> {
        // SAFETY: the fd is an open signalfd (owned); `signals.set` is a
        // live sigset_t the kernel only reads.
        let ret = unsafe { libc::signalfd(self.fd.as_raw_fd(), &signals.set, 0) };
        check("signalfd", ret).map(drop)
    }
}

// ANCHOR: drop
impl Drop for SignalFd {
    /// Runs in the creating thread (the type is not `Send`). Signals that
    /// this source was the last to block, and that were not blocked before,
    /// are unblocked, but first any of them still pending is read and
    /// discarded: once unblocked, a pending signal would be delivered at
    /// once with its action, which by default, for `SIGTERM`, `SIGINT` or
    /// `SIGUSR1`, ends the process.
    fn drop(&mut self) {
        let to_unblock = release(&self.signals);
        if to_unblock.is_empty() {
            return;
        }
        // Read only the signals about to be unblocked: the others may still
        // be waiting for another SignalFd of this thread.
        if self.read_only(&to_unblock).is_ok() {
            while matches!(self.read(), Ok(records) if !records.is_empty()) {}
        }
        // Errors cannot be returned from drop; with a valid set, neither
        // call above nor this one fails.
        let _ = to_unblock.apply_to_this_thread(libc::SIG_UNBLOCK, "pthread_sigmask(SIG_UNBLOCK)");
    }
}
// ANCHOR_END: drop

impl AsFd for SignalFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for SignalFd {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

// ANCHOR: child_mask
/// The signals the calling thread blocks only because one of its live
/// `SignalFd`s does: blocked now, and not blocked before the first of them.
pub fn blocked_by_signal_fds() -> SignalSet {
    let mut set = SignalSet::empty();
    HOLDS.with_borrow(|holds| {
        for (&signal, hold) in holds {
            if !hold.blocked_before {
                set.add(signal).expect("a signal from a SignalSet is valid");
            }
        }
    });
    set
}

/// Makes `command` unblock, in the child, the signals this thread's
/// `SignalFd`s block ([`blocked_by_signal_fds`], as it is when this is
/// called), so the program it runs gets the mask this thread had before.
///
/// A child inherits the signal mask of the thread that starts it, and keeps
/// it across `execve` (`man 7 signal`); std's `Command` passes it on as it
/// is. A program started with `SIGTERM` or `SIGINT` blocked cannot be
/// stopped with them.
pub fn restore_mask_in_child(command: &mut Command) {
    let unblock = blocked_by_signal_fds();
    let restore = move || {
        // SAFETY: `unblock.set` is an initialized sigset_t, only read; a
        // null `oldset` asks for nothing back.
        let code =
            unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &unblock.set, ptr::null_mut()) };
        match code {
            0 => Ok(()),
            // An OS error from a number: no allocation in the child.
            code => Err(io::Error::from_raw_os_error(code)),
        }
    };
    // SAFETY: `restore` runs in the child between fork and exec, where only
    // async-signal-safe functions may be called. It calls one,
    // pthread_sigmask (`man 7 signal-safety`), on a set built before the
    // fork, and allocates nothing, not even on failure.
    unsafe { command.pre_exec(restore) };
}
// ANCHOR_END: child_mask

/// Sends `signal` to the calling thread only (`pthread_kill` of
/// `pthread_self`): a thread-directed signal, which no other thread can
/// take. Tests and examples use it to signal themselves safely.
pub fn signal_this_thread(signal: c_int) -> io::Result<()> {
    // SAFETY: pthread_self names the calling thread, which is alive for the
    // whole call; pthread_kill checks the signal number.
    let code = unsafe { libc::pthread_kill(libc::pthread_self(), signal) };
    match code {
        0 => Ok(()),
        code => Err(error_number("pthread_kill", code)),
    }
}

/// Sends `signal` to this whole process (`kill(getpid(), signal)`): a
/// process-directed signal, delivered to any thread that does not block it.
pub fn signal_this_process(signal: c_int) -> io::Result<()> {
    // SAFETY: kill takes no pointers; getpid cannot fail.
    check("kill", unsafe { libc::kill(libc::getpid(), signal) }).map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_siginfo_record_is_128_bytes() {
        assert_eq!(SIGINFO_SIZE, 128);
    }

    #[test]
    fn sets_hold_what_was_added() {
        let set = SignalSet::from_signals(&[libc::SIGUSR1, libc::SIGCHLD]).unwrap();
        assert!(set.contains(libc::SIGUSR1) && set.contains(libc::SIGCHLD));
        assert!(!set.contains(libc::SIGUSR2));
        assert_eq!(set.signals(), [libc::SIGUSR1, libc::SIGCHLD]);
        assert!(SignalSet::empty().is_empty());
        assert_eq!(format!("{set:?}"), r#"{"SIGUSR1", "SIGCHLD"}"#);
    }

    #[test]
    fn numbers_that_are_not_signals_are_refused() {
        for bad in [0, -1, 65, 1000] {
            let err = SignalSet::from_signals(&[bad]).unwrap_err();
            assert_eq!(err.raw_os_error(), None, "wrapped, with the call's name");
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn glibc_keeps_the_first_real_time_signals_for_itself() {
        // SIGRTMIN() is 34 under glibc: 32 and 33 are its own.
        assert!(libc::SIGRTMIN() > 32);
        assert!(SignalSet::from_signals(&[32]).is_err());
        assert!(SignalSet::from_signals(&[libc::SIGRTMIN()]).is_ok());
    }

    #[test]
    fn signals_have_names() {
        assert_eq!(signal_name(libc::SIGCHLD), "SIGCHLD");
        assert_eq!(signal_name(libc::SIGRTMIN() + 2), "SIGRTMIN+2");
        assert_eq!(signal_name(libc::SIGTRAP), "signal 5");
    }

    // `SignalFd` must be neither `Send` nor `Sync` (its drop must run on
    // the thread whose mask it changed): these do not compile if it is.
    testkit::assert_not_send!(SignalFd);
    testkit::assert_not_sync!(SignalFd);
}
