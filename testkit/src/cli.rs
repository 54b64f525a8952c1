//! The `cabready` binary as the end-to-end tests run it.

use std::path::Path;
use std::process::Command;

/// The failpoints the binary reads: a test sets them itself, never by inheritance.
const FAILPOINTS: &[&str] = &["CABREADY_TEST_CRASH_AFTER_SEND", "CABREADY_TEST_IMAP_CRASH"];

/// `binary` (the test's `env!("CARGO_BIN_EXE_cabready")`) run in `dir` with
/// none of the caller's CabReady settings: every `CABREADY_*` variable is
/// removed except the test servers' addresses (`CABREADY_TEST_*`, which the
/// binary does not read), so a setting in the developer's shell never
/// changes what a test sees.
pub fn command(binary: &str, dir: &Path) -> Command {
    let mut command = Command::new(binary);
    command.current_dir(dir);
    for (name, _) in std::env::vars_os() {
        let text = name.to_string_lossy();
        let setting = text.starts_with("CABREADY_") && !text.starts_with("CABREADY_TEST_");
        if setting || FAILPOINTS.contains(&text.as_ref()) {
            command.env_remove(&name);
        }
    }
    command
}
