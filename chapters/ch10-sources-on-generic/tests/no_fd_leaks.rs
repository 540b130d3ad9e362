//! Every example closes every file descriptor it opens. Each runs here, in
//! this process, between two looks at /proc/self/fd.
//!
//! This binary runs without the test harness (`harness = false` in
//! Cargo.toml): `signal_source` sends signals to the whole process and
//! waits for a child's SIGCHLD, and the harness's threads, which do not
//! block those signals, could take them first. Here `main` is the only
//! thread when each example starts, as it is when the example runs by
//! itself.

#[path = "../examples/all_sources.rs"]
mod all_sources;
#[path = "../examples/channel_source.rs"]
mod channel_source;
#[path = "../examples/signal_source.rs"]
mod signal_source;
#[path = "../examples/timer_source.rs"]
mod timer_source;
#[path = "../examples/udp_echo.rs"]
mod udp_echo;

fn main() {
    testkit::single_thread::run_without_fd_leaks(&[
        ("timer_source", timer_source::main),
        ("channel_source", channel_source::main),
        ("signal_source", signal_source::main),
        ("udp_echo", udp_echo::main),
        ("all_sources", all_sources::main),
    ]);
}
