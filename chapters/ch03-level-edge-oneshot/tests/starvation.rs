//! Starvation under edge-triggered notification: handlers that read until
//! `EAGAIN` never get past an fd that never drains; a ready queue with a
//! budget per turn serves every ready fd in the first turn.

#[path = "../examples/starvation.rs"]
#[allow(dead_code)]
mod starvation;

use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLET, EPOLLIN, Event, O_CLOEXEC, O_NONBLOCK, epoll_create1, epoll_wait,
    pipe2, write,
};
use ch02_interest_and_ready_lists::add;
use ch03_level_edge_oneshot::{ReadyQueue, Stop, read_until_would_block, read_with_budget};
use starvation::{BOUND, BUDGET, Served, fair_loop, naive_loop, with_loud_and_quiet};
use std::os::fd::AsFd;

const LOUD: u64 = 0;
const QUIET: u64 = 1;

#[test]
fn the_ready_list_hands_out_fds_in_the_order_they_became_ready() {
    // Not a promise of the man pages, but what this kernel does, and what
    // puts the loud fd first in the experiment's batch.
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let pipes: Vec<_> = (0..4)
        .map(|token| {
            let (reader, writer) = pipe2(O_CLOEXEC).unwrap();
            add(epoll.as_fd(), reader.as_fd(), EPOLLIN | EPOLLET, token).unwrap();
            (reader, writer)
        })
        .collect();
    for token in [2, 0, 3, 1] {
        write(pipes[token].1.as_fd(), b"!").unwrap();
    }
    let mut events = [Event::zeroed(); 8];
    let n = epoll_wait(epoll.as_fd(), &mut events, 0).unwrap();
    let order: Vec<u64> = events[..n].iter().map(Event::token).collect();
    assert_eq!(order, [2, 0, 3, 1]);
}

#[test]
fn reading_until_eagain_starves_the_quiet_fd() {
    let outcome = with_loud_and_quiet(naive_loop).unwrap();
    assert_eq!(outcome.first_batch, [LOUD, QUIET], "both were ready");
    assert_eq!(
        outcome.loud_reads, BOUND,
        "the loud fd never reached EAGAIN"
    );
    assert_eq!(outcome.quiet_served, None);
}

#[test]
fn a_ready_queue_serves_the_quiet_fd_in_the_first_turn() {
    let outcome = with_loud_and_quiet(fair_loop).unwrap();
    assert_eq!(outcome.first_batch, [LOUD, QUIET]);
    assert_eq!(
        outcome.quiet_served,
        Some(Served {
            turn: 1,
            after_loud_reads: BUDGET
        })
    );
    assert_eq!(
        outcome.loud_reads,
        3 * BUDGET,
        "three turns, all its budget each"
    );
}

#[test]
fn a_fd_that_hit_eagain_comes_back_with_its_next_edge() {
    // A ready queue driven by real edge-triggered events: the loud pipe
    // keeps its place while it has data; the quiet one leaves at EAGAIN and
    // is queued again only when new data brings a new event.
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (loud, loud_writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
    let (quiet, quiet_writer) = pipe2(O_CLOEXEC | O_NONBLOCK).unwrap();
    add(epoll.as_fd(), loud.as_fd(), EPOLLIN | EPOLLET, LOUD).unwrap();
    add(epoll.as_fd(), quiet.as_fd(), EPOLLIN | EPOLLET, QUIET).unwrap();
    write(loud_writer.as_fd(), &[b'x'; 1000]).unwrap();
    write(quiet_writer.as_fd(), b"a").unwrap();

    let mut queue = ReadyQueue::new();
    let mut events = [Event::zeroed(); 8];
    let mut turn = |queue: &mut ReadyQueue| {
        let n = epoll_wait(epoll.as_fd(), &mut events, queue.wait_timeout(0)).unwrap();
        for event in &events[..n] {
            queue.mark_ready(event.token());
        }
        let mut served = Vec::new();
        queue
            .turn(|token| {
                let fd = if token == LOUD {
                    loud.as_fd()
                } else {
                    quiet.as_fd()
                };
                let drained = read_with_budget(fd, &mut Vec::new(), 100, 2).unwrap();
                served.push((token, drained.stop));
                Ok(drained.stop)
            })
            .unwrap();
        served
    };
    assert_eq!(
        turn(&mut queue),
        [(LOUD, Stop::Budget), (QUIET, Stop::WouldBlock)]
    );
    assert_eq!(turn(&mut queue), [(LOUD, Stop::Budget)]);
    write(quiet_writer.as_fd(), b"b").unwrap();
    assert_eq!(
        turn(&mut queue),
        [(LOUD, Stop::Budget), (QUIET, Stop::WouldBlock)]
    );
    // 1000 bytes, 200 a turn: the fifth turn reads the last of them but
    // spends its budget doing so; the sixth finds EAGAIN.
    assert_eq!(turn(&mut queue), [(LOUD, Stop::Budget)]);
    assert_eq!(turn(&mut queue), [(LOUD, Stop::Budget)]);
    assert_eq!(turn(&mut queue), [(LOUD, Stop::WouldBlock)]);
    assert!(queue.is_empty());
    assert!(turn(&mut queue).is_empty(), "nothing ready, nothing served");
    let left = read_until_would_block(loud.as_fd(), &mut Vec::new()).unwrap();
    assert_eq!(left.bytes, 0);
}
