//! The reply worker: clients' answers to reminders, read and acted upon.
//!
//! One message at a time, through the same pipeline whatever the source
//! (a local Maildir in the embedded default, IMAP in production):
//!
//! ```text
//! raw bytes ─ parse ─ classify (bounce / auto-reply / human)
//!                   ─ keys (token, subject tag) ─ match (database)
//!                   ─ strip quotes and signature ─ intent
//!                   ─ actions, in ONE transaction with the journal and
//!                     the "processed" row (idempotent per Message-ID,
//!                     and per mailbox + UIDVALIDITY + UID for IMAP)
//! ```
//!
//! [`read`] is pure (no database, no I/O): it is what `cabready mail
//! classify` prints and what the fixture tests check. [`actions`] decides
//! and applies; [`sources`] feeds it. A reply never marks a mandate
//! `signed`: at most *received, to verify*, with validate/reject in chat.

pub mod actions;
pub mod classify;
pub mod dates;
pub mod intent;
pub mod matching;
pub mod parse;
pub mod sources;
pub mod strip;
pub mod text;

pub use actions::{Inbox, Outcome, Report};
pub use classify::Kind;
pub use intent::Intent;

use crate::token::Signer;
use chrono::{DateTime, NaiveDate, Utc};
use parse::{Attachment, ParsedMail};
use sha2::{Digest, Sha256};

/// What the pipeline needs to know about the firm's mail set-up.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The firm's own mail domains (never a client's address).
    pub own_domains: Vec<String>,
    /// Known platform names (matched in replies).
    pub platforms: Vec<String>,
}

/// Everything the message itself tells, before any database lookup.
#[derive(Debug, Clone)]
pub struct Reading {
    /// The Message-ID, or `sha256:<hex>` of the raw bytes without one.
    pub message_key: String,
    pub mail: ParsedMail,
    pub kind: Kind,
    pub keys: matching::Keys,
    /// The reply without quotes and signature.
    pub visible_text: String,
    /// For human replies only.
    pub intent: Option<Intent>,
    /// Attachments that are documents (not signature logos).
    pub documents: Vec<Attachment>,
    /// The day the message was written (Paris), dates are resolved from it.
    pub written_on: NaiveDate,
}

impl Reading {
    pub fn token(&self) -> Option<&str> {
        self.keys.tokens.first().map(|(t, _)| t.as_str())
    }

    pub fn platform(&self) -> Option<&str> {
        match &self.intent {
            Some(Intent::PlatformChosen(p)) => Some(p),
            _ => None,
        }
    }

    pub fn postponed_until(&self) -> Option<NaiveDate> {
        match (&self.intent, &self.kind) {
            (Some(Intent::Postponed(d)), _) => Some(*d),
            (_, Kind::AutoReply { return_date }) => *return_date,
            _ => None,
        }
    }

    pub fn new_contact(&self) -> Option<&str> {
        match &self.intent {
            Some(Intent::WrongPerson(c)) => c.as_deref(),
            _ => None,
        }
    }

    /// One JSON object per message (`cabready mail classify`).
    pub fn to_json(&self, file: &str, dossier: Option<&str>) -> serde_json::Value {
        let bounce_type = match &self.kind {
            Kind::Bounce { hard: true, .. } => Some("hard"),
            Kind::Bounce { hard: false, .. } => Some("soft"),
            _ => None,
        };
        let failed_address = match &self.kind {
            Kind::Bounce { address, .. } => address.clone(),
            _ => None,
        };
        serde_json::json!({
            "file": file,
            "message_id": self.message_key,
            "kind": self.kind.code(),
            "bounce_type": bounce_type,
            "failed_address": failed_address,
            "token": self.token(),
            "dossier": dossier.map(str::to_string).or_else(|| self.keys.dossier_code.clone()),
            "intent": self.intent.as_ref().map(Intent::code),
            "platform": self.platform(),
            "postponed_until": self.postponed_until().map(|d| d.format("%Y-%m-%d").to_string()),
            "new_contact": self.new_contact(),
            "attachments": self.documents.iter().map(|a| a.filename.clone()).collect::<Vec<_>>(),
            "visible_text": self.visible_text,
        })
    }
}

/// What `cabready mail classify --json` prints for bytes that are not a message.
pub fn unreadable_json(file: &str) -> serde_json::Value {
    serde_json::json!({ "file": file, "kind": null, "error": "unreadable" })
}

/// `sha256:<hex>` of bytes.
pub fn digest(raw: &[u8]) -> String {
    hex::encode(Sha256::digest(raw))
}

/// Reads one raw message: parse, classify, keys, visible text, intent.
/// `None` when the bytes are not a message at all. `now` stands in for a
/// missing Date header.
pub fn read(
    raw: &[u8],
    signer: Option<&Signer>,
    settings: &Settings,
    now: DateTime<Utc>,
) -> Option<Reading> {
    let mail = parse::parse(raw)?;
    // Not a message: none of the headers every mail client writes.
    if mail.from.is_none()
        && mail.message_id.is_none()
        && mail.subject.is_empty()
        && mail.date.is_none()
    {
        return None;
    }
    let written_on = mail
        .date
        .unwrap_or(now)
        .with_timezone(&chrono_tz::Europe::Paris)
        .date_naive();
    let kind = classify::classify(&mail, &settings.own_domains, written_on);
    let mut keys = matching::keys(&mail, signer);
    if matches!(kind, Kind::Bounce { .. }) {
        matching::add_from_bounce_text(&mut keys, &mail.text, signer);
    }
    let visible_text = match kind {
        Kind::Human => strip::visible_text(&mail.text),
        _ => strip::visible_text(&mail.text).chars().take(2000).collect(),
    };
    let documents: Vec<Attachment> = mail
        .attachments
        .iter()
        .filter(|a| !a.is_decoration())
        .cloned()
        .collect();
    let intent = (kind == Kind::Human).then(|| {
        intent::read(
            &visible_text,
            &intent::Context {
                subject: &mail.subject,
                documents: documents.len(),
                mandate_document: documents.iter().any(|a| {
                    a.filename
                        .as_deref()
                        .is_some_and(|n| text::normalize(n).contains("mandat"))
                }),
                copied: &mail.recipients,
                sender: mail.from.as_deref(),
                own_domains: &settings.own_domains,
                platforms: &settings.platforms,
                today: written_on,
            },
        )
    });
    let message_key = mail
        .message_id
        .clone()
        .unwrap_or_else(|| format!("sha256:{}", digest(raw)));
    Some(Reading {
        message_key,
        mail,
        kind,
        keys,
        visible_text,
        intent,
        documents,
        written_on,
    })
}
