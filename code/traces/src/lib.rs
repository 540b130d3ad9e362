//! The system calls behind four of the book's examples, as `strace` shows
//! them. Each trace is written to `chapters/<crate>/traces/<program>.txt`,
//! which the chapter's page includes, and `tests/traces.rs` runs every
//! program again and fails if a file no longer matches its program.
//!
//! One command writes them all:
//!
//! ```console
//! cargo run -p traces
//! ```
//!
//! `cargo run -p traces -- --check` writes nothing and reports the traces
//! that differ. Either way the programs are built first, with
//! `cargo build --locked`, in the workspace's target directory.
//!
//! Each program runs under `strace -ff -qq -s 100`: every system call of
//! every thread, strings up to 100 bytes. The file keeps the calls the
//! chapter's lesson is about ([`Shown`]), and is made the same on every
//! run and every machine:
//!
//! - **Startup is cut.** Before `main`, the loader reads libraries and std
//!   reads `/proc/self/maps`; the trace starts at the program's first call
//!   of the kinds listed in [`Trace::start`], or its first write to
//!   standard output, whichever comes first.
//! - **Descriptors are renumbered** the way the kernel numbers them in a
//!   process that starts with only 0, 1 and 2 open: each new descriptor
//!   gets the lowest number not in use, and `close` frees it. A descriptor
//!   that a test runner or a shell leaves open in the process does not
//!   shift them.
//! - **Addresses** (hexadecimal numbers of 9 digits or more) become `0x…`.
//! - **Threads are listed one after the other**, the main thread first,
//!   so how they interleave does not matter; a thread is named by the order
//!   in which it was started (`thread 2`), and the `clone3` that starts it
//!   is shortened to `clone3(...) = thread 2`.
//! - strace's padding before ` = ` is squeezed to one space, and the
//!   server's port becomes `PORT`.
//!
//! The files name the strace version that made them: strace's formatting
//! changes between versions, and `check` does not compare a trace made by
//! another version (it says so instead).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long a program may run under strace before it counts as hung.
const TIMEOUT: Duration = Duration::from_secs(30);

/// strace's `-s`: how many bytes of a string argument it prints.
const STRING_SIZE: &str = "100";

/// Which program a trace is of.
#[derive(Clone, Copy, Debug)]
pub enum Program {
    /// `examples/<name>.rs`, run to completion.
    Example(&'static str),
    /// `src/bin/<name>.rs`, an echo server: started on a free port, one
    /// client connects, sends `hello`, reads it back and closes; then the
    /// server is stopped with SIGTERM.
    EchoServer(&'static str),
}

impl Program {
    pub fn name(self) -> &'static str {
        match self {
            Program::Example(name) | Program::EchoServer(name) => name,
        }
    }
}

/// Which calls a trace keeps.
#[derive(Clone, Copy, Debug)]
pub enum Shown {
    /// These calls only.
    Only(&'static [&'static str]),
    /// Every call but these.
    AllBut(&'static [&'static str]),
}

impl Shown {
    fn shows(self, name: &str) -> bool {
        match self {
            Shown::Only(names) => names.contains(&name),
            Shown::AllBut(names) => !names.contains(&name),
        }
    }

    fn describe(self) -> String {
        match self {
            Shown::Only(names) => format!("calls shown: {}", names.join(", ")),
            Shown::AllBut(names) => format!("every call but {}", names.join(", ")),
        }
    }
}

/// One trace: a program of a chapter crate and what to keep of it.
#[derive(Clone, Copy, Debug)]
pub struct Trace {
    /// The chapter crate (package name, and directory under `chapters/`).
    pub package: &'static str,
    pub program: Program,
    pub shown: Shown,
    /// The calls the trace starts at (see the crate's documentation).
    pub start: &'static [&'static str],
}

impl Trace {
    /// Where the trace is kept, relative to the workspace root.
    pub fn file(&self) -> PathBuf {
        Path::new("chapters")
            .join(self.package)
            .join("traces")
            .join(format!("{}.txt", self.program.name()))
    }
}

