//! Chapter 1's hand-written declarations and `libc`'s never disagree:
//! every constant is equal (after the `c_int` -> `u32` cast for event bits),
//! the event structs have one layout, and the functions have one type,
//! which this file checks by compiling (each assignment to an explicit
//! function-pointer type compiles only if the types match) and then by
//! calling both on the same inputs.

use ch01_raw_syscalls as ch01;
use ch01_raw_syscalls::consts::errno;
use ch01_raw_syscalls::event::DATA_OFFSET;
use ch01_raw_syscalls::ffi;
use std::ffi::{c_int, c_void};
use std::io;
use std::mem::{align_of, offset_of, size_of};

#[test]
fn every_constant_is_equal() {
    // The operations and flags are c_int on both sides.
    assert_eq!(ch01::EPOLL_CTL_ADD, libc::EPOLL_CTL_ADD);
    assert_eq!(ch01::EPOLL_CTL_DEL, libc::EPOLL_CTL_DEL);
    assert_eq!(ch01::EPOLL_CTL_MOD, libc::EPOLL_CTL_MOD);
    assert_eq!(ch01::EPOLL_CLOEXEC, libc::EPOLL_CLOEXEC);
    assert_eq!(ch01::O_CLOEXEC, libc::O_CLOEXEC);
    assert_eq!(ch01::O_NONBLOCK, libc::O_NONBLOCK);
    // Event bits: u32 in chapter 1, c_int in libc.
    let bits = [
        (ch01::EPOLLIN, libc::EPOLLIN),
        (ch01::EPOLLPRI, libc::EPOLLPRI),
        (ch01::EPOLLOUT, libc::EPOLLOUT),
        (ch01::EPOLLERR, libc::EPOLLERR),
        (ch01::EPOLLHUP, libc::EPOLLHUP),
        (ch01::EPOLLRDHUP, libc::EPOLLRDHUP),
        (ch01::EPOLLEXCLUSIVE, libc::EPOLLEXCLUSIVE),
        (ch01::EPOLLWAKEUP, libc::EPOLLWAKEUP),
        (ch01::EPOLLONESHOT, libc::EPOLLONESHOT),
        (ch01::EPOLLET, libc::EPOLLET),
    ];
    for (ours, theirs) in bits {
        assert_eq!(ours, theirs as u32, "{}", ch01::consts::event_names(ours));
    }
    // The errno values.
    assert_eq!(errno::EPERM, libc::EPERM);
    assert_eq!(errno::ENOENT, libc::ENOENT);
    assert_eq!(errno::EINTR, libc::EINTR);
    assert_eq!(errno::EBADF, libc::EBADF);
    assert_eq!(errno::EAGAIN, libc::EAGAIN);
    assert_eq!(errno::EEXIST, libc::EEXIST);
    assert_eq!(errno::EINVAL, libc::EINVAL);
}

#[test]
fn the_wrappers_flags_are_libcs_bits() {
    use ch04_libc_and_a_safe_wrapper as ch04;
    assert_eq!(ch04::IN, ch01::EPOLLIN);
    assert_eq!(ch04::OUT, ch01::EPOLLOUT);
    assert_eq!(ch04::PRI, ch01::EPOLLPRI);
    assert_eq!(ch04::ERR, ch01::EPOLLERR);
    assert_eq!(ch04::HUP, ch01::EPOLLHUP);
    assert_eq!(ch04::RDHUP, ch01::EPOLLRDHUP);
    assert_eq!(ch04::ET, ch01::EPOLLET);
    assert_eq!(ch04::ONESHOT, ch01::EPOLLONESHOT);
    assert_eq!(ch04::EXCLUSIVE, ch01::EPOLLEXCLUSIVE);
    assert_eq!(ch04::WAKEUP, ch01::EPOLLWAKEUP);
}

#[test]
fn the_event_structs_have_one_layout() {
    assert_eq!(size_of::<ch01::Event>(), size_of::<libc::epoll_event>());
    assert_eq!(
        offset_of!(ch01::Event, events),
        offset_of!(libc::epoll_event, events)
    );
    assert_eq!(DATA_OFFSET, offset_of!(libc::epoll_event, u64));
    // On 32-bit x86 libc packs the struct and the kernel does not; the size
    // and offsets agree there, only the alignment differs.
    #[cfg(not(target_arch = "x86"))]
    assert_eq!(align_of::<ch01::Event>(), align_of::<libc::epoll_event>());
    #[cfg(target_arch = "x86_64")]
    {
        assert_eq!(size_of::<libc::epoll_event>(), 12);
        assert_eq!(align_of::<libc::epoll_event>(), 1);
        assert_eq!(offset_of!(libc::epoll_event, u64), 4);
    }
}

// ANCHOR: fn_types
type CreateFn = unsafe extern "C" fn(c_int) -> c_int;
type CtlFn<E> = unsafe extern "C" fn(c_int, c_int, c_int, *mut E) -> c_int;
type WaitFn<E> = unsafe extern "C" fn(c_int, *mut E, c_int, c_int) -> c_int;
type CloseFn = unsafe extern "C" fn(c_int) -> c_int;
type Pipe2Fn = unsafe extern "C" fn(*mut c_int, c_int) -> c_int;
type ReadFn = unsafe extern "C" fn(c_int, *mut c_void, usize) -> isize;
type WriteFn = unsafe extern "C" fn(c_int, *const c_void, usize) -> isize;

/// Each set of declarations as one tuple of explicitly typed pointers.
/// The event type is the only thing allowed to differ.
struct Declarations<E> {
    create: CreateFn,
    ctl: CtlFn<E>,
    wait: WaitFn<E>,
    close: CloseFn,
    pipe2: Pipe2Fn,
    read: ReadFn,
    write: WriteFn,
}

