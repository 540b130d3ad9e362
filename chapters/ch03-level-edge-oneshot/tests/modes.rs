//! Level-triggered, edge-triggered and one-shot notification, and what
//! `EPOLL_CTL_MOD` does to each, on pipes and on stream sockets.

use ch01_raw_syscalls::consts::errno::EEXIST;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLERR, EPOLLET, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT, O_CLOEXEC,
    O_NONBLOCK, epoll_create1, errno, pipe2, read, write,
};
use ch02_interest_and_ready_lists::{add, delete, modify, registrations};
use ch03_level_edge_oneshot::{Mode, Stop, read_until_would_block, ready_now};
use std::io::Write;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;

/// `[epoll, read end, write end]`: a nonblocking pipe whose read end is
/// registered for EPOLLIN in `mode`, token 1.
fn watched_pipe(mode: Mode) -> [OwnedFd; 3] {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN | mode.flag(), 1).unwrap();
    [epoll, reader, writer]
}

fn ready(epoll: BorrowedFd<'_>) -> Vec<(u64, u32)> {
    ready_now(epoll).unwrap()
}

#[test]
fn level_triggered_reports_unread_data_on_every_wait() {
    let [epoll, reader, writer] = watched_pipe(Mode::Level);
    write(writer.as_fd(), b"0123456789").unwrap();
    for _ in 0..5 {
        assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)]);
    }
    assert_eq!(read(reader.as_fd(), &mut [0; 4]).unwrap(), 4);
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)], "6 bytes are left");
    assert_eq!(read(reader.as_fd(), &mut [0; 16]).unwrap(), 6);
    assert!(ready(epoll.as_fd()).is_empty());
}

#[test]
fn edge_triggered_reports_new_data_once() {
    let [epoll, reader, writer] = watched_pipe(Mode::Edge);
    write(writer.as_fd(), b"0123456789").unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)]);
    assert!(ready(epoll.as_fd()).is_empty(), "nothing changed");
    assert_eq!(read(reader.as_fd(), &mut [0; 4]).unwrap(), 4);
    assert!(
        ready(epoll.as_fd()).is_empty(),
        "6 bytes unread, no new edge"
    );
    write(writer.as_fd(), b"abcde").unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)], "new data, new edge");
    let drained = read_until_would_block(reader.as_fd(), &mut Vec::new()).unwrap();
    assert_eq!((drained.bytes, drained.stop), (11, Stop::WouldBlock));
    assert!(ready(epoll.as_fd()).is_empty());
}

#[test]
fn edge_triggered_reports_every_write_even_without_reading() {
    // Each arrival of data is an edge, whether or not the earlier data was
    // read: "multiple events can be generated upon receipt of multiple
    // chunks of data" (epoll(7)). True of pipes and of sockets.
    let [epoll, _reader, writer] = watched_pipe(Mode::Edge);
    for _ in 0..3 {
        write(writer.as_fd(), b"x").unwrap();
        assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)]);
        assert!(ready(epoll.as_fd()).is_empty());
    }
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (socket, mut peer) = UnixStream::pair().unwrap();
    add(epoll.as_fd(), socket.as_fd(), EPOLLIN | EPOLLET, 2).unwrap();
    for _ in 0..3 {
        peer.write_all(b"y").unwrap();
        assert_eq!(ready(epoll.as_fd()), [(2, EPOLLIN)]);
        assert!(ready(epoll.as_fd()).is_empty());
    }
}

#[test]
fn edge_triggered_add_reports_an_fd_that_is_already_ready() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
    write(writer.as_fd(), b"early").unwrap();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLET, 1).unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)], "ADD checks readiness");
    assert!(ready(epoll.as_fd()).is_empty());
}

#[test]
fn edge_triggered_writable_is_reported_when_room_appears() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
    add(epoll.as_fd(), writer.as_fd(), EPOLLOUT | EPOLLET, 1).unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLOUT)]);
    assert!(ready(epoll.as_fd()).is_empty(), "still writable, no edge");
    // Fill the pipe until EAGAIN, then make room.
    while write(writer.as_fd(), &[0; 4096]).is_ok() {}
    assert!(ready(epoll.as_fd()).is_empty());
    read_until_would_block(reader.as_fd(), &mut Vec::new()).unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLOUT)]);
}

#[test]
fn mod_reports_a_still_ready_fd_again() {
    for interest in [EPOLLIN | EPOLLET, EPOLLIN | EPOLLONESHOT, EPOLLIN] {
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
        add(epoll.as_fd(), reader.as_fd(), interest, 1).unwrap();
        write(writer.as_fd(), b"abc").unwrap();
        assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)]);
        if interest != EPOLLIN {
            assert!(ready(epoll.as_fd()).is_empty());
        }
        modify(epoll.as_fd(), reader.as_fd(), interest, 1).unwrap();
        assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)], "{interest:#x}");
    }
}

#[test]
fn mod_on_an_fd_that_is_not_ready_reports_nothing() {
    let [epoll, reader, writer] = watched_pipe(Mode::Edge);
    modify(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLET, 1).unwrap();
    assert!(ready(epoll.as_fd()).is_empty());
    write(writer.as_fd(), b"x").unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)]);
}

