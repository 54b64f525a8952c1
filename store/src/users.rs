use crate::clock::to_db_time;
use crate::domain::{Email, Role};
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, changes_json, diff, Actor, Change, Entry};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;

/// A user of the firm as given by onboarding or configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub email: Email,
    pub name: String,
    pub role: Role,
    pub discord_id: Option<String>,
    /// Portfolio names, sorted.
    pub portfolios: Vec<String>,
}

impl UserRecord {
    fn fields(&self) -> BTreeMap<&'static str, Value> {
        BTreeMap::from([
            ("name", json!(self.name)),
            ("role", json!(self.role.code())),
            ("discord_id", json!(self.discord_id)),
            ("portfolios", json!(self.portfolios)),
        ])
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: i64,
    pub firm_id: i64,
    pub record: UserRecord,
}

/// The id of the firm's portfolio with this name, created when absent.
pub async fn ensure_portfolio(
    conn: &mut AnyConnection,
    firm_id: i64,
    name: &str,
) -> StoreResult<i64> {
    let existing = sqlx::query("SELECT id FROM portfolios WHERE firm_id = $1 AND name = $2")
        .bind(firm_id)
        .bind(name.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    if let Some(row) = existing {
        return Ok(row.get(0));
    }
    Ok(
        sqlx::query("INSERT INTO portfolios (firm_id, name) VALUES ($1, $2) RETURNING id")
            .bind(firm_id)
            .bind(name.to_string())
            .fetch_one(&mut *conn)
            .await?
            .get(0),
    )
}

pub async fn portfolio_names(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM portfolios WHERE firm_id = $1 ORDER BY name")
        .bind(firm_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The firm's portfolio a user named (case and accents ignored), as the
/// firm spells it; else the firm's portfolios, for the error to list.
pub async fn portfolio_named(
    conn: &mut AnyConnection,
    firm_id: i64,
    name: &str,
) -> StoreResult<Result<String, Vec<String>>> {
    let known = portfolio_names(conn, firm_id).await?;
    let wanted = crate::domain::fold(name);
    Ok(
        match known.iter().find(|k| crate::domain::fold(k) == wanted) {
            Some(exact) => Ok(exact.clone()),
            None => Err(known),
        },
    )
}

pub async fn find_by_email(
    conn: &mut AnyConnection,
    firm_id: i64,
    email: &str,
) -> StoreResult<Option<User>> {
    let row = sqlx::query(
        "SELECT id, email, name, role, discord_id FROM users WHERE firm_id = $1 AND email = $2",
    )
    .bind(firm_id)
    .bind(email.trim().to_lowercase())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some(row) => Ok(Some(user_from_row(conn, firm_id, &row).await?)),
        None => Ok(None),
    }
}

/// The firm's users a person designates by `who`: the one of that email,
/// else those whose name, or email's local part, is `who` or has it as a
/// word (first or last name: `bruno` or `Petit` for bruno.petit@…), case
/// and accents ignored. Empty when none fits; several when `who` is ambiguous.
pub async fn named(conn: &mut AnyConnection, firm_id: i64, who: &str) -> StoreResult<Vec<User>> {
    if let Some(user) = find_by_email(conn, firm_id, who).await? {
        return Ok(vec![user]);
    }
    let wanted = crate::domain::fold(who.trim());
    let fits = |text: &str| {
        let text = crate::domain::fold(text);
        text == wanted || text.split(['.', ' ', '-', '_']).any(|w| w == wanted)
    };
    Ok(list(conn, firm_id)
        .await?
        .into_iter()
        .filter(|u| {
            let local = u
                .record
                .email
                .as_str()
                .split('@')
                .next()
                .unwrap_or_default();
            !wanted.is_empty() && (fits(&u.record.name) || fits(local))
        })
        .collect())
}

pub async fn list(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<Vec<User>> {
    let rows = sqlx::query(
        "SELECT id, email, name, role, discord_id FROM users WHERE firm_id = $1 ORDER BY email",
    )
    .bind(firm_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut users = Vec::with_capacity(rows.len());
    for row in &rows {
        users.push(user_from_row(conn, firm_id, row).await?);
    }
    Ok(users)
}

async fn user_from_row(
    conn: &mut AnyConnection,
    firm_id: i64,
    row: &sqlx::any::AnyRow,
) -> StoreResult<User> {
    let id: i64 = row.try_get("id")?;
    let email: String = row.try_get("email")?;
    let role: String = row.try_get("role")?;
    let portfolios = sqlx::query(
        "SELECT p.name FROM user_portfolios up JOIN portfolios p ON p.id = up.portfolio_id
         WHERE up.firm_id = $1 AND up.user_id = $2 ORDER BY p.name",
    )
    .bind(firm_id)
    .bind(id)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.get::<String, _>(0))
    .collect();
    Ok(User {
        id,
        firm_id,
        record: UserRecord {
            email: Email::parse(&email)
                .map_err(|_| StoreError::Corrupt(format!("user email {email}")))?,
            name: row.try_get("name")?,
            role: Role::from_code(&role)
                .ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
            discord_id: row.try_get("discord_id")?,
            portfolios,
        },
    })
}

/// Creates or updates a user; journals what changed; does nothing when nothing changed.
pub async fn upsert(
    conn: &mut AnyConnection,
    firm_id: i64,
    record: &UserRecord,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<Change> {
    let existing = find_by_email(conn, firm_id, record.email.as_str()).await?;
    let (user_id, change, action, details) = match existing {
        None => {
            let id: i64 = sqlx::query(
                "INSERT INTO users (firm_id, email, name, role, discord_id, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(firm_id)
            .bind(record.email.as_str().to_string())
            .bind(record.name.clone())
            .bind(record.role.code())
            .bind(record.discord_id.clone())
            .bind(to_db_time(at))
            .fetch_one(&mut *conn)
            .await?
            .get(0);
            let details = json!({ "email": record.email.as_str(), "fields": record.fields() });
            (id, Change::Created, "user.created", details)
        }
        Some(user) => {
            let changes = diff(&user.record.fields(), &record.fields());
            if changes.is_empty() {
                return Ok(Change::Unchanged);
            }
            sqlx::query(
                "UPDATE users SET name = $1, role = $2, discord_id = $3, updated_at = $4 WHERE firm_id = $5 AND id = $6",
            )
            .bind(record.name.clone())
            .bind(record.role.code())
            .bind(record.discord_id.clone())
            .bind(to_db_time(at))
            .bind(firm_id)
            .bind(user.id)
            .execute(&mut *conn)
            .await?;
            let details =
                json!({ "email": record.email.as_str(), "changes": changes_json(&changes) });
            (user.id, Change::Updated(changes), "user.updated", details)
        }
    };
    sqlx::query("DELETE FROM user_portfolios WHERE firm_id = $1 AND user_id = $2")
        .bind(firm_id)
        .bind(user_id)
        .execute(&mut *conn)
        .await?;
    for name in &record.portfolios {
        let portfolio_id = ensure_portfolio(conn, firm_id, name).await?;
        sqlx::query(
            "INSERT INTO user_portfolios (firm_id, user_id, portfolio_id) VALUES ($1, $2, $3)",
        )
        .bind(firm_id)
        .bind(user_id)
        .bind(portfolio_id)
        .execute(&mut *conn)
        .await?;
    }
    let entry = Entry {
        entity: "user",
        entity_id: Some(user_id),
        dossier_id: None,
        action,
        details,
    };
    journal::record(conn, firm_id, at, actor, entry).await?;
    Ok(change)
}

/// The firm's user bound to a Discord account.
pub async fn find_by_discord_id(
    conn: &mut AnyConnection,
    firm_id: i64,
    discord_id: &str,
) -> StoreResult<Option<User>> {
    let row = sqlx::query("SELECT id, email, name, role, discord_id FROM users WHERE firm_id = $1 AND discord_id = $2")
        .bind(firm_id)
        .bind(discord_id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        Some(row) => Ok(Some(user_from_row(conn, firm_id, &row).await?)),
        None => Ok(None),
    }
}
