//! The same stream of bytes through three pipes, one per mode, each in an
//! epoll instance of its own: what every `epoll_wait` reports under
//! level-triggered, edge-triggered and one-shot notification.
//!
//! Run it with `cargo run -p ch03-level-edge-oneshot --example three_modes`.

use ch01_raw_syscalls::{
    EPOLL_CLOEXEC, EPOLLIN, O_CLOEXEC, O_NONBLOCK, epoll_create1, pipe2, read, write,
};
use ch02_interest_and_ready_lists::add;
use ch03_level_edge_oneshot::{Mode, read_until_would_block, ready_now};
use std::io;
use std::os::fd::{AsFd, OwnedFd};

/// One pipe, watched in one mode by an epoll instance of its own.
struct Watched {
    epoll: OwnedFd,
    reader: OwnedFd,
    writer: OwnedFd,
}

impl Watched {
    fn new(mode: Mode) -> io::Result<Watched> {
        let epoll = epoll_create1(EPOLL_CLOEXEC)?;
        let (reader, writer) = pipe2(O_CLOEXEC | O_NONBLOCK)?;
        add(epoll.as_fd(), reader.as_fd(), EPOLLIN | mode.flag(), 1)?;
        Ok(Watched {
            epoll,
            reader,
            writer,
        })
    }
}

/// One step of the script, done to all three pipes alike.
enum Step {
    Write(&'static [u8]),
    Read(usize),
    ReadAll,
    Wait,
}

// ANCHOR: script
const SCRIPT: [Step; 9] = [
    Step::Write(b"0123456789"),
    Step::Wait,
    Step::Wait,
    Step::Read(4),
    Step::Wait,
    Step::Write(b"abcde"),
    Step::Wait,
    Step::ReadAll,
    Step::Wait,
];
// ANCHOR_END: script

// ANCHOR: three_modes
pub fn main() -> io::Result<()> {
    let pipes: Vec<Watched> = Mode::ALL
        .into_iter()
        .map(Watched::new)
        .collect::<io::Result<_>>()?;
    let mut unread = 0;
    let names: String = Mode::ALL
        .iter()
        .map(|mode| format!("{:<9}", mode.name()))
        .collect();
    let header = format!("{:<12} {:>6}  {names}", "step", "unread");
    println!("{}", header.trim_end());
    for step in SCRIPT {
        let mut cells = Vec::new();
        let what = match step {
            Step::Write(bytes) => {
                for pipe in &pipes {
                    write(pipe.writer.as_fd(), bytes)?;
                }
                unread += bytes.len();
                format!("write {}", bytes.len())
            }
            Step::Read(len) => {
                for pipe in &pipes {
                    let got = read(pipe.reader.as_fd(), &mut vec![0; len])?;
                    assert_eq!(got, len, "the pipe holds more than {len} bytes");
                }
                unread -= len;
                format!("read {len}")
            }
            Step::ReadAll => {
                for pipe in &pipes {
                    read_until_would_block(pipe.reader.as_fd(), &mut Vec::new())?;
                }
                let all = format!("read {unread}");
                unread = 0;
                all
            }
            Step::Wait => {
                for pipe in &pipes {
                    let ready = ready_now(pipe.epoll.as_fd())?;
                    cells.push(if ready.is_empty() { "-" } else { "EPOLLIN" });
                }
                "epoll_wait".to_owned()
            }
        };
        let cells: String = cells.iter().map(|cell| format!("{cell:<9}")).collect();
        let line = format!("{what:<12} {unread:>6}  {cells}");
        println!("{}", line.trim_end());
    }
    Ok(())
}
// ANCHOR_END: three_modes