#[test]
fn one_shot_disables_the_entry_but_keeps_it() {
    let [epoll, reader, writer] = watched_pipe(Mode::OneShot);
    let before = registrations(epoll.as_fd()).unwrap();
    assert_eq!(
        before[0].events,
        EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLONESHOT
    );
    write(writer.as_fd(), b"abc").unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)]);
    // Still in the interest list, with every event bit cleared.
    let after = registrations(epoll.as_fd()).unwrap();
    assert_eq!((after.len(), after[0].token), (1, 1));
    assert_eq!(after[0].events, EPOLLONESHOT);
    write(writer.as_fd(), b"def").unwrap();
    assert!(ready(epoll.as_fd()).is_empty(), "new data: still nothing");
    let again = add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 2).unwrap_err();
    assert_eq!(errno(&again), Some(EEXIST));
}

#[test]
fn a_disabled_one_shot_entry_does_not_even_report_a_hangup() {
    let [epoll, reader, writer] = watched_pipe(Mode::OneShot);
    write(writer.as_fd(), b"abc").unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)]);
    drop(writer);
    assert!(ready(epoll.as_fd()).is_empty());
    modify(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLONESHOT, 1).unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN | EPOLLHUP)]);
}

#[test]
fn mod_rearms_one_shot_for_the_next_data() {
    let [epoll, reader, writer] = watched_pipe(Mode::OneShot);
    write(writer.as_fd(), b"abc").unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)]);
    read_until_would_block(reader.as_fd(), &mut Vec::new()).unwrap();
    modify(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLONESHOT, 7).unwrap();
    assert!(ready(epoll.as_fd()).is_empty(), "re-armed, nothing to read");
    write(writer.as_fd(), b"d").unwrap();
    assert_eq!(
        ready(epoll.as_fd()),
        [(7, EPOLLIN)],
        "MOD set a new token too"
    );
    assert!(ready(epoll.as_fd()).is_empty());
}

#[test]
fn a_disabled_one_shot_entry_can_be_deleted() {
    let [epoll, reader, writer] = watched_pipe(Mode::OneShot);
    write(writer.as_fd(), b"abc").unwrap();
    assert_eq!(ready(epoll.as_fd()).len(), 1);
    delete(epoll.as_fd(), reader.as_fd()).unwrap();
    assert!(registrations(epoll.as_fd()).unwrap().is_empty());
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)]);
}

#[test]
fn edge_triggered_one_shot_is_one_event_per_arming() {
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
    let interest = EPOLLIN | EPOLLET | EPOLLONESHOT;
    add(epoll.as_fd(), reader.as_fd(), interest, 1).unwrap();
    write(writer.as_fd(), b"a").unwrap();
    assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)]);
    write(writer.as_fd(), b"b").unwrap();
    assert!(ready(epoll.as_fd()).is_empty(), "disabled");
    let after = registrations(epoll.as_fd()).unwrap();
    assert_eq!(
        after[0].events,
        EPOLLET | EPOLLONESHOT,
        "the flags are kept"
    );
    modify(epoll.as_fd(), reader.as_fd(), interest, 1).unwrap();
    assert_eq!(
        ready(epoll.as_fd()),
        [(1, EPOLLIN)],
        "MOD re-checks: 2 bytes"
    );
}

#[test]
fn a_one_shot_fd_goes_to_one_thread_at_a_time() {
    // Two threads share one instance. The first takes the event; while it
    // "handles" it, new data arrives, and a second thread asking the same
    // instance gets nothing, until the first re-arms the fd.
    let [epoll, reader, writer] = watched_pipe(Mode::OneShot);
    write(writer.as_fd(), b"first").unwrap();
    let taken = std::thread::scope(|s| s.spawn(|| ready(epoll.as_fd())).join().unwrap());
    assert_eq!(taken, [(1, EPOLLIN)]);
    write(writer.as_fd(), b"second").unwrap();
    let second = std::thread::scope(|s| s.spawn(|| ready(epoll.as_fd())).join().unwrap());
    assert!(
        second.is_empty(),
        "disabled while the first thread handles it"
    );
    modify(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLONESHOT, 1).unwrap();
    let after = std::thread::scope(|s| s.spawn(|| ready(epoll.as_fd())).join().unwrap());
    assert_eq!(after, [(1, EPOLLIN)]);

    // Without one-shot, the second thread gets the same fd while the first
    // may still be reading it.
    for mode in [Mode::Level, Mode::Edge] {
        let [epoll, _reader, writer] = watched_pipe(mode);
        write(writer.as_fd(), b"first").unwrap();
        assert_eq!(ready(epoll.as_fd()), [(1, EPOLLIN)]);
        write(writer.as_fd(), b"second").unwrap();
        let second = std::thread::scope(|s| s.spawn(|| ready(epoll.as_fd())).join().unwrap());
        assert_eq!(second, [(1, EPOLLIN)], "{mode:?}");
    }
}
