//! Fresh, isolated databases for tests: a SQLite file in a temp dir, or a
//! randomly named PostgreSQL database on the server of
//! `CABREADY_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! PostgreSQL being unreachable is a failure, never a skip: `scripts/test`
//! starts a throwaway server when none is running.

pub mod bench;
pub mod cli;
pub mod clients;
pub mod dovecot;
pub mod mail;

use cabready_store::{Backend, Store};
use rand::Rng;
use sqlx::{Connection, Executor};

pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that lives as long as this value (the SQLite temp dir is
/// removed on drop; PostgreSQL test databases are named `cabready_test_*`
/// and dropped by `scripts/test` at the start of each run).
pub struct TestDb {
    pub store: Store,
    pub url: String,
    dir: Option<std::sync::Arc<tempfile::TempDir>>,
}

pub fn postgres_server_url() -> String {
    std::env::var("CABREADY_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_string())
}

/// A new empty database URL on the given backend (schema not yet applied).
pub async fn fresh_url(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = cabready_store::db::sqlite_url_for(&dir.path().join("cabready.db"));
            (url, Some(dir))
        }
        Backend::Postgres => {
            let server = postgres_server_url();
            let name = format!("cabready_test_{:016x}", rand::thread_rng().gen::<u64>());
            let mut admin = sqlx::PgConnection::connect(&server).await.unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is not reachable at {server} ({e}). Run the tests with `scripts/test`, \
                     which starts a throwaway server, or set CABREADY_TEST_POSTGRES_URL."
                )
            });
            admin
                .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .expect("create test database");
            let base = server.rsplit_once('/').map(|(b, _)| b).unwrap_or(&server);
            (format!("{base}/{name}"), None)
        }
    }
}

impl TestDb {
    /// Keeps the SQLite temp dir alive while held: a test body that only
    /// borrows `db.store` would otherwise let the dir go before it runs.
    pub fn keep_alive(&self) -> Option<std::sync::Arc<tempfile::TempDir>> {
        self.dir.clone()
    }

    pub async fn new(backend: Backend) -> TestDb {
        let (url, dir) = fresh_url(backend).await;
        let store = Store::connect(&url)
            .await
            .expect("connect and migrate the test database");
        TestDb {
            store,
            url,
            dir: dir.map(std::sync::Arc::new),
        }
    }
}

/// Runs one async test body against SQLite and against PostgreSQL:
/// `both_backends!(name, |db: TestDb| async move { ... });`
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let db = $crate::TestDb::new(cabready_store::Backend::Sqlite).await;
                let _dir = db.keep_alive();
                ($body)(db).await;
            }

            #[tokio::test]
            async fn postgres() {
                let db = $crate::TestDb::new(cabready_store::Backend::Postgres).await;
                ($body)(db).await;
            }
        }
    };
}