/// The traces the book shows.
pub const TRACES: &[Trace] = &[
    // Chapter 1: the three calls, with the numbers the kernel returns, and
    // the other thread's write that makes `epoll_wait` return.
    Trace {
        package: "ch01-raw-syscalls",
        program: Program::Example("first_program"),
        shown: Shown::Only(&[
            "epoll_create1",
            "epoll_ctl",
            "epoll_wait",
            "pipe2",
            "read",
            "write",
            "close",
            "clone3",
        ]),
        start: &["epoll_create1"],
    },
    // Chapter 3: edge-triggered, and the read that ends in EAGAIN.
    Trace {
        package: "ch03-level-edge-oneshot",
        program: Program::Example("edge_triggered"),
        shown: Shown::Only(&[
            "epoll_create1",
            "epoll_ctl",
            "epoll_wait",
            "pipe2",
            "read",
            "write",
            "close",
        ]),
        start: &["epoll_create1"],
    },
    // Chapter 5: a wake is an 8-byte write, a drain an 8-byte read, and a
    // drain in the wrong place erases a wake.
    Trace {
        package: "ch05-eventfd-wakeups",
        program: Program::Example("drain_then_check"),
        shown: Shown::Only(&[
            "epoll_create1",
            "epoll_ctl",
            "epoll_wait",
            "eventfd2",
            "read",
            "write",
            "close",
        ]),
        start: &["epoll_create1"],
    },
    // Chapter 11: everything one request costs the server. A debug build
    // of std checks with fcntl(F_GETFD) that a descriptor is open before
    // it closes it; a release build does not, so fcntl is left out and the
    // trace is the same for both.
    Trace {
        package: "ch11-tcp-echo-server",
        program: Program::EchoServer("echo_server"),
        shown: Shown::AllBut(&["fcntl"]),
        start: &["socket"],
    },
];

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("code/traces lives two levels below the workspace root")
        .to_path_buf()
}

/// The installed strace's version (`6.1`), or `None` if there is no
/// strace to run.
pub fn strace_version() -> io::Result<Option<String>> {
    let output = match Command::new("strace").arg("-V").output() {
        Ok(output) => output,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io::Error::new(e.kind(), format!("running strace -V: {e}"))),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    // "strace -- version 6.1"
    let version = text
        .lines()
        .next()
        .and_then(|line| line.split_whitespace().last())
        .filter(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        .ok_or_else(|| io::Error::other(format!("strace -V printed {text:?}")))?;
    Ok(Some(version.to_owned()))
}

/// The strace version named in the first line of a trace file.
pub fn version_in(trace_text: &str) -> Option<&str> {
    let first = trace_text.lines().next()?;
    let after = first.split(" under strace ").nth(1)?;
    after.split(';').next()
}

/// Builds `trace`'s program (`cargo build --locked`) and returns the path
/// of the executable.
pub fn build(root: &Path, trace: &Trace) -> io::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let (kind, name) = match trace.program {
        Program::Example(name) => ("--example", name),
        Program::EchoServer(name) => ("--bin", name),
    };
    let output = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--locked", "--quiet", "--message-format=json"])
        .args(["-p", trace.package, kind, name])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("starting cargo: {e}")))?;
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "cargo build -p {} {kind} {name} failed ({})",
            trace.package, output.status
        )));
    }
    // Every artifact cargo built is one JSON line; the program's carries
    // `"executable":"<path>"`.
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter_map(|line| {
            let start = line.find("\"executable\":\"")? + "\"executable\":\"".len();
            let end = start + line[start..].find('"')?;
            Some(PathBuf::from(&line[start..end]))
        })
        .find(|path| path.file_name().is_some_and(|f| f == name))
        .ok_or_else(|| io::Error::other(format!("cargo named no executable `{name}`")))
}

/// A scratch directory, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> io::Result<Scratch> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "epoll-book-trace-{name}-{}-{nanos}",
            std::process::id()
        ));
        fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// What strace wrote: one list of lines per thread, the main thread
/// first, then the others in the order they were started.
#[derive(Debug, Default)]
pub struct Raw {
    pub threads: Vec<Vec<String>>,
    /// The threads' ids, in the same order.
    pub tids: Vec<u64>,
    /// The port the server listened on (servers only).
    pub port: Option<u16>,
}

/// Runs `exe` under strace as `trace` says and returns what strace wrote.
pub fn run(trace: &Trace, exe: &Path) -> io::Result<Raw> {
    let scratch = Scratch::new(trace.program.name())?;
    let mut command = Command::new("strace");
    command
        .args(["-ff", "-qq", "-s", STRING_SIZE, "-o"])
        .arg(scratch.0.join("t"))
        .arg("--")
        .arg(exe)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let port = match trace.program {
        Program::Example(_) => {
            let child = command
                .spawn()
                .map_err(|e| io::Error::new(e.kind(), format!("starting strace: {e}")))?;
            finish(child, trace.program.name())?;
            None
        }
        Program::EchoServer(_) => {
            command.args(["--addr", "127.0.0.1:0"]);
            let child = command
                .spawn()
                .map_err(|e| io::Error::new(e.kind(), format!("starting strace: {e}")))?;
            Some(one_client(child, trace.program.name())?)
        }
    };
    let (tids, threads) = read_threads(&scratch.0)?;
    Ok(Raw {
        threads,
        tids,
        port,
    })
}

