//! Figures a test measured (inputs tried, cells passed, timings), shown and kept: on the test's
//! stderr, which `cargo test` shows even for a passing test (libtest captures only the `print!`
//! family), and in `target/reliability/<file>`, which `make reliability` collects into
//! `docs/dev/reliability-figures.md`.

use std::io::Write as _;
use std::path::PathBuf;

/// `target/reliability/` of the workspace.
pub fn dir() -> PathBuf {
    // This crate is `crates/testkit` of the workspace whose `target/` the figures go to.
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join("target/reliability")
}

/// `shown` on stderr (after a blank line), and `kept` as `target/reliability/<file>`.
pub fn publish(file: &str, shown: &str, kept: &str) {
    let _ = writeln!(std::io::stderr(), "\n{shown}");
    let dir = dir();
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join(file), kept);
}
