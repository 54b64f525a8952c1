//! The anomaly rules, run as queries over the imported flows and the
//! dossiers. Each finding carries a stable key (rule + the ids it is
//! about), so that evaluating twice raises nothing new, and an open
//! anomaly whose finding is gone is closed (journaled, by the system).
//! Resolved and dismissed anomalies stay as people left them.

use super::{AnomalyStatus, Severity};
use crate::calendar::{obligation_date, Obligation};
use crate::clock::{from_db_date, from_db_time, show_date, to_db_time};
use crate::db;
use crate::domain::{fold, LifecycleCode};
use crate::dossiers;
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, Actor, Entry};
use crate::lang::{Lang, Said};
use crate::staging::{self, is_postgres, json_rows, Cell};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};
use std::collections::{BTreeMap, HashMap};

/// Every rule this module raises and closes (others may raise anomalies
/// of their own; evaluation never closes those).
pub const RULES: &[&str] = &[
    "invoice_rejected",
    "invoice_refused",
    "invoice_disputed",
    "invoice_stuck",
    "received_not_taken",
    "no_emission",
    "other_platform",
    "invalid_siren",
    "duplicate_number",
    "no_reception_flow",
];

/// The anomalies the mail workers raise (`anomalies::raise`): not rules
/// evaluated over the flows, so never closed by an evaluation.
pub const MAIL_RULES: &[&str] = &[
    "mail_reply",
    "mail_bounce",
    "mail_unknown_sender",
    "reminder_no_answer",
];

/// `[anomalies]` in the config file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnomalyLimits {
    /// Days an invoice may stay in a non-final status, by code (`"204" = 15`).
    /// A table in the config file changes the codes it names; the others
    /// keep their default ([`AnomalyLimits::default_stuck_days`]). Codes
    /// absent from both are never "stuck".
    #[serde(
        default = "AnomalyLimits::default_stuck_days",
        deserialize_with = "stuck_days_over_defaults"
    )]
    pub stuck_days: BTreeMap<String, i64>,
    /// Days a received invoice may wait before being acknowledged (204).
    #[serde(default = "AnomalyLimits::default_not_taken_days")]
    pub not_taken_days: i64,
    /// Days without any emitted invoice once emission applies.
    #[serde(default = "AnomalyLimits::default_no_emission_days")]
    pub no_emission_days: i64,
    /// Days after reception applies before "no received flow at all" is raised.
    #[serde(default = "AnomalyLimits::default_reception_grace_days")]
    pub reception_grace_days: i64,
    /// Days an invoice may stay in a platform's own status (a code outside
    /// the reform's table, kept as read) before it is stuck: CabReady cannot
    /// tell what it means, so a person should look.
    #[serde(default = "AnomalyLimits::default_platform_status_days")]
    pub platform_status_days: i64,
}

/// `[anomalies.stuck_days]` as given, over the defaults: `"200" = 30`
/// alone must not leave 204, 208… without any limit.
fn stuck_days_over_defaults<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, i64>, D::Error> {
    let given = BTreeMap::<String, i64>::deserialize(deserializer)?;
    let mut days = AnomalyLimits::default_stuck_days();
    days.extend(
        given
            .into_iter()
            .map(|(code, d)| (code.trim().to_string(), d)),
    );
    Ok(days)
}

impl Default for AnomalyLimits {
    fn default() -> Self {
        AnomalyLimits {
            stuck_days: Self::default_stuck_days(),
            not_taken_days: Self::default_not_taken_days(),
            no_emission_days: Self::default_no_emission_days(),
            reception_grace_days: Self::default_reception_grace_days(),
            platform_status_days: Self::default_platform_status_days(),
        }
    }
}

impl AnomalyLimits {
    /// Platforms move 200–203 within a day or two; a buyer takes days to
    /// approve; payment follows within the usual 30–60 day terms.
    pub fn default_stuck_days() -> BTreeMap<String, i64> {
        [
            ("200", 2),
            ("201", 2),
            ("202", 2),
            ("203", 7),
            ("204", 15),
            ("205", 60),
            ("206", 30),
            ("208", 15),
            ("209", 15),
            ("211", 15),
        ]
        .into_iter()
        .map(|(c, d)| (c.to_string(), d))
        .collect()
    }
    pub fn default_not_taken_days() -> i64 {
        7
    }
    pub fn default_no_emission_days() -> i64 {
        30
    }
    pub fn default_reception_grace_days() -> i64 {
        30
    }
    pub fn default_platform_status_days() -> i64 {
        15
    }

    /// Checks the values (codes are three digits, days are 0 to 3650).
    pub fn validate(&self) -> Result<(), String> {
        for (code, days) in &self.stuck_days {
            if LifecycleCode::parse(code).is_err() || !code.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "anomalies.stuck_days : « {code} » n'est pas un code de statut (ex. \"204\")"
                ));
            }
            if !(0..=3650).contains(days) {
                return Err(format!(
                    "anomalies.stuck_days.{code} : doit être entre 0 et 3650 (lu : {days})"
                ));
            }
        }
        for (name, v) in [
            ("not_taken_days", self.not_taken_days),
            ("no_emission_days", self.no_emission_days),
            ("reception_grace_days", self.reception_grace_days),
            ("platform_status_days", self.platform_status_days),
        ] {
            if !(0..=3650).contains(&v) {
                return Err(format!(
                    "anomalies.{name} : doit être entre 0 et 3650 (lu : {v})"
                ));
            }
        }
        Ok(())
    }
}

/// One condition found true now.
#[derive(Debug, Clone)]
struct Finding {
    key: String,
    rule: &'static str,
    severity: Severity,
    dossier_id: Option<i64>,
    invoice_id: Option<i64>,
    details: Value,
}

/// What an evaluation changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    pub opened: usize,
    pub reopened: usize,
    pub closed: usize,
    /// Open anomalies of the firm after the evaluation: the queue, these
    /// rules' and those the mail workers raised.
    pub open: usize,
}

impl Evaluation {
    /// What changed, in one sentence ("nouvelle" for opened now, "ouverte"
    /// for open in all).
    pub fn summary(&self, lang: Lang) -> String {
        match lang {
            Lang::Fr => format!(
                "Anomalies : {} nouvelle(s), {} rouverte(s), {} close(s) automatiquement ; {} ouverte(s) en tout.",
                self.opened, self.reopened, self.closed, self.open
            ),
            Lang::En => format!(
                "Anomalies: {} new, {} reopened, {} closed automatically; {} open in all.",
                self.opened, self.reopened, self.closed, self.open
            ),
        }
    }
}

fn day(at: Option<String>) -> Option<String> {
    at.as_deref().and_then(from_db_time).map(|t| {
        t.with_timezone(&chrono_tz::Europe::Paris)
            .date_naive()
            .to_string()
    })
}

