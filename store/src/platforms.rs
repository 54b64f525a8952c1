use crate::clock::to_db_time;
use crate::domain::{fold, PlatformState};
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, Actor, Entry};
use chrono::{DateTime, Utc};
use sqlx::{AnyConnection, Row};

/// The approved platforms (plateformes agréées) known by default; a firm
/// lists its own in `platforms = [...]`.
pub const DEFAULT_PLATFORMS: &[&str] = &[
    "Pennylane",
    "Qonto",
    "Sage",
    "Cegid",
    "Tiime",
    "Indy",
    "Fulll",
    "Dext",
    "Esker",
    "Generix",
    "Basware",
    "Pagero",
    "Sovos",
    "EDICOM",
    "Iopole",
    "Invopop",
    "B2Brouter",
    "Serensia",
    "jefacture.com",
];

/// Registers a platform name for the firm (idempotent); returns its id.
pub async fn ensure(conn: &mut AnyConnection, firm_id: i64, name: &str) -> StoreResult<i64> {
    if let Some(id) = find(conn, firm_id, name).await? {
        return Ok(id);
    }
    Ok(
        sqlx::query("INSERT INTO platforms (firm_id, name) VALUES ($1, $2) RETURNING id")
            .bind(firm_id)
            .bind(name.trim().to_string())
            .fetch_one(&mut *conn)
            .await?
            .get(0),
    )
}

/// Finds a platform by name, ignoring case and accents ("jefacture.com" = "JeFacture.com").
pub async fn find(conn: &mut AnyConnection, firm_id: i64, name: &str) -> StoreResult<Option<i64>> {
    let wanted = fold(name);
    let rows = sqlx::query("SELECT id, name FROM platforms WHERE firm_id = $1")
        .bind(firm_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .find(|r| fold(&r.get::<String, _>(1)) == wanted)
        .map(|r| r.get(0)))
}

pub async fn names(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM platforms WHERE firm_id = $1 ORDER BY name")
        .bind(firm_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// Records the dossier's reception platform and its onboarding state, journaled.
pub async fn set_for_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    platform: &str,
    state: PlatformState,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let platform_id = find(conn, firm_id, platform)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "plateforme",
            key: platform.to_string(),
        })?;
    let before = sqlx::query(
        "SELECT p.name, dp.state FROM dossier_platforms dp JOIN platforms p ON p.id = dp.platform_id
         WHERE dp.firm_id = $1 AND dp.dossier_id = $2",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| (r.get::<String, _>(0), r.get::<String, _>(1)));
    sqlx::query(
        "INSERT INTO dossier_platforms (firm_id, dossier_id, platform_id, state, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dossier_id) DO UPDATE SET platform_id = excluded.platform_id,
             state = excluded.state, updated_at = excluded.updated_at",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(platform_id)
    .bind(state.code())
    .bind(to_db_time(at))
    .execute(&mut *conn)
    .await?;
    let entry = Entry {
        entity: "dossier_platform",
        entity_id: Some(dossier_id),
        dossier_id: Some(dossier_id),
        action: "platform.set",
        details: serde_json::json!({
            "before": before.map(|(p, s)| serde_json::json!({ "platform": p, "state": s })),
            "after": { "platform": platform, "state": state.code() },
        }),
    };
    journal::record(conn, firm_id, at, actor, entry).await
}

/// Records a successful test flow on the dossier's platform (before emission
/// applies it counts as "emitted flows seen" in readiness), journaled.
pub async fn record_test_flow(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let updated = sqlx::query(
        "UPDATE dossier_platforms SET test_flow_at = $1, updated_at = $1 WHERE firm_id = $2 AND dossier_id = $3",
    )
    .bind(to_db_time(at))
    .bind(firm_id)
    .bind(dossier_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(StoreError::NotFound {
            what: "plateforme du dossier",
            key: dossier_id.to_string(),
        });
    }
    let entry = Entry {
        entity: "dossier_platform",
        entity_id: Some(dossier_id),
        dossier_id: Some(dossier_id),
        action: "platform.test_flow",
        details: serde_json::json!({ "at": to_db_time(at) }),
    };
    journal::record(conn, firm_id, at, actor, entry).await
}
