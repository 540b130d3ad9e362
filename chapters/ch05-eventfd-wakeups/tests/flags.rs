//! `EFD_CLOEXEC` and `EFD_NONBLOCK`: what each sets, and what each spares
//! a program that uses an eventfd to wake a loop.

use ch05_eventfd_wakeups::{EventFd, MAX_COUNT};
use std::io::ErrorKind;
use std::os::fd::AsRawFd;
use std::process::{Command, Stdio};

/// `(FD_CLOEXEC set, O_NONBLOCK set)` for `eventfd`.
fn flags(eventfd: &EventFd) -> (bool, bool) {
    let fd = eventfd.as_raw_fd();
    // SAFETY: F_GETFD/F_GETFL only read the flags of `fd`, which is open.
    let (fd_flags, file_flags) = unsafe {
        (
            libc::fcntl(fd, libc::F_GETFD),
            libc::fcntl(fd, libc::F_GETFL),
        )
    };
    assert!(fd_flags >= 0 && file_flags >= 0);
    (
        fd_flags & libc::FD_CLOEXEC != 0,
        file_flags & libc::O_NONBLOCK != 0,
    )
}

/// Whether a child program has an eventfd at this fd's number.
fn child_has_it(eventfd: &EventFd) -> bool {
    let output = Command::new("readlink")
        .arg(format!("/proc/self/fd/{}", eventfd.as_raw_fd()))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .unwrap();
    output.status.success() && output.stdout.trim_ascii() == b"anon_inode:[eventfd]"
}

#[test]
fn each_flag_sets_what_its_name_says() {
    assert_eq!(flags(&EventFd::new(0, 0).unwrap()), (false, false));
    assert_eq!(
        flags(&EventFd::new(0, libc::EFD_CLOEXEC).unwrap()),
        (true, false)
    );
    assert_eq!(
        flags(&EventFd::new(0, libc::EFD_NONBLOCK).unwrap()),
        (false, true)
    );
    // The kernel defines them as the open(2) flags of the same meaning.
    assert_eq!(libc::EFD_CLOEXEC, libc::O_CLOEXEC);
    assert_eq!(libc::EFD_NONBLOCK, libc::O_NONBLOCK);
}

#[test]
fn without_cloexec_a_child_program_inherits_the_eventfd() {
    let inherited = EventFd::new(0, 0).unwrap();
    let kept = EventFd::new(0, libc::EFD_CLOEXEC).unwrap();
    assert!(child_has_it(&inherited));
    assert!(!child_has_it(&kept));
}

#[test]
fn with_nonblock_a_write_to_a_full_counter_returns_at_once() {
    let eventfd = EventFd::new(0, libc::EFD_NONBLOCK).unwrap();
    eventfd.write(MAX_COUNT).unwrap();
    assert_eq!(eventfd.write(1).unwrap_err().kind(), ErrorKind::WouldBlock);
    assert_eq!(eventfd.read().unwrap(), MAX_COUNT);
    assert_eq!(eventfd.read().unwrap_err().kind(), ErrorKind::WouldBlock);
}

#[test]
fn semaphore_is_the_third_flag_and_the_only_other_one() {
    let eventfd = EventFd::new(2, libc::EFD_SEMAPHORE | libc::EFD_NONBLOCK).unwrap();
    assert_eq!(eventfd.read().unwrap(), 1);
    for bad in [libc::O_APPEND, libc::O_RDWR, libc::O_NOCTTY] {
        let err = EventFd::new(0, bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "flags {bad:#x}");
    }
}
