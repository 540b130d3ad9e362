//! What each of the standard library's descriptor types and traits does
//! with ownership: which ones close, which ones move the duty to close,
//! which ones only look.
//!
//! Every test here opens and closes descriptors and checks which numbers
//! are in use, so each runs inside `assert_no_fd_leaks`, which also keeps
//! them from running at the same time.

use ch09_ownership_and_fd_wrappers::{close, number_in_use};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, IntoRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use testkit::assert_no_fd_leaks;

/// `F_GETFL` of a descriptor: the open file's status flags.
fn status_flags(fd: BorrowedFd<'_>) -> i32 {
    // SAFETY: F_GETFL takes no pointer; `fd` is borrowed, so open.
    let flags = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GETFL) };
    assert_ne!(flags, -1, "F_GETFL failed");
    flags
}

#[test]
fn a_raw_fd_is_a_number_that_copies_and_closes_nothing() {
    assert_no_fd_leaks(|| {
        let (reader, _writer) = std::io::pipe().unwrap();
        let raw: RawFd = reader.as_raw_fd();
        let copy = raw;
        #[allow(dropping_copy_types)]
        drop(copy);
        assert_eq!(raw, copy);
        assert!(number_in_use(raw), "dropping a RawFd closed nothing");
        drop(reader);
        // The owner closed it; the copies are still the same number, now
        // naming nothing.
        assert!(!number_in_use(raw));
        assert!(!number_in_use(copy));
    });
}

#[test]
fn the_kernel_hands_out_the_lowest_free_number_again() {
    assert_no_fd_leaks(|| {
        let (first, _first_writer) = std::io::pipe().unwrap();
        let number = first.as_raw_fd();
        drop(first);
        let (second, _second_writer) = std::io::pipe().unwrap();
        assert_eq!(second.as_raw_fd(), number);
    });
}

#[test]
fn an_owned_fd_closes_its_number_on_drop() {
    assert_no_fd_leaks(|| {
        let (reader, writer) = std::io::pipe().unwrap();
        let owned = OwnedFd::from(writer);
        let number = owned.as_raw_fd();
        drop(owned);
        assert!(!number_in_use(number));
        // The pipe saw its only writer go: end of file.
        let mut reader = reader;
        assert_eq!(reader.read(&mut [0; 8]).unwrap(), 0);
    });
}

#[test]
fn as_fd_borrows_and_the_owner_keeps_the_descriptor() {
    assert_no_fd_leaks(|| {
        let (mut a, b) = UnixStream::pair().unwrap();
        let borrowed: BorrowedFd<'_> = b.as_fd();
        assert_eq!(borrowed.as_raw_fd(), b.as_raw_fd());
        // A BorrowedFd is Copy and dropping it closes nothing.
        let again = borrowed;
        #[allow(dropping_copy_types)]
        drop(again);
        assert!(number_in_use(b.as_raw_fd()));
        // `&UnixStream` writes too: the owner is still the one that works.
        (&b).write_all(b"hi").unwrap();
        let mut buf = [0; 2];
        a.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"hi");
    });
}

#[test]
fn into_raw_fd_gives_ownership_up_and_from_raw_fd_takes_it() {
    assert_no_fd_leaks(|| {
        let (reader, _writer) = std::io::pipe().unwrap();
        let raw = OwnedFd::from(reader).into_raw_fd();
        // No value owns it now, and it is still open: forgetting it here
        // would leak it.
        assert!(number_in_use(raw));
        // SAFETY: `into_raw_fd` gave up ownership of `raw` and nothing took
        // it since, so the new OwnedFd is its only owner.
        let back = unsafe { OwnedFd::from_raw_fd(raw) };
        assert_eq!(back.as_raw_fd(), raw);
        drop(back);
        assert!(!number_in_use(raw));
    });
}

