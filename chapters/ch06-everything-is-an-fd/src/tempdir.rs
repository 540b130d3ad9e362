//! A directory of our own under the system's temporary directory, removed
//! with everything in it when dropped: somewhere for the inotify examples
//! to make files.

use ch01_raw_syscalls::error::SyscallError;
use std::fs;
use std::io::{self, ErrorKind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A new, empty directory, `<temp>/epoll-book-<name>-<pid>-<n>`, removed
/// (with its contents) on drop.
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates the directory. The process id and a counter make the name
    /// unique; a leftover from an earlier process with the same id is
    /// skipped over, never reused. Other failures (a `name` with a `/` in
    /// it, say, which names a directory that does not exist) keep the OS
    /// error and name the call, `mkdir`.
    pub fn new(name: &str) -> io::Result<TempDir> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path =
                std::env::temp_dir().join(format!("epoll-book-{name}-{}-{n}", std::process::id()));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(err) if err.kind() == ErrorKind::AlreadyExists => continue,
                Err(os_error) => {
                    return Err(io::Error::new(
                        os_error.kind(),
                        SyscallError {
                            call: "mkdir",
                            os_error,
                        },
                    ));
                }
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of `name` inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Nothing to do about a failure here; a leftover directory in the
        // temporary directory is harmless.
        let _ = fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_one_is_new_and_is_removed_on_drop() {
        let a = TempDir::new("tempdir-test").unwrap();
        let b = TempDir::new("tempdir-test").unwrap();
        assert_ne!(a.path(), b.path());
        assert!(a.path().is_dir());
        fs::write(a.join("file"), b"x").unwrap();
        fs::create_dir(a.join("sub")).unwrap();
        let path = a.path().to_owned();
        drop(a);
        assert!(!path.exists());
    }
}
