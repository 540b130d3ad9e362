//! The rules of the eventfd counter, each as `man 2 eventfd` states it,
//! checked on the running kernel.

use ch01_raw_syscalls::error::{errno, failed_call};
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN, OUT};
use ch05_eventfd_wakeups::{EventFd, INVALID_VALUE, MAX_COUNT, Tid, VALUE_SIZE};
use std::io::ErrorKind;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(5);

fn nonblocking(initval: u32) -> EventFd {
    EventFd::new(initval, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC).unwrap()
}

/// The event bits epoll reports for `eventfd`, registered for both
/// directions, right now (0 if it reports nothing).
fn readiness(eventfd: &EventFd) -> u32 {
    let epoll = Epoll::new().unwrap();
    epoll.add(eventfd, IN | OUT, 7).unwrap();
    let mut events = Events::with_capacity(4);
    epoll.wait(&mut events, Some(Duration::ZERO)).unwrap();
    events.iter().map(|event| event.events()).sum()
}

#[test]
fn the_counter_starts_at_initval() {
    assert_eq!(nonblocking(0).peek().unwrap(), 0);
    assert_eq!(nonblocking(42).peek().unwrap(), 42);
    assert_eq!(nonblocking(u32::MAX).read().unwrap(), u64::from(u32::MAX));
}

#[test]
fn writes_add_and_a_read_takes_everything_and_resets_to_zero() {
    let eventfd = nonblocking(3);
    eventfd.write(4).unwrap();
    eventfd.write(5).unwrap();
    assert_eq!(eventfd.peek().unwrap(), 12);
    assert_eq!(eventfd.read().unwrap(), 12);
    assert_eq!(eventfd.peek().unwrap(), 0);
}

#[test]
fn a_buffer_shorter_than_eight_bytes_is_refused_both_ways() {
    let eventfd = nonblocking(5);
    for short in 0..VALUE_SIZE {
        let err = eventfd.read_bytes(&mut vec![0; short]).unwrap_err();
        assert_eq!(errno(&err), Some(libc::EINVAL), "read of {short} bytes");
        assert_eq!(failed_call(&err), Some("read(eventfd)"));
        let err = eventfd.write_bytes(&vec![1; short]).unwrap_err();
        assert_eq!(errno(&err), Some(libc::EINVAL), "write of {short} bytes");
        assert_eq!(failed_call(&err), Some("write(eventfd)"));
    }
    // Nothing moved: the counter is still 5.
    assert_eq!(eventfd.peek().unwrap(), 5);
}

#[test]
fn a_longer_read_buffer_still_gets_exactly_eight_bytes() {
    let eventfd = nonblocking(2);
    let mut out = [0xaau8; 16];
    assert_eq!(eventfd.read_bytes(&mut out).unwrap(), 8);
    assert_eq!(out[..8], 2u64.to_ne_bytes());
    assert_eq!(out[8..], [0xaa; 8]); // untouched
}

#[test]
fn a_longer_write_never_adds_more_than_one_value() {
    // `man 2 eventfd` refuses only writes shorter than eight bytes. Kernels
    // differ on longer ones: older kernels take the first eight bytes, this
    // book's kernel (6.18) refuses them with EINVAL as well.
    let eventfd = nonblocking(0);
    let mut sixteen = [0u8; 16];
    sixteen[..8].copy_from_slice(&2u64.to_ne_bytes());
    sixteen[8..].copy_from_slice(&1000u64.to_ne_bytes());
    match eventfd.write_bytes(&sixteen) {
        Ok(n) => {
            assert_eq!(n, 8);
            assert_eq!(eventfd.peek().unwrap(), 2); // the second u64 was ignored
        }
        Err(err) => {
            assert_eq!(errno(&err), Some(libc::EINVAL));
            assert_eq!(eventfd.peek().unwrap(), 0);
        }
    }
}

#[test]
fn semaphore_mode_reads_one_at_a_time() {
    let eventfd = EventFd::new(3, libc::EFD_SEMAPHORE | libc::EFD_NONBLOCK).unwrap();
    eventfd.write(2).unwrap();
    for left in (0..5).rev() {
        assert_eq!(eventfd.read().unwrap(), 1);
        assert_eq!(eventfd.peek().unwrap(), left);
    }
    let err = eventfd.read().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    assert_eq!(errno(&err), Some(libc::EAGAIN));
}

#[test]
fn semaphore_mode_is_readable_until_the_last_unit_is_taken() {
    let eventfd = EventFd::new(2, libc::EFD_SEMAPHORE | libc::EFD_NONBLOCK).unwrap();
    assert_eq!(readiness(&eventfd), IN | OUT);
    eventfd.read().unwrap();
    assert_eq!(readiness(&eventfd), IN | OUT);
    eventfd.read().unwrap();
    assert_eq!(readiness(&eventfd), OUT);
}

