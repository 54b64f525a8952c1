//! The outbox of reminder emails: a reminder is written here first
//! (`planned`), claimed by a sender (`sending`, with its Message-ID already
//! recorded), and marked after the server's answer (`sent`, `failed` with a
//! retry time, `abandoned`). A stop rule cancels it (`cancelled`).
//!
//! Crash safety, the two promises and how each is kept:
//! - *never lost*: a reminder exists as a row before anything is sent, and
//!   only a conditional `UPDATE … WHERE state = …` moves it; a sender that
//!   dies leaves the row behind, where [`stuck_sending`] finds it.
//! - *never twice*: a row is claimed by one conditional update (on
//!   PostgreSQL after `FOR UPDATE SKIP LOCKED`; SQLite has one writer at a
//!   time and the same conditional update), so two senders never both own
//!   it. A row found in `sending` after a crash may have been accepted by
//!   the server: it is only sent again when the transport can prove it was
//!   not delivered; otherwise it becomes `unknown` and waits for a person
//!   ([`resolve_stuck`]). See docs/mail.md.
//!
//! Every state change writes its journal line in the same transaction.

use crate::clock::{from_db_time, to_db_time};
use crate::domain::{MandateKind, MandateStatus};
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, Actor, Entry};
use crate::lang::{Lang, Said};
use crate::mandates::{self, Transition};
use crate::{Backend, Store};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// What a reminder chases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// The delegation mandate (request, follow-ups, deadline).
    Mandate,
    /// The client has not chosen its approved platform yet.
    Platform,
}

impl Topic {
    pub fn code(self) -> &'static str {
        match self {
            Topic::Mandate => "mandate",
            Topic::Platform => "platform",
        }
    }

    pub fn from_code(code: &str) -> Option<Topic> {
        match code {
            "mandate" => Some(Topic::Mandate),
            "platform" => Some(Topic::Platform),
            _ => None,
        }
    }
}

/// Where a reminder stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    Planned,
    Sending,
    Sent,
    Failed,
    Abandoned,
    Unknown,
    Cancelled,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Planned,
        State::Sending,
        State::Sent,
        State::Failed,
        State::Abandoned,
        State::Unknown,
        State::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            State::Planned => "planned",
            State::Sending => "sending",
            State::Sent => "sent",
            State::Failed => "failed",
            State::Abandoned => "abandoned",
            State::Unknown => "unknown",
            State::Cancelled => "cancelled",
        }
    }

    pub fn from_code(code: &str) -> Option<State> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (State::Planned, Lang::Fr) => "prévue",
            (State::Planned, Lang::En) => "planned",
            (State::Sending, Lang::Fr) => "en cours d'envoi",
            (State::Sending, Lang::En) => "sending",
            (State::Sent, Lang::Fr) => "envoyée",
            (State::Sent, Lang::En) => "sent",
            (State::Failed, Lang::Fr) => "échec, nouvel essai prévu",
            (State::Failed, Lang::En) => "failed, will retry",
            (State::Abandoned, Lang::Fr) => "abandonnée",
            (State::Abandoned, Lang::En) => "abandoned",
            (State::Unknown, Lang::Fr) => "à vérifier (envoi interrompu)",
            (State::Unknown, Lang::En) => "to check (sending interrupted)",
            (State::Cancelled, Lang::Fr) => "annulée",
            (State::Cancelled, Lang::En) => "cancelled",
        }
    }

    /// States in which a reminder still counts as on its way: planning
    /// another one for the same dossier and topic is a no-op.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            State::Planned | State::Sending | State::Failed | State::Unknown
        )
    }
}

/// A reminder to write into the outbox. The token and Message-ID are made
/// by the mailer (they are signed) and recorded before anything is sent.
#[derive(Debug, Clone)]
pub struct NewReminder {
    pub dossier_id: i64,
    pub contact_id: i64,
    pub topic: Topic,
    pub mandate_kind: Option<MandateKind>,
    pub template: String,
    pub step: i64,
    pub lang: Lang,
    pub reason: String,
    pub token: String,
    pub message_id: String,
    pub due_at: DateTime<Utc>,
}

