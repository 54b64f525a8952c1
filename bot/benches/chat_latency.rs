//! Chat latency benchmark (issue 4): a firm with 5,000 dossiers, 1,000,000
//! invoices and 20,000 open anomalies; `pret cabinet`, `pret portefeuille P`,
//! `dossier D` and `anomalies ouvertes` each run many times through the real
//! command core, on SQLite and on PostgreSQL; prints the percentiles.
//!
//!   cargo bench -p cabready-bot --bench chat_latency -- [--dossiers N] [--invoices N] [--anomalies N] [--runs N]
//!
//! PostgreSQL: the server of CABREADY_TEST_POSTGRES_URL (default 127.0.0.1:5432), a fresh database.

use cabready_bot::{Core, Tone};
use cabready_store::calendar::CalendarRules;
use cabready_store::clock::to_db_time;
use cabready_store::domain::{Email, Role, Siren};
use cabready_store::journal::Actor;
use cabready_store::users::{self, UserRecord};
use cabready_store::{firms, Backend, Clock, Lang};
use cabready_testkit::TestDb;
use chrono::{TimeZone, Utc};
use std::time::{Duration, Instant};

struct Sizes {
    dossiers: usize,
    invoices: usize,
    anomalies: usize,
    runs: usize,
}

fn sizes() -> Sizes {
    let args: Vec<String> = std::env::args().collect();
    let get = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    Sizes {
        dossiers: get("--dossiers", 5_000),
        invoices: get("--invoices", 1_000_000),
        anomalies: get("--anomalies", 20_000),
        runs: get("--runs", 200),
    }
}

async fn populate(db: &TestDb, s: &Sizes, now: chrono::DateTime<Utc>) -> i64 {
    let store = &db.store;
    let mut conn = store.pool().acquire().await.unwrap();
    let (firm, _) = firms::ensure(
        &mut conn,
        "Cabinet Bench",
        &["Pennylane".into()],
        &Actor::System,
        now,
    )
    .await
    .unwrap();
    let portfolios: Vec<String> = (1..=10).map(|p| format!("P{p:02}")).collect();
    for (email, role) in [
        ("associe@bench.fr", Role::Manager),
        ("collab@bench.fr", Role::Accountant),
    ] {
        let user = UserRecord {
            email: Email::parse(email).unwrap(),
            name: email.into(),
            role,
            discord_id: None,
            portfolios: portfolios.clone(),
        };
        users::upsert(&mut conn, firm.id, &user, &Actor::System, now)
            .await
            .unwrap();
    }
    let owner: i64 =
        sqlx::query_scalar("SELECT id FROM users WHERE firm_id = $1 AND email = 'collab@bench.fr'")
            .bind(firm.id)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    let mut portfolio_ids = Vec::new();
    for p in &portfolios {
        portfolio_ids.push(
            users::ensure_portfolio(&mut conn, firm.id, p)
                .await
                .unwrap(),
        );
    }
    let stamp = to_db_time(now);
    // Dossiers in batches of 250 rows per statement.
    let categories = ["micro", "pme", "eti", "ge"];
    for chunk in (0..s.dossiers).collect::<Vec<_>>().chunks(250) {
        let mut sql = String::from(
            "INSERT INTO dossiers (firm_id, code, legal_name, siren, headcount, category, category_source, vat_regime,
             owner_user_id, portfolio_id, tags, created_at, updated_at) VALUES ",
        );
        let rows: Vec<String> = chunk
            .iter()
            .map(|i| {
                let siren = Siren::with_check_digit(50_000_000 + *i as u32);
                format!(
                    "({}, 'B{i:05}', 'Société de test numéro {i}', '{siren}', 5.0, '{}', 'derived', 'reel_normal_mensuel', {owner}, {}, '', '{stamp}', '{stamp}')",
                    firm.id,
                    categories[i % 4],
                    portfolio_ids[i % portfolio_ids.len()]
                )
            })
            .collect();
        sql.push_str(&rows.join(", "));
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    for statement in [
        "INSERT INTO mandates (firm_id, dossier_id, kind, status, status_at)
         SELECT firm_id, id, 'delegation', CASE WHEN id % 3 = 0 THEN 'signed' ELSE 'reminded' END, created_at FROM dossiers WHERE firm_id = $1",
        "INSERT INTO mandates (firm_id, dossier_id, kind, status, status_at)
         SELECT firm_id, id, 'designation', 'not_requested', created_at FROM dossiers WHERE firm_id = $1",
        "INSERT INTO mandates (firm_id, dossier_id, kind, status, status_at)
         SELECT firm_id, id, 'invoicing', 'not_requested', created_at FROM dossiers WHERE firm_id = $1",
        "INSERT INTO contacts (firm_id, dossier_id, name, email, is_primary, created_at)
         SELECT firm_id, id, 'Contact', 'contact' || id || '@client.fr', 1, created_at FROM dossiers WHERE firm_id = $1",
    ] {
        sqlx::query(statement).bind(firm.id).execute(&mut *conn).await.unwrap();
    }
    let first_dossier: i64 = sqlx::query_scalar("SELECT MIN(id) FROM dossiers WHERE firm_id = $1")
        .bind(firm.id)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let started = Instant::now();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO invoices (firm_id, dossier_id, platform, platform_invoice_id, invoice_number, issue_date, direction,
             seller_siren, buyer_siren, current_code, current_at, first_seen_at)
         SELECT $2, $3 + (i % $4), 'Pennylane', 'PL-' || i, 'F-' || i, '2026-11-01',
             CASE WHEN i % 2 = 0 THEN 'emitted' ELSE 'received' END, '732829320', '732829320',
             200 + (i % 14), '2026-11-10T10:00:00Z', $5
         FROM n",
    )
    .bind(s.invoices as i64)
    .bind(firm.id)
    .bind(first_dossier)
    .bind(s.dossiers as i64)
    .bind(stamp.clone())
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
         INSERT INTO anomalies (firm_id, anomaly_key, rule_name, severity, status, dossier_id, details, opened_at)
         SELECT $2, 'bench-' || i, 'invoice_rejected', CASE WHEN i % 10 = 0 THEN 'critical' ELSE 'warning' END, 'open',
             $3 + (i % $4), '{\"invoice_number\": \"F-' || i || '\", \"code\": 213}', $5
         FROM n",
    )
    .bind(s.anomalies as i64)
    .bind(firm.id)
    .bind(first_dossier)
    .bind(s.dossiers as i64)
    .bind(stamp)
    .execute(&mut *conn)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&mut *conn).await.unwrap();
    println!("  populated in {:.1} s", started.elapsed().as_secs_f64());
    firm.id
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

