//! The channel source: a hundred sends make one wake-up; three threads
//! send through clones of one sender and the loop receives everything in
//! order, then `Closed` once; a send after the receiver is gone comes back.
//!
//! Run it with `cargo run -p ch10-sources-on-generic --example channel_source`.

use ch08_generic_sources::EventLoop;
use ch10_sources_on_generic::{Event, channel};
use std::io::{self, ErrorKind};
use std::sync::mpsc::SendError;
use std::thread;
use std::time::{Duration, Instant};

const WORKERS: usize = 3;
const EACH: usize = 5;

#[derive(Default)]
struct Received {
    /// The hundred numbers, in the order they came.
    numbers: Vec<u32>,
    /// (worker, message number) from the workers' channel.
    from_workers: Vec<(usize, usize)>,
    /// How many `Closed` events, and whether each came after all messages.
    closed: usize,
    closed_last: bool,
}

pub fn main() -> io::Result<()> {
    let mut event_loop: EventLoop<'_, Received> = EventLoop::new()?;
    let handle = event_loop.handle();
    let mut received = Received::default();

    // ANCHOR: coalesce
    let (sender, numbers) = channel::<u32>()?;
    for n in 0..100 {
        sender
            .send(n)
            .map_err(|_| io::Error::other("the channel is gone"))?;
    }
    println!(
        "100 sends before the loop looked: {} queued, eventfd counter {}",
        numbers.queued(),
        numbers.wakeup_count()?
    );
    handle.insert_source(numbers, |event, _, received: &mut Received| {
        if let Event::Msg(n) = event {
            received.numbers.push(n);
        }
    })?;
    event_loop.dispatch(Some(Duration::ZERO), &mut received)?;
    let in_order = received.numbers.iter().copied().eq(0..100);
    println!(
        "one dispatch delivered {} messages, in order: {in_order}",
        received.numbers.len()
    );
    drop(sender);
    event_loop.dispatch(Some(Duration::ZERO), &mut received)?; // its Closed
    // ANCHOR_END: coalesce

    // ANCHOR: workers
    let (sender, from_workers) = channel::<(usize, usize)>()?;
    handle.insert_source(
        from_workers,
        |event, _, received: &mut Received| match event {
            Event::Msg(message) => received.from_workers.push(message),
            Event::Closed => {
                received.closed += 1;
                received.closed_last = received.from_workers.len() == WORKERS * EACH;
            }
        },
    )?;
    let workers: Vec<_> = (0..WORKERS)
        .map(|worker| {
            let sender = sender.clone();
            thread::spawn(move || {
                for i in 0..EACH {
                    if sender.send((worker, i)).is_err() {
                        break; // the loop is gone: nobody to tell
                    }
                }
                // `sender` is dropped here: one fewer.
            })
        })
        .collect();
    drop(sender); // the workers hold the only senders now

    let give_up = Instant::now() + Duration::from_secs(5);
    while received.closed == 0 {
        if Instant::now() > give_up {
            return Err(io::Error::new(
                ErrorKind::TimedOut,
                "the channel never closed",
            ));
        }
        event_loop.dispatch(Some(Duration::from_millis(100)), &mut received)?;
    }
    for worker in workers {
        worker.join().expect("a worker panicked");
    }
    // ANCHOR_END: workers

    // ANCHOR: report
    for worker in 0..WORKERS {
        let numbers: Vec<usize> = received
            .from_workers
            .iter()
            .filter(|(w, _)| *w == worker)
            .map(|(_, i)| *i)
            .collect();
        println!("worker {worker}: {numbers:?}");
    }
    println!(
        "Closed delivered {} time(s), after every message: {}",
        received.closed, received.closed_last
    );
    println!(
        "sources left in the loop: {} (a closed channel removes itself)",
        handle.len()
    );
    // ANCHOR_END: report

    // ANCHOR: send_after_drop
    let (sender, receiver) = channel::<String>()?;
    drop(receiver);
    match sender.send("too late".to_owned()) {
        Err(SendError(message)) => {
            println!("send after the channel was dropped: {message:?} came back")
        }
        Ok(()) => println!("send after the channel was dropped: accepted"),
    }
    // ANCHOR_END: send_after_drop
    Ok(())
}
