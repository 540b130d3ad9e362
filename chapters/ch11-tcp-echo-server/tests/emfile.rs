//! Running out of file descriptors. The server runs as a child process
//! with a soft limit of 64 open files, and this test connects clients
//! until `accept` fails with `EMFILE`. The server must neither crash nor
//! spin, must keep serving the connections it has, and must accept the
//! waiting clients once some of its connections close.

use echo_harness::workloads::IO_TIMEOUT;
use echo_harness::{ServerProcess, Signal};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

/// The server's soft limit on open files.
const LIMIT: u64 = 64;
/// Clients that connect after the server has run out of fds.
const WAITING: usize = 3;

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(IO_TIMEOUT))?;
    stream.set_write_timeout(Some(IO_TIMEOUT))?;
    Ok(stream)
}

fn ping(stream: &mut TcpStream, byte: u8) -> io::Result<()> {
    stream.write_all(&[byte])?;
    let mut back = [0u8];
    stream.read_exact(&mut back)?;
    assert_eq!(back, [byte]);
    Ok(())
}

/// The server binary, with `RLIMIT_NOFILE` lowered to `LIMIT` in the child
/// between `fork` and `exec`.
fn limited_server() -> ServerProcess {
    let mut command = Command::new(env!("CARGO_BIN_EXE_echo_server"));
    // SAFETY: the closure runs in the child after fork, where only
    // async-signal-safe functions may be called: it calls getrlimit and
    // setrlimit (plain system calls) on a local `rlimit`, allocates
    // nothing and takes no lock.
    unsafe {
        command.pre_exec(|| {
            let mut limit = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == -1 {
                return Err(io::Error::last_os_error());
            }
            limit.rlim_cur = LIMIT;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    ServerProcess::spawn_command(command).expect("starting echo_server")
}

/// Waits (at most 10 s) until the server's stderr contains `text`.
fn wait_for_stderr(server: &ServerProcess, text: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let stderr = server.stderr();
        if stderr.contains(text) || Instant::now() >= deadline {
            return stderr;
        }
        thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn out_of_fds_the_server_keeps_serving_does_not_spin_and_recovers() {
    let mut server = limited_server();
    let addr = server.addr();
    // Each connection takes the lowest free fd number below the limit.
    // (The server may hold inherited fds above it; they do not count.)
    let open = server.open_fds().unwrap();
    let free = LIMIT as usize - open.iter().filter(|&&fd| (fd as u64) < LIMIT).count();

    let mut served = Vec::new();
    for i in 0..free {
        let mut client = connect(addr).unwrap();
        ping(&mut client, i as u8).unwrap();
        served.push(client);
    }
    // These connect (the kernel completes the handshake and queues them),
    // but the server has no fd left to accept them with.
    let mut waiting = Vec::new();
    for i in 0..WAITING {
        let mut client = connect(addr).unwrap();
        client.write_all(&[100 + i as u8]).unwrap();
        waiting.push(client);
    }
    let stderr = wait_for_stderr(&server, "Too many open files");
    assert!(
        stderr.contains("accept: Too many open files (os error 24); pausing accepts"),
        "{stderr}"
    );
    assert!(
        server
            .open_fds()
            .unwrap()
            .iter()
            .all(|&fd| (fd as u64) < LIMIT || open.contains(&fd))
    );

    // Not spinning: over a second at the limit, the server uses a few
    // milliseconds of CPU (a spinning one would use close to the whole
    // second).
    let before = server.cpu_time().unwrap();
    thread::sleep(Duration::from_secs(1));
    let used = server.cpu_time().unwrap() - before;
    eprintln!("CPU time used over 1 s with accept failing: {used:?}");
    assert!(used < Duration::from_millis(250), "{used:?}");

    // Still serving what it has.
    for (i, client) in served.iter_mut().enumerate() {
        ping(client, i as u8).unwrap();
    }
    // Closing some connections frees fds: the waiting clients get in, and
    // their bytes come back.
    served.truncate(served.len() - WAITING);
    for (i, client) in waiting.iter_mut().enumerate() {
        let mut back = [0u8];
        client.read_exact(&mut back).unwrap();
        assert_eq!(back, [100 + i as u8]);
        ping(client, i as u8).unwrap();
    }

    server.signal(Signal::Terminate).unwrap();
    let status = server.wait_with_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(status.code(), Some(0));
}
