//! A signal source: chapter 6's `SignalFd` inside a `Generic`.
//!
//! Everything about the mask is chapter 6's: `SignalFd::new` blocks the
//! signals in the calling thread, and dropping it reads any of them still
//! pending and unblocks the ones it blocked, unless another `SignalFd` of
//! the thread still needs them or they were blocked before. The source
//! adds what a loop needs: it reads every pending signal on each event and
//! hands each to its callback as a [`SignalInfo`].

use ch06_everything_is_an_fd::{SignalFd, SignalSet, signal_of};
use ch08_generic_sources::{
    EventSource, Generic, Interest, Mode, Poller, PostAction, Readiness, Token, TokenFactory,
};
use std::ffi::c_int;
use std::io;
use std::os::fd::{AsFd, BorrowedFd};

// ANCHOR: signal_info
/// One signal, as the callback gets it: the fields of the kernel's
/// `signalfd_siginfo` (`man 2 signalfd`) that mean something for the
/// signals a program usually reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignalInfo {
    /// The signal number (`ssi_signo`).
    pub signal: c_int,
    /// How it was sent (`ssi_code`): `SI_USER` for `kill`, `SI_TKILL` for
    /// `tgkill` (`pthread_kill`), `SI_QUEUE` for `sigqueue`; for `SIGCHLD`,
    /// what happened to the child (`CLD_EXITED`, `CLD_KILLED`, ...).
    /// [`code_name`] names them.
    pub code: i32,
    /// The process that sent it, or the child a `SIGCHLD` is about
    /// (`ssi_pid`).
    pub pid: u32,
    /// The real user id of the sender (`ssi_uid`).
    pub uid: u32,
    /// For `SIGCHLD`: the exit status, or the signal that ended the child
    /// (`ssi_status`).
    pub status: i32,
    /// The value `sigqueue` sent along, as a pointer-sized number
    /// (`ssi_ptr`); 0 for other senders.
    pub value: u64,
}

impl From<&libc::signalfd_siginfo> for SignalInfo {
    fn from(info: &libc::signalfd_siginfo) -> SignalInfo {
        SignalInfo {
            signal: signal_of(info),
            code: info.ssi_code,
            pid: info.ssi_pid,
            uid: info.ssi_uid,
            status: info.ssi_status,
            value: info.ssi_ptr,
        }
    }
}
// ANCHOR_END: signal_info

/// The name of a signal's `code`, for printing; codes that mean different
/// things for different signals (`SIGCHLD`'s) are named for `signal`.
pub fn code_name(signal: c_int, code: i32) -> String {
    let name = match code {
        libc::SI_USER => "SI_USER",
        libc::SI_TKILL => "SI_TKILL",
        libc::SI_QUEUE => "SI_QUEUE",
        libc::SI_KERNEL => "SI_KERNEL",
        libc::CLD_EXITED if signal == libc::SIGCHLD => "CLD_EXITED",
        libc::CLD_KILLED if signal == libc::SIGCHLD => "CLD_KILLED",
        libc::CLD_DUMPED if signal == libc::SIGCHLD => "CLD_DUMPED",
        libc::CLD_STOPPED if signal == libc::SIGCHLD => "CLD_STOPPED",
        libc::CLD_CONTINUED if signal == libc::SIGCHLD => "CLD_CONTINUED",
        _ => return format!("code {code}"),
    };
    name.to_owned()
}

// ANCHOR: signals
/// A signal event source: blocks `signals` in the calling thread while it
/// lives, and reports each one that arrives.
///
/// Like chapter 6's `SignalFd`, and because of it, it is neither `Send`
/// nor `Sync`: the mask it changed is its thread's, and only that thread
/// can put it back. Make it early in `main`, before other threads start,
/// so they inherit the mask and cannot take a process-directed signal
/// first.
#[derive(Debug)]
pub struct Signals {
    inner: Generic<SignalFd>,
}

impl Signals {
    /// Blocks `signals` in this thread and makes the signalfd that reads
    /// them. `EINVAL` for a number that is not a signal, naming
    /// `sigaddset`, and then nothing is blocked. `SIGKILL` and `SIGSTOP`
    /// are signals, and accepted, but never reported: the kernel neither
    /// blocks them nor queues them for a signalfd (chapter 6).
    pub fn new(signals: &[c_int]) -> io::Result<Signals> {
        let signal_fd = SignalFd::new(signals)?;
        Ok(Signals {
            inner: Generic::new(signal_fd, Interest::READABLE, Mode::Level),
        })
    }

    /// The signals it reads.
    pub fn signals(&self) -> &SignalSet {
        self.inner.get_ref().signals()
    }
}
// ANCHOR_END: signals

// ANCHOR: event_source
impl EventSource for Signals {
    type Event = SignalInfo;
    type Metadata = ();
    type Ret = ();
    type Error = io::Error;

    fn process_events<C>(
        &mut self,
        readiness: Readiness,
        token: Token,
        mut callback: C,
    ) -> io::Result<PostAction>
    where
        C: FnMut(SignalInfo, &mut ()),
    {
        self.inner.process_events(readiness, token, |_, signal_fd| {
            // Each read takes up to 16 pending signals; read until none is
            // left, so one event delivers them all.
            loop {
                let records = signal_fd.read()?;
                if records.is_empty() {
                    return Ok(PostAction::Continue);
                }
                for record in &records {
                    callback(SignalInfo::from(record), &mut ());
                }
            }
        })
    }

    fn register(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.register(poller, tokens)
    }

    fn reregister(&mut self, poller: &Poller, tokens: &mut TokenFactory) -> io::Result<()> {
        self.inner.reregister(poller, tokens)
    }

    fn unregister(&mut self, poller: &Poller) -> io::Result<()> {
        self.inner.unregister(poller)
    }
}
// ANCHOR_END: event_source

impl AsFd for Signals {
    /// The signalfd.
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.inner.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Signals` must be neither `Send` nor `Sync`. For each, if it were,
    /// both impls would fit and the name in `const _` would be ambiguous,
    /// which does not compile.
    #[allow(dead_code)]
    trait PicksOneIfNot<Marker, Which> {
        fn pick() {}
    }
    #[allow(dead_code)]
    struct SendMarker;
    #[allow(dead_code)]
    struct SyncMarker;
    #[allow(dead_code)]
    struct When<M>(M);
    impl<T: ?Sized, M> PicksOneIfNot<M, ()> for T {}
    impl<T: ?Sized + Send> PicksOneIfNot<SendMarker, When<SendMarker>> for T {}
    impl<T: ?Sized + Sync> PicksOneIfNot<SyncMarker, When<SyncMarker>> for T {}
    const _: fn() = <Signals as PicksOneIfNot<SendMarker, _>>::pick;
    const _: fn() = <Signals as PicksOneIfNot<SyncMarker, _>>::pick;

    #[test]
    fn codes_have_names() {
        assert_eq!(code_name(libc::SIGUSR1, libc::SI_USER), "SI_USER");
        assert_eq!(code_name(libc::SIGUSR1, libc::SI_TKILL), "SI_TKILL");
        assert_eq!(code_name(libc::SIGCHLD, libc::CLD_EXITED), "CLD_EXITED");
        // CLD_EXITED is 1, which means nothing special for SIGUSR1.
        assert_eq!(code_name(libc::SIGUSR1, libc::CLD_EXITED), "code 1");
    }
}
