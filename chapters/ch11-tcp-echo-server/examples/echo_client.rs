//! A session with the echo server: the example starts the server on a
//! thread of its own (port 0, so the kernel picks a free port), talks to it
//! as five clients, one after another, prints what each saw, and stops the
//! server.

use ch11_tcp_echo_server::{Config, ServerThread, Stats};
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::Duration;

const TIMEOUT: Duration = Duration::from_secs(5);

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(TIMEOUT))?;
    stream.set_write_timeout(Some(TIMEOUT))?;
    Ok(stream)
}

/// Sends `message` and reads as many bytes back.
fn round_trip(stream: &mut TcpStream, message: &[u8]) -> io::Result<Vec<u8>> {
    stream.write_all(message)?;
    let mut back = vec![0; message.len()];
    stream.read_exact(&mut back)?;
    Ok(back)
}

// ANCHOR: clients
/// Client 1: one short message.
fn hello(addr: SocketAddr) -> io::Result<()> {
    let mut stream = connect(addr)?;
    let back = round_trip(&mut stream, b"hello, epoll")?;
    println!(
        "client 1: sent \"hello, epoll\" (12 bytes), got back {:?}",
        String::from_utf8_lossy(&back)
    );
    Ok(())
}

/// Client 2: a mebibyte, written by one thread while another reads, so
/// neither side waits for the other.
fn one_mebibyte(addr: SocketAddr) -> io::Result<()> {
    let mut stream = connect(addr)?;
    let data: Vec<u8> = (0..1 << 20).map(|i: u32| (i % 251) as u8).collect();
    let mut writer = stream.try_clone()?;
    let sent = data.clone();
    let writing = thread::spawn(move || -> io::Result<()> {
        for chunk in sent.chunks(64 * 1024) {
            writer.write_all(chunk)?;
        }
        Ok(())
    });
    let mut back = vec![0; data.len()];
    stream.read_exact(&mut back)?;
    writing.join().expect("the writer does not panic")?;
    println!(
        "client 2: sent {} bytes in writes of 64 KiB, got back {} bytes, equal: {}",
        data.len(),
        back.len(),
        back == data
    );
    Ok(())
}

/// Client 3: a half-close. The server must send back what it owes, then
/// close its side too.
fn half_close(addr: SocketAddr) -> io::Result<()> {
    let mut stream = connect(addr)?;
    stream.write_all(b"goodbye")?;
    stream.shutdown(Shutdown::Write)?;
    let mut back = Vec::new();
    stream.read_to_end(&mut back)?; // returns at end-of-file
    println!(
        "client 3: sent \"goodbye\" and shut down its sending side; got back {:?}, then end-of-file",
        String::from_utf8_lossy(&back)
    );
    Ok(())
}

/// Client 4: sends 64 KiB, reads none of the echo, and closes with
/// `SO_LINGER` set to 0, which sends a reset instead of a FIN.
fn reset(addr: SocketAddr) -> io::Result<()> {
    let mut stream = connect(addr)?;
    stream.write_all(&[b'r'; 64 * 1024])?;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: the fd is open while `stream` lives; the option value is a
    // live `linger` and the length passed is its exact size.
    let ret = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&raw const linger).cast(),
            size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    if ret == -1 {
        return Err(io::Error::last_os_error());
    }
    drop(stream);
    println!("client 4: sent 65536 bytes, read none, and reset the connection");
    Ok(())
}

/// Client 5: after the reset, the server still answers.
fn still_there(addr: SocketAddr) -> io::Result<()> {
    let mut stream = connect(addr)?;
    let back = round_trip(&mut stream, b"still there?")?;
    println!(
        "client 5: sent \"still there?\", got back {:?}",
        String::from_utf8_lossy(&back)
    );
    Ok(())
}
// ANCHOR_END: clients

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let config = Config::default();
    let server = ServerThread::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), config)?;
    let addr = server.addr();
    println!(
        "server: listening on {}, on a port the kernel picked",
        addr.ip()
    );

    hello(addr)?;
    one_mebibyte(addr)?;
    half_close(addr)?;
    reset(addr)?;
    still_there(addr)?;

    // Every client has closed its end; wait (at most 5 s) until the server
    // has seen all five go.
    let all_gone = |s: &Stats| s.finished + s.failed == 5;
    let stats = server.remote().wait_for(TIMEOUT, all_gone)?;
    println!(
        "server: {} connections accepted; {} finished, {} ended by a reset",
        stats.accepted, stats.finished, stats.resets
    );
    println!(
        "server: most output pending on one connection, at most {} KiB + {} KiB: {}",
        config.max_pending / 1024,
        config.read_buffer / 1024,
        stats.max_pending <= config.max_pending + config.read_buffer
    );
    let report = server.stop()?;
    println!(
        "server: stopped by {}, {} connections closed at shutdown",
        report.stopped_by, report.stats.closed_at_shutdown
    );
    Ok(())
}
// ANCHOR_END: main
