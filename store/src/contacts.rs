//! A dossier's contacts as the mailer sees them: who may be written to.
//! Opt-outs and bounces go through [`opt_out`] and [`mark_bounced`], which
//! journal the change and cancel the reminders not yet sent.

use crate::clock::{from_db_time, to_db_time};
use crate::domain::Email;
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, Actor, Entry};
use crate::outbox;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    pub id: i64,
    pub dossier_id: i64,
    pub name: String,
    pub email: Email,
    pub is_primary: bool,
    pub opted_out_at: Option<DateTime<Utc>>,
    pub bounced_at: Option<DateTime<Utc>>,
}

impl Contact {
    /// Whether reminders may be sent to this address.
    pub fn reachable(&self) -> bool {
        self.opted_out_at.is_none() && self.bounced_at.is_none()
    }
}

const SELECT: &str = "SELECT id, dossier_id, name, email, is_primary, opted_out, opted_out_at, email_status, bounced_at FROM contacts";

fn from_row(row: &sqlx::any::AnyRow) -> StoreResult<Contact> {
    let email: String = row.try_get("email")?;
    let time = |name: &str| -> StoreResult<Option<DateTime<Utc>>> {
        let text: Option<String> = row.try_get(name)?;
        text.map(|t| {
            from_db_time(&t).ok_or_else(|| StoreError::Corrupt(format!("contact time {t}")))
        })
        .transpose()
    };
    // Older rows may carry the flags without their date: count them from the epoch.
    let flagged = |flag: bool, at: Option<DateTime<Utc>>| {
        at.or_else(|| flag.then_some(DateTime::<Utc>::UNIX_EPOCH))
    };
    let status: String = row.try_get("email_status")?;
    Ok(Contact {
        id: row.try_get("id")?,
        dossier_id: row.try_get("dossier_id")?,
        name: row.try_get("name")?,
        email: Email::parse(&email)
            .map_err(|_| StoreError::Corrupt(format!("contact email {email}")))?,
        is_primary: row.try_get::<i64, _>("is_primary")? != 0,
        opted_out_at: flagged(
            row.try_get::<i64, _>("opted_out")? != 0,
            time("opted_out_at")?,
        ),
        bounced_at: flagged(status == "invalid", time("bounced_at")?),
    })
}

/// A dossier's contacts, the primary one first.
pub async fn for_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
) -> StoreResult<Vec<Contact>> {
    let sql =
        format!("{SELECT} WHERE firm_id = $1 AND dossier_id = $2 ORDER BY is_primary DESC, id");
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(firm_id)
        .bind(dossier_id)
        .fetch_all(&mut *conn)
        .await?;
    rows.iter().map(from_row).collect()
}

pub async fn get(conn: &mut AnyConnection, firm_id: i64, id: i64) -> StoreResult<Contact> {
    let sql = format!("{SELECT} WHERE firm_id = $1 AND id = $2");
    let row = crate::db::row_by_id(conn, sql, firm_id, id, "contact").await?;
    from_row(&row)
}

#[allow(clippy::too_many_arguments)]
async fn flag(
    conn: &mut AnyConnection,
    firm_id: i64,
    email: &Email,
    sql: &'static str,
    action: &'static str,
    reason: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<usize> {
    let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE firm_id = $1 AND email = $2"
    )))
    .bind(firm_id)
    .bind(email.as_str().to_string())
    .fetch_all(&mut *conn)
    .await?;
    let contacts: Vec<Contact> = rows.iter().map(from_row).collect::<StoreResult<_>>()?;
    for contact in &contacts {
        sqlx::query(sql)
            .bind(to_db_time(at))
            .bind(firm_id)
            .bind(contact.id)
            .execute(&mut *conn)
            .await?;
        let entry = Entry {
            entity: "contact",
            entity_id: Some(contact.id),
            dossier_id: Some(contact.dossier_id),
            action,
            details: json!({ "email": email.masked(), "reason": reason }),
        };
        journal::record(conn, firm_id, at, actor, entry).await?;
        let others = for_dossier(conn, firm_id, contact.dossier_id).await?;
        if !others.iter().any(|c| c.id != contact.id && c.reachable()) {
            outbox::cancel_for_dossier(conn, firm_id, contact.dossier_id, None, reason, actor, at)
                .await?;
        }
    }
    Ok(contacts.len())
}

/// The address asked not to be written to any more (replied STOP, used the
/// List-Unsubscribe link): every contact of the firm with it is flagged.
/// Returns how many contacts were flagged.
pub async fn opt_out(
    conn: &mut AnyConnection,
    firm_id: i64,
    email: &Email,
    reason: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<usize> {
    flag(
        conn,
        firm_id,
        email,
        "UPDATE contacts SET opted_out = 1, opted_out_at = COALESCE(opted_out_at, $1) WHERE firm_id = $2 AND id = $3",
        "contact.opted_out",
        reason,
        actor,
        at,
    )
    .await
}

/// The address bounced for good: marked invalid, no more reminders to it.
pub async fn mark_bounced(
    conn: &mut AnyConnection,
    firm_id: i64,
    email: &Email,
    reason: &str,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<usize> {
    flag(
        conn,
        firm_id,
        email,
        "UPDATE contacts SET email_status = 'invalid', bounced_at = COALESCE(bounced_at, $1) WHERE firm_id = $2 AND id = $3",
        "contact.bounced",
        reason,
        actor,
        at,
    )
    .await
}
