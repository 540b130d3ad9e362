//! `struct epoll_event` and `union epoll_data`, spelled in Rust.
//!
//! C declares them as
//!
//! ```c
//! typedef union epoll_data {
//!     void     *ptr;
//!     int       fd;
//!     uint32_t  u32;
//!     uint64_t  u64;
//! } epoll_data_t;
//!
//! struct epoll_event {
//!     uint32_t     events;
//!     epoll_data_t data;
//! } EPOLL_PACKED;   /* __attribute__((packed)) on x86_64 only */
//! ```

use crate::consts::event_names;
use std::ffi::{c_int, c_void};
use std::fmt;

// ANCHOR: data_union
/// `union epoll_data`: eight bytes that the kernel stores with a registration
/// and hands back, untouched, with every event for it.
///
/// All four fields share the same bytes, starting at offset 0. Rust cannot
/// know which one was written last, so reading any of them is `unsafe`.
#[derive(Clone, Copy)]
#[repr(C)]
pub union Data {
    pub ptr: *mut c_void,
    pub fd: c_int,
    pub u32: u32,
    pub u64: u64,
}
// ANCHOR_END: data_union

// ANCHOR: packed_event
/// `struct epoll_event`: what `epoll_ctl` reads and `epoll_wait` writes.
///
/// On x86_64 the kernel declares it packed: 12 bytes, `data` at offset 4.
/// Everywhere else it has C's natural layout (16 bytes on 64-bit targets,
/// `data` at offset 8). The Rust type must match exactly, or the kernel and
/// the program disagree about where each event starts.
#[derive(Clone, Copy)]
#[cfg_attr(target_arch = "x86_64", repr(C, packed))]
#[cfg_attr(not(target_arch = "x86_64"), repr(C))]
pub struct Event {
    /// Event bits: what to watch for (`epoll_ctl`) or what happened
    /// (`epoll_wait`).
    pub events: u32,
    /// Private, so that every `Event` has all eight bytes initialized (see
    /// [`Event::token`]).
    data: Data,
}
// ANCHOR_END: packed_event

impl Event {
    // ANCHOR: event_new
    /// An event whose data is the 64-bit `token`.
    pub const fn new(events: u32, token: u64) -> Event {
        Event {
            events,
            data: Data { u64: token },
        }
    }

    /// An event whose data is the file descriptor `fd` (the other four bytes
    /// are zero).
    pub const fn with_fd(events: u32, fd: c_int) -> Event {
        let mut data = Data { u64: 0 };
        data.fd = fd;
        Event { events, data }
    }
    // ANCHOR_END: event_new

    /// An event whose data is the pointer `ptr`.
    pub const fn with_ptr(events: u32, ptr: *mut c_void) -> Event {
        let mut data = Data { u64: 0 };
        data.ptr = ptr;
        Event { events, data }
    }

    /// An event with no bits and a zero token: the value to fill an
    /// `epoll_wait` buffer with.
    pub const fn zeroed() -> Event {
        Event::new(0, 0)
    }

    // ANCHOR: event_token
    /// The data as a 64-bit token.
    pub const fn token(&self) -> u64 {
        // Copy the union out of the packed struct first: a by-value copy
        // needs no alignment.
        let data = self.data;
        // SAFETY: every constructor above writes all eight bytes of `data`
        // (`with_fd` and `with_ptr` start from zero), and `epoll_wait` makes
        // the kernel write all eight bytes of each event it returns. Any
        // eight initialized bytes are a valid `u64`.
        unsafe { data.u64 }
    }
    // ANCHOR_END: event_token

    /// The data as a file descriptor (its first four bytes), as stored by
    /// [`Event::with_fd`].
    pub const fn fd(&self) -> c_int {
        let data = self.data;
        // SAFETY: as in `token`, all eight bytes are initialized, and any
        // four initialized bytes are a valid `c_int`.
        unsafe { data.fd }
    }

    /// The data as a pointer, as stored by [`Event::with_ptr`]. Reading it is
    /// safe; dereferencing it is the caller's `unsafe` business.
    pub const fn ptr(&self) -> *mut c_void {
        let data = self.data;
        // SAFETY: as in `token`; a pointer made from any initialized bytes is
        // a valid raw pointer value, it just may not be dereferenced.
        unsafe { data.ptr }
    }

    /// The whole union, copied out.
    pub const fn data(&self) -> Data {
        self.data
    }
}

impl Default for Event {
    fn default() -> Event {
        Event::zeroed()
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Copy the packed field out before formatting it: `format!` takes
        // references, and a reference to a packed field is not allowed.
        let events = self.events;
        f.debug_struct("Event")
            .field("events", &format_args!("{}", event_names(events)))
            .field("token", &self.token())
            .finish()
    }
}

// The layout, checked when the crate compiles. `tests/layout.rs` also checks
// it against `libc::epoll_event`.
#[cfg(target_arch = "x86_64")]
const _: () = {
    assert!(size_of::<Event>() == 12);
    assert!(align_of::<Event>() == 1);
    assert!(std::mem::offset_of!(Event, data) == 4);
};
const _: () = assert!(size_of::<Data>() == 8);

/// The offset of the data field, for tests outside this crate (the field
/// itself is private).
pub const DATA_OFFSET: usize = std::mem::offset_of!(Event, data);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::consts::{EPOLLIN, EPOLLOUT};

    #[test]
    fn token_round_trips_all_64_bits() {
        let ev = Event::new(EPOLLIN, 0x0123_4567_89ab_cdef);
        assert_eq!(ev.token(), 0x0123_4567_89ab_cdef);
        assert_eq!({ ev.events }, EPOLLIN);
    }

    #[test]
    fn fd_is_stored_in_the_low_bytes_with_the_rest_zero() {
        let ev = Event::with_fd(EPOLLOUT, 7);
        assert_eq!(ev.fd(), 7);
        // On a little-endian machine the fd's four bytes are the token's low
        // half, and `with_fd` zeroed the high half.
        #[cfg(target_endian = "little")]
        assert_eq!(ev.token(), 7);
    }

    #[test]
    fn pointer_round_trips() {
        let mut value = 5_u8;
        let ptr = (&raw mut value).cast::<c_void>();
        assert_eq!(Event::with_ptr(EPOLLIN, ptr).ptr(), ptr);
    }

    #[test]
    fn debug_names_the_bits() {
        let ev = Event::new(EPOLLIN | EPOLLOUT, 9);
        assert_eq!(
            format!("{ev:?}"),
            "Event { events: EPOLLIN | EPOLLOUT, token: 9 }"
        );
    }
}
