//! Every example closes every file descriptor it opens. Each runs here, in
//! this process, between two looks at /proc/self/fd.
//!
//! This binary runs without the test harness (`harness = false` in
//! Cargo.toml): `signals_and_children` waits for SIGCHLD, a signal sent to
//! the whole process, and the harness's extra threads, which do not block
//! it, could take it first. Here `main` is the only thread, as it is when
//! the example runs by itself.

#[path = "../examples/one_epoll_many_fds.rs"]
mod one_epoll_many_fds;
#[path = "../examples/signals_and_children.rs"]
mod signals_and_children;
#[path = "../examples/ticks.rs"]
mod ticks;
#[path = "../examples/timer_one_shot_and_periodic.rs"]
mod timer_one_shot_and_periodic;
#[path = "../examples/watch_a_directory.rs"]
mod watch_a_directory;

fn main() {
    testkit::single_thread::run_without_fd_leaks(&[
        (
            "timer_one_shot_and_periodic",
            timer_one_shot_and_periodic::main,
        ),
        ("ticks", ticks::main),
        ("signals_and_children", signals_and_children::main),
        ("watch_a_directory", watch_a_directory::main),
        ("one_epoll_many_fds", one_epoll_many_fds::main),
    ]);
}
