//! The production mailbox: IMAP (async-imap over TLS, STARTTLS, or plain
//! on loopback: [`transport`]).
//! One pass: select the mailbox, compare its UIDVALIDITY with the
//! checkpoint (a new UIDVALIDITY starts again from UID 1: the per-message
//! idempotency keeps that safe), list the UIDs above the checkpoint with
//! their sizes (one `UID FETCH n:* (UID RFC822.SIZE)`), then work in
//! batches of at most 200 messages and 4 MB (a bigger message is a batch
//! alone, so memory stays bounded whatever arrives):
//!
//! 1. one `UID FETCH set (UID BODY.PEEK[])` for the batch;
//! 2. [`Inbox::process_batch`]: every message read, then applied in one
//!    database transaction, each in its own savepoint with its
//!    "processed" row and journal lines (a message that fails is rolled
//!    back alone and left in the mailbox; the others go on);
//! 3. one `UID MOVE set folder` per target folder (processed, triage), or
//!    flags when no folder is configured. Never deleted, but for the copy
//!    left in the mailbox of a message the folder already holds (below);
//! 4. the checkpoint moves to the end of the batch — never past a message
//!    that was not filed away.
//!
//! Four round trips and one commit per batch instead of per message. The
//! batches are pipelined on the one session: while batch k's transaction
//! runs, the session files batch k-1 away and fetches batch k+1, so at
//! most two batches of bodies are in memory; batch k-1's checkpoint is
//! written once it is filed and both sides are done.
//!
//! Why a crash anywhere loses nothing and applies nothing twice. The guard
//! is the per-message idempotency in the database (one row per Message-ID
//! and per mailbox + UIDVALIDITY + UID, written in the same transaction as
//! the message's actions); the checkpoint is only an optimisation, and a
//! message found already recorded is only filed away, where the first pass
//! would have filed it (its triage row says which folder).
//! - Killed after the fetch, before the commit: nothing of the batch is
//!   in the database and every message is still in the mailbox above the
//!   checkpoint: the next pass reads them all again, once.
//! - Killed after the commit, before or during the moves: the messages are
//!   recorded and still (some of them) in the mailbox; the next pass finds
//!   them recorded and only moves them. With the pipeline, a kill during
//!   batch k-1's moves may find batch k committed or not (one transaction:
//!   all of it or nothing) and batch k+1 fetched or not: the same two
//!   cases as above, for each batch.
//! - Killed during a move: Dovecot moves by a copy then an expunge, and a
//!   move cut short can leave a message in the folder and in the mailbox.
//!   The next pass finds it recorded; before filing a recorded message it
//!   looks for its Message-ID in the folder (`Folders::already_in`), and
//!   a message found there is only removed from the mailbox (`UID EXPUNGE`
//!   of that UID), so none is filed twice.
//! - Killed after the moves, before the checkpoint: the moved messages are
//!   no longer in the mailbox, so the next pass does not see them; the
//!   checkpoint catches up at its next batch.
//! - A message that failed stays in the mailbox and holds the checkpoint
//!   below it: it is read again at the next pass (the pass reports an
//!   error, [`run`] retries with backoff) while the others are filed.
//!
//! [`run`] keeps one session open: after each pass it waits for new mail
//! with IDLE (RFC 2177) when the server offers it, re-issued every
//! [`IDLE_RENEW`], else it polls every `poll_seconds`; any error closes the
//! session and a new one is opened after 1, 2, 4… seconds (at most 60).

mod transport;

use crate::config::{ImapSecurity, Secret};
use crate::inbound::actions::{Handled, Inbox, Incoming};
use crate::inbound::parse;
use anyhow::{anyhow, Context, Result};
use cabready_store::inbound::{self, ImapPlace};
use cabready_store::{Clock, Store};
use futures_util::TryStreamExt;
use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
pub use transport::{
    is_loopback, plain_refused, read_ca_file, tls_connector, ImapSession, ImapStream,
    CONNECT_TIMEOUT,
};

/// Where and how to read.
#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub security: ImapSecurity,
    /// Plain IMAP accepted to a host that is not loopback.
    pub allow_plain_over_network: bool,
    /// A private CA (PEM) trusted besides the public ones.
    pub ca_file: Option<PathBuf>,
    pub username: String,
    /// Never printed: `Debug` shows `***`.
    pub password: Secret,
    /// The mailbox replies arrive in.
    pub mailbox: String,
    /// Where processed messages go (`None`: flagged `\Seen` in place).
    pub processed_folder: Option<String>,
    /// Where messages a person must sort go (`None`: flagged `\Flagged`).
    pub triage_folder: Option<String>,
    /// Seconds between two passes when not idling.
    pub poll_seconds: u64,
    /// Wait with IDLE when the server offers it.
    pub idle: bool,
}

