use crate::anomalies::{self, DossierOutcome};
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
    Ok(find_named(conn, firm_id, name).await?.map(|(id, _)| id))
}

/// The platform a name designates (case and accents ignored): its id and
/// its name as the firm registered it.
pub async fn find_named(
    conn: &mut AnyConnection,
    firm_id: i64,
    name: &str,
) -> StoreResult<Option<(i64, String)>> {
    let wanted = fold(name);
    let rows = sqlx::query("SELECT id, name FROM platforms WHERE firm_id = $1")
        .bind(firm_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .iter()
        .find(|r| fold(&r.get::<String, _>(1)) == wanted)
        .map(|r| (r.get(0), r.get(1))))
}

pub async fn names(conn: &mut AnyConnection, firm_id: i64) -> StoreResult<Vec<String>> {
    let rows = sqlx::query("SELECT name FROM platforms WHERE firm_id = $1 ORDER BY name")
        .bind(firm_id)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows.iter().map(|r| r.get(0)).collect())
}

/// The firm's platform a name designates, or the error that lists the
/// platforms the firm knows (they are registered with the firm from the
/// configuration's `platforms` at each onboarding: a name not there is a
/// typo or a platform to add there, never registered on the fly).
pub async fn known(
    conn: &mut AnyConnection,
    firm_id: i64,
    name: &str,
) -> StoreResult<(i64, String)> {
    match find_named(conn, firm_id, name).await? {
        Some(found) => Ok(found),
        None => Err(StoreError::UnknownPlatform {
            name: name.trim().to_string(),
            known: names(conn, firm_id).await?,
        }),
    }
}

/// The dossier's reception platform and its state, if one is recorded.
pub async fn for_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
) -> StoreResult<Option<(String, PlatformState)>> {
    let row = sqlx::query(
        "SELECT p.name, dp.state FROM dossier_platforms dp JOIN platforms p ON p.id = dp.platform_id
         WHERE dp.firm_id = $1 AND dp.dossier_id = $2",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|r| {
        let code: String = r.get(1);
        PlatformState::from_code(&code)
            .map(|state| (r.get::<String, _>(0), state))
            .ok_or_else(|| StoreError::Corrupt(format!("platform state {code}")))
    })
    .transpose()
}

/// What recording a dossier's platform did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformChange {
    /// Recorded and journaled; `before` is what the dossier had;
    /// `anomalies`: what the `other_platform` rule, run again for the
    /// dossier at once, opened and closed.
    Set {
        platform: String,
        state: PlatformState,
        before: Option<(String, PlatformState)>,
        anomalies: DossierOutcome,
    },
    /// The dossier already had this platform in this state: nothing written.
    Unchanged {
        platform: String,
        state: PlatformState,
    },
    /// The dossier is already further on this very platform: nothing
    /// written. A state only moves forward (choisie → compte ouvert →
    /// inscrite à l'annuaire → en production, steps may be skipped), except
    /// through [`correct_for_dossier`].
    AlreadyFurther {
        platform: String,
        state: PlatformState,
    },
}

/// Records the dossier's reception platform and its onboarding state,
/// journaled, and runs the `other_platform` rule again for the dossier on
/// the same connection (flows received elsewhere than the platform now
/// recorded: closes what the record settles, opens what it causes). Another platform replaces the recorded one (a client may
/// change platforms), at the state given; on the same platform the state
/// only moves forward: an earlier one writes nothing
/// ([`PlatformChange::AlreadyFurther`]), so that a late or repeated
/// "nous avons choisi Pennylane" never sets a connected dossier back.
/// A name the firm does not know is [`StoreError::UnknownPlatform`].
pub async fn set_for_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    platform: &str,
    state: PlatformState,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<PlatformChange> {
    record(conn, firm_id, dossier_id, platform, state, false, actor, at).await
}

/// Like [`set_for_dossier`], but may also move the state back on the same
/// platform: a person correcting a mistake. Journaled as a correction.
pub async fn correct_for_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    platform: &str,
    state: PlatformState,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<PlatformChange> {
    record(conn, firm_id, dossier_id, platform, state, true, actor, at).await
}

