//! One loop, three kinds of fd, each wrapped in a `Generic`: a pipe, a
//! Unix socket and an eventfd. Another thread writes into all three; the
//! loop collects what arrives in its shared `Data`, answers on the socket,
//! removes the pipe and the socket when they reach end of file, and stops
//! itself once everything is in.
//!
//! Run it with `cargo run -p ch08-generic-sources --example three_sources`.

use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch05_eventfd_wakeups::EventFd;
use ch07_a_reactor::io::{read_some, write_some};
use ch08_generic_sources::{EventLoop, Generic, Interest, Mode, PostAction};
use std::io::{self, BufRead, BufReader, ErrorKind, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const MESSAGES: u64 = 3;

// ANCHOR: data
/// What the callbacks share: the loop lends it to each of them in turn.
#[derive(Default)]
struct Received {
    pipe_lines: Vec<String>,
    pipe_buffer: Vec<u8>,
    pings: Vec<String>,
    socket_buffer: Vec<u8>,
    eventfd_total: u64,
    /// Sources that reached end of file and were removed.
    finished: Vec<&'static str>,
}

impl Received {
    fn all_in(&self) -> bool {
        self.finished.len() == 2 && self.eventfd_total == (1..=MESSAGES).sum::<u64>()
    }
}
// ANCHOR_END: data

/// Moves the complete lines at the front of `buffer` into `lines`.
fn take_lines(buffer: &mut Vec<u8>, lines: &mut Vec<String>) {
    while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
        let line: Vec<u8> = buffer.drain(..=end).collect();
        lines.push(String::from_utf8_lossy(&line[..end]).into_owned());
    }
}

// ANCHOR: producer
/// The other thread: writes three messages into each fd, reads the three
/// answers from the socket, then closes its ends.
fn produce(pipe: OwnedFd, socket: UnixStream, eventfd: Arc<EventFd>) -> io::Result<Vec<String>> {
    let mut writer = socket.try_clone()?;
    // The loop keeps its end open until it is dropped, after this thread
    // is joined: if an answer never came, an unbounded read would hang both.
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    for i in 1..=MESSAGES {
        write_some(pipe.as_fd(), format!("pipe {i}\n").as_bytes())?;
        writer.write_all(format!("ping {i}\n").as_bytes())?;
        eventfd.write(i)?;
    }
    let mut answers = Vec::new();
    for line in BufReader::new(socket).lines().take(3) {
        answers.push(line?);
    }
    Ok(answers)
    // `pipe`, `writer` and the socket are closed here: end of file for
    // the loop's two ends.
}
// ANCHOR_END: producer

pub fn main() -> io::Result<()> {
    // ANCHOR: sources
    let mut event_loop: EventLoop<'_, Received> = EventLoop::new()?;
    let handle = event_loop.handle();

    // A pipe, level-triggered: one read per event, and the loop calls
    // again while anything is left.
    let (pipe_reader, pipe_writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let pipe = Generic::new(pipe_reader, Interest::READABLE, Mode::Level);
    handle.insert_source(pipe, |_readiness, pipe, data| {
        let mut buf = [0; 64];
        match read_some(pipe.as_fd(), &mut buf)? {
            Some(0) => {
                data.finished.push("pipe");
                return Ok(PostAction::Remove);
            }
            Some(n) => data.pipe_buffer.extend_from_slice(&buf[..n]),
            None => {}
        }
        take_lines(&mut data.pipe_buffer, &mut data.pipe_lines);
        Ok(PostAction::Continue)
    })?;

    // A socket, edge-triggered: read until "would block", answer each
    // ping through the same shared `&UnixStream`.
    let (socket, peer) = UnixStream::pair()?;
    socket.set_nonblocking(true)?;
    let socket = Generic::new(socket, Interest::READABLE, Mode::Edge);
    handle.insert_source(socket, |_readiness, socket, data| {
        let mut buf = [0; 64];
        let mut end_of_file = false;
        loop {
            match read_some(socket.as_fd(), &mut buf)? {
                Some(0) => {
                    end_of_file = true;
                    break;
                }
                Some(n) => data.socket_buffer.extend_from_slice(&buf[..n]),
                None => break,
            }
        }
        let before = data.pings.len();
        take_lines(&mut data.socket_buffer, &mut data.pings);
        for ping in &data.pings[before..] {
            let answer = format!("{}\n", ping.replace("ping", "pong"));
            // `&UnixStream` is `Write`: shared access is enough for I/O.
            let mut writer: &UnixStream = socket;
            writer.write_all(answer.as_bytes())?;
        }
        if end_of_file {
            data.finished.push("socket");
            return Ok(PostAction::Remove);
        }
        Ok(PostAction::Continue)
    })?;

    // An eventfd, level-triggered; the other thread holds it too.
    let eventfd = Arc::new(EventFd::new(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC)?);
    let counter = Generic::new(Arc::clone(&eventfd), Interest::READABLE, Mode::Level);
    handle.insert_source(counter, |_readiness, eventfd, data| {
        match eventfd.read() {
            Ok(n) => data.eventfd_total += n,
            Err(err) if err.kind() == ErrorKind::WouldBlock => {}
            Err(err) => return Err(err),
        }
        Ok(PostAction::Continue)
    })?;
    // ANCHOR_END: sources

    // ANCHOR: run
    let producer = thread::spawn(move || produce(pipe_writer, peer, eventfd));

    let signal = event_loop.signal();
    let mut received = Received::default();
    let give_up = Instant::now() + Duration::from_secs(5);
    event_loop.run(
        Some(Duration::from_millis(100)),
        &mut received,
        |received| {
            if received.all_in() || Instant::now() > give_up {
                signal.stop();
            }
        },
    )?;
    let answers = producer.join().expect("the producer thread panicked")?;
    // ANCHOR_END: run

    if !received.all_in() {
        return Err(io::Error::new(
            ErrorKind::TimedOut,
            "three_sources: not everything arrived within 5 s",
        ));
    }
    println!("pipe, level-triggered: {:?}", received.pipe_lines);
    println!("socket, edge-triggered: {:?}", received.pings);
    println!(
        "eventfd, level-triggered: counter total {}",
        received.eventfd_total
    );
    println!("the other thread got back: {answers:?}");
    received.finished.sort();
    println!(
        "removed at end of file: {}",
        received.finished.join(" and ")
    );
    println!("everything in: the loop stopped itself");
    println!("sources left in the loop: {}", handle.len());
    Ok(())
}
