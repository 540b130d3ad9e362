//! The `echo_client` example, and a server stopped with connections still
//! open, close every file descriptor they open. Each runs here, in this
//! process, between two looks at /proc/self/fd. All tests in this binary
//! go through `assert_no_fd_leaks`, which runs them one at a time.
//!
//! The `echo_edge` example is not here: it is a server, which runs until a
//! signal instead of finishing. `tests/edge_triggered.rs` runs it as a
//! process, and its contract check counts the server's fds.

#[path = "../examples/echo_client.rs"]
mod echo_client;

use ch11_tcp_echo_server::{Config, ServerThread};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;
use testkit::assert_no_fd_leaks;

#[test]
fn echo_client_closes_everything() {
    assert_no_fd_leaks(echo_client::main).unwrap();
}

#[test]
fn a_stopped_server_closes_its_connections_and_its_own_fds() {
    assert_no_fd_leaks(|| {
        let server =
            ServerThread::spawn(SocketAddr::from(([127, 0, 0, 1], 0)), Config::default()).unwrap();
        let mut clients: Vec<TcpStream> = (0..10)
            .map(|_| TcpStream::connect(server.addr()).unwrap())
            .collect();
        for client in &mut clients {
            client
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            client.write_all(b"x").unwrap();
            let mut byte = [0u8];
            client.read_exact(&mut byte).unwrap();
        }
        let report = server.stop().unwrap();
        assert_eq!(report.stats.closed_at_shutdown, 10);
        for client in &mut clients {
            // The server closed its end: end-of-file.
            assert_eq!(client.read(&mut [0u8; 1]).unwrap(), 0);
        }
    });
}
