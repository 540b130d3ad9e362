//! What the book's wrapper promises beyond the shared suite: errors that
//! name their call, the `Events` buffer's bookkeeping, what each `Event`
//! getter reads, thread safety, and timeouts the kernel cannot take in one
//! call.

use ch01_raw_syscalls::consts::errno::{EEXIST, EINVAL, ENOENT, EPERM};
use ch01_raw_syscalls::errno;
use ch01_raw_syscalls::error::failed_call;
use ch04_libc_and_a_safe_wrapper::{
    ERR, EXCLUSIVE, Epoll, Event, Events, HUP, IN, OUT, PRI, RDHUP,
};
use std::fs::File;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const NOW: Option<Duration> = Some(Duration::ZERO);

/// Asserts everything an error from the wrapper carries.
fn assert_error(err: &io::Error, call: &str, code: i32, kind: ErrorKind, text: &str) {
    assert_eq!(failed_call(err), Some(call));
    assert_eq!(errno(err), Some(code));
    assert_eq!(err.kind(), kind);
    assert_eq!(err.to_string(), format!("{call}: {text} (os error {code})"));
}

#[test]
fn every_ctl_error_names_its_operation_and_keeps_the_os_error() {
    let epoll = Epoll::new().unwrap();
    let (reader, _writer) = io::pipe().unwrap();
    let (stranger, _stranger_writer) = io::pipe().unwrap();
    epoll.add(&reader, IN, 1).unwrap();

    let err = epoll.add(&reader, IN, 1).unwrap_err();
    assert_error(
        &err,
        "epoll_ctl(ADD)",
        EEXIST,
        ErrorKind::AlreadyExists,
        "File exists",
    );
    let err = epoll.modify(&stranger, IN, 2).unwrap_err();
    let text = "No such file or directory";
    assert_error(&err, "epoll_ctl(MOD)", ENOENT, ErrorKind::NotFound, text);
    let err = epoll.delete(&stranger).unwrap_err();
    assert_error(&err, "epoll_ctl(DEL)", ENOENT, ErrorKind::NotFound, text);

    let file = File::open(std::env::current_exe().unwrap()).unwrap();
    let err = epoll.add(&file, IN, 3).unwrap_err();
    let text = "Operation not permitted";
    assert_error(
        &err,
        "epoll_ctl(ADD)",
        EPERM,
        ErrorKind::PermissionDenied,
        text,
    );

    let text = "Invalid argument";
    let err = epoll.add(&epoll, IN, 4).unwrap_err();
    assert_error(
        &err,
        "epoll_ctl(ADD)",
        EINVAL,
        ErrorKind::InvalidInput,
        text,
    );
    let err = epoll.modify(&reader, IN | EXCLUSIVE, 1).unwrap_err();
    assert_error(
        &err,
        "epoll_ctl(MOD)",
        EINVAL,
        ErrorKind::InvalidInput,
        text,
    );
}

#[test]
fn an_o_path_descriptor_is_the_one_way_left_to_ebadf() {
    // An fd opened with O_PATH is open, so it is a perfectly good AsFd, but
    // it only names a place in the file system, and epoll_ctl refuses it
    // the way read and write do (open(2), O_PATH): EBADF.
    use std::os::unix::fs::OpenOptionsExt;
    let place = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH)
        .open("/")
        .unwrap();
    let epoll = Epoll::new().unwrap();
    let err = epoll.add(&place, IN, 1).unwrap_err();
    assert_eq!(failed_call(&err), Some("epoll_ctl(ADD)"));
    assert_eq!(errno(&err), Some(libc::EBADF));
    assert_eq!(
        err.to_string(),
        "epoll_ctl(ADD): Bad file descriptor (os error 9)"
    );
}

#[test]
fn the_number_is_inside_the_error_not_on_it() {
    // The error wraps the OS error together with the call's name, so the
    // standard library's own accessor sees a custom error; `errno` looks
    // inside.
    let epoll = Epoll::new().unwrap();
    let err = epoll.wait(&mut Events::with_capacity(0), NOW).unwrap_err();
    assert_eq!(err.raw_os_error(), None);
    assert_eq!(errno(&err), Some(EINVAL));
    assert_eq!(
        err.to_string(),
        "epoll_wait: Invalid argument (os error 22)"
    );
}

