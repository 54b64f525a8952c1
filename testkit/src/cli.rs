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

/// A header's value in a raw `.eml` file the binary wrote (first line only:
/// enough for ours).
pub fn header_of(raw: &str, name: &str) -> String {
    raw.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_default()
        .to_string()
}

/// A reminder in `<data_dir>/outbox/new` that no message of
/// `<data_dir>/inbox/cur` answers yet (by its Message-ID), among those
/// `wanted` keeps.
pub fn unanswered_reminder(data_dir: &Path, wanted: impl Fn(&str) -> bool) -> Option<String> {
    let read_all = |dir: &str| -> Vec<String> {
        std::fs::read_dir(data_dir.join(dir))
            .unwrap()
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap())
            .collect()
    };
    let answered = read_all("inbox/cur");
    read_all("outbox/new").into_iter().find(|raw| {
        let id = header_of(raw, "Message-ID");
        wanted(raw) && !answered.iter().any(|a| a.contains(&id))
    })
}