/// A query's rows as one JSON value (`columns` as a JSON array per row):
/// one value through sqlx's Any driver instead of one hop per row, which
/// is what the rules' tens of thousands of findings cost before.
fn rows_as_json(conn: &AnyConnection, columns: &str, from: &str) -> String {
    if is_postgres(conn) {
        format!("SELECT CAST(COALESCE(json_agg(json_build_array({columns})), '[]') AS TEXT) {from}")
    } else {
        format!("SELECT json_group_array(json_array({columns})) {from}")
    }
}

fn parse_rows(text: &str) -> StoreResult<Vec<Vec<Value>>> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("rules' rows: {e}")))
}

/// Column `n` of a row: an integer, a string (or `None` when NULL).
fn int(row: &[Value], n: usize) -> Option<i64> {
    row.get(n).and_then(Value::as_i64)
}

fn text(row: &[Value], n: usize) -> Option<String> {
    match row.get(n) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    }
}

fn invoice_details(row: &[Value]) -> Value {
    json!({
        "invoice_number": text(row, 2).unwrap_or_default(),
        "platform": text(row, 3).unwrap_or_default(),
        "platform_invoice_id": text(row, 4).unwrap_or_default(),
        "direction": text(row, 5).unwrap_or_default(),
        "code": int(row, 6),
        "since": day(text(row, 7)),
    })
}

/// Read by `invoice_details` and `int(row, 0..)`, in this order.
const INVOICE_COLUMNS: &str = "i.id, i.dossier_id, i.invoice_number, i.platform, i.platform_invoice_id, i.direction, i.current_code, i.current_at";

async fn fetch_rows<'q>(
    conn: &mut AnyConnection,
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
) -> StoreResult<Vec<Vec<Value>>> {
    let shipped: Option<String> = query.fetch_one(&mut *conn).await?.try_get(0)?;
    parse_rows(shipped.as_deref().unwrap_or("[]"))
}

async fn invoice_findings(
    conn: &mut AnyConnection,
    firm_id: i64,
    limits: &AnomalyLimits,
    now: DateTime<Utc>,
    out: &mut Vec<Finding>,
) -> StoreResult<()> {
    // Rejected, refused, disputed: the current status says it.
    let sql = rows_as_json(
        conn,
        &format!(
            "{INVOICE_COLUMNS},
            (SELECT s.reason FROM invoice_statuses s WHERE s.invoice_id = i.id AND s.code = i.current_code
             AND s.status_at = i.current_at), i.seller_siren, SUBSTR(i.issue_date, 1, 4)"
        ),
        "FROM invoices i WHERE i.firm_id = $1 AND i.current_code IN (207, 210, 213)",
    );
    // A rejected invoice (213) was never issued: its seller corrects it and
    // submits it again, often under a new platform id and the same number.
    // Rejections of a number submitted again since, and not rejected, are
    // over (the duplicate-number rule below finds those numbers): the
    // rejections wait for it here.
    let mut rejected: Vec<(Finding, NumberKey, String)> = Vec::new();
    for row in fetch_rows(conn, sqlx::query(sqlx::AssertSqlSafe(sql)).bind(firm_id)).await? {
        let (Some(id), Some(code)) = (int(&row, 0), int(&row, 6)) else {
            continue;
        };
        let (rule, severity) = match code {
            213 => ("invoice_rejected", Severity::Critical),
            210 => ("invoice_refused", Severity::Critical),
            _ => ("invoice_disputed", Severity::Warning),
        };
        let mut details = invoice_details(&row);
        details["reason"] = json!(text(&row, 8));
        // One anomaly per occurrence: a rejection after the invoice was
        // submitted again is a new one, even once a person resolved the first.
        let at = text(&row, 7).unwrap_or_default();
        let finding = Finding {
            key: format!("{rule}:{id}:{at}"),
            rule,
            severity,
            dossier_id: int(&row, 1),
            invoice_id: Some(id),
            details,
        };
        if code == 213 {
            let number_key = (
                int(&row, 1).unwrap_or_default(),
                text(&row, 5).unwrap_or_default(),
                text(&row, 9).unwrap_or_default(),
                text(&row, 2).unwrap_or_default(),
                text(&row, 10).unwrap_or_default(),
            );
            rejected.push((finding, number_key, at));
        } else {
            out.push(finding);
        }
    }

    // Stuck in a non-final status longer than its limit (received invoices
    // not yet acknowledged have their own rule), or in a platform's own
    // status (not one of the reform's, nor one that `stuck_days` names)
    // longer than `platform_status_days`: one scan for both.
    let mut clauses = Vec::new();
    let mut binds = Vec::new();
    for (code, days) in &limits.stuck_days {
        let Ok(code) = code.parse::<i64>() else {
            continue;
        };
        if matches!(code, 207 | 210 | 212 | 213) {
            continue;
        }
        binds.push((code, to_db_time(now - Duration::days(*days))));
        let n = binds.len() * 2;
        clauses.push(format!(
            "(i.current_code = ${} AND i.current_at < ${})",
            n,
            n + 1
        ));
    }
    let known = LifecycleCode::KNOWN_NUMBERS
        .iter()
        .map(|c| i64::from(*c))
        .chain(
            limits
                .stuck_days
                .keys()
                .filter_map(|c| c.parse::<i64>().ok()),
        )
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    clauses.push(format!(
        "(i.current_code NOT IN ({known}) AND i.current_at < ${})",
        binds.len() * 2 + 2
    ));
    let sql = rows_as_json(
        conn,
        INVOICE_COLUMNS,
        &format!(
            "FROM invoices i WHERE i.firm_id = $1 AND ({})
             AND NOT (i.direction = 'received' AND i.current_code BETWEEN 200 AND 203)",
            clauses.join(" OR ")
        ),
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(firm_id);
    for (code, cutoff) in binds {
        q = q.bind(code).bind(cutoff);
    }
    let q = q.bind(to_db_time(
        now - Duration::days(limits.platform_status_days),
    ));
    for row in fetch_rows(conn, q).await? {
        let (Some(id), Some(code)) = (int(&row, 0), int(&row, 6)) else {
            continue;
        };
        let mut details = invoice_details(&row);
        details["limit_days"] = json!(limits
            .stuck_days
            .get(&code.to_string())
            .copied()
            .unwrap_or(limits.platform_status_days));
        out.push(Finding {
            key: format!("invoice_stuck:{id}:{code}"),
            rule: "invoice_stuck",
            severity: Severity::Warning,
            dossier_id: int(&row, 1),
            invoice_id: Some(id),
            details,
        });
    }

    // Received, made available, not acknowledged (204).
    let sql = rows_as_json(
        conn,
        INVOICE_COLUMNS,
        "FROM invoices i WHERE i.firm_id = $1 AND i.direction = 'received'
         AND i.current_code BETWEEN 200 AND 203 AND i.current_at < $2",
    );
    let q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(to_db_time(now - Duration::days(limits.not_taken_days)));
    for row in fetch_rows(conn, q).await? {
        let Some(id) = int(&row, 0) else { continue };
        let mut details = invoice_details(&row);
        details["limit_days"] = json!(limits.not_taken_days);
        out.push(Finding {
            key: format!("received_not_taken:{id}"),
            rule: "received_not_taken",
            severity: Severity::Warning,
            dossier_id: int(&row, 1),
            invoice_id: Some(id),
            details,
        });
    }

    // A counterpart SIREN that is not a valid SIREN.
    let sql = rows_as_json(
        conn,
        &format!("{INVOICE_COLUMNS}, i.siren_problem, i.seller_siren, i.buyer_siren"),
        "FROM invoices i WHERE i.firm_id = $1 AND i.siren_problem IS NOT NULL",
    );
    for row in fetch_rows(conn, sqlx::query(sqlx::AssertSqlSafe(sql)).bind(firm_id)).await? {
        let Some(id) = int(&row, 0) else { continue };
        let mut details = invoice_details(&row);
        let problem = text(&row, 8).unwrap_or_default();
        let value = if problem == "seller_siren" {
            text(&row, 9)
        } else {
            text(&row, 10)
        };
        details["field"] = json!(problem);
        details["value"] = json!(value.unwrap_or_default());
        out.push(Finding {
            key: format!("invalid_siren:{id}"),
            rule: "invalid_siren",
            severity: Severity::Warning,
            dossier_id: int(&row, 1),
            invoice_id: Some(id),
            details,
        });
    }

    // The same number twice for one seller in one year (per dossier and
    // direction), rejected invoices aside: they were never issued. With
    // the latest status of those not rejected, which ends the rejections
    // of their number that came before.
    let sql = rows_as_json(
        conn,
        "g.dossier_id, g.direction, g.seller_siren, g.invoice_number, g.year, g.n, g.live_at",
        "FROM (SELECT dossier_id, direction, seller_siren, invoice_number, SUBSTR(issue_date, 1, 4) AS year,
                CAST(SUM(CASE WHEN current_code <> 213 THEN 1 ELSE 0 END) AS BIGINT) AS n,
                MAX(CASE WHEN current_code <> 213 THEN current_at END) AS live_at
             FROM invoices WHERE firm_id = $1 AND issue_date IS NOT NULL
             GROUP BY dossier_id, direction, seller_siren, invoice_number, SUBSTR(issue_date, 1, 4)
             HAVING COUNT(*) > 1) g",
    );
    let mut submitted_again: HashMap<NumberKey, String> = HashMap::new();
    for row in fetch_rows(conn, sqlx::query(sqlx::AssertSqlSafe(sql)).bind(firm_id)).await? {
        let Some(dossier_id) = int(&row, 0) else {
            continue;
        };
        let direction = text(&row, 1).unwrap_or_default();
        let seller = text(&row, 2).unwrap_or_default();
        let number = text(&row, 3).unwrap_or_default();
        let year = text(&row, 4).unwrap_or_default();
        let live = int(&row, 5).unwrap_or(0);
        if let Some(live_at) = text(&row, 6) {
            submitted_again.insert(
                (
                    dossier_id,
                    direction.clone(),
                    seller.clone(),
                    number.clone(),
                    year.clone(),
                ),
                live_at,
            );
        }
        if live < 2 {
            continue;
        }
        out.push(Finding {
            key: format!("duplicate_number:{dossier_id}:{direction}:{seller}:{year}:{number}"),
            rule: "duplicate_number",
            severity: if direction == "emitted" {
                Severity::Critical
            } else {
                Severity::Warning
            },
            dossier_id: Some(dossier_id),
            invoice_id: None,
            details: json!({
                "invoice_number": number, "seller_siren": seller, "year": year,
                "direction": direction, "count": live,
            }),
        });
    }
    out.extend(
        rejected
            .into_iter()
            .filter(|(_, key, at)| submitted_again.get(key).is_none_or(|live| live <= at))
            .map(|(finding, ..)| finding),
    );
    Ok(())
}

