//! Rows staged in a temporary table of the connection, so that what
//! follows is set-based SQL: the flux import's batches
//! (`invoices::record_batch_deferred`) and the anomalies an evaluation
//! opens (`anomalies::rules::evaluate`). PostgreSQL loads them by `COPY`,
//! SQLite by statements that each carry a chunk of rows as one JSON
//! parameter.

use crate::clock::{to_db_date, to_db_time};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{AnyConnection, Row};

/// Rows per staging statement: one parameter carries them all.
pub(crate) const CHUNK: usize = 10_000;

/// The rows of a JSON array parameter, as a table `j` with one column
/// `value` (each row a JSON array, read with `j.value ->> N`): one bound
/// parameter per statement instead of one per cell, which is what makes
/// batches fast through sqlx's Any driver on both backends. (PostgreSQL:
/// `jsonb`, parsed once; with `json` every `->>` parses the row again,
/// which cost 130 ms per 5,000-line batch of the flux import; SQLite:
/// `jsonb_each`, whose rows are binary JSON that `->>` reads without
/// parsing each row's text again for every field: half the time.)
pub(crate) fn json_rows(conn: &AnyConnection, param: usize) -> String {
    json_rows_for(is_postgres(conn), param)
}

fn json_rows_for(postgres: bool, param: usize) -> String {
    if postgres {
        format!("jsonb_array_elements(CAST(${param} AS jsonb)) AS j(value)")
    } else {
        format!("jsonb_each(jsonb(${param})) AS j")
    }
}

pub(crate) fn is_postgres(conn: &AnyConnection) -> bool {
    conn.backend_name().eq_ignore_ascii_case("postgresql")
}

/// One staged value, borrowed from the batch where it can be.
#[derive(Clone, Copy)]
pub(crate) enum Cell<'a> {
    Null,
    Text(&'a str),
    Int(i64),
    Time(DateTime<Utc>),
    Date(NaiveDate),
}

impl<'a> Cell<'a> {
    pub(crate) fn opt_text(text: &'a Option<String>) -> Cell<'a> {
        text.as_deref().map_or(Cell::Null, Cell::Text)
    }

    pub(crate) fn opt_int(value: Option<i64>) -> Cell<'static> {
        value.map_or(Cell::Null, Cell::Int)
    }

    /// The value as the database stores it (`to_db_time`, `to_db_date`).
    fn text(self) -> Option<std::borrow::Cow<'a, str>> {
        use std::borrow::Cow;
        match self {
            Cell::Null => None,
            Cell::Text(t) => Some(Cow::Borrowed(t)),
            Cell::Int(v) => Some(Cow::Owned(v.to_string())),
            Cell::Time(at) => Some(Cow::Owned(to_db_time(at))),
            Cell::Date(d) => Some(Cow::Owned(to_db_date(d))),
        }
    }
}

/// What loads rows into a staging table: statements, each with its one
/// parameter (SQLite), or one `COPY` with its data (PostgreSQL). `cells`
/// holds the rows one after the other, `columns.len()` cells each.
///
/// PostgreSQL: `COPY … FROM STDIN` in text format, which the server parses
/// in C straight into the typed columns: 4.0 s of the million-line import
/// had gone into inserting texts cut by `string_to_array` (and before that
/// JSON, ~14 µs a line). SQLite: a chunk of rows per statement, the whole
/// chunk as one JSON parameter (`json_rows`). (Multi-row `VALUES` with a
/// bound parameter per cell was 60 times slower on SQLite through sqlx.)
pub(crate) fn statements(
    postgres: bool,
    table: &str,
    columns: &[(&str, &str)],
    cells: &[Cell<'_>],
) -> StoreResult<Vec<(String, String)>> {
    let width = columns.len();
    let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
    if postgres {
        let sql = format!("COPY {table} ({}) FROM STDIN", names.join(", "));
        return Ok(vec![(sql, copy_text(width, cells))]);
    }
    let typed: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(n, (_, t))| match *t {
            "TEXT" => format!("(j.value ->> {n})"),
            t => format!("CAST((j.value ->> {n}) AS {t})"),
        })
        .collect();
    let sql = format!(
        "INSERT INTO {table} ({}) SELECT {} FROM {}",
        names.join(", "),
        typed.join(", "),
        json_rows_for(false, 1)
    );
    let mut statements = Vec::new();
    for chunk in cells.chunks(CHUNK * width) {
        let texts: Vec<Option<std::borrow::Cow<str>>> = chunk.iter().map(|c| c.text()).collect();
        let rows: Vec<&[Option<std::borrow::Cow<str>>]> = texts.chunks(width).collect();
        let json = serde_json::to_string(&rows)
            .map_err(|e| StoreError::Corrupt(format!("staging a batch as JSON: {e}")))?;
        statements.push((sql.clone(), json));
    }
    Ok(statements)
}

