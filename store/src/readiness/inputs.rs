//! What the readiness model needs to know of each dossier, read for many
//! dossiers at once: one query over the dossiers (the latest flow dates are
//! kept on the dossier row by the flux import, see
//! `invoices::refresh_flow_dates`; the contact state is an index seek per
//! dossier) and one grouped count of the open critical anomalies. Never
//! one query per dossier: `pret cabinet` on 5,000 dossiers must stay fast.

use super::ContactState;
use crate::anomalies;
use crate::clock::paris_day_of;
use crate::domain::{MandateStatus, PlatformState, SizeCategory, VatRegime};
use crate::error::{StoreError, StoreResult};
use chrono::NaiveDate;
use sqlx::{AnyConnection, Row};

/// One dossier's inputs to the model.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Inputs {
    pub dossier_id: i64,
    pub code: String,
    pub legal_name: String,
    pub portfolio: Option<String>,
    /// The owner's email.
    pub owner: Option<String>,
    pub category: Option<SizeCategory>,
    pub vat_regime: Option<VatRegime>,
    pub vat_group: bool,
    pub b2c: bool,
    pub international: bool,
    pub contact: ContactState,
    pub delegation: MandateStatus,
    pub platform_name: Option<String>,
    pub platform: Option<PlatformState>,
    /// The date of a successful test flow on the platform.
    pub test_flow: Option<NaiveDate>,
    /// The latest status date of a received / emitted invoice (Paris dates).
    pub last_received: Option<NaiveDate>,
    pub last_emitted: Option<NaiveDate>,
    pub open_critical: i64,
}

enum Bind {
    Text(String),
    Id(i64),
}

/// Which dossiers to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope<'a> {
    Firm,
    /// The portfolio's exact name.
    Portfolio(&'a str),
    Dossier(i64),
}

const SELECT: &str = "
    SELECT d.id, d.code, d.legal_name, d.category, d.vat_regime, d.vat_group, d.b2c, d.international,
           p.name AS portfolio_name, u.email AS owner_email, m.status AS delegation_status,
           pl.name AS platform_name, dp.state AS platform_state, dp.test_flow_at,
           cs.contact_state,
           d.last_received_at AS last_received, d.last_emitted_at AS last_emitted
    FROM dossiers d
    LEFT JOIN users u ON u.id = d.owner_user_id AND u.firm_id = d.firm_id
    LEFT JOIN portfolios p ON p.id = d.portfolio_id AND p.firm_id = d.firm_id
    LEFT JOIN mandates m ON m.dossier_id = d.id AND m.firm_id = d.firm_id AND m.kind = 'delegation'
    LEFT JOIN dossier_platforms dp ON dp.dossier_id = d.id AND dp.firm_id = d.firm_id
    LEFT JOIN platforms pl ON pl.id = dp.platform_id AND pl.firm_id = d.firm_id
    LEFT JOIN (SELECT c.dossier_id,
                      CAST(MAX(CASE WHEN c.opted_out = 0 AND c.email_status = 'valid'
                                     AND c.opted_out_at IS NULL AND c.bounced_at IS NULL THEN 2
                                WHEN c.email_status <> 'valid' OR c.bounced_at IS NOT NULL THEN 0
                                ELSE 1 END) AS BIGINT) AS contact_state
                 FROM contacts c WHERE c.firm_id = $1 AND c.is_primary = 1
                GROUP BY c.dossier_id) cs ON cs.dossier_id = d.id
    WHERE d.firm_id = $1";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value}"))
}

/// One dossier's row as the database ships it: the columns of `SELECT`, in
/// order, as one JSON array (see `load`).
#[derive(serde::Deserialize)]
struct Shipped(
    i64,            // id
    String,         // code
    String,         // legal_name
    Option<String>, // category
    Option<String>, // vat_regime
    i64,            // vat_group
    i64,            // b2c
    i64,            // international
    Option<String>, // portfolio_name
    Option<String>, // owner_email
    Option<String>, // delegation_status
    Option<String>, // platform_name
    Option<String>, // platform_state
    Option<String>, // test_flow_at
    Option<i64>,    // contact_state
    Option<String>, // last_received
    Option<String>, // last_emitted
);

