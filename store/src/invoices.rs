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
//!
//! A batch is staged once in a temporary table of the connection, then
//! written by set-based statements: what it costs grows with the batch,
//! not with the number of statements (see docs/PERFORMANCE.md, "flux").

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
/// batches fast through sqlx's Any driver on both backends. (PostgreSQL:
/// `jsonb`, parsed once; with `json` every `->>` parses the row again,
/// which cost 130 ms per 5,000-line batch of the flux import; SQLite:
/// `jsonb_each`, whose rows are binary JSON that `->>` reads without
/// parsing each row's text again for every field: half the time.)
pub(crate) fn json_rows(conn: &AnyConnection, param: usize) -> String {
    if is_postgres(conn) {
        format!("jsonb_array_elements(CAST(${param} AS jsonb)) AS j(value)")
    } else {
        format!("jsonb_each(jsonb(${param})) AS j")
    }
}

pub(crate) fn is_postgres(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("postgresql")
}

fn json_text(rows: Vec<Value>) -> String {
    Value::Array(rows).to_string()
}

/// The batch's lines, staged in a temporary table of the import's
/// connection (private to it, emptied at each batch) so that every step
/// after it is one set-based statement over the whole batch: the lines
/// travel once, as one JSON parameter, and no row comes back to Rust.
/// `first_line` marks the line that creates the invoice (the first of its
/// key in the batch), which also carries the invoice's latest status in
/// the batch (`cur_code`, `cur_at`).
const CREATE_STAGE: &str = "CREATE TEMP TABLE IF NOT EXISTS flux_stage (
    firm_id BIGINT NOT NULL, line BIGINT NOT NULL, first_line INTEGER NOT NULL,
    platform TEXT NOT NULL, pid TEXT NOT NULL, dossier_id BIGINT NOT NULL,
    invoice_number TEXT, issue_date TEXT, direction TEXT, seller_siren TEXT, buyer_siren TEXT,
    siren_problem TEXT, amount_ht BIGINT, amount_ttc BIGINT, currency TEXT,
    cur_code BIGINT, cur_at TEXT,
    code BIGINT NOT NULL, status_at TEXT NOT NULL, label TEXT NOT NULL, reason TEXT,
    invoice_id BIGINT, existed INTEGER NOT NULL DEFAULT 0, known INTEGER NOT NULL DEFAULT 0)";

/// The staged fields sent for each line, in order, with their SQL types.
const STAGED: [(&str, &str); 20] = [
    ("line", "BIGINT"),
    ("first_line", "INTEGER"),
    ("platform", "TEXT"),
    ("pid", "TEXT"),
    ("dossier_id", "BIGINT"),
    ("invoice_number", "TEXT"),
    ("issue_date", "TEXT"),
    ("direction", "TEXT"),
    ("seller_siren", "TEXT"),
    ("buyer_siren", "TEXT"),
    ("siren_problem", "TEXT"),
    ("amount_ht", "BIGINT"),
    ("amount_ttc", "BIGINT"),
    ("currency", "TEXT"),
    ("cur_code", "BIGINT"),
    ("cur_at", "TEXT"),
    ("code", "BIGINT"),
    ("status_at", "TEXT"),
    ("label", "TEXT"),
    ("reason", "TEXT"),
];

/// Runs one statement with the firm as `$1` and returns the rows it changed.
async fn exec(conn: &mut AnyConnection, sql: &str, firm_id: i64) -> StoreResult<u64> {
    Ok(sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(firm_id)
        .execute(&mut *conn)
        .await?
        .rows_affected())
}

