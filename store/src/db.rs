//! Connection to the shared database: SQLite (embedded default, WAL) or
//! PostgreSQL, behind sqlx's `Any` driver.
//!
//! Why `Any` and runtime queries: sqlx's compile-time macros check against
//! one database kind per build, and we ship both. Every query is written in
//! the SQL both understand (`$1` placeholders, `ON CONFLICT`, `RETURNING`,
//! text times, integer booleans) and the store's tests run on both.

use crate::error::{StoreError, StoreResult};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Executor, Row, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
}

/// The database handle shared by every part of CabReady.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// The URL of the embedded default database inside a data directory.
pub fn sqlite_url_for(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

impl Store {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> StoreResult<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url).ok_or_else(|| {
            sqlx::Error::Configuration(
                format!(
                    "unsupported database URL (expected sqlite:// or postgres://): {}",
                    redact_url(url)
                )
                .into(),
            )
        })?;
        let options = AnyConnectOptions::from_str(url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute("PRAGMA journal_mode = WAL").await?;
                        conn.execute("PRAGMA synchronous = NORMAL").await?;
                        conn.execute("PRAGMA foreign_keys = ON").await?;
                        conn.execute("PRAGMA busy_timeout = 10000").await?;
                        // 32 MiB of page cache per connection (SQLite's default is
                        // 2 MiB): a large import's index pages stay in memory
                        // instead of being read again for every batch.
                        conn.execute("PRAGMA cache_size = -32768").await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let store = Store { pool, backend };
        store.migrate().await?;
        Ok(store)
    }

    async fn migrate(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A deferred transaction: for work that only writes, or only reads.
    /// Anything that reads then writes takes [`Store::begin_write`].
    pub async fn begin(&self) -> StoreResult<Transaction<'static, Any>> {
        Ok(self.pool.begin().await?)
    }

    /// A transaction that takes the write lock at once on SQLite
    /// (`BEGIN IMMEDIATE`): for read-then-write work (claiming reminders, chat
    /// and CLI changes, imports), where
    /// two deferred transactions would both read, then fail to upgrade
    /// ("database is locked") instead of waiting their turn.
    pub async fn begin_write(&self) -> StoreResult<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Commits what `tx` did so far and goes on in a new transaction on the
    /// same connection, with the write lock already held on SQLite: a long
    /// import commits as it goes without ever waiting for a lock it
    /// holds (a second `begin_write` before the first commits would wait
    /// for itself). The `Transaction` then commits or rolls back the rest.
    pub async fn commit_and_continue(&self, tx: &mut Transaction<'static, Any>) -> StoreResult<()> {
        sqlx::query("COMMIT").execute(&mut **tx).await?;
        let begin = match self.backend {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        sqlx::query(begin).execute(&mut **tx).await?;
        Ok(())
    }

    /// SQLite: stops or resumes the automatic checkpoints that this
    /// connection's commits run (`pages`: the WAL size that triggers one, 0
    /// for none) and returns the previous setting; PostgreSQL: nothing.
    ///
    /// A long import commits once a second, and each commit then copied the
    /// WAL's pages back into the database and synced both files: index pages
    /// that every batch changes were written again at every commit, about
    /// 0.7 s of a million-line import (docs/PERFORMANCE.md). Paused, the WAL
    /// grows for the import's length, and resuming before its last commit
    /// has that commit copy each page once.
    pub async fn set_wal_autocheckpoint(
        &self,
        conn: &mut AnyConnection,
        pages: i64,
    ) -> StoreResult<i64> {
        if self.backend != Backend::Sqlite {
            return Ok(0);
        }
        swap_sqlite_pragma(conn, "wal_autocheckpoint", pages).await
    }

    /// SQLite: copies the whole WAL back into the database and empties it
    /// (`wal_checkpoint(TRUNCATE)`); PostgreSQL: nothing. For the end of a
    /// bulk import: its WAL then holds a copy of nearly every page it wrote
    /// (hundreds of MB for a million lines, which the file keeps on disk
    /// otherwise), and readers take every page found there from the WAL
    /// file, a read call each, instead of the database file, which the
    /// anomaly rules map in memory (see [`set_sqlite_mmap`]). Best effort:
    /// when readers keep it from finishing within the busy timeout, the log
    /// says so and a later checkpoint does it.
    pub async fn truncate_wal(&self) -> StoreResult<()> {
        if self.backend != Backend::Sqlite {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&mut *conn)
            .await?;
        let (busy, frames): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        tracing::debug!(busy, frames, "WAL checkpointed and truncated");
        Ok(())
    }

    /// Refreshes PostgreSQL's statistics of the dossiers and the tables
    /// read with them, after a bulk change (onboarding). Autovacuum does it
    /// in time, when it runs (it is off on some servers, on this project's
    /// machines among them); until then the planner takes the tables for
    /// nearly empty, and reading a firm's 2,000 dossiers joined with their
    /// mandates took 0.3 s (a nested loop over every mandate for each
    /// dossier, growing as the square of the firm) instead of milliseconds.
    /// SQLite needs nothing: its planner does without statistics here.
    pub async fn analyze_dossiers(&self) -> StoreResult<()> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await?;
        sqlx::query("ANALYZE dossiers, contacts, mandates, users, portfolios, dossier_platforms")
            .execute(&mut *conn)
            .await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A database URL without its password, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let credentials = &url[scheme_end + 3..at];
            match credentials.split_once(':') {
                Some((user, _password)) => {
                    format!("{}{}:***{}", &url[..scheme_end + 3], user, &url[at..])
                }
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// The one row `sql` reads for the firm (`$1`) and the id (`$2`), or
/// `NotFound` naming `what` (in the user's words) and the id.
pub(crate) async fn row_by_id(
    conn: &mut sqlx::AnyConnection,
    sql: String,
    firm_id: i64,
    id: i64,
    what: &'static str,
) -> StoreResult<sqlx::any::AnyRow> {
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what,
            key: id.to_string(),
        })
}

/// SQLite: the bytes of the database file this connection reads through a
/// memory map (`PRAGMA mmap_size`; 0: none, SQLite's default), returning
/// the previous setting; PostgreSQL: nothing (`None`).
///
/// For reads that scan more pages than the page cache holds, such as the
/// anomaly rules over every invoice of a firm: each page then costs a page
/// fault the first time instead of a read call each time (measured on this
/// machine: 0.75 s of system time per scan of 417,000 invoices without,
/// 0.03 s with).
pub async fn set_sqlite_mmap(conn: &mut AnyConnection, bytes: i64) -> StoreResult<Option<i64>> {
    if crate::staging::is_postgres(conn) {
        return Ok(None);
    }
    Ok(Some(swap_sqlite_pragma(conn, "mmap_size", bytes).await?))
}

/// Sets an integer setting of a SQLite connection (`PRAGMA name = value`,
/// at least 0) and returns the one it had.
async fn swap_sqlite_pragma(conn: &mut AnyConnection, name: &str, value: i64) -> StoreResult<i64> {
    let previous: i64 = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA {name}")))
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "PRAGMA {name} = {}",
        value.max(0)
    )))
    .execute(&mut *conn)
    .await?;
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_printed() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(redact_url("sqlite://./a.db"), "sqlite://./a.db");
    }
}
