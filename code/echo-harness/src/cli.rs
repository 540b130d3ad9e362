//! The echo servers' command line: `--addr HOST:PORT` and `--help`.
//!
//! Every server of Part IV calls [`run`] from its `main`, so they all parse
//! the same options, print the same help, and report a failure the same
//! way: one line on stderr naming the program, and exit status 1 (2 for a
//! command line that does not parse). What a server does once it has an
//! address is its own business; announcing `listening on ADDR` is part of
//! that, because only the server knows when it is ready.

use std::ffi::OsString;
use std::fmt;
use std::io::{self, Write};
use std::net::{SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

/// The address a server listens on when `--addr` is not given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:7878";

/// What a server was asked to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerArgs {
    /// Where to listen. Port 0 asks the kernel for a free port.
    pub addr: SocketAddr,
}

/// The outcome of parsing a command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Serve with these arguments.
    Run(ServerArgs),
    /// `--help` or `-h`: print [`usage`] and exit successfully.
    Help,
}

/// Parses a server's command line; `args` leaves out the program name.
///
/// `--addr` takes `HOST:PORT`, as `--addr 127.0.0.1:0` or
/// `--addr=localhost:7878`; a host name resolves to its first address.
pub fn parse<I>(args: I) -> Result<Parsed, lexopt::Error>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut addr = None;
    while let Some(arg) = parser.next()? {
        match arg {
            Long("addr") => {
                let value = parser.value()?.string()?;
                addr = Some(resolve(&value)?);
            }
            Short('h') | Long("help") => return Ok(Parsed::Help),
            _ => return Err(arg.unexpected()),
        }
    }
    let addr = match addr {
        Some(addr) => addr,
        None => resolve(DEFAULT_ADDR)?,
    };
    Ok(Parsed::Run(ServerArgs { addr }))
}

fn resolve(value: &str) -> Result<SocketAddr, lexopt::Error> {
    if let Ok(addr) = value.parse() {
        return Ok(addr);
    }
    let invalid = |why: &dyn fmt::Display| format!("invalid --addr {value:?}: {why}");
    let mut addrs = value.to_socket_addrs().map_err(|e| invalid(&e))?;
    addrs
        .next()
        .ok_or_else(|| invalid(&"the name has no address").into())
}

/// The text `--help` prints. `about` is one line saying what the server is
/// built on, such as `"a TCP echo server on mio"`.
pub fn usage(program: &str, about: &str) -> String {
    format!(
        "{program}: {about}

Usage: {program} [--addr HOST:PORT]

Every byte a client sends comes back to it on the same connection.

Options:
  --addr HOST:PORT  the address to listen on [default: {DEFAULT_ADDR}].
                    Port 0 asks the system for a free port. Once it is
                    listening, the server prints `listening on ADDR` with
                    the address it got.
  -h, --help        print this help and exit

SIGINT (Ctrl-C) or SIGTERM stops the server: it stops accepting, closes
every connection and exits with status 0.
"
    )
}

/// A server's `main`: parses the command line from the environment, then
/// either prints the help, reports a usage error (exit status 2), or calls
/// `serve` with the address and reports its error, if any (exit status 1).
pub fn run(
    program: &str,
    about: &str,
    serve: impl FnOnce(SocketAddr) -> io::Result<()>,
) -> ExitCode {
    match parse(std::env::args_os().skip(1)) {
        Ok(Parsed::Help) => {
            let mut stdout = io::stdout().lock();
            match stdout
                .write_all(usage(program, about).as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            }
        }
        Ok(Parsed::Run(args)) => match serve(args.addr) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                let _ = writeln!(io::stderr(), "{program}: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            let _ = writeln!(
                io::stderr(),
                "{program}: {e}\nTry `{program} --help` for the options."
            );
            ExitCode::from(2)
        }
    }
}

