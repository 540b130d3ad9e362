//! `EPOLLRDHUP`: a stream socket's peer shut down its writing half. Two
//! connections get the same treatment; one asked for `EPOLLRDHUP`, the
//! other did not. Data sent before the shutdown is still read, a read then
//! returns 0, and the socket can still send its answer.
//!
//! Run it with `cargo run -p ch03-level-edge-oneshot --example half_close`.

use ch01_raw_syscalls::consts::event_names;
use ch01_raw_syscalls::{EPOLL_CLOEXEC, EPOLLIN, EPOLLRDHUP, epoll_create1};
use ch02_interest_and_ready_lists::{add, token_of};
use ch03_level_edge_oneshot::{Stop, read_until_would_block, ready_now};
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::os::fd::{AsFd, BorrowedFd};
use std::os::unix::net::UnixStream;

const NAMES: [&str; 2] = ["with EPOLLRDHUP:   ", "without EPOLLRDHUP:"];

/// `epoll_wait` with timeout 0, one line per connection, by token.
fn wait(epoll: BorrowedFd<'_>) -> io::Result<()> {
    let mut ready = ready_now(epoll)?;
    ready.sort_unstable();
    println!("  epoll_wait");
    for (token, name) in NAMES.iter().enumerate() {
        let bits = ready
            .iter()
            .find(|&&(ready_token, _)| ready_token == token_of(token))
            .map_or("nothing".to_owned(), |&(_, bits)| event_names(bits));
        println!("    {name} {bits}");
    }
    Ok(())
}

// ANCHOR: half_close
pub fn main() -> io::Result<()> {
    let epoll = epoll_create1(EPOLL_CLOEXEC)?;
    // Token 0 asks for EPOLLRDHUP, token 1 does not.
    let mut ours = Vec::new();
    let mut peers = Vec::new();
    for (token, interest) in [EPOLLIN | EPOLLRDHUP, EPOLLIN].into_iter().enumerate() {
        let (socket, peer) = UnixStream::pair()?;
        socket.set_nonblocking(true)?;
        add(epoll.as_fd(), socket.as_fd(), interest, token_of(token))?;
        ours.push(socket);
        peers.push(peer);
    }

    println!("the peers send \"req\"");
    for peer in &mut peers {
        peer.write_all(b"req")?;
    }
    wait(epoll.as_fd())?;

    println!("the peers send \"uest\" and shut down their writing halves");
    for peer in &mut peers {
        peer.write_all(b"uest")?;
        peer.shutdown(Shutdown::Write)?;
    }
    wait(epoll.as_fd())?;

    println!("read_until_would_block on both");
    for socket in &ours {
        let mut data = Vec::new();
        let drained = read_until_would_block(socket.as_fd(), &mut data)?;
        let end = match drained.stop {
            Stop::EndOfFile => "then end of file",
            Stop::WouldBlock => "then EAGAIN",
            Stop::Budget => "then gave up",
        };
        let text = String::from_utf8_lossy(&data);
        println!("  {} bytes, {text:?}, {end}", drained.bytes);
    }
    wait(epoll.as_fd())?;

    println!("both answer \"reply\" through the same socket");
    for (socket, peer) in ours.iter_mut().zip(&mut peers) {
        socket.write_all(b"reply")?;
        let mut answer = [0; 5];
        peer.read_exact(&mut answer)?;
        println!("  the peer got {:?}", String::from_utf8_lossy(&answer));
    }

    println!("the peers close their sockets");
    drop(peers);
    wait(epoll.as_fd())?;
    Ok(())
}
// ANCHOR_END: half_close
