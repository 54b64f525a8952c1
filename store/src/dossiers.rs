//! Client dossiers: the firm's client companies, with their contact, owner,
//! portfolio, size category and VAT regime.

use crate::clock::{from_db_date, to_db_date, to_db_time};
use crate::domain::{
    CategorySource, Email, Financials, MandateKind, MandateStatus, PlatformState, Siren,
    SizeCategory, VatRegime, VatRegimeSchedule,
};
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, changes_json, diff, Actor, Change, Entry};
use crate::mandates;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// Activity flags that decide e-reporting scope and the emission date.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActivityFlags {
    /// Sells to consumers (B2C e-reporting).
    pub b2c: bool,
    /// Trades with parties not established in France (international e-reporting).
    pub international: bool,
    /// Member of a VAT group (assujetti unique): emission from 2026 whatever its size.
    pub vat_group: bool,
    /// Opted to pay VAT on debits (mandatory invoice mention).
    pub debits_option: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactRecord {
    pub name: String,
    pub email: Email,
}

/// A dossier as onboarding describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DossierRecord {
    pub code: String,
    pub legal_name: String,
    pub siren: Siren,
    pub legal_form: Option<String>,
    pub financials: Financials,
    pub category: Option<(SizeCategory, CategorySource)>,
    pub vat: Option<VatRegimeSchedule>,
    pub flags: ActivityFlags,
    pub owner: Option<Email>,
    pub portfolio: Option<String>,
    /// Sorted, without duplicates.
    pub tags: Vec<String>,
    /// The main contact; `None` leaves the known contacts as they are.
    pub contact: Option<ContactRecord>,
}

impl DossierRecord {
    fn fields(&self) -> BTreeMap<&'static str, Value> {
        let mut fields = BTreeMap::from([
            ("legal_name", json!(self.legal_name)),
            ("siren", json!(self.siren.as_str())),
            ("legal_form", json!(self.legal_form)),
            ("headcount", json!(self.financials.headcount)),
            ("turnover_cents", json!(self.financials.turnover)),
            ("balance_sheet_cents", json!(self.financials.balance_sheet)),
            ("category", json!(self.category.map(|(c, _)| c.code()))),
            (
                "category_source",
                json!(self.category.map(|(_, s)| match s {
                    CategorySource::Derived => "derived",
                    CategorySource::Override => "override",
                })),
            ),
            ("vat_regime", json!(self.vat.map(|v| v.declared.code()))),
            (
                "vat_regime_next",
                json!(self.vat.and_then(|v| v.next).map(|(r, _)| r.code())),
            ),
            (
                "vat_regime_next_from",
                json!(self.vat.and_then(|v| v.next).map(|(_, d)| to_db_date(d))),
            ),
            ("b2c", json!(self.flags.b2c)),
            ("international", json!(self.flags.international)),
            ("vat_group", json!(self.flags.vat_group)),
            ("debits_option", json!(self.flags.debits_option)),
            ("owner", json!(self.owner.as_ref().map(Email::as_str))),
            ("portfolio", json!(self.portfolio)),
            ("tags", json!(self.tags.join(","))),
        ]);
        if let Some(contact) = &self.contact {
            fields.insert("contact_name", json!(contact.name));
            fields.insert("contact_email", json!(contact.email.as_str()));
        }
        fields
    }
}

/// A dossier as read back, with what the rest of CabReady needs to see at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Dossier {
    pub id: i64,
    pub firm_id: i64,
    pub record: DossierRecord,
    pub delegation: MandateStatus,
    pub platform: Option<(String, PlatformState)>,
    /// The Paris date of its latest emitted flow (imported invoices), as
    /// readiness reads it.
    pub last_emitted: Option<chrono::NaiveDate>,
}

