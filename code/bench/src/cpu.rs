//! Which CPUs a thread may run on (`sched_setaffinity(2)`).
//!
//! In a ping-pong between two processes on a 2-core machine, the scheduler
//! sometimes puts both on one core (a wake-up is then a context switch)
//! and sometimes on two (a wake-up is then an interrupt to the other
//! core), and the round trip differs by a factor of two or three between
//! the two. The echo measurement therefore pins the load generator to one
//! CPU and the servers to another, so every server is measured the same
//! way.

use crate::last_error;
use std::io;
use std::mem;
use std::os::unix::process::CommandExt;
use std::process::Command;

/// The CPUs the calling thread may run on now, in ascending order.
pub fn allowed() -> io::Result<Vec<usize>> {
    // SAFETY: cpu_set_t is a plain bit array, for which all zeroes is a
    // valid (empty) value.
    let mut set: libc::cpu_set_t = unsafe { mem::zeroed() };
    // SAFETY: `set` is a live cpu_set_t of the size passed; the kernel
    // writes at most that many bytes into it. Pid 0 is the calling thread.
    let rc = unsafe { libc::sched_getaffinity(0, mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if rc == -1 {
        return Err(last_error("sched_getaffinity"));
    }
    Ok((0..libc::CPU_SETSIZE as usize)
        // SAFETY: CPU_ISSET only reads bit `cpu` of `set`, and `cpu` is
        // below CPU_SETSIZE, the number of bits in it.
        .filter(|&cpu| unsafe { libc::CPU_ISSET(cpu, &set) })
        .collect())
}

/// A set holding `cpu` alone.
fn only(cpu: usize) -> io::Result<libc::cpu_set_t> {
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("CPU {cpu} is beyond CPU_SETSIZE"),
        ));
    }
    // SAFETY: all zeroes is the empty cpu_set_t, as above.
    let mut set: libc::cpu_set_t = unsafe { mem::zeroed() };
    // SAFETY: `cpu` was checked to be below CPU_SETSIZE, so the bit it sets
    // lies inside `set`.
    unsafe { libc::CPU_SET(cpu, &mut set) };
    Ok(set)
}

/// Lets the calling thread run on `cpu` only.
pub fn pin_current_thread(cpu: usize) -> io::Result<()> {
    let set = only(cpu)?;
    // SAFETY: `set` is a live cpu_set_t of the size passed, which the
    // kernel only reads. Pid 0 is the calling thread.
    let rc = unsafe { libc::sched_setaffinity(0, mem::size_of::<libc::cpu_set_t>(), &set) };
    if rc == -1 {
        return Err(last_error("sched_setaffinity"));
    }
    Ok(())
}

/// Makes the program `command` starts run on `cpu` only, from before its
/// first instruction.
pub fn pin_command(command: &mut Command, cpu: usize) -> io::Result<()> {
    let set = only(cpu)?;
    // SAFETY: the closure runs in the child between fork and exec, where
    // only async-signal-safe functions may be called. It makes one system
    // call, sched_setaffinity, with a set copied into the closure, and
    // allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::sched_setaffinity(0, mem::size_of::<libc::cpu_set_t>(), &set) == -1 {
                return Err(io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(())
}

/// The CPUs for a client and a server: the first two this process may use,
/// or `None` with only one.
pub fn pair() -> io::Result<Option<(usize, usize)>> {
    Ok(match allowed()?[..] {
        [client, server, ..] => Some((client, server)),
        _ => None,
    })
}

/// Runs `f` on a new thread, pinned to `cpu` if there is one, and returns
/// what it returns. The calling thread's own CPUs do not change.
pub fn on_cpu<T: Send>(
    cpu: Option<usize>,
    f: impl FnOnce() -> io::Result<T> + Send,
) -> io::Result<T> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                if let Some(cpu) = cpu {
                    pin_current_thread(cpu)?;
                }
                f()
            })
            .join()
            .map_err(|_| io::Error::other("a measurement panicked"))?
    })
}