#[allow(clippy::too_many_arguments)]
async fn record(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    platform: &str,
    state: PlatformState,
    correction: bool,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<PlatformChange> {
    let (platform_id, name) = known(conn, firm_id, platform).await?;
    let before = for_dossier(conn, firm_id, dossier_id).await?;
    let mut backwards = false;
    if let Some((current, current_state)) = &before {
        if *current == name {
            if *current_state == state {
                return Ok(PlatformChange::Unchanged {
                    platform: name,
                    state,
                });
            }
            backwards = state < *current_state;
            if backwards && !correction {
                return Ok(PlatformChange::AlreadyFurther {
                    platform: name,
                    state: *current_state,
                });
            }
        }
    }
    // A test flow was on the platform replaced: it says nothing of the new
    // one (the journal keeps when it was).
    let replaced_test_flow: Option<String> = match &before {
        Some((current, _)) if *current != name => sqlx::query(
            "SELECT test_flow_at FROM dossier_platforms WHERE firm_id = $1 AND dossier_id = $2",
        )
        .bind(firm_id)
        .bind(dossier_id)
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| row.try_get(0))
        .transpose()?
        .flatten(),
        _ => None,
    };
    sqlx::query(
        "INSERT INTO dossier_platforms (firm_id, dossier_id, platform_id, state, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (dossier_id) DO UPDATE SET platform_id = excluded.platform_id,
             state = excluded.state, updated_at = excluded.updated_at,
             test_flow_at = CASE WHEN dossier_platforms.platform_id = excluded.platform_id
                                 THEN dossier_platforms.test_flow_at END",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(platform_id)
    .bind(state.code())
    .bind(to_db_time(at))
    .execute(&mut *conn)
    .await?;
    let mut details = serde_json::json!({
        "before": before.as_ref().map(|(p, s)| serde_json::json!({ "platform": p, "state": s.code() })),
        "after": { "platform": name, "state": state.code() },
    });
    if let Some(t) = replaced_test_flow {
        details["before"]["test_flow_at"] = serde_json::Value::String(t);
    }
    if backwards {
        details["correction"] = serde_json::Value::Bool(true);
    }
    let entry = Entry {
        entity: "dossier_platform",
        entity_id: Some(dossier_id),
        dossier_id: Some(dossier_id),
        action: "platform.set",
        details,
    };
    journal::record(conn, firm_id, at, actor, entry).await?;
    let anomalies = anomalies::evaluate_other_platform(conn, firm_id, dossier_id, at).await?;
    Ok(PlatformChange::Set {
        platform: name,
        state,
        before,
        anomalies,
    })
}

/// What removing a dossier's platform did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformRemoval {
    /// Removed and journaled: the platform the dossier had, and what the
    /// `other_platform` rule, run again for the dossier at once, opened
    /// and closed.
    Removed {
        platform: String,
        state: PlatformState,
        anomalies: DossierOutcome,
    },
    /// The dossier had no platform: nothing written.
    NoneRecorded,
}

/// Removes the dossier's recorded platform (recorded on the wrong
/// dossier, say), with its state and test flow, journaled
/// (`platform.removed`, what it was), and runs the `other_platform` rule
/// again for the dossier on the same connection, as recording does.
pub async fn remove_for_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<PlatformRemoval> {
    let Some((platform, state)) = for_dossier(conn, firm_id, dossier_id).await? else {
        return Ok(PlatformRemoval::NoneRecorded);
    };
    let test_flow_at: Option<String> = sqlx::query(
        "DELETE FROM dossier_platforms WHERE firm_id = $1 AND dossier_id = $2 RETURNING test_flow_at",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    let mut before = serde_json::json!({ "platform": platform, "state": state.code() });
    if let Some(t) = test_flow_at {
        before["test_flow_at"] = serde_json::Value::String(t);
    }
    let entry = Entry {
        entity: "dossier_platform",
        entity_id: Some(dossier_id),
        dossier_id: Some(dossier_id),
        action: "platform.removed",
        details: serde_json::json!({ "before": before, "after": null }),
    };
    journal::record(conn, firm_id, at, actor, entry).await?;
    let anomalies = anomalies::evaluate_other_platform(conn, firm_id, dossier_id, at).await?;
    Ok(PlatformRemoval::Removed {
        platform,
        state,
        anomalies,
    })
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
