//! One readiness row per dossier per day (the Europe/Paris date), for
//! trends ("+3 points since last week") and for "newly at risk". Taking the
//! day's snapshot again replaces that day's rows: idempotent. Written in
//! batches (one statement per 500 dossiers) and journaled once per run.

use super::{Inputs, Item, Readiness, State};
use crate::clock::{from_db_date, to_db_date, to_db_time};
use crate::error::{StoreError, StoreResult};
use crate::journal::{self, Actor, Entry};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::json;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

const BATCH: usize = 500;

/// Records the day's readiness of these dossiers (call it in a transaction).
pub async fn take(
    conn: &mut AnyConnection,
    firm_id: i64,
    day: NaiveDate,
    assessed: &[(Inputs, Readiness)],
    actor: &Actor,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let day_text = to_db_date(day);
    let taken_at = to_db_time(at);
    for chunk in assessed.chunks(BATCH) {
        let mut sql = String::from(
            "INSERT INTO readiness_snapshots (firm_id, dossier_id, day, score, state, missing, taken_at) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 7;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7
            ));
        }
        sql.push_str(
            " ON CONFLICT (firm_id, dossier_id, day) DO UPDATE SET score = excluded.score,
               state = excluded.state, missing = excluded.missing, taken_at = excluded.taken_at",
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (input, r) in chunk {
            let missing: Vec<&str> = r.missing().map(|l| l.item.code()).collect();
            query = query
                .bind(firm_id)
                .bind(input.dossier_id)
                .bind(day_text.clone())
                .bind(i64::from(r.score))
                .bind(r.state.code())
                .bind(missing.join(","))
                .bind(taken_at.clone());
        }
        query.execute(&mut *conn).await?;
    }
    let agg = super::aggregate(assessed.iter().map(|(_, r)| r));
    let entry = Entry {
        entity: "readiness",
        entity_id: None,
        dossier_id: None,
        action: "readiness.snapshot",
        details: json!({
            "day": day_text,
            "dossiers": agg.dossiers,
            "score": agg.score,
            "late": agg.late,
            "at_risk": agg.at_risk,
            "on_track": agg.on_track,
            "ready": agg.ready,
        }),
    };
    journal::record(conn, firm_id, at, actor, entry).await
}

/// One dossier's row of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row1 {
    pub score: u8,
    pub state: State,
    pub missing: Vec<Item>,
}

/// Every dossier's row of a day, by dossier id.
pub async fn of_day(
    conn: &mut AnyConnection,
    firm_id: i64,
    day: NaiveDate,
) -> StoreResult<HashMap<i64, Row1>> {
    let rows = sqlx::query(
        "SELECT dossier_id, score, state, missing FROM readiness_snapshots WHERE firm_id = $1 AND day = $2",
    )
    .bind(firm_id)
    .bind(to_db_date(day))
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let state: String = r.try_get(2)?;
            let missing: String = r.try_get(3)?;
            Ok((
                r.try_get::<i64, _>(0)?,
                Row1 {
                    score: r.try_get::<i64, _>(1)?.clamp(0, 100) as u8,
                    state: State::from_code(&state)
                        .ok_or_else(|| StoreError::Corrupt(format!("readiness state {state}")))?,
                    missing: missing.split(',').filter_map(Item::from_code).collect(),
                },
            ))
        })
        .collect()
}

/// A day of a trend: the mean score and the count per state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    pub day: NaiveDate,
    pub dossiers: i64,
    pub score: u8,
    pub late: i64,
    pub at_risk: i64,
    pub on_track: i64,
    pub ready: i64,
}

/// The firm's (or one portfolio's) trend from `from` to `to`, one point per
/// day that has a snapshot, oldest first.
pub async fn trend(
    conn: &mut AnyConnection,
    firm_id: i64,
    portfolio: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> StoreResult<Vec<Point>> {
    let base = "SELECT s.day, s.state, CAST(COUNT(*) AS BIGINT), CAST(SUM(s.score) AS BIGINT)
         FROM readiness_snapshots s";
    let rows = match portfolio {
        None => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{base} WHERE s.firm_id = $1 AND s.day >= $2 AND s.day <= $3 GROUP BY s.day, s.state ORDER BY s.day"
            )))
            .bind(firm_id)
            .bind(to_db_date(from))
            .bind(to_db_date(to))
            .fetch_all(&mut *conn)
            .await?
        }
        Some(name) => {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "{base} JOIN dossiers d ON d.id = s.dossier_id AND d.firm_id = s.firm_id
                 JOIN portfolios p ON p.id = d.portfolio_id AND p.firm_id = d.firm_id
                 WHERE s.firm_id = $1 AND s.day >= $2 AND s.day <= $3 AND p.name = $4
                 GROUP BY s.day, s.state ORDER BY s.day"
            )))
            .bind(firm_id)
            .bind(to_db_date(from))
            .bind(to_db_date(to))
            .bind(name.to_string())
            .fetch_all(&mut *conn)
            .await?
        }
    };
    let mut points: Vec<(Point, i64)> = Vec::new();
    for r in &rows {
        let day: String = r.try_get(0)?;
        let day = from_db_date(&day).ok_or_else(|| StoreError::Corrupt(format!("day {day}")))?;
        let state: String = r.try_get(1)?;
        let count: i64 = r.try_get(2)?;
        let sum: i64 = r.try_get(3)?;
        if points.last().is_none_or(|(p, _)| p.day != day) {
            points.push((
                Point {
                    day,
                    dossiers: 0,
                    score: 0,
                    late: 0,
                    at_risk: 0,
                    on_track: 0,
                    ready: 0,
                },
                0,
            ));
        }
        let (point, total) = points.last_mut().expect("just pushed");
        point.dossiers += count;
        *total += sum;
        match State::from_code(&state) {
            Some(State::Late) => point.late += count,
            Some(State::AtRisk) => point.at_risk += count,
            Some(State::OnTrack) => point.on_track += count,
            Some(State::Ready) => point.ready += count,
            None => return Err(StoreError::Corrupt(format!("readiness state {state}"))),
        }
    }
    Ok(points
        .into_iter()
        .map(|(mut p, total)| {
            p.score = (total.checked_div(p.dossiers).unwrap_or(0)).clamp(0, 100) as u8;
            p
        })
        .collect())
}
