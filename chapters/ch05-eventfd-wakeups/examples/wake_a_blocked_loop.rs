//! A loop thread waits in `epoll_wait` with no timeout; the main thread
//! hands it messages through a queue and wakes it with a `Waker`. Before
//! each message the main thread makes sure the loop is really blocked in
//! `epoll_wait` (from `/proc`), so every wake wakes a sleeping thread.
//!
//! Run it with `cargo run -p ch05-eventfd-wakeups --example wake_a_blocked_loop`.

use ch04_libc_and_a_safe_wrapper::{Epoll, Events};
use ch05_eventfd_wakeups::{Tid, Waker};
use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread;
use std::time::Duration;

const WAKER: u64 = 0;
/// How long the loop may take to fall asleep again.
const PATIENCE: Duration = Duration::from_secs(5);

type Queue = Arc<Mutex<VecDeque<String>>>;

// ANCHOR: event_loop
/// The loop: wait with no timeout; on the waker's token, drain first, then
/// take every message. Returns after the message "stop".
fn event_loop(
    epoll: Epoll,
    waker: Waker,
    queue: Queue,
    tid_tx: mpsc::Sender<Tid>,
) -> io::Result<()> {
    tid_tx.send(Tid::current()).map_err(io::Error::other)?;
    let mut events = Events::with_capacity(8);
    loop {
        epoll.wait(&mut events, None)?;
        for event in events.iter() {
            if event.token() != WAKER {
                continue;
            }
            let wakes = waker.drain()?;
            let messages: Vec<String> = queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .drain(..)
                .collect();
            println!("  loop: woken, drained {wakes}, messages {messages:?}");
            if messages.iter().any(|message| message == "stop") {
                return Ok(());
            }
        }
    }
}
// ANCHOR_END: event_loop

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let waker = Waker::new(&epoll, WAKER)?;
    let queue = Queue::default();
    let (tid_tx, tid_rx) = mpsc::channel();

    let looper = {
        let (waker, queue) = (waker.clone(), Arc::clone(&queue));
        thread::spawn(move || event_loop(epoll, waker, queue, tid_tx))
    };
    let tid = tid_rx.recv().map_err(io::Error::other)?;

    for message in ["hello", "world", "stop"] {
        tid.wait_until_blocked_in("epoll", PATIENCE)?;
        println!("main: the loop is blocked in epoll_wait; sending {message:?}");
        // Publish first, then wake: the loop looks at the queue only after
        // it has been woken.
        queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(message.to_owned());
        waker.wake()?;
    }
    match looper.join() {
        Ok(result) => result?,
        Err(_) => return Err(io::Error::other("the loop thread panicked")),
    }
    println!("main: the loop thread has returned and is joined");
    Ok(())
}
// ANCHOR_END: main