/// Rows in PostgreSQL's `COPY` text format: fields split by tabs, rows
/// ended by newlines, NULL as `\N`, and a backslash, tab, newline or
/// carriage return inside a value escaped.
fn copy_text(width: usize, cells: &[Cell<'_>]) -> String {
    let mut text = String::with_capacity(cells.len() * 12);
    for (i, cell) in cells.iter().enumerate() {
        match cell.text() {
            None => text.push_str("\\N"),
            Some(value) if !value.contains(['\\', '\t', '\n', '\r']) => text.push_str(&value),
            Some(value) => {
                for c in value.chars() {
                    match c {
                        '\\' => text.push_str("\\\\"),
                        '\t' => text.push_str("\\t"),
                        '\n' => text.push_str("\\n"),
                        '\r' => text.push_str("\\r"),
                        c => text.push(c),
                    }
                }
            }
        }
        text.push(if (i + 1) % width == 0 { '\n' } else { '\t' });
    }
    text
}

/// Loads a batch's staging payloads (see [`statements`]).
pub(crate) async fn load(
    conn: &mut AnyConnection,
    postgres: bool,
    staging: &[(String, String)],
) -> StoreResult<()> {
    for (sql, payload) in staging {
        if postgres {
            let pg = conn
                .backend_mut()
                .downcast_mut::<sqlx::postgres::PgConnection>()
                .ok_or_else(|| {
                    StoreError::Corrupt("a PostgreSQL connection of another type".into())
                })?;
            let mut copy = pg.copy_in_raw(sql).await?;
            if let Err(e) = copy.send(payload.as_bytes()).await {
                // The error that stopped the sending is the one to report;
                // the connection is likely gone, and the abort with it.
                let _ = copy.abort("the import stopped sending").await;
                return Err(e.into());
            }
            copy.finish().await?;
        } else {
            sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(payload.as_str())
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(())
}

/// Whether this connection has the temporary table `name` (a staging
/// table lives as long as its connection, or until the transaction that
/// created it rolls back).
pub(crate) async fn temp_table_exists(
    conn: &mut AnyConnection,
    postgres: bool,
    name: &str,
) -> StoreResult<bool> {
    // (Checked rather than CREATE … IF NOT EXISTS, which sends PostgreSQL's
    // notice each time and would not tell that the tables are new.)
    let count: i64 = sqlx::query(if postgres {
        "SELECT CAST(COUNT(to_regclass('pg_temp.' || $1)) AS BIGINT)"
    } else {
        "SELECT COUNT(*) FROM temp.sqlite_master WHERE name = $1"
    })
    .bind(name.to_string())
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(count > 0)
}

/// Creates temporary tables on this connection.
pub(crate) async fn create_tables(
    conn: &mut AnyConnection,
    postgres: bool,
    creates: &[&str],
) -> StoreResult<()> {
    for create in creates {
        sqlx::query(sqlx::AssertSqlSafe(*create))
            .execute(&mut *conn)
            .await?;
    }
    if !postgres {
        // SQLite keeps temporary tables in their own schema, with the
        // default 2 MiB page cache: a batch of 20,000 lines would spill
        // to a temporary file at every step. (A setting of the
        // connection: it lasts as long as the tables.)
        sqlx::query("PRAGMA temp.cache_size = -32768")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
