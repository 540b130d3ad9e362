//! `assert_no_fd_leaks` itself, in a binary of its own: the fd table
//! belongs to the whole process, and other tests of testkit open files
//! (compiling snippets, pipes) on other threads.

use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use testkit::{assert_no_fd_leaks, open_fds};

// One test, so that nothing else in this binary opens or closes fds
// while it runs.
#[test]
fn passes_clean_code_and_catches_a_leak() {
    let n = assert_no_fd_leaks(|| {
        let (r, w) = std::io::pipe().expect("pipe");
        drop((r, w));
        3
    });
    assert_eq!(n, 3);

    let mut forgotten = -1;
    let result = catch_unwind(AssertUnwindSafe(|| {
        assert_no_fd_leaks(|| {
            let (r, w) = std::io::pipe().expect("pipe");
            drop(w);
            forgotten = OwnedFd::from(r).into_raw_fd();
        })
    }));
    assert!(result.is_err(), "a forgotten pipe end must count as a leak");
    assert!(open_fds().iter().any(|fd| fd.fd == forgotten));
    // SAFETY: `into_raw_fd` gave up ownership of this fd and nothing
    // took it since; taking it back closes it exactly once.
    drop(unsafe { OwnedFd::from_raw_fd(forgotten) });
    assert!(!open_fds().iter().any(|fd| fd.fd == forgotten));
}
