//! Finding the dossier a user means: its code, its SIREN, or part of its
//! name; an unknown dossier gets the closest suggestions.

use cabready_store::domain::{fold, Siren};
use cabready_store::dossiers::{self, Dossier};
use cabready_store::StoreResult;
use sqlx::AnyConnection;

// One copy of "vouliez-vous dire", for the chat and the import.
pub use cabready_store::domain::{closest, distance};

pub enum Found {
    One(Box<Dossier>),
    /// Several dossiers match a part of a name: (code, name), sorted.
    Several(Vec<(String, String)>),
    /// Nothing matches: the closest (code, name), best first.
    None(Vec<(String, String)>),
}

pub async fn find_dossier(
    conn: &mut AnyConnection,
    firm_id: i64,
    query: &str,
) -> StoreResult<Found> {
    let query = query.trim();
    if let Some(d) = dossiers::find_by_code(conn, firm_id, query).await? {
        return Ok(Found::One(Box::new(d)));
    }
    if let Ok(siren) = Siren::parse(query) {
        if let Some(d) = dossiers::find_by_siren(conn, firm_id, &siren).await? {
            return Ok(Found::One(Box::new(d)));
        }
    }
    let wanted = fold(query);
    let names = dossiers::codes_and_names(conn, firm_id).await?;
    if let Some((code, _)) = names.iter().find(|(code, _)| fold(code) == wanted) {
        return one(conn, firm_id, code).await;
    }
    let mut matching: Vec<(String, String)> = names
        .iter()
        // A part of the name, or the start of a code ("D00": D001 to D009).
        .filter(|(code, name)| {
            !wanted.is_empty() && (fold(name).contains(&wanted) || fold(code).starts_with(&wanted))
        })
        .cloned()
        .collect();
    match matching.len() {
        1 => one(conn, firm_id, &matching[0].0).await,
        0 => {
            let mut scored: Vec<(usize, &(String, String))> = names
                .iter()
                .map(|entry| {
                    let by_code = distance(&wanted, &fold(&entry.0));
                    let folded_name = fold(&entry.1);
                    // Compare with the name's words too, so "tilleul" finds "Garage des Tilleuls".
                    let by_word = folded_name
                        .split('_')
                        .map(|w| distance(&wanted, w))
                        .min()
                        .unwrap_or(usize::MAX);
                    (
                        by_code.min(by_word).min(distance(&wanted, &folded_name)),
                        entry,
                    )
                })
                .collect();
            scored.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(b.1)));
            let limit = (wanted.chars().count() / 3).max(2);
            Ok(Found::None(
                scored
                    .into_iter()
                    .filter(|(d, _)| *d <= limit)
                    .take(3)
                    .map(|(_, e)| e.clone())
                    .collect(),
            ))
        }
        _ => {
            matching.sort();
            Ok(Found::Several(matching))
        }
    }
}

async fn one(conn: &mut AnyConnection, firm_id: i64, code: &str) -> StoreResult<Found> {
    Ok(match dossiers::find_by_code(conn, firm_id, code).await? {
        Some(d) => Found::One(Box::new(d)),
        None => Found::None(Vec::new()),
    })
}
