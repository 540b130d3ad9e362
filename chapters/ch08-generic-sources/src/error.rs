//! What the loop returns when something fails.

use crate::token::RegistrationToken;
use std::error::Error as StdError;
use std::fmt;
use std::io;

/// Any error a source may fail with, boxed.
pub type BoxError = Box<dyn StdError + Send + Sync>;

// ANCHOR: error
/// Why [`EventLoop::dispatch`](crate::EventLoop::dispatch) or
/// [`run`](crate::EventLoop::run) failed.
#[derive(Debug)]
pub enum Error {
    /// The loop's own system calls: `epoll_wait`, or the read of its
    /// eventfd. The error names the call.
    Io(io::Error),
    /// One source failed: its `process_events` (for a `Generic`, its
    /// callback) returned an error, or the kernel refused what its
    /// [`PostAction`](crate::PostAction) asked for. `token` says which
    /// source; `error` is its error, to downcast to the source's type.
    Source {
        token: RegistrationToken,
        error: BoxError,
    },
}
// ANCHOR_END: error

impl Error {
    /// The source that failed, if one did.
    pub fn token(&self) -> Option<RegistrationToken> {
        match self {
            Error::Io(_) => None,
            Error::Source { token, .. } => Some(*token),
        }
    }

    /// The source's error as a `T`, if it is one.
    pub fn downcast_ref<T: StdError + 'static>(&self) -> Option<&T> {
        match self {
            Error::Io(_) => None,
            Error::Source { error, .. } => error.downcast_ref(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io(err) => err.fmt(f),
            Error::Source { token, error } => write!(f, "source {token}: {error}"),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match self {
            Error::Io(err) => Some(err),
            Error::Source { error, .. } => Some(&**error),
        }
    }
}

impl From<Error> for io::Error {
    /// `Io` as it is; a source's error wrapped whole (the message keeps the
    /// token), with the kind of its `io::Error` if it is one.
    fn from(err: Error) -> io::Error {
        match err {
            Error::Io(err) => err,
            Error::Source { .. } => {
                let kind = err
                    .downcast_ref::<io::Error>()
                    .map_or(io::ErrorKind::Other, io::Error::kind);
                io::Error::new(kind, err)
            }
        }
    }
}

// ANCHOR: insert_error
/// Why [`insert_source`](crate::LoopHandle::insert_source) failed, with the
/// source given back: a source owns its fds, and the caller may want them.
pub struct InsertError<S> {
    /// The source, unregistered, as it was passed in.
    pub source: S,
    /// What went wrong: usually the kernel's `epoll_ctl(ADD)` error.
    pub error: io::Error,
}
// ANCHOR_END: insert_error

impl<S> fmt::Debug for InsertError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InsertError")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

impl<S> fmt::Display for InsertError<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Kernel errors name the call (`epoll_ctl(ADD)`), the loop's own
        // name `insert_source`.
        self.error.fmt(f)
    }
}

impl<S> StdError for InsertError<S> {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        Some(&self.error)
    }
}

impl<S> From<InsertError<S>> for io::Error {
    /// The error alone; the source is dropped.
    fn from(err: InsertError<S>) -> io::Error {
        err.error
    }
}
