//! Chapter 1's hand-written constants next to `libc`'s: the same numbers,
//! but `libc` spells the event bits as `c_int`, so `EPOLLET` is negative
//! there, and only a bit-preserving cast turns it into the `u32` the event
//! struct holds.
//!
//! Run it with `cargo run -p ch04-libc-and-a-safe-wrapper --example hand_written_vs_libc`.

use ch01_raw_syscalls as ch01;
use ch01_raw_syscalls::consts::{errno, event_names};
use ch01_raw_syscalls::error::check;
use ch01_raw_syscalls::event::DATA_OFFSET;
use ch04_libc_and_a_safe_wrapper::{ET, IN};
use std::ffi::c_int;
use std::io;
use std::mem::{align_of, offset_of, size_of};
use std::os::fd::{AsFd, AsRawFd};

fn yes_no(same: bool) -> &'static str {
    if same { "yes" } else { "NO" }
}

/// One row for an event bit: chapter 1's `u32` and libc's `c_int`.
fn bit_row(name: &str, ours: u32, theirs: c_int) {
    println!(
        "{name:<16} {ours:#010x}   {theirs:>11}   {:#010x}    {}",
        theirs as u32,
        yes_no(ours == theirs as u32)
    );
}

/// One row for a number both sides spell as `c_int`.
fn int_row(name: &str, ours: c_int, theirs: c_int) {
    println!(
        "{name:<16} {ours:>10}   {theirs:>11}   {:>10}    {}",
        "",
        yes_no(ours == theirs)
    );
}

// ANCHOR: comparison
pub fn main() -> io::Result<()> {
    println!("name             chapter 1    libc (c_int)   libc as u32   same");
    bit_row("EPOLLIN", ch01::EPOLLIN, libc::EPOLLIN);
    bit_row("EPOLLPRI", ch01::EPOLLPRI, libc::EPOLLPRI);
    bit_row("EPOLLOUT", ch01::EPOLLOUT, libc::EPOLLOUT);
    bit_row("EPOLLERR", ch01::EPOLLERR, libc::EPOLLERR);
    bit_row("EPOLLHUP", ch01::EPOLLHUP, libc::EPOLLHUP);
    bit_row("EPOLLRDHUP", ch01::EPOLLRDHUP, libc::EPOLLRDHUP);
    bit_row("EPOLLEXCLUSIVE", ch01::EPOLLEXCLUSIVE, libc::EPOLLEXCLUSIVE);
    bit_row("EPOLLWAKEUP", ch01::EPOLLWAKEUP, libc::EPOLLWAKEUP);
    bit_row("EPOLLONESHOT", ch01::EPOLLONESHOT, libc::EPOLLONESHOT);
    bit_row("EPOLLET", ch01::EPOLLET, libc::EPOLLET);
    int_row("EPOLL_CTL_ADD", ch01::EPOLL_CTL_ADD, libc::EPOLL_CTL_ADD);
    int_row("EPOLL_CTL_DEL", ch01::EPOLL_CTL_DEL, libc::EPOLL_CTL_DEL);
    int_row("EPOLL_CTL_MOD", ch01::EPOLL_CTL_MOD, libc::EPOLL_CTL_MOD);
    int_row("EPOLL_CLOEXEC", ch01::EPOLL_CLOEXEC, libc::EPOLL_CLOEXEC);
    int_row("O_CLOEXEC", ch01::O_CLOEXEC, libc::O_CLOEXEC);
    int_row("O_NONBLOCK", ch01::O_NONBLOCK, libc::O_NONBLOCK);
    int_row("EPERM", errno::EPERM, libc::EPERM);
    int_row("ENOENT", errno::ENOENT, libc::ENOENT);
    int_row("EINTR", errno::EINTR, libc::EINTR);
    int_row("EBADF", errno::EBADF, libc::EBADF);
    int_row("EAGAIN", errno::EAGAIN, libc::EAGAIN);
    int_row("EEXIST", errno::EEXIST, libc::EEXIST);
    int_row("EINVAL", errno::EINVAL, libc::EINVAL);

    // ANCHOR: cast
    println!();
    println!("converting libc::EPOLLET ({}) to u32:", libc::EPOLLET);
    match u32::try_from(libc::EPOLLET) {
        Ok(bits) => println!("  u32::try_from: Ok({bits:#x})"),
        Err(err) => println!("  u32::try_from: Err({err})"),
    }
    println!("  as u32:        {:#x}", libc::EPOLLET as u32);
    println!(
        "  (libc::EPOLLIN | libc::EPOLLET) as u32 == IN | ET: {}",
        (libc::EPOLLIN | libc::EPOLLET) as u32 == IN | ET
    );
    // ANCHOR_END: cast

    println!();
    println!("chapter 1's Event and libc::epoll_event:");
    let same_size = size_of::<ch01::Event>() == size_of::<libc::epoll_event>();
    let same_align = align_of::<ch01::Event>() == align_of::<libc::epoll_event>();
    let same_offset = DATA_OFFSET == offset_of!(libc::epoll_event, u64);
    println!("  same size: {}", yes_no(same_size));
    println!("  same alignment: {}", yes_no(same_align));
    println!(
        "  data (ch01) at the offset of u64 (libc): {}",
        yes_no(same_offset)
    );

    // One instance, two sets of declarations: register through chapter 1,
    // wait through libc. The kernel cannot tell the difference.
    let epoll = ch01::epoll_create1(ch01::EPOLL_CLOEXEC)?;
    let (reader, writer) = ch01::pipe2(ch01::O_CLOEXEC)?;
    let token = 0x0123_4567_89ab_cdef;
    let interest = ch01::Event::new(ch01::EPOLLIN, token);
    ch01::epoll_ctl(
        epoll.as_fd(),
        ch01::EPOLL_CTL_ADD,
        reader.as_fd(),
        Some(&interest),
    )?;
    ch01::write(writer.as_fd(), b"x")?;
    let mut events = [libc::epoll_event { events: 0, u64: 0 }; 4];
    // SAFETY: `events` has room for 4 epoll_events; `epoll` is open.
    let n = check("epoll_wait", unsafe {
        libc::epoll_wait(epoll.as_raw_fd(), events.as_mut_ptr(), 4, 0)
    })?;
    println!("registered with chapter 1's epoll_ctl, waited with libc::epoll_wait:");
    for event in &events[..usize::try_from(n).expect("non-negative")] {
        let (bits, data) = (event.events, event.u64);
        println!(
            "  {}, u64 {data:#018x}: the token chapter 1 registered? {}",
            event_names(bits),
            yes_no(data == token)
        );
    }
    Ok(())
}
// ANCHOR_END: comparison
