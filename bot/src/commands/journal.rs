//! `journal D [n]`: the latest journal lines of a dossier.

use super::dossier_named;
use crate::error::CommandResult;
use crate::{Caller, Core, Reply};
use cabready_store::anomalies::rules;
use cabready_store::clock::{from_db_date, from_db_time, show_date, show_time};
use cabready_store::domain::{MandateKind, MandateStatus, PlatformState, SizeCategory, VatRegime};
use cabready_store::journal::{self, JournalLine};
use cabready_store::{Lang, Said};
use serde_json::Value;

/// A journal line in words, for people: the chat's `journal D` and
/// `cabready anomalies show`. Codes become labels; an action this does not
/// know yet shows its code, never its raw details.
pub fn line_text(line: &JournalLine, lang: Lang) -> String {
    let d = &line.details;
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => "—".into(),
        other => other.to_string(),
    };
    let colon = lang.colon();
    let when = |v: &Value| {
        v.as_str()
            .and_then(from_db_time)
            .map(|at| show_time(at, lang))
            .unwrap_or_else(|| "—".into())
    };
    let mandate_status = |v: &Value| {
        v.as_str()
            .and_then(MandateStatus::from_code)
            .map_or_else(|| text(v), |s| s.label(lang).to_string())
    };
    let anomaly = |words_fr: &str, words_en: &str| {
        let id = line
            .entity_id
            .map(|id| format!(" #{id}"))
            .unwrap_or_default();
        match lang {
            Lang::Fr => format!("anomalie{id} {words_fr}"),
            Lang::En => format!("anomaly{id} {words_en}"),
        }
    };
    // A reminder by its number, the one `regler N` takes.
    let reminder = |words_fr: &str, words_en: &str| {
        let id = match (line.entity.as_str(), line.entity_id) {
            ("reminder", Some(id)) => format!(" #{id}"),
            _ => String::new(),
        };
        match lang {
            Lang::Fr => format!("relance{id} {words_fr}"),
            Lang::En => format!("reminder{id} {words_en}"),
        }
    };
    // A reason or a note: a person's words, or CabReady's in both languages.
    let with = |base: String, extra: &Value| match extra.as_str() {
        Some(e) if !e.trim().is_empty() => format!("{base}{colon}{}", Said::show(e, lang)),
        _ => base,
    };
    // What brought a change about, when the line knows it.
    let because = |base: String, cause: &Value| match cause.as_str() {
        Some(c) if !c.trim().is_empty() => format!("{base} ({})", Said::show(c, lang)),
        _ => base,
    };
    match line.action.as_str() {
        "mandate.status_changed" => format!(
            "{}{colon}{}{}",
            d["kind"]
                .as_str()
                .and_then(MandateKind::from_code)
                .map_or_else(|| text(&d["kind"]), |k| k.label(lang).to_string()),
            // A second reminder keeps "relancé", with its new date.
            match d["before"] == d["after"] {
                true => format!(
                    "{} {}",
                    mandate_status(&d["after"]),
                    lang.pick("à nouveau", "again")
                ),
                false => format!(
                    "{} → {}",
                    mandate_status(&d["before"]),
                    mandate_status(&d["after"])
                ),
            },
            d["note"]
                .as_str()
                .map(|n| format!(" ({})", Said::show(n, lang)))
                .unwrap_or_default()
        ),
        "dossier.updated" => {
            let fields: Vec<String> = d["changes"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| {
                            let value = |v: &Value| dossier_value(k, v, lang);
                            format!(
                                "{}{colon}{} → {}",
                                dossier_field(k, lang),
                                value(&v["before"]),
                                value(&v["after"])
                            )
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
        "platform.set" | "platform.removed" => {
            let state = |v: &Value| {
                v.as_str()
                    .and_then(PlatformState::from_code)
                    .map_or_else(|| text(v), |s| s.label(lang).to_string())
            };
            let (before, after) = (&d["before"], &d["after"]);
            let correction = if d["correction"].as_bool() == Some(true) {
                lang.pick(" (correction)", " (correction)")
            } else {
                ""
            };
            match (before["platform"].as_str(), after["platform"].as_str()) {
                (Some(was), None) => format!(
                    "{}{colon}{was} ({})",
                    lang.pick("plateforme retirée", "platform removed"),
                    state(&before["state"])
                ),
                (None, None) => lang
                    .pick("plateforme retirée", "platform removed")
                    .to_string(),
                (Some(was), Some(platform)) if was == platform => format!(
                    "{}{colon}{platform} ({} → {}){correction}",
                    lang.pick("plateforme", "platform"),
                    state(&before["state"]),
                    state(&after["state"])
                ),
                (Some(was), Some(platform)) => format!(
                    "{}{colon}{was} ({}) → {platform} ({})",
                    lang.pick("plateforme", "platform"),
                    state(&before["state"]),
                    state(&after["state"])
                ),
                (None, Some(platform)) => format!(
                    "{}{colon}{platform} ({})",
                    lang.pick("plateforme", "platform"),
                    state(&after["state"])
                ),
            }
        }
        "platform.test_flow" => lang
            .pick(
                "flux de test réussi sur la plateforme",
                "test flow succeeded on the platform",
            )
            .to_string(),
        // Not every message read is the client's: a bounce comes from a
        // mail server, an automatic reply from no one.
        "inbound.received" => with(
            match d["kind"].as_str() {
                Some("bounce") => lang.pick("retour en erreur lu", "bounce read"),
                Some("autoreply") => lang.pick("réponse automatique lue", "automatic reply read"),
                Some("unreadable") => {
                    lang.pick("message illisible reçu", "unreadable message received")
                }
                _ => lang.pick("réponse lue", "reply read"),
            }
            .to_string(),
            &d["outcome"],
        ),
        "inbound.triaged" => with(
            lang.pick("e-mail à trier", "email to sort").to_string(),
            &d["reason"],
        ),
        "inbound.triage_closed" => format!(
            "{} {} ({}){}",
            lang.pick("e-mail trié et rattaché, de", "email sorted and tied, from"),
            text(&d["sender"]),
            lang.quote(&text(&d["subject"])),
            match d["intent"].as_str() {
                Some(intent) => format!("{colon}{}", super::triage::intent_label(intent, lang)),
                None => String::new(),
            }
        ),
        "reminder.planned" => with(
            format!(
                "{} {}",
                reminder("prévue le", "planned for"),
                when(&d["due_at"])
            ),
            &d["reason"],
        ),
        "reminder.sending" => reminder("en cours d'envoi", "being sent"),
        "reminder.sent" => reminder("envoyée", "sent"),
        "reminder.failed" => format!(
            "{}{colon}{} ({} {})",
            reminder("non envoyée", "not sent"),
            text(&d["error"]),
            lang.pick("nouvel essai le", "next try on"),
            when(&d["retry_at"])
        ),
        "reminder.abandoned" => with(
            reminder(
                "abandonnée après des échecs d'envoi",
                "given up after failed sends",
            ),
            &d["error"],
        ),
        "reminder.cancelled" => with(reminder("annulée", "cancelled"), &d["reason"]),
        "reminder.recovered" | "reminder.settled" => {
            let after = d["after"].as_str().or(d["state"]["after"].as_str());
            match after {
                Some("sent") => reminder(
                    "interrompue : elle était partie",
                    "interrupted: it had gone",
                ),
                Some("planned") => {
                    reminder("interrompue : à renvoyer", "interrupted: to send again")
                }
                _ => reminder("interrompue : à vérifier", "interrupted: to check"),
            }
        }
        "reminder.held" => with(
            format!(
                "{} {}",
                lang.pick("relances suspendues jusqu'au", "reminders held until"),
                when(&d["not_before"])
            ),
            &d["reason"],
        ),
        "reminder.no_answer" => format!(
            "{} ({})",
            lang.pick(
                "relances sans réponse : envois automatiques arrêtés",
                "reminders unanswered: automatic sending stopped"
            ),
            text(&d["reminders"])
        ),
        "contact.bounced" => with(
            format!(
                "{} {}",
                lang.pick("adresse en erreur", "address bounced"),
                text(&d["email"])
            ),
            &d["reason"],
        ),
        "contact.opted_out" => with(
            format!(
                "{} {}",
                lang.pick("désinscription de", "opt-out of"),
                text(&d["email"])
            ),
            &d["reason"],
        ),
        "anomaly.opened" => format!(
            "{}{colon}{}{}",
            anomaly("ouverte", "opened"),
            rules::describe(d["rule"].as_str().unwrap_or_default(), &d["details"], lang),
            match d["assignee"].as_str() {
                Some(to) => format!(" — {} {to}", lang.pick("assignée à", "assigned to")),
                None => String::new(),
            }
        ),
        "anomaly.assigned" => match d["assignee"]["after"].as_str() {
            Some(to) => format!("{} {to}", anomaly("assignée à", "assigned to")),
            None => anomaly("désassignée", "unassigned"),
        },
        "anomaly.commented" => format!(
            "{}{colon}{}",
            anomaly("commentée", "commented"),
            lang.quote(&text(&d["comment"]))
        ),
        "anomaly.resolved" => with(anomaly("résolue", "resolved"), &d["note"]),
        "anomaly.dismissed" => with(anomaly("écartée", "dismissed"), &d["reason"]),
        "anomaly.auto_closed" => because(
            anomaly(
                "close d'elle-même : la condition a disparu",
                "closed by itself: the condition cleared",
            ),
            &d["cause"],
        ),
        "anomaly.reopened" => because(
            anomaly(
                "rouverte : la condition est revenue",
                "reopened: the condition is back",
            ),
            &d["cause"],
        ),
        "anomaly.updated" => format!(
            "{}{colon}{}",
            anomaly("mise à jour", "updated"),
            rules::describe(
                d["rule"].as_str().unwrap_or_default(),
                &d["details"]["after"],
                lang
            )
        ),
        "flux.imported" => format!(
            "{} {}{colon}{} {}, {} {}{}{}",
            lang.pick("flux importés de", "flows imported from"),
            text(&d["file"]),
            text(&d["new_invoices"]),
            lang.pick("nouvelle(s) facture(s)", "new invoice(s)"),
            text(&d["new_statuses"]),
            lang.pick("statut(s)", "status(es)"),
            match d["rejected_lines"].as_u64() {
                Some(n) if n > 0 => format!(
                    ", {n} {}",
                    lang.pick("ligne(s) rejetée(s)", "line(s) rejected")
                ),
                _ => String::new(),
            },
            match d["differing_invoices"].as_u64() {
                Some(n) if n > 0 => format!(
                    ", {n} {}",
                    lang.pick(
                        "facture(s) déjà connue(s) avec d'autres valeurs (gardées)",
                        "known invoice(s) given with other values (kept)"
                    )
                ),
                _ => String::new(),
            }
        ),
        "flux.undone" => format!(
            "{} {}{colon}{} {}, {} {}",
            lang.pick("import annulé :", "import undone:"),
            text(&d["file"]),
            text(&d["statuses_removed"]),
            lang.pick("statut(s) retiré(s)", "status(es) removed"),
            text(&d["invoices_removed"]),
            lang.pick("facture(s) retirée(s)", "invoice(s) removed"),
        ),
        "flux.dossier_undone" => format!(
            "{} {}",
            lang.pick("import annulé :", "import undone:"),
            text(&d["file"])
        ),
        "flux.dossier_imported" => format!(
            "{} {}{}",
            lang.pick("flux importés de", "flows imported from"),
            text(&d["file"]),
            match d["platform"].as_str() {
                Some(p) if !p.is_empty() => format!(" ({p})"),
                _ => String::new(),
            }
        ),
        other => other.to_string(),
    }
}

/// A dossier's field as the journal keeps it (`turnover_cents`), in words.
fn dossier_field(key: &str, lang: Lang) -> String {
    let (fr, en) = match key {
        "legal_name" => ("raison sociale", "legal name"),
        "siren" => ("SIREN", "SIREN"),
        "legal_form" => ("forme juridique", "legal form"),
        "headcount" => ("effectif", "headcount"),
        "turnover_cents" => ("chiffre d'affaires", "turnover"),
        "balance_sheet_cents" => ("total du bilan", "balance sheet total"),
        "category" => ("catégorie", "category"),
        "category_source" => ("origine de la catégorie", "category from"),
        "vat_regime" => ("régime de TVA", "VAT regime"),
        "vat_regime_next" => ("prochain régime de TVA", "next VAT regime"),
        "vat_regime_next_from" => ("prochain régime de TVA à partir du", "next VAT regime from"),
        "b2c" => ("ventes aux particuliers", "sales to consumers"),
        "international" => ("opérations internationales", "international operations"),
        "vat_group" => ("groupe TVA", "VAT group"),
        "debits_option" => ("option pour les débits", "option for debits"),
        "owner" => ("collaborateur", "accountant"),
        "portfolio" => ("portefeuille", "portfolio"),
        "tags" => ("étiquettes", "tags"),
        "contact_name" => ("contact", "contact"),
        "contact_email" => ("e-mail du contact", "contact's email"),
        other => return other.to_string(),
    };
    lang.pick(fr, en).to_string()
}

/// A dossier field's value in words: amounts in euros, codes as labels.
fn dossier_value(key: &str, value: &Value, lang: Lang) -> String {
    let code = value.as_str().unwrap_or_default();
    match (key, value) {
        (_, Value::Null) => "—".into(),
        (_, Value::Bool(yes)) => lang
            .pick(
                if *yes { "oui" } else { "non" },
                if *yes { "yes" } else { "no" },
            )
            .into(),
        ("turnover_cents" | "balance_sheet_cents", Value::Number(n)) => {
            let cents = n.as_i64().unwrap_or_default();
            let euros = cabready_store::readiness::text::euros(cents / 100, lang);
            match (cents % 100, lang) {
                (0, _) => euros,
                (rest, Lang::Fr) => euros.replace(" €", &format!(",{:02} €", rest.abs())),
                (rest, Lang::En) => format!("{euros}.{:02}", rest.abs()),
            }
        }
        ("headcount", Value::Number(n)) => {
            let text = n.as_f64().unwrap_or_default().to_string();
            match lang {
                Lang::Fr => text.replace('.', ","),
                Lang::En => text,
            }
        }
        ("category", _) => SizeCategory::from_code(code).map_or(code.into(), |c| c.label().into()),
        ("category_source", _) => match code {
            "derived" => lang
                .pick("calculée d'après les chiffres", "derived from the figures")
                .into(),
            "override" => lang.pick("imposée", "set by hand").into(),
            other => other.into(),
        },
        ("vat_regime" | "vat_regime_next", _) => {
            VatRegime::from_code(code).map_or(code.into(), |r| r.label().into())
        }
        ("vat_regime_next_from", _) => {
            from_db_date(code).map_or(code.into(), |d| show_date(d, lang))
        }
        (_, Value::String(s)) if s.is_empty() => "—".into(),
        (_, Value::String(s)) => s.clone(),
        (_, other) => other.to_string(),
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
                show_time(l.at, lang),
                l.actor,
                line_text(l, lang)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_import_says_the_known_invoices_it_found_with_other_values() {
        let line = JournalLine {
            id: 1,
            at: chrono::Utc::now(),
            actor_kind: "import".into(),
            actor: "v2.csv".into(),
            entity: "invoice_flow".into(),
            entity_id: None,
            dossier_id: None,
            action: "flux.imported".into(),
            details: json!({ "file": "v2.csv", "new_invoices": 0, "new_statuses": 2,
                "rejected_lines": 1, "differing_invoices": 1 }),
        };
        assert_eq!(
            line_text(&line, Lang::Fr),
            "flux importés de v2.csv : 0 nouvelle(s) facture(s), 2 statut(s), 1 ligne(s) rejetée(s), 1 facture(s) déjà connue(s) avec d'autres valeurs (gardées)"
        );
    }

    #[test]
    fn a_second_reminder_keeps_the_status_and_says_so() {
        let line = JournalLine {
            id: 1,
            at: chrono::Utc::now(),
            actor_kind: "system".into(),
            actor: "cabready".into(),
            entity: "mandate".into(),
            entity_id: Some(3),
            dossier_id: Some(3),
            action: "mandate.status_changed".into(),
            details: json!({ "kind": "delegation", "before": "reminded", "after": "reminded",
                "note": Said::new("relance #2 envoyée", "reminder #2 sent").stored() }),
        };
        assert_eq!(
            line_text(&line, Lang::Fr),
            "mandat de délégation : relancé à nouveau (relance #2 envoyée)"
        );
        assert_eq!(
            line_text(&line, Lang::En),
            "delegation mandate: reminded again (reminder #2 sent)"
        );
    }

    #[test]
    fn a_dossiers_changes_are_said_in_words() {
        let line = JournalLine {
            id: 1,
            at: chrono::Utc::now(),
            actor_kind: "user".into(),
            actor: "anne@cabinet.fr".into(),
            entity: "dossier".into(),
            entity_id: Some(3),
            dossier_id: Some(3),
            action: "dossier.updated".into(),
            details: json!({ "code": "C003", "changes": {
                "turnover_cents": { "before": 125_000_050, "after": 125_000_000 },
                "headcount": { "before": 9.0, "after": 12.5 },
                "category": { "before": "micro", "after": "pme" },
                "category_source": { "before": "derived", "after": "override" },
                "vat_group": { "before": false, "after": true },
                "contact_email": { "before": null, "after": "c@x.fr" },
            }}),
        };
        let fr = line_text(&line, Lang::Fr);
        for said in [
            "chiffre d'affaires : 1 250 000,50 € → 1 250 000 €",
            "effectif : 9 → 12,5",
            "catégorie : TPE/micro → PME",
            "origine de la catégorie : calculée d'après les chiffres → imposée",
            "groupe TVA : non → oui",
            "e-mail du contact : — → c@x.fr",
        ] {
            assert!(fr.contains(said), "{said}\n{fr}");
        }
        let en = line_text(&line, Lang::En);
        assert!(en.contains("turnover: €1,250,000.50 → €1,250,000"), "{en}");
        assert!(!en.contains("_cents") && !fr.contains("_cents"), "{en}");
    }
}
