//! signalfd and the per-thread signal mask, with thread-directed signals
//! only (`pthread_kill` of the calling thread), which no other thread can
//! take. That makes these tests safe in the test harness, which runs them on
//! threads of its own: each test also runs in a thread it spawns, so the
//! masks it changes belong to nobody else.
//!
//! Signals sent to the whole process are in `process_signals.rs`, which
//! runs without the harness.

use ch01_raw_syscalls::error::errno;
use ch04_libc_and_a_safe_wrapper::{Epoll, Events, IN};
use ch06_everything_is_an_fd::{
    Children, SIGINFO_SIZE, SignalFd, SignalSet, blocked_by_signal_fds, restore_mask_in_child,
    signal_of, signal_this_thread,
};
use std::os::fd::AsRawFd;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// Runs `f` on a new thread and returns what it returns.
fn on_new_thread<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    thread::scope(|scope| scope.spawn(f).join().expect("the test thread panicked"))
}

fn blocked(signal: libc::c_int) -> bool {
    SignalSet::blocked().unwrap().contains(signal)
}

#[test]
fn new_blocks_the_signals_in_the_calling_thread_and_drop_unblocks_them() {
    on_new_thread(|| {
        let before = SignalSet::blocked().unwrap();
        assert!(!before.contains(libc::SIGUSR1));
        let sigfd = SignalFd::new(&[libc::SIGUSR1, libc::SIGUSR2]).unwrap();
        assert!(blocked(libc::SIGUSR1) && blocked(libc::SIGUSR2));
        drop(sigfd);
        assert_eq!(SignalSet::blocked().unwrap(), before);
    });
}

#[test]
fn a_signal_blocked_before_stays_blocked_after_drop() {
    on_new_thread(|| {
        // Blocked by hand, not through a SignalFd.
        let mut usr2 = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
        // SAFETY: sigemptyset initializes the whole set it is given.
        assert_eq!(unsafe { libc::sigemptyset(usr2.as_mut_ptr()) }, 0);
        // SAFETY: initialized just above; SIGUSR2 is a valid signal.
        assert_eq!(
            unsafe { libc::sigaddset(usr2.as_mut_ptr(), libc::SIGUSR2) },
            0
        );
        // SAFETY: `usr2` is an initialized sigset_t, only read; a null
        // `oldset` asks for nothing back.
        let code =
            unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, usr2.as_ptr(), std::ptr::null_mut()) };
        assert_eq!(code, 0);
        let sigfd = SignalFd::new(&[libc::SIGUSR1, libc::SIGUSR2]).unwrap();
        drop(sigfd);
        assert!(!blocked(libc::SIGUSR1));
        assert!(
            blocked(libc::SIGUSR2),
            "it was blocked before: left blocked"
        );
    });
}

#[test]
fn two_sources_sharing_a_signal_can_be_dropped_in_either_order() {
    for first_dropped_is_a in [true, false] {
        on_new_thread(|| {
            let before = SignalSet::blocked().unwrap();
            let a = SignalFd::new(&[libc::SIGUSR1]).unwrap();
            let b = SignalFd::new(&[libc::SIGUSR1, libc::SIGUSR2]).unwrap();
            let (first, second) = if first_dropped_is_a { (a, b) } else { (b, a) };
            drop(first);
            assert!(blocked(libc::SIGUSR1), "the other source still needs it");
            drop(second);
            assert_eq!(SignalSet::blocked().unwrap(), before);
        });
    }
}

#[test]
fn a_drop_reads_only_the_signals_it_unblocks() {
    on_new_thread(|| {
        let a = SignalFd::new(&[libc::SIGUSR1]).unwrap();
        let b = SignalFd::new(&[libc::SIGUSR1, libc::SIGUSR2]).unwrap();
        signal_this_thread(libc::SIGUSR1).unwrap();
        signal_this_thread(libc::SIGUSR2).unwrap();
        // b unblocks SIGUSR2, which only it blocks, and so discards it; it
        // leaves SIGUSR1, which a still needs, pending for a.
        drop(b);
        assert!(!blocked(libc::SIGUSR2));
        let records = a.read().unwrap();
        assert_eq!(
            records.iter().map(signal_of).collect::<Vec<_>>(),
            [libc::SIGUSR1]
        );
    });
}

