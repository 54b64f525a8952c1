use crate::clock::to_db_time;
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, Actor, Entry};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Firm {
    pub id: i64,
    pub name: String,
}

pub async fn find_by_name(conn: &mut AnyConnection, name: &str) -> StoreResult<Option<Firm>> {
    let row = sqlx::query("SELECT id, name FROM firms WHERE name = $1")
        .bind(name.trim().to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| Firm {
        id: r.get(0),
        name: r.get(1),
    }))
}

pub async fn list(conn: &mut AnyConnection) -> StoreResult<Vec<Firm>> {
    let rows = sqlx::query("SELECT id, name FROM firms ORDER BY name")
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .map(|r| Firm {
            id: r.get(0),
            name: r.get(1),
        })
        .collect())
}

/// The firm with this name, created when absent. Its platforms list gets
/// the configured names it lacks (case and accents ignored), for a new firm
/// or an existing one: a platform added to the configuration is known to
/// the firm at its next onboarding. None is ever taken off (dossiers may
/// use it).
pub async fn ensure(
    conn: &mut AnyConnection,
    name: &str,
    platforms: &[String],
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<(Firm, bool)> {
    if let Some(firm) = find_by_name(conn, name).await? {
        for platform in platforms {
            crate::platforms::ensure(conn, firm.id, platform).await?;
        }
        return Ok((firm, false));
    }
    let id: i64 = sqlx::query("INSERT INTO firms (name, created_at) VALUES ($1, $2) RETURNING id")
        .bind(name.trim().to_string())
        .bind(to_db_time(at))
        .fetch_one(&mut *conn)
        .await?
        .get(0);
    for platform in platforms {
        crate::platforms::ensure(conn, id, platform).await?;
    }
    let entry = Entry {
        entity: "firm",
        entity_id: Some(id),
        dossier_id: None,
        action: "firm.created",
        details: serde_json::json!({ "name": name.trim() }),
    };
    journal::record(conn, id, at, actor, entry).await?;
    Ok((
        Firm {
            id,
            name: name.trim().to_string(),
        },
        true,
    ))
}

/// The firm a command works on: the named one, or the only one there is;
/// else an error that names the firms there are.
pub async fn resolve(conn: &mut AnyConnection, name: Option<&str>) -> StoreResult<Firm> {
    if let Some(name) = name {
        if let Some(firm) = find_by_name(conn, name).await? {
            return Ok(firm);
        }
    }
    let mut firms = list(conn).await?;
    if name.is_none() && firms.len() == 1 {
        return Ok(firms.remove(0));
    }
    Err(StoreError::UnknownFirm {
        name: name.map(|n| n.trim().to_string()),
        known: firms.into_iter().map(|f| f.name).collect(),
    })
}