/// An invoice number as the duplicate rule counts it: dossier, direction,
/// seller's SIREN, number, year of issue.
type NumberKey = (i64, String, String, String, String);

async fn dossier_findings(
    conn: &mut AnyConnection,
    firm_id: i64,
    limits: &AnomalyLimits,
    today: NaiveDate,
    out: &mut Vec<Finding>,
) -> StoreResult<()> {
    let list = dossiers::list(conn, firm_id, None).await?;
    // Latest issue date and count of flows, per dossier and direction, and
    // the platforms each dossier received flows from: one scan of the
    // firm's invoices for both (two cost SQLite 0.3 s more on 417,000).
    let mut flows: HashMap<(i64, String), (Option<NaiveDate>, i64)> = HashMap::new();
    let mut received_platforms: HashMap<i64, Vec<String>> = HashMap::new();
    let sql = rows_as_json(
        conn,
        "g.dossier_id, g.direction, g.platform, g.last, g.n",
        "FROM (SELECT dossier_id, direction, platform, MAX(issue_date) AS last,
                      CAST(COUNT(*) AS BIGINT) AS n
               FROM invoices WHERE firm_id = $1 GROUP BY dossier_id, direction, platform) g",
    );
    for row in fetch_rows(conn, sqlx::query(sqlx::AssertSqlSafe(sql)).bind(firm_id)).await? {
        let (Some(dossier), Some(direction), Some(platform)) =
            (int(&row, 0), text(&row, 1), text(&row, 2))
        else {
            continue;
        };
        let last = text(&row, 3).as_deref().and_then(from_db_date);
        let n = int(&row, 4).unwrap_or(0);
        if direction == "received" && !platform.is_empty() {
            received_platforms
                .entry(dossier)
                .or_default()
                .push(platform);
        }
        let flow = flows.entry((dossier, direction)).or_insert((None, 0));
        flow.0 = flow.0.max(last);
        flow.1 += n;
    }

    for dossier in &list {
        let id = dossier.id;
        if let Some(from) = obligation_date(dossier, Obligation::Emission) {
            if from <= today {
                let (last, _) = flows
                    .get(&(id, "emitted".to_string()))
                    .cloned()
                    .unwrap_or((None, 0));
                let since = last.map_or(from, |l| l.max(from));
                if (today - since).num_days() > limits.no_emission_days {
                    out.push(Finding {
                        key: format!("no_emission:{id}"),
                        rule: "no_emission",
                        severity: Severity::Critical,
                        dossier_id: Some(id),
                        invoice_id: None,
                        details: json!({
                            "last_emitted": last.map(|d| d.to_string()),
                            "emission_from": from.to_string(),
                            "limit_days": limits.no_emission_days,
                        }),
                    });
                }
            }
        }
        if let Some(from) = obligation_date(dossier, Obligation::Reception) {
            let received = flows.get(&(id, "received".to_string())).map_or(0, |f| f.1);
            if received == 0 && (today - from).num_days() > limits.reception_grace_days {
                out.push(Finding {
                    key: format!("no_reception_flow:{id}"),
                    rule: "no_reception_flow",
                    severity: Severity::Warning,
                    dossier_id: Some(id),
                    invoice_id: None,
                    details: json!({ "reception_from": from.to_string() }),
                });
            }
        }
        let recorded = dossier.platform.as_ref().map(|(name, _)| name.as_str());
        let received = received_platforms.get(&id).map_or(&[][..], Vec::as_slice);
        other_platform_findings(id, recorded, received, out);
    }
    Ok(())
}

