//! Where the book's wrapper and rustix's epoll part ways: what an error
//! says, how a huge buffer and a huge timeout are taken. (How each meets
//! a signal handler is in `tests/eintr.rs`.)

use ch01_raw_syscalls::consts::errno::EINVAL;
use ch01_raw_syscalls::errno;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN, MAX_EVENTS};
use rustix::event::epoll as rx;
use std::io::{self, Write};
use std::time::Duration;

#[test]
fn rustix_errors_keep_the_number_but_not_the_call() {
    let epoll = rx::create(rx::CreateFlags::CLOEXEC).unwrap();
    let (reader, _writer) = io::pipe().unwrap();
    let data = rx::EventData::new_u64(1);
    rx::add(&epoll, &reader, data, rx::EventFlags::IN).unwrap();
    let errno_value = rx::add(&epoll, &reader, data, rx::EventFlags::IN).unwrap_err();
    assert_eq!(errno_value, rustix::io::Errno::EXIST);
    let err = io::Error::from(errno_value);
    assert_eq!(err.raw_os_error(), Some(libc::EEXIST));
    assert_eq!(err.to_string(), "File exists (os error 17)");

    let ours = Epoll::new().unwrap();
    ours.add(&reader, IN, 1).unwrap();
    let err = ours.add(&reader, IN, 1).unwrap_err();
    assert_eq!(err.to_string(), "epoll_ctl(ADD): File exists (os error 17)");
}

#[test]
fn rustix_cannot_express_a_timeout_beyond_its_timespec() {
    // rustix takes a Timespec, whose seconds are an i64: Duration::MAX does
    // not fit, and the caller has to decide what to do. The wrapper takes
    // the Duration and waits with no limit (tests/wrapper.rs).
    assert!(rustix::event::Timespec::try_from(Duration::MAX).is_err());
    let month = Duration::from_secs(31 * 24 * 3600);
    assert!(rustix::event::Timespec::try_from(month).is_ok());
}

// ANCHOR: huge_buffer
/// A buffer with room for one event more than the kernel's limit. It is
/// 2 GiB of address space, but only the pages the kernel writes to are
/// ever touched.
fn huge_buffer<T>() -> Vec<T> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(MAX_EVENTS + 1)
        .expect("reserving address space for MAX_EVENTS + 1 events");
    buf
}

#[test]
fn a_buffer_beyond_the_kernels_limit() {
    let (reader, mut writer) = io::pipe().unwrap();
    writer.write_all(b"x").unwrap();

    // rustix passes the whole spare capacity as maxevents, and the kernel
    // refuses it.
    let epoll = rx::create(rx::CreateFlags::CLOEXEC).unwrap();
    rx::add(
        &epoll,
        &reader,
        rx::EventData::new_u64(1),
        rx::EventFlags::IN,
    )
    .unwrap();
    let mut buf: Vec<rx::Event> = huge_buffer();
    let result = rx::wait(&epoll, buf.spare_capacity_mut(), None);
    assert_eq!(
        result.map(|(ready, _)| ready.len()),
        Err(rustix::io::Errno::INVAL)
    );
    drop(buf);

    // The wrapper asks for at most MAX_EVENTS, and gets the event.
    let ours = Epoll::new().unwrap();
    ours.add(&reader, IN, 1).unwrap();
    let mut events = Events::with_capacity(MAX_EVENTS + 1);
    assert_eq!(events.capacity(), MAX_EVENTS + 1);
    assert_eq!(ours.wait(&mut events, Some(Duration::ZERO)).unwrap(), 1);
    assert_eq!(events.iter().next().map(|e| e.token()), Some(1));
}
// ANCHOR_END: huge_buffer

#[test]
fn an_empty_buffer_is_einval_for_both() {
    let ours = Epoll::new().unwrap();
    let err = ours
        .wait(&mut Events::with_capacity(0), Some(Duration::ZERO))
        .unwrap_err();
    assert_eq!(errno(&err), Some(EINVAL));

    let epoll = rx::create(rx::CreateFlags::CLOEXEC).unwrap();
    let mut none: [rx::Event; 0] = [];
    let result = rx::wait(&epoll, &mut none, None);
    assert_eq!(result, Err(rustix::io::Errno::INVAL));
}
