//! An inotify instance watching a directory of our own, in an epoll loop:
//! every change the program makes comes back as events with the file's
//! name. Each step makes a change, waits for the inotify fd to be readable,
//! and reads until nothing is left.
//!
//! The directory is made under the system's temporary directory and
//! removed at the end.
//!
//! Run it with `cargo run -p ch06-everything-is-an-fd --example watch_a_directory`.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch06_everything_is_an_fd::{Inotify, InotifyEvent, READ_BUFFER_SIZE, TempDir, mask_names};
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::time::Duration;

const WATCH: u64 = 0;
const PATIENCE: Duration = Duration::from_secs(2);

// ANCHOR: collect
/// Waits until the inotify fd is readable, then reads until the queue is
/// empty.
fn collect(epoll: &Epoll, inotify: &Inotify, events: &mut Events) -> io::Result<Vec<InotifyEvent>> {
    epoll.wait(events, Some(PATIENCE))?;
    if !events.iter().any(|event| event.token() == WATCH) {
        return Err(io::Error::new(io::ErrorKind::TimedOut, "no inotify event"));
    }
    // Room for several events per read, and always for the next one.
    let mut buf = [0u8; 4 * READ_BUFFER_SIZE];
    let mut all = Vec::new();
    loop {
        let batch = inotify.read_events(&mut buf)?;
        if batch.is_empty() {
            return Ok(all);
        }
        all.extend(batch);
    }
}
// ANCHOR_END: collect

fn step(
    what: &str,
    epoll: &Epoll,
    inotify: &Inotify,
    events: &mut Events,
    change: impl FnOnce() -> io::Result<()>,
) -> io::Result<Vec<InotifyEvent>> {
    println!("-- {what}");
    change()?;
    let happened = collect(epoll, inotify, events)?;
    for event in &happened {
        let name = event.name.as_ref().map_or_else(
            || "(the directory itself)".to_owned(),
            |name| format!("{name:?}"),
        );
        println!("  {} {name}", mask_names(event.mask));
    }
    Ok(happened)
}

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let dir = TempDir::new("watch-a-directory")?;
    let inotify = Inotify::new()?;
    let watched = libc::IN_CREATE
        | libc::IN_MODIFY
        | libc::IN_DELETE
        | libc::IN_MOVED_FROM
        | libc::IN_MOVED_TO;
    let wd = inotify.add_watch(dir.path(), watched)?;
    let epoll = Epoll::new()?;
    epoll.add(&inotify, IN, WATCH)?;
    let mut events = Events::with_capacity(4);
    let (ep, ino, ev) = (&epoll, &inotify, &mut events);

    step("create notes.txt", ep, ino, ev, || {
        File::create(dir.join("notes.txt")).map(drop)
    })?;
    step("write to it twice, then look", ep, ino, ev, || {
        let mut file = OpenOptions::new()
            .append(true)
            .open(dir.join("notes.txt"))?;
        file.write_all(b"first line\n")?;
        file.write_all(b"second line\n")
    })?;
    let renamed = step("rename it to todo.txt", ep, ino, ev, || {
        fs::rename(dir.join("notes.txt"), dir.join("todo.txt"))
    })?;
    if let [from, to] = &renamed[..] {
        println!(
            "  one cookie for both halves: {}",
            from.cookie != 0 && from.cookie == to.cookie
        );
    }
    step("create a, b and c, then look", ep, ino, ev, || {
        for name in ["a", "b", "c"] {
            File::create(dir.join(name))?;
        }
        Ok(())
    })?;
    step("make a directory", ep, ino, ev, || {
        fs::create_dir(dir.join("sub"))
    })?;
    step("delete everything", ep, ino, ev, || {
        for name in ["todo.txt", "a", "b", "c"] {
            fs::remove_file(dir.join(name))?;
        }
        fs::remove_dir(dir.join("sub"))
    })?;
    step("remove the watch", ep, ino, ev, || inotify.rm_watch(wd))?;

    let n = epoll.wait(ev, Some(Duration::from_millis(50)))?;
    File::create(dir.join("unwatched"))?;
    let after = epoll.wait(ev, Some(Duration::from_millis(50)))?;
    println!("-- after rm_watch: {n} events; a new file: {after} events");
    Ok(())
}
// ANCHOR_END: main
