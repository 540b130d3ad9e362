//! The workloads against small thread-per-connection echo servers written
//! here: a correct one passes every workload, and each broken one is caught
//! by the workload meant to catch it. (The event-loop servers are tested in
//! chapter 12's crate, with the same workloads.)

use echo_harness::workloads::{AFTER_RESET_BYTES, HALF_CLOSE_BYTES, echo_check_total};
use echo_harness::{HalfClose, echo_check, half_close, reset_mid_stream, slow_reader};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::thread;

/// A server on a free port that runs `handle` on a thread per connection.
/// Its threads end with their connections; the accepting thread is left to
/// end with the test process.
fn serve(handle: fn(TcpStream) -> io::Result<()>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || handle(stream));
        }
    });
    addr
}

/// Gives a socket small kernel buffers, so that a client that does not
/// read stalls after a few MiB whatever the autotuning limits are.
fn small_buffers(stream: &TcpStream) -> io::Result<()> {
    for option in [libc::SO_RCVBUF, libc::SO_SNDBUF] {
        let size: libc::c_int = 64 * 1024;
        // SAFETY: the fd is open while `stream` is borrowed, and the value
        // is a live c_int whose exact size is passed along.
        let ret = unsafe {
            libc::setsockopt(
                stream.as_raw_fd(),
                libc::SOL_SOCKET,
                option,
                (&raw const size).cast(),
                size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if ret == -1 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Reads and writes back on one thread: a write that blocks stops the
/// reading, which is backpressure. A half-close ends the loop after
/// everything read was written, and dropping the stream closes it.
fn correct(mut stream: TcpStream) -> io::Result<()> {
    small_buffers(&stream)?;
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n])?;
    }
}

/// Changes one byte in ten thousand.
fn corrupting(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 16 * 1024];
    let mut seen = 0usize;
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        for byte in &mut buf[..n] {
            seen += 1;
            if seen.is_multiple_of(10_000) {
                *byte ^= 0x20;
            }
        }
        stream.write_all(&buf[..n])?;
    }
}

/// Reads on one thread and writes on another, with an unbounded queue in
/// between: reading never waits for writing, so a client that does not
/// read makes the queue grow without limit.
fn unbounded(mut stream: TcpStream) -> io::Result<()> {
    let mut writer = stream.try_clone()?;
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    thread::spawn(move || {
        for chunk in rx {
            if writer.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let mut buf = [0u8; 16 * 1024];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
            return Ok(());
        }
    }
}

/// Closes the connection as soon as the client half-closes, without sending
/// back what it still holds.
fn drops_the_tail(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0u8; 16 * 1024];
    let mut held = Vec::new();
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        held.extend_from_slice(&buf[..n]);
        // Echo all but the last 1000 bytes seen so far.
        let ready = held.len().saturating_sub(1000);
        stream.write_all(&held[..ready])?;
        held.drain(..ready);
    }
}

#[test]
fn a_correct_server_passes_every_workload() {
    let addr = serve(correct);
    let echoed = echo_check(addr, 8, 10, 1).unwrap();
    // The count depends only on the arguments.
    assert_eq!(echoed, echo_check_total(8, 10, 1));
    assert_ne!(echo_check_total(8, 10, 1), echo_check_total(8, 10, 2));
    let slow = slow_reader(addr, 16).unwrap();
    assert_eq!(slow.verified, 16 << 20);
    assert!(slow.writer_stalled, "{slow:?}");
    assert!(slow.sent_before_stall < 16 << 20);
    assert_eq!(
        half_close(addr).unwrap(),
        HalfClose {
            sent: HALF_CLOSE_BYTES,
            echoed_before_eof: HALF_CLOSE_BYTES
        }
    );
    assert_eq!(reset_mid_stream(addr).unwrap(), AFTER_RESET_BYTES);
}

#[test]
fn echo_check_finds_a_changed_byte() {
    let error = echo_check(serve(corrupting), 4, 10, 2).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    assert!(error.to_string().contains("came back changed"), "{error}");
}

#[test]
fn slow_reader_sees_a_server_that_buffers_without_limit() {
    let slow = slow_reader(serve(unbounded), 16).unwrap();
    assert_eq!(slow.verified, 16 << 20);
    assert!(!slow.writer_stalled, "{slow:?}");
}

#[test]
fn half_close_sees_a_server_that_drops_what_it_owes() {
    assert_eq!(
        half_close(serve(drops_the_tail)).unwrap(),
        HalfClose {
            sent: HALF_CLOSE_BYTES,
            echoed_before_eof: HALF_CLOSE_BYTES - 1000
        }
    );
}

#[test]
fn nothing_listening_is_an_error_not_a_hang() {
    // Bind a port and close it again: nothing listens there now.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let error = echo_check(addr, 2, 1, 0).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::ConnectionRefused);
}
