//! The channel source: order, many threads, one wake-up for many sends,
//! closing from either end, no wake-up lost however threads interleave,
//! and nothing stranded by a callback that panics.

mod common;

use ch08_generic_sources::EventLoop;
use ch10_sources_on_generic::{Channel, Event, Sender, channel};
use common::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::SendError;
use std::thread;
use std::time::{Duration, Instant};

/// What a loop received, in order.
type Received<T> = Vec<Event<T>>;

fn record<T>(event: Event<T>, _: &mut (), received: &mut Received<T>) {
    received.push(event);
}

fn closed<T>(received: &Received<T>) -> bool {
    matches!(received.last(), Some(Event::Closed))
}

#[test]
fn messages_arrive_in_order_and_closed_comes_once_last() {
    let mut event_loop: EventLoop<'_, Received<u32>> = EventLoop::new().unwrap();
    let (sender, channel) = channel().unwrap();
    event_loop.handle().insert_source(channel, record).unwrap();
    let mut received = Vec::new();

    for i in 0..3 {
        sender.send(i).unwrap();
    }
    event_loop.dispatch(NOW, &mut received).unwrap();
    assert_eq!(received, [Event::Msg(0), Event::Msg(1), Event::Msg(2)]);

    sender.send(3).unwrap();
    drop(sender); // the last one
    event_loop.dispatch(NOW, &mut received).unwrap();
    assert_eq!(received[3..], [Event::Msg(3), Event::Closed]);
    assert!(event_loop.handle().is_empty(), "a closed channel leaves");

    event_loop.dispatch(NOW, &mut received).unwrap();
    assert_eq!(received.len(), 5, "Closed once");
}

#[test]
fn the_channel_stays_open_while_any_clone_lives() {
    let mut event_loop: EventLoop<'_, Received<&str>> = EventLoop::new().unwrap();
    let (sender, channel) = channel().unwrap();
    event_loop.handle().insert_source(channel, record).unwrap();
    let clone = sender.clone();
    drop(sender);
    let mut received = Vec::new();
    event_loop.dispatch(NOW, &mut received).unwrap();
    assert!(received.is_empty(), "no wake-up: a sender is left");
    clone.send("still open").unwrap();
    drop(clone);
    event_loop.dispatch(NOW, &mut received).unwrap();
    assert_eq!(received, [Event::Msg("still open"), Event::Closed]);
}

#[test]
fn many_threads_send_and_each_threads_messages_stay_in_order() {
    const THREADS: usize = 4;
    const EACH: usize = 250;
    let mut event_loop: EventLoop<'_, Received<(usize, usize)>> = EventLoop::new().unwrap();
    let (sender, channel) = channel().unwrap();
    event_loop.handle().insert_source(channel, record).unwrap();
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let sender: Sender<(usize, usize)> = sender.clone();
            thread::spawn(move || {
                for i in 0..EACH {
                    sender.send((t, i)).unwrap();
                }
            })
        })
        .collect();
    drop(sender); // the workers hold the only senders now
    let mut received = Vec::new();
    dispatch_until(&mut event_loop, &mut received, closed);
    for worker in workers {
        worker.join().unwrap();
    }

    assert_eq!(received.len(), THREADS * EACH + 1);
    let mut next = [0; THREADS];
    for event in &received[..THREADS * EACH] {
        let Event::Msg((t, i)) = *event else {
            panic!("Closed before the last message")
        };
        assert_eq!(i, next[t], "thread {t}'s messages out of order");
        next[t] += 1;
    }
}

#[test]
fn many_sends_make_one_wakeup_and_one_dispatch_delivers_them_all() {
    let mut event_loop: EventLoop<'_, Received<u32>> = EventLoop::new().unwrap();
    let (sender, channel) = channel().unwrap();
    for i in 0..1000 {
        sender.send(i).unwrap();
    }
    assert_eq!(channel.queued(), 1000);
    assert_eq!(
        channel.wakeup_count().unwrap(),
        1,
        "only the first send wrote"
    );
    event_loop.handle().insert_source(channel, record).unwrap();

    let mut received = Vec::new();
    event_loop.dispatch(NOW, &mut received).unwrap();
    let expected: Vec<Event<u32>> = (0..1000).map(Event::Msg).collect();
    assert_eq!(received, expected);
    event_loop.dispatch(NOW, &mut received).unwrap();
    assert_eq!(received.len(), 1000, "nothing more: the eventfd was reset");
}

#[test]
fn sending_after_the_channel_is_gone_gives_the_message_back() {
    let (sender, receiver) = channel::<String>().unwrap();
    drop(receiver);
    let SendError(back) = sender.send("hello".to_owned()).unwrap_err();
    assert_eq!(back, "hello");

    // The same when the loop removed it.
    let event_loop: EventLoop<'_, Received<String>> = EventLoop::new().unwrap();
    let (sender, receiver) = channel::<String>().unwrap();
    let token = event_loop.handle().insert_source(receiver, record).unwrap();
    event_loop.handle().remove(token).unwrap();
    assert_eq!(
        sender.send("late".to_owned()),
        Err(SendError("late".to_owned()))
    );
}

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn unread_messages_are_dropped_with_the_channel_not_with_the_last_sender() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (sender, channel) = channel().unwrap();
    for _ in 0..3 {
        sender.send(Counted(Arc::clone(&drops))).unwrap();
    }
    drop(channel);
    assert_eq!(drops.load(Ordering::SeqCst), 3);
    let Err(SendError(refused)) = sender.send(Counted(Arc::clone(&drops))) else {
        panic!("a send to a dropped channel succeeded")
    };
    drop(refused);
    assert_eq!(drops.load(Ordering::SeqCst), 4);
}