const SELECT_DOSSIER: &str = "
    SELECT d.id, d.firm_id, d.code, d.legal_name, d.siren, d.legal_form, d.headcount, d.turnover_cents,
           d.balance_sheet_cents, d.category, d.category_source, d.vat_regime, d.vat_regime_next,
           d.vat_regime_next_from, d.b2c, d.international, d.vat_group, d.debits_option, d.tags,
           u.email AS owner_email, p.name AS portfolio_name,
           (SELECT c.name FROM contacts c WHERE c.firm_id = d.firm_id AND c.dossier_id = d.id AND c.is_primary = 1) AS contact_name,
           (SELECT c.email FROM contacts c WHERE c.firm_id = d.firm_id AND c.dossier_id = d.id AND c.is_primary = 1) AS contact_email,
           m.status AS delegation_status, pl.name AS platform_name, dp.state AS platform_state,
           d.last_emitted_at
    FROM dossiers d
    LEFT JOIN users u ON u.id = d.owner_user_id AND u.firm_id = d.firm_id
    LEFT JOIN portfolios p ON p.id = d.portfolio_id AND p.firm_id = d.firm_id
    LEFT JOIN mandates m ON m.dossier_id = d.id AND m.firm_id = d.firm_id AND m.kind = 'delegation'
    LEFT JOIN dossier_platforms dp ON dp.dossier_id = d.id AND dp.firm_id = d.firm_id
    LEFT JOIN platforms pl ON pl.id = dp.platform_id AND pl.firm_id = d.firm_id";

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {value}"))
}

fn dossier_from_row(row: &sqlx::any::AnyRow) -> StoreResult<Dossier> {
    let siren: String = row.try_get("siren")?;
    let category: Option<String> = row.try_get("category")?;
    let category_source: Option<String> = row.try_get("category_source")?;
    let vat: Option<String> = row.try_get("vat_regime")?;
    let vat_next: Option<String> = row.try_get("vat_regime_next")?;
    let vat_next_from: Option<String> = row.try_get("vat_regime_next_from")?;
    let owner: Option<String> = row.try_get("owner_email")?;
    let contact_email: Option<String> = row.try_get("contact_email")?;
    let tags: String = row.try_get("tags")?;
    let delegation: Option<String> = row.try_get("delegation_status")?;
    let platform_name: Option<String> = row.try_get("platform_name")?;
    let platform_state: Option<String> = row.try_get("platform_state")?;
    let flag = |name: &str| -> StoreResult<bool> { Ok(row.try_get::<i64, _>(name)? != 0) };

    let category = match (category, category_source) {
        (Some(c), source) => Some((
            SizeCategory::from_code(&c).ok_or_else(|| corrupt("category", &c))?,
            if source.as_deref() == Some("override") {
                CategorySource::Override
            } else {
                CategorySource::Derived
            },
        )),
        (None, _) => None,
    };
    let vat = match vat {
        Some(code) => {
            let declared =
                VatRegime::from_code(&code).ok_or_else(|| corrupt("vat regime", &code))?;
            let next = match (vat_next, vat_next_from) {
                (Some(r), Some(d)) => Some((
                    VatRegime::from_code(&r).ok_or_else(|| corrupt("vat regime", &r))?,
                    from_db_date(&d).ok_or_else(|| corrupt("date", &d))?,
                )),
                _ => None,
            };
            Some(VatRegimeSchedule { declared, next })
        }
        None => None,
    };
    let contact = match contact_email {
        Some(email) => Some(ContactRecord {
            name: row
                .try_get::<Option<String>, _>("contact_name")?
                .unwrap_or_default(),
            email: Email::parse(&email).map_err(|_| corrupt("contact email", &email))?,
        }),
        None => None,
    };
    let platform = match (platform_name, platform_state) {
        (Some(name), Some(state)) => Some((
            name,
            PlatformState::from_code(&state).ok_or_else(|| corrupt("platform state", &state))?,
        )),
        _ => None,
    };
    let delegation = match delegation {
        Some(s) => MandateStatus::from_code(&s).ok_or_else(|| corrupt("mandate status", &s))?,
        None => MandateStatus::NotRequested,
    };
    let last_emitted = crate::clock::paris_day_of(row.try_get("last_emitted_at")?)?;
    Ok(Dossier {
        id: row.try_get("id")?,
        firm_id: row.try_get("firm_id")?,
        record: DossierRecord {
            code: row.try_get("code")?,
            legal_name: row.try_get("legal_name")?,
            siren: Siren::parse(&siren).map_err(|_| corrupt("siren", &siren))?,
            legal_form: row.try_get("legal_form")?,
            financials: Financials {
                headcount: row.try_get("headcount")?,
                turnover: row.try_get("turnover_cents")?,
                balance_sheet: row.try_get("balance_sheet_cents")?,
            },
            category,
            vat,
            flags: ActivityFlags {
                b2c: flag("b2c")?,
                international: flag("international")?,
                vat_group: flag("vat_group")?,
                debits_option: flag("debits_option")?,
            },
            owner: owner
                .map(|o| Email::parse(&o).map_err(|_| corrupt("owner", &o)))
                .transpose()?,
            portfolio: row.try_get("portfolio_name")?,
            tags: tags
                .split(',')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
            contact,
        },
        delegation,
        platform,
        last_emitted,
    })
}