/// A reminder as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Reminder {
    pub id: i64,
    pub firm_id: i64,
    pub dossier_id: i64,
    pub contact_id: i64,
    pub topic: Topic,
    pub mandate_kind: Option<MandateKind>,
    pub template: String,
    pub step: i64,
    pub lang: Lang,
    pub reason: String,
    pub token: String,
    pub message_id: String,
    pub state: State,
    pub due_at: Option<DateTime<Utc>>,
    pub attempts: i64,
    pub claimed_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub subject: Option<String>,
    pub smtp_response: Option<String>,
    pub last_error: Option<String>,
    pub planned_by: String,
    pub created_at: DateTime<Utc>,
}

const SELECT: &str =
    "SELECT id, firm_id, dossier_id, contact_id, topic, mandate_kind, template, step, lang,
    reason, token, message_id, state, due_at, attempts, claimed_at, sent_at, subject, smtp_response,
    last_error, planned_by, created_at FROM outbox";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("outbox {what} {value}"))
}

fn time(text: Option<String>) -> StoreResult<Option<DateTime<Utc>>> {
    text.map(|t| from_db_time(&t).ok_or_else(|| corrupt("time", &t)))
        .transpose()
}

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Reminder> {
    let topic: String = row.try_get("topic")?;
    let kind: Option<String> = row.try_get("mandate_kind")?;
    let lang: String = row.try_get("lang")?;
    let state: String = row.try_get("state")?;
    let created: String = row.try_get("created_at")?;
    Ok(Reminder {
        id: row.try_get("id")?,
        firm_id: row.try_get("firm_id")?,
        dossier_id: row.try_get("dossier_id")?,
        contact_id: row.try_get("contact_id")?,
        topic: Topic::from_code(&topic).ok_or_else(|| corrupt("topic", &topic))?,
        mandate_kind: kind
            .map(|k| MandateKind::from_code(&k).ok_or_else(|| corrupt("mandate kind", &k)))
            .transpose()?,
        template: row.try_get("template")?,
        step: row.try_get("step")?,
        lang: lang.parse().map_err(|_| corrupt("lang", &lang))?,
        reason: row.try_get("reason")?,
        token: row.try_get("token")?,
        message_id: row.try_get("message_id")?,
        state: State::from_code(&state).ok_or_else(|| corrupt("state", &state))?,
        due_at: time(row.try_get("due_at")?)?,
        attempts: row.try_get("attempts")?,
        claimed_at: time(row.try_get("claimed_at")?)?,
        sent_at: time(row.try_get("sent_at")?)?,
        subject: row.try_get("subject")?,
        smtp_response: row.try_get("smtp_response")?,
        last_error: row.try_get("last_error")?,
        planned_by: row.try_get("planned_by")?,
        created_at: from_db_time(&created).ok_or_else(|| corrupt("time", &created))?,
    })
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "fr",
        Lang::En => "en",
    }
}

async fn journal_line(
    conn: &mut AnyConnection,
    reminder: &Reminder,
    actor: &Actor,
    action: &str,
    mut details: serde_json::Value,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    if let Some(map) = details.as_object_mut() {
        map.insert("template".into(), json!(reminder.template));
        map.insert("step".into(), json!(reminder.step));
        map.insert("contact_id".into(), json!(reminder.contact_id));
        map.insert("message_id".into(), json!(reminder.message_id));
    }
    let entry = Entry {
        entity: "reminder",
        entity_id: Some(reminder.id),
        dossier_id: Some(reminder.dossier_id),
        action,
        details,
    };
    journal::record(conn, reminder.firm_id, at, actor, entry).await
}

pub async fn get(conn: &mut AnyConnection, firm_id: i64, id: i64) -> StoreResult<Reminder> {
    let sql = format!("{SELECT} WHERE firm_id = $1 AND id = $2");
    let row = crate::db::row_by_id(conn, sql, firm_id, id, "relance").await?;
    from_row(&row)
}