fn from_shipped(row: Shipped) -> StoreResult<Inputs> {
    let Shipped(
        dossier_id,
        code,
        legal_name,
        category,
        vat,
        vat_group,
        b2c,
        international,
        portfolio,
        owner,
        delegation,
        platform_name,
        platform,
        test_flow_at,
        contact,
        last_received,
        last_emitted,
    ) = row;
    Ok(Inputs {
        dossier_id,
        code,
        legal_name,
        portfolio,
        owner,
        category: category
            .map(|c| SizeCategory::from_code(&c).ok_or_else(|| corrupt("category", &c)))
            .transpose()?,
        vat_regime: vat.and_then(|v| VatRegime::from_code(&v)),
        vat_group: vat_group != 0,
        b2c: b2c != 0,
        international: international != 0,
        contact: match contact {
            None => ContactState::None,
            Some(2) => ContactState::Reachable,
            Some(0) => ContactState::Bounced,
            Some(_) => ContactState::OptedOut,
        },
        delegation: delegation
            .map(|s| MandateStatus::from_code(&s).ok_or_else(|| corrupt("mandate status", &s)))
            .transpose()?
            .unwrap_or(MandateStatus::NotRequested),
        platform_name,
        platform: platform
            .map(|s| PlatformState::from_code(&s).ok_or_else(|| corrupt("platform state", &s)))
            .transpose()?,
        test_flow: paris_day_of(test_flow_at)?,
        last_received: paris_day_of(last_received)?,
        last_emitted: paris_day_of(last_emitted)?,
        open_critical: 0,
    })
}

/// `SELECT`'s columns, in `Shipped`'s order.
const SHIPPED_COLUMNS: &str = "s.id, s.code, s.legal_name, s.category, s.vat_regime, s.vat_group, s.b2c, s.international,
    s.portfolio_name, s.owner_email, s.delegation_status, s.platform_name, s.platform_state, s.test_flow_at,
    s.contact_state, s.last_received, s.last_emitted";

/// The inputs of every dossier in scope, by code.
pub async fn load(
    conn: &mut AnyConnection,
    firm_id: i64,
    scope: Scope<'_>,
) -> StoreResult<Vec<Inputs>> {
    // The rows come back as one JSON array in one value: thousands of rows
    // through sqlx's Any driver (a channel hop per row on SQLite, a
    // conversion per cell) cost more than the query itself.
    let (filter, bind): (&str, Option<Bind>) = match scope {
        Scope::Firm => ("", None),
        Scope::Portfolio(name) => (" AND p.name = $2", Some(Bind::Text(name.to_string()))),
        Scope::Dossier(id) => (" AND d.id = $2", Some(Bind::Id(id))),
    };
    let aggregate = if conn.backend_name().eq_ignore_ascii_case("postgresql") {
        format!("CAST(COALESCE(json_agg(json_build_array({SHIPPED_COLUMNS})), '[]') AS TEXT)")
    } else {
        format!("json_group_array(json_array({SHIPPED_COLUMNS}))")
    };
    let sql = format!("SELECT {aggregate} FROM ({SELECT}{filter}) s");
    let query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(firm_id);
    let query = match bind {
        None => query,
        Some(Bind::Text(text)) => query.bind(text),
        Some(Bind::Id(id)) => query.bind(id),
    };
    let shipped: String = query.fetch_one(&mut *conn).await?.try_get(0)?;
    let rows: Vec<Shipped> = serde_json::from_str(&shipped)
        .map_err(|e| StoreError::Corrupt(format!("readiness inputs: {e}")))?;
    let mut inputs: Vec<Inputs> = rows
        .into_iter()
        .map(from_shipped)
        .collect::<StoreResult<_>>()?;
    inputs.sort_by(|a, b| a.code.cmp(&b.code));
    let critical = match scope {
        Scope::Dossier(id) => {
            let n: i64 = sqlx::query(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM anomalies
                 WHERE firm_id = $1 AND dossier_id = $2 AND status = 'open' AND severity = 'critical'",
            )
            .bind(firm_id)
            .bind(id)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
            std::collections::HashMap::from([(id, n)])
        }
        _ => anomalies::open_critical_by_dossier(conn, firm_id).await?,
    };
    for i in &mut inputs {
        i.open_critical = critical.get(&i.dossier_id).copied().unwrap_or(0);
    }
    Ok(inputs)
}