/// Waits for strace (and so its program) to exit, reading both pipes on
/// their own threads; kills it after [`TIMEOUT`].
fn finish(mut child: Child, name: &str) -> io::Result<()> {
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut pipe| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    })
    .collect();
    let status = wait_at_most(&mut child, TIMEOUT)
        .map_err(|e| io::Error::new(e.kind(), format!("{name} under strace: {e}")))?;
    let texts: Vec<String> = readers
        .into_iter()
        .map(|r| r.join().unwrap_or_default())
        .collect();
    if !status.success() {
        return Err(io::Error::other(format!(
            "{name} under strace exited with {status}; it printed:\n{}",
            texts.join("\n")
        )));
    }
    Ok(())
}

fn wait_at_most(child: &mut Child, limit: Duration) -> io::Result<ExitStatus> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if Instant::now() > deadline {
            kill_all(child);
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("did not finish within {limit:?}; killed it"),
            ));
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// The echo server's run: read its `listening on ADDR` line, play one
/// client, stop it with SIGTERM. Returns the port.
///
/// The client reads the echo, half-closes, and reads until the server
/// closes the connection: when that read returns 0 the server has made
/// every call of the request, `close` included, so the trace does not
/// depend on how soon SIGTERM follows.
fn one_client(mut child: Child, name: &str) -> io::Result<u16> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (lines_tx, lines) = mpsc::channel();
    let stdout_reader = thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let result = (|| {
        let first: String = lines.recv_timeout(TIMEOUT).map_err(|_| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!("{name} printed no `listening on` line"),
            )
        })?;
        let addr = first
            .strip_prefix("listening on ")
            .ok_or_else(|| io::Error::other(format!("{name} printed {first:?}")))?;
        let port: u16 = addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| io::Error::other(format!("no port in {addr:?}")))?;

        let mut client = TcpStream::connect(addr)?;
        client.set_read_timeout(Some(TIMEOUT))?;
        client.set_write_timeout(Some(TIMEOUT))?;
        client.write_all(b"hello")?;
        let mut echo = [0; 5];
        client.read_exact(&mut echo)?;
        if &echo != b"hello" {
            return Err(io::Error::other(format!("the echo was {echo:?}")));
        }
        client.shutdown(Shutdown::Write)?;
        let after = client.read(&mut [0; 16])?;
        if after != 0 {
            return Err(io::Error::other("the server sent more than the echo"));
        }
        drop(client);

        let server = server_pid(child.id())?;
        // SAFETY: kill(2) takes plain integers and touches no memory of
        // ours, so the call is sound for any pid. `server` is the server:
        // strace's only child, not reaped (the server cannot exit before
        // it is told to), so its number is not another process's.
        if unsafe { libc::kill(server, libc::SIGTERM) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(port)
    })();
    if result.is_err() {
        // The server too: it holds the stdout pipe the reader waits on.
        kill_all(&mut child);
    }
    let status = wait_at_most(&mut child, TIMEOUT);
    drop(lines);
    let _ = stdout_reader.join();
    let port = result?;
    let status = status?;
    if !status.success() {
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        return Err(io::Error::other(format!(
            "{name} under strace exited with {status} after SIGTERM: {stderr}"
        )));
    }
    Ok(port)
}

/// strace's children: the program it traces.
fn children_of(strace: u32) -> io::Result<Vec<libc::pid_t>> {
    let path = format!("/proc/{strace}/task/{strace}/children");
    let children = fs::read_to_string(&path)?;
    children
        .split_whitespace()
        .map(|pid| {
            pid.parse()
                .map_err(|_| io::Error::other(format!("{path} holds {children:?}")))
        })
        .collect()
}

/// strace's one child: the server it traces.
fn server_pid(strace: u32) -> io::Result<libc::pid_t> {
    match children_of(strace)?[..] {
        [pid] => Ok(pid),
        ref other => Err(io::Error::other(format!(
            "strace has {} children, not one",
            other.len()
        ))),
    }
}

