//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. The binary counts allocations (per thread) for the
//! third exercise.

mod common;

use ch01_raw_syscalls::error::{errno, failed_call};
use ch04_libc_and_a_safe_wrapper::{Epoll, Events};
use ch05_eventfd_wakeups::Tid;
use ch06_everything_is_an_fd::TimerFd;
use ch07_a_reactor::io::read_some;
use ch08_generic_sources::solutions::{
    LazySignal, Switched, Timer, read_quietly, switch_behind_the_loop,
};
use ch08_generic_sources::{EventLoop, Generic, Interest, Mode, PostAction};
use common::{pipe, put};
use std::os::fd::AsFd;
use std::thread;
use std::time::Duration;
use testkit::alloc::CountingAllocator;
use testkit::assert_no_fd_leaks;

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator::new();

const PATIENCE: Option<Duration> = Some(Duration::from_secs(10));

#[test]
fn exercise_1_a_value_that_switches_its_fd_strands_the_entry() {
    assert_no_fd_leaks(|| {
        assert_eq!(
            switch_behind_the_loop().unwrap(),
            Switched {
                first_listed: true,
                second_listed: false,
                remove_errno: Some(libc::ENOENT),
                first_listed_with_duplicate: true,
                first_listed_at_the_end: false,
            }
        );
    });
}

#[test]
fn exercise_2_a_one_shot_timer_fires_once_and_leaves_the_loop() {
    assert_no_fd_leaks(|| {
        let mut event_loop: EventLoop<'_, Vec<u64>> = EventLoop::new().unwrap();
        let timer = Timer::new(TimerFd::new().unwrap());
        timer.timer().set_after(Duration::from_millis(1)).unwrap();
        let token = event_loop
            .handle()
            .insert_source(timer, |expirations, _, seen: &mut Vec<u64>| {
                seen.push(expirations)
            })
            .unwrap();

        let mut seen = Vec::new();
        event_loop.dispatch(PATIENCE, &mut seen).unwrap();
        assert_eq!(seen, [1]);
        assert!(!event_loop.handle().contains(token), "removed once fired");
        assert!(event_loop.handle().is_empty());
    });
}

#[test]
fn exercise_2_a_periodic_timer_counts_and_stays() {
    assert_no_fd_leaks(|| {
        let mut event_loop: EventLoop<'_, Vec<u64>> = EventLoop::new().unwrap();
        let timer = Timer::new(TimerFd::new().unwrap());
        timer
            .timer()
            .set_interval(Duration::from_millis(1))
            .unwrap();
        let token = event_loop
            .handle()
            .insert_source(timer, |expirations, _, seen: &mut Vec<u64>| {
                seen.push(expirations)
            })
            .unwrap();

        let mut seen = Vec::new();
        for _ in 0..3 {
            event_loop.dispatch(PATIENCE, &mut seen).unwrap();
        }
        // One call per event, each with at least one expiration (a count
        // of 0 is never passed on), and the source still in the loop.
        assert_eq!(seen.len(), 3);
        assert!(seen.iter().all(|&n| n >= 1), "{seen:?}");
        assert!(
            event_loop.handle().contains(token),
            "a periodic timer stays"
        );
    });
}

#[test]
fn exercise_3_reading_to_would_block_allocates_only_with_read_some() {
    assert_no_fd_leaks(|| {
        let (reader, writer) = pipe();
        let mut buf = [0; 64];
        // `read_some` meeting EAGAIN allocates (which also shows that the
        // allocator counts at all).
        let (result, allocations) = ALLOCATOR.count(|| read_some(reader.as_fd(), &mut buf));
        assert_eq!(result.unwrap(), None);
        assert!(allocations > 0, "read_some built an error for EAGAIN");

        let (result, allocations) = ALLOCATOR.count(|| read_quietly(reader.as_fd(), &mut buf));
        assert_eq!((result.unwrap(), allocations), (None, 0));

        // Data and end of file come back as before.
        put(&writer, b"abc");
        assert_eq!(read_quietly(reader.as_fd(), &mut buf).unwrap(), Some(3));
        assert_eq!(&buf[..3], b"abc");
        drop(writer);
        assert_eq!(read_quietly(reader.as_fd(), &mut buf).unwrap(), Some(0));

        // A real failure (reading a write end) names the call, keeps errno.
        let (_reader, writer) = pipe();
        let err = read_quietly(writer.as_fd(), &mut buf).unwrap_err();
        assert_eq!(errno(&err), Some(libc::EBADF));
        assert_eq!(failed_call(&err), Some("read"));
    });
}

#[test]
fn exercise_3_an_edge_triggered_callback_that_drains_allocates_nothing() {
    assert_no_fd_leaks(|| {
        let mut event_loop: EventLoop<'_, usize> = EventLoop::new().unwrap();
        let (reader, writer) = pipe();
        let source = Generic::new(reader, Interest::READABLE, Mode::Edge);
        event_loop
            .handle()
            .insert_source(source, |_, pipe, bytes: &mut usize| {
                let mut buf = [0; 64];
                while let Some(n) = read_quietly(pipe.as_fd(), &mut buf)? {
                    if n == 0 {
                        break;
                    }
                    *bytes += n;
                }
                Ok(PostAction::Continue)
            })
            .unwrap();

        let mut bytes = 0;
        let ((), allocations) = ALLOCATOR.count(|| {
            for _ in 0..50 {
                put(&writer, b"xy");
                event_loop.dispatch(PATIENCE, &mut bytes).unwrap();
            }
        });
        assert_eq!((bytes, allocations), (100, 0));
    });
}

#[test]
fn exercise_4_a_stop_on_the_loops_thread_writes_nothing() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let signal = LazySignal::new(&epoll, 99).unwrap();
        signal.stop();
        assert_eq!(signal.waker().eventfd().peek().unwrap(), 0, "no write");

        // And the wait that follows does not sleep: it sees the stop.
        let mut events = Events::with_capacity(4);
        assert_eq!(signal.wait(&epoll, &mut events, None).unwrap(), 0);
        assert!(signal.take_stop());
        assert!(!signal.take_stop(), "one stop, taken once");
    });
}

#[test]
fn exercise_4_a_stop_from_another_thread_wakes_a_sleeping_loop() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let signal = LazySignal::new(&epoll, 99).unwrap();
        let loop_thread = Tid::current();
        let stopper = {
            let signal = signal.clone();
            thread::spawn(move || {
                // Stop only once the loop is asleep in epoll_wait.
                loop_thread
                    .wait_until_blocked_in("epoll", Duration::from_secs(10))
                    .unwrap();
                signal.stop();
            })
        };
        let mut events = Events::with_capacity(4);
        // The timeout only bounds a hang: a lost wake returns 0 events.
        let n = signal.wait(&epoll, &mut events, PATIENCE).unwrap();
        stopper.join().unwrap();
        assert_eq!(n, 1, "woken by the stop");
        assert_eq!(events.iter().next().unwrap().token(), 99);
        assert!(signal.take_stop());
        assert_eq!(signal.waker().drain().unwrap(), 1);
    });
}
