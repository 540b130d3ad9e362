//! Every example closes every file descriptor it opens: each runs here, in
//! this process, between two looks at /proc/self/fd. All but
//! `fork_shares_the_instance`, which forks and so must run as a
//! single-threaded program of its own (`tests/outputs.rs` runs it).
//!
//! No test harness (`harness = false` in Cargo.toml): `everything_at_once`
//! blocks SIGCHLD and SIGUSR1 in the thread that runs it and waits for them
//! on a signalfd, but a signal sent to the process goes to any thread that
//! does not block it, such as the harness's own. Here the only thread is
//! `main`, which runs the examples one after another.

#[path = "../examples/close_on_exec.rs"]
mod close_on_exec;
#[path = "../examples/edge_and_level.rs"]
mod edge_and_level;
#[path = "../examples/everything_at_once.rs"]
mod everything_at_once;
#[path = "../examples/interest_variants.rs"]
mod interest_variants;
#[path = "../examples/one_turn.rs"]
mod one_turn;
#[path = "../examples/reactor_errors.rs"]
mod reactor_errors;
#[path = "../examples/stale_tokens.rs"]
mod stale_tokens;

fn main() {
    testkit::single_thread::run_without_fd_leaks(&[
        ("one_turn", one_turn::main),
        ("stale_tokens", stale_tokens::main),
        ("edge_and_level", edge_and_level::main),
        ("interest_variants", interest_variants::main),
        ("close_on_exec", close_on_exec::main),
        ("reactor_errors", reactor_errors::main),
        ("everything_at_once", everything_at_once::main),
    ]);
}
