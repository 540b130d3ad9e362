//! One behaviour suite, run twice: against the book's `Epoll` and against
//! rustix's `epoll`. Each test is written once, generic over the `Poller`
//! trait in `tests/common/mod.rs`; the macro at the end instantiates every
//! test for each implementation, so a test name such as
//! `rustix::one_shot_reports_once_until_modified` says which one failed.

mod common;

use ch01_raw_syscalls::consts::errno::{EEXIST, EINVAL, ENOENT, EPERM};
use ch01_raw_syscalls::errno;
use ch04_libc_and_a_safe_wrapper::{ERR, ET, EXCLUSIVE, HUP, IN, ONESHOT, OUT};
use common::Poller;
use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, PipeReader, PipeWriter, Read, Write};
use std::os::fd::AsFd;
use std::thread;
use std::time::{Duration, Instant};

/// Room for more events than any test makes.
const ROOM: usize = 16;

fn pipe() -> (PipeReader, PipeWriter) {
    io::pipe().expect("creating a pipe")
}

fn poll<P: Poller>(p: &P) -> Vec<(u64, u32)> {
    p.wait(ROOM, Some(Duration::ZERO))
        .expect("a zero-timeout wait")
}

fn level_triggered_reports_a_ready_fd_on_every_wait<P: Poller>() {
    let p = P::create().unwrap();
    let (mut reader, mut writer) = pipe();
    p.add(reader.as_fd(), IN, 1).unwrap();
    assert_eq!(poll(&p), []);
    writer.write_all(b"ab").unwrap();
    assert_eq!(poll(&p), [(1, IN)]);
    assert_eq!(poll(&p), [(1, IN)], "still readable, so still reported");
    reader.read_exact(&mut [0; 2]).unwrap();
    assert_eq!(poll(&p), []);
}

fn edge_triggered_reports_each_change_once<P: Poller>() {
    let p = P::create().unwrap();
    let (reader, mut writer) = pipe();
    p.add(reader.as_fd(), IN | ET, 1).unwrap();
    writer.write_all(b"a").unwrap();
    assert_eq!(poll(&p), [(1, IN)]);
    assert_eq!(poll(&p), [], "readable, but nothing changed");
    writer.write_all(b"b").unwrap();
    assert_eq!(poll(&p), [(1, IN)], "new data is a new edge");
}

fn one_shot_reports_once_until_modified<P: Poller>() {
    let p = P::create().unwrap();
    let (reader, mut writer) = pipe();
    p.add(reader.as_fd(), IN | ONESHOT, 1).unwrap();
    writer.write_all(b"a").unwrap();
    assert_eq!(poll(&p), [(1, IN)]);
    assert_eq!(poll(&p), [], "disabled after one event");
    p.modify(reader.as_fd(), IN | ONESHOT, 2).unwrap();
    assert_eq!(poll(&p), [(2, IN)], "re-armed, with the new token");
}

fn tokens_come_back_unchanged<P: Poller>() {
    let p = P::create().unwrap();
    let tokens = [0, 1, 1 << 63, 0x0123_4567_89ab_cdef, u64::MAX];
    let mut pipes = Vec::new();
    for token in tokens {
        let (reader, mut writer) = pipe();
        p.add(reader.as_fd(), IN, token).unwrap();
        writer.write_all(b"x").unwrap();
        pipes.push((reader, writer));
    }
    let got: BTreeSet<u64> = poll(&p).into_iter().map(|(token, _)| token).collect();
    assert_eq!(got, BTreeSet::from(tokens));
}

fn modify_replaces_mask_and_token_and_delete_removes<P: Poller>() {
    let p = P::create().unwrap();
    let (_reader, writer) = pipe();
    p.add(writer.as_fd(), IN, 1).unwrap();
    assert_eq!(poll(&p), [], "a write end is never readable");
    p.modify(writer.as_fd(), OUT, 2).unwrap();
    assert_eq!(poll(&p), [(2, OUT)]);
    p.delete(writer.as_fd()).unwrap();
    assert_eq!(poll(&p), []);
    p.add(writer.as_fd(), OUT, 3).unwrap();
    assert_eq!(poll(&p), [(3, OUT)], "deleted entries can be added again");
}

fn hangup_and_error_come_unasked<P: Poller>() {
    let p = P::create().unwrap();
    let (reader, writer) = pipe();
    let (other_reader, other_writer) = pipe();
    p.add(reader.as_fd(), 0, 1).unwrap();
    p.add(other_writer.as_fd(), 0, 2).unwrap();
    drop(writer);
    drop(other_reader);
    let mut got = poll(&p);
    got.sort_unstable();
    assert_eq!(got, [(1, HUP), (2, ERR)]);
}

fn adding_twice_is_eexist<P: Poller>() {
    let p = P::create().unwrap();
    let (reader, _writer) = pipe();
    p.add(reader.as_fd(), IN, 1).unwrap();
    let err = p.add(reader.as_fd(), IN, 1).unwrap_err();
    assert_eq!(errno(&err), Some(EEXIST));
    assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
}

fn modify_or_delete_of_a_stranger_is_enoent<P: Poller>() {
    let p = P::create().unwrap();
    let (reader, _writer) = pipe();
    let err = p.modify(reader.as_fd(), IN, 1).unwrap_err();
    assert_eq!(errno(&err), Some(ENOENT));
    let err = p.delete(reader.as_fd()).unwrap_err();
    assert_eq!(errno(&err), Some(ENOENT));
    assert_eq!(err.kind(), io::ErrorKind::NotFound);
}

