//! The embedded default's mailbox: a Maildir at `<data_dir>/inbox/`. New
//! messages are in `new/`; each one is processed, then moved to `cur/`
//! with the Maildir flags `S` (seen) and, when a person must sort it,
//! `F` (flagged). Never deleted. The move happens after the commit: a
//! crash in between leaves the message in `new/`, and the next pass finds
//! it already recorded and only moves it.

use crate::inbound::actions::{Inbox, Outcome, Report};
use anyhow::{Context, Result};
use cabready_store::Store;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// One message of a pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub file: String,
    /// `None`: already processed before.
    pub report: Option<Report>,
    pub error: Option<String>,
}

/// What a pass did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PassReport {
    pub processed: usize,
    pub duplicates: usize,
    pub triaged: usize,
    pub failed: usize,
    pub lines: Vec<Line>,
}

/// Creates `new/`, `cur/` and `tmp/` when missing.
pub fn ensure(dir: &Path) -> Result<()> {
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.join(sub))
            .with_context(|| format!("impossible de créer {}", dir.join(sub).display()))?;
    }
    Ok(())
}

/// The files waiting in `new/`, oldest name first.
pub fn waiting(dir: &Path) -> Result<Vec<PathBuf>> {
    let new = dir.join("new");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&new)
        .with_context(|| format!("impossible de lire {}", new.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.'))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Moves a processed message to `cur/` with its flags.
fn file_away(dir: &Path, path: &Path, flagged: bool) -> Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("message");
    let base = name.split(":2,").next().unwrap_or(name);
    let flags = if flagged { "FS" } else { "S" };
    let target = dir.join("cur").join(format!("{base}:2,{flags}"));
    match std::fs::rename(path, &target) {
        Ok(()) => Ok(()),
        // Another pass (cron and serve at once) filed it first: nothing lost.
        Err(_) if !path.exists() => Ok(()),
        Err(error) => Err(error)
            .with_context(|| format!("impossible de déplacer {} vers cur/", path.display())),
    }
}

/// Processes everything in `new/` (with `dry_run`: reads and decides,
/// writes nothing and moves nothing).
pub async fn pass(
    inbox: &Inbox,
    store: &Store,
    dir: &Path,
    now: DateTime<Utc>,
    dry_run: bool,
) -> Result<PassReport> {
    ensure(dir)?;
    let mut report = PassReport::default();
    for path in waiting(dir)? {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let raw = match std::fs::read(&path) {
            Ok(raw) => raw,
            // Filed away by another pass meanwhile.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => {
                report.failed += 1;
                report.lines.push(Line {
                    file,
                    report: None,
                    error: Some(error.to_string()),
                });
                continue;
            }
        };
        let result = if dry_run {
            inbox
                .preview(store, &raw, now)
                .await
                .map(Outcome::Processed)
        } else {
            inbox.process(store, &raw, None, now).await
        };
        match result {
            Ok(Outcome::Processed(done)) => {
                report.processed += 1;
                if done.triaged {
                    report.triaged += 1;
                }
                if !dry_run {
                    file_away(dir, &path, done.triaged)?;
                }
                report.lines.push(Line {
                    file,
                    report: Some(done),
                    error: None,
                });
            }
            Ok(Outcome::Duplicate) => {
                report.duplicates += 1;
                if !dry_run {
                    file_away(dir, &path, false)?;
                }
                report.lines.push(Line {
                    file,
                    report: None,
                    error: None,
                });
            }
            Err(error) => {
                // Left in new/: the next pass tries again.
                tracing::error!(file = %file, error = %format!("{error:#}"), "reply not processed");
                report.failed += 1;
                report.lines.push(Line {
                    file,
                    report: None,
                    error: Some(format!("{error:#}")),
                });
            }
        }
    }
    Ok(report)
}
