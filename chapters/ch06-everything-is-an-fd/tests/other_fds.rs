//! Where else file descriptors come from, and what epoll says about them:
//! files it refuses (`EPERM`), a terminal (a pseudo-terminal pair, the
//! kind of device a serial line also is), and a pidfd.

use ch01_raw_syscalls::error::{check, errno};
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, HUP, IN, OUT};
use ch06_everything_is_an_fd::TempDir;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::process::Command;
use std::time::Duration;

const PATIENCE: Duration = Duration::from_secs(5);

/// The events ready now, as `(token, bits)`, sorted.
fn ready(epoll: &Epoll, timeout: Duration) -> Vec<(u64, u32)> {
    let mut events = Events::with_capacity(8);
    epoll.wait(&mut events, Some(timeout)).unwrap();
    let mut list: Vec<_> = events.iter().map(|e| (e.token(), e.events())).collect();
    list.sort_unstable();
    list
}

#[test]
fn regular_files_directories_and_some_devices_are_refused_with_eperm() {
    let dir = TempDir::new("other-fds").unwrap();
    let epoll = Epoll::new().unwrap();
    let regular = File::create(dir.join("file")).unwrap();
    let directory = File::open(dir.path()).unwrap();
    let null = File::open("/dev/null").unwrap();
    let zero = File::open("/dev/zero").unwrap();
    let proc_file = File::open("/proc/self/status").unwrap();
    for (what, file) in [
        ("regular file", &regular),
        ("directory", &directory),
        ("/dev/null", &null),
        ("/dev/zero", &zero),
        ("/proc/self/status", &proc_file),
    ] {
        let err = epoll.add(file, IN | OUT, 1).unwrap_err();
        assert_eq!(errno(&err), Some(libc::EPERM), "{what}");
    }
}

/// A pseudo-terminal pair (`man 7 pty`): the master end, and the slave end,
/// which is a terminal device like a serial port's.
fn pty_pair() -> (OwnedFd, File) {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: posix_openpt takes only flags.
    let master = check("posix_openpt", unsafe { libc::posix_openpt(flags) }).unwrap();
    // SAFETY: the fd was just returned, open and owned by no one else.
    let master = unsafe { OwnedFd::from_raw_fd(master) };
    // SAFETY: grantpt and unlockpt take an open master fd.
    check("grantpt", unsafe { libc::grantpt(master.as_raw_fd()) }).unwrap();
    // SAFETY: as above.
    check("unlockpt", unsafe { libc::unlockpt(master.as_raw_fd()) }).unwrap();
    let mut name = [0 as libc::c_char; 128];
    // SAFETY: `name` is valid for writes of its length, which is passed.
    let code = unsafe { libc::ptsname_r(master.as_raw_fd(), name.as_mut_ptr(), name.len()) };
    assert_eq!(code, 0);
    // SAFETY: ptsname_r succeeded, so `name` holds a NUL-terminated string.
    let name = unsafe { std::ffi::CStr::from_ptr(name.as_ptr()) };
    let slave = OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(name.to_str().unwrap())
        .unwrap();
    (master, slave)
}

#[test]
fn a_terminal_is_readable_when_a_line_arrives() {
    let (master, mut slave) = pty_pair();
    let epoll = Epoll::new().unwrap();
    epoll.add(&slave, IN, 1).unwrap();
    assert!(ready(&epoll, Duration::ZERO).is_empty());
    // What the master end writes is what the terminal "typed".
    let typed = b"hello\n";
    // SAFETY: `typed` is valid for reads of its length; the fd is open.
    let n = unsafe { libc::write(master.as_raw_fd(), typed.as_ptr().cast(), typed.len()) };
    assert_eq!(usize::try_from(n).unwrap(), typed.len());
    assert_eq!(ready(&epoll, PATIENCE), [(1, IN)]);
    let mut line = [0u8; 16];
    let n = slave.read(&mut line).unwrap();
    assert_eq!(&line[..n], typed);
    // Writable too, like any terminal with room in its output buffer.
    epoll.modify(&slave, OUT, 1).unwrap();
    assert_eq!(ready(&epoll, Duration::ZERO), [(1, OUT)]);
    slave.write_all(b"x").unwrap();
}

/// `pidfd_open(pid, 0)`.
fn pidfd_open(pid: u32) -> OwnedFd {
    let pid = libc::pid_t::try_from(pid).unwrap();
    // SAFETY: the system call takes a pid and flags, no pointers.
    let ret = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    let fd = check("pidfd_open", i32::try_from(ret).unwrap()).unwrap();
    // SAFETY: the fd was just returned, open and owned by no one else.
    unsafe { OwnedFd::from_raw_fd(fd) }
}

#[test]
fn a_pidfd_is_readable_once_the_process_ends_and_hangs_up_once_reaped() {
    let mut child = Command::new("sleep").arg("10").spawn().unwrap();
    let pidfd = pidfd_open(child.id());
    let epoll = Epoll::new().unwrap();
    epoll.add(&pidfd, IN, 1).unwrap();
    assert!(ready(&epoll, Duration::from_millis(20)).is_empty());
    child.kill().unwrap();
    assert_eq!(ready(&epoll, PATIENCE), [(1, IN)]);
    // There is nothing to read from a pidfd.
    let mut buf = [0u8; 8];
    // SAFETY: `buf` is valid for writes of its length; the fd is open.
    let ret = unsafe { libc::read(pidfd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(ret, -1);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::EINVAL)
    );
    assert!(!child.wait().unwrap().success());
    // Reaped: the process is gone altogether.
    assert_eq!(ready(&epoll, PATIENCE), [(1, IN | HUP)]);
}