async fn measure(backend: Backend, s: &Sizes) {
    println!(
        "{backend:?}: {} dossiers, {} invoices, {} open anomalies",
        s.dossiers, s.invoices, s.anomalies
    );
    let db = TestDb::new(backend).await;
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
    populate(&db, s, now).await;
    let core = Core {
        store: db.store.clone(),
        clock: Clock::fixed(now),
        rules: CalendarRules::default(),
        lang: Lang::Fr,
        mailer: None,
    };
    let caller = core
        .caller_by_email(Some("Cabinet Bench"), "associe@bench.fr")
        .await
        .unwrap();
    println!(
        "  {:<26} {:>8} {:>8} {:>8} {:>8}",
        "command", "p50 ms", "p95 ms", "p99 ms", "max ms"
    );
    let dossier = format!("dossier B{:05}", s.dossiers / 2);
    for command in [
        "pret cabinet",
        "pret portefeuille P03",
        dossier.as_str(),
        "anomalies ouvertes",
    ] {
        for _ in 0..5 {
            core.execute(&caller, command).await;
        }
        let mut times = Vec::with_capacity(s.runs);
        for _ in 0..s.runs {
            let started = Instant::now();
            let reply = core.execute(&caller, command).await;
            times.push(started.elapsed());
            assert_eq!(reply.tone, Tone::Info, "{command}: {reply:?}");
        }
        times.sort();
        println!(
            "  {:<26} {:>8.1} {:>8.1} {:>8.1} {:>8.1}{}",
            command,
            percentile(&times, 0.50),
            percentile(&times, 0.95),
            percentile(&times, 0.99),
            times.last().unwrap().as_secs_f64() * 1000.0,
            if percentile(&times, 0.99) <= 50.0 {
                ""
            } else {
                "   (over the 50 ms target)"
            }
        );
    }
}

#[tokio::main]
async fn main() {
    let s = sizes();
    measure(Backend::Sqlite, &s).await;
    measure(Backend::Postgres, &s).await;
}
