//! This chapter's wrapper, and the standard library's types, go into
//! chapter 8's `Generic` as they are, and the loop takes each one's fd out
//! of the interest list before the fd is closed.
//!
//! The order is checked the way `closed_but_still_registered` showed it
//! matters: a duplicate of the fd stays open outside the loop, so a close
//! before the `DEL` would leave the entry, and its events, behind.

use ch02_interest_and_ready_lists::registrations;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch08_generic_sources::{EventLoop, Generic, Interest, Mode, PostAction, Readiness, Watched};
use ch09_ownership_and_fd_wrappers::{PidFd, number_in_use};
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use testkit::assert_no_fd_leaks;

type Loop<'l> = EventLoop<'l, Vec<u8>>;

/// A child that has already ended (a zombie until reaped), so its pidfd is
/// readable from the start, and that pidfd.
fn ended_child() -> (Child, PidFd) {
    let (child, pidfd) = PidFd::spawn(Command::new("true").stdin(Stdio::null())).unwrap();
    // Wait until it has ended, without reaping it: its pidfd says so.
    let epoll = Epoll::new().unwrap();
    epoll.add(&pidfd, IN, 0).unwrap();
    let mut events = Events::with_capacity(1);
    assert_eq!(
        epoll
            .wait(&mut events, Some(Duration::from_secs(10)))
            .unwrap(),
        1
    );
    (child, pidfd)
}

fn entries(event_loop: &Loop<'_>) -> usize {
    registrations(event_loop.as_fd()).unwrap().len()
}

/// How many events the kernel has ready in the loop's instance now. A raw
/// `epoll_wait` takes nothing from level-triggered registrations.
fn kernel_reports(event_loop: &Loop<'_>) -> usize {
    let mut events = [ch01_raw_syscalls::Event::zeroed(); 8];
    ch01_raw_syscalls::epoll_wait(event_loop.as_fd(), &mut events, 0).unwrap()
}

fn ignore(_: Readiness, _: &mut Watched<PidFd>, _: &mut Vec<u8>) -> io::Result<PostAction> {
    Ok(PostAction::Continue)
}

#[test]
fn removing_a_pidfd_source_deletes_then_closes() {
    assert_no_fd_leaks(|| {
        let event_loop: Loop<'_> = EventLoop::new().unwrap();
        let handle = event_loop.handle();
        let base = entries(&event_loop); // the loop's own eventfd
        let (mut child, pidfd) = ended_child();
        let number = pidfd.as_raw_fd();
        let duplicate = pidfd.as_fd().try_clone_to_owned().unwrap();

        let token = handle
            .insert_source(Generic::new(pidfd, Interest::READABLE, Mode::Level), ignore)
            .unwrap();
        assert_eq!(entries(&event_loop), base + 1);
        assert_eq!(kernel_reports(&event_loop), 1);

        handle.remove(token).unwrap();
        assert!(!number_in_use(number), "the pidfd was closed");
        assert_eq!(entries(&event_loop), base, "and deleted first");
        assert_eq!(kernel_reports(&event_loop), 0);

        drop(duplicate);
        child.wait().unwrap();
    });
}

#[test]
fn taking_a_pidfd_back_gives_it_open_and_unregistered() {
    assert_no_fd_leaks(|| {
        let event_loop: Loop<'_> = EventLoop::new().unwrap();
        let handle = event_loop.handle();
        let base = entries(&event_loop);
        let (mut child, pidfd) = ended_child();
        let number = pidfd.as_raw_fd();

        let token = handle
            .insert_source(Generic::new(pidfd, Interest::READABLE, Mode::Level), ignore)
            .unwrap();
        let generic: Generic<PidFd> = handle.take(token).unwrap();
        assert_eq!(entries(&event_loop), base);
        assert_eq!(kernel_reports(&event_loop), 0, "although it is open");
        let pidfd = generic.into_inner();
        assert_eq!(pidfd.as_raw_fd(), number);
        assert!(
            pidfd.pid().unwrap().is_some(),
            "still open, still the child"
        );
        // Back in a plain Epoll, it reports the ended child as before.
        let epoll = Epoll::new().unwrap();
        epoll.add(&pidfd, IN, 5).unwrap();
        let mut events = Events::with_capacity(1);
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
        drop(pidfd);
        child.wait().unwrap();
    });
}

