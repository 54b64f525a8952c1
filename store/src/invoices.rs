//! Invoice flows: the invoices platforms report for the firm's dossiers,
//! their status history and current status.
//!
//! Imports write through [`record_batch`] only (or its deferred form, with
//! [`apply_flow_dates`] before each commit): one call per batch of lines,
//! inside the caller's transaction, with one journal line per batch
//! that changed something (a line per invoice would double the volume of a
//! million-line import for no reader). The history table itself is the
//! detailed record: every event keeps its source file and import time.
//! Writing the same events twice adds nothing: invoices are unique per
//! (platform, platform id), events per (invoice, code, time).
//!
//! A batch is staged once in temporary tables of the connection, then
//! written by set-based statements: what it costs grows with the batch,
//! not with the number of statements (see docs/PERFORMANCE.md, "flux").

use crate::clock::{from_db_time, to_db_time};
use crate::db::Backend;
use crate::domain::{Cents, Direction, LifecycleCode};
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, Actor, Entry};
use crate::staging::{self, is_postgres, json_rows, Cell, CHUNK};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeSet, HashMap, HashSet};

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

/// How many known invoices with other values an import names.
pub const DIFFERING_EXAMPLES: usize = 5;

/// What one batch added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub new_invoices: usize,
    pub new_statuses: usize,
    pub known_statuses: usize,
    /// Known invoices whose line gives other values (number, dates,
    /// amounts, SIRENs, currency) than the ones kept: an invoice does not
    /// change once issued, so the first import's are kept and this is told.
    pub differing_invoices: usize,
    /// The platform ids of the first few of them, to look them up.
    pub differing_examples: Vec<String>,
    /// Dossiers that got at least one new status event.
    pub dossiers: BTreeSet<i64>,
}

impl BatchOutcome {
    /// Adds what another batch added (an import's totals).
    pub fn add(&mut self, other: BatchOutcome) {
        self.new_invoices += other.new_invoices;
        self.new_statuses += other.new_statuses;
        self.known_statuses += other.known_statuses;
        self.differing_invoices += other.differing_invoices;
        let room = DIFFERING_EXAMPLES.saturating_sub(self.differing_examples.len());
        self.differing_examples
            .extend(other.differing_examples.into_iter().take(room));
        self.dossiers.extend(other.dossiers);
    }
}

fn json_text(rows: Vec<Value>) -> String {
    Value::Array(rows).to_string()
}

/// A batch is staged in temporary tables of the import's connection
/// (private to it; the first three emptied at each batch), so that every
/// step after it is one set-based statement and no row comes back to Rust:
/// - `flux_inv`, one row per invoice of the batch (`k`, its number in the
///   batch), with the fields of the line that names it first and its
///   latest status in the batch (`cur_code`, `cur_at`);
/// - `flux_ev`, one row per distinct event of the batch: its invoice's `k`
///   and the status fields, `known` when the history already has it
///   (SQLite);
/// - `flux_id`, one row per invoice of the batch: its `invoice_id`, looked
///   up or given, `existed` when it was known before the batch, `touched`
///   when such an invoice gets a new event. (Apart from `flux_inv`, whose
///   wide rows an UPDATE would rewrite: that cost 60 ms a batch.)
/// - `flux_flow`, one row per dossier: the latest flow dates of the
///   batches not yet applied to `dossiers` (see [`record_batch_deferred`]);
///   kept from batch to batch, emptied when applied.
///
/// An invoice's fields travel once, not once per line.
const STAGE_TABLES: [&str; 4] = [
    "CREATE TEMP TABLE flux_inv (
        k INTEGER PRIMARY KEY, platform TEXT NOT NULL, pid TEXT NOT NULL, dossier_id BIGINT NOT NULL,
        invoice_number TEXT NOT NULL, issue_date TEXT, direction TEXT NOT NULL,
        seller_siren TEXT NOT NULL, buyer_siren TEXT NOT NULL, siren_problem TEXT,
        amount_ht BIGINT, amount_ttc BIGINT, currency TEXT NOT NULL,
        cur_code BIGINT NOT NULL, cur_at TEXT NOT NULL)",
    "CREATE TEMP TABLE flux_ev (
        k INTEGER NOT NULL, code BIGINT NOT NULL, status_at TEXT NOT NULL, label TEXT NOT NULL,
        reason TEXT, known INTEGER NOT NULL DEFAULT 0)",
    "CREATE TEMP TABLE flux_id (
        k INTEGER PRIMARY KEY, invoice_id BIGINT NOT NULL, existed INTEGER NOT NULL,
        touched INTEGER NOT NULL DEFAULT 0)",
    "CREATE TEMP TABLE flux_flow (
        dossier_id BIGINT PRIMARY KEY, received TEXT, emitted TEXT)",
];

