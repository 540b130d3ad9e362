//! Every kind of source the book has met, on one reactor, each step set off
//! by the handler of the one before, so the order is fixed:
//!
//! 1. `main` writes a file into a directory that inotify watches;
//! 2. the inotify handler registers a timer;
//! 3. the timer's handler re-arms it twice, then deregisters it and starts
//!    a child process;
//! 4. the child's `SIGCHLD` arrives through a signalfd, whose handler reaps
//!    the child and starts a thread;
//! 5. the thread writes to an eventfd, whose handler joins it and sends
//!    this process `SIGUSR1`;
//! 6. the signalfd handler stops the loop on `SIGUSR1`.
//!
//! Run it with `cargo run -p ch07-a-reactor --example everything_at_once`.

use ch04_libc_and_a_safe_wrapper::Event;
use ch05_eventfd_wakeups::EventFd;
use ch06_everything_is_an_fd::{
    Children, Inotify, READ_BUFFER_SIZE, SignalFd, TempDir, TimerFd, signal_name,
    signal_this_process,
};
use ch07_a_reactor::{Context, Interest, Reactor};
use std::cell::RefCell;
use std::ffi::c_int;
use std::io;
use std::process::Command;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

const TICK: Duration = Duration::from_millis(5);
const TICKS: u64 = 3;
/// How long the loop may go without an event before giving up: it never
/// should, and this keeps a lost event from hanging the program.
const IDLE: Duration = Duration::from_secs(2);

/// What the handlers share: the children to reap, and the thread to join.
#[derive(Default)]
struct Shared {
    children: Children,
    waker_thread: Option<JoinHandle<io::Result<()>>>,
}

type State = Rc<RefCell<Shared>>;

// ANCHOR: inotify
/// Step 2: a file appeared, so a timer is made and registered.
fn on_file_created(
    state: State,
) -> impl FnMut(&Inotify, &mut Context<'_>, Event) -> io::Result<()> {
    move |inotify, cx, _| {
        let mut buf = [0; READ_BUFFER_SIZE];
        loop {
            // Edge-triggered: read until there is nothing left.
            let events = inotify.read_events(&mut buf)?;
            if events.is_empty() {
                return Ok(());
            }
            for event in events {
                let name = event.name.unwrap_or_default();
                println!("inotify: {} created", name.to_string_lossy());
            }
            let timer = TimerFd::new()?;
            timer.set_after(TICK)?;
            let token = cx.register(timer, Interest::READABLE, on_tick(Rc::clone(&state)))?;
            println!("  registered a timer ({token})");
        }
    }
}
// ANCHOR_END: inotify

// ANCHOR: timer
/// Step 3: each tick but the last re-arms the timer; the last starts a child.
fn on_tick(state: State) -> impl FnMut(&TimerFd, &mut Context<'_>, Event) -> io::Result<()> {
    let mut ticks = 0;
    move |timer, cx, _| {
        // A one-shot timer expires once per arming: each read returns 1.
        let expirations = timer.read()?;
        ticks += expirations;
        println!("timer: tick {ticks} ({expirations} expiration)");
        if ticks < TICKS {
            return timer.set_after(TICK);
        }
        cx.deregister(cx.token())?;
        println!("  deregistered the timer; starting `sh -c 'exit 3'`");
        let mut command = Command::new("sh");
        command.args(["-c", "exit 3"]);
        state
            .borrow_mut()
            .children
            .spawn("sh -c 'exit 3'", &mut command)
    }
}
// ANCHOR_END: timer

// ANCHOR: signals
/// Steps 4 and 6: `SIGCHLD` reaps and starts a thread; `SIGUSR1` stops.
fn on_signal(
    state: State,
    waker: Arc<EventFd>,
) -> impl FnMut(&SignalFd, &mut Context<'_>, Event) -> io::Result<()> {
    move |signals, cx, _| {
        loop {
            let infos = signals.read()?;
            if infos.is_empty() {
                return Ok(());
            }
            for info in infos {
                let signal = c_int::try_from(info.ssi_signo).expect("a small number");
                println!("signalfd: {}", signal_name(signal));
                if signal == libc::SIGUSR1 {
                    println!("  stopping");
                    cx.stop();
                    continue;
                }
                let mut shared = state.borrow_mut();
                for (label, status) in shared.children.reap_ended()? {
                    println!("  reaped `{label}`: {status}");
                }
                let waker = Arc::clone(&waker);
                shared.waker_thread = Some(thread::spawn(move || waker.write(1)));
                println!("  started a thread that writes to the eventfd");
            }
        }
    }
}
// ANCHOR_END: signals

// ANCHOR: eventfd
/// Step 5: the thread's wake-up; join it, and send this process SIGUSR1.
fn on_wake(state: State) -> impl FnMut(&Arc<EventFd>, &mut Context<'_>, Event) -> io::Result<()> {
    move |eventfd, _, _| {
        let count = eventfd.read()?;
        let thread = state.borrow_mut().waker_thread.take();
        let joined = thread.map(|thread| thread.join().expect("the thread does not panic"));
        println!(
            "eventfd: counter {count}, the thread joined: {}",
            joined.is_some()
        );
        joined.transpose()?;
        println!("  kill(getpid(), SIGUSR1)");
        signal_this_process(libc::SIGUSR1)
    }
}
// ANCHOR_END: eventfd

// ANCHOR: main
pub fn main() -> io::Result<()> {
    // First, while this is the only thread: block the signals and read
    // them from a signalfd (threads started later inherit the mask).
    let signals = SignalFd::new(&[libc::SIGCHLD, libc::SIGUSR1])?;
    let state = State::default();
    let dir = TempDir::new("reactor")?;
    let inotify = Inotify::new()?;
    inotify.add_watch(dir.path(), libc::IN_CREATE)?;
    let waker = Arc::new(EventFd::new(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC)?);

    let mut reactor = Reactor::new()?;
    reactor.register(
        inotify,
        Interest::READABLE,
        on_file_created(Rc::clone(&state)),
    )?;
    let on_signal = on_signal(Rc::clone(&state), Arc::clone(&waker));
    reactor.register(signals, Interest::READABLE, on_signal)?;
    reactor.register(waker, Interest::READABLE, on_wake(Rc::clone(&state)))?;
    println!(
        "registered: inotify, signalfd, eventfd ({} sources)",
        reactor.len()
    );

    std::fs::write(dir.join("hello.txt"), b"hello")?;
    println!("main: wrote hello.txt");
    reactor.run(Some(IDLE))?;
    println!("stopped, with {} sources registered", reactor.len());
    drop(reactor);
    println!("children left unreaped: {}", state.borrow().children.len());
    Ok(())
}
// ANCHOR_END: main
