//! `Event` and `Data` have exactly the layout of the kernel's
//! `struct epoll_event` and `union epoll_data`, as the `libc` crate
//! declares them for this target.

use ch01_raw_syscalls::event::DATA_OFFSET;
use ch01_raw_syscalls::{Data, Event};
use std::mem::{align_of, offset_of, size_of};

#[test]
fn event_size_and_offsets_match_libc() {
    assert_eq!(size_of::<Event>(), size_of::<libc::epoll_event>());
    assert_eq!(
        offset_of!(Event, events),
        offset_of!(libc::epoll_event, events)
    );
    // libc declares the union as a single `u64` field named `u64`.
    assert_eq!(DATA_OFFSET, offset_of!(libc::epoll_event, u64));
}

// On 32-bit x86 with glibc the libc crate packs the struct although the
// kernel does not; the size and offsets agree (a u64 is 4-byte aligned
// there), only the alignment differs. Everywhere else it must agree too.
#[cfg(not(target_arch = "x86"))]
#[test]
fn event_alignment_matches_libc() {
    assert_eq!(align_of::<Event>(), align_of::<libc::epoll_event>());
}

#[cfg(target_arch = "x86_64")]
#[test]
fn on_x86_64_the_event_is_packed_to_12_bytes() {
    assert_eq!(size_of::<Event>(), 12);
    assert_eq!(align_of::<Event>(), 1);
    assert_eq!(DATA_OFFSET, 4);
}

#[cfg(all(target_pointer_width = "64", not(target_arch = "x86_64")))]
#[test]
fn elsewhere_on_64_bit_the_event_has_natural_layout() {
    assert_eq!(size_of::<Event>(), 16);
    assert_eq!(DATA_OFFSET, 8);
}

#[test]
fn data_is_eight_bytes_with_every_field_at_offset_zero() {
    assert_eq!(size_of::<Data>(), 8);
    assert_eq!(offset_of!(Data, ptr), 0);
    assert_eq!(offset_of!(Data, fd), 0);
    assert_eq!(offset_of!(Data, u32), 0);
    assert_eq!(offset_of!(Data, u64), 0);
}