#[test]
fn a_buffer_with_no_room_is_an_error_not_a_panic_and_is_left_empty() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::with_capacity(0);
    let err = epoll.wait(&mut events, NOW).unwrap_err();
    assert_error(
        &err,
        "epoll_wait",
        EINVAL,
        ErrorKind::InvalidInput,
        "Invalid argument",
    );
    assert!(events.is_empty());
}

#[test]
fn len_and_iter_show_exactly_the_last_wait() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut pipes = Vec::new();
    for token in 0..3 {
        let (reader, mut writer) = io::pipe().unwrap();
        epoll.add(&reader, IN, token).unwrap();
        writer.write_all(b"x").unwrap();
        pipes.push((reader, writer));
    }
    assert_eq!(epoll.wait(&mut events, NOW).unwrap(), 3);
    assert_eq!(events.len(), 3);
    assert_eq!(events.iter().len(), 3);
    let mut tokens: Vec<u64> = events.iter().map(|e| e.token()).collect();
    tokens.sort_unstable();
    assert_eq!(tokens, [0, 1, 2]);

    // Drain two pipes: the next wait returns one event, and the buffer
    // shows one, not the three from before.
    for (reader, _) in &mut pipes[..2] {
        reader.read_exact(&mut [0]).unwrap();
    }
    assert_eq!(epoll.wait(&mut events, NOW).unwrap(), 1);
    assert_eq!(events.len(), 1);
    let only: Vec<Event> = (&events).into_iter().collect();
    assert_eq!(only, [Event::new(IN, 2)]);
    assert_eq!(events.capacity(), 4, "the buffer is reused, not regrown");

    events.clear();
    assert!(events.is_empty());
    assert_eq!(events.iter().count(), 0);
    assert_eq!(events.capacity(), 4);
}

#[test]
fn a_wait_returns_at_most_capacity_events() {
    let epoll = Epoll::new().unwrap();
    let mut pipes = Vec::new();
    for token in 0..5 {
        let (reader, mut writer) = io::pipe().unwrap();
        epoll.add(&reader, IN, token).unwrap();
        writer.write_all(b"x").unwrap();
        pipes.push((reader, writer));
    }
    for capacity in 1..=6 {
        let mut events = Events::with_capacity(capacity);
        let n = epoll.wait(&mut events, NOW).unwrap();
        assert_eq!(n, capacity.min(5));
        assert_eq!(events.len(), n);
    }
}

#[test]
fn the_getters_read_real_events() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::with_capacity(4);
    let mut only = |epoll: &Epoll| {
        assert_eq!(epoll.wait(&mut events, NOW).unwrap(), 1);
        events.iter().next().unwrap()
    };

    // A pipe's write end: writable; with its reader gone, an error too.
    let (reader, writer) = io::pipe().unwrap();
    epoll.add(&writer, OUT, 1).unwrap();
    let event = only(&epoll);
    assert!(event.is_writable() && !event.is_error() && !event.is_readable());
    drop(reader);
    let event = only(&epoll);
    assert_eq!(event.events(), OUT | ERR);
    assert!(event.is_writable() && event.is_error());
    epoll.delete(&writer).unwrap();

    // A pipe's read end whose writer is gone: hung up, so read-closed.
    let (reader, writer) = io::pipe().unwrap();
    epoll.add(&reader, IN, 2).unwrap();
    drop(writer);
    let event = only(&epoll);
    assert_eq!(event.events(), HUP);
    assert!(event.is_hangup() && event.is_read_closed() && !event.is_readable());
    epoll.delete(&reader).unwrap();

    // A socket whose peer shut down its writing half: RDHUP (asked for),
    // no HUP, still readable (end of file is there to be read).
    let (ours, theirs) = UnixStream::pair().unwrap();
    epoll.add(&ours, IN | RDHUP, 3).unwrap();
    theirs.shutdown(Shutdown::Write).unwrap();
    let event = only(&epoll);
    assert_eq!(event.events(), IN | RDHUP);
    assert!(event.is_read_closed() && event.is_readable() && !event.is_hangup());
    // Without RDHUP in the mask, the same state reports only IN.
    epoll.modify(&ours, IN, 3).unwrap();
    let event = only(&epoll);
    assert_eq!(event.events(), IN);
    assert!(!event.is_read_closed());
    // The peer closes altogether: HUP comes unasked.
    drop(theirs);
    let event = only(&epoll);
    assert_eq!(event.events(), IN | HUP);
    assert!(event.is_read_closed() && event.is_hangup());
}

