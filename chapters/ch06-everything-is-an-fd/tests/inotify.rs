//! inotify, as `man 7 inotify` describes it: events with names for the
//! files in a watched directory, a cookie that pairs the halves of a
//! rename, identical events merged while unread, whole events per read
//! (`EINVAL` when the next one does not fit), and `IN_IGNORED` when a watch
//! goes away.
//!
//! Every test watches a directory of its own, so they run in parallel.

use ch01_raw_syscalls::error::errno;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch06_everything_is_an_fd::inotify::{EVENT_HEADER_SIZE, NAME_MAX};
use ch06_everything_is_an_fd::{Inotify, InotifyEvent, READ_BUFFER_SIZE, TempDir};
use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::Duration;

/// Everything queued now, read with a buffer that always has room.
fn read_all(inotify: &Inotify) -> Vec<InotifyEvent> {
    let mut buf = [0u8; 4 * READ_BUFFER_SIZE];
    let mut all = Vec::new();
    loop {
        let batch = inotify.read_events(&mut buf).unwrap();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

/// `(mask, name)` of each event.
fn summary(events: &[InotifyEvent]) -> Vec<(u32, String)> {
    events
        .iter()
        .map(|event| {
            let name = event.name.as_deref().unwrap_or(OsStr::new(""));
            (event.mask, name.to_string_lossy().into_owned())
        })
        .collect()
}

fn watched(mask: u32) -> (TempDir, Inotify) {
    let dir = TempDir::new("inotify-test").unwrap();
    let inotify = Inotify::new().unwrap();
    inotify.add_watch(dir.path(), mask).unwrap();
    (dir, inotify)
}

#[test]
fn create_modify_and_delete_come_with_the_file_names() {
    let (dir, inotify) = watched(libc::IN_CREATE | libc::IN_MODIFY | libc::IN_DELETE);
    let mut file = File::create(dir.join("a.txt")).unwrap();
    file.write_all(b"hello").unwrap();
    drop(file);
    fs::remove_file(dir.join("a.txt")).unwrap();
    fs::create_dir(dir.join("d")).unwrap();
    fs::remove_dir(dir.join("d")).unwrap();
    assert_eq!(
        summary(&read_all(&inotify)),
        [
            (libc::IN_CREATE, "a.txt".to_owned()),
            (libc::IN_MODIFY, "a.txt".to_owned()),
            (libc::IN_DELETE, "a.txt".to_owned()),
            (libc::IN_CREATE | libc::IN_ISDIR, "d".to_owned()),
            (libc::IN_DELETE | libc::IN_ISDIR, "d".to_owned()),
        ]
    );
}

#[test]
fn only_the_events_in_the_mask_are_reported() {
    let (dir, inotify) = watched(libc::IN_DELETE);
    fs::write(dir.join("a"), b"x").unwrap();
    assert!(read_all(&inotify).is_empty());
    fs::remove_file(dir.join("a")).unwrap();
    assert_eq!(
        summary(&read_all(&inotify)),
        [(libc::IN_DELETE, "a".to_owned())]
    );
}

#[test]
fn the_fd_is_readable_while_events_are_queued() {
    let (dir, inotify) = watched(libc::IN_CREATE);
    let epoll = Epoll::new().unwrap();
    epoll.add(&inotify, IN, 3).unwrap();
    let mut events = Events::with_capacity(2);
    assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    File::create(dir.join("x")).unwrap();
    // The event is queued by the time create returns: no waiting needed.
    assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
    assert_eq!(events.iter().next().unwrap().token(), 3);
    assert_eq!(read_all(&inotify).len(), 1);
    assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
}

#[test]
fn identical_events_in_a_row_are_merged_while_unread() {
    let (dir, inotify) = watched(libc::IN_MODIFY);
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("log"))
        .unwrap();
    for _ in 0..5 {
        file.write_all(b"line\n").unwrap();
    }
    assert_eq!(read_all(&inotify).len(), 1, "five writes, one event");
    file.write_all(b"line\n").unwrap();
    assert_eq!(
        read_all(&inotify).len(),
        1,
        "a new one once the last was read"
    );
}

#[test]
fn the_two_halves_of_a_rename_share_a_cookie() {
    let (dir, inotify) = watched(libc::IN_MOVED_FROM | libc::IN_MOVED_TO | libc::IN_CREATE);
    fs::write(dir.join("old"), b"x").unwrap();
    fs::rename(dir.join("old"), dir.join("new")).unwrap();
    let events = read_all(&inotify);
    assert_eq!(
        summary(&events),
        [
            (libc::IN_CREATE, "old".to_owned()),
            (libc::IN_MOVED_FROM, "old".to_owned()),
            (libc::IN_MOVED_TO, "new".to_owned()),
        ]
    );
    assert_eq!(events[0].cookie, 0, "no cookie outside renames");
    assert_ne!(events[1].cookie, 0);
    assert_eq!(events[1].cookie, events[2].cookie);
}

#[test]
fn removing_a_watch_queues_in_ignored_and_stops_events() {
    let dir = TempDir::new("inotify-test").unwrap();
    let inotify = Inotify::new().unwrap();
    let wd = inotify.add_watch(dir.path(), libc::IN_CREATE).unwrap();
    inotify.rm_watch(wd).unwrap();
    let events = read_all(&inotify);
    assert_eq!(events.len(), 1);
    assert_eq!((events[0].wd, events[0].mask), (wd, libc::IN_IGNORED));
    assert_eq!(events[0].name, None);
    File::create(dir.join("x")).unwrap();
    assert!(read_all(&inotify).is_empty());
    // A second removal: the watch is gone.
    let err = inotify.rm_watch(wd).unwrap_err();
    assert_eq!(errno(&err), Some(libc::EINVAL));
}

#[test]
fn deleting_the_watched_directory_ends_its_watch() {
    let parent = TempDir::new("inotify-test").unwrap();
    let dir = parent.join("watched");
    fs::create_dir(&dir).unwrap();
    let inotify = Inotify::new().unwrap();
    let wd = inotify.add_watch(&dir, libc::IN_DELETE_SELF).unwrap();
    fs::remove_dir(&dir).unwrap();
    let events = read_all(&inotify);
    let masks: Vec<u32> = events.iter().map(|event| event.mask).collect();
    assert_eq!(masks, [libc::IN_DELETE_SELF, libc::IN_IGNORED]);
    assert!(
        events
            .iter()
            .all(|event| event.wd == wd && event.name.is_none())
    );
}

#[test]
fn watching_the_same_path_twice_gives_the_same_descriptor() {
    let dir = TempDir::new("inotify-test").unwrap();
    let inotify = Inotify::new().unwrap();
    let first = inotify.add_watch(dir.path(), libc::IN_CREATE).unwrap();
    let second = inotify.add_watch(dir.path(), libc::IN_DELETE).unwrap();
    assert_eq!(first, second);
    // The second mask replaced the first.
    File::create(dir.join("x")).unwrap();
    assert!(read_all(&inotify).is_empty());
}

#[test]
fn watching_a_path_that_does_not_exist_is_enoent() {
    let dir = TempDir::new("inotify-test").unwrap();
    let inotify = Inotify::new().unwrap();
    let err = inotify
        .add_watch(dir.join("missing"), libc::IN_CREATE)
        .unwrap_err();
    assert_eq!(errno(&err), Some(libc::ENOENT));
}

/// The size a read needs for the event about `name`: the header plus the
/// name, its NUL, and padding (up to a multiple of the header's size on
/// this kernel).
fn event_size(name: &str) -> usize {
    EVENT_HEADER_SIZE + (name.len() + 1).next_multiple_of(EVENT_HEADER_SIZE)
}

#[test]
fn a_buffer_too_small_for_the_next_event_is_einval_and_the_event_stays() {
    let (dir, inotify) = watched(libc::IN_CREATE);
    let name = "a-name-longer-than-sixteen-bytes.txt";
    File::create(dir.join(name)).unwrap();
    let needed = event_size(name);
    for small in [1, EVENT_HEADER_SIZE, needed - 1] {
        let mut buf = vec![0u8; small];
        let err = inotify.read_events(&mut buf).unwrap_err();
        assert_eq!(errno(&err), Some(libc::EINVAL), "a buffer of {small}");
    }
    let mut exact = vec![0u8; needed];
    let events = inotify.read_events(&mut exact).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].name.as_deref(), Some(OsStr::new(name)));
}

