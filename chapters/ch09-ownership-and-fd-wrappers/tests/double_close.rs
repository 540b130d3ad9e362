//! A double close hurts whoever got the number in between, and the
//! experiment that commits one on purpose leaves every descriptor of the
//! process as it found it.

use ch09_ownership_and_fd_wrappers::{PRIVATE_FLOOR, double_close, number_in_use, private_pipe};
use std::os::fd::AsRawFd;
use testkit::{assert_no_fd_leaks, open_fds};

#[test]
fn the_second_close_closes_the_pipe_that_reused_the_number() {
    let seen = assert_no_fd_leaks(double_close).unwrap();
    assert_eq!(seen.first_close, Ok(()));
    assert!(seen.b_got_a_number);
    assert_eq!(
        seen.second_close,
        Ok(()),
        "the second close found something to close"
    );
    assert_eq!(
        seen.b_reader_reads,
        Ok(Vec::new()),
        "B's pipe lost its only writer"
    );
    assert_eq!(seen.b_writes_to_nothing, Err(libc::EBADF));
    assert!(seen.c_got_the_number);
    assert_eq!(seen.b_writes_into_c, Ok(6));
    assert_eq!(seen.c_reader_reads, Ok(b"from B".to_vec()));
    assert_eq!(seen.b_closes, Ok(()), "B's close closed C's pipe");
    assert_eq!(seen.c_writes, Err(libc::EBADF));
    assert_eq!(seen.c_closes, Err(libc::EBADF));
}

#[test]
fn the_experiment_takes_the_lowest_free_number_above_its_floor() {
    assert_no_fd_leaks(|| {
        let before = open_fds();
        let (reader, writer) = private_pipe().unwrap();
        assert!(writer >= PRIVATE_FLOOR);
        assert!(reader.as_raw_fd() < PRIVATE_FLOOR);
        // Every number between the floor and the one it got was in use
        // already (normally there are none).
        assert!((PRIVATE_FLOOR..writer).all(|n| before.iter().any(|fd| fd.fd == n)));
        // SAFETY: `writer` came from private_pipe and nothing else has it;
        // this is its only close.
        assert_eq!(unsafe { libc::close(writer) }, 0);
        assert!(!number_in_use(writer));
    });
}
