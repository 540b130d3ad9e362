//! The crowd at the size `cargo test` runs, against chapter 11's server in
//! both of its modes: every connection held at once, every byte back and
//! checked, resets survived, hoarders held back, and a clean stop.

use bench::servers::{self, ServerSpec};
use echo_harness::{ServerProcess, Signal};
use reliability::crowd::{Config, Crowd, Report};
use std::io;
use std::time::Duration;

fn server(name: &str) -> ServerSpec {
    servers::build_all()
        .expect("building the servers")
        .into_iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no server {name}"))
}

/// Runs the quick crowd on `name`, checks what the server held, and
/// returns the report.
fn crowd_on(name: &str) -> io::Result<Report> {
    let config = Config::quick();
    let mut server = ServerProcess::spawn(&server(name).program)?;
    let idle = server.open_fds()?.len();
    let crowd = Crowd::connect(server.addr(), &config)?;
    let held =
        server.wait_for_open_fds_count(idle + config.connections(), Duration::from_secs(30))?;
    assert_eq!(
        held - idle,
        config.connections(),
        "{name} did not hold every connection at once"
    );
    let report = crowd.run()?;
    server.signal(Signal::Terminate)?;
    let status = server.wait_with_timeout(Duration::from_secs(30))?;
    assert!(status.success(), "{name}: {status}; {}", server.stderr());
    Ok(report)
}

fn assert_whole(report: &Report, config: &Config) {
    assert_eq!(report.connections, config.connections());
    assert_eq!(
        report.finished,
        config.echoers + config.hoarders,
        "{report:?}"
    );
    assert_eq!(report.resets, config.resetters, "{report:?}");
    // Every byte an echoer or hoarder sent came back; a resetter's may not.
    assert!(report.bytes_verified <= report.bytes_sent, "{report:?}");
    let lower = (config.echoers * config.bytes.0 + config.hoarders * config.hoard) as u64;
    assert!(report.bytes_verified >= lower, "{report:?}");
    // The hoarders could not push all of their megabyte into a server that
    // stopped reading them.
    assert!(
        report.hoarded < config.hoard as u64,
        "a hoarder sent everything without reading: {report:?}"
    );
}

#[test]
fn the_level_triggered_server_holds_the_crowd() -> io::Result<()> {
    let report = crowd_on("book")?;
    eprintln!("book: {report:?}");
    assert_whole(&report, &Config::quick());
    Ok(())
}

#[test]
fn the_edge_triggered_server_holds_the_crowd() -> io::Result<()> {
    let report = crowd_on("book ET")?;
    eprintln!("book ET: {report:?}");
    assert_whole(&report, &Config::quick());
    Ok(())
}

#[test]
fn an_empty_crowd_is_refused() {
    let config = Config {
        echoers: 0,
        resetters: 0,
        hoarders: 0,
        ..Config::quick()
    };
    let addr = "127.0.0.1:9".parse().unwrap();
    let err = Crowd::connect(addr, &config).err().expect("refused");
    assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{err}");
}
