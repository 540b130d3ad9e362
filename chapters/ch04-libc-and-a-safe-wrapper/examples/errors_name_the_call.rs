//! Every error the wrapper can be made to return, with what it carries: the
//! message names the call, `errno` gets the OS error's number back, and
//! `kind` classifies it.
//!
//! Run it with `cargo run -p ch04-libc-and-a-safe-wrapper --example errors_name_the_call`.

use ch01_raw_syscalls::errno;
use ch01_raw_syscalls::error::failed_call;
use ch04_libc_and_a_safe_wrapper::{EXCLUSIVE, Epoll, Events, IN};
use std::fs::File;
use std::io;
use std::time::Duration;

/// The symbolic name of the error numbers met here.
fn errno_name(code: i32) -> &'static str {
    match code {
        libc::EPERM => "EPERM",
        libc::ENOENT => "ENOENT",
        libc::EEXIST => "EEXIST",
        libc::EINVAL => "EINVAL",
        _ => "?",
    }
}

fn report<T>(what: &str, result: io::Result<T>) {
    println!("{what}");
    match result {
        Ok(_) => println!("  ok"),
        Err(err) => {
            let code = errno(&err).unwrap_or(0);
            println!("  {err}");
            println!(
                "  call {}, errno {code} = {}, kind {:?}",
                failed_call(&err).unwrap_or("?"),
                errno_name(code),
                err.kind()
            );
        }
    }
}

// ANCHOR: errors
pub fn main() -> io::Result<()> {
    let epoll = Epoll::new()?;
    let (reader, _writer) = io::pipe()?;
    let (stranger, _stranger_writer) = io::pipe()?;
    epoll.add(&reader, IN, 1)?;

    report(
        "add a pipe that is already there",
        epoll.add(&reader, IN, 1),
    );
    report("modify a pipe never added", epoll.modify(&stranger, IN, 2));
    report("delete a pipe never added", epoll.delete(&stranger));
    let file = File::open(std::env::current_exe()?)?;
    report("add a regular file", epoll.add(&file, IN, 3));
    report("add the instance to itself", epoll.add(&epoll, IN, 4));
    report(
        "modify with EXCLUSIVE",
        epoll.modify(&reader, IN | EXCLUSIVE, 1),
    );
    report(
        "wait with a buffer of capacity 0",
        epoll.wait(&mut Events::with_capacity(0), Some(Duration::ZERO)),
    );
    Ok(())
}
// ANCHOR_END: errors
