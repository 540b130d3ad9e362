//! The `Waker`: what it registers, how wakes coalesce, what a full counter
//! does, and that it wakes a thread that is really blocked.

use ch04_libc_and_a_safe_wrapper::{ERR, Epoll, Events, HUP, IN};
use ch05_eventfd_wakeups::{MAX_COUNT, Tid, Waker};
use std::fs;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(5);

/// `(token, events)` of everything ready now.
fn ready(epoll: &Epoll) -> Vec<(u64, u32)> {
    let mut events = Events::with_capacity(8);
    epoll.wait(&mut events, Some(Duration::ZERO)).unwrap();
    events.iter().map(|e| (e.token(), e.events())).collect()
}

/// The event masks of the interest list, from `/proc/self/fdinfo`
/// (`events:` is hexadecimal).
fn registered_masks(epoll: &Epoll) -> Vec<u32> {
    fs::read_to_string(format!("/proc/self/fdinfo/{}", epoll.as_raw_fd()))
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("tfd:"))
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = words.iter().position(|w| *w == "events:").unwrap();
            u32::from_str_radix(words[at + 1], 16).unwrap()
        })
        .collect()
}

#[test]
fn a_waker_registers_for_reading_level_triggered_with_its_token() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 42).unwrap();
    assert_eq!(waker.token(), 42);
    // IN only (the kernel adds ERR and HUP to every entry); no ET bit.
    assert_eq!(registered_masks(&epoll), [IN | ERR | HUP]);
    assert!(ready(&epoll).is_empty());
    waker.wake().unwrap();
    assert_eq!(ready(&epoll), [(42, IN)]);
}

#[test]
fn a_waker_eventfd_is_nonblocking_and_close_on_exec() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 0).unwrap();
    let fd = waker.eventfd().as_raw_fd();
    // SAFETY: F_GETFD/F_GETFL only read the flags of `fd`, which is open.
    let (fd_flags, file_flags) = unsafe {
        (
            libc::fcntl(fd, libc::F_GETFD),
            libc::fcntl(fd, libc::F_GETFL),
        )
    };
    assert_ne!(fd_flags & libc::FD_CLOEXEC, 0);
    assert_ne!(file_flags & libc::O_NONBLOCK, 0);
}

#[test]
fn many_wakes_from_many_threads_coalesce_into_one_event() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 9).unwrap();
    thread::scope(|scope| {
        for _ in 0..4 {
            let waker = waker.clone();
            scope.spawn(move || {
                for _ in 0..250 {
                    waker.wake().unwrap();
                }
            });
        }
    });
    let mut events = Events::with_capacity(8);
    assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
    assert_eq!(events.iter().next().unwrap().token(), 9);
    assert_eq!(waker.eventfd().peek().unwrap(), 1000);
    assert_eq!(waker.drain().unwrap(), 1000);
    assert!(ready(&epoll).is_empty());
}

#[test]
fn an_undrained_wake_is_reported_again_and_again() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 1).unwrap();
    waker.wake().unwrap();
    for _ in 0..5 {
        assert_eq!(ready(&epoll), [(1, IN)]);
    }
    assert_eq!(waker.drain().unwrap(), 1);
    assert!(ready(&epoll).is_empty());
}

#[test]
fn draining_with_nothing_to_drain_returns_zero() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 1).unwrap();
    assert_eq!(waker.drain().unwrap(), 0);
    waker.wake().unwrap();
    assert_eq!(waker.drain().unwrap(), 1);
    assert_eq!(waker.drain().unwrap(), 0);
}

#[test]
fn waking_a_full_counter_is_not_an_error_and_still_wakes() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 3).unwrap();
    waker.eventfd().write(MAX_COUNT).unwrap();
    assert!(waker.eventfd().write(1).is_err()); // full: a raw write fails
    waker.wake().unwrap(); // a wake does not
    assert_eq!(waker.eventfd().peek().unwrap(), MAX_COUNT);
    assert_eq!(ready(&epoll), [(3, IN)]);
    assert_eq!(waker.drain().unwrap(), MAX_COUNT);
    assert!(ready(&epoll).is_empty());
    // And the waker works as before.
    waker.wake().unwrap();
    assert_eq!(waker.drain().unwrap(), 1);
}

