//! Which reminder a message answers. What the message carries, strongest
//! first: the token in the plus-address it was sent to (To, Delivered-To…),
//! in the Message-IDs of In-Reply-To / References, in a returned message's
//! headers (bounces); then the dossier code of the subject tag
//! `[CabReady D002]` with the sender. A token must carry a valid HMAC
//! (a forged one is refused without a lookup); an unmatched message goes
//! to the triage queue.

use super::parse::ParsedMail;
use crate::token::{find_token, Signer};
use cabready_store::contacts;
use cabready_store::dossiers;
use cabready_store::outbox::{self, Reminder};
use cabready_store::StoreResult;
use regex::Regex;
use sqlx::AnyConnection;
use std::sync::LazyLock;

/// Where a token was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    PlusAddress,
    InReplyTo,
    References,
    ReturnedMessage,
    SubjectTag,
}

impl Via {
    pub fn code(self) -> &'static str {
        match self {
            Via::PlusAddress => "plus_address",
            Via::InReplyTo => "in_reply_to",
            Via::References => "references",
            Via::ReturnedMessage => "returned_message",
            Via::SubjectTag => "subject_tag",
        }
    }
}

/// What the message itself says about its reminder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    /// Tokens with a valid signature, strongest first.
    pub tokens: Vec<(String, Via)>,
    /// Tokens whose signature is wrong (forged or from another key).
    pub forged: Vec<String>,
    /// The dossier code of the subject tag.
    pub dossier_code: Option<String>,
}

static SUBJECT_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\[\s*CabReady\s+([A-Za-z0-9_.\-]{1,40})\s*\]").expect("static pattern")
});

/// The dossier code of a `[CabReady CODE]` subject tag.
pub fn subject_code(subject: &str) -> Option<String> {
    SUBJECT_TAG.captures(subject).map(|c| c[1].to_string())
}

/// The keys a message carries. Without a signer (no key at hand), every
/// token found is kept as if valid.
pub fn keys(mail: &ParsedMail, signer: Option<&Signer>) -> Keys {
    let mut keys = Keys {
        dossier_code: subject_code(&mail.subject),
        ..Keys::default()
    };
    let add = |keys: &mut Keys, text: &str, via: Via| {
        if let Some(token) = find_token(text) {
            if keys.tokens.iter().any(|(t, _)| *t == token) || keys.forged.contains(&token) {
                return;
            }
            if signer.is_none_or(|s| s.verify(&token)) {
                keys.tokens.push((token, via));
            } else {
                keys.forged.push(token);
            }
        }
    };
    for recipient in &mail.recipients {
        if let Some((local, _)) = recipient.split_once('@') {
            if let Some((_, tag)) = local.split_once('+') {
                add(&mut keys, tag, Via::PlusAddress);
            }
        }
    }
    for id in &mail.in_reply_to {
        add(&mut keys, id, Via::InReplyTo);
    }
    for id in &mail.references {
        add(&mut keys, id, Via::References);
    }
    if let Some(headers) = &mail.returned_headers {
        for line in headers.lines() {
            let lower = line.to_ascii_lowercase();
            if lower.starts_with("message-id:")
                || lower.starts_with("x-cabready-token:")
                || lower.starts_with("reply-to:")
            {
                add(&mut keys, line, Via::ReturnedMessage);
            }
        }
    }
    add(&mut keys, &mail.subject, Via::SubjectTag);
    keys
}

/// A bounce that returns the original message as plain text (no
/// `message/rfc822` part): tokens in its `<…@domain>` lines count too.
pub fn add_from_bounce_text(keys: &mut Keys, text: &str, signer: Option<&Signer>) {
    for line in text.lines().filter(|l| l.contains('@')) {
        if let Some(token) = find_token(line) {
            if keys.tokens.iter().any(|(t, _)| *t == token) || keys.forged.contains(&token) {
                continue;
            }
            if signer.is_none_or(|s| s.verify(&token)) {
                keys.tokens.push((token, Via::ReturnedMessage));
            } else {
                keys.forged.push(token);
            }
        }
    }
}

/// How a message was tied to its reminder.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    pub firm_id: i64,
    pub dossier_id: i64,
    /// The reminder it answers (none when matched by dossier code only and
    /// the dossier has no reminder yet).
    pub reminder: Option<Reminder>,
    pub via: Via,
    /// The contact of that dossier who wrote, if the sender is one.
    pub contact_id: Option<i64>,
}

/// Resolves the keys against the database, within the firm of the mailbox.
pub async fn resolve(
    conn: &mut AnyConnection,
    firm_id: i64,
    keys: &Keys,
    sender: Option<&str>,
) -> StoreResult<Option<Match>> {
    let sender_contact = |list: &[contacts::Contact]| {
        sender.and_then(|s| {
            list.iter()
                .find(|c| c.email.as_str().eq_ignore_ascii_case(s))
                .map(|c| c.id)
        })
    };
    for (token, via) in &keys.tokens {
        let Some(reminder) = outbox::find_by_token(conn, token).await? else {
            continue;
        };
        if reminder.firm_id != firm_id {
            continue;
        }
        let list = contacts::for_dossier(conn, firm_id, reminder.dossier_id).await?;
        return Ok(Some(Match {
            firm_id,
            dossier_id: reminder.dossier_id,
            contact_id: sender_contact(&list),
            reminder: Some(reminder),
            via: *via,
        }));
    }
    // The subject tag names the dossier: enough only when the sender is one of its contacts.
    if let Some(code) = &keys.dossier_code {
        if let Some(dossier) = dossiers::find_by_code(conn, firm_id, code).await? {
            let list = contacts::for_dossier(conn, firm_id, dossier.id).await?;
            if let Some(contact_id) = sender_contact(&list) {
                let reminder = outbox::for_dossier(conn, firm_id, dossier.id, 1)
                    .await?
                    .into_iter()
                    .next();
                return Ok(Some(Match {
                    firm_id,
                    dossier_id: dossier.id,
                    reminder,
                    via: Via::SubjectTag,
                    contact_id: Some(contact_id),
                }));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_tokens() {
        assert_eq!(
            subject_code("RE: [CabReady D002] Votre mandat").as_deref(),
            Some("D002")
        );
        assert_eq!(
            subject_code("TR: [cabready  c-17 ] x").as_deref(),
            Some("c-17")
        );
        assert_eq!(subject_code("Bonjour"), None);
        let signer = Signer::new(b"0123456789abcdef-secret").unwrap();
        let good = signer.issue();
        let forged = "0123456789abcdef0123456789ab".to_string();
        let mail = ParsedMail {
            recipients: vec![format!("relances+{good}@cabinet.fr")],
            in_reply_to: vec![format!("{forged}@cabinet.fr")],
            subject: "Re: [CabReady D002] Mandat".into(),
            ..ParsedMail::default()
        };
        let keys = keys(&mail, Some(&signer));
        assert_eq!(keys.tokens, vec![(good, Via::PlusAddress)]);
        assert_eq!(keys.forged, vec![forged]);
        assert_eq!(keys.dossier_code.as_deref(), Some("D002"));
    }
}
