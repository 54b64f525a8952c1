//! The daily digest's state and the activity it reports: who got the day's
//! digest (claimed before sending, so a restart never sends it twice), the
//! replies received and reminders sent, the open anomalies by owner and age.

use crate::clock::{to_db_date, to_db_time};
use crate::error::StoreResult;
use crate::journal::{self, Actor, Entry};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};
use sqlx::{AnyConnection, Row};

/// Claims the day's digest for a recipient: `Some(id)` the first time,
/// `None` when it was already claimed (sent, being sent, or failed) — even
/// by a process that has since stopped. Journaled.
pub async fn claim(
    conn: &mut AnyConnection,
    firm_id: i64,
    user_id: i64,
    day: NaiveDate,
    at: DateTime<Utc>,
) -> StoreResult<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO digest_sends (firm_id, user_id, day, state, created_at) VALUES ($1, $2, $3, 'sending', $4)
         ON CONFLICT (firm_id, user_id, day) DO NOTHING RETURNING id",
    )
    .bind(firm_id)
    .bind(user_id)
    .bind(to_db_date(day))
    .bind(to_db_time(at))
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let id: i64 = row.try_get(0)?;
    let entry = Entry {
        entity: "digest",
        entity_id: Some(id),
        dossier_id: None,
        action: "digest.claimed",
        details: json!({ "user_id": user_id, "day": to_db_date(day) }),
    };
    journal::record(conn, firm_id, at, &Actor::System, entry).await?;
    Ok(Some(id))
}

/// Marks a claimed digest sent; `chat` (the chat version, as JSON) goes into
/// the journal line, where the chat's notices pick it up.
pub async fn mark_sent(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    message_id: &str,
    chat: Value,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE digest_sends SET state = 'sent', message_id = $1, sent_at = $2 WHERE firm_id = $3 AND id = $4",
    )
    .bind(message_id.to_string())
    .bind(to_db_time(at))
    .bind(firm_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let entry = Entry {
        entity: "digest",
        entity_id: Some(id),
        dossier_id: None,
        action: "digest.sent",
        details: json!({ "message_id": message_id, "chat": chat }),
    };
    journal::record(conn, firm_id, at, &Actor::System, entry).await
}

pub async fn mark_failed(
    conn: &mut AnyConnection,
    firm_id: i64,
    id: i64,
    error: &str,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE digest_sends SET state = 'failed', error = $1 WHERE firm_id = $2 AND id = $3",
    )
    .bind(error.to_string())
    .bind(firm_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    let entry = Entry {
        entity: "digest",
        entity_id: Some(id),
        dossier_id: None,
        action: "digest.failed",
        details: json!({ "error": error }),
    };
    journal::record(conn, firm_id, at, &Actor::System, entry).await
}

/// How many digests were recorded for a day, by state.
pub async fn sends_of_day(
    conn: &mut AnyConnection,
    firm_id: i64,
    day: NaiveDate,
) -> StoreResult<Vec<(i64, String)>> {
    let rows = sqlx::query(
        "SELECT user_id, state FROM digest_sends WHERE firm_id = $1 AND day = $2 ORDER BY user_id",
    )
    .bind(firm_id)
    .bind(to_db_date(day))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect()
}

/// What happened between `from` and `to`: clients' replies (journal lines
/// written by a client, by action — the reply worker writes them) and
/// reminders sent (the outbox).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Activity {
    /// (journal action, count), most frequent first.
    pub replies: Vec<(String, i64)>,
    pub reminders_sent: i64,
}

pub async fn activity(
    conn: &mut AnyConnection,
    firm_id: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> StoreResult<Activity> {
    let rows = sqlx::query(
        "SELECT action, CAST(COUNT(*) AS BIGINT) FROM journal
         WHERE firm_id = $1 AND actor_kind = 'client' AND at >= $2 AND at <= $3
         GROUP BY action ORDER BY 2 DESC, action",
    )
    .bind(firm_id)
    .bind(to_db_time(from))
    .bind(to_db_time(to))
    .fetch_all(&mut *conn)
    .await?;
    let replies = rows
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    let reminders_sent: i64 = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox WHERE firm_id = $1 AND state = 'sent' AND sent_at >= $2 AND sent_at <= $3",
    )
    .bind(firm_id)
    .bind(to_db_time(from))
    .bind(to_db_time(to))
    .fetch_one(&mut *conn)
    .await?
    .try_get(0)?;
    Ok(Activity {
        replies,
        reminders_sent,
    })
}

/// Open anomalies of one owner (the assignee's email; `None`: unassigned) by age.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnomalyAges {
    pub owner: Option<String>,
    pub under_7_days: i64,
    pub from_7_to_30_days: i64,
    pub over_30_days: i64,
    pub critical: i64,
}

pub async fn anomalies_by_owner(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_ids: Option<&[i64]>,
    now: DateTime<Utc>,
) -> StoreResult<Vec<AnomalyAges>> {
    let week = to_db_time(now - Duration::days(7));
    let month = to_db_time(now - Duration::days(30));
    let rows = sqlx::query(
        "SELECT u.email, a.dossier_id,
                CAST(SUM(CASE WHEN a.opened_at >= $2 THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN a.opened_at < $2 AND a.opened_at >= $3 THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN a.opened_at < $3 THEN 1 ELSE 0 END) AS BIGINT),
                CAST(SUM(CASE WHEN a.severity = 'critical' THEN 1 ELSE 0 END) AS BIGINT)
         FROM anomalies a LEFT JOIN users u ON u.id = a.assignee_id AND u.firm_id = a.firm_id
         WHERE a.firm_id = $1 AND a.status = 'open'
         GROUP BY u.email, a.dossier_id",
    )
    .bind(firm_id)
    .bind(week)
    .bind(month)
    .fetch_all(&mut *conn)
    .await?;
    let mut out: Vec<AnomalyAges> = Vec::new();
    for r in &rows {
        let dossier: Option<i64> = r.try_get(1)?;
        if let Some(ids) = dossier_ids {
            if !dossier.is_some_and(|d| ids.contains(&d)) {
                continue;
            }
        }
        let owner: Option<String> = r.try_get(0)?;
        let idx = match out.iter().position(|a| a.owner == owner) {
            Some(i) => i,
            None => {
                out.push(AnomalyAges {
                    owner,
                    under_7_days: 0,
                    from_7_to_30_days: 0,
                    over_30_days: 0,
                    critical: 0,
                });
                out.len() - 1
            }
        };
        let a = &mut out[idx];
        a.under_7_days += r.try_get::<i64, _>(2)?;
        a.from_7_to_30_days += r.try_get::<i64, _>(3)?;
        a.over_30_days += r.try_get::<i64, _>(4)?;
        a.critical += r.try_get::<i64, _>(5)?;
    }
    out.sort_by(|a, b| {
        a.owner
            .is_none()
            .cmp(&b.owner.is_none())
            .then(a.owner.cmp(&b.owner))
    });
    Ok(out)
}