#[test]
fn from_and_into_move_ownership_between_owning_types() {
    assert_no_fd_leaks(|| {
        let (a, b) = UnixStream::pair().unwrap();
        let number = a.as_raw_fd();
        let owned: OwnedFd = a.into();
        let file = File::from(owned);
        assert_eq!(file.as_raw_fd(), number, "the same descriptor, moved");
        let mut stream = UnixStream::from(OwnedFd::from(file));
        stream.write_all(b"x").unwrap();
        let mut byte = [0; 1];
        (&b).read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"x");
        drop(stream);
        assert!(!number_in_use(number));
    });
}

#[test]
fn try_clone_makes_a_second_number_for_the_same_open_file() {
    assert_no_fd_leaks(|| {
        let (reader, _writer) = std::io::pipe().unwrap();
        let reader = OwnedFd::from(reader);
        let clone = reader.try_clone().unwrap();
        assert_ne!(clone.as_raw_fd(), reader.as_raw_fd());
        // Status flags belong to the open file, so a change made through
        // one number is seen through the other (`man 2 dup`).
        let flags = status_flags(reader.as_fd());
        // SAFETY: F_SETFL takes an int; `reader` is open.
        let ret =
            unsafe { libc::fcntl(reader.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK) };
        assert_eq!(ret, 0);
        assert_ne!(status_flags(clone.as_fd()) & libc::O_NONBLOCK, 0);
        // Two owners, two numbers: each closes its own.
        let (first, second) = (reader.as_raw_fd(), clone.as_raw_fd());
        drop(reader);
        assert!(!number_in_use(first));
        assert!(number_in_use(second));
    });
}

#[test]
fn borrow_raw_needs_a_promise_that_the_number_stays_open() {
    assert_no_fd_leaks(|| {
        let (reader, _writer) = std::io::pipe().unwrap();
        let raw = reader.as_raw_fd();
        // SAFETY: `reader` owns `raw` and outlives `borrowed`, which is
        // last used before `reader` is dropped.
        let borrowed = unsafe { BorrowedFd::borrow_raw(raw) };
        assert_eq!(borrowed.as_raw_fd(), raw);
        assert_eq!(status_flags(borrowed) & libc::O_ACCMODE, libc::O_RDONLY);
        drop(reader);
    });
}

#[test]
fn close_reports_and_cannot_be_called_twice() {
    assert_no_fd_leaks(|| {
        let (reader, writer) = std::io::pipe().unwrap();
        let number = writer.as_raw_fd();
        close(writer).unwrap();
        assert!(!number_in_use(number));
        // Anything that converts into an OwnedFd can be closed this way.
        close(File::from(OwnedFd::from(reader))).unwrap();
    });
}

/// The standard library's `Drop for OwnedFd` checks, in builds with debug
/// assertions (since Rust 1.80), that the descriptor is still open before
/// closing it, and aborts with this message if it is not. The check is
/// inlined into the program that drops the OwnedFd, so its message is part
/// of the metadata of the installed `std`.
#[test]
fn the_installed_std_aborts_on_an_owned_fd_closed_behind_its_back() {
    assert_no_fd_leaks(|| {
        let sysroot =
            std::process::Command::new(std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into()))
                .args(["--print", "sysroot"])
                .output()
                .unwrap();
        let sysroot = String::from_utf8(sysroot.stdout).unwrap();
        let lib_dirs = std::fs::read_dir(std::path::Path::new(sysroot.trim()).join("lib/rustlib"))
            .unwrap()
            .map(|entry| entry.unwrap().path().join("lib"));
        let metadata: Vec<_> = lib_dirs
            .filter_map(|dir| std::fs::read_dir(dir).ok())
            .flatten()
            .map(|entry| entry.unwrap().path())
            .filter(|path| {
                let name = path.file_name().unwrap().to_string_lossy();
                name.starts_with("libstd-") && name.ends_with(".rmeta")
            })
            .collect();
        assert!(
            !metadata.is_empty(),
            "found no libstd-*.rmeta under {sysroot}"
        );
        let message = b"IO Safety violation: owned file descriptor already closed";
        for path in metadata {
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                bytes.windows(message.len()).any(|window| window == message),
                "{} does not carry the check",
                path.display()
            );
        }
    });
}
