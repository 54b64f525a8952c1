//! What the reply worker remembers: the messages it took in (once each,
//! per Message-ID and per IMAP UID), their attachments, the triage queue of
//! messages it could not tie to a reminder, the IMAP checkpoints, and the
//! "not before" holds a client's answer puts on a dossier's reminders.
//!
//! The mail side (`mailer::inbound`) decides; these functions write, each
//! with its journal line, inside the caller's transaction.

use crate::clock::{from_db_time, to_db_time};
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, Actor, Entry};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// Where a message came from in an IMAP mailbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapPlace {
    pub mailbox: String,
    pub uidvalidity: i64,
    pub uid: i64,
}

/// One message taken in, as recorded.
#[derive(Debug, Clone)]
pub struct NewInbound<'a> {
    /// The Message-ID, or `sha256:<hex>` of the raw message without one.
    pub message_key: &'a str,
    pub place: Option<&'a ImapPlace>,
    pub sender: Option<&'a str>,
    pub subject: &'a str,
    pub sent_at: Option<DateTime<Utc>>,
    /// `bounce`, `autoreply`, `reply` or `unreadable`.
    pub kind: &'a str,
    pub intent: Option<&'a str>,
    pub reminder_id: Option<i64>,
    pub dossier_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub outcome: &'a str,
    pub visible_text: &'a str,
}

/// A recorded message, read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    pub id: i64,
    pub message_key: String,
    pub sender: Option<String>,
    pub subject: String,
    pub kind: String,
    pub intent: Option<String>,
    pub reminder_id: Option<i64>,
    pub dossier_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub outcome: String,
    pub visible_text: String,
    pub processed_at: DateTime<Utc>,
}

const SELECT: &str =
    "SELECT id, message_key, sender, subject, kind, intent, reminder_id, dossier_id,
    contact_id, outcome, visible_text, processed_at FROM inbound_messages";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Inbound> {
    let at: String = row.try_get("processed_at")?;
    Ok(Inbound {
        id: row.try_get("id")?,
        message_key: row.try_get("message_key")?,
        sender: row.try_get("sender")?,
        subject: row.try_get("subject")?,
        kind: row.try_get("kind")?,
        intent: row.try_get("intent")?,
        reminder_id: row.try_get("reminder_id")?,
        dossier_id: row.try_get("dossier_id")?,
        contact_id: row.try_get("contact_id")?,
        outcome: row.try_get("outcome")?,
        visible_text: row.try_get("visible_text")?,
        processed_at: from_db_time(&at)
            .ok_or_else(|| StoreError::Corrupt(format!("inbound time {at}")))?,
    })
}

/// Whether this message (by key, or by its IMAP place) was already taken in.
pub async fn seen(
    conn: &mut AnyConnection,
    firm_id: i64,
    message_key: &str,
    place: Option<&ImapPlace>,
) -> StoreResult<bool> {
    let (mailbox, validity, uid) = match place {
        Some(p) => (Some(p.mailbox.clone()), Some(p.uidvalidity), Some(p.uid)),
        None => (None, None, None),
    };
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM inbound_messages WHERE firm_id = $1
         AND (message_key = $2 OR (mailbox = $3 AND uidvalidity = $4 AND uid = $5))",
    )
    .bind(firm_id)
    .bind(message_key.to_string())
    .bind(mailbox)
    .bind(validity)
    .bind(uid)
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get::<i64, _>(0) > 0)
}

