//! One epoll instance, six kinds of file descriptor: a pipe, a socket, a
//! timer, a signal, a watched directory and a child process (a pidfd). Each
//! is made ready once; the loop waits until every token has come back, and
//! then shows what a read of each returns. First, the files epoll refuses.
//!
//! Run it with `cargo run -p ch06-everything-is-an-fd --example one_epoll_many_fds`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::error::{check, errno};
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch06_everything_is_an_fd::{
    Children, Inotify, READ_BUFFER_SIZE, SignalFd, TempDir, TimerFd, mask_names, signal_name,
    signal_of, signal_this_thread,
};
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(2);

// ANCHOR: pidfd_open
/// A file descriptor for the process `pid` (`man 2 pidfd_open`), readable
/// once the process has ended. `libc` has no wrapper for it, only the
/// system call's number.
fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    let pid = libc::pid_t::try_from(pid).expect("pids fit in a pid_t");
    // SAFETY: pidfd_open takes a pid and flags, no pointers.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = check("pidfd_open", i32::try_from(ret).expect("an fd or -1"))?;
    // SAFETY: the kernel just returned `fd`, open and known to no one
    // else, so the OwnedFd becomes its only owner.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}
// ANCHOR_END: pidfd_open

// ANCHOR: refused
fn what_epoll_refuses(epoll: &Epoll, dir: &TempDir) -> io::Result<()> {
    println!("-- what epoll refuses");
    let regular = File::create(dir.join("regular"))?;
    let directory = File::open(dir.path())?;
    let null = File::open("/dev/null")?;
    for (what, file) in [
        ("a regular file", &regular),
        ("a directory", &directory),
        ("/dev/null", &null),
    ] {
        let err = epoll.add(file, IN, 99).unwrap_err();
        println!("{what}: EPERM: {}", errno(&err) == Some(libc::EPERM));
    }
    Ok(())
}
// ANCHOR_END: refused

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let dir = TempDir::new("one-epoll-many-fds")?;
    let epoll = Epoll::new()?;
    what_epoll_refuses(&epoll, &dir)?;

    // Six sources, one token each.
    let (mut pipe_reader, mut pipe_writer) = io::pipe()?;
    let (mut socket, mut peer) = UnixStream::pair()?;
    let timer = TimerFd::new()?;
    let signals = SignalFd::new(&[libc::SIGUSR1])?;
    let inotify = Inotify::new()?;
    inotify.add_watch(dir.path(), libc::IN_CREATE)?;
    let mut children = Children::new();
    children.spawn("exit 7", Command::new("sh").args(["-c", "exit 7"]))?;
    let pidfd = pidfd_open(children.pids()[0])?;

    let names = ["pipe", "socket", "timerfd", "signalfd", "inotify", "pidfd"];
    epoll.add(&pipe_reader, IN, 0)?;
    epoll.add(&socket, IN, 1)?;
    epoll.add(&timer, IN, 2)?;
    epoll.add(&signals, IN, 3)?;
    epoll.add(&inotify, IN, 4)?;
    epoll.add(&pidfd, IN, 5)?;

    // Make each one ready (the child makes its pidfd ready by ending).
    pipe_writer.write_all(b"bytes")?;
    peer.write_all(b"a message")?;
    timer.set_after(Duration::ZERO)?;
    signal_this_thread(libc::SIGUSR1)?;
    File::create(dir.join("hello"))?;

    // Wait until every token has been reported at least once.
    let mut seen = BTreeMap::new();
    let mut events = Events::with_capacity(8);
    while seen.len() < names.len() {
        if epoll.wait(&mut events, Some(PATIENCE))? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "a source never became ready",
            ));
        }
        for event in &events {
            seen.insert(event.token(), event.events());
        }
    }

    println!("-- six kinds of fd in one epoll instance, each made ready");
    for (token, bits) in &seen {
        let name = names[usize::try_from(*token).expect("small token")];
        println!("token {token} {name}: {}", event_names(*bits));
    }

    println!("-- what a read of each returns");
    let mut buf = [0u8; 64];
    let n = pipe_reader.read(&mut buf)?;
    println!(
        "pipe: {} bytes, {:?}",
        n,
        String::from_utf8_lossy(&buf[..n])
    );
    let n = socket.read(&mut buf)?;
    println!(
        "socket: {} bytes, {:?}",
        n,
        String::from_utf8_lossy(&buf[..n])
    );
    println!("timerfd: {} expiration(s)", timer.read()?);
    for info in signals.read()? {
        println!(
            "signalfd: {} ({} bytes)",
            signal_name(signal_of(&info)),
            size_of_val(&info)
        );
    }
    let mut inotify_buf = [0u8; READ_BUFFER_SIZE];
    for event in inotify.read_events(&mut inotify_buf)? {
        println!(
            "inotify: {} {:?}",
            mask_names(event.mask),
            event.name.unwrap_or_default()
        );
    }
    // A pidfd cannot be read (EINVAL); the child is reaped the usual way.
    children.wait_until_all_ended()?;
    for (label, status) in children.reap_ended()? {
        println!("pidfd: the child ended; reaping {label:?} says {status}");
    }
    Ok(())
}
// ANCHOR_END: main