/// Kills strace and the program it traces: killing strace alone would
/// leave the program running, detached.
fn kill_all(child: &mut Child) {
    for pid in children_of(child.id()).unwrap_or_default() {
        // SAFETY: kill(2) takes plain integers and touches no memory of
        // ours, so the call is sound for any pid. `pid` was listed as a
        // child of strace just now; a child that has exited stays listed,
        // as a zombie, until strace reaps it.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
}

/// Reads strace's `-ff` files (`t.<tid>`), the main thread's first (it
/// begins with `execve`), then the threads in the order of the `clone3`
/// (or `clone`) calls that started them.
type Threads = (Vec<u64>, Vec<Vec<String>>);

fn read_threads(dir: &Path) -> io::Result<Threads> {
    let mut files: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let tid = path
            .extension()
            .and_then(|e| e.to_str())
            .and_then(|e| e.parse().ok())
            .ok_or_else(|| io::Error::other(format!("unexpected file {}", path.display())))?;
        let text = fs::read_to_string(&path)?;
        files.insert(tid, text.lines().map(str::to_owned).collect());
    }
    let main = files
        .iter()
        .find(|(_, lines)| lines.first().is_some_and(|l| l.starts_with("execve(")))
        .map(|(&tid, _)| tid)
        .ok_or_else(|| io::Error::other("no trace begins with execve"))?;
    let mut order = vec![main];
    let mut next = 0;
    while next < order.len() {
        for line in &files[&order[next]] {
            if let Some(call) = Call::parse(line)
                && (call.name == "clone3" || call.name == "clone")
                && let Ok(tid) = call.result_number()
                && let Ok(tid) = u64::try_from(tid)
                && files.contains_key(&tid)
                && !order.contains(&tid)
            {
                order.push(tid);
            }
        }
        next += 1;
    }
    // A thread whose start was not seen (none is expected) comes last.
    let seen: BTreeSet<u64> = order.iter().copied().collect();
    order.extend(files.keys().filter(|tid| !seen.contains(tid)));
    let threads = order
        .iter()
        .map(|tid| files.remove(tid).unwrap_or_default())
        .collect();
    Ok((order, threads))
}

/// One line of strace output, split into the call's name, its arguments
/// and its result.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Vec<String>,
    /// What follows ` = `: `3`, `-1 EAGAIN (...)`, `?`.
    pub result: String,
}

impl Call {
    /// Parses `name(arg, arg, ...)   = result`; `None` for anything else
    /// (signals, exits).
    pub fn parse(line: &str) -> Option<Call> {
        let open = line.find('(')?;
        let name = &line[..open];
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return None;
        }
        let mut args = Vec::new();
        let mut depth = 0usize;
        let mut in_string = false;
        let mut escaped = false;
        let mut arg_start = open + 1;
        let bytes = line.as_bytes();
        let mut close = None;
        for (i, &b) in bytes.iter().enumerate().skip(open + 1) {
            if in_string {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'(' | b'[' | b'{' => depth += 1,
                b')' if depth == 0 => {
                    close = Some(i);
                    break;
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b',' if depth == 0 => {
                    args.push(line[arg_start..i].trim().to_owned());
                    arg_start = i + 1;
                }
                _ => {}
            }
        }
        let close = close?;
        let last = line[arg_start..close].trim();
        if !last.is_empty() || !args.is_empty() {
            args.push(last.to_owned());
        }
        let result = line[close + 1..].trim_start().strip_prefix("= ")?;
        Some(Call {
            name: name.to_owned(),
            args,
            result: result.trim_end().to_owned(),
        })
    }

    /// The result as a number (`-1` for a failure).
    pub fn result_number(&self) -> Result<i64, std::num::ParseIntError> {
        self.result
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .parse()
    }

    fn arg_number(&self, index: usize) -> Option<i64> {
        self.args.get(index)?.parse().ok()
    }
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}({}) = {}",
            self.name,
            self.args.join(", "),
            self.result
        )
    }
}