/// The reminder carrying this token (reply matching), in any firm.
pub async fn find_by_token(conn: &mut AnyConnection, token: &str) -> StoreResult<Option<Reminder>> {
    let sql = format!("{SELECT} WHERE token = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(token.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Writes a reminder in `planned`; `None` when one is already on its way
/// for this dossier and topic (planning is idempotent).
pub async fn plan(
    conn: &mut AnyConnection,
    firm_id: i64,
    new: &NewReminder,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<Option<Reminder>> {
    let now = to_db_time(at);
    let id: Option<i64> = sqlx::query(
        "INSERT INTO outbox (firm_id, dossier_id, contact_id, topic, mandate_kind, template, step, lang, reason,
             token, message_id, state, due_at, planned_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'planned', $12, $13, $14, $14)
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(firm_id)
    .bind(new.dossier_id)
    .bind(new.contact_id)
    .bind(new.topic.code())
    .bind(new.mandate_kind.map(MandateKind::code))
    .bind(new.template.clone())
    .bind(new.step)
    .bind(lang_code(new.lang))
    .bind(new.reason.clone())
    .bind(new.token.clone())
    .bind(new.message_id.clone())
    .bind(to_db_time(new.due_at))
    .bind(actor_name(actor))
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.get(0));
    let Some(id) = id else { return Ok(None) };
    let reminder = get(conn, firm_id, id).await?;
    journal_line(
        conn,
        &reminder,
        actor,
        "reminder.planned",
        json!({ "reason": new.reason, "due_at": to_db_time(new.due_at) }),
        at,
    )
    .await?;
    Ok(Some(reminder))
}

fn actor_name(actor: &Actor) -> String {
    match actor {
        Actor::User(n) | Actor::Client(n) | Actor::Import(n) => n.clone(),
        Actor::System => "cabready".into(),
    }
}

/// Claims up to `limit` reminders that are due (planned, or failed and due
/// for their retry), in every firm: each moves to `sending` in one
/// conditional update, so two senders never own the same row.
pub async fn claim_due(
    store: &Store,
    now: DateTime<Utc>,
    limit: i64,
) -> StoreResult<Vec<Reminder>> {
    let mut tx = store.begin_write().await?;
    let lock = match store.backend() {
        Backend::Postgres => " FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT id FROM outbox WHERE state IN ('planned', 'failed') AND due_at <= $1
         ORDER BY due_at, id LIMIT $2{lock}"
    );
    let ids: Vec<i64> = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to_db_time(now))
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        let done = sqlx::query(
            "UPDATE outbox SET state = 'sending', attempts = attempts + 1, claimed_at = $1, updated_at = $1
             WHERE id = $2 AND state IN ('planned', 'failed') AND due_at <= $1",
        )
        .bind(to_db_time(now))
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 1 {
            let sql = format!("{SELECT} WHERE id = $1");
            let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            let reminder = from_row(&row)?;
            journal_line(
                &mut tx,
                &reminder,
                &Actor::System,
                "reminder.sending",
                json!({ "attempt": reminder.attempts }),
                now,
            )
            .await?;
            claimed.push(reminder);
        }
    }
    tx.commit().await?;
    Ok(claimed)
}

/// Moves a row out of `sending` (or `unknown`); false when it was not there.
async fn leave_sending(
    conn: &mut AnyConnection,
    id: i64,
    from: &[State],
    to: State,
    set: &str,
    binds: (Option<String>, Option<String>, Option<String>),
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let from_list = from
        .iter()
        .map(|s| format!("'{}'", s.code()))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "UPDATE outbox SET state = $1, updated_at = $2, {set} WHERE id = $6 AND state IN ({from_list})"
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to.code())
        .bind(to_db_time(at))
        .bind(binds.0)
        .bind(binds.1)
        .bind(binds.2)
        .bind(id)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    Ok(done == 1)
}

/// The server accepted the message (`250`): `sent`, and the mandate moves
/// (`not_requested → requested` on the first request, `requested | reminded
/// → reminded` on a follow-up). One transaction: pass one.
pub async fn mark_sent(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    subject: &str,
    smtp_response: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    mark_sent_from(
        conn,
        firm_id,
        id,
        &[State::Sending],
        subject,
        smtp_response,
        at,
    )
    .await
}

async fn mark_sent_from(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    from: &[State],
    subject: &str,
    smtp_response: &str,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let reminder = get(conn, firm_id, id).await?;
    let moved = leave_sending(
        conn,
        id,
        from,
        State::Sent,
        "sent_at = $2, due_at = NULL, subject = COALESCE($3, subject), smtp_response = $4, last_error = $5",
        (
            Some(subject.to_string()).filter(|s| !s.is_empty()),
            Some(smtp_response.to_string()),
            None,
        ),
        at,
    )
    .await?;
    if !moved {
        return Ok(false);
    }
    journal_line(
        conn,
        &reminder,
        &Actor::System,
        "reminder.sent",
        json!({ "smtp_response": smtp_response }),
        at,
    )
    .await?;
    if let (Topic::Mandate, Some(kind)) = (reminder.topic, reminder.mandate_kind) {
        let current = mandates::status(conn, firm_id, reminder.dossier_id, kind).await?;
        let to = match current {
            MandateStatus::NotRequested | MandateStatus::Refused | MandateStatus::Expired => {
                Some(MandateStatus::Requested)
            }
            MandateStatus::Requested | MandateStatus::Reminded => Some(MandateStatus::Reminded),
            _ => None,
        };
        if let Some(to) = to {
            let note = Said::new(
                format!("relance #{} envoyée", reminder.id),
                format!("reminder #{} sent", reminder.id),
            )
            .stored();
            let transition = Transition {
                kind,
                to,
                note: Some(&note),
            };
            mandates::change_status(
                conn,
                firm_id,
                reminder.dossier_id,
                transition,
                &Actor::System,
                at,
            )
            .await?;
        }
    }
    Ok(true)
}

