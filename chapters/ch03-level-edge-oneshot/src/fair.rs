//! A ready list in user space, the answer `man 7 epoll` gives to
//! starvation under edge-triggered notification.
//!
//! An edge-triggered handler must read until `EAGAIN`, and an fd whose
//! peer sends faster than the handler reads never gets there: while its
//! handler runs, every other ready fd waits. The fix is to remember which
//! fds are ready, give each a bounded amount of work per turn, and put the
//! ones that still have data at the back of the queue. The kernel will not
//! remind us about them (they have had their edge), so the queue must.

use crate::drain::Stop;
use std::collections::{HashSet, VecDeque};
use std::ffi::c_int;
use std::io;

// ANCHOR: ready_queue
/// Tokens of fds known to be ready, served round robin.
#[derive(Debug, Default)]
pub struct ReadyQueue {
    order: VecDeque<u64>,
    queued: HashSet<u64>,
}

impl ReadyQueue {
    pub fn new() -> ReadyQueue {
        ReadyQueue::default()
    }

    /// Records that the fd behind `token` is ready. A token already in the
    /// queue keeps its place; returns whether it was added.
    pub fn mark_ready(&mut self, token: u64) -> bool {
        let added = self.queued.insert(token);
        if added {
            self.order.push_back(token);
        }
        added
    }

    /// The timeout for the next `epoll_wait`: 0 while work is queued (pick
    /// up new events, but do not sleep on them), `idle_ms` otherwise.
    pub fn wait_timeout(&self, idle_ms: c_int) -> c_int {
        if self.is_empty() { idle_ms } else { 0 }
    }

    /// One turn: each token queued when the turn starts is served once,
    /// in order. `serve` does a bounded amount of I/O and says why it
    /// stopped; a token whose fd stopped on [`Stop::Budget`] still has data
    /// and goes to the back of the queue, the others leave it (`EAGAIN`:
    /// the next edge brings them back; end of file: they are done).
    /// Returns how many tokens were served. If `serve` fails, the turn
    /// ends there: that token leaves the queue, the rest stay queued.
    pub fn turn(&mut self, mut serve: impl FnMut(u64) -> io::Result<Stop>) -> io::Result<usize> {
        let due = self.order.len();
        for served in 0..due {
            let Some(token) = self.order.pop_front() else {
                return Ok(served);
            };
            match serve(token) {
                Ok(Stop::Budget) => self.order.push_back(token),
                Ok(Stop::WouldBlock | Stop::EndOfFile) => {
                    self.queued.remove(&token);
                }
                Err(err) => {
                    self.queued.remove(&token);
                    return Err(err);
                }
            }
        }
        Ok(due)
    }
}
// ANCHOR_END: ready_queue

impl ReadyQueue {
    /// Takes `token` out of the queue, say because its fd was closed.
    /// Returns whether it was queued.
    pub fn forget(&mut self, token: u64) -> bool {
        let was_queued = self.queued.remove(&token);
        if was_queued {
            self.order.retain(|&queued| queued != token);
        }
        was_queued
    }

    pub fn contains(&self, token: u64) -> bool {
        self.queued.contains(&token)
    }

    /// The queued tokens, front first.
    pub fn tokens(&self) -> impl Iterator<Item = u64> + '_ {
        self.order.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_queued_once_and_keeps_its_place() {
        let mut queue = ReadyQueue::new();
        assert!(queue.mark_ready(3));
        assert!(queue.mark_ready(1));
        assert!(
            !queue.mark_ready(3),
            "a second event for a queued fd is ignored"
        );
        assert_eq!(queue.tokens().collect::<Vec<_>>(), [3, 1]);
        assert_eq!(queue.len(), 2);
    }

    #[test]
    fn fds_that_spent_their_budget_go_to_the_back() {
        let mut queue = ReadyQueue::new();
        for token in [1, 2, 3] {
            queue.mark_ready(token);
        }
        let mut seen = Vec::new();
        let served = queue
            .turn(|token| {
                seen.push(token);
                Ok(match token {
                    1 => Stop::Budget,
                    2 => Stop::WouldBlock,
                    _ => Stop::EndOfFile,
                })
            })
            .unwrap();
        assert_eq!((served, seen), (3, vec![1, 2, 3]));
        assert_eq!(queue.tokens().collect::<Vec<_>>(), [1]);
        assert!(!queue.contains(2) && !queue.contains(3));
        // 2 hit EAGAIN, so its next event queues it again.
        assert!(queue.mark_ready(2));
        assert_eq!(queue.tokens().collect::<Vec<_>>(), [1, 2]);
    }

    #[test]
    fn a_turn_serves_each_token_at_most_once() {
        let mut queue = ReadyQueue::new();
        queue.mark_ready(7);
        let mut calls = 0;
        queue
            .turn(|_| {
                calls += 1;
                Ok(Stop::Budget)
            })
            .unwrap();
        assert_eq!(calls, 1, "re-queued, but for the next turn");
        assert!(queue.contains(7));
    }

    #[test]
    fn the_timeout_is_zero_while_work_is_queued() {
        let mut queue = ReadyQueue::new();
        assert_eq!(queue.wait_timeout(-1), -1);
        queue.mark_ready(1);
        assert_eq!(queue.wait_timeout(-1), 0);
        assert!(queue.forget(1));
        assert!(!queue.forget(1));
        assert_eq!(queue.wait_timeout(250), 250);
        assert_eq!(queue.turn(|_| unreachable!()).unwrap(), 0);
    }

    #[test]
    fn an_error_ends_the_turn_and_drops_only_that_token() {
        let mut queue = ReadyQueue::new();
        for token in [1, 2, 3] {
            queue.mark_ready(token);
        }
        let err = queue
            .turn(|token| {
                if token == 2 {
                    Err(io::Error::other("broken"))
                } else {
                    Ok(Stop::Budget)
                }
            })
            .unwrap_err();
        assert_eq!(err.to_string(), "broken");
        assert_eq!(queue.tokens().collect::<Vec<_>>(), [3, 1]);
    }
}
