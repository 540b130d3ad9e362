//! Counting the `close` and `epoll_wait` calls a test binary makes.
//!
//! A program linked against the C library calls `close` and `epoll_wait`
//! by name. When the executable itself defines a function of that name, the
//! linker binds every call made by the executable's own code (the test, the
//! standard library, the chapter crates, `libc`'s declarations) to that
//! definition instead of the C library's. The macros here define such
//! functions in the test binary that invokes them: each makes the real
//! system call with `syscall(2)`, exactly as the C library would, and
//! counts what happened.
//!
//! - [`count_closes!`](crate::count_closes!): every `close`, per fd
//!   number, and the closes that failed (`EBADF`: an fd closed twice, or
//!   never open). Read with [`closes`] and [`failed_closes`].
//! - [`count_epoll_waits!`](crate::count_epoll_waits!): per thread, how
//!   many `epoll_wait` calls were made and how many a signal handler
//!   interrupted (`EINTR`). Read with [`epoll_waits_on_this_thread`].
//!
//! Each macro goes at the top level of a test binary, once. Only a binary
//! that invokes it is affected; the counters of one that does not stay at
//! zero, so a test should check that they count (say, that a wait it made
//! is counted).

use std::cell::Cell;
use std::ffi::{c_int, c_long, c_void};
use std::sync::atomic::{AtomicU64, Ordering};

/// The fd numbers counted one by one; closes of higher numbers are only
/// counted as a whole.
pub const COUNTED_FDS: usize = 4096;

static CLOSES: [AtomicU64; COUNTED_FDS] = [const { AtomicU64::new(0) }; COUNTED_FDS];
static FAILED_CLOSES: AtomicU64 = AtomicU64::new(0);

/// How many times `close(fd)` has succeeded in this process, since it
/// started (0 for numbers from [`COUNTED_FDS`] up).
pub fn closes(fd: c_int) -> u64 {
    usize::try_from(fd)
        .ok()
        .and_then(|fd| CLOSES.get(fd))
        .map_or(0, |count| count.load(Ordering::SeqCst))
}

/// How many `close` calls have failed in this process, since it started.
pub fn failed_closes() -> u64 {
    FAILED_CLOSES.load(Ordering::SeqCst)
}

/// The body of the `close` that [`count_closes!`](crate::count_closes!)
/// defines: `close(2)` through `syscall(2)`, counted. Sets `errno` as the
/// C library does.
pub fn close_and_count(fd: c_int) -> c_int {
    // SAFETY: close takes a number and no pointer; closing an fd that the
    // caller does not own is the caller's bug, which is what is counted
    // here, and the kernel answers a number that is not open with EBADF.
    let ret = unsafe { libc::syscall(libc::SYS_close, c_long::from(fd)) };
    if ret == 0 {
        if let Some(count) = usize::try_from(fd).ok().and_then(|fd| CLOSES.get(fd)) {
            count.fetch_add(1, Ordering::SeqCst);
        }
    } else {
        FAILED_CLOSES.fetch_add(1, Ordering::SeqCst);
    }
    // 0 or -1: both fit.
    ret as c_int
}

/// Defines `close` in the test binary that invokes it, counted by
/// [`close_and_count`].
#[macro_export]
macro_rules! count_closes {
    () => {
        /// `close(2)`, counted: see `testkit::interpose`.
        #[unsafe(no_mangle)]
        pub extern "C" fn close(fd: ::std::ffi::c_int) -> ::std::ffi::c_int {
            $crate::interpose::close_and_count(fd)
        }
    };
}

/// What one thread's `epoll_wait` calls did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EpollWaits {
    /// Calls made.
    pub calls: u64,
    /// Calls that failed with `EINTR`: a signal handler ran while the
    /// thread waited.
    pub interrupted: u64,
}

thread_local! {
    static EPOLL_WAITS: Cell<EpollWaits> = const {
        Cell::new(EpollWaits { calls: 0, interrupted: 0 })
    };
}

/// The `epoll_wait` calls this thread has made so far.
pub fn epoll_waits_on_this_thread() -> EpollWaits {
    EPOLL_WAITS.with(Cell::get)
}

/// The body of the `epoll_wait` that
/// [`count_epoll_waits!`](crate::count_epoll_waits!) defines:
/// `epoll_pwait(2)` with no signal mask, which `man 2 epoll_wait` says is
/// the same call, through `syscall(2)` (some architectures have no plain
/// `epoll_wait` system call). Counted for the calling thread; sets `errno`
/// as the C library does.
///
/// # Safety
///
/// As for `epoll_wait(2)`: `events` points to room for `maxevents`
/// `epoll_event`s, or the kernel refuses it (`EFAULT`, `EINVAL`).
pub unsafe fn epoll_wait_and_count(
    epfd: c_int,
    events: *mut c_void,
    maxevents: c_int,
    timeout: c_int,
) -> c_int {
    // SAFETY: the caller's promise about `events` is the kernel's
    // requirement; a null signal mask means "leave the mask alone", and
    // its size argument is then ignored.
    let ret = unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait,
            c_long::from(epfd),
            events,
            c_long::from(maxevents),
            c_long::from(timeout),
            std::ptr::null::<libc::sigset_t>(),
            std::mem::size_of::<libc::sigset_t>(),
        )
    };
    let interrupted =
        ret == -1 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR);
    EPOLL_WAITS.with(|waits| {
        let mut now = waits.get();
        now.calls += 1;
        now.interrupted += u64::from(interrupted);
        waits.set(now);
    });
    // A count of events, at most `maxevents`, or -1: it fits.
    ret as c_int
}

/// Defines `epoll_wait` in the test binary that invokes it, counted by
/// [`epoll_wait_and_count`].
#[macro_export]
macro_rules! count_epoll_waits {
    () => {
        /// `epoll_wait(2)`, counted: see `testkit::interpose`.
        ///
        /// # Safety
        ///
        /// As for `epoll_wait(2)`.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn epoll_wait(
            epfd: ::std::ffi::c_int,
            events: *mut ::std::ffi::c_void,
            maxevents: ::std::ffi::c_int,
            timeout: ::std::ffi::c_int,
        ) -> ::std::ffi::c_int {
            // SAFETY: the caller keeps epoll_wait's contract, which is this
            // function's.
            unsafe { $crate::interpose::epoll_wait_and_count(epfd, events, maxevents, timeout) }
        }
    };
}
