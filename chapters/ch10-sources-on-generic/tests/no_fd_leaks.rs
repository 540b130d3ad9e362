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

use testkit::assert_no_fd_leaks;

/// An example's `main`.
type Example = fn() -> std::io::Result<()>;

fn main() {
    let examples: [(&str, Example); 5] = [
        ("timer_source", timer_source::main),
        ("channel_source", channel_source::main),
        ("signal_source", signal_source::main),
        ("udp_echo", udp_echo::main),
        ("all_sources", all_sources::main),
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