/// Like [`seen`] for many messages in one query, and whether each went to
/// the triage queue: for each (key, place), in order, `None` when it was
/// never taken in, `Some(triaged)` when it was. A mailbox source files a
/// message it finds again (after a crash between the commit and the move)
/// where the first pass would have.
pub async fn seen_triaged_many(
    conn: &mut AnyConnection,
    firm_id: i64,
    messages: &[(&str, Option<&ImapPlace>)],
) -> StoreResult<Vec<Option<bool>>> {
    if messages.is_empty() {
        return Ok(Vec::new());
    }
    // $1 is the firm; every other value gets the next number, in order.
    enum Param {
        Text(String),
        Number(i64),
    }
    let mut params: Vec<Param> = Vec::new();
    let mut placeholder = |param: Param| {
        params.push(param);
        format!("${}", params.len() + 1)
    };
    let keys: Vec<String> = messages
        .iter()
        .map(|(key, _)| placeholder(Param::Text(key.to_string())))
        .collect();
    let mut sql = format!(
        "SELECT m.message_key, m.mailbox, m.uidvalidity, m.uid, CAST(COUNT(t.id) AS BIGINT)
         FROM inbound_messages m
         LEFT JOIN inbound_triage t ON t.firm_id = m.firm_id AND t.message_id = m.id
         WHERE m.firm_id = $1 AND (m.message_key IN ({})",
        keys.join(", ")
    );
    let mut boxes: Vec<(&str, i64)> = messages
        .iter()
        .filter_map(|(_, p)| p.map(|p| (p.mailbox.as_str(), p.uidvalidity)))
        .collect();
    boxes.sort_unstable();
    boxes.dedup();
    for (mailbox, validity) in boxes {
        let m = placeholder(Param::Text(mailbox.to_string()));
        let v = placeholder(Param::Number(validity));
        let uids: Vec<String> = messages
            .iter()
            .filter_map(|(_, p)| *p)
            .filter(|p| p.mailbox == mailbox && p.uidvalidity == validity)
            .map(|p| placeholder(Param::Number(p.uid)))
            .collect();
        sql.push_str(&format!(
            " OR (m.mailbox = {m} AND m.uidvalidity = {v} AND m.uid IN ({}))",
            uids.join(", ")
        ));
    }
    sql.push_str(") GROUP BY m.id, m.message_key, m.mailbox, m.uidvalidity, m.uid");
    // Planned at each call: its shape changes with the batch, and a plan
    // cached while the table was small walked every message of the firm
    // through the (firm_id, dossier_id, id) index on PostgreSQL.
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .persistent(false)
        .bind(firm_id);
    for param in params {
        query = match param {
            Param::Text(text) => query.bind(text),
            Param::Number(number) => query.bind(number),
        };
    }
    let rows = query.fetch_all(&mut *conn).await?;
    // (key, place, triaged) of each recorded message found.
    let mut found: Vec<(String, Option<ImapPlace>, bool)> = Vec::new();
    for row in &rows {
        let mailbox: Option<String> = row.try_get(1)?;
        let validity: Option<i64> = row.try_get(2)?;
        let uid: Option<i64> = row.try_get(3)?;
        let place = match (mailbox, validity, uid) {
            (Some(mailbox), Some(uidvalidity), Some(uid)) => Some(ImapPlace {
                mailbox,
                uidvalidity,
                uid,
            }),
            _ => None,
        };
        let triaged: i64 = row.try_get(4)?;
        found.push((row.try_get(0)?, place, triaged > 0));
    }
    Ok(messages
        .iter()
        .map(|(key, place)| {
            let mut hit: Option<bool> = None;
            for (k, at, triaged) in &found {
                if k == key || (place.is_some() && at.as_ref() == *place) {
                    hit = Some(hit.unwrap_or(false) || *triaged);
                }
            }
            hit
        })
        .collect())
}

/// Records a message; `None` when it was already recorded (by key or
/// place): the caller then rolls back and does nothing more.
pub async fn record(
    conn: &mut AnyConnection,
    firm_id: i64,
    new: &NewInbound<'_>,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<Option<i64>> {
    let (mailbox, validity, uid) = match new.place {
        Some(p) => (Some(p.mailbox.clone()), Some(p.uidvalidity), Some(p.uid)),
        None => (None, None, None),
    };
    let id: Option<i64> = sqlx::query(
        "INSERT INTO inbound_messages (firm_id, message_key, mailbox, uidvalidity, uid, sender, subject,
             sent_at, kind, intent, reminder_id, dossier_id, contact_id, outcome, visible_text, processed_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(firm_id)
    .bind(new.message_key.to_string())
    .bind(mailbox.clone())
    .bind(validity)
    .bind(uid)
    .bind(new.sender.map(str::to_string))
    .bind(new.subject.to_string())
    .bind(new.sent_at.map(to_db_time))
    .bind(new.kind.to_string())
    .bind(new.intent.map(str::to_string))
    .bind(new.reminder_id)
    .bind(new.dossier_id)
    .bind(new.contact_id)
    .bind(new.outcome.to_string())
    .bind(new.visible_text.to_string())
    .bind(to_db_time(at))
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.get(0));
    let Some(id) = id else { return Ok(None) };
    let entry = Entry {
        entity: "inbound_message",
        entity_id: Some(id),
        dossier_id: new.dossier_id,
        action: "inbound.received",
        details: json!({
            "message_id": new.message_key,
            "kind": new.kind,
            "intent": new.intent,
            "reminder_id": new.reminder_id,
            "outcome": new.outcome,
            "mailbox": mailbox,
            "uid": uid,
        }),
    };
    journal::record(conn, firm_id, at, actor, entry).await?;
    Ok(Some(id))
}

pub async fn get(conn: &mut AnyConnection, firm_id: i64, id: i64) -> StoreResult<Inbound> {
    let sql = format!("{SELECT} WHERE firm_id = $1 AND id = $2");
    let row = crate::db::row_by_id(conn, sql, firm_id, id, "message reçu").await?;
    from_row(&row)
}

/// The firm's recorded messages, oldest first.
pub async fn list(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<Vec<Inbound>> {
    let sql = format!("{SELECT} WHERE firm_id = $1 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// An attachment kept from a message (the file is already on disk).
pub async fn add_attachment(
    conn: &mut AnyConnection,
    firm_id: i64,
    message_id: i64,
    sha256: &str,
    size: i64,
    filename: Option<&str>,
    content_type: &str,
) -> StoreResult<i64> {
    Ok(sqlx::query(
        "INSERT INTO inbound_attachments (firm_id, message_id, sha256, size, filename, content_type)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(firm_id)
    .bind(message_id)
    .bind(sha256.to_string())
    .bind(size)
    .bind(filename.map(str::to_string))
    .bind(content_type.to_string())
    .fetch_one(&mut *conn)
    .await?
    .get(0))
}

/// An attachment as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredAttachment {
    pub sha256: String,
    pub size: i64,
    pub filename: Option<String>,
    pub content_type: String,
}

pub async fn attachments(
    conn: &mut AnyConnection,
    firm_id: i64,
    message_id: i64,
) -> StoreResult<Vec<StoredAttachment>> {
    let rows = sqlx::query(
        "SELECT sha256, size, filename, content_type FROM inbound_attachments
         WHERE firm_id = $1 AND message_id = $2 ORDER BY id",
    )
    .bind(firm_id)
    .bind(message_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredAttachment {
                sha256: r.try_get(0)?,
                size: r.try_get(1)?,
                filename: r.try_get(2)?,
                content_type: r.try_get(3)?,
            })
        })
        .collect()
}

/// Puts a message in the triage queue (a person ties it to a dossier).
pub async fn triage(
    conn: &mut AnyConnection,
    firm_id: i64,
    message_id: i64,
    reason: &str,
    at: DateTime<Utc>,
) -> StoreResult<i64> {
    let id: i64 = sqlx::query(
        "INSERT INTO inbound_triage (firm_id, message_id, reason, status, opened_at)
         VALUES ($1, $2, $3, 'open', $4) RETURNING id",
    )
    .bind(firm_id)
    .bind(message_id)
    .bind(reason.to_string())
    .bind(to_db_time(at))
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    let entry = Entry {
        entity: "inbound_triage",
        entity_id: Some(id),
        dossier_id: None,
        action: "inbound.triaged",
        details: json!({ "message": message_id, "reason": reason }),
    };
    journal::record(conn, firm_id, at, &Actor::System, entry).await?;
    Ok(id)
}

/// One message in the triage queue.
#[derive(Debug, Clone, PartialEq)]
pub struct TriageItem {
    pub id: i64,
    pub reason: String,
    pub opened_at: DateTime<Utc>,
    /// `false` once a person sorted it.
    pub open: bool,
    pub message: Inbound,
}

const TRIAGE_SELECT: &str = "SELECT t.id AS triage_id, t.reason, t.opened_at, t.status,
    m.id, m.message_key, m.sender, m.subject, m.kind, m.intent, m.reminder_id, m.dossier_id,
    m.contact_id, m.outcome, m.visible_text, m.processed_at
    FROM inbound_triage t JOIN inbound_messages m ON m.id = t.message_id AND m.firm_id = t.firm_id";

fn triage_from_row(row: &sqlx::any::AnyRow) -> StoreResult<TriageItem> {
    let at: String = row.try_get("opened_at")?;
    let status: String = row.try_get("status")?;
    Ok(TriageItem {
        id: row.try_get("triage_id")?,
        reason: row.try_get("reason")?,
        opened_at: from_db_time(&at)
            .ok_or_else(|| StoreError::Corrupt(format!("triage time {at}")))?,
        open: status == "open",
        message: from_row(row)?,
    })
}

/// The open triage queue, oldest first.
pub async fn open_triage(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<Vec<TriageItem>> {
    let sql = format!("{TRIAGE_SELECT} WHERE t.firm_id = $1 AND t.status = 'open' ORDER BY t.id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(triage_from_row).collect()
}

/// One triage item, open or sorted.
pub async fn get_triage(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
) -> StoreResult<TriageItem> {
    let sql = format!("{TRIAGE_SELECT} WHERE t.firm_id = $1 AND t.id = $2");
    let row = crate::db::row_by_id(conn, sql, firm_id, id, "e-mail à trier").await?;
    triage_from_row(&row)
}

/// How a person sorted a message of the triage queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sorted<'a> {
    /// The message belongs to this dossier: it is tied to it (and shows in
    /// its journal). Nothing else changes: what the client asked or sent is
    /// for the person to act on, as for a reply from an unknown address.
    Attached { dossier_id: i64 },
    /// Nothing to do with any dossier (spam, newsletter…), and why.
    Ignored { reason: &'a str },
}

/// Closes a triage item (as read by [`get_triage`]) as a person sorted it,
/// with its journal line; `false` (and nothing written) when it was not open.
pub async fn close_triage(
    conn: &mut AnyConnection,
    firm_id: i64,
    item: &TriageItem,
    sorted: Sorted<'_>,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let by = match actor {
        Actor::User(n) | Actor::Client(n) | Actor::Import(n) => n.clone(),
        Actor::System => "cabready".into(),
    };
    let id = item.id;
    let done = sqlx::query(
        "UPDATE inbound_triage SET status = 'done', closed_at = $1, closed_by = $2
         WHERE firm_id = $3 AND id = $4 AND status = 'open'",
    )
    .bind(to_db_time(at))
    .bind(by)
    .bind(firm_id)
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if !done {
        return Ok(false);
    }
    let message = &item.message;
    let (dossier_id, mut details) = match sorted {
        Sorted::Attached { dossier_id } => {
            sqlx::query(
                "UPDATE inbound_messages SET dossier_id = $1 WHERE firm_id = $2 AND id = $3",
            )
            .bind(dossier_id)
            .bind(firm_id)
            .bind(message.id)
            .execute(&mut *conn)
            .await?;
            (Some(dossier_id), json!({ "sorted": "attached" }))
        }
        Sorted::Ignored { reason } => (None, json!({ "sorted": "ignored", "reason": reason })),
    };
    details["message"] = json!(message.id);
    details["sender"] = json!(message.sender);
    details["subject"] = json!(message.subject);
    details["intent"] = json!(message.intent);
    let entry = Entry {
        entity: "inbound_triage",
        entity_id: Some(id),
        dossier_id,
        action: "inbound.triage_closed",
        details,
    };
    journal::record(conn, firm_id, at, actor, entry).await?;
    Ok(true)
}

/// No reminder for this dossier before `not_before` (the client said when).
#[allow(clippy::too_many_arguments)]
pub async fn hold(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    not_before: DateTime<Utc>,
    reason: &str,
    inbound_message_id: Option<i64>,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO reminder_holds (firm_id, dossier_id, not_before, reason, inbound_message_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(to_db_time(not_before))
    .bind(reason.to_string())
    .bind(inbound_message_id)
    .bind(to_db_time(at))
    .execute(&mut *conn)
    .await?;
    let entry = Entry {
        entity: "dossier",
        entity_id: Some(dossier_id),
        dossier_id: Some(dossier_id),
        action: "reminder.held",
        details: json!({ "not_before": to_db_time(not_before), "reason": reason }),
    };
    journal::record(conn, firm_id, at, actor, entry).await
}

/// The latest "not before" date of a dossier's reminders, if any.
pub async fn not_before(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
) -> StoreResult<Option<DateTime<Utc>>> {
    let row = sqlx::query(
        "SELECT MAX(not_before) FROM reminder_holds WHERE firm_id = $1 AND dossier_id = $2",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .fetch_one(&mut *conn)
    .await?;
    let text: Option<String> = row.try_get(0)?;
    text.map(|t| from_db_time(&t).ok_or_else(|| StoreError::Corrupt(format!("hold time {t}"))))
        .transpose()
}

/// The IMAP checkpoint of a mailbox: (UIDVALIDITY, last processed UID).
pub async fn checkpoint(
    conn: &mut AnyConnection,
    firm_id: i64,
    mailbox: &str,
) -> StoreResult<Option<(i64, i64)>> {
    let row = sqlx::query(
        "SELECT uidvalidity, last_uid FROM mailbox_checkpoints WHERE firm_id = $1 AND mailbox = $2",
    )
    .bind(firm_id)
    .bind(mailbox.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
}

/// Moves a mailbox's checkpoint (a new UIDVALIDITY starts it again).
pub async fn set_checkpoint(
    conn: &mut AnyConnection,
    firm_id: i64,
    mailbox: &str,
    uidvalidity: i64,
    last_uid: i64,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO mailbox_checkpoints (firm_id, mailbox, uidvalidity, last_uid, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (firm_id, mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity,
             last_uid = CASE WHEN mailbox_checkpoints.uidvalidity = excluded.uidvalidity
                 AND mailbox_checkpoints.last_uid > excluded.last_uid
                 THEN mailbox_checkpoints.last_uid ELSE excluded.last_uid END,
             updated_at = excluded.updated_at",
    )
    .bind(firm_id)
    .bind(mailbox.to_string())
    .bind(uidvalidity)
    .bind(last_uid)
    .bind(to_db_time(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}