#[test]
fn threads_started_later_inherit_the_mask_and_running_ones_do_not() {
    on_new_thread(|| {
        let (ask_earlier, earlier_asked) = mpsc::channel::<()>();
        thread::scope(|scope| {
            // Started before the SignalFd exists.
            let earlier = scope.spawn(move || {
                earlier_asked.recv().unwrap();
                blocked(libc::SIGUSR1)
            });
            let sigfd = SignalFd::new(&[libc::SIGUSR1]).unwrap();
            // Started after.
            let later = scope.spawn(|| blocked(libc::SIGUSR1));
            assert!(
                later.join().unwrap(),
                "a new thread copies its creator's mask"
            );
            ask_earlier.send(()).unwrap();
            assert!(
                !earlier.join().unwrap(),
                "a running thread keeps its own mask"
            );
            drop(sigfd);
        });
    });
}

#[test]
fn a_thread_directed_signal_arrives_through_the_signalfd() {
    on_new_thread(|| {
        let sigfd = SignalFd::new(&[libc::SIGUSR1]).unwrap();
        let epoll = Epoll::new().unwrap();
        epoll.add(&sigfd, IN, 7).unwrap();
        let mut events = Events::with_capacity(2);
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);

        signal_this_thread(libc::SIGUSR1).unwrap();
        assert!(SignalSet::pending().unwrap().contains(libc::SIGUSR1));
        let n = epoll
            .wait(&mut events, Some(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(n, 1);
        assert_eq!(events.iter().next().unwrap().token(), 7);

        let records = sigfd.read().unwrap();
        assert_eq!(records.len(), 1);
        assert_eq!(signal_of(&records[0]), libc::SIGUSR1);
        assert_eq!(records[0].ssi_code, libc::SI_TKILL, "sent with tgkill");
        // SAFETY: getpid cannot fail.
        let me = u32::try_from(unsafe { libc::getpid() }).unwrap();
        assert_eq!(records[0].ssi_pid, me);
        // Read, so no longer pending, and the fd is quiet.
        assert!(!SignalSet::pending().unwrap().contains(libc::SIGUSR1));
        assert!(sigfd.read().unwrap().is_empty());
        assert_eq!(epoll.wait(&mut events, Some(Duration::ZERO)).unwrap(), 0);
    });
}

#[test]
fn standard_signals_are_pending_once_and_real_time_signals_queue() {
    on_new_thread(|| {
        let rt = libc::SIGRTMIN();
        let sigfd = SignalFd::new(&[libc::SIGUSR1, rt]).unwrap();
        for _ in 0..3 {
            signal_this_thread(libc::SIGUSR1).unwrap();
            signal_this_thread(rt).unwrap();
        }
        // One read returns every pending signal that fits.
        let records = sigfd.read().unwrap();
        let mut numbers: Vec<_> = records.iter().map(signal_of).collect();
        numbers.sort_unstable();
        assert_eq!(numbers, [libc::SIGUSR1, rt, rt, rt]);
        assert!(sigfd.read().unwrap().is_empty());
    });
}

#[test]
fn a_read_with_room_for_less_than_one_record_is_einval() {
    on_new_thread(|| {
        let sigfd = SignalFd::new(&[libc::SIGUSR1]).unwrap();
        signal_this_thread(libc::SIGUSR1).unwrap();
        let mut small = [0u8; SIGINFO_SIZE - 1];
        // SAFETY: `small` is valid for writes of its length; the fd is open.
        let ret = unsafe { libc::read(sigfd.as_raw_fd(), small.as_mut_ptr().cast(), small.len()) };
        assert_eq!(ret, -1);
        let err = std::io::Error::last_os_error();
        assert_eq!(errno(&err), Some(libc::EINVAL));
        // The signal is still pending, for a read of the right size.
        assert_eq!(sigfd.read().unwrap().len(), 1);
    });
}

#[test]
fn a_signal_not_in_the_fds_set_is_not_read() {
    on_new_thread(|| {
        let only_usr1 = SignalFd::new(&[libc::SIGUSR1]).unwrap();
        let usr2 = SignalFd::new(&[libc::SIGUSR2]).unwrap();
        signal_this_thread(libc::SIGUSR2).unwrap();
        assert!(only_usr1.read().unwrap().is_empty());
        assert_eq!(signal_of(&usr2.read().unwrap()[0]), libc::SIGUSR2);
    });
}

#[test]
fn drop_discards_a_pending_signal_instead_of_letting_it_end_the_process() {
    on_new_thread(|| {
        let before = SignalSet::blocked().unwrap();
        let sigfd = SignalFd::new(&[libc::SIGTERM]).unwrap();
        signal_this_thread(libc::SIGTERM).unwrap();
        assert!(SignalSet::pending().unwrap().contains(libc::SIGTERM));
        // Unblocking a pending SIGTERM would end this test process. The
        // drop reads it first.
        drop(sigfd);
        assert!(!SignalSet::pending().unwrap().contains(libc::SIGTERM));
        assert_eq!(SignalSet::blocked().unwrap(), before);
    });
}

#[test]
fn sigkill_and_sigstop_cannot_be_blocked() {
    on_new_thread(|| {
        let sigfd = SignalFd::new(&[libc::SIGKILL, libc::SIGSTOP, libc::SIGUSR1]).unwrap();
        assert!(sigfd.signals().contains(libc::SIGKILL), "the set holds it");
        let now = SignalSet::blocked().unwrap();
        assert!(!now.contains(libc::SIGKILL) && !now.contains(libc::SIGSTOP));
        assert!(now.contains(libc::SIGUSR1));
    });
}

/// The `SigBlk:` line of a `/proc/.../status` file: the blocked mask, in
/// hexadecimal, bit n-1 for signal n.
fn sigblk(status: &str) -> u64 {
    let line = status
        .lines()
        .find(|line| line.starts_with("SigBlk:"))
        .expect("a SigBlk line");
    u64::from_str_radix(line["SigBlk:".len()..].trim(), 16).unwrap()
}

/// The `SigBlk:` mask of the program `command` runs, which prints its own
/// `/proc/self/status`.
fn child_sigblk(mut command: Command) -> u64 {
    let output = command.arg("/proc/self/status").output().unwrap();
    assert!(output.status.success());
    sigblk(&String::from_utf8(output.stdout).unwrap())
}

fn my_sigblk() -> u64 {
    sigblk(&std::fs::read_to_string("/proc/thread-self/status").unwrap())
}

#[test]
fn a_child_inherits_the_mask_of_the_thread_that_starts_it() {
    on_new_thread(|| {
        let sigfd = SignalFd::new(&[libc::SIGUSR1]).unwrap();
        let usr1_bit = 1 << (libc::SIGUSR1 - 1);
        assert_ne!(my_sigblk() & usr1_bit, 0);
        // std's Command passes the mask on as it is.
        assert_eq!(child_sigblk(Command::new("cat")), my_sigblk());
        drop(sigfd);
    });
}

#[test]
fn restore_mask_in_child_gives_the_child_the_mask_from_before() {
    on_new_thread(|| {
        let before = my_sigblk();
        let sigfd = SignalFd::new(&[libc::SIGUSR1, libc::SIGUSR2]).unwrap();
        assert_ne!(my_sigblk(), before);
        assert_eq!(
            blocked_by_signal_fds(),
            SignalSet::from_signals(&[libc::SIGUSR1, libc::SIGUSR2]).unwrap()
        );
        let mut command = Command::new("cat");
        restore_mask_in_child(&mut command);
        assert_eq!(child_sigblk(command), before);
        drop(sigfd);
        assert!(blocked_by_signal_fds().is_empty());
    });
}

#[test]
fn children_spawn_restores_the_mask_in_the_child() {
    on_new_thread(|| {
        assert_eq!(my_sigblk(), 0, "the harness's threads block nothing");
        let sigfd = SignalFd::new(&[libc::SIGTERM]).unwrap();
        let mut children = Children::new();
        // grep succeeds if the child's own mask is empty.
        let mut check = Command::new("grep");
        check.args(["-q", "^SigBlk:[[:space:]]*0*$", "/proc/self/status"]);
        children.spawn("check", &mut check).unwrap();
        children.wait_until_all_ended().unwrap();
        let reaped = children.reap_ended().unwrap();
        assert_eq!(reaped.len(), 1);
        assert!(reaped[0].1.success(), "{:?}", reaped[0]);
        drop(sigfd);
    });
}
