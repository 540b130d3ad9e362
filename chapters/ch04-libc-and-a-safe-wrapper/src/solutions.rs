//! Solutions to the exercises at the end of chapter 4's page, one anchored
//! item (or small group) per exercise. `tests/solutions.rs` checks each
//! one.

use crate::{Epoll, Event};
use ch01_raw_syscalls::error::{check, last_error};
use std::ffi::c_int;
use std::io;
use std::num::TryFromIntError;
use std::os::fd::{AsFd, AsRawFd};
use std::ptr;

// ANCHOR: exercise_1
/// `flags.rs` with `u32::try_from(...).unwrap()` in place of `as u32` does
/// not compile: a `const` item is evaluated by the compiler, and neither
/// `try_from` nor `unwrap` may be called there (`compile_fail/
/// try_from_in_const.rs`: rustc rejects both calls, `unwrap` with E0015).
/// The failure would come at compile time even for the constants that fit.
///
/// In a function the same conversion compiles, and fails at run time for
/// `EPOLLET` alone, because `try_from` checks the *value* and
/// -2147483648 is not a `u32`:
pub fn et_by_try_from() -> Result<u32, TryFromIntError> {
    u32::try_from(libc::EPOLLET)
}

/// `cast_unsigned` is a `const fn` that exists only on signed integers and
/// returns the unsigned type of the same width: it cannot truncate or
/// sign-extend, and its name says that the bits are kept and read as
/// unsigned. That is exactly the conversion wanted here, so it says what it
/// means better than `as u32`, which also truncates and sign-extends
/// between other types, and better than `try_from`, which asks a
/// different question (is the value in range?).
pub const ET_BY_CAST_UNSIGNED: u32 = libc::EPOLLET.cast_unsigned();
pub const IN_BY_CAST_UNSIGNED: u32 = libc::EPOLLIN.cast_unsigned();
// ANCHOR_END: exercise_1

// ANCHOR: exercise_2
impl Epoll {
    /// One `epoll_pwait`: waits like `epoll_wait` (one call, `timeout_ms`
    /// as the kernel takes it), with `signals` blocked for exactly the
    /// duration of the wait, on top of what the thread blocks already.
    /// Returns how many events the kernel wrote to the front of `events`.
    ///
    /// A blocked signal cannot interrupt the wait, so there is no `EINTR`
    /// to retry. It is not lost either: it stays pending for the thread,
    /// and when `epoll_pwait` puts the old mask back on its way out, the
    /// handler runs, before the call returns to the caller. A standard
    /// signal is pending or not, so several sent during one wait make one
    /// handler call. (`man 2 epoll_wait` describes `epoll_pwait` as
    /// `pthread_sigmask`, `epoll_wait`, `pthread_sigmask` done atomically.
    /// For blocking, as here, three separate calls would do as well; the
    /// atomic swap matters for the opposite use, a signal unblocked only
    /// during the wait, which must not be handled in the gap just before
    /// the sleep and leave the wait asleep.)
    pub fn wait_with_signals_blocked(
        &self,
        events: &mut [libc::epoll_event],
        timeout_ms: c_int,
        signals: &[c_int],
    ) -> io::Result<usize> {
        let mut mask = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: with a null new set, pthread_sigmask only writes the
        // thread's current mask into `mask`, a sigset_t's worth of memory.
        let ret =
            unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, ptr::null(), mask.as_mut_ptr()) };
        if ret != 0 {
            // pthread functions return the error number instead of setting
            // errno.
            let os_error = io::Error::from_raw_os_error(ret);
            return Err(io::Error::new(
                os_error.kind(),
                format!("pthread_sigmask: {os_error}"),
            ));
        }
        // SAFETY: pthread_sigmask succeeded, so it initialized the set.
        let mut mask = unsafe { mask.assume_init() };
        for &signal in signals {
            // SAFETY: `mask` is an initialized sigset_t; sigaddset checks
            // the signal number and fails with EINVAL if it is not one.
            check("sigaddset", unsafe { libc::sigaddset(&mut mask, signal) })?;
        }
        let maxevents = c_int::try_from(events.len()).unwrap_or(c_int::MAX);
        // SAFETY: `events` is valid for writes of `maxevents` epoll_events,
        // `mask` is a live, initialized sigset_t that the kernel only reads,
        // and the epoll fd is open for as long as `self` lives.
        let ret = unsafe {
            libc::epoll_pwait(
                self.as_raw_fd(),
                events.as_mut_ptr(),
                maxevents,
                timeout_ms,
                &mask,
            )
        };
        if ret < 0 {
            return Err(last_error("epoll_pwait"));
        }
        Ok(usize::try_from(ret).expect("a non-negative count"))
    }
}
// ANCHOR_END: exercise_2

// ANCHOR: exercise_3
impl Epoll {
    /// Registers `fd` with the address `ptr` as its token.
    ///
    /// Safe: the address is only stored, as a number, and nothing reads
    /// through it here. The address's provenance is exposed, so that
    /// [`Event::token_ptr`] can turn the number back into a pointer that
    /// may be dereferenced.
    pub fn add_ptr<T>(&self, fd: impl AsFd, events: u32, ptr: *const T) -> io::Result<()> {
        let token = u64::try_from(ptr.expose_provenance())
            .expect("an address fits in a u64 on every Linux target");
        self.add(fd, events, token)
    }
}

impl Event {
    /// The token as a pointer, for registrations made with
    /// [`Epoll::add_ptr`].
    ///
    /// Also safe: making a raw pointer from a number is. What needs
    /// `unsafe` is dereferencing it, and that is the caller's, who must
    /// know three things the wrapper cannot: that this registration was
    /// made by `add_ptr` with a `*const T` (a token that is an index makes a
    /// pointer to nowhere), that the `T` is still alive and has not moved
    /// since, and that nobody holds a `&mut` to it. The first is the
    /// caller's own bookkeeping; the other two hold for as long as the `T`
    /// outlives the registration, so the registration must end (`delete`,
    /// or closing the fd) before the `T` is dropped or moved.
    pub fn token_ptr<T>(&self) -> *const T {
        let address = usize::try_from(self.token()).unwrap_or(usize::MAX);
        ptr::with_exposed_provenance(address)
    }
}
// ANCHOR_END: exercise_3