/// A send attempt failed: `failed` with the next try at `retry_at`, or
/// `abandoned` when there is none (refused for good, or too many attempts).
pub async fn mark_failed(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let reminder = get(conn, firm_id, id).await?;
    let to = if retry_at.is_some() {
        State::Failed
    } else {
        State::Abandoned
    };
    let moved = leave_sending(
        conn,
        id,
        &[State::Sending],
        to,
        "due_at = $3, last_error = $4, smtp_response = COALESCE($5, smtp_response)",
        (retry_at.map(to_db_time), Some(error.to_string()), None),
        at,
    )
    .await?;
    if moved {
        journal_line(
            conn,
            &reminder,
            &Actor::System,
            if to == State::Failed {
                "reminder.failed"
            } else {
                "reminder.abandoned"
            },
            json!({ "error": error, "retry_at": retry_at.map(to_db_time), "attempt": reminder.attempts }),
            at,
        )
        .await?;
    }
    Ok(moved)
}

/// A stop rule applies (mandate received, opt-out, bounce, a person
/// cancelled it): a reminder not yet being sent is cancelled.
pub async fn cancel(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    reason: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let reminder = get(conn, firm_id, id).await?;
    let moved = leave_sending(
        conn,
        id,
        &[State::Planned, State::Failed, State::Sending],
        State::Cancelled,
        "due_at = NULL, last_error = COALESCE($3, last_error), subject = COALESCE($4, subject), smtp_response = COALESCE($5, smtp_response)",
        (Some(reason.to_string()), None, None),
        at,
    )
    .await?;
    if moved {
        journal_line(
            conn,
            &reminder,
            actor,
            "reminder.cancelled",
            json!({ "reason": reason }),
            at,
        )
        .await?;
    }
    Ok(moved)
}

/// Cancels every live, not-yet-sent reminder of a dossier (or of one topic).
pub async fn cancel_for_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    topic: Option<Topic>,
    reason: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<usize> {
    let ids: Vec<i64> = sqlx::query(
        "SELECT id FROM outbox WHERE firm_id = $1 AND dossier_id = $2 AND state IN ('planned', 'failed')
         AND ($3 = '' OR topic = $3)",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(topic.map(Topic::code).unwrap_or(""))
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.get(0))
    .collect();
    let mut cancelled = 0;
    for id in ids {
        if cancel(conn, firm_id, id, reason, actor, at).await? {
            cancelled += 1;
        }
    }
    Ok(cancelled)
}

