//! The hand-written `extern "C"` declarations have the same types as the
//! `libc` crate's. Each assignment below compiles only if the function has
//! exactly the pointer type on the left, so this file failing to compile is
//! the test failing.

use ch01_raw_syscalls::{Event, ffi};
use std::ffi::{c_int, c_void};

type CreateFn = unsafe extern "C" fn(c_int) -> c_int;
type CtlFn<E> = unsafe extern "C" fn(c_int, c_int, c_int, *mut E) -> c_int;
type WaitFn<E> = unsafe extern "C" fn(c_int, *mut E, c_int, c_int) -> c_int;
type CloseFn = unsafe extern "C" fn(c_int) -> c_int;
type Pipe2Fn = unsafe extern "C" fn(*mut c_int, c_int) -> c_int;
type ReadFn = unsafe extern "C" fn(c_int, *mut c_void, usize) -> isize;
type WriteFn = unsafe extern "C" fn(c_int, *const c_void, usize) -> isize;

#[test]
fn declarations_have_libcs_types() {
    let ours: (CreateFn, CtlFn<Event>, WaitFn<Event>, CloseFn) = (
        ffi::epoll_create1,
        ffi::epoll_ctl,
        ffi::epoll_wait,
        ffi::close,
    );
    let theirs: (
        CreateFn,
        CtlFn<libc::epoll_event>,
        WaitFn<libc::epoll_event>,
        CloseFn,
    ) = (
        libc::epoll_create1,
        libc::epoll_ctl,
        libc::epoll_wait,
        libc::close,
    );
    let io_ours: (Pipe2Fn, ReadFn, WriteFn) = (ffi::pipe2, ffi::read, ffi::write);
    let io_theirs: (Pipe2Fn, ReadFn, WriteFn) = (libc::pipe2, libc::read, libc::write);

    // Both name the same C symbol, so the linker resolves them to the same
    // address.
    assert_eq!(ours.0 as usize, theirs.0 as usize);
    assert_eq!(ours.1 as usize, theirs.1 as usize);
    assert_eq!(ours.2 as usize, theirs.2 as usize);
    assert_eq!(ours.3 as usize, theirs.3 as usize);
    assert_eq!(io_ours.0 as usize, io_theirs.0 as usize);
    assert_eq!(io_ours.1 as usize, io_theirs.1 as usize);
    assert_eq!(io_ours.2 as usize, io_theirs.2 as usize);
}