/// Which arguments of a call are descriptors, for the calls the traces
/// show. A shown call not in this table is an error: the renumbering
/// would not know what to renumber.
fn fd_args(name: &str) -> Option<&'static [usize]> {
    Some(match name {
        "read" | "write" | "close" | "pread64" | "pwrite64" | "readv" | "writev" | "recvfrom"
        | "sendto" | "recvmsg" | "sendmsg" | "accept" | "accept4" | "bind" | "listen"
        | "connect" | "shutdown" | "setsockopt" | "getsockopt" | "getsockname" | "getpeername"
        | "ioctl" | "fcntl" | "fstat" | "lseek" | "epoll_wait" | "epoll_pwait" | "epoll_pwait2"
        | "timerfd_settime" | "timerfd_gettime" | "signalfd4" | "dup" => &[0],
        "epoll_ctl" => &[0, 2],
        "mmap" => &[4],
        "epoll_create1" | "eventfd2" | "socket" | "pipe2" | "timerfd_create" | "clone3"
        | "clone" | "rt_sigprocmask" | "rt_sigaction" | "sigaltstack" | "brk" | "munmap"
        | "mprotect" | "madvise" | "mremap" | "futex" | "gettid" | "getrandom" | "exit"
        | "exit_group" => &[],
        _ => return None,
    })
}

/// Whether the call's result is a new descriptor.
fn makes_fd(call: &Call) -> bool {
    match call.name.as_str() {
        "epoll_create1" | "epoll_create" | "eventfd2" | "eventfd" | "socket" | "accept"
        | "accept4" | "timerfd_create" | "open" | "openat" | "dup" | "inotify_init1"
        | "pidfd_open" | "memfd_create" => true,
        // signalfd4(-1, ...) makes one; signalfd4(fd, ...) changes fd's mask.
        "signalfd4" | "signalfd" => call.arg_number(0) == Some(-1),
        "fcntl" => call
            .args
            .get(1)
            .is_some_and(|cmd| cmd.starts_with("F_DUPFD")),
        _ => false,
    }
}

/// Descriptor numbers as a process that started with 0, 1 and 2 open
/// would get them.
#[derive(Debug, Default)]
struct Renumber {
    /// Real number to canonical number, for the descriptors open now.
    open: BTreeMap<i64, i64>,
    /// The last canonical number each real number had: threads are
    /// followed one after the other, so a later thread may use a
    /// descriptor the main thread has closed by the end of its trace.
    last: BTreeMap<i64, i64>,
}

impl Renumber {
    fn lowest_free(&self) -> i64 {
        let used: BTreeSet<i64> = self.open.values().copied().collect();
        (3..).find(|n| !used.contains(n)).expect("a free number")
    }

    /// The canonical number of `real`, giving it one if it has none yet
    /// (a descriptor opened before the trace starts, or by a call not
    /// understood).
    fn of(&mut self, real: i64) -> i64 {
        if real < 3 {
            return real;
        }
        if let Some(&n) = self.open.get(&real).or_else(|| self.last.get(&real)) {
            return n;
        }
        let n = self.lowest_free();
        self.open.insert(real, n);
        self.last.insert(real, n);
        n
    }

    fn opened(&mut self, real: i64) -> i64 {
        self.open.remove(&real);
        self.last.remove(&real);
        self.of(real)
    }

    fn closed(&mut self, real: i64) {
        self.open.remove(&real);
    }

    /// Rewrites the descriptors of `call` (arguments and result) and keeps
    /// the table up to date. Returns `false` for a call whose arguments it
    /// does not know ([`fd_args`]): it is followed only for the descriptors
    /// it makes and closes, and must not be shown.
    fn apply(&mut self, call: &mut Call) -> bool {
        let known = fd_args(&call.name);
        let fd_args = known.unwrap_or(&[]);
        let closes = call.arg_number(0).filter(|_| call.name == "close");
        for &i in fd_args {
            if let Some(real) = call.arg_number(i)
                && real >= 0
            {
                call.args[i] = self.of(real).to_string();
            }
        }
        if matches!(call.name.as_str(), "pipe2" | "pipe" | "socketpair")
            && call.result == "0"
            && let Some(pair) = call.args.iter_mut().find(|a| a.starts_with('['))
        {
            let numbers: Vec<i64> = pair
                .trim_matches(|c| c == '[' || c == ']')
                .split(", ")
                .filter_map(|n| n.parse().ok())
                .collect();
            if let [a, b] = numbers[..] {
                *pair = format!("[{}, {}]", self.opened(a), self.opened(b));
            }
        } else if makes_fd(call)
            && let Ok(real) = call.result_number()
            && real >= 0
        {
            call.result = self.opened(real).to_string();
        } else if call.name == "close"
            && call.result == "0"
            && let Some(real) = closes
        {
            self.closed(real);
        }
        known.is_some()
    }
}

