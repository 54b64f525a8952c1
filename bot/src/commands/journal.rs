//! `journal D [n]`: the latest journal lines of a dossier.

use super::dossier_named;
use crate::error::CommandResult;
use crate::{Caller, Core, Reply};
use cabready_store::journal::{self, JournalLine};
use cabready_store::Lang;
use chrono_tz::Europe::Paris;
use serde_json::Value;

fn summary(line: &JournalLine, lang: Lang) -> String {
    let d = &line.details;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    };
    match line.action.as_str() {
        "mandate.status_changed" => format!(
            "{} {} : {} → {}{}",
            lang.pick("mandat", "mandate"),
            text(&d["kind"]),
            text(&d["before"]),
            text(&d["after"]),
            d["note"]
                .as_str()
                .map(|n| format!(" ({n})"))
                .unwrap_or_default()
        ),
        "dossier.updated" => {
            let fields: Vec<String> = d["changes"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            format!("{k} : {} → {}", text(&v["before"]), text(&v["after"]))
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!(
                "{} ({})",
                lang.pick("dossier modifié", "dossier updated"),
                fields.join(", ")
            )
        }
        "dossier.created" => lang.pick("dossier créé", "dossier created").to_string(),
        "platform.set" => format!(
            "{} : {} ({})",
            lang.pick("plateforme", "platform"),
            text(&d["after"]["platform"]),
            text(&d["after"]["state"])
        ),
        "inbound.triage_closed" => format!(
            "{} {} (« {} »){}",
            lang.pick("e-mail trié et rattaché, de", "email sorted and tied, from"),
            text(&d["sender"]),
            text(&d["subject"]),
            match d["intent"].as_str() {
                Some(intent) => format!(" : {}", super::triage::intent_label(intent, lang)),
                None => String::new(),
            }
        ),
        other => format!("{other} {d}"),
    }
}

pub async fn run(core: &Core, caller: &Caller, query: &str, count: i64) -> CommandResult {
    let lang = core.lang;
    let mut conn = core.store.pool().acquire().await?;
    let dossier = dossier_named(&mut conn, caller, query).await?;
    let lines = journal::for_dossier(&mut conn, caller.firm_id, dossier.id, count).await?;
    let items: Vec<String> = lines
        .iter()
        .map(|l| {
            format!(
                "{} — {} — {}",
                l.at.with_timezone(&Paris).format("%d/%m/%Y %H:%M"),
                l.actor,
                summary(l, lang)
            )
        })
        .collect();
    Ok(Reply::info(format!(
        "{} — {} {}",
        lang.pick("Journal", "Log"),
        dossier.record.code,
        dossier.record.legal_name
    ))
    .section(
        format!(
            "{} {}",
            items.len(),
            lang.pick("dernière(s) action(s)", "latest action(s)")
        ),
        items,
    ))
}