fn a_regular_file_is_eperm<P: Poller>() {
    let p = P::create().unwrap();
    let file = File::open(std::env::current_exe().unwrap()).unwrap();
    let err = p.add(file.as_fd(), IN, 1).unwrap_err();
    assert_eq!(errno(&err), Some(EPERM));
    assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
}

fn adding_the_instance_to_itself_is_einval<P: Poller>() {
    let p = P::create().unwrap();
    let err = p.add(p.as_fd(), IN, 1).unwrap_err();
    assert_eq!(errno(&err), Some(EINVAL));
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
}

fn exclusive_is_allowed_on_add_only<P: Poller>() {
    let p = P::create().unwrap();
    let (reader, _writer) = pipe();
    p.add(reader.as_fd(), IN | EXCLUSIVE, 1).unwrap();
    let err = p.modify(reader.as_fd(), IN | EXCLUSIVE, 1).unwrap_err();
    assert_eq!(errno(&err), Some(EINVAL));
}

fn a_buffer_with_no_room_is_einval<P: Poller>() {
    let p = P::create().unwrap();
    let err = p.wait(0, Some(Duration::ZERO)).unwrap_err();
    assert_eq!(errno(&err), Some(EINVAL));
}

fn a_small_buffer_takes_turns<P: Poller>() {
    let p = P::create().unwrap();
    let mut pipes = Vec::new();
    for token in 0..5 {
        let (reader, mut writer) = pipe();
        p.add(reader.as_fd(), IN, token).unwrap();
        writer.write_all(b"x").unwrap();
        pipes.push((reader, writer));
    }
    let mut seen = BTreeSet::new();
    for _ in 0..3 {
        let got = p.wait(2, Some(Duration::ZERO)).unwrap();
        assert_eq!(got.len(), 2, "the buffer's room is the limit");
        let tokens: BTreeSet<u64> = got.iter().map(|&(token, _)| token).collect();
        assert_eq!(tokens.len(), 2, "no fd twice in one wait");
        seen.extend(tokens);
    }
    assert_eq!(seen, (0..5).collect(), "three waits of two reach all five");
}

fn a_zero_timeout_only_looks<P: Poller>() {
    let p = P::create().unwrap();
    assert_eq!(p.wait(ROOM, Some(Duration::ZERO)).unwrap(), []);
}

fn a_timeout_waits_at_least_that_long<P: Poller>() {
    let p = P::create().unwrap();
    let (reader, _writer) = pipe();
    p.add(reader.as_fd(), IN, 1).unwrap();
    let start = Instant::now();
    assert_eq!(p.wait(ROOM, Some(Duration::from_millis(30))).unwrap(), []);
    assert!(start.elapsed() >= Duration::from_millis(30));
}

fn a_microsecond_is_rounded_up_to_a_millisecond<P: Poller>() {
    let p = P::create().unwrap();
    let start = Instant::now();
    assert_eq!(p.wait(ROOM, Some(Duration::from_micros(1))).unwrap(), []);
    assert!(start.elapsed() >= Duration::from_millis(1));
}

fn a_wait_without_timeout_ends_with_an_event<P: Poller>() {
    let p = P::create().unwrap();
    let (reader, mut writer) = pipe();
    p.add(reader.as_fd(), IN, 7).unwrap();
    let got = thread::scope(|scope| {
        // The writer is handed back, not dropped: closing it would add HUP.
        let writing = scope.spawn(move || {
            thread::sleep(Duration::from_millis(20));
            writer.write_all(b"x").unwrap();
            writer
        });
        let got = p.wait(ROOM, None).unwrap();
        drop(writing.join().unwrap());
        got
    });
    assert_eq!(got, [(7, IN)]);
}

fn a_month_long_timeout_still_returns_what_is_ready<P: Poller>() {
    let p = P::create().unwrap();
    let (reader, mut writer) = pipe();
    p.add(reader.as_fd(), IN, 7).unwrap();
    writer.write_all(b"x").unwrap();
    let month = Duration::from_secs(31 * 24 * 3600); // more than i32::MAX ms
    assert_eq!(p.wait(ROOM, Some(month)).unwrap(), [(7, IN)]);
}

// ANCHOR: suite_macro
/// Instantiates every test above for one implementation, in a module of its
/// own.
macro_rules! suite {
    ($module:ident, $poller:ty) => {
        mod $module {
            suite!(@tests $poller;
                level_triggered_reports_a_ready_fd_on_every_wait,
                edge_triggered_reports_each_change_once,
                one_shot_reports_once_until_modified,
                tokens_come_back_unchanged,
                modify_replaces_mask_and_token_and_delete_removes,
                hangup_and_error_come_unasked,
                adding_twice_is_eexist,
                modify_or_delete_of_a_stranger_is_enoent,
                a_regular_file_is_eperm,
                adding_the_instance_to_itself_is_einval,
                exclusive_is_allowed_on_add_only,
                a_buffer_with_no_room_is_einval,
                a_small_buffer_takes_turns,
                a_zero_timeout_only_looks,
                a_timeout_waits_at_least_that_long,
                a_microsecond_is_rounded_up_to_a_millisecond,
                a_wait_without_timeout_ends_with_an_event,
                a_month_long_timeout_still_returns_what_is_ready,
            );
        }
    };
    (@tests $poller:ty; $($test:ident),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                super::$test::<$poller>();
            }
        )*
    };
}

suite!(book, ch04_libc_and_a_safe_wrapper::Epoll);
suite!(rustix, crate::common::Rustix);
// ANCHOR_END: suite_macro