/// The staged columns of each table, in order, with their SQL types.
const INV_COLUMNS: [(&str, &str); 15] = [
    ("k", "BIGINT"),
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
];
const EV_COLUMNS: [(&str, &str); 5] = [
    ("k", "BIGINT"),
    ("code", "BIGINT"),
    ("status_at", "TEXT"),
    ("label", "TEXT"),
    ("reason", "TEXT"),
];

/// Creates the staging tables on first use (then returns true) and empties
/// those of a batch (not `flux_flow`).
async fn reset_stage(conn: &mut AnyConnection, postgres: bool) -> StoreResult<bool> {
    let exists = staging::temp_table_exists(conn, postgres, "flux_flow").await?;
    if !exists {
        staging::create_tables(conn, postgres, &STAGE_TABLES).await?;
    }
    if postgres {
        sqlx::query("TRUNCATE flux_inv, flux_ev, flux_id")
            .execute(&mut *conn)
            .await?;
    } else {
        for table in ["flux_inv", "flux_ev", "flux_id"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(!exists)
}

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
/// the flow dates of their dossiers, and one journal line when anything
/// was added.
///
/// Set-based: the batch is staged once (see `STAGE_TABLES`), then each
/// step is one statement over the whole batch, whatever its size.
pub async fn record_batch(
    conn: &mut AnyConnection,
    firm_id: i64,
    events: &[FlowEvent],
    source_file: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<BatchOutcome> {
    let backend = if is_postgres(conn) {
        Backend::Postgres
    } else {
        Backend::Sqlite
    };
    let batch = PreparedBatch::new(events, backend)?;
    let outcome = record_batch_deferred(conn, firm_id, &batch, source_file, actor, at).await?;
    apply_flow_dates(conn, firm_id).await?;
    Ok(outcome)
}

/// A batch of events made ready for the staging tables (see
/// `STAGE_TABLES`) without the database: the import prepares the next
/// batches on its reading thread while the database writes this one.
pub struct PreparedBatch {
    /// Prepared for PostgreSQL (else SQLite): the payloads differ.
    postgres: bool,
    lines: usize,
    invoices: usize,
    platforms: BTreeSet<String>,
    /// The file's lines rejected since the previous batch (bad dates,
    /// amounts, SIRENs…), for the batch's journal line: the journal says
    /// what an import left out, not only what it kept.
    rejected_lines: u64,
    /// What loads `flux_inv`, then `flux_ev` (see [`staging::statements`]):
    /// statements with their one parameter, or `COPY`s with their data.
    staging: Vec<(String, String)>,
}

impl PreparedBatch {
    /// The batch's invoices, in the order they first appear (the first
    /// line of a key gives the invoice's fields), each with its latest
    /// event in the batch (the highest code on a tie), and its events.
    pub fn new(events: &[FlowEvent], backend: Backend) -> StoreResult<PreparedBatch> {
        // A line repeated in the batch is staged once (the first one), so
        // that the events of new invoices need no conflict check (see step
        // 4 of `record_batch_deferred`); an event's key is its invoice, code
        // and time to the second, as stored.
        let mut k_of: HashMap<(&str, &str, i64), usize> = HashMap::with_capacity(events.len());
        let mut invoices: Vec<(usize, usize)> = Vec::new(); // (first line, latest line)
        let mut seen: HashSet<(usize, u16, i64)> = HashSet::with_capacity(events.len());
        let mut ev_cells: Vec<Cell> = Vec::with_capacity(events.len() * EV_COLUMNS.len());
        for (n, e) in events.iter().enumerate() {
            let k = *k_of
                .entry((
                    e.platform.as_str(),
                    e.platform_invoice_id.as_str(),
                    e.dossier_id,
                ))
                .or_insert_with(|| {
                    invoices.push((n, n));
                    invoices.len() - 1
                });
            let latest = &mut invoices[k].1;
            let best = &events[*latest];
            if (e.status_at, e.code.number()) > (best.status_at, best.code.number()) {
                *latest = n;
            }
            if !seen.insert((k, e.code.number(), e.status_at.timestamp())) {
                continue;
            }
            ev_cells.extend([
                Cell::Int(k as i64),
                Cell::Int(e.code.number().into()),
                Cell::Time(e.status_at),
                Cell::Text(&e.label),
                Cell::opt_text(&e.reason),
            ]);
        }
        let mut inv_cells: Vec<Cell> = Vec::with_capacity(invoices.len() * INV_COLUMNS.len());
        for (k, &(first, latest)) in invoices.iter().enumerate() {
            let (e, cur) = (&events[first], &events[latest]);
            inv_cells.extend([
                Cell::Int(k as i64),
                Cell::Text(&e.platform),
                Cell::Text(&e.platform_invoice_id),
                Cell::Int(e.dossier_id),
                Cell::Text(&e.invoice_number),
                e.issue_date.map_or(Cell::Null, Cell::Date),
                Cell::Text(e.direction.code()),
                Cell::Text(&e.seller_siren),
                Cell::Text(&e.buyer_siren),
                Cell::opt_text(&e.siren_problem),
                Cell::opt_int(e.amount_ht),
                Cell::opt_int(e.amount_ttc),
                Cell::Text(&e.currency),
                Cell::Int(cur.code.number().into()),
                Cell::Time(cur.status_at),
            ]);
        }
        let postgres = backend == Backend::Postgres;
        let mut staging = staging::statements(postgres, "flux_inv", &INV_COLUMNS, &inv_cells)?;
        staging.extend(staging::statements(
            postgres,
            "flux_ev",
            &EV_COLUMNS,
            &ev_cells,
        )?);
        Ok(PreparedBatch {
            postgres,
            lines: events.len(),
            invoices: invoices.len(),
            platforms: events.iter().map(|e| e.platform.clone()).collect(),
            rejected_lines: 0,
            staging,
        })
    }

    /// Counts the file's lines rejected since the previous batch.
    pub fn with_rejected_lines(mut self, rejected_lines: u64) -> PreparedBatch {
        self.rejected_lines = rejected_lines;
        self
    }
}

/// [`record_batch`], but the dossiers' flow dates wait in the connection
/// until [`apply_flow_dates`], which the caller runs before it commits.
/// For imports that write on several connections at once: a dossier row
/// updated at each batch would stay locked until the commit, and the
/// connections would wait for each other (or deadlock).
pub async fn record_batch_deferred(
    conn: &mut AnyConnection,
    firm_id: i64,
    batch: &PreparedBatch,
    source_file: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<BatchOutcome> {
    let mut outcome = BatchOutcome::default();
    if batch.lines == 0 {
        return Ok(outcome);
    }
    let postgres = is_postgres(conn);
    if batch.postgres != postgres {
        return Err(StoreError::Corrupt(
            "a flux batch prepared for the other database backend".into(),
        ));
    }
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

    // 1. Stage the batch (prepared in `PreparedBatch::new`).
    let created = reset_stage(conn, postgres).await?;
    staging::load(conn, postgres, &batch.staging).await?;
    if created && postgres {
        // Statistics for the planner: with none, it once joined the staging
        // tables to the invoices by scanning them, for minutes. Once is
        // enough: it scales them by the tables' current size at each batch
        // (ANALYZE at every batch cost 35 ms of a 20,000-line batch).
        sqlx::query("ANALYZE flux_inv, flux_ev")
            .execute(&mut *conn)
            .await?;
    }
    lap("stage");

    // 2. Each invoice's id: the one it has if known before (one index
    // probe per invoice), else a new one, given here rather than looked up
    // after the insert (a second probe): PostgreSQL draws it from the id
    // column's sequence, SQLite counts on from the highest id ever given,
    // which the write lock keeps stable (AUTOINCREMENT's promise).
    // (PostgreSQL: a correlated subquery, which its planner cannot turn
    // into a hash join over all the firm's invoices, as it did with a LEFT
    // JOIN while their statistics lagged behind a first import; OFFSET 0
    // keeps it from being copied into both uses of `id`. `firm_id + 0`,
    // `dossier_id + 0`: only the unique key, which leads with the
    // platform's id, can serve it, whatever the statistics say; see
    // migrations 0011 and 0017.)
    let assign = if postgres {
        "INSERT INTO flux_id (k, invoice_id, existed)
         SELECT k, COALESCE(id, nextval('invoices_id_seq')), CASE WHEN id IS NULL THEN 0 ELSE 1 END
         FROM (SELECT f.k, (SELECT i.id FROM invoices i WHERE i.platform_invoice_id = f.pid
                   AND i.platform = f.platform AND i.firm_id + 0 = $1
                   AND i.dossier_id + 0 = f.dossier_id) AS id
               FROM flux_inv f OFFSET 0) x
         ORDER BY k"
    } else {
        "INSERT INTO flux_id (k, invoice_id, existed)
         SELECT f.k, COALESCE(i.id, f.k + 1 + (SELECT MAX(COALESCE(MAX(id), 0),
                COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'invoices'), 0)) FROM invoices)),
            CASE WHEN i.id IS NULL THEN 0 ELSE 1 END
         FROM flux_inv f LEFT JOIN invoices i
           ON i.firm_id = $1 AND i.platform = f.platform AND i.platform_invoice_id = f.pid
              AND i.dossier_id = f.dossier_id
         ORDER BY f.k"
    };
    exec(conn, assign, firm_id).await?;
    if postgres {
        // Unlike the staged fields, `existed` differs from batch to batch
        // (none in a first import, all in a second), and the next steps
        // filter on it: fresh figures for the planner, 2 ms for a narrow
        // table (without: a million lines in 11.8 s instead of 11.3 s).
        sqlx::query("ANALYZE flux_id").execute(&mut *conn).await?;
    }
    let expected: i64 = sqlx::query("SELECT COUNT(*) FROM flux_id WHERE existed = 0")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let existing = batch.invoices as i64 - expected;
    lap("lookup");
    if existing > 0 {
        // Row values compared with IS DISTINCT FROM (SQLite: IS NOT): an
        // empty value on both sides is the same.
        let differ = if postgres {
            "IS DISTINCT FROM"
        } else {
            "IS NOT"
        };
        // Their count and, in order, the first few platform ids.
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT f.pid, COUNT(*) OVER () FROM flux_inv f CROSS JOIN flux_id d CROSS JOIN invoices i
             WHERE d.k = f.k AND d.existed = 1 AND i.id = d.invoice_id
               AND (i.invoice_number, i.issue_date, i.seller_siren, i.buyer_siren, i.amount_ht_cents,
                    i.amount_ttc_cents, i.currency)
                   {differ} (f.invoice_number, f.issue_date, f.seller_siren, f.buyer_siren, f.amount_ht,
                    f.amount_ttc, f.currency)
             ORDER BY f.k LIMIT {DIFFERING_EXAMPLES}"
        )))
        .fetch_all(&mut *conn)
        .await?;
        if let Some(first) = rows.first() {
            outcome.differing_invoices = first.try_get::<i64, _>(1)? as usize;
        }
        outcome.differing_examples = rows
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<_, _>>()?;
        lap("differing");
    }

    // 3. The new invoices, with their current status from the batch, in
    // the order they first appear. (No ON CONFLICT: the lookup found none of
    // them, and the check it adds to each row cost PostgreSQL 45 % of the
    // insert. Another import that creates one meanwhile makes this fail.)
    if expected > 0 {
        let inserted = sqlx::query(
            "INSERT INTO invoices (id, firm_id, dossier_id, platform, platform_invoice_id, invoice_number,
                issue_date, direction, seller_siren, buyer_siren, siren_problem, amount_ht_cents,
                amount_ttc_cents, currency, current_code, current_at, first_seen_at)
             SELECT d.invoice_id, $1, f.dossier_id, f.platform, f.pid, f.invoice_number, f.issue_date,
                f.direction, f.seller_siren, f.buyer_siren, f.siren_problem, f.amount_ht, f.amount_ttc,
                f.currency, f.cur_code, f.cur_at, $2
             FROM flux_inv f CROSS JOIN flux_id d WHERE d.k = f.k AND d.existed = 0 ORDER BY f.k",
        )
        .bind(firm_id)
        .bind(to_db_time(at))
        .execute(&mut *conn)
        .await
        .map_err(|e| match e.as_database_error() {
            Some(db) if db.is_unique_violation() => created_meanwhile(),
            _ => StoreError::from(e),
        })?
        .rows_affected();
        outcome.new_invoices = inserted as usize;
    }
    lap("new invoices");

    // 4. The status events, each once, and the invoices known before that
    // get one (`touched`).
    let new_statuses = if postgres {
        // The events of new invoices are all new (staged once each): a
        // plain insert, as ON CONFLICT's check nearly doubled its cost.
        let mut inserted = sqlx::query(
            "INSERT INTO invoice_statuses
                (firm_id, invoice_id, code, status_at, label, reason, source_file, imported_at)
             SELECT $1, d.invoice_id, e.code, e.status_at, e.label, e.reason, $2, $3
             FROM flux_ev e CROSS JOIN flux_id d WHERE d.k = e.k AND d.existed = 0",
        )
        .bind(firm_id)
        .bind(source_file.to_string())
        .bind(to_db_time(at))
        .execute(&mut *conn)
        .await?
        .rows_affected() as usize;
        if existing > 0 {
            // Known invoices: ON CONFLICT skips the events the history has
            // with one index probe each, and what it inserted marks the
            // invoices. (Marking the known events first, as SQLite does,
            // rewrote every row of a re-imported batch: 108 ms of its 200.)
            let row = sqlx::query(
                "WITH ins AS (
                    INSERT INTO invoice_statuses
                        (firm_id, invoice_id, code, status_at, label, reason, source_file, imported_at)
                    SELECT $1, d.invoice_id, e.code, e.status_at, e.label, e.reason, $2, $3
                    FROM flux_ev e CROSS JOIN flux_id d WHERE d.k = e.k AND d.existed = 1
                    ON CONFLICT (invoice_id, code, status_at) DO NOTHING
                    RETURNING invoice_id),
                 touched AS (
                    UPDATE flux_id SET touched = 1 WHERE invoice_id IN (SELECT invoice_id FROM ins))
                 SELECT COUNT(*) FROM ins",
            )
            .bind(firm_id)
            .bind(source_file.to_string())
            .bind(to_db_time(at))
            .fetch_one(&mut *conn)
            .await?;
            inserted += row.try_get::<i64, _>(0)? as usize;
        }
        inserted
    } else {
        // The lines of new invoices are all new; the others are looked up
        // in the history first, which tells the invoices touched.
        if existing > 0 {
            sqlx::query(
                "UPDATE flux_ev SET known = 1 WHERE EXISTS
                    (SELECT 1 FROM flux_id d CROSS JOIN invoice_statuses s
                     WHERE d.k = flux_ev.k AND d.existed = 1 AND s.invoice_id = d.invoice_id
                       AND s.code = flux_ev.code AND s.status_at = flux_ev.status_at)",
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query(
                "UPDATE flux_id SET touched = 1 WHERE existed = 1
                   AND k IN (SELECT k FROM flux_ev WHERE known = 0)",
            )
            .execute(&mut *conn)
            .await?;
        }
        sqlx::query(
            "INSERT INTO invoice_statuses (firm_id, invoice_id, code, status_at, label, reason, source_file, imported_at)
             SELECT $1, d.invoice_id, e.code, e.status_at, e.label, e.reason, $2, $3
             FROM flux_ev e CROSS JOIN flux_id d WHERE d.k = e.k AND e.known = 0
             ON CONFLICT (invoice_id, code, status_at) DO NOTHING",
        )
        .bind(firm_id)
        .bind(source_file.to_string())
        .bind(to_db_time(at))
        .execute(&mut *conn)
        .await?
        .rows_affected() as usize
    };
    outcome.new_statuses = new_statuses;
    outcome.known_statuses = batch.lines - new_statuses;
    if new_statuses == 0 {
        return Ok(outcome);
    }
    lap("statuses");

    // 5. The current status of the invoices known before that got new
    // events: the latest event (the highest code on a tie), whatever the
    // order the files came in. (`+firm_id`: the ids come from this firm's
    // rows; the unary plus keeps the planner on the primary key.)
    if existing > 0 {
        exec(
            conn,
            "UPDATE invoices SET
                current_code = (SELECT s.code FROM invoice_statuses s WHERE s.invoice_id = invoices.id
                                ORDER BY s.status_at DESC, s.code DESC LIMIT 1),
                current_at = (SELECT MAX(s.status_at) FROM invoice_statuses s WHERE s.invoice_id = invoices.id)
             WHERE id IN (SELECT invoice_id FROM flux_id WHERE touched = 1) AND +firm_id = $1",
            firm_id,
        )
        .await?;
    }
    lap("current");

    // 6. The dossiers touched: their flow dates, and the list for the summary.
    // A dossier's flow dates are the latest current status of its
    // invoices, which only ever moves forward: the invoices that got new
    // events can only raise them. A new invoice's dossier, direction and
    // current status are those staged; an invoice known before is read
    // back (a later file may name another dossier: the first one stays).
    // Kept in `flux_flow` until `apply_flow_dates` (a NULL date is before
    // any other: '' sorts first).
    exec(
        conn,
        "INSERT INTO flux_flow (dossier_id, received, emitted)
         SELECT dossier_id, MAX(CASE WHEN direction = 'received' THEN at END),
                MAX(CASE WHEN direction = 'emitted' THEN at END) FROM
           (SELECT f.dossier_id, f.direction, f.cur_at AS at FROM flux_inv f CROSS JOIN flux_id d
            WHERE d.k = f.k AND d.existed = 0
            UNION ALL
            SELECT i.dossier_id, i.direction, i.current_at FROM flux_id d CROSS JOIN invoices i
            WHERE d.touched = 1 AND i.id = d.invoice_id AND +i.firm_id = $1) u
         GROUP BY dossier_id
         ON CONFLICT (dossier_id) DO UPDATE SET
            received = CASE WHEN excluded.received > COALESCE(flux_flow.received, '')
                            THEN excluded.received ELSE flux_flow.received END,
            emitted = CASE WHEN excluded.emitted > COALESCE(flux_flow.emitted, '')
                           THEN excluded.emitted ELSE flux_flow.emitted END",
        firm_id,
    )
    .await?;
    let list: Option<String> = sqlx::query(if postgres {
        "SELECT string_agg(DISTINCT CAST(f.dossier_id AS TEXT), ',') FROM flux_inv f
         CROSS JOIN flux_id d WHERE d.k = f.k AND (d.existed = 0 OR d.touched = 1)"
    } else {
        "SELECT group_concat(DISTINCT f.dossier_id) FROM flux_inv f
         CROSS JOIN flux_id d WHERE d.k = f.k AND (d.existed = 0 OR d.touched = 1)"
    })
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    outcome.dossiers = list
        .unwrap_or_default()
        .split(',')
        .filter_map(|d| d.trim().parse().ok())
        .collect();
    lap("dossiers");

    // The firm's line for the batch; each dossier's line is written once per
    // file (`journal_dossiers_touched`).
    let entry = Entry {
        entity: "invoice_flow",
        entity_id: None,
        dossier_id: None,
        action: "flux.imported",
        details: serde_json::json!({
            "file": source_file,
            "platforms": batch.platforms,
            "new_invoices": outcome.new_invoices,
            "new_statuses": outcome.new_statuses,
            "known_statuses": outcome.known_statuses,
            "differing_invoices": outcome.differing_invoices,
            "dossiers": outcome.dossiers.len(),
            "rejected_lines": batch.rejected_lines,
        }),
    };
    journal::record(conn, firm_id, at, actor, entry).await?;
    Ok(outcome)
}

