//! The append-only journal: every state change writes one line here, in
//! the same transaction as the change itself (the tables refuse UPDATE
//! and DELETE on it).

use crate::clock::{from_db_time, to_db_time};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A user of the firm, by email (chat, CLI).
    User(String),
    /// A client, by the email address that wrote.
    Client(String),
    /// An import, by file name.
    Import(String),
    /// CabReady itself (scheduler, rules, demo).
    System,
}

impl Actor {
    fn kind(&self) -> &'static str {
        match self {
            Actor::User(_) => "user",
            Actor::Client(_) => "client",
            Actor::Import(_) => "import",
            Actor::System => "system",
        }
    }

    fn name(&self) -> &str {
        match self {
            Actor::User(n) | Actor::Client(n) | Actor::Import(n) => n,
            Actor::System => "cabready",
        }
    }
}

/// One journal line to write.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub entity: &'a str,
    pub entity_id: Option<i64>,
    pub dossier_id: Option<i64>,
    pub action: &'a str,
    pub details: Value,
}

pub async fn record(
    conn: &mut AnyConnection,
    firm_id: i64,
    at: DateTime<Utc>,
    actor: &Actor,
    entry: Entry<'_>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO journal (firm_id, at, actor_kind, actor, entity, entity_id, dossier_id, action, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(firm_id)
    .bind(to_db_time(at))
    .bind(actor.kind())
    .bind(actor.name().to_string())
    .bind(entry.entity.to_string())
    .bind(entry.entity_id)
    .bind(entry.dossier_id)
    .bind(entry.action.to_string())
    .bind(entry.details.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes many lines at once (rule evaluations that open or close
/// thousands of anomalies): the same lines as [`record`] one by one.
pub async fn record_many(
    conn: &mut AnyConnection,
    firm_id: i64,
    at: DateTime<Utc>,
    actor: &Actor,
    entries: &[Entry<'_>],
) -> StoreResult<()> {
    const CHUNK: usize = 10_000;
    let at = to_db_time(at);
    for chunk in entries.chunks(CHUNK) {
        let rows: Vec<Value> = chunk
            .iter()
            .map(|e| {
                serde_json::json!([
                    e.entity,
                    e.entity_id,
                    e.dossier_id,
                    e.action,
                    e.details.to_string()
                ])
            })
            .collect();
        let sql = format!(
            "INSERT INTO journal (firm_id, at, actor_kind, actor, entity, entity_id, dossier_id, action, details)
             SELECT $1, $2, $3, $4, j.value ->> 0, CAST(j.value ->> 1 AS BIGINT), CAST(j.value ->> 2 AS BIGINT),
                j.value ->> 3, j.value ->> 4
             FROM {} WHERE 1 = 1",
            crate::staging::json_rows(conn, 5)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(firm_id)
            .bind(at.clone())
            .bind(actor.kind())
            .bind(actor.name().to_string())
            .bind(Value::Array(rows).to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A statement bound to the Any driver, as [`record_selected`]'s caller
/// completes it.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// One line per row of `select`, built by the database from rows it holds,
/// so that none travels to Rust and back (the rules' evaluation journals
/// thousands of new anomalies at once). `select` yields entity, entity_id,
/// dossier_id, action and details, in that order, and may read `$1` (the
/// firm), `$2` (the time) and its own parameters from `$5` on, which
/// `bind` adds. Returns how many lines were written.
pub(crate) async fn record_selected<'q>(
    conn: &mut AnyConnection,
    firm_id: i64,
    at: DateTime<Utc>,
    actor: &Actor,
    select: &str,
    bind: impl FnOnce(AnyQuery<'q>) -> AnyQuery<'q>,
) -> StoreResult<u64> {
    let sql = format!(
        "INSERT INTO journal (firm_id, at, actor_kind, actor, entity, entity_id, dossier_id, action, details)
         SELECT $1, $2, $3, $4, s.* FROM ({select}) AS s"
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(to_db_time(at))
        .bind(actor.kind())
        .bind(actor.name().to_string());
    Ok(bind(query).execute(&mut *conn).await?.rows_affected())
}

/// A journal line as read back.
#[derive(Debug, Clone)]
pub struct JournalLine {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub dossier_id: Option<i64>,
    pub action: String,
    pub details: Value,
}

/// The latest `limit` lines about one dossier, newest first: by their time,
/// then in the order they were written (a line written later with an
/// earlier time, as a simulated clock allows, takes its place in time).
pub async fn for_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    limit: i64,
) -> StoreResult<Vec<JournalLine>> {
    let rows = sqlx::query(
        "SELECT id, at, actor_kind, actor, entity, entity_id, dossier_id, action, details FROM journal
         WHERE firm_id = $1 AND dossier_id = $2 ORDER BY at DESC, id DESC LIMIT $3",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(line_from_row).collect()
}

/// Every line about one thing (an anomaly, a reminder…), oldest first.
/// `dossier_id` is the dossier those lines name, if any: the dossier's
/// index then finds them among its own lines instead of the whole journal.
pub async fn about(
    conn: &mut AnyConnection,
    firm_id: i64,
    entity: &str,
    entity_id: i64,
    dossier_id: Option<i64>,
) -> StoreResult<Vec<JournalLine>> {
    let dossier = if dossier_id.is_some() {
        "dossier_id = $4"
    } else {
        "dossier_id IS NULL AND $4 IS NULL"
    };
    let sql = format!(
        "SELECT id, at, actor_kind, actor, entity, entity_id, dossier_id, action, details FROM journal
         WHERE firm_id = $1 AND {dossier} AND entity = $2 AND entity_id = $3 ORDER BY id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(entity.to_string())
        .bind(entity_id)
        .bind(dossier_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(line_from_row).collect()
}

/// Which of the firm's journal lines to read (`cabready journal`).
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub dossier_id: Option<i64>,
    /// From this time on, included.
    pub since: Option<DateTime<Utc>>,
    /// Before this time.
    pub until: Option<DateTime<Utc>>,
    /// The author as the journal names them (an email, `cabready`, a file).
    pub actor: Option<String>,
    pub limit: i64,
}

/// The latest `filter.limit` lines that pass the filter, oldest first (as
/// they happened; `for_dossier`'s order, reversed).
pub async fn list(
    conn: &mut AnyConnection,
    firm_id: i64,
    filter: &Filter,
) -> StoreResult<Vec<JournalLine>> {
    let rows = sqlx::query(
        "SELECT id, at, actor_kind, actor, entity, entity_id, dossier_id, action, details FROM journal
         WHERE firm_id = $1 AND ($2 IS NULL OR dossier_id = $2) AND ($3 IS NULL OR at >= $3)
           AND ($4 IS NULL OR at < $4) AND ($5 IS NULL OR actor = $5)
         ORDER BY at DESC, id DESC LIMIT $6",
    )
    .bind(firm_id)
    .bind(filter.dossier_id)
    .bind(filter.since.map(to_db_time))
    .bind(filter.until.map(to_db_time))
    .bind(filter.actor.clone())
    .bind(filter.limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut lines = rows
        .iter()
        .map(line_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    lines.reverse();
    Ok(lines)
}

/// How many lines the firm's journal holds (tests, summaries).
pub async fn count(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) FROM journal WHERE firm_id = $1")
            .bind(firm_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?,
    )
}

/// The firm's journal lines after `after_id`, oldest first (what notices follow).
pub async fn since(
    conn: &mut AnyConnection,
    firm_id: i64,
    after_id: i64,
    limit: i64,
) -> StoreResult<Vec<JournalLine>> {
    let rows = sqlx::query(
        "SELECT id, at, actor_kind, actor, entity, entity_id, dossier_id, action, details FROM journal
         WHERE firm_id = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(firm_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter().map(line_from_row).collect()
}

/// The id of the firm's latest journal line (0 when empty).
pub async fn last_id(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<i64> {
    let id: Option<i64> = sqlx::query("SELECT MAX(id) FROM journal WHERE firm_id = $1")
        .bind(firm_id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(id.unwrap_or(0))
}

fn line_from_row(row: &sqlx::any::AnyRow) -> StoreResult<JournalLine> {
    let at: String = row.try_get("at")?;
    let details: String = row.try_get("details")?;
    Ok(JournalLine {
        id: row.try_get("id")?,
        at: from_db_time(&at).ok_or_else(|| StoreError::Corrupt(format!("journal time {at}")))?,
        actor_kind: row.try_get("actor_kind")?,
        actor: row.try_get("actor")?,
        entity: row.try_get("entity")?,
        entity_id: row.try_get("entity_id")?,
        dossier_id: row.try_get("dossier_id")?,
        action: row.try_get("action")?,
        details: serde_json::from_str(&details).map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

/// One field that changed, for "update" journal lines.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldChange {
    pub field: &'static str,
    pub before: Value,
    pub after: Value,
}

/// The fields whose values differ between two snapshots of a record.
pub fn diff(
    before: &BTreeMap<&'static str, Value>,
    after: &BTreeMap<&'static str, Value>,
) -> Vec<FieldChange> {
    after
        .iter()
        .filter_map(|(field, new)| {
            let old = before.get(field).cloned().unwrap_or(Value::Null);
            (old != *new).then(|| FieldChange {
                field,
                before: old,
                after: new.clone(),
            })
        })
        .collect()
}

/// `{"field": {"before": …, "after": …}}`: how changes are journaled.
pub fn changes_json(changes: &[FieldChange]) -> Value {
    Value::Object(
        changes
            .iter()
            .map(|c| {
                (
                    c.field.to_string(),
                    serde_json::json!({ "before": c.before, "after": c.after }),
                )
            })
            .collect(),
    )
}

/// What an upsert did.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Created,
    Updated(Vec<FieldChange>),
    Unchanged,
}
