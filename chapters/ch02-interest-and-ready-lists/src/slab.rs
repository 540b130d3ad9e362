//! A table whose indices stay put while other entries come and go, so an
//! index can be a token.
//!
//! A `Vec` is enough while entries are only ever added. A server's
//! connections also leave, and removing from the middle of a `Vec` shifts
//! every later element to a new index, while the kernel keeps reporting the
//! old indices as tokens. A slab leaves a hole instead and fills it later.

// ANCHOR: slab
/// Values stored under small integer keys. A key stays valid until its
/// value is removed; then it is free, and a later `insert` may reuse it.
#[derive(Debug)]
pub struct Slab<T> {
    slots: Vec<Option<T>>,
    /// Keys of empty slots, the most recently freed last.
    free: Vec<usize>,
}

impl<T> Slab<T> {
    pub const fn new() -> Slab<T> {
        Slab {
            slots: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Stores `value` and returns its key: a freed one if there is one.
    pub fn insert(&mut self, value: T) -> usize {
        match self.free.pop() {
            Some(key) => {
                self.slots[key] = Some(value);
                key
            }
            None => {
                self.slots.push(Some(value));
                self.slots.len() - 1
            }
        }
    }

    /// Removes the value under `key` and returns it; `None` if the slot is
    /// empty, which is what a stale token finds.
    pub fn remove(&mut self, key: usize) -> Option<T> {
        let value = self.slots.get_mut(key)?.take()?;
        self.free.push(key);
        Some(value)
    }

    pub fn get(&self, key: usize) -> Option<&T> {
        self.slots.get(key)?.as_ref()
    }

    pub fn get_mut(&mut self, key: usize) -> Option<&mut T> {
        self.slots.get_mut(key)?.as_mut()
    }

    /// How many values the slab holds.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
// ANCHOR_END: slab

impl<T> Default for Slab<T> {
    fn default() -> Slab<T> {
        Slab::new()
    }
}

// ANCHOR: token_conversions
/// The token that stands for slab key `key`.
pub fn token_of(key: usize) -> u64 {
    u64::try_from(key).expect("a usize fits in a u64 on every Linux target")
}

/// The slab key a token stands for; `None` if it cannot be one.
pub fn key_of(token: u64) -> Option<usize> {
    usize::try_from(token).ok()
}
// ANCHOR_END: token_conversions

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_put_and_freed_keys_are_reused() {
        let mut slab = Slab::new();
        let a = slab.insert("a");
        let b = slab.insert("b");
        let c = slab.insert("c");
        assert_eq!((a, b, c), (0, 1, 2));
        assert_eq!(slab.remove(b), Some("b"));
        assert_eq!(slab.get(c), Some(&"c"), "removing b must not move c");
        assert_eq!(slab.len(), 2);
        assert_eq!(slab.insert("d"), b, "the hole is filled first");
        assert_eq!(slab.insert("e"), 3);
    }

    #[test]
    fn an_empty_or_missing_slot_is_none() {
        let mut slab = Slab::new();
        let key = slab.insert(1);
        assert_eq!(slab.remove(key), Some(1));
        assert_eq!(slab.remove(key), None, "a key can be removed once");
        assert_eq!(slab.get_mut(key), None);
        assert_eq!(slab.get(99), None);
        assert!(slab.is_empty());
    }

    #[test]
    fn tokens_and_keys_convert_both_ways() {
        assert_eq!(token_of(7), 7);
        assert_eq!(key_of(7), Some(7));
        #[cfg(target_pointer_width = "32")]
        assert_eq!(key_of(u64::MAX), None);
    }
}
