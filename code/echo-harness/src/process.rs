//! Running a server binary from a test.
//!
//! [`ServerProcess::spawn`] starts a server on `127.0.0.1:0`, so tests never
//! guess a free port, and reads the `listening on ADDR` line to learn the
//! port the kernel picked. The process is killed when the value is dropped,
//! so a failing test leaves no server behind. Every wait is bounded.

use std::fs;
use std::io::{self, BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a server may take to print `listening on ADDR`.
pub const STARTUP_TIMEOUT: Duration = Duration::from_secs(10);

/// The signals the servers promise to handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT, what Ctrl-C sends.
    Interrupt,
    /// SIGTERM, what `kill` and service managers send.
    Terminate,
}

impl Signal {
    fn number(self) -> libc::c_int {
        match self {
            Signal::Interrupt => libc::SIGINT,
            Signal::Terminate => libc::SIGTERM,
        }
    }
}

/// A running server binary, killed on drop if it is still running.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    addr: SocketAddr,
    exited: Option<ExitStatus>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl ServerProcess {
    /// Starts `binary --addr 127.0.0.1:0` and waits (at most
    /// [`STARTUP_TIMEOUT`]) for its `listening on ADDR` line.
    pub fn spawn(binary: &Path) -> io::Result<ServerProcess> {
        ServerProcess::spawn_command(Command::new(binary))
    }

    /// Like [`spawn`](Self::spawn), for a command the caller has prepared
    /// (say with a resource limit set in `pre_exec`). The address argument
    /// and the standard streams are set here.
    pub fn spawn_command(mut command: Command) -> io::Result<ServerProcess> {
        command
            .args(["--addr", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn()?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut stderr_pipe = child.stderr.take().expect("stderr is piped");

        // Both pipes are read to the end on their own threads, so the server
        // never blocks writing to a full pipe, whatever it prints.
        let stderr = Arc::new(Mutex::new(String::new()));
        let collected = Arc::clone(&stderr);
        let stderr_reader = thread::spawn(move || {
            let mut chunk = [0u8; 4096];
            while let Ok(n @ 1..) = stderr_pipe.read(&mut chunk) {
                let text = String::from_utf8_lossy(&chunk[..n]);
                collected
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_str(&text);
            }
        });
        let (first_line, line_rx) = mpsc::channel();
        let stdout_reader = thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            let mut line = Vec::new();
            let announced = match stdout.read_until(b'\n', &mut line) {
                Ok(1..) => Some(String::from_utf8_lossy(&line).into_owned()),
                _ => None,
            };
            let _ = first_line.send(announced);
            let _ = io::copy(&mut stdout, &mut io::sink());
        });

        // From here on, dropping `server` kills the child and joins the
        // readers, whichever way this function returns.
        let mut server = ServerProcess {
            child,
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            exited: None,
            stderr,
            readers: vec![stderr_reader, stdout_reader],
        };
        let line = match line_rx.recv_timeout(STARTUP_TIMEOUT) {
            Ok(Some(line)) => line,
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                // It closed stdout without announcing itself: it has most
                // likely failed; give it a moment to exit and say why.
                let status = server.wait_with_timeout(Duration::from_secs(5));
                return Err(io::Error::other(format!(
                    "the server exited ({status:?}) before printing `listening on ADDR`; stderr: {}",
                    server.stderr()
                )));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!(
                        "the server printed nothing within {STARTUP_TIMEOUT:?}; stderr: {}",
                        server.stderr()
                    ),
                ));
            }
        };
        server.addr = line
            .strip_prefix("listening on ")
            .and_then(|addr| addr.trim().parse().ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("expected `listening on ADDR`, the server printed {line:?}"),
                )
            })?;
        Ok(server)
    }

    /// The address the server announced.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` to the server. Fails if it has already exited.
    pub fn signal(&mut self, signal: Signal) -> io::Result<()> {
        if let Some(status) = self.try_wait()? {
            return Err(io::Error::other(format!(
                "the server has already exited ({status})"
            )));
        }
        let pid = libc::pid_t::try_from(self.child.id()).map_err(io::Error::other)?;
        // SAFETY: kill has no memory-safety preconditions. The pid is our
        // own child's, and it has not been reaped (try_wait just saw it
        // running, and only this value waits for it), so the kernel has not
        // handed the number to another process.
        let ret = unsafe { libc::kill(pid, signal.number()) };
        if ret == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }

    fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait()?;
        }
        Ok(self.exited)
    }

    /// Waits for the server to exit, at most `timeout`; past that, kills it
    /// and fails with [`io::ErrorKind::TimedOut`].
    pub fn wait_with_timeout(&mut self, timeout: Duration) -> io::Result<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_wait()? {
                return Ok(status);
            }
            if Instant::now() >= deadline {
                let _ = self.child.kill();
                self.exited = Some(self.child.wait()?);
                return Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("the server did not exit within {timeout:?}; killed it"),
                ));
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// The numbers of the file descriptors the server has open, in
    /// ascending order, from `/proc/<pid>/fd`. (A server may hold fds it
    /// inherited, such as a build tool's jobserver pipe, with numbers above
    /// any limit the test set.)
    pub fn open_fds(&self) -> io::Result<Vec<i32>> {
        let mut fds = Vec::new();
        for entry in fs::read_dir(format!("/proc/{}/fd", self.pid()))? {
            if let Some(fd) = entry?.file_name().to_str().and_then(|s| s.parse().ok()) {
                fds.push(fd);
            }
        }
        fds.sort_unstable();
        Ok(fds)
    }

    /// Waits (at most `timeout`) until the server has exactly the fds
    /// `expected` open, and returns the ones it last saw. Closing is
    /// asynchronous from a client's point of view, so a test that wants to
    /// see a server's fds come back waits for it.
    pub fn wait_for_open_fds(&self, expected: &[i32], timeout: Duration) -> io::Result<Vec<i32>> {
        let deadline = Instant::now() + timeout;
        loop {
            let fds = self.open_fds()?;
            if fds == expected || Instant::now() >= deadline {
                return Ok(fds);
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// Waits (at most `timeout`) until the server has at least `count` fds
    /// open, and returns how many it last had: for a test that wants to
    /// see it hold many connections at once.
    pub fn wait_for_open_fds_count(&self, count: usize, timeout: Duration) -> io::Result<usize> {
        let deadline = Instant::now() + timeout;
        loop {
            let open = self.open_fds()?.len();
            if open >= count || Instant::now() >= deadline {
                return Ok(open);
            }
            thread::sleep(Duration::from_millis(5));
        }
    }

    /// The CPU time (user + system) the server has used so far, from
    /// fields 14 and 15 of `/proc/<pid>/stat`.
    pub fn cpu_time(&self) -> io::Result<Duration> {
        let stat = fs::read_to_string(format!("/proc/{}/stat", self.pid()))?;
        // The second field is the command name in parentheses and may hold
        // spaces; the fields after the last ')' start with field 3.
        let after_name = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed stat"))?;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let field = |n: usize| -> io::Result<u64> {
            fields
                .get(n - 3)
                .and_then(|f| f.parse().ok())
                .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "malformed stat"))
        };
        let ticks = field(14)? + field(15)?;
        // SAFETY: sysconf only reads a configuration value.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let per_second = u64::try_from(per_second)
            .ok()
            .filter(|&t| t > 0)
            .unwrap_or(100);
        Ok(Duration::from_nanos(ticks * 1_000_000_000 / per_second))
    }

    /// The most memory the server has had resident so far (`VmHWM` in
    /// `/proc/<pid>/status`), in bytes.
    pub fn peak_memory(&self) -> io::Result<u64> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.pid()))?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|value| value.trim().strip_suffix("kB"))
            .and_then(|kib| kib.trim().parse::<u64>().ok())
            .map(|kib| kib * 1024)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no VmHWM in status"))
    }

    /// What the server has written to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if self.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        // The child is gone, so its pipes are at end-of-file and the
        // readers finish.
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
    }
}

/// What a program that ran to its end printed.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `binary` with `args` and waits for it to exit, at most `timeout`
/// (after that it is killed and this fails with
/// [`io::ErrorKind::TimedOut`]). For the runs that should end by
/// themselves: `--help`, a bad command line, an address already in use.
pub fn run_to_exit(binary: &Path, args: &[&str], timeout: Duration) -> io::Result<Finished> {
    let mut child = Command::new(binary)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().expect("stdout is piped")));
    let stderr = read_all(Box::new(child.stderr.take().expect("stderr is piped")));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "{} did not exit within {timeout:?}; killed it",
                    binary.display()
                ),
            ));
        }
        thread::sleep(Duration::from_millis(5));
    };
    Ok(Finished {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}