#[test]
fn a_full_counter_wakes_a_blocked_loop() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 5).unwrap();
    let (tid_tx, tid_rx) = mpsc::channel();
    thread::scope(|scope| {
        let looper = scope.spawn(|| {
            tid_tx.send(Tid::current()).unwrap();
            let mut events = Events::with_capacity(4);
            // Bounded, so a lost wake fails the test instead of hanging it.
            epoll.wait(&mut events, Some(PATIENCE)).unwrap();
            events.iter().map(|e| e.token()).collect::<Vec<_>>()
        });
        let blocked = tid_rx
            .recv()
            .unwrap()
            .wait_until_blocked_in("epoll", PATIENCE);
        waker.eventfd().write(MAX_COUNT).unwrap(); // full, in one write
        waker.wake().unwrap(); // finds it full: Ok, and adds nothing
        assert_eq!(looper.join().unwrap(), [5]);
        blocked.unwrap();
    });
    assert_eq!(waker.drain().unwrap(), MAX_COUNT);
}

#[test]
fn a_wake_makes_a_wait_with_no_timeout_return() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 11).unwrap();
    // The wait has no timeout, which is the point. So that a broken waker
    // fails this test instead of hanging it, a rescue thread writes to a
    // second registered pipe (token 99) if the loop has not returned
    // within PATIENCE; the assertion below then fails on the token.
    let (rescue_reader, mut rescue_writer) = std::io::pipe().unwrap();
    epoll.add(&rescue_reader, IN, 99).unwrap();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let (tid_tx, tid_rx) = mpsc::channel();
    thread::scope(|scope| {
        scope.spawn(move || {
            if done_rx.recv_timeout(PATIENCE * 2).is_err() {
                rescue_writer.write_all(b"!").unwrap();
            }
        });
        let looper = scope.spawn(|| {
            tid_tx.send(Tid::current()).unwrap();
            let mut events = Events::with_capacity(4);
            let n = epoll.wait(&mut events, None).unwrap();
            let tokens: Vec<u64> = events.iter().map(|e| e.token()).collect();
            (n, tokens, waker.drain().unwrap())
        });
        let blocked = tid_rx
            .recv()
            .unwrap()
            .wait_until_blocked_in("epoll", PATIENCE);
        let finished_early = looper.is_finished();
        waker.wake().unwrap();
        let woken = looper.join().unwrap();
        done_tx.send(()).unwrap();
        assert_eq!(woken, (1, vec![11], 1));
        blocked.unwrap();
        assert!(!finished_early);
    });
}

#[test]
fn a_wake_before_the_wait_is_not_lost() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 2).unwrap();
    waker.wake().unwrap();
    let looper = {
        let waker = waker.clone();
        thread::spawn(move || {
            let mut events = Events::with_capacity(4);
            let n = epoll.wait(&mut events, Some(PATIENCE)).unwrap();
            (n, waker.drain().unwrap())
        })
    };
    assert_eq!(looper.join().unwrap(), (1, 1));
}

#[test]
fn clones_share_one_eventfd() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 4).unwrap();
    let clone = waker.clone();
    assert_eq!(clone.eventfd().as_raw_fd(), waker.eventfd().as_raw_fd());
    assert_eq!(clone.token(), 4);
    clone.wake().unwrap();
    waker.wake().unwrap();
    assert_eq!(ready(&epoll), [(4, IN)]);
    assert_eq!(waker.drain().unwrap(), 2);
}

#[test]
fn dropping_the_last_clone_takes_the_waker_out_of_the_interest_list() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 4).unwrap();
    let clone = waker.clone();
    drop(waker);
    assert_eq!(registered_masks(&epoll).len(), 1); // the clone keeps it open
    drop(clone);
    assert!(registered_masks(&epoll).is_empty());
}

#[test]
fn a_waker_outliving_its_epoll_still_wakes_without_error() {
    let epoll = Epoll::new().unwrap();
    let waker = Waker::new(&epoll, 4).unwrap();
    drop(epoll);
    waker.wake().unwrap();
    assert_eq!(waker.drain().unwrap(), 1);
}