/// Replaces every hexadecimal number of 9 digits or more outside a string
/// (an address) with `0x…`.
pub fn hide_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    let mut in_string = false;
    let mut escaped = false;
    let mut previous = ' ';
    while let Some((i, c)) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            previous = c;
            continue;
        }
        if c == '"' {
            in_string = true;
        } else if c == '0' && !previous.is_ascii_alphanumeric() && text[i..].starts_with("0x") {
            let digits = text[i + 2..]
                .bytes()
                .take_while(u8::is_ascii_hexdigit)
                .count();
            if digits >= 9 {
                out.push_str("0x…");
                for _ in 0..digits + 1 {
                    chars.next();
                }
                previous = 'f';
                continue;
            }
        }
        out.push(c);
        previous = c;
    }
    out
}

/// Turns what strace wrote into the trace file's text.
pub fn normalise(trace: &Trace, raw: &Raw, strace_version: &str) -> io::Result<String> {
    let mut renumber = Renumber::default();
    // Each thread's shown calls, each with whether its descriptors were
    // understood.
    let mut threads: Vec<Vec<(Call, bool)>> = Vec::new();
    for (index, lines) in raw.threads.iter().enumerate() {
        let calls = lines.iter().filter_map(|line| Call::parse(line));
        let calls: Vec<Call> = if index == 0 {
            let all: Vec<Call> = calls.collect();
            let start = all
                .iter()
                .position(|c| {
                    trace.start.contains(&c.name.as_str())
                        || (c.name == "write" && c.args.first().is_some_and(|fd| fd == "1"))
                })
                .ok_or_else(|| {
                    io::Error::other(format!(
                        "{} never calls {:?} nor writes to stdout",
                        trace.program.name(),
                        trace.start
                    ))
                })?;
            all.into_iter().skip(start).collect()
        } else {
            calls.collect()
        };
        let mut shown = Vec::new();
        for mut call in calls {
            let known = renumber.apply(&mut call);
            if !trace.shown.shows(&call.name) {
                continue;
            }
            if call.name == "clone3" || call.name == "clone" {
                let tid: Option<u64> = call.result_number().ok().and_then(|t| t.try_into().ok());
                let n = raw_thread_number(raw, tid);
                call.args = vec!["...".to_owned()];
                call.result = match n {
                    Some(n) => format!("thread {n}"),
                    None => "a process".to_owned(),
                };
            }
            call.args = call.args.iter().map(|a| hide_addresses(a)).collect();
            call.result = hide_addresses(&call.result);
            shown.push((call, known));
        }
        threads.push(shown);
    }
    let mut out = format!(
        "# {} under strace {strace_version}; {}\n",
        trace.program.name(),
        trace.shown.describe()
    );
    match trace.program {
        Program::Example(_) => {
            for (n, calls) in threads.iter().enumerate() {
                if threads.len() > 1 {
                    if n > 0 {
                        out.push('\n');
                    }
                    let what = if n == 0 { " (main)" } else { "" };
                    writeln!(out, "# thread {}{what}", n + 1).expect("writing to a String");
                }
                out.push_str(&render(calls, |line| line)?);
            }
        }
        Program::EchoServer(_) => {
            let [calls] = &threads[..] else {
                return Err(io::Error::other(format!(
                    "the server ran {} threads; the trace expects one",
                    threads.len()
                )));
            };
            let port = raw.port.expect("a server run records its port");
            out.push_str(&one_request(calls, port)?);
        }
    }
    Ok(out)
}

/// The calls, one a line, each passed through `edit`; an error if one of
/// them is a call whose descriptors the renumbering did not understand.
fn render(calls: &[(Call, bool)], edit: impl Fn(String) -> String) -> io::Result<String> {
    let mut out = String::new();
    for (call, known) in calls {
        if !known {
            return Err(io::Error::other(format!(
                "the normaliser does not know which arguments of `{}` are descriptors: teach `fd_args`",
                call.name
            )));
        }
        out.push_str(&edit(call.to_string()));
        out.push('\n');
    }
    Ok(out)
}

/// `tid`'s position in `raw.threads`, counting from 1.
fn raw_thread_number(raw: &Raw, tid: Option<u64>) -> Option<usize> {
    let tid = tid?;
    raw.tids.iter().position(|&t| t == tid).map(|i| i + 1)
}