/// One journal line for each dossier a file brought new invoices or
/// statuses to, so that `journal D` shows the imports that concern D
/// (a batch's own line is the firm's: it may concern thousands).
pub async fn journal_dossiers_touched(
    conn: &mut AnyConnection,
    firm_id: i64,
    source_file: &str,
    platform: &str,
    dossiers: &BTreeSet<i64>,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    if dossiers.is_empty() {
        return Ok(0);
    }
    let details = if is_postgres(conn) {
        "CAST(json_build_object('file', CAST($5 AS TEXT), 'platform', CAST($6 AS TEXT)) AS TEXT)"
    } else {
        "json_object('file', $5, 'platform', $6)"
    };
    // The ids are the import's own integers, written in the statement.
    let ids = dossiers
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let select = format!(
        "SELECT 'dossier' AS entity, d.id AS entity_id, d.id AS dossier_id,
            'flux.dossier_imported' AS action, {details} AS details
         FROM dossiers d WHERE d.firm_id = $1 AND d.id IN ({ids}) ORDER BY d.id"
    );
    journal::record_selected(conn, firm_id, at, actor, &select, |q| {
        q.bind(source_file.to_string()).bind(platform.to_string())
    })
    .await
}

/// Raises the flow dates of the dossiers (`last_received_at`,
/// `last_emitted_at`) to those the deferred batches of this connection
/// saw, in the caller's transaction. PostgreSQL: the dossiers are locked
/// in the order of their ids first, so that connections applying at the
/// same time wait for each other's commit at most, never in a cycle.
pub async fn apply_flow_dates(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<()> {
    let postgres = is_postgres(conn);
    if !staging::temp_table_exists(conn, postgres, "flux_flow").await? {
        return Ok(());
    }
    if postgres {
        exec(
            conn,
            "SELECT COUNT(*) FROM (SELECT id FROM dossiers
                WHERE firm_id = $1 AND id IN (SELECT dossier_id FROM flux_flow)
                ORDER BY id FOR UPDATE) locked",
            firm_id,
        )
        .await?;
    }
    exec(
        conn,
        "UPDATE dossiers SET
            last_received_at = CASE WHEN g.received > COALESCE(last_received_at, '')
                                    THEN g.received ELSE last_received_at END,
            last_emitted_at = CASE WHEN g.emitted > COALESCE(last_emitted_at, '')
                                   THEN g.emitted ELSE last_emitted_at END
         FROM flux_flow g
         WHERE dossiers.firm_id = $1 AND dossiers.id = g.dossier_id
           AND (g.received > COALESCE(dossiers.last_received_at, '')
                OR g.emitted > COALESCE(dossiers.last_emitted_at, ''))",
        firm_id,
    )
    .await?;
    sqlx::query("DELETE FROM flux_flow")
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Another import of the firm created some of a batch's invoices after its
/// lookup (PostgreSQL: imports do not queue): the batch fails with its
/// transaction, and importing the file again finds them and adds the rest.
fn created_meanwhile() -> StoreError {
    StoreError::Refused {
        fr: "un autre import a créé certaines de ces factures au même moment ; relancez l'import \
             de ce fichier : ce qui est déjà enregistré ne sera pas ajouté deux fois"
            .into(),
        en: "another import created some of these invoices at the same time; import this file \
             again: what is already recorded will not be added twice"
            .into(),
    }
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

/// The invoice a platform knows by this id; when it concerns two dossiers
/// of the firm (each keeps its own), the one filed first.
pub async fn find(
    conn: &mut AnyConnection,
    firm_id: i64,
    platform: &str,
    platform_invoice_id: &str,
) -> StoreResult<Option<Invoice>> {
    let sql = format!(
        "{SELECT_INVOICE} WHERE firm_id = $1 AND platform = $2 AND platform_invoice_id = $3 ORDER BY id"
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

/// What undoing a file's latest import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UndoOutcome {
    pub file: String,
    /// When that import ran.
    pub imported_at: Option<DateTime<Utc>>,
    /// Status events it brought, removed.
    pub statuses_removed: u64,
    /// Invoices it created and nothing else holds, removed.
    pub invoices_removed: u64,
    /// Invoices it created that other imports brought statuses to since:
    /// kept (with their first import's fields), each with its number.
    pub invoices_kept: Vec<String>,
}

/// Undoes the latest import of the file named `file` (as the journal and
/// the summaries name it): an import made with the wrong profile (a date
/// format read day for month, a column mapped to the wrong field) would
/// otherwise stay, since a new import keeps what is recorded. Removes the
/// status events it brought; the invoices it created that hold no other
/// event are removed too, after their anomalies are detached from them
/// (the anomaly rules, run next, close those still open). The invoices
/// that lost their latest event get the one before; the dossiers' flow
/// dates follow. Journaled (`flux.undone`) in the caller's transaction.
/// `Ok(None)`: no import of that file.
pub async fn undo_import(
    conn: &mut AnyConnection,
    firm_id: i64,
    file: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<Option<UndoOutcome>> {
    let latest: Option<String> = sqlx::query(
        "SELECT MAX(imported_at) FROM invoice_statuses WHERE firm_id = $1 AND source_file = $2",
    )
    .bind(firm_id)
    .bind(file.to_string())
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let Some(run) = latest else {
        return Ok(None);
    };
    let mut outcome = UndoOutcome {
        file: file.to_string(),
        imported_at: from_db_time(&run),
        ..Default::default()
    };
    // Before its events go: the dossiers it touched (each journal says
    // it), and the invoices it created that another import added to
    // (kept; "created" alone would take in those of other files imported
    // in the same run, or at the same simulated time).
    const ITS: &str = "s.firm_id = $1 AND s.source_file = $2 AND s.imported_at = $3";
    let dossiers: Vec<i64> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT i.dossier_id FROM invoices i WHERE i.firm_id = $1
         AND i.id IN (SELECT s.invoice_id FROM invoice_statuses s WHERE {ITS}) ORDER BY i.dossier_id"
    )))
    .bind(firm_id)
    .bind(file.to_string())
    .bind(run.clone())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    let kept: BTreeSet<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT i.invoice_number FROM invoices i WHERE i.firm_id = $1 AND i.first_seen_at = $3
         AND EXISTS (SELECT 1 FROM invoice_statuses s WHERE s.invoice_id = i.id AND {ITS})
         AND EXISTS (SELECT 1 FROM invoice_statuses o WHERE o.invoice_id = i.id
                     AND NOT (o.source_file = $2 AND o.imported_at = $3))"
    )))
    .bind(firm_id)
    .bind(file.to_string())
    .bind(run.clone())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    outcome.invoices_kept = kept.into_iter().collect();
    outcome.statuses_removed = sqlx::query(
        "DELETE FROM invoice_statuses WHERE firm_id = $1 AND source_file = $2 AND imported_at = $3",
    )
    .bind(firm_id)
    .bind(file.to_string())
    .bind(run.clone())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // Created by that run (their first import), and now without any event.
    const ORPHANS: &str =
        "SELECT i.id FROM invoices i WHERE i.firm_id = $1 AND i.first_seen_at = $2
         AND NOT EXISTS (SELECT 1 FROM invoice_statuses s WHERE s.invoice_id = i.id)";
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE anomalies SET invoice_id = NULL WHERE firm_id = $1 AND invoice_id IN ({ORPHANS})"
    )))
    .bind(firm_id)
    .bind(run.clone())
    .execute(&mut *conn)
    .await?;
    outcome.invoices_removed = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DELETE FROM invoices WHERE firm_id = $1 AND id IN ({ORPHANS})"
    )))
    .bind(firm_id)
    .bind(run.clone())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    // The invoices whose current event went: the latest one left.
    sqlx::query(
        "UPDATE invoices SET
            current_code = (SELECT s.code FROM invoice_statuses s WHERE s.invoice_id = invoices.id
                            ORDER BY s.status_at DESC, s.code DESC LIMIT 1),
            current_at = (SELECT MAX(s.status_at) FROM invoice_statuses s WHERE s.invoice_id = invoices.id)
         WHERE firm_id = $1 AND NOT EXISTS (SELECT 1 FROM invoice_statuses s
            WHERE s.invoice_id = invoices.id AND s.code = invoices.current_code
              AND s.status_at = invoices.current_at)",
    )
    .bind(firm_id)
    .execute(&mut *conn)
    .await?;
    refresh_flow_dates(conn, firm_id, None).await?;
    let entry = Entry {
        entity: "invoice_flow",
        entity_id: None,
        dossier_id: None,
        action: "flux.undone",
        details: json!({
            "file": file,
            "imported_at": run,
            "statuses_removed": outcome.statuses_removed,
            "invoices_removed": outcome.invoices_removed,
            "invoices_kept": outcome.invoices_kept.len(),
        }),
    };
    journal::record(conn, firm_id, at, actor, entry).await?;
    // Each dossier's journal says it too, where it says the import.
    for dossier_id in dossiers {
        let entry = Entry {
            entity: "invoice_flow",
            entity_id: None,
            dossier_id: Some(dossier_id),
            action: "flux.dossier_undone",
            details: json!({ "file": file, "imported_at": run }),
        };
        journal::record(conn, firm_id, at, actor, entry).await?;
    }
    Ok(Some(outcome))
}

/// When the import of `file` was last undone, if it was (from the journal).
pub async fn last_undone(
    conn: &mut AnyConnection,
    firm_id: i64,
    file: &str,
) -> StoreResult<Option<DateTime<Utc>>> {
    let rows = sqlx::query(
        "SELECT at, details FROM journal WHERE firm_id = $1 AND action = 'flux.undone' ORDER BY id DESC",
    )
    .bind(firm_id)
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let details: String = row.try_get(1)?;
        let undone: Value = serde_json::from_str(&details).unwrap_or(Value::Null);
        if undone["file"].as_str() == Some(file) {
            let at: String = row.try_get(0)?;
            return Ok(from_db_time(&at));
        }
    }
    Ok(None)
}

/// The files the firm imported, latest first (at most `limit`): what
/// `undo_import` can undo.
pub async fn imported_files(
    conn: &mut AnyConnection,
    firm_id: i64,
    limit: i64,
) -> StoreResult<Vec<String>> {
    let rows = sqlx::query(
        "SELECT source_file FROM invoice_statuses WHERE firm_id = $1
         GROUP BY source_file ORDER BY MAX(imported_at) DESC LIMIT $2",
    )
    .bind(firm_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| r.try_get(0).map_err(StoreError::from))
        .collect()
}
