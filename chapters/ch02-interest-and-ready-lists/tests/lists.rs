//! The interest list and the ready list: what epoll_ctl stores, what
//! epoll_wait hands back, and how much of it one call returns.

use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLERR, EPOLLHUP, EPOLLIN, EPOLLOUT, EPOLLRDHUP, Event, O_CLOEXEC,
    epoll_create1, epoll_wait, pipe2, read, write,
};
use ch02_interest_and_ready_lists::{add, delete, modify, registrations};
use std::collections::BTreeSet;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::net::UnixStream;

/// `(token, events)` of everything ready now, in the order returned.
fn ready(epoll: BorrowedFd<'_>, capacity: usize) -> Vec<(u64, u32)> {
    let mut events = vec![Event::zeroed(); capacity];
    let n = epoll_wait(epoll, &mut events, 0).unwrap();
    events[..n]
        .iter()
        .map(|event| (event.token(), event.events))
        .collect()
}

fn new_epoll() -> OwnedFd {
    epoll_create1(EPOLL_CLOEXEC).unwrap()
}

#[test]
fn a_new_instance_has_both_lists_empty() {
    let epoll = new_epoll();
    assert!(registrations(epoll.as_fd()).unwrap().is_empty());
    assert!(ready(epoll.as_fd(), 4).is_empty());
}

#[test]
fn the_kernel_stores_epollerr_and_epollhup_with_every_registration() {
    let epoll = new_epoll();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    add(epoll.as_fd(), writer.as_fd(), 0, 2).unwrap();
    let list = registrations(epoll.as_fd()).unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0].fd, list[0].events, list[0].token),
        (reader.as_raw_fd(), EPOLLIN | EPOLLERR | EPOLLHUP, 1)
    );
    assert_eq!(
        (list[1].fd, list[1].events, list[1].token),
        (writer.as_raw_fd(), EPOLLERR | EPOLLHUP, 2)
    );
    // MOD stores them again.
    modify(epoll.as_fd(), writer.as_fd(), EPOLLOUT, 2).unwrap();
    let list = registrations(epoll.as_fd()).unwrap();
    assert_eq!(list[1].events, EPOLLOUT | EPOLLERR | EPOLLHUP);
}

#[test]
fn the_ready_list_holds_only_registered_fds_that_are_ready() {
    let epoll = new_epoll();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    add(epoll.as_fd(), writer.as_fd(), EPOLLOUT, 2).unwrap();
    assert_eq!(ready(epoll.as_fd(), 4), [(2, EPOLLOUT)]);
    write(writer.as_fd(), b"x").unwrap();
    let mut now = ready(epoll.as_fd(), 4);
    now.sort_unstable();
    assert_eq!(now, [(1, EPOLLIN), (2, EPOLLOUT)]);
    // An unregistered pipe that is ready changes nothing.
    let (_other_reader, other_writer) = pipe2(O_CLOEXEC).unwrap();
    write(other_writer.as_fd(), b"y").unwrap();
    assert_eq!(ready(epoll.as_fd(), 4).len(), 2);
}

#[test]
fn mod_replaces_the_events_and_the_token() {
    let epoll = new_epoll();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    write(writer.as_fd(), b"x").unwrap();
    assert_eq!(ready(epoll.as_fd(), 4), [(1, EPOLLIN)]);
    modify(epoll.as_fd(), reader.as_fd(), EPOLLIN, 99).unwrap();
    assert_eq!(ready(epoll.as_fd(), 4), [(99, EPOLLIN)]);
    // Asking for nothing but errors: readable data is no longer reported.
    modify(epoll.as_fd(), reader.as_fd(), 0, 99).unwrap();
    assert!(ready(epoll.as_fd(), 4).is_empty());
}

#[test]
fn the_token_is_all_that_identifies_an_event() {
    let epoll = new_epoll();
    let (first, first_writer) = pipe2(O_CLOEXEC).unwrap();
    let (second, second_writer) = pipe2(O_CLOEXEC).unwrap();
    add(epoll.as_fd(), first.as_fd(), EPOLLIN, 5).unwrap();
    add(epoll.as_fd(), second.as_fd(), EPOLLIN, 5).unwrap();
    write(first_writer.as_fd(), b"x").unwrap();
    write(second_writer.as_fd(), b"y").unwrap();
    // Two different fds, two events, and nothing to tell them apart.
    assert_eq!(ready(epoll.as_fd(), 4), [(5, EPOLLIN), (5, EPOLLIN)]);
}

#[test]
fn an_fd_comes_back_only_if_it_was_stored_in_the_token() {
    let epoll = new_epoll();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    let fd = reader.as_raw_fd();
    ch01_raw_syscalls::epoll_ctl(
        epoll.as_fd(),
        ch01_raw_syscalls::EPOLL_CTL_ADD,
        reader.as_fd(),
        Some(&Event::with_fd(EPOLLIN, fd)),
    )
    .unwrap();
    write(writer.as_fd(), b"x").unwrap();
    let mut events = [Event::zeroed(); 1];
    assert_eq!(epoll_wait(epoll.as_fd(), &mut events, 0).unwrap(), 1);
    assert_eq!(events[0].fd(), fd);
}

/// `count` pipes with a byte in each, registered with tokens 0, 1, ...
fn ready_pipes(epoll: BorrowedFd<'_>, count: u64) -> Vec<(OwnedFd, OwnedFd)> {
    (0..count)
        .map(|token| {
            let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
            add(epoll, reader.as_fd(), EPOLLIN, token).unwrap();
            write(writer.as_fd(), b"!").unwrap();
            (reader, writer)
        })
        .collect()
}