pub async fn find_by_code(
    conn: &mut AnyConnection,
    firm_id: i64,
    code: &str,
) -> StoreResult<Option<Dossier>> {
    let sql = format!("{SELECT_DOSSIER} WHERE d.firm_id = $1 AND d.code = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(code.trim().to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(dossier_from_row).transpose()
}

pub async fn find_by_id(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
) -> StoreResult<Option<Dossier>> {
    let sql = format!("{SELECT_DOSSIER} WHERE d.firm_id = $1 AND d.id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(dossier_from_row).transpose()
}

pub async fn find_by_siren(
    conn: &mut AnyConnection,
    firm_id: i64,
    siren: &Siren,
) -> StoreResult<Option<Dossier>> {
    let sql = format!("{SELECT_DOSSIER} WHERE d.firm_id = $1 AND d.siren = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(siren.as_str().to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(dossier_from_row).transpose()
}

/// The firm's dossiers, optionally of one portfolio, by code.
pub async fn list(
    conn: &mut AnyConnection,
    firm_id: i64,
    portfolio: Option<&str>,
) -> StoreResult<Vec<Dossier>> {
    let rows = match portfolio {
        Some(name) => {
            let sql =
                format!("{SELECT_DOSSIER} WHERE d.firm_id = $1 AND p.name = $2 ORDER BY d.code");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(firm_id)
                .bind(name.to_string())
                .fetch_all(&mut *conn)
                .await?
        }
        None => {
            let sql = format!("{SELECT_DOSSIER} WHERE d.firm_id = $1 ORDER BY d.code");
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(firm_id)
                .fetch_all(&mut *conn)
                .await?
        }
    };
    rows.iter().map(dossier_from_row).collect()
}

pub async fn count(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<i64> {
    Ok(
        sqlx::query("SELECT COUNT(*) FROM dossiers WHERE firm_id = $1")
            .bind(firm_id)
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?,
    )
}

async fn user_id_by_email(
    conn: &mut AnyConnection,
    firm_id: i64,
    email: &Email,
) -> StoreResult<i64> {
    sqlx::query("SELECT id FROM users WHERE firm_id = $1 AND email = $2")
        .bind(firm_id)
        .bind(email.as_str().to_string())
        .fetch_optional(&mut *conn)
        .await?
        .map(|r| r.get(0))
        .ok_or_else(|| StoreError::NotFound {
            what: "collaborateur",
            key: email.to_string(),
        })
}

/// Creates or updates a dossier from its record, journaling the difference.
/// A new dossier gets its delegation mandate, not yet requested.
pub async fn upsert(
    conn: &mut AnyConnection,
    firm_id: i64,
    record: &DossierRecord,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<Change> {
    let existing = find_by_code(conn, firm_id, &record.code).await?;
    let changes = match &existing {
        Some(dossier) => {
            let changes = diff(&dossier.record.fields(), &record.fields());
            if changes.is_empty() {
                return Ok(Change::Unchanged);
            }
            Some(changes)
        }
        None => None,
    };
    let owner_id = match &record.owner {
        Some(email) => Some(user_id_by_email(conn, firm_id, email).await?),
        None => None,
    };
    let portfolio_id = match &record.portfolio {
        Some(name) => Some(crate::users::ensure_portfolio(conn, firm_id, name).await?),
        None => None,
    };
    let next = record.vat.and_then(|v| v.next);
    let query = match &existing {
        None => sqlx::query(
            "INSERT INTO dossiers (code, legal_name, siren, legal_form, headcount, turnover_cents, balance_sheet_cents,
                category, category_source, vat_regime, vat_regime_next, vat_regime_next_from, b2c, international,
                vat_group, debits_option, owner_user_id, portfolio_id, tags, updated_at, firm_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $20)
             RETURNING id",
        ),
        Some(_) => sqlx::query(
            "UPDATE dossiers SET code = $1, legal_name = $2, siren = $3, legal_form = $4, headcount = $5,
                turnover_cents = $6, balance_sheet_cents = $7, category = $8, category_source = $9, vat_regime = $10,
                vat_regime_next = $11, vat_regime_next_from = $12, b2c = $13, international = $14, vat_group = $15,
                debits_option = $16, owner_user_id = $17, portfolio_id = $18, tags = $19, updated_at = $20
             WHERE firm_id = $21 AND id = $22 RETURNING id",
        ),
    };
    let query = query
        .bind(record.code.clone())
        .bind(record.legal_name.clone())
        .bind(record.siren.as_str().to_string())
        .bind(record.legal_form.clone())
        .bind(record.financials.headcount)
        .bind(record.financials.turnover)
        .bind(record.financials.balance_sheet)
        .bind(record.category.map(|(c, _)| c.code()))
        .bind(record.category.map(|(_, s)| {
            if s == CategorySource::Override {
                "override"
            } else {
                "derived"
            }
        }))
        .bind(record.vat.map(|v| v.declared.code()))
        .bind(next.map(|(r, _)| r.code()))
        .bind(next.map(|(_, d)| to_db_date(d)))
        .bind(i64::from(record.flags.b2c))
        .bind(i64::from(record.flags.international))
        .bind(i64::from(record.flags.vat_group))
        .bind(i64::from(record.flags.debits_option))
        .bind(owner_id)
        .bind(portfolio_id)
        .bind(record.tags.join(","))
        .bind(to_db_time(at))
        .bind(firm_id);
    let query = match &existing {
        Some(d) => query.bind(d.id),
        None => query,
    };
    let dossier_id: i64 = query.fetch_one(&mut *conn).await?.get(0);

    if let Some(contact) = &record.contact {
        set_primary_contact(conn, firm_id, dossier_id, contact, at).await?;
    }
    let (change, action, details) = match changes {
        None => {
            for kind in MandateKind::ALL {
                mandates::ensure(conn, firm_id, dossier_id, kind, at).await?;
            }
            (
                Change::Created,
                "dossier.created",
                json!({ "code": record.code, "fields": record.fields() }),
            )
        }
        Some(changes) => {
            let details = json!({ "code": record.code, "changes": changes_json(&changes) });
            (Change::Updated(changes), "dossier.updated", details)
        }
    };
    let entry = Entry {
        entity: "dossier",
        entity_id: Some(dossier_id),
        dossier_id: Some(dossier_id),
        action,
        details,
    };
    journal::record(conn, firm_id, at, actor, entry).await?;
    Ok(change)
}

/// Makes this address the dossier's primary contact (adding it if new);
/// the other contacts stay, as secondary.
async fn set_primary_contact(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    contact: &ContactRecord,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE contacts SET is_primary = 0 WHERE firm_id = $1 AND dossier_id = $2 AND email <> $3",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(contact.email.as_str().to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO contacts (firm_id, dossier_id, name, email, is_primary, created_at) VALUES ($1, $2, $3, $4, 1, $5)
         ON CONFLICT (firm_id, dossier_id, email) DO UPDATE SET name = excluded.name, is_primary = 1",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(contact.name.clone())
    .bind(contact.email.as_str().to_string())
    .bind(to_db_time(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// When the dossier was created (onboarded).
pub async fn created_at(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
) -> StoreResult<DateTime<Utc>> {
    let text: String =
        sqlx::query("SELECT created_at FROM dossiers WHERE firm_id = $1 AND id = $2")
            .bind(firm_id)
            .bind(dossier_id)
            .fetch_optional(&mut *conn)
            .await?
            .map(|r| r.get(0))
            .ok_or_else(|| StoreError::NotFound {
                what: "dossier",
                key: dossier_id.to_string(),
            })?;
    crate::clock::from_db_time(&text).ok_or_else(|| corrupt("created_at", &text))
}

/// Every dossier's code and legal name, for search and suggestions.
pub async fn codes_and_names(
    conn: &mut AnyConnection,
    firm_id: i64,
) -> StoreResult<Vec<(String, String)>> {
    let rows =
        sqlx::query("SELECT code, legal_name FROM dossiers WHERE firm_id = $1 ORDER BY code")
            .bind(firm_id)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}