/// Rows left in `sending` by a sender that died: claimed before `before`.
pub async fn stuck_sending(
    conn: &mut AnyConnection,
    before: DateTime<Utc>,
) -> StoreResult<Vec<Reminder>> {
    let sql = format!("{SELECT} WHERE state = 'sending' AND claimed_at < $1 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(to_db_time(before))
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// What became of a reminder left in `sending` (or `unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// It was delivered (the transport found it, or a person checked): `sent`.
    Delivered,
    /// It provably never left: back to `planned`, due now.
    NotDelivered,
    /// Nobody can tell: `unknown`, never resent automatically.
    Unknown,
}

pub async fn resolve_stuck(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    resolution: Resolution,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let from = [State::Sending, State::Unknown];
    match resolution {
        Resolution::Delivered => {
            mark_sent_from(conn, firm_id, id, &from, "", "recovered: delivered", at).await
        }
        Resolution::NotDelivered | Resolution::Unknown => {
            let reminder = get(conn, firm_id, id).await?;
            let (to, due) = if resolution == Resolution::NotDelivered {
                (State::Planned, Some(to_db_time(at)))
            } else {
                (State::Unknown, None)
            };
            let moved = leave_sending(
                conn,
                id,
                &from,
                to,
                "due_at = $3, last_error = $4, smtp_response = COALESCE($5, smtp_response)",
                (
                    due,
                    Some("sender interrupted while sending".to_string()),
                    None,
                ),
                at,
            )
            .await?;
            if moved {
                journal_line(
                    conn,
                    &reminder,
                    actor,
                    "reminder.recovered",
                    json!({ "after": to.code() }),
                    at,
                )
                .await?;
            }
            Ok(moved)
        }
    }
}

/// A person checked a reminder left `unknown` (in the relay's sent
/// messages, or with the client): `delivered` → `sent`, and the mandate
/// moves as for a normal send; not delivered → `planned` again, due at
/// `due_at` (the next sending slot). Journaled `reminder.settled` with the
/// person as author, in the same transaction. `Ok(false)` when the
/// reminder is not `unknown` (already settled, or never was).
pub async fn settle(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    delivered: bool,
    due_at: DateTime<Utc>,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let reminder = get(conn, firm_id, id).await?;
    if reminder.state != State::Unknown {
        return Ok(false);
    }
    let moved = if delivered {
        mark_sent_from(
            conn,
            firm_id,
            id,
            &[State::Unknown],
            "",
            "settled by hand: delivered",
            at,
        )
        .await?
    } else {
        leave_sending(
            conn,
            id,
            &[State::Unknown],
            State::Planned,
            "due_at = $3, last_error = $4, smtp_response = COALESCE($5, smtp_response)",
            (
                Some(to_db_time(due_at)),
                Some("settled by hand: not delivered".to_string()),
                None,
            ),
            at,
        )
        .await?
    };
    if moved {
        let outcome = if delivered { "sent" } else { "planned" };
        journal_line(
            conn,
            &reminder,
            actor,
            "reminder.settled",
            json!({ "state": { "before": "unknown", "after": outcome }, "due_at": (!delivered).then(|| to_db_time(due_at)) }),
            at,
        )
        .await?;
    }
    Ok(moved)
}

/// A dossier's reminders, newest first.
pub async fn for_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    limit: i64,
) -> StoreResult<Vec<Reminder>> {
    let sql = format!("{SELECT} WHERE firm_id = $1 AND dossier_id = $2 ORDER BY id DESC LIMIT $3");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(dossier_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// The firm's reminders in one state, oldest first.
pub async fn in_state(
    conn: &mut AnyConnection,
    firm_id: i64,
    state: State,
) -> StoreResult<Vec<Reminder>> {
    let sql = format!("{SELECT} WHERE firm_id = $1 AND state = $2 ORDER BY id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(state.code())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

/// How many of the firm's reminders are in each state.
pub async fn counts(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<Vec<(State, i64)>> {
    let rows = sqlx::query(
        "SELECT state, CAST(COUNT(*) AS BIGINT) FROM outbox WHERE firm_id = $1 GROUP BY state",
    )
    .bind(firm_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut counts: Vec<(State, i64)> = State::ALL.iter().map(|s| (*s, 0)).collect();
    for row in rows {
        let code: String = row.get(0);
        let state = State::from_code(&code).ok_or_else(|| corrupt("state", &code))?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == state) {
            slot.1 = row.get(1);
        }
    }
    Ok(counts)
}

/// When this address was last written to in the firm, whatever the reason
/// and the dossier (one person may be the contact of several dossiers):
/// sent, or possibly sent (`sending` and `unknown` count, to stay on the
/// safe side), or about to be (`planned` and `failed`, at their due time),
/// so that two dossiers planned in the same pass do not both write to it.
/// Addresses are compared as [`crate::domain::Email`] keeps them: lower case.
pub async fn last_contacted(
    conn: &mut AnyConnection,
    firm_id: i64,
    email: &crate::domain::Email,
) -> StoreResult<Option<DateTime<Utc>>> {
    let row = sqlx::query(
        "SELECT MAX(COALESCE(o.sent_at, o.claimed_at, o.due_at)) FROM outbox o
         JOIN contacts c ON c.id = o.contact_id
         WHERE c.firm_id = $1 AND c.email = $2 AND o.firm_id = $1
           AND o.state IN ('sent', 'sending', 'unknown', 'planned', 'failed')",
    )
    .bind(firm_id)
    .bind(email.as_str().to_lowercase())
    .fetch_one(&mut *conn)
    .await?;
    time(row.try_get(0)?)
}

/// From when the client's silence counts again: its latest reply (a
/// processed reply from a contact of the dossier), or a person closing a
/// "relance sans réponse" task of the dossier, whichever is later. Only
/// the reminders sent after it are unanswered.
pub async fn silence_since(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
) -> StoreResult<Option<DateTime<Utc>>> {
    let replied: Option<String> = sqlx::query(
        "SELECT MAX(processed_at) FROM inbound_messages
         WHERE firm_id = $1 AND dossier_id = $2 AND kind = 'reply' AND contact_id IS NOT NULL",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let closed = crate::anomalies::of_dossier(conn, firm_id, dossier_id)
        .await?
        .into_iter()
        .filter(|a| {
            a.rule == "reminder_no_answer" && a.status != crate::anomalies::AnomalyStatus::Open
        })
        .filter_map(|a| a.closed_at)
        .max();
    Ok(time(replied)?.max(closed))
}

/// Opens the "relance sans réponse" task for a person (once per dossier,
/// topic and round; the cadence stops chasing while it is open) and raises
/// it in the anomaly queue, assigned to the dossier's owner, under the
/// stable key `reminder_no_answer:TOPIC:DOSSIER` (`…:DOSSIER:N` for the
/// N-th round, after the client answered or a person closed the task;
/// never a second one while one is open).
/// The row keeps the number of reminders of the topic sent so far to the
/// dossier, which grows from one round to the next. True when the task is new.
pub async fn escalate(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    topic: Topic,
    reminders: i64,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let sent_so_far: i64 = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox
         WHERE firm_id = $1 AND dossier_id = $2 AND topic = $3 AND state IN ('sent', 'unknown')",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(topic.code())
    .fetch_one(&mut *conn)
    .await?
    .get(0);
    let created = sqlx::query(
        "INSERT INTO reminder_escalations (firm_id, dossier_id, topic, reminders, opened_at)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(topic.code())
    .bind(sent_so_far.max(reminders))
    .bind(to_db_time(at))
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if created {
        let entry = Entry {
            entity: "dossier",
            entity_id: Some(dossier_id),
            dossier_id: Some(dossier_id),
            action: "reminder.no_answer",
            details: json!({ "topic": topic.code(), "reminders": reminders }),
        };
        journal::record(conn, firm_id, at, &Actor::System, entry).await?;
        let last: Option<String> = sqlx::query(
            "SELECT MAX(sent_at) FROM outbox
             WHERE firm_id = $1 AND dossier_id = $2 AND topic = $3 AND state = 'sent'",
        )
        .bind(firm_id)
        .bind(dossier_id)
        .bind(topic.code())
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
        let last_day = time(last)?.map(|t| {
            t.with_timezone(&chrono_tz::Europe::Paris)
                .date_naive()
                .to_string()
        });
        // The earlier rounds' anomalies: none open (one task at a time).
        let base = format!("reminder_no_answer:{}:{dossier_id}", topic.code());
        let earlier: Vec<crate::anomalies::AnomalyStatus> =
            crate::anomalies::of_dossier(conn, firm_id, dossier_id)
                .await?
                .into_iter()
                .filter(|a| a.key == base || a.key.starts_with(&format!("{base}:")))
                .map(|a| a.status)
                .collect();
        if earlier.contains(&crate::anomalies::AnomalyStatus::Open) {
            return Ok(created);
        }
        let key = match earlier.len() {
            0 => base,
            n => format!("{base}:{}", n + 1),
        };
        crate::anomalies::raise(
            conn,
            firm_id,
            &key,
            "reminder_no_answer",
            crate::anomalies::Severity::Warning,
            dossier_id,
            json!({ "topic": topic.code(), "reminders": reminders, "last_reminder": last_day }),
            at,
        )
        .await?;
    }
    Ok(created)
}

/// Whether a "relance sans réponse" task was opened for this dossier and
/// topic after `since` (see [`silence_since`]): one opened before the
/// client's latest answer, or before a person closed it, no longer stops
/// the cadence.
pub async fn escalated(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    topic: Topic,
    since: Option<DateTime<Utc>>,
) -> StoreResult<bool> {
    let row = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM reminder_escalations
         WHERE firm_id = $1 AND dossier_id = $2 AND topic = $3 AND closed_at IS NULL
           AND opened_at > $4",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(topic.code())
    .bind(since.map(to_db_time).unwrap_or_default())
    .fetch_one(&mut *conn)
    .await?;
    Ok(row.get::<i64, _>(0) > 0)
}
