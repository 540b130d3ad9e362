//! Stopping an event loop that is blocked in `epoll_wait` with no timeout,
//! from another thread, and joining it. The loop serves a socket (it
//! counts the bytes that arrive) until a shutdown is requested: a flag is
//! set, then the waker is woken. Afterwards every descriptor the program
//! opened is closed, which the program checks in `/proc/self/fd`.
//!
//! Run it with `cargo run -p ch05-eventfd-wakeups --example shutdown_from_another_thread`.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch05_eventfd_wakeups::{Tid, Waker};
use std::collections::BTreeSet;
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

const WAKER: u64 = 0;
const SOCKET: u64 = 1;
/// How long the loop may take to fall asleep.
const PATIENCE: Duration = Duration::from_secs(5);

// ANCHOR: shutdown_handle
/// What another thread needs to stop the loop: the flag to set, and the
/// waker that makes the loop look at it.
#[derive(Clone)]
struct Shutdown {
    requested: Arc<AtomicBool>,
    waker: Waker,
}

impl Shutdown {
    fn request(&self) -> io::Result<()> {
        // Set the flag first, then wake: when the loop wakes up and drains,
        // the flag is already visible.
        self.requested.store(true, Ordering::Release);
        self.waker.wake()
    }

    fn is_requested(&self) -> bool {
        self.requested.load(Ordering::Acquire)
    }
}
// ANCHOR_END: shutdown_handle

// ANCHOR: serve
/// The loop. It owns the epoll instance and the socket, so both are closed
/// when it returns; it returns how many bytes it received.
fn serve(epoll: Epoll, mut socket: UnixStream, shutdown: Shutdown) -> io::Result<usize> {
    let mut events = Events::with_capacity(8);
    let mut received = 0;
    loop {
        epoll.wait(&mut events, None)?; // no timeout: only an event ends it
        for event in events.iter() {
            match event.token() {
                WAKER => {
                    shutdown.waker.drain()?;
                    if shutdown.is_requested() {
                        return Ok(received);
                    }
                }
                SOCKET => received += read_available(&mut socket)?,
                _ => {}
            }
        }
    }
}

/// Reads everything the nonblocking socket holds now.
fn read_available(socket: &mut UnixStream) -> io::Result<usize> {
    let mut buf = [0u8; 256];
    let mut total = 0;
    loop {
        match socket.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => return Ok(total),
            Err(err) => return Err(err),
        }
    }
}
// ANCHOR_END: serve

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let fds_before = open_fds()?;
    let (mut client, server) = UnixStream::pair()?;
    server.set_nonblocking(true)?;
    let epoll = Epoll::new()?;
    epoll.add(&server, IN, SOCKET)?;
    let shutdown = Shutdown {
        requested: Arc::new(AtomicBool::new(false)),
        waker: Waker::new(&epoll, WAKER)?,
    };

    let (tid_tx, tid_rx) = mpsc::channel();
    let looper = {
        let shutdown = shutdown.clone();
        thread::spawn(move || {
            tid_tx.send(Tid::current()).map_err(io::Error::other)?;
            serve(epoll, server, shutdown)
        })
    };
    let tid = tid_rx.recv().map_err(io::Error::other)?;

    client.write_all(b"some work")?;
    tid.wait_until_blocked_in("epoll", PATIENCE)?;
    println!("main: the loop is blocked in epoll_wait, with no timeout");
    shutdown.request()?;
    println!("main: shutdown requested");
    let received = match looper.join() {
        Ok(result) => result?,
        Err(_) => return Err(io::Error::other("the loop thread panicked")),
    };
    println!("main: joined the loop thread; it received {received} bytes");

    drop((shutdown, client));
    let left_open: Vec<_> = open_fds()?.difference(&fds_before).cloned().collect();
    println!("main: descriptors still open that were not before: {left_open:?}");
    Ok(())
}
// ANCHOR_END: main

/// The fd numbers this process has open, from `/proc/self/fd`, without the
/// one that lists the directory.
fn open_fds() -> io::Result<BTreeSet<String>> {
    let mut listed = BTreeSet::new();
    for entry in fs::read_dir("/proc/self/fd")? {
        listed.insert(entry?.file_name().to_string_lossy().into_owned());
    }
    // The directory's own fd is closed now: keep the ones still open.
    Ok(listed
        .into_iter()
        .filter(|fd| fs::symlink_metadata(format!("/proc/self/fd/{fd}")).is_ok())
        .collect())
}
