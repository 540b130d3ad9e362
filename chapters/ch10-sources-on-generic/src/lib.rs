//! Chapter 10 of the epoll book: sources built on chapter 8's `Generic`.
//!
//! Each source here is a type that owns one [`Generic`](ch08_generic_sources::Generic),
//! implements chapter 8's [`EventSource`](ch08_generic_sources::EventSource)
//! by handing registration to it, and turns the fd's readiness into events
//! that mean something to its callback:
//!
//! - [`Timer`] (a timerfd, chapter 6): deadlines and periodic ticks. The
//!   callback gets a [`Tick`], with how many deadlines passed, and answers
//!   with a [`TimerAction`]: keep going, fire again, or stop.
//! - [`Channel`] (an eventfd, chapter 5, and a queue): [`channel`] makes a
//!   [`Sender`] that any thread may clone and send with, and a `Channel` the
//!   loop receives on, as [`Event::Msg`] for each message and
//!   [`Event::Closed`] once the last sender is gone.
//! - [`Signals`] (a signalfd, chapter 6): blocks its signals in the calling
//!   thread, gives the callback a [`SignalInfo`] for each one, and puts the
//!   mask back when dropped.
//! - [`UdpSource`] (a UDP socket, edge-triggered): reads every waiting
//!   datagram on each event, and gives the callback each one as a
//!   [`Datagram`], with the socket to answer through.
//!
//! Every source also implements `AsFd`: the fd behind it, to look for in
//! `/proc/self/fd` or in the loop's interest list.

#[cfg(not(target_os = "linux"))]
compile_error!("the epoll book's code runs on Linux only: epoll is a Linux interface");

pub mod channel;
pub mod signals;
pub mod solutions;
pub mod timer;
pub mod udp;

pub use channel::{Channel, Event, Sender, channel};
pub use signals::{SignalInfo, Signals, code_name};
pub use timer::{Tick, Timer, TimerAction};
pub use udp::{Datagram, MAX_DATAGRAM, UdpSource};
