//! `EPOLLEXCLUSIVE`: how many of several threads, each blocked on an epoll
//! instance of its own watching one listening socket, a connection wakes;
//! and the masks and operations the flag is refused with.

#[path = "../examples/exclusive_wakeups.rs"]
#[allow(dead_code)]
mod exclusive_wakeups;

use ch01_raw_syscalls::consts::errno::EINVAL;
use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLERR, EPOLLET, EPOLLEXCLUSIVE, EPOLLHUP, EPOLLIN, EPOLLONESHOT, EPOLLOUT,
    EPOLLRDHUP, EPOLLWAKEUP, epoll_create1, errno,
};
use ch02_interest_and_ready_lists::{add, delete, modify, registrations};
use exclusive_wakeups::{THREADS, count_wakeups};
use std::net::TcpListener;
use std::os::fd::AsFd;

#[test]
fn without_epollexclusive_every_waiting_instance_wakes() {
    assert_eq!(count_wakeups(THREADS, false).unwrap(), THREADS);
}

#[test]
fn with_epollexclusive_one_or_more_but_not_all_wake() {
    // epoll_ctl(2) promises "one or more"; on this book's kernel it is one.
    let woken = count_wakeups(THREADS, true).unwrap();
    assert!((1..THREADS).contains(&woken), "{woken} of {THREADS} woke");
}

#[test]
fn epollexclusive_is_for_add_only() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let (epoll, socket) = (epoll.as_fd(), listener.as_fd());
    add(epoll, socket, EPOLLIN | EPOLLEXCLUSIVE, 1).unwrap();
    let listed = registrations(epoll).unwrap();
    assert_eq!(
        listed[0].events,
        EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLEXCLUSIVE
    );
    for mask in [EPOLLIN | EPOLLEXCLUSIVE, EPOLLIN, EPOLLOUT] {
        let err = modify(epoll, socket, mask, 1).unwrap_err();
        assert_eq!(
            errno(&err),
            Some(EINVAL),
            "MOD {mask:#x} of an exclusive entry"
        );
    }
    // DEL works, and a plain ADD after it.
    delete(epoll, socket).unwrap();
    add(epoll, socket, EPOLLIN, 1).unwrap();
    let err = modify(epoll, socket, EPOLLIN | EPOLLEXCLUSIVE, 1).unwrap_err();
    assert_eq!(errno(&err), Some(EINVAL), "MOD may not add the flag either");
}

#[test]
fn epollexclusive_accepts_only_some_bits() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let socket = listener.as_fd();
    let allowed = [
        EPOLLIN,
        EPOLLOUT,
        EPOLLIN | EPOLLET,
        EPOLLIN | EPOLLWAKEUP,
        EPOLLIN | EPOLLERR | EPOLLHUP,
    ];
    for mask in allowed {
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        add(epoll.as_fd(), socket, mask | EPOLLEXCLUSIVE, 1).unwrap();
    }
    for mask in [EPOLLIN | EPOLLONESHOT, EPOLLIN | EPOLLRDHUP] {
        let epoll = epoll_create1(EPOLL_CLOEXEC).unwrap();
        let err = add(epoll.as_fd(), socket, mask | EPOLLEXCLUSIVE, 1).unwrap_err();
        assert_eq!(errno(&err), Some(EINVAL), "{mask:#x}");
    }
}

#[test]
fn epollexclusive_cannot_watch_an_epoll_instance() {
    let outer = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let inner = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let err = add(outer.as_fd(), inner.as_fd(), EPOLLIN | EPOLLEXCLUSIVE, 1).unwrap_err();
    assert_eq!(errno(&err), Some(EINVAL));
    add(outer.as_fd(), inner.as_fd(), EPOLLIN, 1).unwrap();
}

/// Registers a listening socket with `EPOLLEXCLUSIVE` in two instances,
/// `idle` (nobody ever waits in it) and `busy` (a thread waits in it), in
/// the order given, and connects once the thread waits. Returns whether
/// the thread's wait returned the socket and whether `idle` has it ready.
fn idle_and_busy(idle_first: bool) -> (bool, bool) {
    use ch01_raw_syscalls::Event;
    use ch02_interest_and_ready_lists::wait_retrying_eintr;
    use ch03_level_edge_oneshot::ready_now;
    use ch03_level_edge_oneshot::sleepers::{current_tid, wait_until_in_epoll_wait};
    use std::net::TcpStream;
    use std::sync::mpsc;
    use std::thread;
    use std::time::Duration;

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let idle = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let busy = epoll_create1(EPOLL_CLOEXEC).unwrap();
    let order = if idle_first {
        [&idle, &busy]
    } else {
        [&busy, &idle]
    };
    for epoll in order {
        add(epoll.as_fd(), listener.as_fd(), EPOLLIN | EPOLLEXCLUSIVE, 1).unwrap();
    }
    thread::scope(|scope| {
        let (send_tid, tid) = mpsc::channel();
        let busy = &busy;
        let waiter = scope.spawn(move || {
            send_tid.send(current_tid().unwrap()).unwrap();
            let mut events = [Event::zeroed(); 4];
            wait_retrying_eintr(busy.as_fd(), &mut events, 5000).unwrap()
        });
        let tid = tid.recv_timeout(Duration::from_secs(5)).unwrap();
        wait_until_in_epoll_wait(tid, Duration::from_secs(5)).unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let woke = waiter.join().unwrap() == 1;
        (woke, !ready_now(idle.as_fd()).unwrap().is_empty())
    })
}

#[test]
fn an_instance_with_nobody_waiting_does_not_use_up_an_exclusive_wakeup() {
    // Nobody waits in the first instance: it gets the event on its ready
    // list, and the search goes on to wake the second one's thread. Two
    // instances received the event: "one or more".
    assert_eq!(idle_and_busy(true), (true, true));
    // The waiting instance first: its thread wakes and the search stops.
    assert_eq!(idle_and_busy(false), (true, false));
}