#[test]
fn a_callback_that_reaps_and_removes_leaves_nothing_behind() {
    assert_no_fd_leaks(|| {
        let mut event_loop: Loop<'_> = EventLoop::new().unwrap();
        let handle = event_loop.handle();
        let base = entries(&event_loop);
        let mut exit_4 = Command::new("sh");
        exit_4.args(["-c", "exit 4"]).stdin(Stdio::null());
        let (mut child, pidfd) = PidFd::spawn(&mut exit_4).unwrap();
        let number = pidfd.as_raw_fd();
        let duplicate = pidfd.as_fd().try_clone_to_owned().unwrap();
        let source = Generic::new(pidfd, Interest::READABLE, Mode::Level);
        handle
            .insert_source(source, move |readiness, pidfd, codes: &mut Vec<u8>| {
                assert!(readiness.readable);
                // The callback sees the PidFd through a shared borrow.
                assert!(pidfd.pid()?.is_some());
                let code = child.wait()?.code().unwrap_or(-1);
                codes.push(u8::try_from(code).unwrap_or(u8::MAX));
                Ok(PostAction::Remove)
            })
            .unwrap();

        let mut codes = Vec::new();
        for _ in 0..10 {
            if !codes.is_empty() {
                break;
            }
            event_loop
                .dispatch(Some(Duration::from_secs(1)), &mut codes)
                .unwrap();
        }
        assert_eq!(codes, [4]);
        assert!(handle.is_empty());
        assert!(!number_in_use(number));
        assert_eq!(entries(&event_loop), base);
        assert_eq!(
            kernel_reports(&event_loop),
            0,
            "the duplicate keeps no entry alive"
        );
        drop(duplicate);
    });
}

#[test]
fn standard_types_go_into_a_generic_as_they_are() {
    assert_no_fd_leaks(|| {
        let mut event_loop: Loop<'_> = EventLoop::new().unwrap();
        let handle = event_loop.handle();

        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        udp.connect(udp.local_addr().unwrap()).unwrap();
        udp.send(b"u").unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        client.write_all(b"t").unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        let file = File::from(OwnedFd::from(reader));
        writer.write_all(b"f").unwrap();
        let numbers = [udp.as_raw_fd(), server.as_raw_fd(), file.as_raw_fd()];

        // Each callback reads through `&F`: the standard types do I/O
        // through a shared reference.
        handle
            .insert_source(
                Generic::new(udp, Interest::READABLE, Mode::Level),
                |_, socket, got: &mut Vec<u8>| {
                    let mut buf = [0; 8];
                    let n = socket.recv(&mut buf)?;
                    got.extend_from_slice(&buf[..n]);
                    Ok(PostAction::Remove)
                },
            )
            .unwrap();
        handle
            .insert_source(
                Generic::new(server, Interest::READABLE, Mode::Level),
                |_, stream, got: &mut Vec<u8>| {
                    let mut buf = [0; 8];
                    let n = (&**stream).read(&mut buf)?;
                    got.extend_from_slice(&buf[..n]);
                    Ok(PostAction::Remove)
                },
            )
            .unwrap();
        handle
            .insert_source(
                Generic::new(file, Interest::READABLE, Mode::Level),
                |_, file, got: &mut Vec<u8>| {
                    let mut buf = [0; 8];
                    let n = (&**file).read(&mut buf)?;
                    got.extend_from_slice(&buf[..n]);
                    Ok(PostAction::Remove)
                },
            )
            .unwrap();

        let mut got = Vec::new();
        for _ in 0..20 {
            if got.len() == 3 {
                break;
            }
            event_loop
                .dispatch(Some(Duration::from_secs(1)), &mut got)
                .unwrap();
        }
        got.sort_unstable();
        assert_eq!(got, b"ftu");
        assert!(handle.is_empty());
        assert!(numbers.iter().all(|&number| !number_in_use(number)));
    });
}
