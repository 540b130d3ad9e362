//! The four sources in one loop: a periodic timer whose callback sends a
//! signal to its own thread, a channel fed by a worker thread, the signal
//! source, and a UDP echo server with a client thread. The loop stops
//! itself once each has done its part.
//!
//! Run it with `cargo run -p ch10-sources-on-generic --example all_sources`.

use ch06_everything_is_an_fd::{SignalSet, signal_name, signal_this_thread};
use ch08_generic_sources::{EventLoop, PostAction};
use ch10_sources_on_generic::{
    Event, SignalInfo, Signals, Timer, TimerAction, UdpSource, channel, code_name,
};
use std::io::{self, ErrorKind};
use std::net::UdpSocket;
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: data
/// What the callbacks write down; the loop lends it to each in turn.
#[derive(Default)]
struct Everything {
    ticks: u64,
    signal_sent: bool,
    messages: Vec<String>,
    channel_closed: bool,
    signals: Vec<SignalInfo>,
    echoed: usize,
}

impl Everything {
    fn done(&self) -> bool {
        self.ticks >= 3 && self.channel_closed && self.signals.len() == 1 && self.echoed == 3
    }
}
// ANCHOR_END: data

/// The UDP client: three datagrams out, three answers back.
fn udp_client(server: std::net::SocketAddr) -> io::Result<Vec<String>> {
    let socket = UdpSocket::bind("127.0.0.1:0")?;
    socket.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut answers = Vec::new();
    let mut buf = [0; 64];
    for i in 1..=3 {
        socket.send_to(format!("ping {i}").as_bytes(), server)?;
        let (n, _) = socket.recv_from(&mut buf)?;
        answers.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    Ok(answers)
}

pub fn main() -> io::Result<()> {
    // ANCHOR: sources
    // First, before any thread starts: the threads inherit the mask.
    let signals = Signals::new(&[libc::SIGUSR1])?;

    let mut event_loop: EventLoop<'_, Everything> = EventLoop::new()?;
    let handle = event_loop.handle();
    handle.insert_source(signals, |info, _, all: &mut Everything| {
        all.signals.push(info);
    })?;

    let (sender, jobs) = channel::<String>()?;
    let jobs = handle.insert_source(jobs, |event, _, all: &mut Everything| match event {
        Event::Msg(job) => all.messages.push(job),
        Event::Closed => all.channel_closed = true,
    })?;

    let udp = UdpSource::bind("127.0.0.1:0")?;
    let server = udp.socket().local_addr()?;
    handle.insert_source(udp, |datagram, socket, all: &mut Everything| {
        socket.send_to(&datagram.bytes, datagram.peer)?;
        all.echoed += 1;
        Ok(PostAction::Continue)
    })?;

    let period = Duration::from_millis(10);
    let timer = handle.insert_source(Timer::every(period)?, |tick, _, all: &mut Everything| {
        // Deadlines, not calls: a late loop gets two in one tick.
        all.ticks += tick.expirations;
        if all.ticks >= 2 && !all.signal_sent {
            all.signal_sent = true;
            // The loop's own thread blocks SIGUSR1: the signal source
            // reports it on a later dispatch.
            if signal_this_thread(libc::SIGUSR1).is_err() {
                return TimerAction::Remove;
            }
        }
        if all.ticks >= 3 {
            TimerAction::Remove
        } else {
            TimerAction::Continue
        }
    })?;
    // ANCHOR_END: sources

    // ANCHOR: threads
    let worker = thread::spawn(move || {
        for i in 1..=3 {
            let _ = sender.send(format!("job {i}"));
        }
        // The sender is dropped here: the channel closes.
    });
    let client = thread::spawn(move || udp_client(server));
    // ANCHOR_END: threads

    // ANCHOR: run
    let signal = event_loop.signal();
    let give_up = Instant::now() + Duration::from_secs(5);
    let mut all = Everything::default();
    event_loop.run(Some(Duration::from_millis(100)), &mut all, |all| {
        if all.done() || Instant::now() > give_up {
            signal.stop();
        }
    })?;
    worker.join().expect("the worker panicked");
    let answers = client.join().expect("the client panicked")?;
    if !all.done() {
        return Err(io::Error::new(
            ErrorKind::TimedOut,
            "all_sources: not done in 5 s",
        ));
    }
    // ANCHOR_END: run

    // ANCHOR: report
    println!(
        "timer: 3 deadlines or more: {}, then it removed itself: {}",
        all.ticks >= 3,
        !handle.contains(timer)
    );
    println!(
        "channel: {:?}, then Closed, and it removed itself: {}",
        all.messages,
        !handle.contains(jobs)
    );
    let info = all.signals[0];
    println!(
        "signals: {} ({}) sent by the timer's callback",
        signal_name(info.signal),
        code_name(info.signal, info.code)
    );
    println!(
        "udp: echoed {}; the client got back {answers:?}",
        all.echoed
    );
    println!(
        "the loop stopped itself; sources left: {} (the signals and the UDP socket)",
        handle.len()
    );
    drop(handle);
    drop(event_loop);
    let still = SignalSet::blocked()?.contains(libc::SIGUSR1);
    println!("SIGUSR1 blocked after the loop is dropped: {still}");
    // ANCHOR_END: report
    Ok(())
}
