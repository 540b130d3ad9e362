//! `Reactor::new` when the process may open no more fds: `EMFILE`, from
//! `epoll_create1`. One test in this binary, because the limit it lowers
//! (`RLIMIT_NOFILE`) is the whole process's.

use ch01_raw_syscalls::error::{errno, failed_call};
use ch07_a_reactor::Reactor;

fn nofile() -> libc::rlimit {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a live rlimit for the kernel to fill.
    let ret = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    assert_eq!(ret, 0);
    limit
}

fn set_nofile(limit: libc::rlimit) {
    // SAFETY: `limit` is a live rlimit the kernel only reads.
    let ret = unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) };
    assert_eq!(ret, 0);
}

#[test]
fn no_fd_left_is_emfile() {
    let saved = nofile();
    // A soft limit of 0: every new fd number is at or above the limit.
    set_nofile(libc::rlimit {
        rlim_cur: 0,
        ..saved
    });
    let result = Reactor::new();
    set_nofile(saved);
    let err = result.err().expect("no fd can be opened");
    assert_eq!(errno(&err), Some(libc::EMFILE));
    assert_eq!(failed_call(&err), Some("epoll_create1"));
    // And with the limit back, it works.
    Reactor::new().unwrap();
}
