//! Mandates and their status machine. [`change_status`] is the writer of
//! a mandate's status for the workflow: it checks the transition and
//! journals it. [`import_status`] records a status read from a file (a
//! fact collected outside CabReady), forward only, journaled too.

use crate::clock::to_db_time;
use crate::domain::{ImportedStatus, MandateKind, MandateStatus};
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, Actor, Entry};
use crate::Said;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{AnyConnection, Row};

/// Creates the mandate in `not_requested` when the dossier has none of this kind.
pub async fn ensure(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    kind: MandateKind,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO mandates (firm_id, dossier_id, kind, status, status_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (firm_id, dossier_id, kind) DO NOTHING",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(kind.code())
    .bind(MandateStatus::NotRequested.code())
    .bind(to_db_time(at))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn status(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    kind: MandateKind,
) -> StoreResult<MandateStatus> {
    let row = sqlx::query(
        "SELECT status FROM mandates WHERE firm_id = $1 AND dossier_id = $2 AND kind = $3",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(kind.code())
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(|| StoreError::NotFound {
        what: "mandat",
        key: format!("{} du dossier {dossier_id}", kind.code()),
    })?;
    let code: String = row.get(0);
    MandateStatus::from_code(&code)
        .ok_or_else(|| StoreError::Corrupt(format!("mandate status {code}")))
}

/// When a mandate last changed and when it was first requested.
pub async fn timeline(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    kind: MandateKind,
) -> StoreResult<Option<(MandateStatus, DateTime<Utc>, Option<DateTime<Utc>>)>> {
    let row = sqlx::query(
        "SELECT status, status_at, requested_at FROM mandates WHERE firm_id = $1 AND dossier_id = $2 AND kind = $3",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .bind(kind.code())
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let code: String = row.get(0);
    let status_at: String = row.get(1);
    let requested_at: Option<String> = row.get(2);
    let corrupt = |v: &str| StoreError::Corrupt(format!("mandate {v}"));
    Ok(Some((
        MandateStatus::from_code(&code).ok_or_else(|| corrupt(&code))?,
        crate::clock::from_db_time(&status_at).ok_or_else(|| corrupt(&status_at))?,
        requested_at
            .map(|t| crate::clock::from_db_time(&t).ok_or_else(|| corrupt(&t)))
            .transpose()?,
    )))
}

/// A requested status change of one of a dossier's mandates.
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a> {
    pub kind: MandateKind,
    pub to: MandateStatus,
    pub note: Option<&'a str>,
}

/// Moves a mandate to `transition.to` if the status machine allows it, with
/// a journal line; returns the status it had.
pub async fn change_status(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    transition: Transition<'_>,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<MandateStatus> {
    let Transition { kind, to, note } = transition;
    let from = status(conn, firm_id, dossier_id, kind).await?;
    if !from.can_become(to) {
        return Err(StoreError::IllegalTransition { from, to });
    }
    write_status(conn, firm_id, dossier_id, kind, to, &to_db_time(at), note).await?;
    let entry = Entry {
        entity: "mandate",
        entity_id: None,
        dossier_id: Some(dossier_id),
        action: "mandate.status_changed",
        details: json!({ "kind": kind.code(), "before": from.code(), "after": to.code(), "note": note }),
    };
    journal::record(conn, firm_id, at, actor, entry).await?;
    Ok(from)
}

/// When the mandate was last asked for again after it ended (refused or
/// expired), from its journal.
async fn restarted_at(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    kind: MandateKind,
) -> StoreResult<Option<DateTime<Utc>>> {
    let rows = sqlx::query(
        "SELECT at, details FROM journal WHERE firm_id = $1 AND dossier_id = $2
           AND action = 'mandate.status_changed' ORDER BY id DESC",
    )
    .bind(firm_id)
    .bind(dossier_id)
    .fetch_all(&mut *conn)
    .await?;
    let ended = |code: &serde_json::Value| {
        [MandateStatus::Refused, MandateStatus::Expired]
            .iter()
            .any(|s| code.as_str() == Some(s.code()))
    };
    for row in rows {
        let details: serde_json::Value =
            serde_json::from_str(&row.try_get::<String, _>(1)?).unwrap_or_default();
        if details["kind"].as_str() == Some(kind.code())
            && ended(&details["before"])
            && !ended(&details["after"])
        {
            let at: String = row.try_get(0)?;
            return Ok(crate::clock::from_db_time(&at));
        }
    }
    Ok(None)
}

/// Sets a mandate's status, reached at `reached`, which is also its request
/// date when it has none yet and it is asked for, and its signature date
/// when signed; `note` replaces the mandate's when given.
async fn write_status(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    kind: MandateKind,
    to: MandateStatus,
    reached: &str,
    note: Option<&str>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE mandates SET status = $1, status_at = $2,
             requested_at = CASE WHEN $3 = 1 AND requested_at IS NULL THEN $2 ELSE requested_at END,
             signed_at = CASE WHEN $4 = 1 THEN $2 ELSE signed_at END,
             note = COALESCE($5, note)
         WHERE firm_id = $6 AND dossier_id = $7 AND kind = $8",
    )
    .bind(to.code())
    .bind(reached.to_string())
    .bind(i64::from(matches!(
        to,
        MandateStatus::Requested | MandateStatus::Reminded
    )))
    .bind(i64::from(to == MandateStatus::Signed))
    .bind(note.map(str::to_string))
    .bind(firm_id)
    .bind(dossier_id)
    .bind(kind.code())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What recording a status read from a file did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// Recorded and journaled; `before` is the status it had.
    Recorded { before: MandateStatus },
    /// The mandate already had this status: nothing written.
    Unchanged,
    /// The mandate is as far or further along with another status (it
    /// moved on since the file was exported): nothing written, the caller
    /// says so.
    KeptRecorded {
        recorded: MandateStatus,
        since: DateTime<Utc>,
    },
}

/// Records a mandate status read from a file: a fact collected outside
/// CabReady (a mandate signed on paper before onboarding), so it may skip
/// the steps [`change_status`] requires (not requested → signed), but
/// never sets a mandate back ([`MandateStatus::import`]), nor into a cycle
/// that ended: once a refused or expired mandate has been asked for again,
/// a file's status applies only if the file dates it after that restart
/// (the same file imported again would otherwise sign, or refuse, the new
/// request with the old answer). `reached_at` is when the file says the
/// status was reached (the mandate's status date, and its signature or
/// request date; `at` when it says nothing); the journal line is written at
/// `at`, with `note` saying where the status came from.
#[allow(clippy::too_many_arguments)]
pub async fn import_status(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
    kind: MandateKind,
    to: MandateStatus,
    reached_at: Option<DateTime<Utc>>,
    note: &Said,
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<Imported> {
    let (from, since) = match timeline(conn, firm_id, dossier_id, kind).await? {
        Some((status, since, _)) => (status, since),
        None => {
            ensure(conn, firm_id, dossier_id, kind, at).await?;
            (MandateStatus::NotRequested, at)
        }
    };
    if from != to {
        if let Some(restart) = restarted_at(conn, firm_id, dossier_id, kind).await? {
            if reached_at.is_none_or(|reached| reached <= restart) {
                return Ok(Imported::KeptRecorded {
                    recorded: from,
                    since,
                });
            }
        }
    }
    let reached_at = reached_at.unwrap_or(at);
    match from.import(to) {
        ImportedStatus::Unchanged => return Ok(Imported::Unchanged),
        ImportedStatus::KeptRecorded => {
            return Ok(Imported::KeptRecorded {
                recorded: from,
                since,
            })
        }
        ImportedStatus::Recorded => {}
    }
    let reached = to_db_time(reached_at);
    write_status(conn, firm_id, dossier_id, kind, to, &reached, None).await?;
    let entry = Entry {
        entity: "mandate",
        entity_id: None,
        dossier_id: Some(dossier_id),
        action: "mandate.status_changed",
        details: json!({
            "kind": kind.code(),
            "before": from.code(),
            "after": to.code(),
            "note": note.stored(),
            "reached_at": reached,
            "imported": true,
        }),
    };
    journal::record(conn, firm_id, at, actor, entry).await?;
    Ok(Imported::Recorded { before: from })
}

/// How many of the firm's mandates of a kind are in each status.
pub async fn counts_by_status(
    conn: &mut AnyConnection,
    firm_id: i64,
    kind: MandateKind,
) -> StoreResult<Vec<(MandateStatus, i64)>> {
    let rows = sqlx::query(
        "SELECT status, COUNT(*) FROM mandates WHERE firm_id = $1 AND kind = $2 GROUP BY status",
    )
    .bind(firm_id)
    .bind(kind.code())
    .fetch_all(&mut *conn)
    .await?;
    let mut counts: Vec<(MandateStatus, i64)> =
        MandateStatus::ALL.iter().map(|s| (*s, 0)).collect();
    for row in rows {
        let code: String = row.get(0);
        let status = MandateStatus::from_code(&code)
            .ok_or_else(|| StoreError::Corrupt(format!("mandate status {code}")))?;
        if let Some(slot) = counts.iter_mut().find(|(s, _)| *s == status) {
            slot.1 = row.get(1);
        }
    }
    Ok(counts)
}
