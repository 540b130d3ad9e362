//! Close-on-exec, checked from both sides of an `exec`.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, ErrorKind};
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};
use std::process::{Command, Stdio};

// ANCHOR: seen_by_child
/// Starts a child program with `std::process::Command` and reports, for
/// each of `fds`, whether the child has it too: a descriptor with the same
/// number that refers to the same file (the same `/proc/<pid>/fd` link
/// target, such as `pipe:[1234]`).
///
/// The child is `ls -l /proc/self/fd`, which lists its own descriptors.
/// Comparing targets as well as numbers keeps the listing's own descriptor
/// (the directory `ls` reads, which gets the lowest free number) from
/// counting as inherited.
pub fn seen_by_child(fds: &[BorrowedFd<'_>]) -> io::Result<Vec<bool>> {
    let output = Command::new("ls")
        .args(["-l", "/proc/self/fd"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()?;
    if !output.status.success() {
        return Err(io::Error::other(format!("ls failed: {}", output.status)));
    }
    let listing = String::from_utf8_lossy(&output.stdout);
    let childs: BTreeSet<(RawFd, &str)> = listing
        .lines()
        .filter_map(|line| {
            let (left, target) = line.split_once(" -> ")?;
            let number = left.split_whitespace().last()?.parse().ok()?;
            Some((number, target))
        })
        .collect();
    if childs.is_empty() {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            "ls -l /proc/self/fd listed no descriptors",
        ));
    }
    fds.iter()
        .map(|fd| {
            let number = fd.as_raw_fd();
            let target = fs::read_link(format!("/proc/self/fd/{number}"))?;
            let target = target.to_string_lossy();
            Ok(childs.contains(&(number, target.as_ref())))
        })
        .collect()
}
// ANCHOR_END: seen_by_child
