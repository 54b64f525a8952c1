//! The anomaly queue: what an accountant must look at.
//!
//! Anomalies are raised by [`rules::evaluate`] (after each import and on a
//! schedule; the `other_platform` rule also for one dossier as soon as its
//! platform is recorded or removed, [`rules::evaluate_other_platform`]),
//! each under a stable key so that re-evaluation finds the same
//! row instead of adding one; a rule whose condition clears closes its
//! anomaly itself (status `closed`, journaled by the system). People
//! assign, comment, resolve (with a note) and dismiss (with a reason);
//! every change goes through one function here that also writes the journal.

pub mod rules;

pub use rules::{
    evaluate, evaluate_after, evaluate_other_platform, AnomalyLimits, DossierOutcome, Evaluation,
};

use crate::clock::{from_db_time, to_db_time};
use crate::domain::{fold, Email};
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, Actor, Entry};
use crate::lang::Lang;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Critical,
    Warning,
    Info,
}

impl Severity {
    pub fn code(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Severity::Critical, Severity::Warning, Severity::Info]
            .into_iter()
            .find(|s| s.code() == code)
    }

    /// `critique`, `critical`, `alerte`, `warning`, `info`…
    pub fn parse(raw: &str) -> Option<Self> {
        match fold(raw).as_str() {
            "critical" | "critique" | "bloquant" | "bloquante" => Some(Severity::Critical),
            "warning" | "alerte" | "attention" | "avertissement" => Some(Severity::Warning),
            "info" | "information" => Some(Severity::Info),
            _ => None,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Severity::Critical => lang.pick("critique", "critical"),
            Severity::Warning => lang.pick("alerte", "warning"),
            Severity::Info => lang.pick("info", "info"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AnomalyStatus {
    Open,
    /// Closed by CabReady: the condition cleared.
    Closed,
    Resolved,
    Dismissed,
}

impl AnomalyStatus {
    pub const ALL: [AnomalyStatus; 4] = [
        AnomalyStatus::Open,
        AnomalyStatus::Closed,
        AnomalyStatus::Resolved,
        AnomalyStatus::Dismissed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AnomalyStatus::Open => "open",
            AnomalyStatus::Closed => "closed",
            AnomalyStatus::Resolved => "resolved",
            AnomalyStatus::Dismissed => "dismissed",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// No longer open, by itself or by a person: what "closed" means to
    /// people (the chat's `anomalies closes`, `anomalies list --status closed`).
    pub const FINISHED: [AnomalyStatus; 3] = [
        AnomalyStatus::Closed,
        AnomalyStatus::Resolved,
        AnomalyStatus::Dismissed,
    ];

    /// The statuses a word names in a list's filter: one status, `closed`
    /// for [`Self::FINISHED`], `auto-closed` for those CabReady closed
    /// itself, `all`.
    pub fn parse_filter(raw: &str) -> Option<Vec<Self>> {
        let one = |status| Some(vec![status]);
        match fold(raw).as_str() {
            "all" | "toutes" | "tous" => Some(Self::ALL.to_vec()),
            "open" | "ouverte" | "ouvert" | "ouvertes" => one(AnomalyStatus::Open),
            "closed" | "fermee" | "fermees" | "close" | "closes" | "handled" | "traitees" => {
                Some(Self::FINISHED.to_vec())
            }
            "auto_closed" | "fermee_auto" | "closed_auto" | "auto" => one(AnomalyStatus::Closed),
            "resolved" | "resolue" | "resolu" | "traitee" => one(AnomalyStatus::Resolved),
            "dismissed" | "ecartee" | "ignoree" => one(AnomalyStatus::Dismissed),
            _ => None,
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            AnomalyStatus::Open => lang.pick("ouverte", "open"),
            AnomalyStatus::Closed => lang.pick("close automatiquement", "closed automatically"),
            AnomalyStatus::Resolved => lang.pick("résolue", "resolved"),
            AnomalyStatus::Dismissed => lang.pick("écartée", "dismissed"),
        }
    }
}

/// An anomaly as the queue shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Anomaly {
    pub id: i64,
    pub key: String,
    pub rule: String,
    pub severity: Severity,
    pub status: AnomalyStatus,
    pub dossier_id: Option<i64>,
    pub dossier_code: Option<String>,
    pub dossier_name: Option<String>,
    pub invoice_id: Option<i64>,
    pub details: Value,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub assignee: Option<String>,
    pub note: Option<String>,
}

impl Anomaly {
    /// What the accountant reads: the rule in words, with its facts.
    pub fn describe(&self, lang: Lang) -> String {
        rules::describe(&self.rule, &self.details, lang)
    }
}

/// Which anomalies to list. Empty filter: the firm's open anomalies.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub portfolio: Option<String>,
    pub dossier_code: Option<String>,
    /// `Some(None)`: unassigned only.
    pub assignee: Option<Option<Email>>,
    pub severity: Option<Severity>,
    /// Default: open only.
    pub statuses: Vec<AnomalyStatus>,
    pub rule: Option<String>,
    /// Opened at least this many days ago.
    pub older_than_days: Option<i64>,
    pub limit: Option<i64>,
    /// Skip this many (with `limit`: one page of the queue).
    pub offset: Option<i64>,
}

const SELECT_ANOMALY: &str = "
    SELECT a.id, a.anomaly_key, a.rule_name, a.severity, a.status, a.dossier_id, d.code AS dossier_code,
           d.legal_name AS dossier_name, a.invoice_id, a.details, a.opened_at, a.closed_at,
           u.email AS assignee, a.note
    FROM anomalies a
    LEFT JOIN dossiers d ON d.id = a.dossier_id AND d.firm_id = a.firm_id
    LEFT JOIN users u ON u.id = a.assignee_id AND u.firm_id = a.firm_id
    LEFT JOIN portfolios p ON p.id = d.portfolio_id AND p.firm_id = a.firm_id";

fn anomaly_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Anomaly> {
    let severity: String = row.try_get("severity")?;
    let status: String = row.try_get("status")?;
    let details: String = row.try_get("details")?;
    let opened_at: String = row.try_get("opened_at")?;
    let closed_at: Option<String> = row.try_get("closed_at")?;
    let corrupt = |what: &str, v: &str| StoreError::Corrupt(format!("anomaly {what} {v}"));
    Ok(Anomaly {
        id: row.try_get("id")?,
        key: row.try_get("anomaly_key")?,
        rule: row.try_get("rule_name")?,
        severity: Severity::from_code(&severity).ok_or_else(|| corrupt("severity", &severity))?,
        status: AnomalyStatus::from_code(&status).ok_or_else(|| corrupt("status", &status))?,
        dossier_id: row.try_get("dossier_id")?,
        dossier_code: row.try_get("dossier_code")?,
        dossier_name: row.try_get("dossier_name")?,
        invoice_id: row.try_get("invoice_id")?,
        details: serde_json::from_str(&details).map_err(|e| corrupt("details", &e.to_string()))?,
        opened_at: from_db_time(&opened_at).ok_or_else(|| corrupt("time", &opened_at))?,
        closed_at: closed_at
            .map(|t| from_db_time(&t).ok_or_else(|| corrupt("time", &t)))
            .transpose()?,
        assignee: row.try_get("assignee")?,
        note: row.try_get("note")?,
    })
}

/// The WHERE clause of a filter (after `a.firm_id = $1`) and its values, bound from `$2`.
fn filter_clause(filter: &Filter, now: DateTime<Utc>) -> (String, Vec<Option<String>>) {
    let mut sql = String::new();
    let mut binds: Vec<Option<String>> = Vec::new();
    let mut next = |sql: &mut String, clause: &str, value: Option<String>| {
        binds.push(value);
        sql.push_str(&clause.replace('?', &format!("${}", binds.len() + 1)));
    };
    let statuses = if filter.statuses.is_empty() {
        vec![AnomalyStatus::Open]
    } else {
        filter.statuses.clone()
    };
    // Codes are ours, not the user's: safe to inline.
    let codes: Vec<String> = statuses.iter().map(|s| format!("'{}'", s.code())).collect();
    sql.push_str(&format!(" AND a.status IN ({})", codes.join(",")));
    if let Some(p) = &filter.portfolio {
        next(&mut sql, " AND p.name = ?", Some(p.clone()));
    }
    if let Some(code) = &filter.dossier_code {
        next(&mut sql, " AND d.code = ?", Some(code.trim().to_string()));
    }
    match &filter.assignee {
        Some(Some(email)) => next(&mut sql, " AND u.email = ?", Some(email.to_string())),
        Some(None) => sql.push_str(" AND a.assignee_id IS NULL"),
        None => {}
    }
    if let Some(s) = filter.severity {
        next(&mut sql, " AND a.severity = ?", Some(s.code().to_string()));
    }
    if let Some(rule) = &filter.rule {
        next(&mut sql, " AND a.rule_name = ?", Some(rule.clone()));
    }
    if let Some(days) = filter.older_than_days {
        next(
            &mut sql,
            " AND a.opened_at <= ?",
            Some(to_db_time(now - Duration::days(days))),
        );
    }
    (sql, binds)
}

/// The queue, most severe and oldest first (`limit` and `offset` page it).
pub async fn list(
    conn: &mut AnyConnection,
    firm_id: i64,
    filter: &Filter,
    now: DateTime<Utc>,
) -> StoreResult<Vec<Anomaly>> {
    let (clause, binds) = filter_clause(filter, now);
    let mut sql = format!("{SELECT_ANOMALY} WHERE a.firm_id = $1{clause}");
    // The same expression as the `anomalies_queue_order` index (migration
    // 0008), so that a page of the queue is read in index order and the
    // database stops after `limit` rows instead of sorting the whole queue.
    sql.push_str(
        " ORDER BY (CASE a.severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END), a.opened_at, a.id",
    );
    if let Some(limit) = filter.limit {
        sql.push_str(&format!(" LIMIT {}", limit.max(0)));
    }
    if let Some(offset) = filter.offset {
        sql.push_str(&format!(" OFFSET {}", offset.max(0)));
    }
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(firm_id);
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    rows.iter().map(anomaly_from_row).collect()
}

/// How many anomalies the filter matches, per severity (its `limit` and `offset` ignored).
pub async fn count_by_severity(
    conn: &mut AnyConnection,
    firm_id: i64,
    filter: &Filter,
    now: DateTime<Utc>,
) -> StoreResult<Vec<(Severity, i64)>> {
    let (clause, binds) = filter_clause(filter, now);
    // Only the joins the filter reads: the plain queue is counted from the
    // (firm_id, status, severity) index alone.
    let mut joins = String::new();
    if filter.portfolio.is_some() || filter.dossier_code.is_some() {
        joins.push_str(" LEFT JOIN dossiers d ON d.id = a.dossier_id AND d.firm_id = a.firm_id");
    }
    if filter.portfolio.is_some() {
        joins
            .push_str(" LEFT JOIN portfolios p ON p.id = d.portfolio_id AND p.firm_id = a.firm_id");
    }
    if matches!(filter.assignee, Some(Some(_))) {
        joins.push_str(" LEFT JOIN users u ON u.id = a.assignee_id AND u.firm_id = a.firm_id");
    }
    let sql = format!(
        "SELECT a.severity, COUNT(*) FROM anomalies a{joins}
         WHERE a.firm_id = $1{clause} GROUP BY a.severity"
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(firm_id);
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.fetch_all(&mut *conn).await?;
    let mut counts: Vec<(Severity, i64)> = [Severity::Critical, Severity::Warning, Severity::Info]
        .into_iter()
        .map(|s| (s, 0))
        .collect();
    for row in rows {
        let code: String = row.try_get(0)?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| s.code() == code) {
            slot.1 = row.try_get(1)?;
        }
    }
    Ok(counts)
}

pub async fn get(conn: &mut AnyConnection, firm_id: i64, id: i64) -> StoreResult<Anomaly> {
    let sql = format!("{SELECT_ANOMALY} WHERE a.firm_id = $1 AND a.id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => anomaly_from_row(&row),
        None => Err(StoreError::NotFound {
            what: "anomalie",
            key: format!("#{id}"),
        }),
    }
}

/// Open anomalies by severity (critical, warning, info) and by rule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub critical: i64,
    pub warning: i64,
    pub info: i64,
    pub by_rule: Vec<(String, i64)>,
}

impl Summary {
    pub fn total(&self) -> i64 {
        self.critical + self.warning + self.info
    }
}

pub async fn summary(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<Summary> {
    let rows = sqlx::query(
        "SELECT rule_name, severity, COUNT(*) FROM anomalies WHERE firm_id = $1 AND status = 'open'
         GROUP BY rule_name, severity ORDER BY rule_name",
    )
    .bind(firm_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut summary = Summary::default();
    for row in rows {
        let rule: String = row.try_get(0)?;
        let severity: String = row.try_get(1)?;
        let n: i64 = row.try_get(2)?;
        match Severity::from_code(&severity) {
            Some(Severity::Critical) => summary.critical += n,
            Some(Severity::Warning) => summary.warning += n,
            _ => summary.info += n,
        }
        match summary.by_rule.iter_mut().find(|(r, _)| *r == rule) {
            Some((_, total)) => *total += n,
            None => summary.by_rule.push((rule, n)),
        }
    }
    Ok(summary)
}

fn refused(fr: String, en: String) -> StoreError {
    StoreError::Refused { fr, en }
}

async fn open_one(conn: &mut AnyConnection, firm_id: i64, id: i64) -> StoreResult<Anomaly> {
    let anomaly = get(conn, firm_id, id).await?;
    if anomaly.status != AnomalyStatus::Open {
        return Err(refused(
            format!(
                "l'anomalie #{id} n'est plus ouverte ({})",
                anomaly.status.label(Lang::Fr)
            ),
            format!(
                "anomaly #{id} is no longer open ({})",
                anomaly.status.label(Lang::En)
            ),
        ));
    }
    Ok(anomaly)
}

fn entry(anomaly: &Anomaly, action: &'static str, details: Value) -> Entry<'static> {
    Entry {
        entity: "anomaly",
        entity_id: Some(anomaly.id),
        dossier_id: anomaly.dossier_id,
        action,
        details,
    }
}

/// Assigns an anomaly to a user of the firm (`None` unassigns).
pub async fn assign(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    assignee: Option<&Email>,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let anomaly = get(conn, firm_id, id).await?;
    let assignee_id: Option<i64> = match assignee {
        Some(email) => Some(
            sqlx::query("SELECT id FROM users WHERE firm_id = $1 AND email = $2")
                .bind(firm_id)
                .bind(email.to_string())
                .fetch_optional(&mut *conn)
                .await?
                .map(|r| r.get(0))
                .ok_or_else(|| StoreError::NotFound {
                    what: "collaborateur",
                    key: email.to_string(),
                })?,
        ),
        None => None,
    };
    let after = assignee.map(|e| e.to_string());
    if anomaly.assignee == after {
        return Ok(());
    }
    sqlx::query("UPDATE anomalies SET assignee_id = $1 WHERE firm_id = $2 AND id = $3")
        .bind(assignee_id)
        .bind(firm_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    let details = json!({ "assignee": { "before": anomaly.assignee, "after": after } });
    journal::record(
        conn,
        firm_id,
        at,
        actor,
        entry(&anomaly, "anomaly.assigned", details),
    )
    .await
}

/// Adds a comment (kept with its author), on an anomaly in any status.
pub async fn comment(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    body: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let anomaly = get(conn, firm_id, id).await?;
    let body = body.trim();
    if body.is_empty() {
        return Err(refused(
            "commentaire vide : écrivez le texte à ajouter".into(),
            "empty comment: write the text to add".into(),
        ));
    }
    let author = match actor {
        Actor::User(e) | Actor::Client(e) | Actor::Import(e) => e.clone(),
        Actor::System => "cabready".into(),
    };
    sqlx::query(
        "INSERT INTO anomaly_comments (firm_id, anomaly_id, author, at, body) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(firm_id)
    .bind(id)
    .bind(author)
    .bind(to_db_time(at))
    .bind(body.to_string())
    .execute(&mut *conn)
    .await?;
    journal::record(
        conn,
        firm_id,
        at,
        actor,
        entry(&anomaly, "anomaly.commented", json!({ "comment": body })),
    )
    .await
}

/// A comment as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Comment {
    pub author: String,
    pub at: DateTime<Utc>,
    pub body: String,
}

pub async fn comments(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
) -> StoreResult<Vec<Comment>> {
    let rows = sqlx::query(
        "SELECT author, at, body FROM anomaly_comments WHERE firm_id = $1 AND anomaly_id = $2 ORDER BY id",
    )
    .bind(firm_id)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let at: String = r.try_get(1)?;
            Ok(Comment {
                author: r.try_get(0)?,
                at: from_db_time(&at).ok_or_else(|| StoreError::Corrupt(format!("time {at}")))?,
                body: r.try_get(2)?,
            })
        })
        .collect()
}

async fn close_by_person(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    status: AnomalyStatus,
    text: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let text = text.trim();
    if text.is_empty() {
        return Err(match status {
            AnomalyStatus::Resolved => refused(
                "une note est obligatoire pour résoudre : dites ce qui a été fait".into(),
                "a note is required to resolve: say what was done".into(),
            ),
            _ => refused(
                "un motif est obligatoire pour écarter une anomalie".into(),
                "a reason is required to dismiss an anomaly".into(),
            ),
        });
    }
    let anomaly = open_one(conn, firm_id, id).await?;
    sqlx::query(
        "UPDATE anomalies SET status = $1, closed_at = $2, note = $3 WHERE firm_id = $4 AND id = $5",
    )
    .bind(status.code())
    .bind(to_db_time(at))
    .bind(text.to_string())
    .bind(firm_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let (action, field) = match status {
        AnomalyStatus::Resolved => ("anomaly.resolved", "note"),
        _ => ("anomaly.dismissed", "reason"),
    };
    let details = json!({ "status": { "before": "open", "after": status.code() }, field: text });
    journal::record(conn, firm_id, at, actor, entry(&anomaly, action, details)).await
}

/// Resolves an open anomaly with a note saying what was done.
pub async fn resolve(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    note: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    close_by_person(conn, firm_id, id, AnomalyStatus::Resolved, note, actor, at).await
}

/// Dismisses an open anomaly (not a problem) with a reason; it stays
/// dismissed even while its condition holds.
pub async fn dismiss(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    reason: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    close_by_person(
        conn,
        firm_id,
        id,
        AnomalyStatus::Dismissed,
        reason,
        actor,
        at,
    )
    .await
}

/// How many open critical anomalies each dossier has (dossiers without any are absent).
pub async fn open_critical_by_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
) -> StoreResult<std::collections::HashMap<i64, i64>> {
    let rows = sqlx::query(
        "SELECT dossier_id, COUNT(*) FROM anomalies
         WHERE firm_id = $1 AND status = 'open' AND severity = 'critical' AND dossier_id IS NOT NULL
         GROUP BY dossier_id",
    )
    .bind(firm_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .iter()
        .map(|r| (r.get::<i64, _>(0), r.get::<i64, _>(1)))
        .collect())
}

/// One anomaly of a dossier, as the reminders' cadence and the reply
/// worker look at it: which rule, which key, where it stands.
#[derive(Debug, Clone)]
pub struct DossierAnomaly {
    pub id: i64,
    pub key: String,
    pub rule: String,
    pub status: AnomalyStatus,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Every anomaly of one dossier, whatever its rule and status (the callers
/// filter).
pub async fn of_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
) -> StoreResult<Vec<DossierAnomaly>> {
    // Only the dossier in the WHERE clause (the rest filtered by the
    // callers), and planned at each call (`persistent(false)`): a prepared
    // statement planned while the table was empty kept walking the queue
    // index (firm_id, status, …) through every anomaly of the firm on
    // PostgreSQL as the anomalies grew; planned with the table's current
    // size, the (firm_id, dossier_id) index is taken.
    let rows = sqlx::query(
        "SELECT id, anomaly_key, rule_name, status, opened_at, closed_at FROM anomalies
         WHERE firm_id = $1 AND dossier_id = $2",
    )
    .persistent(false)
    .bind(firm_id)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let status: String = r.try_get(3)?;
            let time = |n: usize| -> StoreResult<Option<DateTime<Utc>>> {
                r.try_get::<Option<String>, _>(n)?
                    .map(|t| {
                        from_db_time(&t)
                            .ok_or_else(|| StoreError::Corrupt(format!("anomaly time {t}")))
                    })
                    .transpose()
            };
            Ok(DossierAnomaly {
                id: r.try_get(0)?,
                key: r.try_get(1)?,
                rule: r.try_get(2)?,
                status: AnomalyStatus::from_code(&status).unwrap_or(AnomalyStatus::Open),
                opened_at: time(4)?,
                closed_at: time(5)?,
            })
        })
        .collect()
}

/// The open anomalies of one dossier under some rules, oldest first.
pub async fn open_of_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    rules: &[&str],
) -> StoreResult<Vec<i64>> {
    let mut open: Vec<(Option<DateTime<Utc>>, i64)> = of_dossier(conn, firm_id, dossier_id)
        .await?
        .into_iter()
        .filter(|a| rules.contains(&a.rule.as_str()) && a.status == AnomalyStatus::Open)
        .map(|a| (a.opened_at, a.id))
        .collect();
    open.sort();
    Ok(open.into_iter().map(|(_, id)| id).collect())
}

/// The oldest open anomaly of a dossier about a client's reply that a
/// person must read (`mail_reply`, `mail_unknown_sender`): while there is
/// one, the reminders' cadence writes to the client no more.
pub async fn open_reply(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
) -> StoreResult<Option<i64>> {
    Ok(open_of_dossier(conn, firm_id, dossier_id, &REPLY_RULES)
        .await?
        .first()
        .copied())
}

/// The rules of the anomalies a client's reply opens for a person to read.
pub const REPLY_RULES: [&str; 2] = ["mail_reply", "mail_unknown_sender"];

/// An anomaly raised by something else than the rules (the reminder
/// cadence's "relance sans réponse"): opened once under its stable key —
/// raising it again while it exists (in any status) changes nothing — and
/// assigned to the dossier's owner, so it is in their `anomalies miennes`.
/// The rules' evaluation never closes it (its rule is not one of theirs).
/// Journaled (`anomaly.opened`) on the same connection. `Some(id)` when new.
#[allow(clippy::too_many_arguments)]
pub async fn raise(
    conn: &mut AnyConnection,
    firm_id: i64,
    key: &str,
    rule: &str,
    severity: Severity,
    dossier_id: i64,
    details: Value,
    at: DateTime<Utc>,
) -> StoreResult<Option<i64>> {
    let id: Option<i64> = sqlx::query(
        "INSERT INTO anomalies (firm_id, anomaly_key, rule_name, severity, status, dossier_id, details, opened_at, assignee_id)
         SELECT $1, $2, $3, $4, 'open', d.id, $5, $6, d.owner_user_id
         FROM dossiers d WHERE d.firm_id = $1 AND d.id = $7
         ON CONFLICT (firm_id, anomaly_key) DO NOTHING RETURNING id",
    )
    .bind(firm_id)
    .bind(key.to_string())
    .bind(rule.to_string())
    .bind(severity.code())
    .bind(details.to_string())
    .bind(to_db_time(at))
    .bind(dossier_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.get(0));
    if let Some(id) = id {
        // Its history says to whom it went, as a person's assignment would.
        let assignee: Option<String> = sqlx::query(
            "SELECT u.email FROM anomalies a JOIN users u ON u.id = a.assignee_id AND u.firm_id = a.firm_id
             WHERE a.firm_id = $1 AND a.id = $2",
        )
        .bind(firm_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.get(0));
        let entry = Entry {
            entity: "anomaly",
            entity_id: Some(id),
            dossier_id: Some(dossier_id),
            action: "anomaly.opened",
            details: json!({ "rule": rule, "key": key, "severity": severity.code(), "details": details, "assignee": assignee }),
        };
        journal::record(conn, firm_id, at, &Actor::System, entry).await?;
    }
    Ok(id)
}