#[test]
fn tcp_urgent_data_is_a_priority_event() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (server, _) = listener.accept().unwrap();
    let epoll = Epoll::new().unwrap();
    epoll.add(&server, PRI, 1).unwrap();
    let mut events = Events::with_capacity(2);
    assert_eq!(epoll.wait(&mut events, NOW).unwrap(), 0);

    let byte = b"!";
    // SAFETY: `byte` is valid for reads of one byte; `client` is open.
    let sent = unsafe { libc::send(client.as_raw_fd(), byte.as_ptr().cast(), 1, libc::MSG_OOB) };
    assert_eq!(sent, 1);
    assert_eq!(
        epoll
            .wait(&mut events, Some(Duration::from_secs(5)))
            .unwrap(),
        1
    );
    let event = events.iter().next().unwrap();
    assert!(event.is_priority());
    assert_eq!(event.events(), PRI);
}

#[test]
fn epoll_and_events_can_cross_and_be_shared_between_threads() {
    fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<Epoll>();
    send_and_sync::<Events>();
    send_and_sync::<Event>();

    // One thread waits while another registers a ready pipe.
    let epoll = Arc::new(Epoll::new().unwrap());
    let (reader, mut writer) = io::pipe().unwrap();
    writer.write_all(b"x").unwrap();
    let waiter = {
        let epoll = Arc::clone(&epoll);
        thread::spawn(move || {
            let mut events = Events::with_capacity(2);
            let n = epoll
                .wait(&mut events, Some(Duration::from_secs(5)))
                .unwrap();
            (n, events.iter().next())
        })
    };
    epoll.add(&reader, IN, 9).unwrap();
    assert_eq!(waiter.join().unwrap(), (1, Some(Event::new(IN, 9))));
}

#[test]
fn a_timeout_too_long_for_instant_waits_until_an_event() {
    let epoll = Epoll::new().unwrap();
    let (reader, mut writer) = io::pipe().unwrap();
    epoll.add(&reader, IN, 1).unwrap();
    let n = thread::scope(|scope| {
        let writing = scope.spawn(move || {
            thread::sleep(Duration::from_millis(20));
            writer.write_all(b"x").unwrap();
            writer
        });
        let n = epoll
            .wait(&mut Events::with_capacity(1), Some(Duration::MAX))
            .unwrap();
        drop(writing.join().unwrap());
        n
    });
    assert_eq!(n, 1);
}

#[test]
fn a_timeout_is_never_cut_short() {
    let epoll = Epoll::new().unwrap();
    let mut events = Events::with_capacity(1);
    for timeout in [
        Duration::from_micros(1),
        Duration::from_micros(1500),
        Duration::from_millis(20),
    ] {
        let start = Instant::now();
        assert_eq!(epoll.wait(&mut events, Some(timeout)).unwrap(), 0);
        assert!(start.elapsed() >= timeout, "{timeout:?}");
        // Rounded up to whole milliseconds, so never a busy poll.
        assert!(start.elapsed() >= Duration::from_millis(1), "{timeout:?}");
    }
}

#[test]
fn the_instance_is_close_on_exec() {
    let epoll = Epoll::new().unwrap();
    // SAFETY: F_GETFD takes no third argument and only reads the fd's flags.
    let flags = unsafe { libc::fcntl(epoll.as_fd().as_raw_fd(), libc::F_GETFD) };
    assert_ne!(flags, -1);
    assert_ne!(flags & libc::FD_CLOEXEC, 0);
}
