//! Does not compile, on purpose: `tests/packed_refs.rs` checks that rustc
//! rejects it with E0793, as chapter 1 says.

// ANCHOR: packed_ref
#[repr(C, packed)]
pub struct PackedEvent {
    pub events: u32,
    pub data: u64,
}

pub fn data_of(event: &PackedEvent) -> &u64 {
    // error[E0793]: reference to field of packed struct is unaligned
    &event.data
}
// ANCHOR_END: packed_ref