impl ImapConfig {
    /// The defaults of `[mail.imap]` for this server and login: `tls`
    /// (`plain` for a loopback host), INBOX, the two CabReady folders,
    /// IDLE, a poll every 60 s. Tests and benchmarks start from it.
    pub fn new(
        host: impl Into<String>,
        port: u16,
        username: impl Into<String>,
        password: impl Into<Secret>,
    ) -> ImapConfig {
        let host = host.into();
        ImapConfig {
            security: crate::config::default_security(&host),
            host,
            port,
            allow_plain_over_network: false,
            ca_file: None,
            username: username.into(),
            password: password.into(),
            mailbox: "INBOX".into(),
            processed_folder: Some("CabReady/Traité".into()),
            triage_folder: Some("CabReady/À trier".into()),
            poll_seconds: 60,
            idle: true,
        }
    }

    /// The settings of `[mail.imap]`, with the password read from its
    /// variable or file and the CA file checked.
    pub fn from_section(section: &crate::config::ImapSection) -> Result<ImapConfig> {
        if let Some(problem) = section.problems().into_iter().next() {
            anyhow::bail!(problem);
        }
        let password = section.password()?;
        if let Some(file) = &section.ca_file {
            read_ca_file(file)?;
        }
        Ok(ImapConfig {
            host: section.host.trim().to_string(),
            port: section.port(),
            security: section.security(),
            allow_plain_over_network: section.allow_plain_over_network,
            ca_file: section.ca_file.clone(),
            username: section.username.clone().unwrap_or_default(),
            password,
            mailbox: section.mailbox.clone(),
            processed_folder: Some(section.processed_folder.clone()),
            triage_folder: Some(section.triage_folder.clone()),
            poll_seconds: section.poll_seconds,
            idle: section.idle,
        })
    }

    /// The mailbox as the database knows it (checkpoint, per-UID
    /// idempotency): `user@host/INBOX`. UIDs and UIDVALIDITY only mean
    /// something within one account, and two accounts' INBOXes created in
    /// the same second share a UIDVALIDITY: keyed by name alone, a firm that
    /// changes accounts would take the new one's messages for ones it has
    /// already read, and skip them.
    pub fn account_mailbox(&self) -> String {
        format!(
            "{}@{}/{}",
            self.username.trim().to_lowercase(),
            self.host.trim().to_lowercase(),
            self.mailbox
        )
    }

    /// `imaps://host:993/INBOX`, for messages (no user, no password).
    pub fn describe(&self) -> String {
        let scheme = match self.security {
            ImapSecurity::Tls => "imaps",
            ImapSecurity::Starttls => "imap+starttls",
            ImapSecurity::Plain => "imap",
        };
        format!("{scheme}://{}:{}/{}", self.host, self.port, self.mailbox)
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImapReport {
    pub processed: usize,
    pub duplicates: usize,
    pub triaged: usize,
    pub uidvalidity_changed: bool,
}

/// A mailbox name in IMAP's modified UTF-7 (RFC 3501 §5.1.3): "Traité" → "Trait&AOk-".
pub fn utf7_imap(name: &str) -> String {
    use base64::Engine as _;
    let mut out = String::new();
    let mut pending: Vec<u16> = Vec::new();
    let flush = |out: &mut String, pending: &mut Vec<u16>| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        let encoded = base64::engine::general_purpose::STANDARD_NO_PAD
            .encode(bytes)
            .replace('/', ",");
        out.push('&');
        out.push_str(&encoded);
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut out, &mut pending);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut out, &mut pending);
    out
}

/// Connects and logs in (see [`transport::connect`]).
pub async fn connect(config: &ImapConfig) -> Result<ImapSession> {
    transport::connect(config, None).await
}