#[test]
fn reading_a_zero_counter_fails_with_eagain_when_nonblocking() {
    let err = nonblocking(0).read().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    assert_eq!(errno(&err), Some(libc::EAGAIN));
    assert_eq!(failed_call(&err), Some("read(eventfd)"));
}

#[test]
fn reading_a_zero_counter_blocks_until_a_write() {
    let eventfd = EventFd::new(0, libc::EFD_CLOEXEC).unwrap();
    let (tid_tx, tid_rx) = mpsc::channel();
    thread::scope(|scope| {
        let reader = scope.spawn(|| {
            tid_tx.send(Tid::current()).unwrap();
            eventfd.read()
        });
        let tid = tid_rx.recv().unwrap();
        let blocked = tid.wait_until_blocked_in("", PATIENCE);
        let finished_early = reader.is_finished();
        // Release the reader before any assertion, so that a failure
        // cannot leave the scope waiting for it forever.
        eventfd.write(9).unwrap();
        assert_eq!(reader.join().unwrap().unwrap(), 9);
        blocked.unwrap();
        assert!(!finished_early);
    });
    assert_eq!(eventfd.peek().unwrap(), 0);
}

#[test]
fn the_counter_holds_at_most_u64_max_minus_one() {
    let eventfd = nonblocking(0);
    eventfd.write(MAX_COUNT).unwrap();
    assert_eq!(eventfd.peek().unwrap(), 0xffff_ffff_ffff_fffe);
    let err = eventfd.write(1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WouldBlock);
    assert_eq!(errno(&err), Some(libc::EAGAIN));
    assert_eq!(failed_call(&err), Some("write(eventfd)"));
    assert_eq!(eventfd.peek().unwrap(), MAX_COUNT);
    // Adding 0 never passes the maximum, so it succeeds even now.
    eventfd.write(0).unwrap();
    assert_eq!(eventfd.read().unwrap(), MAX_COUNT);
}

#[test]
fn a_write_that_would_pass_the_maximum_fails_whole() {
    let eventfd = nonblocking(10);
    let err = eventfd.write(MAX_COUNT - 9).unwrap_err();
    assert_eq!(errno(&err), Some(libc::EAGAIN));
    assert_eq!(eventfd.peek().unwrap(), 10); // nothing was added
    eventfd.write(MAX_COUNT - 10).unwrap();
    assert_eq!(eventfd.peek().unwrap(), MAX_COUNT);
}

#[test]
fn a_blocking_write_past_the_maximum_waits_for_a_read() {
    let eventfd = EventFd::new(0, libc::EFD_CLOEXEC).unwrap();
    eventfd.write(MAX_COUNT).unwrap();
    let (tid_tx, tid_rx) = mpsc::channel();
    thread::scope(|scope| {
        let writer = scope.spawn(|| {
            tid_tx.send(Tid::current()).unwrap();
            eventfd.write(1)
        });
        let tid = tid_rx.recv().unwrap();
        let blocked = tid.wait_until_blocked_in("", PATIENCE);
        let finished_early = writer.is_finished();
        // Release the writer before any assertion (see above).
        assert_eq!(eventfd.read().unwrap(), MAX_COUNT);
        writer.join().unwrap().unwrap();
        blocked.unwrap();
        assert!(!finished_early);
    });
    assert_eq!(eventfd.peek().unwrap(), 1);
}

#[test]
fn u64_max_is_never_a_valid_value() {
    let eventfd = nonblocking(0);
    let err = eventfd.write(INVALID_VALUE).unwrap_err();
    assert_eq!(errno(&err), Some(libc::EINVAL));
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(failed_call(&err), Some("write(eventfd)"));
    assert_eq!(eventfd.peek().unwrap(), 0);
    // Also on a blocking eventfd: EINVAL, not a wait.
    let blocking = EventFd::new(0, libc::EFD_CLOEXEC).unwrap();
    assert_eq!(
        errno(&blocking.write(INVALID_VALUE).unwrap_err()),
        Some(libc::EINVAL)
    );
}

#[test]
fn readable_means_above_zero_and_writable_means_one_more_fits() {
    let eventfd = nonblocking(0);
    assert_eq!(readiness(&eventfd), OUT);
    eventfd.write(1).unwrap();
    assert_eq!(readiness(&eventfd), IN | OUT);
    eventfd.write(MAX_COUNT - 2).unwrap(); // now MAX_COUNT - 1: one more fits
    assert_eq!(readiness(&eventfd), IN | OUT);
    eventfd.write(1).unwrap(); // now MAX_COUNT: full
    assert_eq!(readiness(&eventfd), IN);
    eventfd.read().unwrap();
    assert_eq!(readiness(&eventfd), OUT);
}

#[test]
fn unknown_flags_are_refused_with_the_call_named() {
    let err = EventFd::new(0, libc::O_APPEND).unwrap_err();
    assert_eq!(errno(&err), Some(libc::EINVAL));
    assert_eq!(failed_call(&err), Some("eventfd"));
}