const CHAPTER_1: Declarations<ch01::Event> = Declarations {
    create: ffi::epoll_create1,
    ctl: ffi::epoll_ctl,
    wait: ffi::epoll_wait,
    close: ffi::close,
    pipe2: ffi::pipe2,
    read: ffi::read,
    write: ffi::write,
};

const LIBC: Declarations<libc::epoll_event> = Declarations {
    create: libc::epoll_create1,
    ctl: libc::epoll_ctl,
    wait: libc::epoll_wait,
    close: libc::close,
    pipe2: libc::pipe2,
    read: libc::read,
    write: libc::write,
};
// ANCHOR_END: fn_types

#[test]
fn both_name_the_same_functions() {
    // Both name the same C symbols, so the linker gives them one address.
    assert_eq!(CHAPTER_1.create as usize, LIBC.create as usize);
    assert_eq!(CHAPTER_1.ctl as usize, LIBC.ctl as usize);
    assert_eq!(CHAPTER_1.wait as usize, LIBC.wait as usize);
    assert_eq!(CHAPTER_1.close as usize, LIBC.close as usize);
    assert_eq!(CHAPTER_1.pipe2 as usize, LIBC.pipe2 as usize);
    assert_eq!(CHAPTER_1.read as usize, LIBC.read as usize);
    assert_eq!(CHAPTER_1.write as usize, LIBC.write as usize);
}

/// `errno` after a call that returned -1.
fn last_errno() -> Option<i32> {
    io::Error::last_os_error().raw_os_error()
}

#[test]
fn both_give_the_same_answers_to_the_same_calls() {
    // Bad flags and a closed fd: the same error from each.
    // SAFETY: no pointers; the kernel rejects the unknown flag.
    assert_eq!(unsafe { (CHAPTER_1.create)(1) }, -1);
    let ours = last_errno();
    // SAFETY: as above.
    assert_eq!(unsafe { (LIBC.create)(1) }, -1);
    assert_eq!(
        (ours, last_errno()),
        (Some(libc::EINVAL), Some(libc::EINVAL))
    );
    // SAFETY: -1 is never open, so nothing is closed.
    assert_eq!(unsafe { (CHAPTER_1.close)(-1) }, -1);
    let ours = last_errno();
    // SAFETY: as above.
    assert_eq!(unsafe { (LIBC.close)(-1) }, -1);
    assert_eq!((ours, last_errno()), (Some(libc::EBADF), Some(libc::EBADF)));

    // A round trip that mixes the two: create, pipe and register through
    // chapter 1, write through libc, wait through libc, read through
    // chapter 1; then the other way round for the wait.
    // SAFETY: no pointers.
    let epfd = unsafe { (CHAPTER_1.create)(ch01::EPOLL_CLOEXEC) };
    assert!(epfd >= 0);
    let mut fds = [-1; 2];
    // SAFETY: `fds` has room for two fds.
    assert_eq!(
        unsafe { (CHAPTER_1.pipe2)(fds.as_mut_ptr(), ch01::O_CLOEXEC) },
        0
    );
    let [reader, writer] = fds;
    let mut interest = ch01::Event::new(ch01::EPOLLIN, 0xfeed_f00d_dead_beef);
    // SAFETY: all fds are open; `interest` is a live Event.
    assert_eq!(
        unsafe { (CHAPTER_1.ctl)(epfd, ch01::EPOLL_CTL_ADD, reader, &mut interest) },
        0
    );
    // SAFETY: one valid byte to read; `writer` is open.
    assert_eq!(unsafe { (LIBC.write)(writer, b"!".as_ptr().cast(), 1) }, 1);

    let mut theirs = [libc::epoll_event { events: 0, u64: 0 }; 2];
    // SAFETY: room for 2 events; `epfd` is open.
    assert_eq!(unsafe { (LIBC.wait)(epfd, theirs.as_mut_ptr(), 2, 0) }, 1);
    let mut ours = [ch01::Event::zeroed(); 2];
    // SAFETY: room for 2 events; `epfd` is open.
    assert_eq!(
        unsafe { (CHAPTER_1.wait)(epfd, ours.as_mut_ptr(), 2, 0) },
        1
    );
    assert_eq!({ theirs[0].events }, { ours[0].events });
    assert_eq!({ theirs[0].u64 }, ours[0].token());
    assert_eq!(ours[0].token(), 0xfeed_f00d_dead_beef);

    // Change the registration through libc; chapter 1's wait sees it.
    let mut changed = libc::epoll_event {
        events: libc::EPOLLIN as u32,
        u64: 42,
    };
    // SAFETY: all fds are open; `changed` is a live epoll_event.
    assert_eq!(
        unsafe { (LIBC.ctl)(epfd, libc::EPOLL_CTL_MOD, reader, &mut changed) },
        0
    );
    // SAFETY: room for 2 events; `epfd` is open.
    assert_eq!(
        unsafe { (CHAPTER_1.wait)(epfd, ours.as_mut_ptr(), 2, 0) },
        1
    );
    assert_eq!(ours[0].token(), 42);

    let mut byte = [0u8; 1];
    // SAFETY: room for one byte; `reader` is open.
    assert_eq!(
        unsafe { (CHAPTER_1.read)(reader, byte.as_mut_ptr().cast(), 1) },
        1
    );
    assert_eq!(&byte, b"!");

    for fd in [reader, writer, epfd] {
        // SAFETY: each fd was opened above and is closed once, here.
        assert_eq!(unsafe { (LIBC.close)(fd) }, 0);
    }
}