/// The server's trace in three parts: its start (up to `listening on`),
/// the calls of one request (up to the `close` of the connection), and
/// those calls counted by name.
fn one_request(calls: &[(Call, bool)], port: u16) -> io::Result<String> {
    let is_listening = |c: &Call| {
        c.name == "write"
            && c.args.first().is_some_and(|fd| fd == "1")
            && c.args
                .get(1)
                .is_some_and(|s| s.starts_with("\"listening on "))
    };
    let listening = calls
        .iter()
        .position(|(c, _)| is_listening(c))
        .ok_or_else(|| io::Error::other("the server wrote no `listening on` line"))?;
    let request = &calls[listening + 1..];
    let conn = request
        .iter()
        .find(|(c, _)| c.name == "accept4" && !c.result.starts_with('-'))
        .map(|(c, _)| c.result.clone())
        .ok_or_else(|| io::Error::other("the server accepted no connection"))?;
    let end = request
        .iter()
        .position(|(c, _)| c.name == "close" && c.args.first() == Some(&conn))
        .ok_or_else(|| io::Error::other("the server never closed the connection"))?;
    let request = &request[..=end];
    let show = |calls| {
        render(calls, |line| {
            line.replace(&format!("htons({port})"), "htons(PORT)")
                .replace(&format!("127.0.0.1:{port}"), "127.0.0.1:PORT")
        })
    };
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (call, _) in request {
        *counts.entry(&call.name).or_default() += 1;
    }
    let mut out = String::new();
    out.push_str("\n# the start: from the listening socket to \"listening on\"\n");
    out.push_str(&show(&calls[..=listening])?);
    out.push_str("\n# one client: connect, send \"hello\", read it back, close\n");
    out.push_str(&show(request)?);
    out.push_str("\n# the calls of that one request, by name\n");
    for (name, count) in counts {
        writeln!(out, "{name:<12} {count}").expect("writing to a String");
    }
    Ok(out)
}

/// Builds, runs and normalises one trace.
pub fn make(root: &Path, trace: &Trace, strace_version: &str) -> io::Result<String> {
    let exe = build(root, trace)?;
    let raw = run(trace, &exe)?;
    normalise(trace, &raw, strace_version)
}

/// How a committed trace compares with a fresh one.
#[derive(Debug)]
pub enum Checked {
    Same,
    /// The file differs from a fresh trace (or is missing).
    Stale {
        committed: String,
        fresh: String,
    },
    /// The file was made by another version of strace: not compared.
    OtherStrace {
        file: String,
        installed: String,
    },
}

/// Makes `trace` again and compares it with the committed file.
pub fn check(root: &Path, trace: &Trace, strace_version: &str) -> io::Result<Checked> {
    let committed = fs::read_to_string(root.join(trace.file())).unwrap_or_default();
    if let Some(file) = version_in(&committed)
        && file != strace_version
    {
        return Ok(Checked::OtherStrace {
            file: file.to_owned(),
            installed: strace_version.to_owned(),
        });
    }
    let fresh = make(root, trace, strace_version)?;
    Ok(if fresh == committed {
        Checked::Same
    } else {
        Checked::Stale { committed, fresh }
    })
}

