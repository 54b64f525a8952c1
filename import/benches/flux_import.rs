//! Benchmark of the flow import: generates a realistic `generic` export
//! (default 1,000,000 lines for 2,000 dossiers), imports it into SQLite and
//! PostgreSQL, evaluates the anomaly rules, and compares with a bare load
//! of the same file (`sqlite3 .import --csv`, `psql \copy`) into a bare table.
//!
//! A program that prints figures, not a timed test:
//! `cargo bench -p cabready-import --bench flux_import -- [--rows N] [--dossiers N]
//! [--skip-postgres] [--skip-sqlite]` (PostgreSQL: `CABREADY_TEST_POSTGRES_URL`,
//! default the local test server). Each backend runs in its own child
//! process, so that its peak memory is its own; the load average is
//! printed with the figures, since this machine is shared.

use cabready_import::flux::{self, profile, FluxRequest, DEFAULT_BATCH};
use cabready_store::anomalies::{self, AnomalyLimits};
use cabready_store::domain::{CategorySource, Financials, Siren, SizeCategory};
use cabready_store::dossiers::{self, ActivityFlags, DossierRecord};
use cabready_store::journal::Actor;
use cabready_store::{firms, invoices, Backend, Clock, Lang, Store};
use cabready_testkit::bench::{load_average, peak_rss_mb, reset_peak_rss};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

struct Options {
    rows: usize,
    dossiers: usize,
    postgres: bool,
    sqlite: bool,
    /// An export already generated (the parent process passes it to each child).
    file: Option<std::path::PathBuf>,
}

fn options() -> Options {
    let mut o = Options {
        rows: 1_000_000,
        dossiers: 2_000,
        postgres: true,
        sqlite: true,
        file: None,
    };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--rows" => {
                o.rows = args[i + 1].parse().expect("--rows N");
                i += 1;
            }
            "--dossiers" => {
                o.dossiers = args[i + 1].parse().expect("--dossiers N");
                i += 1;
            }
            "--file" => {
                o.file = Some(args[i + 1].clone().into());
                i += 1;
            }
            "--skip-postgres" => o.postgres = false,
            "--skip-sqlite" => o.sqlite = false,
            _ => {} // cargo bench passes --bench
        }
        i += 1;
    }
    o
}

/// The benchmark's clock. The import refuses statuses dated after it.
fn bench_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

fn siren_of(dossier: usize) -> Siren {
    Siren::with_check_digit(40_000_000 + dossier as u32)
}

/// Lifecycles and their shares: mostly paid, some in progress, a few in trouble.
const LIFECYCLES: &[(u32, &[u16])] = &[
    (55, &[200, 212]),
    (20, &[200, 204, 212]),
    (10, &[200, 203, 204, 205]),
    (8, &[200, 203]),
    (3, &[200, 213]),
    (2, &[200, 207]),
    (2, &[200, 210]),
];

fn generate(path: &Path, rows: usize, dossiers: usize) -> usize {
    let mut rng = StdRng::seed_from_u64(2026);
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    writeln!(out, "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref").unwrap();
    let sirens: Vec<String> = (0..dossiers).map(|d| siren_of(d).to_string()).collect();
    let counterpart = Siren::with_check_digit(73_282_932).to_string();
    let start = NaiveDate::from_ymd_opt(2026, 9, 1).unwrap();
    let total_weight: u32 = LIFECYCLES.iter().map(|(w, _)| w).sum();
    let (mut written, mut invoice) = (0usize, 0usize);
    let mut numbers = vec![0u32; dossiers];
    while written < rows {
        invoice += 1;
        let d = rng.gen_range(0..dossiers);
        let emitted = rng.gen_bool(0.6);
        let mut pick = rng.gen_range(0..total_weight);
        let codes = LIFECYCLES
            .iter()
            .find(|(w, _)| {
                if pick < *w {
                    true
                } else {
                    pick -= w;
                    false
                }
            })
            .unwrap()
            .1;
        numbers[d] += 1;
        // A few duplicate numbers, a few invalid counterpart SIRENs.
        let number = if rng.gen_ratio(1, 2000) && numbers[d] > 1 {
            numbers[d] - 1
        } else {
            numbers[d]
        };
        let other = if rng.gen_ratio(1, 1000) {
            "123456789".to_string()
        } else {
            counterpart.clone()
        };
        let (seller, buyer, direction) = if emitted {
            (&sirens[d], &other, "emitted")
        } else {
            (&other, &sirens[d], "received")
        };
        let issue = start + Duration::days(rng.gen_range(0..84));
        let ht = rng.gen_range(1_000..500_000) as f64 / 100.0;
        let mut at = Utc.from_utc_datetime(&issue.and_hms_opt(8, 0, 0).unwrap());
        for code in codes.iter() {
            if written >= rows {
                break;
            }
            let reason = match code {
                213 => "Contrôle technique : SIREN absent",
                207 => "Quantités contestées",
                210 => "Commande annulée",
                _ => "",
            };
            writeln!(
                out,
                "INV-{invoice:08},F{:06},{issue},{seller},{buyer},{direction},{ht:.2},{:.2},EUR,{code},,{},{reason},",
                number,
                ht * 1.2,
                at.min(bench_now()).format("%Y-%m-%dT%H:%M:%SZ")
            )
            .unwrap();
            written += 1;
            at += Duration::hours(rng.gen_range(1..24 * 12));
        }
    }
    out.flush().unwrap();
    invoice
}

