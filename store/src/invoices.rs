//! Invoice flows: the invoices platforms report for the firm's dossiers,
//! their status history and current status.
//!
//! Imports write through [`record_batch`] only: one call per batch of
//! lines, inside the caller's transaction, with one journal line per batch
//! that changed something (a line per invoice would double the volume of a
//! million-line import for no reader). The history table itself is the
//! detailed record: every event keeps its source file and import time.
//! Writing the same events twice adds nothing: invoices are unique per
//! (platform, platform id), events per (invoice, code, time).

use crate::clock::{from_db_time, to_db_date, to_db_time};
use crate::domain::{Cents, Direction, LifecycleCode};
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, Actor, Entry};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeSet, HashMap};

/// One line of a platform export, parsed and linked to its dossier.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowEvent {
    pub dossier_id: i64,
    /// The platform the export came from; empty when unknown.
    pub platform: String,
    pub platform_invoice_id: String,
    pub invoice_number: String,
    pub issue_date: Option<NaiveDate>,
    pub direction: Direction,
    pub seller_siren: String,
    pub buyer_siren: String,
    /// The counterpart's SIREN is invalid: the field name and why (kept, raised as an anomaly).
    pub siren_problem: Option<String>,
    pub amount_ht: Option<Cents>,
    pub amount_ttc: Option<Cents>,
    pub currency: String,
    pub code: LifecycleCode,
    pub status_at: DateTime<Utc>,
    /// The status as the platform wrote it.
    pub label: String,
    pub reason: Option<String>,
}

/// What one batch added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub new_invoices: usize,
    pub new_statuses: usize,
    pub known_statuses: usize,
    /// Dossiers that got at least one new status event.
    pub dossiers: BTreeSet<i64>,
}

/// Lines per statement: one JSON parameter carries them all.
const CHUNK: usize = 10_000;

/// The rows of a JSON array parameter, as a table `j` with one column
/// `value` (each row a JSON array, read with `j.value ->> N`): one bound
/// parameter per statement instead of one per cell, which is what makes
/// batches fast through sqlx's Any driver on both backends.
pub(crate) fn json_rows(conn: &AnyConnection, param: usize) -> String {
    if conn.backend_name().eq_ignore_ascii_case("postgresql") {
        format!("json_array_elements(CAST(${param} AS json)) AS j(value)")
    } else {
        format!("json_each(${param}) AS j")
    }
}

fn json_text(rows: Vec<Value>) -> String {
    Value::Array(rows).to_string()
}

