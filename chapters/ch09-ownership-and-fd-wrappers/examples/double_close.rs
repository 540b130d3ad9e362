//! A double close with raw numbers: the second close hits the pipe that
//! got the number in between, and its owner goes on using the number.
//!
//! Run it with `cargo run -p ch09-ownership-and-fd-wrappers --example double_close`.

use ch09_ownership_and_fd_wrappers::double_close;
use ch09_ownership_and_fd_wrappers::report::errno_name;
use std::ffi::c_int;
use std::io;

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

fn closed(result: &Result<(), c_int>) -> String {
    match result {
        Ok(()) => "ok".to_owned(),
        Err(code) => errno_name(*code),
    }
}

fn written(result: &Result<usize, c_int>) -> String {
    match result {
        Ok(n) => format!("{n} bytes written"),
        Err(code) => errno_name(*code),
    }
}

fn read(result: &Result<Vec<u8>, c_int>) -> String {
    match result {
        Ok(bytes) if bytes.is_empty() => "end of file".to_owned(),
        Ok(bytes) => format!("{:?}", String::from_utf8_lossy(bytes)),
        Err(code) => errno_name(*code),
    }
}

// ANCHOR: main
pub fn main() -> io::Result<()> {
    let seen = double_close()?;
    println!(
        "A opens a pipe, closes its write end: {}",
        closed(&seen.first_close)
    );
    println!(
        "B opens a pipe; its write end gets A's old number: {}",
        yes_no(seen.b_got_a_number)
    );
    println!(
        "A closes its old number again: {}",
        closed(&seen.second_close)
    );
    println!("B's reader reads: {}", read(&seen.b_reader_reads));
    println!(
        "B writes to its number: {}",
        written(&seen.b_writes_to_nothing)
    );
    println!(
        "C opens a pipe; its write end gets the same number: {}",
        yes_no(seen.c_got_the_number)
    );
    println!(
        "B writes \"from B\" to its number: {}",
        written(&seen.b_writes_into_c)
    );
    println!("C's reader reads: {}", read(&seen.c_reader_reads));
    println!("B closes its number: {}", closed(&seen.b_closes));
    println!("C writes to its number: {}", written(&seen.c_writes));
    println!("C closes its number: {}", closed(&seen.c_closes));
    Ok(())
}
// ANCHOR_END: main
