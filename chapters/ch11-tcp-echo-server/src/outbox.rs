//! `Outbox`: the bytes a connection owes its peer and could not send yet.
//!
//! Most of the time it is empty and holds no memory: the server writes
//! what it reads straight from the shared read buffer, and the kernel takes
//! all of it. Only when the kernel's send buffer is full does the rest land
//! here. The buffer is allocated then, once, with room for everything the
//! connection may ever have pending (the backpressure bound plus one read),
//! so it never grows; and it is freed as soon as it drains, so a server
//! with thousands of quiet connections holds no output buffers at all.

// ANCHOR: outbox
/// Pending output: `buf[sent..]` is what is still owed.
#[derive(Debug)]
pub struct Outbox {
    buf: Vec<u8>,
    /// How much of `buf` has been written already.
    sent: usize,
    /// The capacity to allocate when the first byte comes.
    capacity: usize,
}

impl Outbox {
    /// An empty outbox that will allocate `capacity` bytes when it first
    /// needs to hold something.
    pub const fn new(capacity: usize) -> Outbox {
        Outbox {
            buf: Vec::new(),
            sent: 0,
            capacity,
        }
    }

    /// Bytes pending.
    pub fn len(&self) -> usize {
        self.buf.len() - self.sent
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The memory it holds now: 0 while empty.
    pub fn allocated(&self) -> usize {
        self.buf.capacity()
    }

    /// The pending bytes, oldest first: what to write next.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.sent..]
    }

    /// Queues `bytes` after what is pending. If they do not fit after the
    /// end, the pending bytes move to the front first; the buffer grows
    /// only if they do not fit at all (more than `capacity` pending).
    pub fn push(&mut self, bytes: &[u8]) {
        if self.buf.capacity() == 0 {
            self.buf.reserve_exact(self.capacity.max(bytes.len()));
        }
        if self.buf.len() + bytes.len() > self.buf.capacity() && self.sent > 0 {
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Marks `n` pending bytes as written. When nothing is left, the
    /// memory is given back.
    pub fn consume(&mut self, n: usize) {
        self.sent += n;
        debug_assert!(self.sent <= self.buf.len());
        if self.sent >= self.buf.len() {
            self.buf = Vec::new();
            self.sent = 0;
        }
    }
}
// ANCHOR_END: outbox

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_allocates_once_moves_bytes_to_the_front_and_frees_when_drained() {
        let mut outbox = Outbox::new(8);
        assert_eq!(outbox.allocated(), 0);
        outbox.push(b"abcdef");
        assert_eq!(outbox.allocated(), 8);
        outbox.consume(4);
        assert_eq!(outbox.pending(), b"ef");
        outbox.push(b"ghij"); // 6 + 4 > 8: "ef" moves to the front first
        assert_eq!(outbox.pending(), b"efghij");
        assert_eq!(outbox.allocated(), 8, "no reallocation");
        outbox.consume(6);
        assert!(outbox.is_empty());
        assert_eq!(outbox.allocated(), 0);
    }

    #[test]
    fn more_than_the_capacity_still_fits() {
        let mut outbox = Outbox::new(4);
        outbox.push(b"0123456789");
        assert_eq!(outbox.len(), 10);
        outbox.push(b"ab");
        assert_eq!(outbox.pending(), b"0123456789ab");
    }
}
