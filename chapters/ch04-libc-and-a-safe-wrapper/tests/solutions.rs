//! The solutions to the page's exercises (`src/solutions.rs`) do what the
//! page says they do. Every test runs under `assert_no_fd_leaks`, with its
//! assertions inside the checked closure: the solutions close every fd they
//! open, and a failing assertion reports itself while no other test is
//! counting fds.
//!
//! Only one test here installs a signal handler, and it signals one thread
//! of its own (`pthread_kill`), so no other test can receive the signals.

use ch04_libc_and_a_safe_wrapper::solutions::{
    ET_BY_CAST_UNSIGNED, IN_BY_CAST_UNSIGNED, et_by_try_from,
};
use ch04_libc_and_a_safe_wrapper::{ET, Epoll, Events, IN};
use std::ffi::c_int;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};
use testkit::assert_no_fd_leaks;

#[test]
fn exercise_1_try_from_fails_cast_unsigned_keeps_the_bits() {
    assert_no_fd_leaks(|| {
        assert_eq!(ET_BY_CAST_UNSIGNED, ET);
        assert_eq!(IN_BY_CAST_UNSIGNED, IN);
        assert!(et_by_try_from().is_err());
        let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("compile_fail/try_from_in_const.rs");
        testkit::rustc::assert_compile_error(&file, "E0015");
    });
}

/// How many times the SIGUSR1 handler has run.
static HANDLED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn count_signal(_signal: c_int) {
    HANDLED.fetch_add(1, Ordering::SeqCst);
}

/// Installs `count_signal` for SIGUSR1 (with SA_RESTART, which does not
/// restart epoll waits anyway); returns the previous action.
fn install_counter() -> libc::sigaction {
    // SAFETY: all-zero bytes are a valid sigaction (no flags, an empty
    // mask, the default handler); the fields that matter are set below.
    let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
    action.sa_sigaction = count_signal as extern "C" fn(c_int) as libc::sighandler_t;
    action.sa_flags = libc::SA_RESTART;
    // SAFETY: as above; the kernel overwrites it with the old action.
    let mut previous: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: both point to live sigactions, and the handler does only
    // async-signal-safe work (an atomic add).
    let ret = unsafe { libc::sigaction(libc::SIGUSR1, &action, &mut previous) };
    assert_eq!(ret, 0);
    previous
}

/// The line of `/proc/self/task/<tid>/status` that starts with `key`.
fn status_line(tid: libc::pid_t, key: &str) -> String {
    let status = std::fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap();
    let line = status.lines().find(|line| line.starts_with(key)).unwrap();
    line[key.len()..].trim().to_owned()
}

/// Whether signal `signal` is in a `/proc` signal mask (hexadecimal, bit
/// `signal - 1`).
fn in_mask(mask: &str, signal: c_int) -> bool {
    let bits = u64::from_str_radix(mask, 16).unwrap();
    bits & (1 << (signal - 1)) != 0
}

/// Waits until thread `tid` sleeps in an epoll wait.
fn wait_until_in_epoll(tid: libc::pid_t) {
    let start = Instant::now();
    loop {
        let stat = std::fs::read_to_string(format!("/proc/self/task/{tid}/stat")).unwrap();
        let wchan = std::fs::read_to_string(format!("/proc/self/task/{tid}/wchan")).unwrap();
        let state = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next());
        if state == Some("S") && (wchan.contains("epoll") || wchan == "0") {
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "never slept");
        thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn exercise_2_signals_blocked_during_the_wait_wait_for_it_to_end() {
    assert_no_fd_leaks(|| {
        let previous = install_counter();
        let epoll = Epoll::new().unwrap();
        let (reader, mut writer) = std::io::pipe().unwrap();
        epoll.add(&reader, IN, 7).unwrap();
        let before = HANDLED.load(Ordering::SeqCst);

        thread::scope(|scope| {
            let (send_ids, ids) = mpsc::channel();
            let epoll = &epoll;
            let waiter = scope.spawn(move || {
                // SAFETY: neither call takes arguments or can fail.
                let me = unsafe { (libc::pthread_self(), libc::gettid()) };
                send_ids.send(me).unwrap();
                let mut buf = [libc::epoll_event { events: 0, u64: 0 }; 4];
                let result = epoll.wait_with_signals_blocked(&mut buf, -1, &[libc::SIGUSR1]);
                // Whatever handler runs as the wait returns has run by now.
                let handled = HANDLED.load(Ordering::SeqCst) - before;
                (
                    result.map(|n| buf[..n].iter().map(|e| e.u64).collect::<Vec<_>>()),
                    handled,
                )
            });
            let (thread, tid) = ids.recv().unwrap();
            // Observations first, assertions after the waiter is joined:
            // a failed assertion must not leave it waiting forever.
            wait_until_in_epoll(tid);
            let blocked = in_mask(&status_line(tid, "SigBlk:"), libc::SIGUSR1);
            for _ in 0..3 {
                // SAFETY: `waiter` is not joined until below, so `thread`
                // still names a thread.
                assert_eq!(unsafe { libc::pthread_kill(thread, libc::SIGUSR1) }, 0);
            }
            // pthread_kill marks a blocked signal pending at once.
            let pending = in_mask(&status_line(tid, "SigPnd:"), libc::SIGUSR1);
            let handled_meanwhile = HANDLED.load(Ordering::SeqCst) - before;

            writer.write_all(b"x").unwrap();
            let (tokens, handled) = waiter.join().unwrap();
            assert!(blocked, "SIGUSR1 is blocked during the wait");
            assert!(pending, "the signals wait, pending");
            assert_eq!(handled_meanwhile, 0);
            assert_eq!(tokens.unwrap(), [7], "the event, and no EINTR");
            assert_eq!(handled, 1, "three signals, handled once, after the wait");
        });

        // SAFETY: `previous` is the action sigaction handed back.
        let ret = unsafe { libc::sigaction(libc::SIGUSR1, &previous, std::ptr::null_mut()) };
        assert_eq!(ret, 0);
    });
}

#[test]
fn exercise_3_a_pointer_token_leads_back_to_its_value() {
    assert_no_fd_leaks(|| {
        let epoll = Epoll::new().unwrap();
        let names = [
            Box::new(String::from("alpha")),
            Box::new(String::from("beta")),
        ];
        let mut pipes = Vec::new();
        for name in &names {
            let (reader, mut writer) = std::io::pipe().unwrap();
            epoll.add_ptr(&reader, IN, &raw const **name).unwrap();
            writer.write_all(b"!").unwrap();
            pipes.push((reader, writer));
        }
        let mut events = Events::with_capacity(4);
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 2);
        let mut found: Vec<String> = events
            .iter()
            .map(|event| {
                let name = event.token_ptr::<String>();
                // SAFETY: both registrations were made with add_ptr and the
                // address of a boxed String; the boxes live, unmoved and
                // unchanged, until after the pipes are closed below.
                unsafe { (*name).clone() }
            })
            .collect();
        found.sort();
        assert_eq!(found, ["alpha", "beta"]);
        drop(pipes); // the registrations end before the names are freed
        drop(names);
    });
}
