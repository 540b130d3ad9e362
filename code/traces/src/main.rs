//! Writes the book's syscall traces, or checks them:
//!
//! ```console
//! cargo run -p traces              # write chapters/<crate>/traces/*.txt
//! cargo run -p traces -- --check   # write nothing; fail if one is stale
//! ```
//!
//! See the library's documentation for what is traced and how the traces
//! are made the same on every run.

use std::process::ExitCode;
use std::{env, fs, io};
use traces::{Checked, TRACES};

fn main() -> ExitCode {
    let check = match env::args().nth(1).as_deref() {
        None => false,
        Some("--check") => true,
        Some("--help" | "-h") => {
            println!("usage: cargo run -p traces [-- --check]");
            println!("writes chapters/<crate>/traces/*.txt from runs under strace;");
            println!("--check writes nothing and fails if a committed trace is stale");
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!("traces: unknown argument {other:?} (try --help)");
            return ExitCode::from(2);
        }
    };
    match run(check) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("traces: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Writes or checks every trace; `Ok(false)` if a check found one stale.
fn run(check: bool) -> io::Result<bool> {
    let Some(version) = traces::strace_version()? else {
        return Err(io::Error::other("strace is not installed"));
    };
    let root = traces::workspace_root();
    let mut all_fresh = true;
    for trace in TRACES {
        let file = trace.file();
        if check {
            match traces::check(&root, trace, &version)? {
                Checked::Same => println!("{}: up to date", file.display()),
                Checked::Stale { committed, fresh } => {
                    all_fresh = false;
                    println!(
                        "{}: stale; {}",
                        file.display(),
                        traces::first_difference(&committed, &fresh)
                    );
                }
                Checked::OtherStrace {
                    file: made,
                    installed,
                } => println!(
                    "{}: not compared (made with strace {made}, this is strace {installed})",
                    file.display()
                ),
            }
        } else {
            let text = traces::make(&root, trace, &version)?;
            let path = root.join(&file);
            fs::create_dir_all(path.parent().expect("a trace file has a directory"))?;
            fs::write(&path, text)?;
            println!("wrote {}", file.display());
        }
    }
    Ok(all_fresh)
}
