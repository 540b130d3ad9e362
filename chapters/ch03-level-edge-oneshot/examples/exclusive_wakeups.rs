//! `EPOLLEXCLUSIVE`: several threads, each blocked in `epoll_wait` on an
//! epoll instance of its own, all watching the same listening socket. One
//! client connects. Without the flag every thread wakes; with it, one.
//! The flag is for `EPOLL_CTL_ADD` only.
//!
//! Run it with `cargo run -p ch03-level-edge-oneshot --example exclusive_wakeups`.

use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLEXCLUSIVE, EPOLLIN, EPOLLONESHOT, Event, O_CLOEXEC, epoll_create1, errno,
    pipe2, write,
};
use ch02_interest_and_ready_lists::errors::errno_name;
use ch02_interest_and_ready_lists::{add, modify, wait_retrying_eintr};
use ch03_level_edge_oneshot::sleepers::{current_tid, wait_until_in_epoll_wait};
use std::ffi::c_int;
use std::io::{self, ErrorKind};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{AsFd, OwnedFd};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::Duration;

/// How many threads wait.
pub const THREADS: usize = 4;
/// The token of the listening socket in every instance.
const LISTENER: u64 = 1;
/// The token of the pipe that releases every thread at the end.
const RELEASE: u64 = 2;
/// The longest any step may take before the experiment gives up.
const PATIENCE: Duration = Duration::from_secs(5);
const PATIENCE_MS: c_int = 5000;

// ANCHOR: count_wakeups
/// Starts `threads` threads, each blocked in `epoll_wait` on an instance of
/// its own in which the same listening socket is registered (with
/// `EPOLLEXCLUSIVE` if `exclusive`), connects one client, and returns how
/// many of the threads that connection woke.
pub fn count_wakeups(threads: usize, exclusive: bool) -> io::Result<usize> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let (release_reader, release_writer) = pipe2(O_CLOEXEC)?;
    let interest = if exclusive {
        EPOLLIN | EPOLLEXCLUSIVE
    } else {
        EPOLLIN
    };
    let mut instances = Vec::new();
    for _ in 0..threads {
        let epoll = epoll_create1(EPOLL_CLOEXEC)?;
        add(epoll.as_fd(), listener.as_fd(), interest, LISTENER)?;
        add(epoll.as_fd(), release_reader.as_fd(), EPOLLIN, RELEASE)?;
        instances.push(epoll);
    }
    thread::scope(|scope| {
        let (send_tid, tids) = mpsc::channel();
        let (send_returned, returned) = mpsc::channel();
        let waiters: Vec<_> = instances
            .iter()
            .map(|epoll| {
                let (send_tid, send_returned) = (send_tid.clone(), send_returned.clone());
                scope.spawn(move || {
                    send_tid.send(current_tid()).ok();
                    let woken_by_listener = wait_once(epoll);
                    send_returned.send(()).ok();
                    woken_by_listener
                })
            })
            .collect();
        let client = connect_when_all_wait(threads, &tids, &returned, &listener);
        // Whatever happened, release every thread before the scope joins them.
        let released = write(release_writer.as_fd(), b"!");
        let mut woken = 0;
        for waiter in waiters {
            woken += usize::from(waiter.join().expect("a waiting thread panicked")?);
        }
        released?;
        drop(client?);
        Ok(woken)
    })
}

/// One `epoll_wait`: did it return the listening socket?
fn wait_once(epoll: &OwnedFd) -> io::Result<bool> {
    let mut events = [Event::zeroed(); 4];
    let n = wait_retrying_eintr(epoll.as_fd(), &mut events, PATIENCE_MS)?;
    Ok(events[..n].iter().any(|event| event.token() == LISTENER))
}
// ANCHOR_END: count_wakeups

// ANCHOR: connect_when_all_wait
/// Waits until each of the `threads` threads sleeps in `epoll_wait`, then
/// connects a client and waits until the first thread has returned.
fn connect_when_all_wait(
    threads: usize,
    tids: &Receiver<io::Result<u32>>,
    returned: &Receiver<()>,
    listener: &TcpListener,
) -> io::Result<TcpStream> {
    for _ in 0..threads {
        let tid = tids.recv_timeout(PATIENCE).map_err(timed_out)??;
        wait_until_in_epoll_wait(tid, PATIENCE)?;
    }
    let client = TcpStream::connect(listener.local_addr()?)?;
    returned.recv_timeout(PATIENCE).map_err(timed_out)?;
    // The kernel wakes the instances watching the socket in one pass over
    // the socket's wait queue, holding the queue's lock. Registering the
    // socket anywhere takes that lock too, so once this ADD returns, the
    // pass is over: every instance the connection was going to wake has
    // the socket on its ready list, and the release cannot overtake it.
    let barrier = epoll_create1(EPOLL_CLOEXEC)?;
    add(barrier.as_fd(), listener.as_fd(), EPOLLIN, LISTENER)?;
    Ok(client)
}
// ANCHOR_END: connect_when_all_wait

fn timed_out(err: impl std::fmt::Display) -> io::Error {
    io::Error::new(ErrorKind::TimedOut, format!("waited too long: {err}"))
}

/// The error name of a result, or "succeeded".
fn outcome(result: io::Result<()>) -> &'static str {
    match result {
        Ok(()) => "succeeded",
        Err(err) => errno(&err).and_then(errno_name).unwrap_or("another error"),
    }
}

// ANCHOR: main
pub fn main() -> io::Result<()> {
    println!("{THREADS} threads, each blocked in epoll_wait on its own epoll instance,");
    println!("all {THREADS} instances watching one listening socket; one client connects:");
    let all = count_wakeups(THREADS, false)?;
    println!("  without EPOLLEXCLUSIVE: {all} of {THREADS} threads woke");
    let some = count_wakeups(THREADS, true)?;
    println!("  with EPOLLEXCLUSIVE:    {some} of {THREADS} threads woke");

    let listener = TcpListener::bind("127.0.0.1:0")?;
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    let (epoll, socket) = (epoll.as_fd(), listener.as_fd());
    let exclusive = EPOLLIN | EPOLLEXCLUSIVE;
    let with_oneshot = add(epoll, socket, exclusive | EPOLLONESHOT, 1);
    println!(
        "ADD with EPOLLEXCLUSIVE | EPOLLONESHOT: {}",
        outcome(with_oneshot)
    );
    let plain_add = add(epoll, socket, exclusive, 1);
    println!("ADD with EPOLLEXCLUSIVE: {}", outcome(plain_add));
    let mod_with = modify(epoll, socket, exclusive, 1);
    println!("then MOD with EPOLLEXCLUSIVE: {}", outcome(mod_with));
    let mod_without = modify(epoll, socket, EPOLLIN, 1);
    println!("then MOD without it: {}", outcome(mod_without));
    Ok(())
}
// ANCHOR_END: main