/// Writes a batch of events in the caller's transaction: new invoices,
/// new status events, the current status of every invoice that changed,
/// and one journal line when anything was added.
///
/// Set-based: the lines are staged once (see `CREATE_STAGE`), then each
/// step is one statement over the whole batch, whatever its size.
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
    let postgres = is_postgres(conn);
    // Each step's time, for whoever profiles (RUST_LOG=cabready_store=debug).
    let mut t0 = std::time::Instant::now();
    let mut lap = |step: &str| {
        tracing::debug!(
            step,
            ms = t0.elapsed().as_secs_f64() * 1000.0,
            "flux import batch"
        );
        t0 = std::time::Instant::now();
    };

    // 1. Which line creates each invoice (the first of its key wins), and
    // the invoice's latest event in the batch (the highest code on a tie).
    let mut first_of: HashMap<(&str, &str), usize> = HashMap::with_capacity(events.len());
    let mut latest: Vec<usize> = Vec::with_capacity(events.len());
    for (n, e) in events.iter().enumerate() {
        match first_of.entry((e.platform.as_str(), e.platform_invoice_id.as_str())) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(n);
                latest.push(n);
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                let first = *o.get();
                let best = &events[latest[first]];
                if (e.status_at, e.code.number()) > (best.status_at, best.code.number()) {
                    latest[first] = n;
                }
                latest.push(usize::MAX);
            }
        }
    }

    // 2. Stage the lines.
    // (PostgreSQL: checked first, since CREATE … IF NOT EXISTS sends a notice each time.)
    let staged: i64 = if postgres {
        sqlx::query("SELECT CAST(COUNT(to_regclass('pg_temp.flux_stage')) AS BIGINT)")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?
    } else {
        0
    };
    if staged == 0 {
        sqlx::query(CREATE_STAGE).execute(&mut *conn).await?;
    }
    if !postgres {
        // SQLite keeps temporary tables in their own schema, with the
        // default 2 MiB page cache: a batch of 20,000 lines (~6 MB) would
        // spill to a temporary file at every step.
        sqlx::query("PRAGMA temp.cache_size = -32768")
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query(if postgres {
        "TRUNCATE flux_stage"
    } else {
        "DELETE FROM flux_stage"
    })
    .execute(&mut *conn)
    .await?;
    for (chunk_no, chunk) in events.chunks(CHUNK).enumerate() {
        let cells: Vec<[Option<String>; STAGED.len()]> = chunk
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let n = chunk_no * CHUNK + i;
                let mut row = [const { None }; STAGED.len()];
                row[0] = Some(n.to_string());
                row[1] = Some(i64::from(latest[n] != usize::MAX).to_string());
                row[2] = Some(e.platform.clone());
                row[3] = Some(e.platform_invoice_id.clone());
                row[4] = Some(e.dossier_id.to_string());
                if latest[n] != usize::MAX {
                    let cur = &events[latest[n]];
                    row[5] = Some(e.invoice_number.clone());
                    row[6] = e.issue_date.map(to_db_date);
                    row[7] = Some(e.direction.code().to_string());
                    row[8] = Some(e.seller_siren.clone());
                    row[9] = Some(e.buyer_siren.clone());
                    row[10] = e.siren_problem.clone();
                    row[11] = e.amount_ht.map(|v| v.to_string());
                    row[12] = e.amount_ttc.map(|v| v.to_string());
                    row[13] = Some(e.currency.clone());
                    row[14] = Some(cur.code.number().to_string());
                    row[15] = Some(to_db_time(cur.status_at));
                }
                row[16] = Some(e.code.number().to_string());
                row[17] = Some(to_db_time(e.status_at));
                row[18] = Some(e.label.clone());
                row[19] = e.reason.clone();
                row
            })
            .collect();
        let columns: Vec<&str> = STAGED.iter().map(|(name, _)| *name).collect();
        let typed = |read: &dyn Fn(usize) -> String| -> Vec<String> {
            STAGED
                .iter()
                .enumerate()
                .map(|(n, (_, t))| match *t {
                    "TEXT" => read(n),
                    t => format!("CAST({} AS {t})", read(n)),
                })
                .collect()
        };
        // PostgreSQL: one text of lines and fields split by the ASCII
        // record and unit separators (NULL as SOH), cut by string_to_array
        // in C (`OFFSET 0` keeps the planner from splitting each line again
        // for every field): JSON cost PostgreSQL ~14 µs a line. A
        // batch whose text holds those characters goes as JSON instead.
        let separated = postgres
            && cells
                .iter()
                .flatten()
                .flatten()
                .all(|c| !c.contains(['\u{1}', '\u{1e}', '\u{1f}']));
        let (sql, payload) = if separated {
            let mut text = String::with_capacity(cells.len() * 200);
            for (i, row) in cells.iter().enumerate() {
                if i > 0 {
                    text.push('\u{1e}');
                }
                for (c, cell) in row.iter().enumerate() {
                    if c > 0 {
                        text.push('\u{1f}');
                    }
                    text.push_str(cell.as_deref().unwrap_or("\u{1}"));
                }
            }
            let sql = format!(
                "INSERT INTO flux_stage (firm_id, {}) SELECT $1, {}
                 FROM (SELECT string_to_array(l, chr(31), chr(1)) AS r
                       FROM unnest(string_to_array($2, chr(30))) AS l OFFSET 0) x",
                columns.join(", "),
                typed(&|n| format!("r[{}]", n + 1)).join(", "),
            );
            (sql, text)
        } else {
            // Each line a JSON array, read field by field (`->>` parses the
            // row for each field: the lines that do not create an invoice
            // go apart with only the fields they fill).
            let (firsts, others): (Vec<_>, Vec<_>) = cells
                .into_iter()
                .partition(|row| row[1].as_deref() == Some("1"));
            if !firsts.is_empty() {
                let sql = format!(
                    "INSERT INTO flux_stage (firm_id, {}) SELECT $1, {} FROM {}",
                    columns.join(", "),
                    typed(&|n| format!("(j.value ->> {n})")).join(", "),
                    json_rows(conn, 2)
                );
                let rows = serde_json::to_string(&firsts)
                    .map_err(|e| StoreError::Corrupt(format!("staging a batch as JSON: {e}")))?;
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(firm_id)
                    .bind(rows)
                    .execute(&mut *conn)
                    .await?;
            }
            if others.is_empty() {
                continue;
            }
            const EVENT_FIELDS: [usize; 9] = [0, 1, 2, 3, 4, 16, 17, 18, 19];
            let names: Vec<&str> = EVENT_FIELDS.iter().map(|&n| STAGED[n].0).collect();
            let fields: Vec<String> = EVENT_FIELDS
                .iter()
                .enumerate()
                .map(|(k, &n)| match STAGED[n].1 {
                    "TEXT" => format!("(j.value ->> {k})"),
                    t => format!("CAST((j.value ->> {k}) AS {t})"),
                })
                .collect();
            let sql = format!(
                "INSERT INTO flux_stage (firm_id, {}) SELECT $1, {} FROM {}",
                names.join(", "),
                fields.join(", "),
                json_rows(conn, 2)
            );
            let rows: Vec<[Option<String>; EVENT_FIELDS.len()]> = others
                .into_iter()
                .map(|mut row| EVENT_FIELDS.map(|n| row[n].take()))
                .collect();
            let rows = serde_json::to_string(&rows)
                .map_err(|e| StoreError::Corrupt(format!("staging a batch as JSON: {e}")))?;
            (sql, rows)
        };
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(firm_id)
            .bind(payload)
            .execute(&mut *conn)
            .await?;
    }
    lap("stage load");

    lap("stage");
    // 3. The invoices already known (one index probe per line).
    const LOOKUP: &str = "(SELECT i.id FROM invoices i WHERE i.firm_id = $1
        AND i.platform = flux_stage.platform AND i.platform_invoice_id = flux_stage.pid)";
    exec(
        conn,
        &format!("UPDATE flux_stage SET invoice_id = {LOOKUP} WHERE firm_id = $1"),
        firm_id,
    )
    .await?;
    exec(
        conn,
        "UPDATE flux_stage SET existed = 1 WHERE firm_id = $1 AND invoice_id IS NOT NULL",
        firm_id,
    )
    .await?;

    lap("lookup");
    // 4. The new invoices, with their current status from the batch, in line order.
    let expected: i64 = sqlx::query(
        "SELECT COUNT(*) FROM flux_stage WHERE firm_id = $1 AND first_line = 1 AND invoice_id IS NULL",
    )
    .bind(firm_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    if expected > 0 {
        let inserted = sqlx::query(
            "INSERT INTO invoices (firm_id, dossier_id, platform, platform_invoice_id, invoice_number, issue_date,
                direction, seller_siren, buyer_siren, siren_problem, amount_ht_cents, amount_ttc_cents, currency,
                current_code, current_at, first_seen_at)
             SELECT $1, dossier_id, platform, pid, invoice_number, issue_date, direction, seller_siren,
                buyer_siren, siren_problem, amount_ht, amount_ttc, currency, cur_code, cur_at, $2
             FROM flux_stage WHERE firm_id = $1 AND first_line = 1 AND invoice_id IS NULL ORDER BY line
             ON CONFLICT (firm_id, platform, platform_invoice_id) DO NOTHING",
        )
        .bind(firm_id)
        .bind(to_db_time(at))
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if inserted as i64 != expected {
            // Another import created some meanwhile: importing again finds them.
            return Err(StoreError::Corrupt(
                "invoices created concurrently by another import; import the file again".into(),
            ));
        }
        outcome.new_invoices = inserted as usize;
        exec(
            conn,
            &format!(
                "UPDATE flux_stage SET invoice_id = {LOOKUP} WHERE firm_id = $1 AND invoice_id IS NULL"
            ),
            firm_id,
        )
        .await?;
    }

    lap("new invoices");
    // 5. The status events, each once: lines of new invoices are all new;
    // the others are looked up in the history.
    exec(
        conn,
        "UPDATE flux_stage SET known = 1 WHERE firm_id = $1 AND existed = 1 AND EXISTS
            (SELECT 1 FROM invoice_statuses s WHERE s.invoice_id = flux_stage.invoice_id
             AND s.code = flux_stage.code AND s.status_at = flux_stage.status_at)",
        firm_id,
    )
    .await?;
    let new_statuses = sqlx::query(
        "INSERT INTO invoice_statuses (firm_id, invoice_id, code, status_at, label, reason, source_file, imported_at)
         SELECT $1, invoice_id, code, status_at, label, reason, $2, $3
         FROM flux_stage WHERE firm_id = $1 AND known = 0 ORDER BY line
         ON CONFLICT (invoice_id, code, status_at) DO NOTHING",
    )
    .bind(firm_id)
    .bind(source_file.to_string())
    .bind(to_db_time(at))
    .execute(&mut *conn)
    .await?
    .rows_affected() as usize;
    outcome.new_statuses = new_statuses;
    outcome.known_statuses = events.len() - new_statuses;
    if new_statuses == 0 {
        return Ok(outcome);
    }

    lap("statuses");
    // 6. The current status of the invoices known before that got new
    // events: the latest event (the highest code on a tie), whatever the
    // order the files came in. (`+firm_id`: the ids come from this firm's
    // rows; the unary plus keeps the planner on the primary key.)
    exec(
        conn,
        "UPDATE invoices SET
            current_code = (SELECT s.code FROM invoice_statuses s WHERE s.invoice_id = invoices.id
                            ORDER BY s.status_at DESC, s.code DESC LIMIT 1),
            current_at = (SELECT MAX(s.status_at) FROM invoice_statuses s WHERE s.invoice_id = invoices.id)
         WHERE id IN (SELECT invoice_id FROM flux_stage WHERE firm_id = $1 AND existed = 1 AND known = 0)
           AND +firm_id = $1",
        firm_id,
    )
    .await?;

    lap("current");
    // 7. The dossiers touched: their flow dates, and the list for the summary.
    // A dossier's flow dates are the latest current status of its
    // invoices, which only ever moves forward: the invoices that got new
    // events can only raise them.
    for direction in ["received", "emitted"] {
        exec(
            conn,
            &format!(
                "UPDATE dossiers SET last_{direction}_at = g.m
                 FROM (SELECT i.dossier_id, MAX(i.current_at) AS m
                       FROM flux_stage s CROSS JOIN invoices i
                       WHERE s.firm_id = $1 AND s.known = 0 AND i.id = s.invoice_id
                         AND +i.firm_id = $1 AND i.direction = '{direction}'
                       GROUP BY i.dossier_id) g
                 WHERE dossiers.firm_id = $1 AND dossiers.id = g.dossier_id
                   AND (dossiers.last_{direction}_at IS NULL OR dossiers.last_{direction}_at < g.m)"
            ),
            firm_id,
        )
        .await?;
    }
    let list: Option<String> = sqlx::query(if postgres {
        "SELECT string_agg(DISTINCT CAST(dossier_id AS TEXT), ',') FROM flux_stage
         WHERE firm_id = $1 AND known = 0"
    } else {
        "SELECT group_concat(DISTINCT dossier_id) FROM flux_stage WHERE firm_id = $1 AND known = 0"
    })
    .bind(firm_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    outcome.dossiers = list
        .unwrap_or_default()
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .collect();

    lap("dossiers");
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
    Ok(outcome)
}

const SET_FLOW_DATES: &str = "UPDATE dossiers SET
    last_received_at = (SELECT MAX(i.current_at) FROM invoices i
                         WHERE i.firm_id = dossiers.firm_id AND i.dossier_id = dossiers.id AND i.direction = 'received'),
    last_emitted_at = (SELECT MAX(i.current_at) FROM invoices i
                        WHERE i.firm_id = dossiers.firm_id AND i.dossier_id = dossiers.id AND i.direction = 'emitted')
    WHERE firm_id = $1";

/// Brings each dossier's latest received and emitted flow dates (columns
/// `last_received_at`, `last_emitted_at` of `dossiers`, read by readiness)
/// in line with its invoices: for the given dossiers, or all of the firm's.
/// Whoever writes invoices calls it in the same transaction.
pub async fn refresh_flow_dates(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossiers: Option<&[i64]>,
) -> StoreResult<()> {
    const SET: &str = SET_FLOW_DATES;
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
