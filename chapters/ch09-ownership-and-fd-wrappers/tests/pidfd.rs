//! `PidFd` follows `pidfd_open(2)`'s rules and owns its descriptor the way
//! `OwnedFd` does.

use ch01_raw_syscalls::error::{errno, failed_call};
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, HUP, IN};
use ch09_ownership_and_fd_wrappers::{PidFd, is_close_on_exec, number_in_use};
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use testkit::assert_no_fd_leaks;

/// A `sleep 10` and its pidfd.
fn sleeper() -> (Child, PidFd) {
    let mut command = Command::new("sleep");
    command.arg("10").stdin(Stdio::null()).stdout(Stdio::null());
    PidFd::spawn(&mut command).unwrap()
}

fn stop(child: &mut Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn it_is_close_on_exec_and_names_the_child() {
    assert_no_fd_leaks(|| {
        let (mut child, pidfd) = sleeper();
        assert!(is_close_on_exec(&pidfd).unwrap());
        let pid = libc::pid_t::try_from(child.id()).unwrap();
        assert_eq!(pidfd.pid().unwrap(), Some(pid));
        let target = std::fs::read_link(format!("/proc/self/fd/{}", pidfd.as_raw_fd())).unwrap();
        assert_eq!(target.to_str(), Some("anon_inode:[pidfd]"));
        drop(pidfd);
        stop(&mut child);
    });
}

#[test]
fn epoll_reports_the_end_of_the_process() {
    assert_no_fd_leaks(|| {
        let (mut child, pidfd) = sleeper();
        let epoll = Epoll::new().unwrap();
        epoll.add(&pidfd, IN, 3).unwrap();
        let mut events = Events::with_capacity(2);
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);

        pidfd.send_signal(libc::SIGKILL).unwrap();
        let limit = Some(Duration::from_secs(10));
        assert_eq!(epoll.wait(&mut events, limit).unwrap(), 1);
        let event = events.iter().next().unwrap();
        assert_eq!((event.token(), event.events()), (3, IN));

        // The status still comes from wait; then EPOLLHUP joins EPOLLIN.
        assert_eq!(child.wait().unwrap().signal(), Some(libc::SIGKILL));
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
        assert_eq!(events.iter().next().unwrap().events(), IN | HUP);

        // Nothing can be read from it.
        let mut buf = [0u8; 8];
        // SAFETY: `buf` is valid for 8 bytes; the pidfd is open.
        let ret = unsafe { libc::read(pidfd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        assert_eq!(ret, -1);
        assert_eq!(
            std::io::Error::last_os_error().raw_os_error(),
            Some(libc::EINVAL)
        );
    });
}

#[test]
fn after_reaping_it_reaches_no_process() {
    assert_no_fd_leaks(|| {
        let (mut child, pidfd) = sleeper();
        stop(&mut child);
        assert_eq!(pidfd.pid().unwrap(), None);
        let err = pidfd.send_signal(libc::SIGTERM).unwrap_err();
        assert_eq!(errno(&err), Some(libc::ESRCH));
        assert_eq!(failed_call(&err), Some("pidfd_send_signal"));
    });
}

#[test]
fn a_child_that_ends_at_once_is_watched_all_the_same() {
    // The child may end before pidfd_open runs; it is a zombie then, not
    // reaped, and the pidfd refers to it.
    assert_no_fd_leaks(|| {
        let (mut child, pidfd) = PidFd::spawn(&mut Command::new("true")).unwrap();
        let epoll = Epoll::new().unwrap();
        epoll.add(&pidfd, IN, 1).unwrap();
        let mut events = Events::with_capacity(1);
        let limit = Some(Duration::from_secs(10));
        assert_eq!(epoll.wait(&mut events, limit).unwrap(), 1);
        assert!(child.wait().unwrap().success());
    });
}

#[test]
fn it_refuses_while_the_kernel_reaps_children_by_itself() {
    assert_no_fd_leaks(|| {
        let marker = std::env::temp_dir().join(format!("epoll-book-ch09-{}", std::process::id()));
        let mut touch = Command::new("touch");
        touch.arg(&marker);

        let previous = set_sigchld(&sigchld_action(libc::SIG_IGN, 0));
        let ignored = PidFd::spawn(&mut touch).map(drop);
        set_sigchld(&previous);
        let previous = set_sigchld(&sigchld_action(libc::SIG_DFL, libc::SA_NOCLDWAIT));
        let nocldwait = PidFd::spawn(&mut touch).map(drop);
        set_sigchld(&previous);

        let err = ignored.unwrap_err();
        assert_eq!(errno(&err), Some(libc::EINVAL));
        assert_eq!(failed_call(&err), Some("pidfd_open"));
        assert_eq!(errno(&nocldwait.unwrap_err()), Some(libc::EINVAL));
        assert!(!marker.exists(), "nothing was started");
    });
}

fn sigchld_action(handler: libc::sighandler_t, flags: libc::c_int) -> libc::sigaction {
    // SAFETY: all zeros is a valid sigaction: no handler, an empty mask,
    // no flags, no restorer. Two fields are set below.
    let mut action = unsafe { MaybeUninit::<libc::sigaction>::zeroed().assume_init() };
    action.sa_sigaction = handler;
    action.sa_flags = flags;
    action
}

/// Installs `action` for SIGCHLD and returns the one it replaced.
fn set_sigchld(action: &libc::sigaction) -> libc::sigaction {
    let mut previous = MaybeUninit::<libc::sigaction>::uninit();
    // SAFETY: both pointers are valid: `action` for reading, `previous` for
    // writing one sigaction.
    let ret = unsafe { libc::sigaction(libc::SIGCHLD, action, previous.as_mut_ptr()) };
    assert_eq!(ret, 0);
    // SAFETY: sigaction succeeded, so it wrote `previous`.
    unsafe { previous.assume_init() }
}

#[test]
fn drop_closes_exactly_its_own_descriptor() {
    assert_no_fd_leaks(|| {
        let (mut child, pidfd) = sleeper();
        let number = pidfd.as_raw_fd();
        drop(pidfd);
        assert!(!number_in_use(number));
        stop(&mut child);
    });
}

#[test]
fn ownership_moves_out_and_back_in() {
    assert_no_fd_leaks(|| {
        let (mut child, pidfd) = sleeper();
        let number = pidfd.as_raw_fd();

        // IntoRawFd: no Drop runs, the number stays open.
        let raw = pidfd.into_raw_fd();
        assert_eq!(raw, number);
        assert!(number_in_use(raw));
        // FromRawFd: owned again.
        // SAFETY: `into_raw_fd` gave up ownership of `raw`, a pidfd, and
        // nothing took it since.
        let pidfd = unsafe { PidFd::from_raw_fd(raw) };
        assert!(pidfd.pid().unwrap().is_some());

        // From<PidFd> for OwnedFd: the same descriptor, now an OwnedFd.
        let owned = OwnedFd::from(pidfd);
        assert_eq!(owned.as_raw_fd(), number);
        let epoll = Epoll::new().unwrap();
        epoll.add(owned.as_fd(), IN, 1).unwrap();
        drop(owned);
        assert!(!number_in_use(number));
        stop(&mut child);
    });
}

#[test]
fn signal_zero_checks_that_the_process_is_there() {
    // With signal 0 the kernel only checks that the process exists and
    // may be signalled: `man 2 kill` describes signal 0, and
    // pidfd_send_signal takes it too.
    assert_no_fd_leaks(|| {
        let (mut child, pidfd) = sleeper();
        pidfd.send_signal(0).unwrap();
        assert!(
            child.try_wait().unwrap().is_none(),
            "signal 0 is only a check"
        );
        drop(pidfd);
        stop(&mut child);
    });
}