#[test]
fn a_read_returns_whole_events_only() {
    let (dir, inotify) = watched(libc::IN_CREATE);
    for name in ["first", "second"] {
        File::create(dir.join(name)).unwrap();
    }
    // Room for the first event and most of the second: the read stops
    // after the first, and never returns part of an event.
    let mut buf = vec![0u8; event_size("first") + event_size("second") - 1];
    // SAFETY: `buf` is valid for writes of its length; the fd is open.
    let n = unsafe { libc::read(inotify.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(usize::try_from(n).unwrap(), event_size("first"));
    let rest = read_all(&inotify);
    assert_eq!(summary(&rest), [(libc::IN_CREATE, "second".to_owned())]);
}

#[test]
fn the_recommended_buffer_holds_an_event_with_the_longest_name() {
    let (dir, inotify) = watched(libc::IN_CREATE);
    let longest = "n".repeat(NAME_MAX);
    File::create(dir.join(&longest)).unwrap();
    let mut buf = [0u8; READ_BUFFER_SIZE];
    let events = inotify.read_events(&mut buf).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].name.as_deref(), Some(OsStr::new(&longest)));
}

#[test]
fn an_empty_queue_reads_as_no_events() {
    let (_dir, inotify) = watched(libc::IN_CREATE);
    let mut buf = [0u8; READ_BUFFER_SIZE];
    // SAFETY: `buf` is valid for writes of its length; the fd is open.
    let ret = unsafe { libc::read(inotify.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(ret, -1);
    assert_eq!(
        std::io::Error::last_os_error().raw_os_error(),
        Some(libc::EAGAIN)
    );
    assert!(inotify.read_events(&mut buf).unwrap().is_empty());
}