/// An I/O error together with what the program was doing, such as
/// `bind(127.0.0.1:7878)`. It travels inside an [`io::Error`] of the
/// original's kind, and its `source` is the original, OS error included.
#[derive(Debug)]
pub struct Failed {
    pub call: String,
    pub error: io::Error,
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.call, self.error)
    }
}

impl std::error::Error for Failed {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// For `map_err`: names the call an error came from, keeping its kind and
/// the OS error. `TcpListener::bind(addr).map_err(named(format!("bind({addr})")))`
/// fails with `bind(127.0.0.1:7878): Address already in use (os error 98)`.
/// Takes any error that converts into an `io::Error`, such as rustix's
/// `Errno` or calloop's `Error`.
pub fn named<E: Into<io::Error>>(call: impl Into<String>) -> impl FnOnce(E) -> io::Error {
    move |error| {
        let error = error.into();
        io::Error::new(
            error.kind(),
            Failed {
                call: call.into(),
                error,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_args(addr: &str) -> Parsed {
        Parsed::Run(ServerArgs {
            addr: addr.parse().unwrap(),
        })
    }

    #[test]
    fn no_arguments_mean_the_default_address() {
        let none: [&str; 0] = [];
        assert_eq!(parse(none).unwrap(), run_args(DEFAULT_ADDR));
    }

    #[test]
    fn addr_takes_a_separate_or_attached_value() {
        assert_eq!(
            parse(["--addr", "127.0.0.1:0"]).unwrap(),
            run_args("127.0.0.1:0")
        );
        assert_eq!(
            parse(["--addr=[::1]:9000"]).unwrap(),
            run_args("[::1]:9000")
        );
    }

    #[test]
    fn a_host_name_resolves() {
        let Parsed::Run(args) = parse(["--addr", "localhost:7000"]).unwrap() else {
            panic!("localhost:7000 did not parse");
        };
        assert!(args.addr.ip().is_loopback());
        assert_eq!(args.addr.port(), 7000);
    }

    #[test]
    fn help_wins() {
        assert_eq!(parse(["--help"]).unwrap(), Parsed::Help);
        assert_eq!(parse(["--addr", "1.2.3.4:5", "-h"]).unwrap(), Parsed::Help);
    }

    #[test]
    fn bad_command_lines_are_errors_that_say_why() {
        let message = |args: &[&str]| parse(args.iter().copied()).unwrap_err().to_string();
        assert_eq!(message(&["--port", "1"]), "invalid option '--port'");
        assert_eq!(message(&["--addr"]), "missing argument for option '--addr'");
        assert_eq!(message(&["extra"]), "unexpected argument \"extra\"");
        assert!(message(&["--addr", "127.0.0.1"]).starts_with("invalid --addr \"127.0.0.1\""));
        assert!(message(&["--addr", "127.0.0.1:99999"]).starts_with("invalid --addr"));
    }

    #[test]
    fn usage_names_the_program_the_option_and_the_default() {
        let text = usage("echo_test", "a TCP echo server on nothing");
        assert!(text.starts_with("echo_test: a TCP echo server on nothing\n"));
        assert!(text.contains("Usage: echo_test [--addr HOST:PORT]"));
        assert!(text.contains(DEFAULT_ADDR));
        assert!(text.contains("SIGTERM"));
    }

    #[test]
    fn named_errors_keep_the_kind_and_the_os_error() {
        let error =
            named::<io::Error>("bind(127.0.0.1:1)")(io::Error::from_raw_os_error(libc::EADDRINUSE));
        assert_eq!(error.kind(), io::ErrorKind::AddrInUse);
        assert!(
            error
                .to_string()
                .starts_with("bind(127.0.0.1:1): Address already in use")
        );
        let inner = error.get_ref().and_then(|e| e.downcast_ref::<Failed>());
        assert_eq!(
            inner.and_then(|f| f.error.raw_os_error()),
            Some(libc::EADDRINUSE)
        );
    }
}