/// Writes a batch of events in the caller's transaction: new invoices,
/// new status events, the current status of every invoice that changed,
/// and one journal line when anything was added.
pub async fn record_batch(
    conn: &mut AnyConnection,
    firm_id: i64,
    events: &[FlowEvent],
    source_file: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<BatchOutcome> {
    let mut outcome = BatchOutcome::default();
    if events.is_empty() {
        return Ok(outcome);
    }
    // 1. The invoices' ids, creating the missing ones (first line of the batch wins).
    let mut ids: HashMap<(&str, &str), i64> = HashMap::new();
    let mut by_platform: HashMap<&str, Vec<&FlowEvent>> = HashMap::new();
    {
        let mut seen = BTreeSet::new();
        for e in events {
            if seen.insert((e.platform.as_str(), e.platform_invoice_id.as_str())) {
                by_platform.entry(e.platform.as_str()).or_default().push(e);
            }
        }
    }
    let seen_at = to_db_time(at);
    for (platform, firsts) in &by_platform {
        for chunk in firsts.chunks(CHUNK) {
            let index: HashMap<&str, &FlowEvent> = chunk
                .iter()
                .map(|e| (e.platform_invoice_id.as_str(), *e))
                .collect();
            let sql = format!(
                // The JSON list drives the join (CROSS JOIN keeps that order in
                // SQLite): one index probe per key, whatever the table's size.
                "SELECT i.id, i.platform_invoice_id FROM {} CROSS JOIN invoices i
                 WHERE i.firm_id = $1 AND i.platform = $2 AND i.platform_invoice_id = (j.value ->> 0)",
                json_rows(conn, 3)
            );
            let keys = json_text(
                chunk
                    .iter()
                    .map(|e| json!([e.platform_invoice_id]))
                    .collect(),
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(firm_id)
                .bind(platform.to_string())
                .bind(keys)
                .fetch_all(&mut *conn)
                .await?;
            for row in rows {
                let pid: String = row.try_get(1)?;
                if let Some(e) = index.get(pid.as_str()) {
                    ids.insert((platform, e.platform_invoice_id.as_str()), row.try_get(0)?);
                }
            }
            let missing: Vec<Value> = chunk
                .iter()
                .filter(|e| !ids.contains_key(&(*platform, e.platform_invoice_id.as_str())))
                .map(|e| {
                    json!([
                        e.dossier_id,
                        e.platform_invoice_id,
                        e.invoice_number,
                        e.issue_date.map(to_db_date),
                        e.direction.code(),
                        e.seller_siren,
                        e.buyer_siren,
                        e.siren_problem,
                        e.amount_ht,
                        e.amount_ttc,
                        e.currency,
                    ])
                })
                .collect();
            if missing.is_empty() {
                continue;
            }
            let expected = missing.len();
            let sql = format!(
                "INSERT INTO invoices (firm_id, dossier_id, platform, platform_invoice_id, invoice_number, issue_date,
                    direction, seller_siren, buyer_siren, siren_problem, amount_ht_cents, amount_ttc_cents, currency,
                    first_seen_at)
                 SELECT $1, CAST(j.value ->> 0 AS BIGINT), $2, j.value ->> 1, j.value ->> 2, j.value ->> 3,
                    j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7, CAST(j.value ->> 8 AS BIGINT),
                    CAST(j.value ->> 9 AS BIGINT), j.value ->> 10, $3
                 FROM {} WHERE 1 = 1
                 ON CONFLICT (firm_id, platform, platform_invoice_id) DO NOTHING
                 RETURNING id, platform_invoice_id",
                json_rows(conn, 4)
            );
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(firm_id)
                .bind(platform.to_string())
                .bind(seen_at.clone())
                .bind(json_text(missing))
                .fetch_all(&mut *conn)
                .await?;
            let rows_returned = rows.len();
            outcome.new_invoices += rows_returned;
            for row in rows {
                let pid: String = row.try_get(1)?;
                if let Some(e) = index.get(pid.as_str()) {
                    ids.insert((platform, e.platform_invoice_id.as_str()), row.try_get(0)?);
                }
            }
            if rows_returned < expected
                && chunk
                    .iter()
                    .any(|e| !ids.contains_key(&(*platform, e.platform_invoice_id.as_str())))
            {
                // Another import created some meanwhile: importing again finds them.
                return Err(StoreError::Corrupt(
                    "invoices created concurrently by another import; import the file again".into(),
                ));
            }
        }
    }

    // 2. The status events, each once.
    let mut touched: BTreeSet<i64> = BTreeSet::new();
    let imported_at = to_db_time(at);
    let mut dossier_of: HashMap<i64, i64> = HashMap::new();
    for chunk in events.chunks(CHUNK) {
        let rows: Vec<Value> = chunk
            .iter()
            .map(|e| {
                let invoice_id = ids[&(e.platform.as_str(), e.platform_invoice_id.as_str())];
                dossier_of.insert(invoice_id, e.dossier_id);
                json!([
                    invoice_id,
                    e.code.number(),
                    to_db_time(e.status_at),
                    e.label,
                    e.reason,
                ])
            })
            .collect();
        let sql = format!(
            "INSERT INTO invoice_statuses (firm_id, invoice_id, code, status_at, label, reason, source_file, imported_at)
             SELECT $1, CAST(j.value ->> 0 AS BIGINT), CAST(j.value ->> 1 AS BIGINT), j.value ->> 2, j.value ->> 3,
                j.value ->> 4, $2, $3
             FROM {} WHERE 1 = 1
             ON CONFLICT (invoice_id, code, status_at) DO NOTHING RETURNING invoice_id",
            json_rows(conn, 4)
        );
        let inserted = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(firm_id)
            .bind(source_file.to_string())
            .bind(imported_at.clone())
            .bind(json_text(rows))
            .fetch_all(&mut *conn)
            .await?;
        outcome.new_statuses += inserted.len();
        outcome.known_statuses += chunk.len() - inserted.len();
        for row in inserted {
            touched.insert(row.try_get(0)?);
        }
    }

    // 3. The current status: the latest event (the highest code on a tie),
    // whatever the order the files came in. (`+firm_id`: the ids come from
    // this firm's rows above; the unary plus keeps the planner on the
    // primary key instead of scanning the firm's invoices.)
    let touched: Vec<i64> = touched.into_iter().collect();
    for chunk in touched.chunks(CHUNK) {
        let sql = format!(
            "UPDATE invoices SET
                current_code = (SELECT s.code FROM invoice_statuses s WHERE s.invoice_id = invoices.id
                                ORDER BY s.status_at DESC, s.code DESC LIMIT 1),
                current_at = (SELECT MAX(s.status_at) FROM invoice_statuses s WHERE s.invoice_id = invoices.id)
             WHERE id IN (SELECT CAST(j.value ->> 0 AS BIGINT) FROM {}) AND +firm_id = $1",
            json_rows(conn, 2)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(firm_id)
            .bind(json_text(chunk.iter().map(|id| json!([id])).collect()))
            .execute(&mut *conn)
            .await?;
    }
    outcome.dossiers = touched
        .iter()
        .filter_map(|i| dossier_of.get(i))
        .copied()
        .collect();
    let dossiers: Vec<i64> = outcome.dossiers.iter().copied().collect();
    refresh_flow_dates(conn, firm_id, Some(&dossiers)).await?;

    if outcome.new_statuses > 0 {
        let platforms: BTreeSet<&str> = events.iter().map(|e| e.platform.as_str()).collect();
        let entry = Entry {
            entity: "invoice_flow",
            entity_id: None,
            dossier_id: (outcome.dossiers.len() == 1)
                .then(|| outcome.dossiers.iter().next().copied())
                .flatten(),
            action: "flux.imported",
            details: serde_json::json!({
                "file": source_file,
                "platforms": platforms,
                "new_invoices": outcome.new_invoices,
                "new_statuses": outcome.new_statuses,
                "known_statuses": outcome.known_statuses,
                "dossiers": outcome.dossiers.len(),
            }),
        };
        journal::record(conn, firm_id, at, actor, entry).await?;
    }
    Ok(outcome)
}

/// Brings each dossier's latest received and emitted flow dates (columns
/// `last_received_at`, `last_emitted_at` of `dossiers`, read by readiness)
/// in line with its invoices: for the given dossiers, or all of the firm's.
/// Whoever writes invoices calls it in the same transaction.
pub async fn refresh_flow_dates(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossiers: Option<&[i64]>,
) -> StoreResult<()> {
    const SET: &str = "UPDATE dossiers SET
        last_received_at = (SELECT MAX(i.current_at) FROM invoices i
                             WHERE i.firm_id = dossiers.firm_id AND i.dossier_id = dossiers.id AND i.direction = 'received'),
        last_emitted_at = (SELECT MAX(i.current_at) FROM invoices i
                            WHERE i.firm_id = dossiers.firm_id AND i.dossier_id = dossiers.id AND i.direction = 'emitted')
        WHERE firm_id = $1";
    match dossiers {
        None => {
            sqlx::query(SET).bind(firm_id).execute(&mut *conn).await?;
        }
        Some(ids) => {
            for chunk in ids.chunks(CHUNK) {
                let sql = format!(
                    "{SET} AND id IN (SELECT CAST(j.value ->> 0 AS BIGINT) FROM {})",
                    json_rows(conn, 2)
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(firm_id)
                    .bind(json_text(chunk.iter().map(|id| json!([id])).collect()))
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Ok(())
}

/// An invoice as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Invoice {
    pub id: i64,
    pub dossier_id: i64,
    pub platform: String,
    pub platform_invoice_id: String,
    pub invoice_number: String,
    pub issue_date: Option<NaiveDate>,
    pub direction: Direction,
    pub seller_siren: String,
    pub buyer_siren: String,
    pub siren_problem: Option<String>,
    pub amount_ht: Option<Cents>,
    pub amount_ttc: Option<Cents>,
    pub currency: String,
    pub current: Option<(LifecycleCode, DateTime<Utc>)>,
}

const SELECT_INVOICE: &str = "SELECT id, dossier_id, platform, platform_invoice_id, invoice_number, issue_date,
    direction, seller_siren, buyer_siren, siren_problem, amount_ht_cents, amount_ttc_cents, currency,
    current_code, current_at FROM invoices";

fn invoice_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Invoice> {
    let direction: String = row.try_get("direction")?;
    let issue_date: Option<String> = row.try_get("issue_date")?;
    let code: Option<i64> = row.try_get("current_code")?;
    let current_at: Option<String> = row.try_get("current_at")?;
    let current = match (code, current_at) {
        (Some(c), Some(t)) => Some((
            LifecycleCode::from_number(c)
                .ok_or_else(|| StoreError::Corrupt(format!("lifecycle code {c}")))?,
            from_db_time(&t).ok_or_else(|| StoreError::Corrupt(format!("time {t}")))?,
        )),
        _ => None,
    };
    Ok(Invoice {
        id: row.try_get("id")?,
        dossier_id: row.try_get("dossier_id")?,
        platform: row.try_get("platform")?,
        platform_invoice_id: row.try_get("platform_invoice_id")?,
        invoice_number: row.try_get("invoice_number")?,
        issue_date: issue_date.as_deref().and_then(crate::clock::from_db_date),
        direction: Direction::from_code(&direction)
            .ok_or_else(|| StoreError::Corrupt(format!("direction {direction}")))?,
        seller_siren: row.try_get("seller_siren")?,
        buyer_siren: row.try_get("buyer_siren")?,
        siren_problem: row.try_get("siren_problem")?,
        amount_ht: row.try_get("amount_ht_cents")?,
        amount_ttc: row.try_get("amount_ttc_cents")?,
        currency: row.try_get("currency")?,
        current,
    })
}

/// A dossier's invoices, by platform id.
pub async fn for_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
) -> StoreResult<Vec<Invoice>> {
    let sql = format!(
        "{SELECT_INVOICE} WHERE firm_id = $1 AND dossier_id = $2 ORDER BY platform, platform_invoice_id"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(dossier_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(invoice_from_row).collect()
}

pub async fn find(
    conn: &mut AnyConnection,
    firm_id: i64,
    platform: &str,
    platform_invoice_id: &str,
) -> StoreResult<Option<Invoice>> {
    let sql = format!(
        "{SELECT_INVOICE} WHERE firm_id = $1 AND platform = $2 AND platform_invoice_id = $3"
    );
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(platform.to_string())
        .bind(platform_invoice_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(invoice_from_row).transpose()
}

/// One event of an invoice's history.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusEvent {
    pub code: LifecycleCode,
    pub at: DateTime<Utc>,
    pub label: String,
    pub reason: Option<String>,
    pub source_file: String,
}

/// An invoice's status history, oldest first.
pub async fn history(
    conn: &mut AnyConnection,
    firm_id: i64,
    invoice_id: i64,
) -> StoreResult<Vec<StatusEvent>> {
    let rows = sqlx::query(
        "SELECT code, status_at, label, reason, source_file FROM invoice_statuses
         WHERE firm_id = $1 AND invoice_id = $2 ORDER BY status_at, code",
    )
    .bind(firm_id)
    .bind(invoice_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|row| {
            let code: i64 = row.try_get(0)?;
            let at: String = row.try_get(1)?;
            Ok(StatusEvent {
                code: LifecycleCode::from_number(code)
                    .ok_or_else(|| StoreError::Corrupt(format!("lifecycle code {code}")))?,
                at: from_db_time(&at).ok_or_else(|| StoreError::Corrupt(format!("time {at}")))?,
                label: row.try_get(2)?,
                reason: row.try_get(3)?,
                source_file: row.try_get(4)?,
            })
        })
        .collect()
}

/// (invoices, status events) of the firm: tests and summaries.
pub async fn counts(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<(i64, i64)> {
    let invoices: i64 = sqlx::query("SELECT COUNT(*) FROM invoices WHERE firm_id = $1")
        .bind(firm_id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let statuses: i64 = sqlx::query("SELECT COUNT(*) FROM invoice_statuses WHERE firm_id = $1")
        .bind(firm_id)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok((invoices, statuses))
}

/// A dossier's most recently updated invoices, newest status first.
pub async fn latest_for_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    limit: i64,
) -> StoreResult<Vec<Invoice>> {
    let sql = format!(
        "{SELECT_INVOICE} WHERE firm_id = $1 AND dossier_id = $2 ORDER BY current_at DESC, id DESC LIMIT $3"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(dossier_id)
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(invoice_from_row).collect()
}
