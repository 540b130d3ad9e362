//! The interest list: what `epoll_ctl` changes.
//!
//! Chapter 1's `epoll_ctl` takes an operation code and an optional event.
//! The three functions here name the operation and build the event, so a
//! call site reads as what it does. [`registrations`] shows what the kernel
//! keeps for each entry, for looking at while learning; programs never need
//! it.

use ch01_raw_syscalls::{EPOLL_CTL_ADD, EPOLL_CTL_DEL, EPOLL_CTL_MOD, Event, epoll_ctl};
use std::fs;
use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

// ANCHOR: ctl_helpers
/// `EPOLL_CTL_ADD`: puts `fd` in the interest list of `epoll`, watching for
/// `events`; every event reported for it will carry `token`.
pub fn add(epoll: BorrowedFd<'_>, fd: BorrowedFd<'_>, events: u32, token: u64) -> io::Result<()> {
    epoll_ctl(epoll, EPOLL_CTL_ADD, fd, Some(&Event::new(events, token)))
}

/// `EPOLL_CTL_MOD`: replaces both the events and the token of an fd that
/// is already in the interest list.
pub fn modify(
    epoll: BorrowedFd<'_>,
    fd: BorrowedFd<'_>,
    events: u32,
    token: u64,
) -> io::Result<()> {
    epoll_ctl(epoll, EPOLL_CTL_MOD, fd, Some(&Event::new(events, token)))
}

/// `EPOLL_CTL_DEL`: takes `fd` out of the interest list. The kernel ignores
/// the event argument of a `DEL`, so none is passed: a null pointer.
pub fn delete(epoll: BorrowedFd<'_>, fd: BorrowedFd<'_>) -> io::Result<()> {
    epoll_ctl(epoll, EPOLL_CTL_DEL, fd, None)
}
// ANCHOR_END: ctl_helpers

/// One entry of an interest list, as the kernel describes it in
/// `/proc/self/fdinfo/<epoll fd>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Registration {
    /// The number of the fd it was added under (`tfd:` in the file).
    pub fd: RawFd,
    /// The event mask the kernel stored (`events:`), which is not always
    /// the one we passed.
    pub events: u32,
    /// The data (`data:`): our token.
    pub token: u64,
}

// ANCHOR: registrations
/// The interest list of `epoll`, as the kernel shows it in
/// `/proc/self/fdinfo/<fd>` (see `man 5 proc`), sorted by token.
///
/// Each entry is a line such as
/// `tfd:        5 events:       19 data:                1  pos:0 ...`,
/// with the mask and the data in hexadecimal.
///
/// Any other fd's fdinfo has no such lines, and would read as an empty
/// list: `InvalidInput` instead, for an fd that is not an epoll instance.
pub fn registrations(epoll: BorrowedFd<'_>) -> io::Result<Vec<Registration>> {
    let fd = epoll.as_raw_fd();
    let target = fs::read_link(format!("/proc/self/fd/{fd}"))?;
    if target.as_os_str() != "anon_inode:[eventpoll]" {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            format!(
                "registrations: fd {fd} is {}, not an epoll instance",
                target.display()
            ),
        ));
    }
    let text = fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))?;
    let mut list = text
        .lines()
        .filter(|line| line.starts_with("tfd:"))
        .map(parse_entry)
        .collect::<io::Result<Vec<_>>>()?;
    list.sort_by_key(|entry| (entry.token, entry.fd));
    Ok(list)
}
// ANCHOR_END: registrations

/// Parses one `tfd:` line of an epoll fd's fdinfo.
fn parse_entry(line: &str) -> io::Result<Registration> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let value_after = |label: &str| {
        words
            .iter()
            .position(|word| *word == label)
            .and_then(|at| words.get(at + 1).copied())
            .ok_or_else(|| bad_line(line))
    };
    Ok(Registration {
        fd: value_after("tfd:")?.parse().map_err(|_| bad_line(line))?,
        events: u32::from_str_radix(value_after("events:")?, 16).map_err(|_| bad_line(line))?,
        token: u64::from_str_radix(value_after("data:")?, 16).map_err(|_| bad_line(line))?,
    })
}

fn bad_line(line: &str) -> io::Error {
    io::Error::new(
        ErrorKind::InvalidData,
        format!("an fdinfo line in an unexpected format: {line:?}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_an_fdinfo_line() {
        let line =
            "tfd:        5 events:       19 data:     ffffffffffffffff  pos:0 ino:be2f sdev:f";
        assert_eq!(
            parse_entry(line).unwrap(),
            Registration {
                fd: 5,
                events: 0x19,
                token: u64::MAX
            }
        );
    }

    #[test]
    fn refuses_a_line_it_does_not_understand() {
        let err = parse_entry("tfd: five events: 19 data: 1").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidData);
        assert!(parse_entry("tfd: 5 events: 19").is_err());
    }
}
