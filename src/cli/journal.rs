//! `cabready journal`: the firm's action journal, read back for people or
//! exported for an audit (`--csv`), with the chat's words for each line.

use crate::AppContext;
use anyhow::{anyhow, Result};
use cabready_store::clock::{paris_day_start, show_time, to_db_time};
use cabready_store::journal::{self, Filter};
use cabready_store::{dossiers, users, Lang};
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this dossier's lines (code, SIREN or part of its name).
    #[arg(long)]
    dossier: Option<String>,
    /// From this day on (2026-11-01 or 01/11/2026, Paris time).
    #[arg(long)]
    since: Option<String>,
    /// Up to this day, included.
    #[arg(long)]
    until: Option<String>,
    /// Only what this person did: their email or name, or `cabready` for
    /// what CabReady did by itself.
    #[arg(long = "by")]
    by: Option<String>,
    /// How many lines at most: the latest ones (default 50).
    #[arg(long, default_value_t = 50)]
    limit: i64,
    /// Every field as CSV on standard output (time, author, dossier, action, text, details).
    #[arg(long)]
    csv: bool,
    /// The firm, when the database holds several.
    #[arg(long, env = "CABREADY_FIRM")]
    firm: Option<String>,
}

/// A day as a user writes it (ISO or French), its start in Paris.
fn day_start(raw: &str, option: &str, lang: Lang) -> Result<DateTime<Utc>> {
    let raw = raw.trim();
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .map_err(|_| {
            anyhow!(match lang {
                Lang::Fr => format!(
                    "{option} : date illisible « {raw} » (attendu : 2026-11-01 ou 01/11/2026)"
                ),
                Lang::En => format!(
                    "{option}: unreadable date '{raw}' (expected: 2026-11-01 or 01/11/2026)"
                ),
            })
        })?;
    Ok(paris_day_start(day))
}

/// CabReady's own words are kept in both languages, as a JSON text inside
/// the details: an audit file gets them as objects, not as text to parse twice.
fn bilingual_as_objects(value: Value) -> Value {
    match value {
        Value::String(s) if s.starts_with("{\"fr\":") => {
            serde_json::from_str(&s).unwrap_or(Value::String(s))
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (k, bilingual_as_objects(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(bilingual_as_objects).collect()),
        other => other,
    }
}

pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let lang = ctx.lang;
    let store = ctx.store().await?;
    let mut conn = store.pool().acquire().await?;
    let firm = super::firm_named(&mut conn, ctx, args.firm.as_deref()).await?;
    if args.limit < 1 {
        return Err(anyhow!(lang.pick(
            "--limit : un nombre entier ≥ 1 est attendu",
            "--limit: a whole number ≥ 1 is expected"
        )));
    }
    let dossier_id = match &args.dossier {
        Some(query) => Some(
            super::one_dossier(&mut conn, firm.id, query, lang)
                .await?
                .id,
        ),
        None => None,
    };
    let since = args
        .since
        .as_deref()
        .map(|d| day_start(d, "--since", lang))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|d| day_start(d, "--until", lang).map(|t| t + chrono::Duration::days(1)))
        .transpose()?;
    if let (Some(from), Some(to)) = (since, until) {
        if from >= to {
            return Err(anyhow!(lang.pick(
                "--since est après --until : aucune journée entre les deux",
                "--since is after --until: no day in between"
            )));
        }
    }
    let actor = match args.by.as_deref().map(str::trim) {
        None => None,
        Some(who) if cabready_store::domain::fold(who) == "cabready" => Some("cabready".into()),
        Some(who) => {
            let mut fitting = users::named(&mut conn, firm.id, who).await?;
            match fitting.len() {
                1 => Some(fitting.remove(0).record.email.as_str().to_string()),
                // An author the firm has no user for: a file, a client's address.
                _ if who.contains(['@', '.']) => Some(who.to_lowercase()),
                0 => {
                    return Err(anyhow!(match lang {
                        Lang::Fr => format!("--by : « {who} » n'est pas un utilisateur du cabinet (attendu : son e-mail ou son nom, ou « cabready »)"),
                        Lang::En => format!("--by: '{who}' is not a user of the firm (expected: their email or name, or 'cabready')"),
                    }))
                }
                _ => {
                    let emails: Vec<&str> =
                        fitting.iter().map(|u| u.record.email.as_str()).collect();
                    return Err(anyhow!(match lang {
                        Lang::Fr => format!("--by : « {who} » désigne plusieurs utilisateurs ({}) : donnez son e-mail", emails.join(", ")),
                        Lang::En => format!("--by: '{who}' fits several users ({}): give their email", emails.join(", ")),
                    }));
                }
            }
        }
    };
    // One more than asked: whether older lines remain.
    let mut lines = journal::list(
        &mut conn,
        firm.id,
        &Filter {
            dossier_id,
            since,
            until,
            actor,
            limit: args.limit + 1,
        },
    )
    .await?;
    let more = lines.len() as i64 > args.limit;
    if more {
        lines.remove(0);
    }
    let codes: HashMap<i64, String> = dossiers::list(&mut conn, firm.id, None)
        .await?
        .into_iter()
        .map(|d| (d.id, d.record.code))
        .collect();
    drop(conn);
    store.close().await;
    let code = |id: Option<i64>| {
        id.and_then(|id| codes.get(&id).cloned())
            .unwrap_or_default()
    };
    if args.csv {
        let mut out = csv::Writer::from_writer(std::io::stdout().lock());
        out.write_record(["at", "actor", "dossier", "action", "text", "details"])?;
        for l in &lines {
            out.write_record([
                to_db_time(l.at),
                l.actor.clone(),
                code(l.dossier_id),
                l.action.clone(),
                cabready_bot::journal_line_text(l, lang),
                bilingual_as_objects(l.details.clone()).to_string(),
            ])?;
        }
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }
    if lines.is_empty() {
        println!(
            "{}",
            lang.pick("Aucune ligne de journal.", "No journal line.")
        );
    }
    for l in &lines {
        let dossier = match code(l.dossier_id) {
            c if c.is_empty() => String::new(),
            c => format!("{c} — "),
        };
        println!(
            "{} — {} — {dossier}{}",
            show_time(l.at, lang),
            l.actor,
            cabready_bot::journal_line_text(l, lang)
        );
    }
    if more {
        println!(
            "{}",
            match lang {
                Lang::Fr if args.limit == 1 => {
                    "… la dernière ; il y en a d'autres avant : --limit pour en voir plus"
                        .to_string()
                }
                Lang::Fr => format!(
                    "… les {} dernières ; il y en a d'autres avant : --limit pour en voir plus",
                    args.limit
                ),
                Lang::En if args.limit == 1 => {
                    "… the latest one; there are older ones: --limit to see more".to_string()
                }
                Lang::En => format!(
                    "… the latest {}; there are older ones: --limit to see more",
                    args.limit
                ),
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cabready_store::Said;

    #[test]
    fn the_audit_file_gets_bilingual_texts_as_objects() {
        let cause = Said::new("règles réévaluées", "rules run again").stored();
        let details = serde_json::json!({ "cause": cause, "note": "vu", "list": [cause] });
        assert_eq!(
            bilingual_as_objects(details),
            serde_json::json!({
                "cause": { "fr": "règles réévaluées", "en": "rules run again" },
                "note": "vu",
                "list": [{ "fr": "règles réévaluées", "en": "rules run again" }],
            })
        );
    }
}