/// `other_platform`: a business receives through one platform, its
/// directory entry: received flows elsewhere than the recorded one mean a
/// wrong entry or a wrong record. `received`: the platforms the dossier
/// received flows from.
fn other_platform_findings(
    dossier_id: i64,
    recorded: Option<&str>,
    received: &[String],
    out: &mut Vec<Finding>,
) {
    for platform in received {
        if recorded.map(fold) == Some(fold(platform)) {
            continue;
        }
        out.push(Finding {
            key: format!("other_platform:{dossier_id}:{}", fold(platform)),
            rule: "other_platform",
            severity: if recorded.is_some() {
                Severity::Warning
            } else {
                Severity::Info
            },
            dossier_id: Some(dossier_id),
            invoice_id: None,
            details: json!({ "platform": platform, "recorded": recorded }),
        });
    }
}

/// How much of a SQLite database file the rules map in memory while they
/// read (address space: only the pages read take memory, the OS's page
/// cache, shared and reclaimable).
const MAPPED_BYTES: i64 = 1 << 30;

/// Where the anomalies an evaluation opens wait, on its connection, to be
/// checked and inserted by set-based statements.
const NEW_TABLE: &str = "CREATE TEMP TABLE anomaly_new (anomaly_key TEXT NOT NULL,
    rule_name TEXT NOT NULL, severity TEXT NOT NULL, dossier_id BIGINT, invoice_id BIGINT,
    details TEXT NOT NULL)";
const NEW_COLUMNS: [(&str, &str); 6] = [
    ("anomaly_key", "TEXT"),
    ("rule_name", "TEXT"),
    ("severity", "TEXT"),
    ("dossier_id", "BIGINT"),
    ("invoice_id", "BIGINT"),
    ("details", "TEXT"),
];

/// Opens the new findings and journals each: staged in
/// `anomaly_new`, checked, inserted, and their journal lines written by the
/// database from the rows just inserted (none comes back to Rust). Returns
/// how many were opened.
async fn open_new(
    conn: &mut AnyConnection,
    firm_id: i64,
    now: DateTime<Utc>,
    new: &[&Finding],
) -> StoreResult<usize> {
    let postgres = is_postgres(conn);
    if staging::temp_table_exists(conn, postgres, "anomaly_new").await? {
        sqlx::query("DELETE FROM anomaly_new")
            .execute(&mut *conn)
            .await?;
    } else {
        staging::create_tables(conn, postgres, &[NEW_TABLE]).await?;
    }
    let details: Vec<String> = new.iter().map(|f| f.details.to_string()).collect();
    let mut cells = Vec::with_capacity(new.len() * NEW_COLUMNS.len());
    for (f, details) in new.iter().zip(&details) {
        cells.extend([
            Cell::Text(&f.key),
            Cell::Text(f.rule),
            Cell::Text(f.severity.code()),
            Cell::opt_int(f.dossier_id),
            Cell::opt_int(f.invoice_id),
            Cell::Text(details),
        ]);
    }
    let statements = staging::statements(postgres, "anomaly_new", &NEW_COLUMNS, &cells)?;
    staging::load(conn, postgres, &statements).await?;
    if postgres {
        // Without statistics the planner takes the table for nearly
        // empty, and could scan it once per anomaly in the journal's
        // semi-join below.
        sqlx::query("ANALYZE anomaly_new")
            .execute(&mut *conn)
            .await?;
    }
    // A finding's dossier and invoice must be the firm's: checked for all
    // of them at once (an anti-join each), where PostgreSQL's foreign keys
    // ran a query per row and checked no firm (migration 0012).
    let strangers: i64 = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM anomaly_new n WHERE n.dossier_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM dossiers d WHERE d.id = n.dossier_id AND d.firm_id = $1))
              + (SELECT COUNT(*) FROM anomaly_new n WHERE n.invoice_id IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.id = n.invoice_id AND i.firm_id = $1))",
    )
    .bind(firm_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    if strangers > 0 {
        return Err(StoreError::Corrupt(format!(
            "{strangers} anomalies name a dossier or an invoice that is not the firm's"
        )));
    }
    let before: i64 = sqlx::query(
        "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM anomalies WHERE firm_id = $1",
    )
    .bind(firm_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    // Their ids, which order anomalies opened at the same time in the queue,
    // follow the dossiers (D001, D002…, not the keys' text: D001, D010…).
    let inserted = sqlx::query(
        "INSERT INTO anomalies (firm_id, anomaly_key, rule_name, severity, status, dossier_id, invoice_id, details,
                opened_at, assignee_id)
         SELECT $1, n.anomaly_key, n.rule_name, n.severity, 'open', n.dossier_id, n.invoice_id, n.details, $2,
                d.owner_user_id
         FROM anomaly_new n LEFT JOIN dossiers d ON d.id = n.dossier_id AND d.firm_id = $1
         ORDER BY n.dossier_id, n.invoice_id, n.anomaly_key",
    )
    .bind(firm_id)
    .bind(to_db_time(now))
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let details = if postgres {
        "CAST(json_build_object('details', CAST(a.details AS json), 'key', a.anomaly_key,
            'rule', a.rule_name, 'severity', a.severity, 'assignee', u.email) AS TEXT)"
    } else {
        "json_object('details', json(a.details), 'key', a.anomaly_key,
            'rule', a.rule_name, 'severity', a.severity, 'assignee', u.email)"
    };
    // Rows another writer added meanwhile are not ours: only the staged
    // keys, above the highest id before the insert.
    let select = format!(
        "SELECT 'anomaly' AS entity, a.id AS entity_id, a.dossier_id, 'anomaly.opened' AS action,
            {details} AS details
         FROM anomalies a LEFT JOIN users u ON u.id = a.assignee_id AND u.firm_id = a.firm_id
         WHERE a.firm_id = $1 AND a.id > $5 AND a.anomaly_key IN (SELECT n.anomaly_key FROM anomaly_new n)
         ORDER BY a.id"
    );
    let journaled = journal::record_selected(conn, firm_id, now, &Actor::System, &select, |q| {
        q.bind(before)
    })
    .await?;
    if inserted != new.len() as u64 || journaled != inserted {
        return Err(StoreError::Corrupt(format!(
            "{} new anomalies: {inserted} opened, {journaled} journal lines written",
            new.len()
        )));
    }
    Ok(new.len())
}

