//! The production mailbox: IMAP (async-imap), plain on loopback for now.
//! One pass: log in, select the mailbox, compare its UIDVALIDITY with the
//! checkpoint (a new UIDVALIDITY starts again from UID 1: the per-message
//! idempotency keeps that safe), fetch each new UID with `BODY.PEEK[]`,
//! process it, then move it to the processed or the triage folder (or flag
//! it, when no folder is configured) and advance the checkpoint. Never
//! deleted. A crash between the commit and the move leaves the message in
//! place: the next pass finds it recorded (by Message-ID and by UID) and
//! only files it away. [`run`] repeats passes, reconnecting with backoff.

use crate::inbound::actions::{Inbox, Outcome};
use anyhow::{anyhow, Context, Result};
use async_imap::Session;
use cabready_store::inbound::{self, ImapPlace};
use cabready_store::{Clock, Store};
use futures_util::TryStreamExt;
use std::time::Duration;
use tokio::net::TcpStream;

/// Where and how to read.
#[derive(Debug, Clone)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub password: String,
    /// The mailbox replies arrive in.
    pub mailbox: String,
    /// Where processed messages go (`None`: flagged `\Seen` in place).
    pub processed_folder: Option<String>,
    /// Where messages a person must sort go (`None`: flagged `\Flagged`).
    pub triage_folder: Option<String>,
    /// Seconds between two passes.
    pub poll_seconds: u64,
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

type ImapSession = Session<TcpStream>;

async fn connect(config: &ImapConfig) -> Result<ImapSession> {
    let stream = TcpStream::connect((config.host.as_str(), config.port))
        .await
        .with_context(|| {
            format!(
                "connexion IMAP impossible à {}:{} (en clair)",
                config.host, config.port
            )
        })?;
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .context("le serveur IMAP n'a pas salué")?
        .ok_or_else(|| anyhow!("le serveur IMAP a fermé la connexion"))?;
    client
        .login(&config.username, &config.password)
        .await
        .map_err(|(e, _)| anyhow!("connexion IMAP refusée pour {} : {e}", config.username))
}

/// The server's name for a folder written `A/B` in the configuration.
async fn folder_name(session: &mut ImapSession, folder: &str) -> Result<String> {
    let names: Vec<_> = session
        .list(Some(""), Some(""))
        .await?
        .try_collect()
        .await?;
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
    let checkpoint = inbound::checkpoint(&mut conn, inbox.firm_id, &config.mailbox).await?;
    drop(conn);
    let last_uid = match checkpoint {
        Some((v, uid)) if v == validity => uid,
        Some(_) => {
            report.uidvalidity_changed = true;
            0
        }
        None => 0,
    };
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", last_uid + 1))
        .await?
        .into_iter()
        .filter(|uid| i64::from(*uid) > last_uid)
        .collect();
    uids.sort_unstable();
    for uid in uids {
        let fetched: Vec<_> = session
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .await?
            .try_collect()
            .await?;
        let Some(body) = fetched.iter().find_map(|f| f.body()) else {
            continue;
        };
        let place = ImapPlace {
            mailbox: config.mailbox.clone(),
            uidvalidity: validity,
            uid: i64::from(uid),
        };
        let now = clock.now();
        let triaged = match inbox.process(store, body, Some(&place), now).await? {
            Outcome::Processed(done) => {
                report.processed += 1;
                if done.triaged {
                    report.triaged += 1;
                }
                done.triaged
            }
            Outcome::Duplicate => {
                report.duplicates += 1;
                false
            }
        };
        let target = if triaged {
            &triage_folder
        } else {
            &processed_folder
        };
        match target {
            Some(folder) => session.uid_mv(uid.to_string(), folder).await?,
            None => {
                let flags = if triaged {
                    "+FLAGS (\\Seen \\Flagged)"
                } else {
                    "+FLAGS (\\Seen)"
                };
                let _: Vec<_> = session
                    .uid_store(uid.to_string(), flags)
                    .await?
                    .try_collect()
                    .await?;
            }
        }
        let mut conn = store.pool().acquire().await?;
        inbound::set_checkpoint(
            &mut conn,
            inbox.firm_id,
            &config.mailbox,
            validity,
            i64::from(uid),
            now,
        )
        .await?;
    }
    Ok(report)
}

/// Passes forever, `poll_seconds` apart; a failed pass (server down,
/// network) is retried after 1, 2, 4… seconds (at most 60). Stops when
/// `stop` resolves.
pub async fn run(
    inbox: &Inbox,
    store: &Store,
    config: &ImapConfig,
    clock: &Clock,
    stop: impl std::future::Future<Output = ()>,
) {
    tokio::pin!(stop);
    let mut backoff = 1u64;
    loop {
        let wait = match pass(inbox, store, config, clock).await {
            Ok(report) => {
                backoff = 1;
                if report.processed > 0 {
                    tracing::info!(?report, "IMAP pass");
                }
                config.poll_seconds.max(1)
            }
            Err(error) => {
                tracing::warn!(error = %format!("{error:#}"), "IMAP pass failed, retrying");
                let wait = backoff;
                backoff = (backoff * 2).min(60);
                wait
            }
        };
        tokio::select! {
            _ = &mut stop => return,
            _ = tokio::time::sleep(Duration::from_secs(wait)) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::utf7_imap;

    #[test]
    fn modified_utf7() {
        assert_eq!(utf7_imap("CabReady/Traité"), "CabReady/Trait&AOk-");
        assert_eq!(utf7_imap("CabReady/À trier"), "CabReady/&AMA- trier");
        assert_eq!(utf7_imap("A&B"), "A&-B");
        assert_eq!(utf7_imap("INBOX"), "INBOX");
    }
}