#[test]
fn a_callback_may_send_to_its_own_channel() {
    let mut event_loop: EventLoop<'_, Received<u32>> = EventLoop::new().unwrap();
    let (sender, channel) = channel().unwrap();
    let echo = sender.clone();
    event_loop
        .handle()
        .insert_source(channel, move |event, _, received: &mut Received<u32>| {
            if let Event::Msg(n) = event {
                if n < 3 {
                    // The queue is not locked while callbacks run.
                    echo.send(n + 10).unwrap();
                }
            }
            received.push(event);
        })
        .unwrap();
    sender.send(1).unwrap();
    sender.send(2).unwrap();
    let mut received = Vec::new();
    event_loop.dispatch(NOW, &mut received).unwrap();
    assert_eq!(received, [Event::Msg(1), Event::Msg(2)]);
    event_loop.dispatch(NOW, &mut received).unwrap();
    assert_eq!(received[2..], [Event::Msg(11), Event::Msg(12)]);
}

#[test]
fn a_channel_closed_while_out_of_the_loop_reports_it_when_back() {
    let mut event_loop: EventLoop<'_, Received<u8>> = EventLoop::new().unwrap();
    let handle = event_loop.handle();
    let (sender, channel) = channel().unwrap();
    let token = handle.insert_source(channel, record).unwrap();
    let channel: Channel<u8> = handle.take(token).unwrap();
    sender.send(7).unwrap();
    drop(sender);
    assert_eq!(channel.queued(), 1);
    handle.insert_source(channel, record).unwrap();
    let mut received = Vec::new();
    event_loop.dispatch(NOW, &mut received).unwrap();
    assert_eq!(received, [Event::Msg(7), Event::Closed]);
}

/// No message is left in the queue without a wake-up, however the senders'
/// pushes and writes interleave with the loop's read of the eventfd and its
/// take of the queue. Each thread sends one message, then waits until the
/// loop has received it before sending the next, and keeps its `Sender`
/// meanwhile: nothing but that send's own wake-up can make the loop look.
/// A lost wake-up stalls every thread (their sends find the queue not
/// empty and write nothing); each gives up after `PATIENCE` and says so,
/// and dropping their senders wakes the loop for `Closed`.
#[test]
fn no_message_is_stranded_however_sends_and_the_loop_interleave() {
    const THREADS: usize = 3;
    const ROUNDS: usize = 10_000;
    let (sender, channel) = channel::<(usize, usize)>().unwrap();
    let mut acks = Vec::new();
    let mut workers = Vec::new();
    for t in 0..THREADS {
        let (ack, acked) = std::sync::mpsc::channel::<usize>();
        acks.push(ack);
        let sender = sender.clone();
        workers.push(thread::spawn(move || -> Result<(), String> {
            for i in 0..ROUNDS {
                sender.send((t, i)).map_err(|_| "the channel is gone")?;
                match acked.recv_timeout(PATIENCE) {
                    Ok(got) if got == i => {}
                    Ok(got) => return Err(format!("thread {t}: sent {i}, the loop got {got}")),
                    Err(_) => return Err(format!("thread {t}: message {i} never arrived")),
                }
            }
            Ok(())
        }));
    }
    drop(sender); // the workers hold the only senders now

    let mut event_loop: EventLoop<'_, Received<(usize, usize)>> = EventLoop::new().unwrap();
    event_loop
        .handle()
        .insert_source(channel, move |event, _, received: &mut Received<_>| {
            if let Event::Msg((t, i)) = event {
                let _ = acks[t].send(i); // the worker may have given up
            }
            received.push(event);
        })
        .unwrap();
    let mut received = Vec::new();
    // Only a bound against hanging: Closed comes once every worker has
    // finished or given up, which each does within `PATIENCE` of a stall.
    let give_up = Instant::now() + 12 * PATIENCE;
    while !closed(&received) {
        assert!(Instant::now() < give_up, "the workers never finished");
        event_loop
            .dispatch(Some(Duration::from_millis(100)), &mut received)
            .unwrap();
    }
    for worker in workers {
        worker.join().unwrap().unwrap();
    }
    assert_eq!(received.len(), THREADS * ROUNDS + 1);
}

#[test]
fn a_callback_that_panics_leaves_the_rest_of_the_batch_to_the_next_dispatch() {
    let mut event_loop: EventLoop<'_, Received<u32>> = EventLoop::new().unwrap();
    let (sender, channel) = channel().unwrap();
    event_loop
        .handle()
        .insert_source(channel, |event, _, received: &mut Received<u32>| {
            if event == Event::Msg(2) {
                panic!("this callback panics on message 2");
            }
            received.push(event);
        })
        .unwrap();
    for i in 1..=3 {
        sender.send(i).unwrap();
    }
    drop(sender); // no send will ever wake the loop again
    let mut received = Vec::new();
    let caught = catch_unwind(AssertUnwindSafe(|| event_loop.dispatch(NOW, &mut received)));
    assert!(caught.is_err(), "the callback panicked");
    assert_eq!(received, [Event::Msg(1)]);
    // The eventfd was reset before the batch was taken: only the wake-up
    // written for the undelivered rest makes the loop look again.
    event_loop.dispatch(NOW, &mut received).unwrap();
    assert_eq!(received, [Event::Msg(1), Event::Msg(3), Event::Closed]);
    assert!(event_loop.handle().is_empty());
}