/// The lines in which two texts differ, for a failure message.
pub fn first_difference(committed: &str, fresh: &str) -> String {
    let a: Vec<&str> = committed.lines().collect();
    let b: Vec<&str> = fresh.lines().collect();
    let at = a
        .iter()
        .zip(&b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    format!(
        "first difference at line {}:\n  committed: {}\n  fresh:     {}",
        at + 1,
        a.get(at).unwrap_or(&"(end of file)"),
        b.get(at).unwrap_or(&"(end of file)")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_splits_into_name_arguments_and_result() {
        let call = Call::parse(
            r#"epoll_ctl(3, EPOLL_CTL_ADD, 4, {events=EPOLLIN, data={u32=7, u64=7}}) = 0"#,
        )
        .unwrap();
        assert_eq!(call.name, "epoll_ctl");
        assert_eq!(
            call.args,
            [
                "3",
                "EPOLL_CTL_ADD",
                "4",
                "{events=EPOLLIN, data={u32=7, u64=7}}"
            ]
        );
        assert_eq!(call.result, "0");

        // Commas and brackets inside a string do not split it; strace's
        // padding before " = " goes.
        let call = Call::parse(r#"write(1, "a, b) \"[\"", 10)            = 10"#).unwrap();
        assert_eq!(call.args, ["1", r#""a, b) \"[\"""#, "10"]);
        assert_eq!(call.to_string(), r#"write(1, "a, b) \"[\"", 10) = 10"#);

        let failed = Call::parse(
            "read(4, 0x55c7a92a1e7b, 4096) = -1 EAGAIN (Resource temporarily unavailable)",
        )
        .unwrap();
        assert_eq!(failed.result_number(), Ok(-1));
        assert_eq!(
            Call::parse("gettid() = 7").unwrap().args,
            Vec::<String>::new()
        );
        assert_eq!(Call::parse("+++ exited with 0 +++"), None);
        assert_eq!(Call::parse("--- SIGTERM {si_signo=SIGTERM} ---"), None);
    }

    #[test]
    fn addresses_are_hidden_but_strings_and_small_numbers_are_not() {
        assert_eq!(hide_addresses("0x55c7a92a1e7b"), "0x…");
        assert_eq!(
            hide_addresses("{ss_sp=0x7f1e8543a000, ss_size=0x1fff40}"),
            "{ss_sp=0x…, ss_size=0x1fff40}"
        );
        assert_eq!(hide_addresses(r#""0x7f1e8543a000""#), r#""0x7f1e8543a000""#);
    }

    fn renumbered(lines: &[&str]) -> Vec<String> {
        let mut renumber = Renumber::default();
        lines
            .iter()
            .map(|line| {
                let mut call = Call::parse(line).unwrap();
                assert!(renumber.apply(&mut call));
                call.to_string()
            })
            .collect()
    }

    #[test]
    fn descriptors_are_renumbered_lowest_free_first() {
        // As if fds 3 and 4 had been inherited: the program's descriptors
        // come out as in a process with only 0, 1 and 2 open.
        assert_eq!(
            renumbered(&[
                "epoll_create1(EPOLL_CLOEXEC) = 5",
                "pipe2([6, 7], O_CLOEXEC) = 0",
                "epoll_ctl(5, EPOLL_CTL_ADD, 6, {events=EPOLLIN, data={u32=7, u64=7}}) = 0",
                "write(1, \"x\", 1) = 1",
                "close(6) = 0",
                "eventfd2(0, EFD_CLOEXEC) = 6",
                "read(6, \"\\1\\0\\0\\0\\0\\0\\0\\0\", 8) = 8",
            ]),
            [
                "epoll_create1(EPOLL_CLOEXEC) = 3",
                "pipe2([4, 5], O_CLOEXEC) = 0",
                "epoll_ctl(3, EPOLL_CTL_ADD, 4, {events=EPOLLIN, data={u32=7, u64=7}}) = 0",
                "write(1, \"x\", 1) = 1",
                "close(4) = 0",
                "eventfd2(0, EFD_CLOEXEC) = 4",
                "read(4, \"\\1\\0\\0\\0\\0\\0\\0\\0\", 8) = 8",
            ]
        );
    }

    #[test]
    fn a_shown_call_the_renumbering_does_not_know_is_an_error() {
        let mut renumber = Renumber::default();
        let mut call = Call::parse("fstatfs(3, {f_type=EXT2_SUPER_MAGIC}) = 0").unwrap();
        assert!(!renumber.apply(&mut call));
        let err = render(&[(call, false)], |line| line).unwrap_err();
        assert!(err.to_string().contains("`fstatfs`"), "{err}");
        // A call it does not know is still followed for the descriptor it
        // makes: the next one is numbered after it.
        let mut open = Call::parse(r#"openat(AT_FDCWD, "/etc/hosts", O_RDONLY) = 9"#).unwrap();
        assert!(!renumber.apply(&mut open));
        assert_eq!(open.result, "3");
        let mut epoll = Call::parse("epoll_create1(EPOLL_CLOEXEC) = 10").unwrap();
        assert!(renumber.apply(&mut epoll));
        assert_eq!(epoll.result, "4");
    }

    #[test]
    fn a_later_thread_sees_the_numbers_the_main_thread_gave() {
        let mut renumber = Renumber::default();
        for line in ["pipe2([7, 8], 0) = 0", "close(8) = 0"] {
            renumber.apply(&mut Call::parse(line).unwrap());
        }
        // The writer thread wrote to 8 before the main thread closed it.
        let mut write = Call::parse(r#"write(8, "hello", 5) = 5"#).unwrap();
        renumber.apply(&mut write);
        assert_eq!(write.args[0], "4");
    }

    #[test]
    fn the_version_is_read_back_from_the_first_line() {
        let text = "# first_program under strace 6.1; calls shown: read\nread(3, \"\", 1) = 0\n";
        assert_eq!(version_in(text), Some("6.1"));
        assert_eq!(version_in(""), None);
    }
}
