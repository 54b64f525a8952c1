//! What the readiness model needs to know of each dossier, read for many
//! dossiers at once: one query over the dossiers (each flow date and the
//! contact state read by an index seek per dossier, never a scan of the
//! invoices) and one grouped count of the open critical anomalies. Never
//! one query per dossier: `pret cabinet` on 5,000 dossiers must stay fast.

use super::ContactState;
use crate::anomalies;
use crate::clock::from_db_time;
use crate::domain::{MandateStatus, PlatformState, SizeCategory, VatRegime};
use crate::error::{StoreError, StoreResult};
use chrono::NaiveDate;
use chrono_tz::Europe::Paris;
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
           (SELECT CAST(MAX(CASE WHEN c.opted_out = 0 AND c.email_status = 'valid'
                                  AND c.opted_out_at IS NULL AND c.bounced_at IS NULL
                             THEN 2 ELSE 1 END) AS BIGINT)
              FROM contacts c
             WHERE c.firm_id = d.firm_id AND c.dossier_id = d.id AND c.is_primary = 1) AS contact_state,
           (SELECT MAX(i.current_at) FROM invoices i
             WHERE i.firm_id = d.firm_id AND i.dossier_id = d.id AND i.direction = 'received') AS last_received,
           (SELECT MAX(i.current_at) FROM invoices i
             WHERE i.firm_id = d.firm_id AND i.dossier_id = d.id AND i.direction = 'emitted') AS last_emitted
    FROM dossiers d
    LEFT JOIN users u ON u.id = d.owner_user_id AND u.firm_id = d.firm_id
    LEFT JOIN portfolios p ON p.id = d.portfolio_id AND p.firm_id = d.firm_id
    LEFT JOIN mandates m ON m.dossier_id = d.id AND m.firm_id = d.firm_id AND m.kind = 'delegation'
    LEFT JOIN dossier_platforms dp ON dp.dossier_id = d.id AND dp.firm_id = d.firm_id
    LEFT JOIN platforms pl ON pl.id = dp.platform_id AND pl.firm_id = d.firm_id
    WHERE d.firm_id = $1";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value}"))
}

fn paris_date(text: Option<String>) -> StoreResult<Option<NaiveDate>> {
    text.map(|t| {
        from_db_time(&t)
            .map(|at| at.with_timezone(&Paris).date_naive())
            .ok_or_else(|| corrupt("time", &t))
    })
    .transpose()
}

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Inputs> {
    let category: Option<String> = row.try_get("category")?;
    let vat: Option<String> = row.try_get("vat_regime")?;
    let delegation: Option<String> = row.try_get("delegation_status")?;
    let platform: Option<String> = row.try_get("platform_state")?;
    let contact: Option<i64> = row.try_get("contact_state")?;
    let flag = |name: &str| -> StoreResult<bool> { Ok(row.try_get::<i64, _>(name)? != 0) };
    Ok(Inputs {
        dossier_id: row.try_get("id")?,
        code: row.try_get("code")?,
        legal_name: row.try_get("legal_name")?,
        portfolio: row.try_get("portfolio_name")?,
        owner: row.try_get("owner_email")?,
        category: category
            .map(|c| SizeCategory::from_code(&c).ok_or_else(|| corrupt("category", &c)))
            .transpose()?,
        vat_regime: vat.and_then(|v| VatRegime::from_code(&v)),
        vat_group: flag("vat_group")?,
        b2c: flag("b2c")?,
        international: flag("international")?,
        contact: match contact {
            None => ContactState::None,
            Some(2) => ContactState::Reachable,
            Some(_) => ContactState::Unreachable,
        },
        delegation: delegation
            .map(|s| MandateStatus::from_code(&s).ok_or_else(|| corrupt("mandate status", &s)))
            .transpose()?
            .unwrap_or(MandateStatus::NotRequested),
        platform_name: row.try_get("platform_name")?,
        platform: platform
            .map(|s| PlatformState::from_code(&s).ok_or_else(|| corrupt("platform state", &s)))
            .transpose()?,
        test_flow: paris_date(row.try_get("test_flow_at")?)?,
        last_received: paris_date(row.try_get("last_received")?)?,
        last_emitted: paris_date(row.try_get("last_emitted")?)?,
        open_critical: 0,
    })
}

/// The inputs of every dossier in scope, by code.
pub async fn load(
    conn: &mut AnyConnection,
    firm_id: i64,
    scope: Scope<'_>,
) -> StoreResult<Vec<Inputs>> {
    let rows = match scope {
        Scope::Firm => {
            sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY d.code")))
                .bind(firm_id)
                .fetch_all(&mut *conn)
                .await?
        }
        Scope::Portfolio(name) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{SELECT} AND p.name = $2 ORDER BY d.code"
            )))
            .bind(firm_id)
            .bind(name.to_string())
            .fetch_all(&mut *conn)
            .await?
        }
        Scope::Dossier(id) => {
            sqlx::query(sqlx::AssertSqlSafe(format!("{SELECT} AND d.id = $2")))
                .bind(firm_id)
                .bind(id)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    let mut inputs: Vec<Inputs> = rows.iter().map(from_row).collect::<StoreResult<_>>()?;
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
