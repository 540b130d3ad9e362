//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. Each test looks at fd numbers, so each runs inside
//! `assert_no_fd_leaks`, which also runs them one at a time.

use ch01_raw_syscalls::error::errno;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch09_ownership_and_fd_wrappers::solutions::{
    OwnedPidFd, delete_through_a_duplicate, read_after_a_child_started, wait_pidfd,
};
use ch09_ownership_and_fd_wrappers::{PidFd, delete_number, is_close_on_exec, number_in_use};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::Duration;
use testkit::assert_no_fd_leaks;

const PATIENCE: Option<Duration> = Some(Duration::from_secs(10));

#[test]
fn exercise_1_an_owned_fd_field_owns_the_pidfd() {
    assert_no_fd_leaks(|| {
        let (mut child, pidfd) = OwnedPidFd::spawn(&mut Command::new("true")).unwrap();
        assert!(is_close_on_exec(&pidfd).unwrap());
        let epoll = Epoll::new().unwrap();
        epoll.add(&pidfd, IN, 5).unwrap();
        let mut events = Events::with_capacity(4);
        assert_eq!(epoll.wait(&mut events, PATIENCE).unwrap(), 1);
        assert!(child.wait().unwrap().success());

        // Given up and taken back: open all along, one owner at a time.
        let number = pidfd.as_raw_fd();
        let raw = pidfd.into_raw_fd();
        assert_eq!(raw, number);
        assert!(number_in_use(raw), "into_raw_fd must not close");
        // SAFETY: `into_raw_fd` gave the pidfd up, and nothing took it since.
        let pidfd = unsafe { OwnedPidFd::from_raw_fd(raw) };
        let owned = OwnedFd::from(pidfd);
        assert_eq!(owned.as_raw_fd(), number);
        drop(owned);
        assert!(!number_in_use(number), "the last owner closed it");
    });
}

#[test]
fn exercise_1_dropping_it_closes_the_pidfd_once() {
    assert_no_fd_leaks(|| {
        let (mut child, pidfd) = OwnedPidFd::spawn(&mut Command::new("true")).unwrap();
        let number = pidfd.as_raw_fd();
        drop(pidfd);
        assert!(!number_in_use(number));
        assert!(child.wait().unwrap().success());
    });
}

/// A pipe's read end registered, level-triggered, with data in the pipe;
/// then closed while a duplicate keeps the pipe open. Returns the epoll
/// instance, the closed number, the duplicate and the write end.
fn stale_entry() -> (Epoll, i32, OwnedFd, std::io::PipeWriter) {
    let epoll = Epoll::new().unwrap();
    let (reader, mut writer) = std::io::pipe().unwrap();
    let reader = OwnedFd::from(reader);
    epoll.add(&reader, IN, 1).unwrap();
    let duplicate = reader.try_clone().unwrap();
    writer.write_all(b"x").unwrap();
    let number = reader.as_raw_fd();
    drop(reader);
    (epoll, number, duplicate, writer)
}

#[test]
fn exercise_2_a_duplicate_on_the_old_number_deletes_the_stale_entry() {
    assert_no_fd_leaks(|| {
        let (epoll, number, duplicate, _writer) = stale_entry();
        let mut events = Events::with_capacity(4);
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
        let err = delete_number(&epoll, number).unwrap_err();
        assert_eq!(errno(&err), Some(libc::EBADF), "nothing has the number");
        let err = epoll.delete(&duplicate).unwrap_err();
        assert_eq!(errno(&err), Some(libc::ENOENT), "wrong number for the key");

        delete_through_a_duplicate(&epoll, number, duplicate.as_fd()).unwrap();
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
        assert!(!number_in_use(number), "the new duplicate is closed again");
        assert!(number_in_use(duplicate.as_raw_fd()));
    });
}

#[test]
fn exercise_2_a_number_taken_meanwhile_is_left_alone() {
    assert_no_fd_leaks(|| {
        let (epoll, number, duplicate, _writer) = stale_entry();
        // Someone else gets the number first (the lowest free one).
        let (stranger, mut stranger_writer) = std::io::pipe().unwrap();
        assert_eq!(stranger.as_raw_fd(), number);

        let err = delete_through_a_duplicate(&epoll, number, duplicate.as_fd()).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::ResourceBusy);
        // The stranger's pipe is untouched: still open, still a pipe.
        stranger_writer.write_all(b"mine").unwrap();
        let mut buf = [0; 4];
        std::io::Read::read_exact(&mut &stranger, &mut buf).unwrap();
        assert_eq!(&buf, b"mine");
        // And the stale entry is still there, reporting.
        let mut events = Events::with_capacity(4);
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
    });
}

#[test]
fn exercise_3_waitid_reaps_through_the_pidfd() {
    assert_no_fd_leaks(|| {
        let mut command = Command::new("sh");
        command
            .args(["-c", "read line; exit 7"])
            .stdin(Stdio::piped());
        let (mut child, pidfd) = PidFd::spawn(&mut command).unwrap();
        let stdin = child.stdin.take().unwrap();

        // Still running (it waits for a line): WNOHANG says so.
        assert_eq!(wait_pidfd(&pidfd, false).unwrap(), None);
        drop(stdin); // end of file: `read` fails, and the shell exits 7
        let status = wait_pidfd(&pidfd, true).unwrap().expect("it ended");
        assert_eq!(status.code(), Some(7));

        // Reaped: the pid is no child of ours any more.
        let err = child.wait().unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::ECHILD));
        assert_eq!(pidfd.pid().unwrap(), None);
    });
}

#[test]
fn exercise_3_a_signal_comes_back_as_a_signal() {
    assert_no_fd_leaks(|| {
        let mut command = Command::new("sleep");
        command.arg("10").stdin(Stdio::null());
        let (_child, pidfd) = PidFd::spawn(&mut command).unwrap();
        pidfd.send_signal(libc::SIGKILL).unwrap();
        let status = wait_pidfd(&pidfd, true).unwrap().expect("it ended");
        assert_eq!(
            (status.code(), status.signal()),
            (None, Some(libc::SIGKILL))
        );
    });
}

#[test]
fn exercise_4_a_child_holds_an_inherited_write_end_open() {
    assert_no_fd_leaks(|| {
        // Without close-on-exec the child has a write end: no end of file.
        assert_eq!(read_after_a_child_started(false).unwrap(), None);
        // With it, closing ours was closing the last one.
        assert_eq!(read_after_a_child_started(true).unwrap(), Some(0));
    });
}