#[test]
fn a_full_buffer_leaves_the_rest_for_the_next_calls() {
    let epoll = new_epoll();
    let _pipes = ready_pipes(epoll.as_fd(), 5);
    let mut seen = BTreeSet::new();
    for _ in 0..3 {
        let batch = ready(epoll.as_fd(), 2);
        assert_eq!(
            batch.len(),
            2,
            "five are ready: every call fills the buffer"
        );
        assert_ne!(batch[0].0, batch[1].0, "no fd twice in one call");
        seen.extend(batch.iter().map(|&(token, _)| token));
    }
    assert_eq!(seen, (0..5).collect(), "three calls of two reach all five");
}

#[test]
fn the_buffer_length_is_maxevents() {
    let epoll = new_epoll();
    let _pipes = ready_pipes(epoll.as_fd(), 3);
    let mut events = [Event::zeroed(); 8];
    // A shorter slice of the same buffer is a smaller maxevents.
    assert_eq!(epoll_wait(epoll.as_fd(), &mut events[..1], 0).unwrap(), 1);
    assert_eq!(epoll_wait(epoll.as_fd(), &mut events, 0).unwrap(), 3);
}

#[test]
fn epollhup_is_reported_to_a_read_end_that_asked_for_nothing() {
    let epoll = new_epoll();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    add(epoll.as_fd(), reader.as_fd(), 0, 1).unwrap();
    assert!(ready(epoll.as_fd(), 4).is_empty());
    drop(writer);
    assert_eq!(ready(epoll.as_fd(), 4), [(1, EPOLLHUP)]);
}

#[test]
fn epollhup_stays_after_end_of_file_until_the_fd_is_removed() {
    let epoll = new_epoll();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    write(writer.as_fd(), b"bye").unwrap();
    drop(writer);
    assert_eq!(ready(epoll.as_fd(), 4), [(1, EPOLLIN | EPOLLHUP)]);
    assert_eq!(read(reader.as_fd(), &mut [0; 8]).unwrap(), 3);
    // Nothing left to read, so no EPOLLIN; the hang-up is still there.
    assert_eq!(ready(epoll.as_fd(), 4), [(1, EPOLLHUP)]);
    assert_eq!(read(reader.as_fd(), &mut [0; 8]).unwrap(), 0);
    assert_eq!(ready(epoll.as_fd(), 4), [(1, EPOLLHUP)]);
    delete(epoll.as_fd(), reader.as_fd()).unwrap();
    assert!(ready(epoll.as_fd(), 4).is_empty());
}

#[test]
fn epollerr_is_reported_to_a_write_end_whose_reader_is_gone() {
    let epoll = new_epoll();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    add(epoll.as_fd(), writer.as_fd(), 0, 1).unwrap();
    assert!(ready(epoll.as_fd(), 4).is_empty());
    drop(reader);
    assert_eq!(ready(epoll.as_fd(), 4), [(1, EPOLLERR)]);
    // With EPOLLOUT asked for, the pipe also counts as writable: a write
    // would not block (it fails at once, with EPIPE).
    modify(epoll.as_fd(), writer.as_fd(), EPOLLOUT, 1).unwrap();
    assert_eq!(ready(epoll.as_fd(), 4), [(1, EPOLLOUT | EPOLLERR)]);
    let err = write(writer.as_fd(), b"x").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
}

#[test]
fn a_closed_socket_peer_is_a_hangup_and_epollrdhup_only_if_asked() {
    let epoll = new_epoll();
    let (silent, silent_peer) = UnixStream::pair().unwrap();
    let (asking, asking_peer) = UnixStream::pair().unwrap();
    add(epoll.as_fd(), silent.as_fd(), 0, 1).unwrap();
    add(epoll.as_fd(), asking.as_fd(), EPOLLIN | EPOLLRDHUP, 2).unwrap();
    drop((silent_peer, asking_peer));
    let mut now = ready(epoll.as_fd(), 4);
    now.sort_unstable();
    assert_eq!(now, [(1, EPOLLHUP), (2, EPOLLIN | EPOLLHUP | EPOLLRDHUP)]);
}

#[test]
fn closing_the_only_fd_removes_it_from_the_interest_list() {
    let epoll = new_epoll();
    let (reader, _writer) = pipe2(O_CLOEXEC).unwrap();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    assert_eq!(registrations(epoll.as_fd()).unwrap().len(), 1);
    drop(reader);
    assert!(registrations(epoll.as_fd()).unwrap().is_empty());
}

#[test]
fn a_duplicate_keeps_the_registration_alive_after_close() {
    let epoll = new_epoll();
    let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
    add(epoll.as_fd(), reader.as_fd(), EPOLLIN, 1).unwrap();
    let duplicate = reader.try_clone().unwrap();
    drop(reader);
    // The open file is still open through the duplicate, so the entry
    // stays, and events for it still arrive.
    assert_eq!(registrations(epoll.as_fd()).unwrap().len(), 1);
    write(writer.as_fd(), b"x").unwrap();
    assert_eq!(ready(epoll.as_fd(), 4), [(1, EPOLLIN)]);
    drop(duplicate);
    assert!(registrations(epoll.as_fd()).unwrap().is_empty());
}
