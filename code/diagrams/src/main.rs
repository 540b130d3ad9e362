//! Writes every diagram of the book into `src/diagrams/`:
//! `cargo run -p diagrams`.

use diagrams::{DIAGRAMS, out_dir};
use std::fs;
use std::io;

fn main() -> io::Result<()> {
    let dir = out_dir();
    fs::create_dir_all(&dir)?;
    for diagram in &DIAGRAMS {
        let path = dir.join(diagram.file);
        fs::write(&path, (diagram.draw)().finish())?;
        println!("wrote src/diagrams/{}", diagram.file);
    }
    Ok(())
}
