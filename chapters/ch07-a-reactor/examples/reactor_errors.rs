//! What the reactor says to bad input: the kernel's refusals, with the call
//! named, and the registry's own, with the operation named. None of them is
//! a panic, and none changes what is registered.
//!
//! Run it with `cargo run -p ch07-a-reactor --example reactor_errors`.

use ch01_raw_syscalls::error::errno;
use ch01_raw_syscalls::{O_CLOEXEC, O_NONBLOCK, pipe2};
use ch04_libc_and_a_safe_wrapper::{EXCLUSIVE, IN};
use ch07_a_reactor::{Interest, Reactor, Token};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::sync::Arc;

fn report<T>(what: &str, result: io::Result<T>) {
    match result {
        Ok(_) => println!("{what}: ok"),
        Err(err) => println!(
            "{what}:\n  {err}\n  (kind {:?}, errno {:?})",
            err.kind(),
            errno(&err)
        ),
    }
}

// ANCHOR: errors
pub fn main() -> io::Result<()> {
    let mut reactor = Reactor::new()?;
    let (reader, _writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
    let shared = Arc::new(reader);
    let token = reactor.register(Arc::clone(&shared), Interest::READABLE, |_, _, _| Ok(()))?;

    report(
        "the same fd again, through a second Arc",
        reactor.register(shared, Interest::READABLE, |_, _, _| Ok(())),
    );
    report(
        "a regular file (this program's own executable)",
        reactor.register(
            File::open(std::env::current_exe()?)?,
            Interest::READABLE,
            |_, _, _| Ok(()),
        ),
    );
    report(
        "EXCLUSIVE in a reregister",
        reactor.reregister(token, Interest::from_bits(IN | EXCLUSIVE)),
    );
    report("a token never issued", reactor.deregister(Token::new(7, 0)));
    report(
        "removing the source as the wrong type",
        reactor.remove::<File>(token),
    );
    report("deregister", reactor.deregister(token));
    report(
        "deregister, the same token again",
        reactor.deregister(token),
    );
    report(
        "reregister, the same token",
        reactor.reregister(token, Interest::READABLE),
    );
    report("remove, the same token", reactor.remove::<OwnedFd>(token));
    println!("registered now: {}", reactor.len());
    Ok(())
}
// ANCHOR_END: errors