/// Runs every rule for the firm and brings the queue in line: new findings
/// open anomalies, findings of anomalies closed by CabReady reopen them,
/// open anomalies whose condition cleared are closed. Journaled by the system.
pub async fn evaluate(
    conn: &mut AnyConnection,
    firm_id: i64,
    limits: &AnomalyLimits,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> StoreResult<Evaluation> {
    evaluate_after(conn, firm_id, limits, now, today, None).await
}

/// [`evaluate`], run after `cause` (an import, say), which the journal
/// lines of the anomalies it closes or reopens give as their reason.
pub async fn evaluate_after(
    conn: &mut AnyConnection,
    firm_id: i64,
    limits: &AnomalyLimits,
    now: DateTime<Utc>,
    today: NaiveDate,
    cause: Option<&Said>,
) -> StoreResult<Evaluation> {
    // Each step's time, for whoever profiles (RUST_LOG=cabready_store=debug).
    let mut t0 = std::time::Instant::now();
    let mut lap = |step: &str| {
        tracing::debug!(
            step,
            ms = t0.elapsed().as_secs_f64() * 1000.0,
            "anomaly evaluation"
        );
        t0 = std::time::Instant::now();
    };
    let mut findings = Vec::new();
    // SQLite: the rules scan all the firm's invoices, more than the page
    // cache holds: through a memory map of the database file while they
    // read (see `set_sqlite_mmap`), restored before anything is written.
    let mapped = db::set_sqlite_mmap(conn, MAPPED_BYTES).await?;
    let found = async {
        invoice_findings(conn, firm_id, limits, now, &mut findings).await?;
        lap("invoice rules");
        dossier_findings(conn, firm_id, limits, today, &mut findings).await?;
        lap("dossier rules");
        Ok::<_, StoreError>(())
    }
    .await;
    let restored = match mapped {
        Some(previous) => db::set_sqlite_mmap(conn, previous).await.map(drop),
        None => Ok(()),
    };
    found?; // the rules' own error first
    restored?;
    let mut by_key: HashMap<String, Finding> = HashMap::with_capacity(findings.len());
    for f in findings {
        by_key.entry(f.key.clone()).or_insert(f);
    }

    let mut existing: HashMap<String, (i64, AnomalyStatus, String, Option<i64>)> = HashMap::new();
    let sql = rows_as_json(
        conn,
        "a.id, a.anomaly_key, a.status, a.rule_name, a.dossier_id",
        "FROM anomalies a WHERE a.firm_id = $1",
    );
    for row in fetch_rows(conn, sqlx::query(sqlx::AssertSqlSafe(sql)).bind(firm_id)).await? {
        let (Some(id), Some(key)) = (int(&row, 0), text(&row, 1)) else {
            continue;
        };
        let status = text(&row, 2).unwrap_or_default();
        existing.insert(
            key,
            (
                id,
                AnomalyStatus::from_code(&status).unwrap_or(AnomalyStatus::Open),
                text(&row, 3).unwrap_or_default(),
                int(&row, 4),
            ),
        );
    }

    lap("existing");
    let mut outcome = Evaluation::default();
    let at = to_db_time(now);
    let mut journal_lines: Vec<(Option<i64>, Option<i64>, &'static str, Value)> = Vec::new();

    // New findings and their journal lines (their ids follow their keys:
    // the insert orders them).
    let new: Vec<&Finding> = by_key
        .values()
        .filter(|f| !existing.contains_key(&f.key))
        .collect();
    if !new.is_empty() {
        outcome.opened = open_new(conn, firm_id, now, &new).await?;
    }

    lap("insert new");
    let mut reopen = Vec::new();
    let mut close = Vec::new();
    for (key, (id, status, rule, dossier_id)) in &existing {
        match (by_key.contains_key(key), status) {
            (true, AnomalyStatus::Closed) => reopen.push((*id, *dossier_id, key.clone())),
            (false, AnomalyStatus::Open) if RULES.contains(&rule.as_str()) => {
                close.push((*id, *dossier_id, key.clone()))
            }
            _ => {}
        }
    }
    reopen.sort();
    close.sort();
    for (ids, status, closed_at, action) in [
        (&reopen, "open", None, "anomaly.reopened"),
        (&close, "closed", Some(at.clone()), "anomaly.auto_closed"),
    ] {
        for chunk in ids.chunks(10_000) {
            let sql = format!(
                "UPDATE anomalies SET status = $1, closed_at = $2
                 WHERE id IN (SELECT CAST(j.value ->> 0 AS BIGINT) FROM {}) AND +firm_id = $3",
                json_rows(conn, 4)
            );
            let list: Vec<Value> = chunk.iter().map(|(id, ..)| json!([id])).collect();
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(status)
                .bind(closed_at.clone())
                .bind(firm_id)
                .bind(Value::Array(list).to_string())
                .execute(&mut *conn)
                .await?;
            for (id, dossier_id, key) in chunk {
                let before = if status == "open" { "closed" } else { "open" };
                let mut details =
                    json!({ "key": key, "status": { "before": before, "after": status } });
                if let Some(cause) = cause {
                    details["cause"] = json!(cause.stored());
                }
                journal_lines.push((Some(*id), *dossier_id, action, details));
            }
        }
    }
    // A reopened anomaly says today's facts (a dossier that emitted since,
    // a new reason), and its age counts from now; its history keeps the rest.
    for (id, _, key) in &reopen {
        let Some(finding) = by_key.get(key) else {
            continue;
        };
        sqlx::query(
            "UPDATE anomalies SET details = $1, opened_at = $2 WHERE id = $3 AND firm_id = $4",
        )
        .bind(finding.details.to_string())
        .bind(at.clone())
        .bind(*id)
        .bind(firm_id)
        .execute(&mut *conn)
        .await?;
    }
    outcome.reopened = reopen.len();
    outcome.closed = close.len();
    let entries: Vec<Entry> = journal_lines
        .into_iter()
        .map(|(entity_id, dossier_id, action, details)| Entry {
            entity: "anomaly",
            entity_id,
            dossier_id,
            action,
            details,
        })
        .collect();
    lap("close/reopen");
    journal::record_many(conn, firm_id, now, &Actor::System, &entries).await?;
    lap("journal");

    outcome.open = existing
        .iter()
        .filter(|(k, (_, s, r, _))| match s {
            AnomalyStatus::Open => !RULES.contains(&r.as_str()) || by_key.contains_key(*k),
            AnomalyStatus::Closed => by_key.contains_key(*k),
            _ => false,
        })
        .count()
        + outcome.opened;
    Ok(outcome)
}

/// What re-evaluating one rule for one dossier changed: anomaly ids,
/// ascending.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DossierOutcome {
    /// Opened for the first time.
    pub opened: Vec<i64>,
    /// Closed by CabReady before, open again: the condition is back.
    pub reopened: Vec<i64>,
    /// Closed by CabReady: the condition cleared.
    pub closed: Vec<i64>,
    /// Open before and after; their facts (the recorded platform, the
    /// severity) are today's.
    pub still_open: Vec<i64>,
}

/// Runs the `other_platform` rule for one dossier and brings that
/// dossier's anomalies of the rule in line, as [`evaluate`] does for the
/// firm: new findings open, findings of anomalies closed by CabReady
/// reopen them, open anomalies whose finding is gone close; resolved and
/// dismissed ones stay as people left them. Journaled by the system, on
/// the caller's connection (its transaction).
///
/// Recording or removing a dossier's platform calls it, so that the queue
/// is right at once rather than at the next evaluation. Unlike
/// [`evaluate`], an anomaly that stays open gets today's facts (the
/// platform now recorded, hence its severity and its text), journaled as
/// `anomaly.updated`: it would otherwise say "no platform is recorded"
/// next to the one just recorded.
pub async fn evaluate_other_platform(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    now: DateTime<Utc>,
) -> StoreResult<DossierOutcome> {
    const RULE: &str = "other_platform";
    let recorded = crate::platforms::for_dossier(conn, firm_id, dossier_id)
        .await?
        .map(|(name, _)| name);
    // Planned at each call, as `of_dossier`: the (firm_id, dossier_id, …)
    // indexes, whatever the tables' size when the statement was first seen.
    let received: Vec<String> = sqlx::query(
        "SELECT DISTINCT platform FROM invoices
         WHERE firm_id = $1 AND dossier_id = $2 AND direction = 'received'
           AND platform IS NOT NULL AND platform <> '' ORDER BY platform",
    )
    .persistent(false)
    .bind(firm_id)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get(0))
    .collect::<Result<_, _>>()?;
    let mut found = Vec::new();
    other_platform_findings(dossier_id, recorded.as_deref(), &received, &mut found);
    let mut by_key: BTreeMap<String, Finding> = BTreeMap::new();
    for f in found {
        by_key.entry(f.key.clone()).or_insert(f);
    }

    let rows = sqlx::query(
        "SELECT id, anomaly_key, status, severity, details FROM anomalies
         WHERE firm_id = $1 AND dossier_id = $2 AND rule_name = $3 ORDER BY id",
    )
    .persistent(false)
    .bind(firm_id)
    .bind(dossier_id)
    .bind(RULE)
    .fetch_all(&mut *conn)
    .await?;
    let mut existing: BTreeMap<String, (i64, AnomalyStatus, String, Value)> = BTreeMap::new();
    for r in &rows {
        let status: String = r.try_get(2)?;
        let details: String = r.try_get(4)?;
        existing.insert(
            r.try_get(1)?,
            (
                r.try_get(0)?,
                AnomalyStatus::from_code(&status)
                    .ok_or_else(|| StoreError::Corrupt(format!("anomaly status {status}")))?,
                r.try_get(3)?,
                serde_json::from_str(&details)
                    .map_err(|e| StoreError::Corrupt(format!("anomaly details: {e}")))?,
            ),
        );
    }

    // A new anomaly goes to the dossier's accountant, as every rule's does.
    let owner: Option<(i64, String)> = sqlx::query(
        "SELECT u.id, u.email FROM dossiers d JOIN users u ON u.id = d.owner_user_id AND u.firm_id = d.firm_id
         WHERE d.firm_id = $1 AND d.id = $2",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
    .transpose()?;
    let at = to_db_time(now);
    let mut outcome = DossierOutcome::default();
    let mut lines: Vec<(i64, &'static str, Value)> = Vec::new();
    for (key, f) in &by_key {
        let severity = f.severity.code();
        match existing.get(key) {
            None => {
                let id: Option<i64> = sqlx::query(
                    "INSERT INTO anomalies (firm_id, anomaly_key, rule_name, severity, status, dossier_id, details,
                         opened_at, assignee_id)
                     VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8)
                     ON CONFLICT (firm_id, anomaly_key) DO NOTHING RETURNING id",
                )
                .bind(firm_id)
                .bind(key.clone())
                .bind(RULE)
                .bind(severity)
                .bind(dossier_id)
                .bind(f.details.to_string())
                .bind(at.clone())
                .bind(owner.as_ref().map(|(id, _)| *id))
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
                // `None`: another writer opened it meanwhile; theirs to journal.
                if let Some(id) = id {
                    outcome.opened.push(id);
                    lines.push((
                        id,
                        "anomaly.opened",
                        json!({ "details": f.details, "key": key, "rule": RULE, "severity": severity,
                                "assignee": owner.as_ref().map(|(_, email)| email) }),
                    ));
                }
            }
            Some((id, AnomalyStatus::Closed, ..)) => {
                sqlx::query(
                    "UPDATE anomalies SET status = 'open', closed_at = NULL, severity = $1, details = $2,
                         opened_at = $3 WHERE firm_id = $4 AND id = $5",
                )
                .bind(severity)
                .bind(f.details.to_string())
                .bind(at.clone())
                .bind(firm_id)
                .bind(*id)
                .execute(&mut *conn)
                .await?;
                outcome.reopened.push(*id);
                lines.push((
                    *id,
                    "anomaly.reopened",
                    json!({ "key": key, "status": { "before": "closed", "after": "open" } }),
                ));
            }
            Some((id, AnomalyStatus::Open, was_severity, was_details)) => {
                if *was_severity != severity || *was_details != f.details {
                    sqlx::query(
                        "UPDATE anomalies SET severity = $1, details = $2 WHERE firm_id = $3 AND id = $4",
                    )
                    .bind(severity)
                    .bind(f.details.to_string())
                    .bind(firm_id)
                    .bind(*id)
                    .execute(&mut *conn)
                    .await?;
                    lines.push((
                        *id,
                        "anomaly.updated",
                        json!({
                            "key": key, "rule": RULE,
                            "severity": { "before": was_severity, "after": severity },
                            "details": { "before": was_details, "after": f.details },
                        }),
                    ));
                }
                outcome.still_open.push(*id);
            }
            // Resolved or dismissed: as people left them.
            Some(_) => {}
        }
    }
    for (key, (id, status, ..)) in &existing {
        if *status != AnomalyStatus::Open || by_key.contains_key(key) {
            continue;
        }
        sqlx::query(
            "UPDATE anomalies SET status = 'closed', closed_at = $1 WHERE firm_id = $2 AND id = $3",
        )
        .bind(at.clone())
        .bind(firm_id)
        .bind(*id)
        .execute(&mut *conn)
        .await?;
        outcome.closed.push(*id);
        // Only a platform change runs this: it is the reason.
        let cause = match &recorded {
            Some(name) => Said::new(
                format!("plateforme du dossier enregistrée : {name}"),
                format!("dossier's platform recorded: {name}"),
            ),
            None => Said::new(
                "plateforme du dossier retirée",
                "dossier's platform removed",
            ),
        };
        lines.push((
            *id,
            "anomaly.auto_closed",
            json!({ "key": key, "status": { "before": "open", "after": "closed" },
                    "cause": cause.stored() }),
        ));
    }
    lines.sort_by_key(|(id, ..)| *id);
    let entries: Vec<Entry> = lines
        .into_iter()
        .map(|(id, action, details)| Entry {
            entity: "anomaly",
            entity_id: Some(id),
            dossier_id: Some(dossier_id),
            action,
            details,
        })
        .collect();
    journal::record_many(conn, firm_id, now, &Actor::System, &entries).await?;
    for ids in [
        &mut outcome.opened,
        &mut outcome.reopened,
        &mut outcome.closed,
        &mut outcome.still_open,
    ] {
        ids.sort_unstable();
    }
    Ok(outcome)
}

