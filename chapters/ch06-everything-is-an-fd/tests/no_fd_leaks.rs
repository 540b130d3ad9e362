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

use testkit::assert_no_fd_leaks;

/// An example's `main`.
type Example = fn() -> std::io::Result<()>;

fn main() {
    let examples: [(&str, Example); 5] = [
        (
            "timer_one_shot_and_periodic",
            timer_one_shot_and_periodic::main,
        ),
        ("ticks", ticks::main),
        ("signals_and_children", signals_and_children::main),
        ("watch_a_directory", watch_a_directory::main),
        ("one_epoll_many_fds", one_epoll_many_fds::main),
    ];
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|arg| arg == "--list") {
        for (name, _) in &examples {
            println!("{name}_closes_everything: test");
        }
        return;
    }
    let filter = args.iter().find(|arg| !arg.starts_with('-'));
    let mut passed = 0;
    for (name, example) in examples {
        let test = format!("{name}_closes_everything");
        if filter.is_some_and(|filter| !test.contains(filter.as_str())) {
            continue;
        }
        print!("test {test} ... ");
        // The example's own output is not what this test is about.
        assert_no_fd_leaks(example).unwrap_or_else(|err| panic!("{name} failed: {err}"));
        println!("ok");
        passed += 1;
    }
    println!("\ntest result: ok. {passed} passed (one thread, no harness)");
}