/// The server's name for a folder written `A/B` in the configuration.
async fn folder_name(session: &mut ImapSession, folder: &str) -> Result<String> {
    // `LIST "" ""`: the hierarchy delimiter (async-imap writes a `None`
    // pattern as `""`; `Some("")` would send no pattern at all).
    let names: Vec<_> = session.list(Some(""), None).await?.try_collect().await?;
    let delimiter = names
        .first()
        .and_then(|n| n.delimiter())
        .unwrap_or("/")
        .to_string();
    Ok(utf7_imap(
        &folder.split('/').collect::<Vec<_>>().join(&delimiter),
    ))
}

async fn ensure_folder(session: &mut ImapSession, name: &str) -> Result<()> {
    // Exists already → the server says NO: fine.
    let _ = session.create(name).await;
    Ok(())
}

/// One pass over the mailbox.
pub async fn pass(
    inbox: &Inbox,
    store: &Store,
    config: &ImapConfig,
    clock: &Clock,
) -> Result<ImapReport> {
    let mut session = connect(config).await?;
    let result = pass_in(inbox, store, config, clock, &mut session).await;
    let _ = session.logout().await;
    result
}

async fn pass_in(
    inbox: &Inbox,
    store: &Store,
    config: &ImapConfig,
    clock: &Clock,
    session: &mut ImapSession,
) -> Result<ImapReport> {
    let mut report = ImapReport::default();
    let processed_folder = match &config.processed_folder {
        Some(f) => {
            let name = folder_name(session, f).await?;
            ensure_folder(session, &name).await?;
            Some(name)
        }
        None => None,
    };
    let triage_folder = match &config.triage_folder {
        Some(f) => {
            let name = folder_name(session, f).await?;
            ensure_folder(session, &name).await?;
            Some(name)
        }
        None => None,
    };
    let mailbox = session
        .select(&config.mailbox)
        .await
        .with_context(|| format!("impossible d'ouvrir la boîte IMAP {}", config.mailbox))?;
    let validity = i64::from(mailbox.uid_validity.unwrap_or(0));
    let mut conn = store.pool().acquire().await?;
    let account_mailbox = config.account_mailbox();
    let checkpoint = inbound::checkpoint(&mut conn, inbox.firm_id, &account_mailbox).await?;
    drop(conn);
    let last_uid = match checkpoint {
        Some((v, uid)) if v == validity => uid,
        Some(_) => {
            report.uidvalidity_changed = true;
            0
        }
        None => 0,
    };
    if mailbox.exists == 0 {
        return Ok(report);
    }
    let pending = new_messages(session, last_uid).await?;
    let folders = Folders {
        processed: processed_folder.as_deref(),
        triage: triage_folder.as_deref(),
        mailbox: &config.mailbox,
        validity,
    };
    // The lowest UID not filed away in this pass (a failed message, one
    // the server did not return): the checkpoint never passes it.
    let mut first_unfiled: Option<u32> = None;
    let mut failures: Vec<(u32, anyhow::Error)> = Vec::new();
    let batches = batches(&pending);
    // Pipelined: while batch k is applied in the database, the session
    // files batch k-1 away and fetches batch k+1 (at most two batches of
    // bodies in memory). Batch k-1's checkpoint is written once it is
    // filed, after both sides are done.
    let mut ahead: Option<(usize, Vec<async_imap::types::Fetch>)> = None;
    if let Some(first) = batches.first() {
        let fetched = fetch_bodies(session, first).await?;
        let ordinal = failpoint::fetched();
        failpoint::reach("after_fetch", ordinal);
        ahead = Some((ordinal, fetched));
    }
    let mut to_file: Option<ToFile> = None;
    for (k, batch) in batches.iter().enumerate() {
        let (ordinal, fetched) = ahead.take().expect("each batch is fetched ahead");
        let mut uids = Vec::with_capacity(fetched.len());
        let mut incoming = Vec::with_capacity(fetched.len());
        for fetch in &fetched {
            if let (Some(uid), Some(raw)) = (fetch.uid, fetch.body()) {
                uids.push(uid);
                incoming.push(Incoming {
                    raw,
                    place: Some(ImapPlace {
                        mailbox: account_mailbox.clone(),
                        uidvalidity: validity,
                        uid: i64::from(uid),
                    }),
                });
            }
        }
        let following = batches.get(k + 1).copied();
        let imap = async {
            if let Some(filing) = &to_file {
                filing.file(&folders, session).await?;
            }
            match following {
                Some(next) => {
                    let fetched = fetch_bodies(session, next).await?;
                    let ordinal = failpoint::fetched();
                    failpoint::reach("after_fetch", ordinal);
                    Ok::<_, anyhow::Error>(Some((ordinal, fetched)))
                }
                None => Ok(None),
            }
        };
        let database = async {
            let results = inbox.process_batch(store, &incoming, clock.now()).await;
            if results.is_ok() {
                failpoint::reach("after_commit", ordinal);
            }
            results
        };
        // The IMAP side first: its command is on the wire while the
        // messages are read and applied.
        let (fetched_ahead, results) = futures_util::future::join(imap, database).await;
        ahead = fetched_ahead?;
        if let Some(filed) = to_file.take() {
            write_checkpoint(
                store,
                inbox,
                config,
                clock,
                validity,
                last_uid,
                filed.end,
                first_unfiled,
            )
            .await?;
        }
        let results = results?;
        let (mut done, mut triage) = (Vec::new(), Vec::new());
        let mut recorded = HashMap::new();
        for ((uid, result), message) in uids.iter().zip(results).zip(&incoming) {
            match result {
                Ok(handled) => {
                    match &handled {
                        Handled::Processed(_) => report.processed += 1,
                        Handled::Duplicate { .. } => {
                            report.duplicates += 1;
                            if let Some(id) = parse::parse(message.raw).and_then(|m| m.message_id) {
                                recorded.insert(*uid, id);
                            }
                        }
                    }
                    if handled.triaged() {
                        if matches!(handled, Handled::Processed(_)) {
                            report.triaged += 1;
                        }
                        triage.push(*uid);
                    } else {
                        done.push(*uid);
                    }
                }
                Err(error) => {
                    tracing::warn!(uid, error = %format!("{error:#}"), "reply left in the mailbox");
                    failures.push((*uid, error));
                }
            }
        }
        for &(uid, _) in *batch {
            let filed = done.contains(&uid) || triage.contains(&uid);
            if !filed && first_unfiled.is_none_or(|first| uid < first) {
                first_unfiled = Some(uid);
            }
        }
        drop(incoming);
        drop(fetched);
        to_file = Some(ToFile {
            ordinal,
            done,
            triage,
            recorded,
            end: batch.last().map_or(0, |&(uid, _)| uid),
        });
    }
    if let Some(filed) = to_file.take() {
        filed.file(&folders, session).await?;
        write_checkpoint(
            store,
            inbox,
            config,
            clock,
            validity,
            last_uid,
            filed.end,
            first_unfiled,
        )
        .await?;
    }
    if let Some((uid, error)) = failures.first() {
        return Err(anyhow!(
            "{} message(s) non traité(s), laissé(s) dans {} (UID {}) ; {} autre(s) traité(s) ; première erreur (UID {uid}) : {error:#}",
            failures.len(),
            config.mailbox,
            failures
                .iter()
                .map(|(uid, _)| uid.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            report.processed + report.duplicates,
        ));
    }
    Ok(report)
}

/// A batch applied in the database, to be filed away.
struct ToFile {
    /// Its number among the batches this process fetched (failpoints).
    ordinal: usize,
    done: Vec<u32>,
    triage: Vec<u32>,
    /// The Message-IDs of those found already recorded, by UID.
    recorded: HashMap<u32, String>,
    /// Its highest UID.
    end: u32,
}

impl ToFile {
    async fn file(&self, folders: &Folders<'_>, session: &mut ImapSession) -> Result<()> {
        folders
            .file(session, &self.done, false, &self.recorded)
            .await?;
        folders
            .file(session, &self.triage, true, &self.recorded)
            .await?;
        failpoint::reach("after_move", self.ordinal);
        Ok(())
    }
}

/// The checkpoint moved to the end of a filed batch — never past a
/// message not filed away (`first_unfiled`), never backwards.
#[allow(clippy::too_many_arguments)]
async fn write_checkpoint(
    store: &Store,
    inbox: &Inbox,
    config: &ImapConfig,
    clock: &Clock,
    validity: i64,
    last_uid: i64,
    batch_end: u32,
    first_unfiled: Option<u32>,
) -> Result<()> {
    let safe = match first_unfiled {
        Some(first) => batch_end.min(first - 1),
        None => batch_end,
    };
    if i64::from(safe) > last_uid {
        let mut conn = store.pool().acquire().await?;
        inbound::set_checkpoint(
            &mut conn,
            inbox.firm_id,
            &config.account_mailbox(),
            validity,
            i64::from(safe),
            clock.now(),
        )
        .await?;
    }
    Ok(())
}

/// At most this many messages per FETCH and per database transaction.
const BATCH_MESSAGES: usize = 200;
/// At most this many bytes per FETCH (a bigger message is fetched alone):
/// a batch holds at most this much mail in memory, plus one message.
const BATCH_BYTES: u64 = 4 * 1024 * 1024;

/// The UIDs above the checkpoint and their sizes, in UID order: one
/// `UID FETCH n:* (UID RFC822.SIZE)` (which also answers the highest UID
/// when none is above `n`: filtered out).
async fn new_messages(session: &mut ImapSession, last_uid: i64) -> Result<Vec<(u32, u64)>> {
    let mut pending: Vec<(u32, u64)> = session
        .uid_fetch(format!("{}:*", last_uid + 1), "(UID RFC822.SIZE)")
        .await?
        .try_filter_map(|fetch| async move {
            Ok(fetch
                .uid
                .filter(|uid| i64::from(*uid) > last_uid)
                .map(|uid| (uid, u64::from(fetch.size.unwrap_or(0)))))
        })
        .try_collect()
        .await?;
    pending.sort_unstable();
    pending.dedup_by_key(|(uid, _)| *uid);
    Ok(pending)
}

/// Consecutive runs of at most [`BATCH_MESSAGES`] messages and
/// [`BATCH_BYTES`] bytes; a message bigger than that is a batch alone.
fn batches(pending: &[(u32, u64)]) -> Vec<&[(u32, u64)]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0u64);
    for (i, &(_, size)) in pending.iter().enumerate() {
        let count = i - start;
        if count > 0 && (count >= BATCH_MESSAGES || bytes + size > BATCH_BYTES) {
            out.push(&pending[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < pending.len() {
        out.push(&pending[start..]);
    }
    out
}

/// A UID set in IMAP syntax, runs compressed: `3:5,9,12:14`.
fn uid_set(uids: &[u32]) -> String {
    let mut sorted = uids.to_vec();
    sorted.sort_unstable();
    let mut out = String::new();
    let mut i = 0;
    while i < sorted.len() {
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] == sorted[j] + 1 {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if j > i {
            out.push_str(&format!("{}:{}", sorted[i], sorted[j]));
        } else {
            out.push_str(&sorted[i].to_string());
        }
        i = j + 1;
    }
    out
}

/// One `UID FETCH set (UID BODY.PEEK[])` for a batch, streamed into memory.
async fn fetch_bodies(
    session: &mut ImapSession,
    batch: &[(u32, u64)],
) -> Result<Vec<async_imap::types::Fetch>> {
    let uids: Vec<u32> = batch.iter().map(|&(uid, _)| uid).collect();
    Ok(session
        .uid_fetch(uid_set(&uids), "(UID BODY.PEEK[])")
        .await?
        .try_collect()
        .await?)
}

/// Crash points for the fault tests, in debug builds only (release builds
/// compile them to nothing): `CABREADY_TEST_IMAP_CRASH=STAGE:N` kills the
/// process with SIGKILL, no clean-up at all, when the N-th batch fetched
/// by this process reaches STAGE: `after_fetch` (bodies in memory, nothing
/// committed), `after_commit` (recorded, not moved) or `after_move` (moved,
/// checkpoint not written). `tests/reply_worker_faults.rs` uses it.
mod failpoint {
    #[cfg(debug_assertions)]
    static BATCHES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

    /// A batch was fetched: its number among those this process fetched.
    #[cfg(debug_assertions)]
    pub fn fetched() -> usize {
        BATCHES.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
    }

    /// `batch` reached `stage`.
    #[cfg(debug_assertions)]
    pub fn reach(stage: &str, batch: usize) {
        let Ok(spec) = std::env::var("CABREADY_TEST_IMAP_CRASH") else {
            return;
        };
        let Some((at, n)) = spec.split_once(':') else {
            return;
        };
        if at == stage && n.parse::<usize>().ok() == Some(batch) {
            eprintln!("CABREADY_TEST_IMAP_CRASH: killed {stage} of batch {n}");
            let _ = std::process::Command::new("kill")
                .args(["-KILL", &std::process::id().to_string()])
                .status();
            std::process::abort();
        }
    }

    #[cfg(not(debug_assertions))]
    #[inline(always)]
    pub fn fetched() -> usize {
        0
    }

    #[cfg(not(debug_assertions))]
    #[inline(always)]
    pub fn reach(_stage: &str, _batch: usize) {}
}

/// Where filed messages go.
struct Folders<'a> {
    processed: Option<&'a str>,
    triage: Option<&'a str>,
    /// The mailbox read, and its UIDVALIDITY: selected again after a look
    /// into a folder.
    mailbox: &'a str,
    validity: i64,
}

impl Folders<'_> {
    /// One `UID MOVE` (or `UID STORE` of flags, without folders) for all
    /// these messages, but for those found already recorded (`recorded`,
    /// their Message-IDs) that the folder already holds: a move cut short
    /// copied them there, and they are only removed from the mailbox.
    async fn file(
        &self,
        session: &mut ImapSession,
        uids: &[u32],
        triage: bool,
        recorded: &HashMap<u32, String>,
    ) -> Result<()> {
        if uids.is_empty() {
            return Ok(());
        }
        let target = if triage { self.triage } else { self.processed };
        let Some(folder) = target else {
            let flags = if triage {
                "+FLAGS.SILENT (\\Seen \\Flagged)"
            } else {
                "+FLAGS.SILENT (\\Seen)"
            };
            let _: Vec<_> = session
                .uid_store(uid_set(uids), flags)
                .await?
                .try_collect()
                .await?;
            return Ok(());
        };
        let copied = self.already_in(session, folder, uids, recorded).await?;
        if !copied.is_empty() {
            let set = uid_set(&copied);
            let _: Vec<_> = session
                .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
                .await?
                .try_collect()
                .await?;
            let _: Vec<_> = session.uid_expunge(&set).await?.try_collect().await?;
        }
        let moved: Vec<u32> = uids
            .iter()
            .copied()
            .filter(|uid| !copied.contains(uid))
            .collect();
        if !moved.is_empty() {
            session.uid_mv(uid_set(&moved), folder).await?;
        }
        Ok(())
    }

    /// Which of these messages, found already recorded, `folder` holds
    /// already (a search by Message-ID there; only after a crash, so the
    /// usual pass sends nothing more). A Message-ID that cannot be written
    /// in a search (not printable ASCII) is not looked for.
    async fn already_in(
        &self,
        session: &mut ImapSession,
        folder: &str,
        uids: &[u32],
        recorded: &HashMap<u32, String>,
    ) -> Result<Vec<u32>> {
        let wanted: Vec<(u32, String)> = uids
            .iter()
            .filter_map(|uid| Some((*uid, search_string(recorded.get(uid)?)?)))
            .collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        session.examine(folder).await?;
        let mut copied = Vec::new();
        let mut looked = Ok(());
        for (uid, id) in &wanted {
            match session.uid_search(format!("HEADER Message-ID {id}")).await {
                Ok(found) if !found.is_empty() => copied.push(*uid),
                Ok(_) => {}
                Err(error) => {
                    looked = Err(error);
                    break;
                }
            }
        }
        // The mailbox again, whatever the search gave.
        let mailbox = session.select(self.mailbox).await?;
        looked?;
        if i64::from(mailbox.uid_validity.unwrap_or(0)) != self.validity {
            return Err(anyhow!(
                "la boîte IMAP {} a changé pendant le classement (UIDVALIDITY)",
                self.mailbox
            ));
        }
        Ok(copied)
    }
}

/// A Message-ID (without its angle brackets) as an IMAP quoted string
/// with them, or `None` when it holds other than printable ASCII.
fn search_string(id: &str) -> Option<String> {
    if !id.chars().all(|c| (' '..='~').contains(&c)) {
        return None;
    }
    let escaped = id.replace('\\', "\\\\").replace('"', "\\\"");
    Some(format!("\"<{escaped}>\""))
}

/// How long one IDLE lasts before it is ended and issued again (RFC 2177:
/// servers may log a client off after 30 minutes of inactivity).
pub const IDLE_RENEW: Duration = Duration::from_secs(25 * 60);

/// After this long without a command a polling session is closed and a
/// new one opened for the next pass, rather than reusing one the server
/// may have dropped.
const POLL_REUSE_LIMIT: Duration = Duration::from_secs(20 * 60);

/// Reads the mailbox until `stop` resolves: one session kept open, a pass,
/// then IDLE until new mail (when the server offers it and `idle` is on),
/// or `poll_seconds` of sleep; on any error the session is dropped and a
/// new one opened after 1, 2, 4… seconds (at most 60). A stop ends the
/// wait at once; a pass in progress finishes first.
pub async fn run(
    inbox: &Inbox,
    store: &Store,
    config: &ImapConfig,
    clock: &Clock,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    // Built once; when the CA file cannot be read, each connection tries
    // again (and says why).
    let connector = match config.security {
        ImapSecurity::Plain => None,
        _ => tls_connector(config.ca_file.as_deref()).ok(),
    };
    let mut backoff = 1u64;
    loop {
        let error = match serve_session(
            inbox,
            store,
            config,
            clock,
            connector.as_ref(),
            &mut stop,
            &mut backoff,
        )
        .await
        {
            Ok(Next::Stop) => return,
            Ok(Next::Reconnect) => continue,
            Err(error) => error,
        };
        tracing::warn!(
            error = %format!("{error:#}"),
            retry_in_seconds = backoff,
            "IMAP worker: connection or pass failed, reconnecting"
        );
        let wait = backoff;
        backoff = (backoff * 2).min(60);
        tokio::select! {
            _ = stop.as_mut() => return,
            _ = tokio::time::sleep(Duration::from_secs(wait)) => {}
        }
    }
}

/// What to do once a session ends without an error.
enum Next {
    Stop,
    Reconnect,
}

/// One session: passes and waits until stopped, or until an error.
async fn serve_session<S: std::future::Future<Output = ()>>(
    inbox: &Inbox,
    store: &Store,
    config: &ImapConfig,
    clock: &Clock,
    connector: Option<&tokio_rustls::TlsConnector>,
    stop: &mut std::pin::Pin<&mut S>,
    backoff: &mut u64,
) -> Result<Next> {
    let mut session = tokio::select! {
        _ = stop.as_mut() => return Ok(Next::Stop),
        session = transport::connect(config, connector) => session?,
    };
    let idle = config.idle
        && session
            .capabilities()
            .await
            .context("CAPABILITY refusé par le serveur IMAP")?
            .has_str("IDLE");
    tracing::info!(
        mailbox = %config.describe(),
        idle,
        "IMAP worker connected"
    );
    loop {
        let report = pass_in(inbox, store, config, clock, &mut session).await?;
        *backoff = 1;
        if report != ImapReport::default() {
            tracing::info!(?report, "IMAP pass");
        }
        if idle {
            match wait_for_mail(session, stop).await? {
                Some(back) => session = back,
                None => return Ok(Next::Stop),
            }
        } else {
            let wait = Duration::from_secs(config.poll_seconds.max(1));
            tokio::select! {
                _ = stop.as_mut() => {
                    let _ = tokio::time::timeout(Duration::from_secs(2), session.logout()).await;
                    return Ok(Next::Stop);
                }
                _ = tokio::time::sleep(wait) => {}
            }
            if wait >= POLL_REUSE_LIMIT {
                let _ = tokio::time::timeout(Duration::from_secs(5), session.logout()).await;
                return Ok(Next::Reconnect);
            }
        }
    }
}

/// Why an IDLE ended.
enum Woken {
    NewMail,
    Renew,
    Stop,
}

/// Waits with IDLE on the selected mailbox until a new message arrives
/// (the session, for the next pass), or until `stop` (`None`). Changes
/// that are not new messages (flags, messages moved by another client)
/// keep it waiting; the IDLE is re-issued every [`IDLE_RENEW`].
async fn wait_for_mail<S: std::future::Future<Output = ()>>(
    mut session: ImapSession,
    stop: &mut std::pin::Pin<&mut S>,
) -> Result<Option<ImapSession>> {
    use async_imap::extensions::idle::IdleResponse;
    use async_imap::imap_proto::{MailboxDatum, Response, Status};
    use async_imap::types::UnsolicitedResponse;
    loop {
        // New mail reported during the pass (after its search): read it now.
        let mut arrived = false;
        while let Ok(response) = session.unsolicited_responses.try_recv() {
            arrived |= matches!(
                response,
                UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
            );
        }
        if arrived {
            return Ok(Some(session));
        }
        let mut handle = session.idle();
        handle
            .init()
            .await
            .context("IDLE refusé par le serveur IMAP")?;
        let renew = tokio::time::sleep(IDLE_RENEW);
        tokio::pin!(renew);
        let woken = loop {
            // The server's keepalives reset this timeout; `renew` bounds the whole IDLE.
            let (wait, _interrupt) = handle.wait_with_timeout(IDLE_RENEW);
            tokio::select! {
                _ = stop.as_mut() => break Woken::Stop,
                _ = &mut renew => break Woken::Renew,
                response = wait => match response.context("connexion IMAP perdue pendant IDLE")? {
                    IdleResponse::NewData(data) => match data.parsed() {
                        Response::MailboxData(MailboxDatum::Exists(_) | MailboxDatum::Recent(_)) => {
                            break Woken::NewMail
                        }
                        Response::Data { status: Status::Bye, .. } => {
                            anyhow::bail!("le serveur IMAP a fermé la session (BYE)")
                        }
                        _ => continue,
                    },
                    IdleResponse::Timeout => break Woken::Renew,
                    IdleResponse::ManualInterrupt => {
                        anyhow::bail!("connexion IMAP fermée par le serveur pendant IDLE")
                    }
                },
            }
        };
        if let Woken::Stop = woken {
            // Polite end (DONE, LOGOUT), but never a hang on the way out.
            let _ = tokio::time::timeout(Duration::from_secs(2), async {
                if let Ok(mut session) = handle.done().await {
                    let _ = session.logout().await;
                }
            })
            .await;
            return Ok(None);
        }
        session = handle.done().await.context("fin d'IDLE refusée")?;
        if let Woken::NewMail = woken {
            return Ok(Some(session));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{batches, search_string, uid_set, utf7_imap, ImapConfig};

    #[test]
    fn two_accounts_never_share_a_checkpoint() {
        let a = ImapConfig::new("imap.cabinet.example", 993, "relances", "x");
        let b = ImapConfig::new("imap.cabinet.example", 993, "relances2", "x");
        let c = ImapConfig::new("IMAP.autre.example", 993, "relances", "x");
        assert_eq!(a.account_mailbox(), "relances@imap.cabinet.example/INBOX");
        assert_ne!(a.account_mailbox(), b.account_mailbox());
        assert_ne!(a.account_mailbox(), c.account_mailbox());
        // The same account on another port (STARTTLS rather than TLS) is the same mailbox.
        let a143 = ImapConfig::new("imap.cabinet.example", 143, "Relances", "x");
        assert_eq!(a.account_mailbox(), a143.account_mailbox());
    }

    #[test]
    fn message_ids_are_searched_quoted_with_their_brackets() {
        assert_eq!(
            search_string("r1-ab@client.fr").as_deref(),
            Some("\"<r1-ab@client.fr>\"")
        );
        assert_eq!(
            search_string(r#"a"b\c@x"#).as_deref(),
            Some(r#""<a\"b\\c@x>""#)
        );
        assert_eq!(search_string("é@x"), None);
        assert_eq!(search_string("a\r\nb@x"), None);
    }

    #[test]
    fn uid_sets_compress_runs() {
        assert_eq!(uid_set(&[3, 4, 5, 9, 12, 13, 14]), "3:5,9,12:14");
        assert_eq!(uid_set(&[7]), "7");
        assert_eq!(uid_set(&[2, 1]), "1:2");
    }

    #[test]
    fn batches_are_bounded_and_a_big_message_goes_alone() {
        let small: Vec<(u32, u64)> = (1..=450).map(|uid| (uid, 1_000)).collect();
        let sizes: Vec<usize> = batches(&small).iter().map(|b| b.len()).collect();
        assert_eq!(sizes, vec![200, 200, 50]);
        let mixed = vec![
            (1, 1_000),
            (2, 25_000_000),
            (3, 1_000),
            (4, 3_000_000),
            (5, 2_000_000),
        ];
        let uids: Vec<Vec<u32>> = batches(&mixed)
            .iter()
            .map(|b| b.iter().map(|(uid, _)| *uid).collect())
            .collect();
        assert_eq!(uids, vec![vec![1], vec![2], vec![3, 4], vec![5]]);
        assert!(batches(&[]).is_empty());
    }

    #[test]
    fn modified_utf7() {
        assert_eq!(utf7_imap("CabReady/Traité"), "CabReady/Trait&AOk-");
        assert_eq!(utf7_imap("CabReady/À trier"), "CabReady/&AMA- trier");
        assert_eq!(utf7_imap("A&B"), "A&-B");
        assert_eq!(utf7_imap("INBOX"), "INBOX");
    }
}