/// A client's words on one line: their paragraphs would break a list's or
/// the journal's layout.
fn quoted(details: &Value, key: &str) -> String {
    s(details, key)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn s(details: &Value, key: &str) -> String {
    match &details[key] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn day_of(details: &Value, key: &str, lang: Lang) -> String {
    let raw = s(details, key);
    from_db_date(&raw)
        .map(|d| show_date(d, lang))
        .unwrap_or(raw)
}

fn with_platform(details: &Value, lang: Lang) -> String {
    let p = s(details, "platform");
    if p.is_empty() {
        String::new()
    } else {
        format!(" ({}{p})", lang.pick("plateforme ", "platform "))
    }
}

/// The rule's name for a count of its anomalies ("3 factures rejetées").
pub fn label(rule: &str, lang: Lang) -> &'static str {
    match rule {
        "invoice_rejected" => lang.pick("factures rejetées (213)", "rejected invoices (213)"),
        "invoice_refused" => lang.pick("factures refusées (210)", "refused invoices (210)"),
        "invoice_disputed" => lang.pick("factures en litige (207)", "disputed invoices (207)"),
        "invoice_stuck" => lang.pick(
            "factures bloquées à un statut",
            "invoices stuck in a status",
        ),
        "received_not_taken" => lang.pick(
            "factures reçues non prises en charge",
            "received invoices not acknowledged",
        ),
        "no_emission" => lang.pick("dossiers sans émission", "dossiers emitting nothing"),
        "other_platform" => lang.pick("flux sur une autre plateforme", "flows on another platform"),
        "invalid_siren" => lang.pick("SIREN invalides dans les flux", "invalid SIRENs in flows"),
        "duplicate_number" => {
            lang.pick("numéros de facture en double", "duplicate invoice numbers")
        }
        "no_reception_flow" => lang.pick(
            "dossiers sans aucune facture reçue",
            "dossiers without any received invoice",
        ),
        "mail_reply" => lang.pick("réponses de clients à traiter", "client replies to handle"),
        "mail_bounce" => lang.pick("adresses e-mail en erreur", "bounced email addresses"),
        "mail_unknown_sender" => lang.pick(
            "réponses d'expéditeurs inconnus",
            "replies from unknown senders",
        ),
        "reminder_no_answer" => lang.pick("relances sans réponse", "unanswered reminders"),
        _ => lang.pick("autres", "others"),
    }
}

/// The rule in words, with the facts it found.
/// What an `invalid_siren` value was meant to be: 14 digits are an
/// establishment's SIRET, anything else a SIREN.
fn siren_or_siret(d: &Value) -> &'static str {
    match s(d, "value").chars().filter(char::is_ascii_digit).count() {
        14 => "SIRET",
        _ => "SIREN",
    }
}

