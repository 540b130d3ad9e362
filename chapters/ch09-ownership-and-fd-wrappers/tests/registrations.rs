//! An epoll registration belongs to the open file description, not to the
//! descriptor number (`man 7 epoll`, questions and answers): it outlives
//! the number while any other descriptor of the file is open, in this
//! process or in a child.

use ch01_raw_syscalls::error::errno;
use ch02_interest_and_ready_lists::registrations;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch09_ownership_and_fd_wrappers::{delete_number, read_now};
use std::io::Write;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::Duration;
use testkit::assert_no_fd_leaks;

/// The tokens a wait with timeout 0 returns.
fn ready(epoll: &Epoll) -> Vec<u64> {
    let mut events = Events::with_capacity(8);
    epoll.wait(&mut events, Some(Duration::ZERO)).unwrap();
    events.iter().map(|event| event.token()).collect()
}

fn entries(epoll: &Epoll) -> usize {
    registrations(epoll.as_fd()).unwrap().len()
}

/// A pipe with one byte in it, as (reader, writer).
fn pipe_with_a_byte() -> (OwnedFd, std::io::PipeWriter) {
    let (reader, mut writer) = std::io::pipe().unwrap();
    writer.write_all(b"x").unwrap();
    (OwnedFd::from(reader), writer)
}

#[test]
fn without_a_duplicate_closing_removes_the_registration() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, _writer) = pipe_with_a_byte();
        epoll.add(&reader, IN, 1).unwrap();
        assert_eq!(ready(&epoll), [1]);
        drop(reader);
        assert_eq!(entries(&epoll), 0);
        assert!(ready(&epoll).is_empty());
    });
}

#[test]
fn with_a_duplicate_the_registration_outlives_the_number() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, _writer) = pipe_with_a_byte();
        epoll.add(&reader, IN, 1).unwrap();
        let duplicate = reader.try_clone().unwrap();
        let number = reader.as_raw_fd();
        drop(reader);

        // Still there, under the closed number, and still reporting.
        let list = registrations(epoll.as_fd()).unwrap();
        assert_eq!((list.len(), list[0].fd, list[0].token), (1, number, 1));
        assert_eq!(ready(&epoll), [1]);
        assert_eq!(ready(&epoll), [1], "level-triggered: on every wait");

        // No DEL reaches it.
        let by_number = delete_number(&epoll, number).unwrap_err();
        assert_eq!(errno(&by_number), Some(libc::EBADF));
        let by_duplicate = epoll.delete(&duplicate).unwrap_err();
        assert_eq!(errno(&by_duplicate), Some(libc::ENOENT));

        // A new descriptor with the old number is another open file: the
        // key (number, file) does not match.
        let (newcomer, _newcomer_writer) = std::io::pipe().unwrap();
        assert_eq!(newcomer.as_raw_fd(), number);
        let reused = delete_number(&epoll, number).unwrap_err();
        assert_eq!(errno(&reused), Some(libc::ENOENT));
        assert_eq!(entries(&epoll), 1);

        // Draining the file stops the events but not the registration.
        assert_eq!(read_now(duplicate.as_fd()), Ok(b"x".to_vec()));
        assert!(ready(&epoll).is_empty());
        assert_eq!(entries(&epoll), 1);

        // Closing the last descriptor of the file removes it.
        drop(duplicate);
        assert_eq!(entries(&epoll), 0);
    });
}

#[test]
fn the_old_number_and_the_old_file_together_still_name_it() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, _writer) = pipe_with_a_byte();
        epoll.add(&reader, IN, 1).unwrap();
        let duplicate = reader.try_clone().unwrap();
        let number = reader.as_raw_fd();
        drop(reader);
        // A duplicate of the same open file under the old number: the key
        // matches again, and DEL works. F_DUPFD_CLOEXEC gives the lowest
        // free number at or above `number`, which is `number` itself since
        // nothing was opened after the close; unlike dup2 it never closes
        // a descriptor that holds the number.
        // SAFETY: fcntl takes no pointer here; `duplicate` is open.
        let ret = unsafe { libc::fcntl(duplicate.as_raw_fd(), libc::F_DUPFD_CLOEXEC, number) };
        assert!(ret >= 0);
        // SAFETY: fcntl just returned `ret`, a new descriptor that nothing
        // else owns.
        let restored = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(ret) };
        assert_eq!(restored.as_raw_fd(), number);
        epoll.delete(&restored).unwrap();
        assert_eq!(entries(&epoll), 0);
        drop((restored, duplicate));
    });
}

#[test]
fn a_child_holding_the_file_keeps_the_registration_alive() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, _writer) = pipe_with_a_byte();
        epoll.add(&reader, IN, 1).unwrap();
        // The child gets the pipe as its standard input: Command dup2s a
        // duplicate onto the child's fd 0, and the parent's copy of that
        // duplicate is closed once the child has started.
        let mut child = Command::new("sleep")
            .arg("10")
            .stdin(Stdio::from(reader.try_clone().unwrap()))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        drop(reader);
        // This process has no descriptor for the pipe's read end any more.
        assert_eq!(entries(&epoll), 1);
        assert_eq!(ready(&epoll), [1]);

        child.kill().unwrap();
        child.wait().unwrap();
        // The child's fd 0 was the last one.
        assert_eq!(entries(&epoll), 0);
        assert!(ready(&epoll).is_empty());
    });
}

#[test]
fn delete_before_close_leaves_nothing_behind_even_with_a_duplicate() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let (reader, _writer) = pipe_with_a_byte();
        epoll.add(&reader, IN, 1).unwrap();
        let duplicate = reader.try_clone().unwrap();
        epoll.delete(&reader).unwrap();
        drop(reader);
        assert_eq!(entries(&epoll), 0);
        assert!(ready(&epoll).is_empty());
        drop(duplicate);
    });
}
