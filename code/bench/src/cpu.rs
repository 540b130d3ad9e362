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

#[cfg(test)]
mod tests {
    use super::*;
    use ch01_raw_syscalls::error::errno;

    /// The CPU the calling thread is running on now.
    fn current_cpu() -> usize {
        // SAFETY: sched_getcpu takes no arguments and only returns a number.
        let cpu = unsafe { libc::sched_getcpu() };
        usize::try_from(cpu).expect("sched_getcpu failed")
    }

    /// A CPU number below CPU_SETSIZE that this machine has not got.
    fn missing_cpu() -> usize {
        libc::CPU_SETSIZE as usize - 1
    }

    #[test]
    fn allowed_cpus_are_a_sorted_set_that_includes_the_current_one() -> io::Result<()> {
        let cpus = allowed()?;
        assert!(!cpus.is_empty(), "a thread runs somewhere");
        assert!(cpus.windows(2).all(|w| w[0] < w[1]), "{cpus:?}");
        assert!(cpus.contains(&current_cpu()), "{cpus:?}");
        // The standard library counts these, less any cgroup CPU quota.
        let available = std::thread::available_parallelism()?.get();
        assert!(
            available <= cpus.len(),
            "{available} CPUs, {cpus:?} allowed"
        );
        Ok(())
    }

    #[test]
    fn pair_is_the_first_two_allowed_cpus() -> io::Result<()> {
        let cpus = allowed()?;
        match pair()? {
            Some((client, server)) => assert_eq!([client, server], cpus[..2]),
            None => assert_eq!(cpus.len(), 1),
        }
        Ok(())
    }

    #[test]
    fn on_cpu_runs_there_and_leaves_the_caller_as_it_was() -> io::Result<()> {
        let before = allowed()?;
        for &cpu in &before {
            let (ran_on, could_use) = on_cpu(Some(cpu), || Ok((current_cpu(), allowed()?)))?;
            assert_eq!(ran_on, cpu, "on_cpu(Some({cpu})) ran on CPU {ran_on}");
            assert_eq!(could_use, [cpu], "pinned to {cpu}");
            assert_eq!(allowed()?, before, "the caller's CPUs changed");
        }
        // No CPU: the thread may run wherever the caller may.
        let could_use = on_cpu(None, allowed)?;
        assert_eq!(could_use, before);
        Ok(())
    }

    #[test]
    fn on_cpu_returns_errors_and_panics_as_errors() {
        let e = on_cpu(None, || -> io::Result<()> {
            Err(io::Error::other("inner"))
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "inner");
        let e = on_cpu(None, || -> io::Result<()> { panic!("on purpose") }).unwrap_err();
        assert!(e.to_string().contains("panicked"), "{e}");
    }

    #[test]
    fn pin_current_thread_narrows_this_thread_only() -> io::Result<()> {
        let before = allowed()?;
        let last = *before.last().expect("some CPU");
        let inside = std::thread::spawn(move || {
            pin_current_thread(last)?;
            Ok::<_, io::Error>((allowed()?, current_cpu()))
        })
        .join()
        .expect("the pinned thread panicked")?;
        assert_eq!(inside, (vec![last], last));
        assert_eq!(allowed()?, before);
        Ok(())
    }

    #[test]
    fn pin_command_pins_the_child_from_its_start() -> io::Result<()> {
        for cpu in allowed()? {
            let mut command = Command::new("/bin/cat");
            command.arg("/proc/self/status");
            pin_command(&mut command, cpu)?;
            let output = command.output()?;
            assert!(output.status.success(), "{output:?}");
            let status = String::from_utf8_lossy(&output.stdout);
            let list = status
                .lines()
                .find_map(|l| l.strip_prefix("Cpus_allowed_list:"))
                .map(str::trim);
            assert_eq!(list, Some(cpu.to_string().as_str()), "{status}");
        }
        Ok(())
    }

    #[test]
    fn cpus_that_do_not_exist_are_invalid_input() -> io::Result<()> {
        let size = libc::CPU_SETSIZE as usize;
        // Beyond the set: refused before any call.
        let e = pin_current_thread(size).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        assert!(e.to_string().contains("CPU_SETSIZE"), "{e}");
        let e = pin_command(&mut Command::new("/bin/true"), size).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        let mut ran = false;
        let e = on_cpu(Some(size), || {
            ran = true;
            Ok(())
        })
        .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        assert!(
            !ran,
            "the function ran although its thread could not be pinned"
        );

        // In the set, but not on this machine: the kernel says EINVAL.
        let missing = missing_cpu();
        assert!(
            !allowed()?.contains(&missing),
            "this machine has CPU {missing}"
        );
        let e = on_cpu(Some(missing), || Ok(())).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        assert_eq!(errno(&e), Some(libc::EINVAL), "{e}");
        assert!(e.to_string().contains("sched_setaffinity"), "{e}");
        // A child that cannot be pinned does not start.
        let mut command = Command::new("/bin/true");
        pin_command(&mut command, missing)?;
        let e = command.status().unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EINVAL), "{e}");
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput, "{e}");
        Ok(())
    }
}