async fn seed(store: &Store, dossiers: usize) -> i64 {
    let now = Utc::now();
    let mut tx = store.begin().await.unwrap();
    let (firm, _) = firms::ensure(
        &mut tx,
        "Cabinet Bench",
        &["BenchPA".into()],
        &Actor::System,
        now,
    )
    .await
    .unwrap();
    for d in 0..dossiers {
        let category = match d % 10 {
            0 => SizeCategory::Eti,
            1..=3 => SizeCategory::Pme,
            _ => SizeCategory::Micro,
        };
        let record = DossierRecord {
            code: format!("B{d:05}"),
            legal_name: format!("Client {d}"),
            siren: siren_of(d),
            legal_form: None,
            financials: Financials::default(),
            category: Some((category, CategorySource::Override)),
            vat: None,
            flags: ActivityFlags::default(),
            owner: None,
            portfolio: None,
            tags: vec![],
            contact: None,
        };
        dossiers::upsert(&mut tx, firm.id, &record, &Actor::System, now)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    // As onboarding does after writing the dossiers.
    store.analyze_dossiers().await.unwrap();
    firm.id
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

/// One evaluation of the anomaly rules in its own transaction, and its time.
async fn evaluate(store: &Store, firm: i64, clock: &Clock) -> (anomalies::Evaluation, f64) {
    let t = Instant::now();
    let mut tx = store.begin().await.unwrap();
    let outcome = anomalies::evaluate(
        &mut tx,
        firm,
        &AnomalyLimits::default(),
        clock.now(),
        clock.today(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (outcome, secs(t))
}

async fn bench_backend(backend: Backend, file: &Path, rows: usize, dossiers: usize, bare: f64) {
    println!("  load average at the start: {}", load_average());
    let (url, _dir) = cabready_testkit::fresh_url(backend).await;
    let store = Store::connect(&url).await.expect("connect");
    let firm = seed(&store, dossiers).await;
    let clock = Clock::fixed(bench_now());
    let request = FluxRequest {
        firm: None,
        profile: profile::resolve("generic", None).unwrap(),
        source: Some("BenchPA".into()),
        files: vec![file.to_path_buf()],
        dry_run: false,
        limits: AnomalyLimits::default(),
        progress: false,
        batch_size: DEFAULT_BATCH,
        evaluate: false,
    };
    reset_peak_rss();
    let t = Instant::now();
    let report = flux::run(&store, &clock, &request, Lang::En)
        .await
        .expect("import");
    let import_s = secs(t);
    let rss = peak_rss_mb();
    let f = &report.files[0];
    let mut conn = store.pool().acquire().await.unwrap();
    let (inv, st) = invoices::counts(&mut conn, firm).await.unwrap();
    drop(conn);
    println!(
        "{backend:?}: import {rows} lines in {import_s:.2} s = {:.0} lines/s; peak RSS {rss:.0} MB; ratio to bare load {:.2}x",
        rows as f64 / import_s,
        import_s / bare
    );
    println!(
        "  read {}, imported {}, rejected {}, invoices {inv}, status events {st}",
        f.rows_read, f.imported, f.rejected
    );
    let (first, eval_s) = evaluate(&store, firm, &clock).await;
    let (again, reeval_s) = evaluate(&store, firm, &clock).await;
    println!(
        "  anomaly evaluation: first {eval_s:.2} s ({} opened), again {reeval_s:.2} s ({} opened, {} closed, {} open)",
        first.opened, again.opened, again.closed, again.open
    );
    let t = Instant::now();
    let report = flux::run(&store, &clock, &request, Lang::En)
        .await
        .expect("import");
    println!(
        "  same file again: {:.2} s, {} imported, {} already known",
        secs(t),
        report.files[0].imported,
        report.files[0].already_known
    );
    println!("  load average at the end: {}", load_average());
    store.close().await;
}

fn bare_sqlite(file: &Path, dir: &Path) -> Option<f64> {
    let db = dir.join("bare.db");
    let t = Instant::now();
    let status = Command::new("sqlite3")
        .arg(&db)
        .arg(format!(".import --csv {} bare", file.display()))
        .status()
        .ok()?;
    status.success().then(|| secs(t))
}

async fn bare_postgres(file: &Path) -> Option<f64> {
    let (url, _) = cabready_testkit::fresh_url(Backend::Postgres).await;
    let create = "CREATE TABLE bare (platform_invoice_id TEXT, invoice_number TEXT, issue_date TEXT, seller_siren TEXT, buyer_siren TEXT, direction TEXT, amount_ht TEXT, amount_ttc TEXT, currency TEXT, status_code TEXT, status_label TEXT, status_at TEXT, status_reason TEXT, dossier_ref TEXT)";
    Command::new("psql")
        .args([url.as_str(), "-qc", create])
        .status()
        .ok()?;
    let t = Instant::now();
    let copy = format!("\\copy bare FROM '{}' CSV HEADER", file.display());
    let status = Command::new("psql")
        .args([url.as_str(), "-qc", &copy])
        .status()
        .ok()?;
    status.success().then(|| secs(t))
}

/// Runs one backend in a child process of this program, so that each
/// backend's peak memory is its own (VmHWM cannot go below the RSS the
/// other backend's run left behind in the same process).
fn run_child(o: &Options, file: &Path, skip: &str) {
    let status = Command::new(std::env::current_exe().expect("current exe"))
        .args([
            "--rows",
            &o.rows.to_string(),
            "--dossiers",
            &o.dossiers.to_string(),
        ])
        .arg("--file")
        .arg(file)
        .arg(skip)
        .status()
        .expect("child benchmark");
    assert!(status.success(), "child benchmark failed");
}

#[tokio::main]
async fn main() {
    // RUST_LOG=cabready_store=debug prints each step's time.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_writer(std::io::stderr)
            .init();
    }
    let o = options();
    let dir = tempfile::tempdir().unwrap();
    let file = match &o.file {
        Some(file) => file.clone(),
        None => {
            let file = dir.path().join("generic-export.csv");
            let t = Instant::now();
            let invoices = generate(&file, o.rows, o.dossiers);
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            println!(
                "generated {} lines ({invoices} invoices, {} dossiers, {:.0} MB) in {:.2} s",
                o.rows,
                o.dossiers,
                size as f64 / 1e6,
                secs(t)
            );
            file
        }
    };
    if o.sqlite && o.postgres {
        run_child(&o, &file, "--skip-postgres");
        run_child(&o, &file, "--skip-sqlite");
        return;
    }
    if o.sqlite {
        let bare = bare_sqlite(&file, dir.path()).unwrap_or(f64::NAN);
        println!("bare load: sqlite3 .import --csv {bare:.2} s");
        bench_backend(Backend::Sqlite, &file, o.rows, o.dossiers, bare).await;
    }
    if o.postgres {
        let bare = bare_postgres(&file).await.unwrap_or(f64::NAN);
        println!("bare load: psql \\copy {bare:.2} s");
        bench_backend(Backend::Postgres, &file, o.rows, o.dossiers, bare).await;
    }
}