pub fn describe(rule: &str, d: &Value, lang: Lang) -> String {
    let number = s(d, "invoice_number");
    let since = day_of(d, "since", lang);
    let platform = with_platform(d, lang);
    // A platform's reason may run over several lines: one line here.
    let reason = match s(d, "reason")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
    {
        r if r.is_empty() => String::new(),
        r => format!(" — {}{r}", lang.pick("motif : ", "reason: ")),
    };
    let code_label = d["code"]
        .as_i64()
        .and_then(LifecycleCode::from_number)
        .map(|c| match c.is_known() {
            true => format!("{} {}", c, c.label(lang)),
            false => format!(
                "{c} ({})",
                lang.pick("propre à la plateforme", "the platform's own")
            ),
        })
        .unwrap_or_default();
    match (rule, lang) {
        ("invoice_rejected", Lang::Fr) => format!("Facture {number} rejetée (213) le {since}{platform}{reason} — à corriger et à redéposer"),
        ("invoice_rejected", Lang::En) => format!("Invoice {number} rejected (213) on {since}{platform}{reason} — fix and submit again"),
        ("invoice_refused", Lang::Fr) => format!("Facture {number} refusée par le client (210) le {since}{platform}{reason}"),
        ("invoice_refused", Lang::En) => format!("Invoice {number} refused by the buyer (210) on {since}{platform}{reason}"),
        ("invoice_disputed", Lang::Fr) => format!("Facture {number} en litige (207) depuis le {since}{platform}{reason}"),
        ("invoice_disputed", Lang::En) => format!("Invoice {number} disputed (207) since {since}{platform}{reason}"),
        ("invoice_stuck", Lang::Fr) => format!("Facture {number} bloquée au statut {code_label} depuis le {since}{platform} (limite {} j)", s(d, "limit_days")),
        ("invoice_stuck", Lang::En) => format!("Invoice {number} stuck in status {code_label} since {since}{platform} (limit {} days)", s(d, "limit_days")),
        ("received_not_taken", Lang::Fr) => format!("Facture reçue {number} non prise en charge depuis le {since}{platform} (limite {} j)", s(d, "limit_days")),
        ("received_not_taken", Lang::En) => format!("Received invoice {number} not acknowledged since {since}{platform} (limit {} days)", s(d, "limit_days")),
        ("no_emission", Lang::Fr) => match s(d, "last_emitted") {
            l if l.is_empty() => format!("Aucune facture émise alors que l'émission s'applique depuis le {}", day_of(d, "emission_from", lang)),
            _ => format!("Aucune facture émise depuis la dernière, datée du {} (émission obligatoire, limite {} j)", day_of(d, "last_emitted", lang), s(d, "limit_days")),
        },
        ("no_emission", Lang::En) => match s(d, "last_emitted") {
            l if l.is_empty() => format!("No invoice emitted although emission has applied since {}", day_of(d, "emission_from", lang)),
            _ => format!("No invoice emitted since the last one, dated {} (emission mandatory, limit {} days)", day_of(d, "last_emitted", lang), s(d, "limit_days")),
        },
        ("other_platform", Lang::Fr) => match s(d, "recorded") {
            r if r.is_empty() => format!("Factures reçues via {0} alors qu'aucune plateforme n'est enregistrée pour le dossier : si {0} est sa plateforme de réception, enregistrez-la (commande « plateforme »)", s(d, "platform")),
            r => format!("Factures reçues via {} alors que la plateforme de réception enregistrée est {r} : vérifier l'annuaire (ou, si le client a changé de plateforme, l'enregistrer avec la commande « plateforme »)", s(d, "platform")),
        },
        ("other_platform", Lang::En) => match s(d, "recorded") {
            r if r.is_empty() => format!("Invoices received through {0} while no platform is recorded for the dossier: if {0} is its reception platform, record it (the 'platform' command)", s(d, "platform")),
            r => format!("Invoices received through {} while the recorded reception platform is {r}: check the directory (or, if the client changed platforms, record it with the 'platform' command)", s(d, "platform")),
        },
        ("invalid_siren", Lang::Fr) => format!("Facture {number}{platform} : {} {} invalide ({})", siren_or_siret(d), if s(d, "field") == "seller_siren" { "du vendeur" } else { "de l'acheteur" }, s(d, "value")),
        ("invalid_siren", Lang::En) => format!("Invoice {number}{platform}: invalid {} {} ({})", if s(d, "field") == "seller_siren" { "seller" } else { "buyer" }, siren_or_siret(d), s(d, "value")),
        ("duplicate_number", Lang::Fr) => format!("Numéro de facture {number} utilisé {} fois en {} par le vendeur {} ({})", s(d, "count"), s(d, "year"), s(d, "seller_siren"), if s(d, "direction") == "emitted" { "factures émises" } else { "factures reçues" }),
        ("duplicate_number", Lang::En) => format!("Invoice number {number} used {} in {} by seller {} ({})", match s(d, "count").as_str() { "2" => "twice".to_string(), n => format!("{n} times") }, s(d, "year"), s(d, "seller_siren"), if s(d, "direction") == "emitted" { "emitted invoices" } else { "received invoices" }),
        ("no_reception_flow", Lang::Fr) => format!("Aucune facture reçue alors que la réception est obligatoire depuis le {} : vérifier l'inscription à l'annuaire", day_of(d, "reception_from", lang)),
        ("no_reception_flow", Lang::En) => format!("No invoice received although reception has been mandatory since {}: check the directory entry", day_of(d, "reception_from", lang)),
        ("mail_reply", Lang::Fr) => format!("Réponse du client ({}) de {} : « {} »", s(d, "label_fr"), s(d, "from"), quoted(d, "text")),
        ("mail_reply", Lang::En) => format!("Client reply ({}) from {}: \"{}\"", s(d, "label_en"), s(d, "from"), quoted(d, "text")),
        ("mail_bounce", Lang::Fr) => format!("Adresse e-mail en erreur ({}) : {} — trouver une autre adresse", s(d, "address"), s(d, "diagnostic")),
        ("mail_bounce", Lang::En) => format!("Email address bounced ({}): {} — find another address", s(d, "address"), s(d, "diagnostic")),
        ("mail_unknown_sender", Lang::Fr) => format!("Réponse d'une adresse qui n'est pas un contact du dossier ({}) : « {} » — à vérifier, rien n'a été changé", s(d, "from"), quoted(d, "text")),
        ("mail_unknown_sender", Lang::En) => format!("Reply from an address that is not a contact of the dossier ({}): \"{}\" — to check, nothing was changed", s(d, "from"), quoted(d, "text")),
        ("reminder_no_answer", Lang::Fr) => format!("Relance sans réponse : {} e-mail(s) de relance pour le mandat sont restés sans réponse (dernier le {}) ; les relances automatiques sont arrêtées, contactez le client", s(d, "reminders"), day_of(d, "last_reminder", lang)),
        ("reminder_no_answer", Lang::En) => format!("Reminders unanswered: {} reminder email(s) about the mandate got no answer (last on {}); automatic reminders have stopped, contact the client", s(d, "reminders"), day_of(d, "last_reminder", lang)),
        (other, _) => format!("{other}: {d}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_label_and_a_description() {
        let fallback = describe("no_such_rule", &json!({}), Lang::Fr);
        assert!(fallback.starts_with("no_such_rule: "), "{fallback}");
        for rule in RULES.iter().chain(MAIL_RULES) {
            for lang in [Lang::Fr, Lang::En] {
                assert_ne!(label(rule, lang), label("no_such_rule", lang), "{rule}");
                let text = describe(rule, &json!({}), lang);
                assert!(!text.starts_with(&format!("{rule}: ")), "{rule}: {text}");
            }
        }
    }

    #[test]
    fn an_invalid_siret_is_called_a_siret() {
        let siret = json!({ "invoice_number": "F-1", "field": "seller_siren", "value": "552 100 554 00009" });
        assert_eq!(
            describe("invalid_siren", &siret, Lang::Fr),
            "Facture F-1 : SIRET du vendeur invalide (552 100 554 00009)"
        );
        assert!(describe("invalid_siren", &siret, Lang::En)
            .contains("invalid seller SIRET (552 100 554 00009)"));
        let siren =
            json!({ "invoice_number": "F-1", "field": "buyer_siren", "value": "552100555" });
        assert_eq!(
            describe("invalid_siren", &siren, Lang::Fr),
            "Facture F-1 : SIREN de l'acheteur invalide (552100555)"
        );
    }

    #[test]
    fn a_clients_paragraphs_are_quoted_on_one_line() {
        let d = json!({ "label_fr": "question", "from": "c***@x.fr", "text": "Bonjour,\n\nQuel mandat ?\r\n  Merci" });
        for rule in ["mail_reply", "mail_unknown_sender"] {
            let text = describe(rule, &d, Lang::Fr);
            assert!(text.contains("« Bonjour, Quel mandat ? Merci »"), "{text}");
        }
    }
}
