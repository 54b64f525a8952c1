//! `dossier D`: the dossier's card.

use super::dossier_named;
use crate::error::CommandResult;
use crate::{Caller, Core, Reply};
use cabready_store::anomalies::{self, Filter};
use cabready_store::calendar::{obligation_date, obligation_met, Obligation};
use cabready_store::clock::{paris_day, show_date};
use cabready_store::domain::{CategorySource, MandateKind, SizeCategory};
use cabready_store::readiness::{assess, inputs, ContactState};
use cabready_store::{invoices, mandates, Lang};

pub async fn run(core: &Core, caller: &Caller, query: &str) -> CommandResult {
    let lang = core.lang;
    let today = core.clock.today();
    let mut conn = core.store.pool().acquire().await?;
    let d = dossier_named(&mut conn, caller, query).await?;
    let reminders = cabready_store::outbox::for_dossier(&mut conn, caller.firm_id, d.id, 5).await?;
    let mut reminder_lines: Vec<String> = reminders
        .iter()
        .map(|r| {
            let at = r.sent_at.or(r.due_at).unwrap_or(r.created_at);
            // By its number (what `regler N` takes) and in words.
            format!(
                "{} — #{} {} ({})",
                cabready_store::clock::show_time(at, lang),
                r.id,
                cabready_mailer::cadence::Template::from_name(&r.template)
                    .map_or(r.template.as_str(), |t| t.label(lang)),
                r.state.label(lang)
            )
        })
        .collect();
    if reminder_lines.is_empty() {
        reminder_lines.push(lang.pick("aucune relance", "no reminder").to_string());
    }
    let r = &d.record;
    let none = lang.pick("non renseigné", "not set");
    let category = match r.category {
        Some((c, CategorySource::Override)) => {
            format!("{} ({})", c.label(), lang.pick("saisie", "set by hand"))
        }
        Some((c, CategorySource::Derived)) => {
            format!("{} ({})", c.label(), lang.pick("calculée", "derived"))
        }
        None => lang
            .pick(
                "inconnue : renseignez effectif et CA",
                "unknown: fill in headcount and turnover",
            )
            .into(),
    };
    let vat = match r.vat {
        Some(v) => match v.next {
            Some((next, from)) => format!(
                "{} → {} {} {}",
                v.declared.label(),
                next.label(),
                lang.pick("au", "from"),
                show_date(from, lang)
            ),
            None => v.declared.label().to_string(),
        },
        None => none.to_string(),
    };
    let mut mandate_lines = Vec::new();
    for kind in MandateKind::ALL {
        // A dossier created outside onboarding may lack a mandate row: not requested yet.
        let status = match mandates::status(&mut conn, caller.firm_id, d.id, kind).await {
            Err(cabready_store::StoreError::NotFound { .. }) => {
                cabready_store::domain::MandateStatus::NotRequested
            }
            other => other?,
        };
        mandate_lines.push(format!(
            "{}{}{}",
            kind.label(lang),
            lang.colon(),
            status.label(lang)
        ));
    }
    let platform = match &d.platform {
        Some((name, state)) => format!("{name} — {}", state.label(lang)),
        None => match lang {
            Lang::Fr => format!(
                "aucune plateforme choisie (à enregistrer : plateforme {} NOM)",
                r.code
            ),
            Lang::En => format!("no platform chosen (to record: platform {} NAME)", r.code),
        },
    };
    let open = anomalies::list(
        &mut conn,
        caller.firm_id,
        &Filter {
            dossier_code: Some(r.code.clone()),
            ..Default::default()
        },
        core.clock.now(),
    )
    .await?;
    let input = inputs::load(&mut conn, caller.firm_id, inputs::Scope::Dossier(d.id))
        .await?
        .into_iter()
        .next();
    let readiness = input.as_ref().map(|i| assess(i, &core.rules, today));
    let flows: Vec<String> = invoices::latest_for_dossier(&mut conn, caller.firm_id, d.id, 5)
        .await?
        .iter()
        .map(|i| {
            let status = i
                .current
                .map(|(code, at)| {
                    format!("{} ({})", code.label(lang), show_date(paris_day(at), lang))
                })
                .unwrap_or_else(|| "—".into());
            format!(
                "{} {} — {} — {status}",
                i.direction.label(lang),
                i.invoice_number,
                i.platform
            )
        })
        .collect();
    let flows = if flows.is_empty() {
        vec![lang
            .pick("aucun flux importé", "no flow imported")
            .to_string()]
    } else {
        flows
    };
    let anomaly_lines: Vec<String> = open
        .iter()
        .take(10)
        .map(|a| super::anomalies::line(a, lang, core.clock.now()))
        .collect();
    let anomaly_lines = if anomaly_lines.is_empty() {
        vec![lang.pick("aucune", "none").to_string()]
    } else {
        anomaly_lines
    };
    // A VAT group brings emission forward to 2026 whatever the size: say
    // so, or a PME's date looks wrong.
    let by_group =
        r.flags.vat_group && !matches!(r.category, Some((SizeCategory::Ge | SizeCategory::Eti, _)));
    let why = |o: Obligation| match o {
        Obligation::Emission | Obligation::EReporting if by_group => {
            lang.pick(" (groupe TVA)", " (VAT group)")
        }
        _ => "",
    };
    // What readiness measures (docs/READINESS.md), and, once met, whether
    // an open anomaly of the queue says the flows have stopped since: the
    // card must not call "en règle" what the queue calls critical.
    let verdict = |o: Obligation, from| {
        if !obligation_met(&d, o) {
            let missing = match o {
                Obligation::Reception => lang
                    .pick(
                        "aucune plateforme inscrite à l'annuaire",
                        "no platform in the directory",
                    )
                    .to_string(),
                Obligation::Emission => match lang {
                    Lang::Fr => format!("aucune facture émise depuis le {}", show_date(from, lang)),
                    Lang::En => format!("no invoice emitted since {}", show_date(from, lang)),
                },
                _ => lang
                    .pick("plateforme pas en production", "platform not live")
                    .to_string(),
            };
            return format!(
                "{}{}{missing}",
                lang.pick("À RÉGULARISER", "NOT MET"),
                lang.colon()
            );
        }
        let stopped = match o {
            Obligation::Reception => Some("no_reception_flow"),
            Obligation::Emission => Some("no_emission"),
            _ => None,
        };
        match stopped.and_then(|rule| open.iter().find(|a| a.rule == rule)) {
            Some(a) => format!(
                "{}{}{} (#{})",
                lang.pick("À VÉRIFIER", "TO CHECK"),
                lang.colon(),
                match o {
                    Obligation::Reception => {
                        lang.pick("aucune facture reçue", "no invoice received")
                    }
                    _ => lang.pick("plus aucune facture émise", "no invoice emitted lately"),
                },
                a.id
            ),
            None => lang.pick("en règle", "met").to_string(),
        }
    };
    let obligations: Vec<String> = [
        Obligation::Reception,
        Obligation::Emission,
        Obligation::EReporting,
    ]
    .into_iter()
    .map(|o| match obligation_date(&d, o) {
        Some(date) if date <= today => format!(
            "{}{}{} {}{} — {}",
            o.label(lang),
            lang.colon(),
            lang.pick("en vigueur depuis le", "in force since"),
            show_date(date, lang),
            why(o),
            verdict(o, date)
        ),
        Some(date) => format!(
            "{}{}{} {}{}",
            o.label(lang),
            lang.colon(),
            lang.pick("à partir du", "from"),
            show_date(date, lang),
            why(o)
        ),
        None if o == Obligation::EReporting => format!(
            "{}{}{}",
            o.label(lang),
            lang.colon(),
            lang.pick(
                "hors champ déclaré (ni B2C ni international)",
                "out of declared scope"
            )
        ),
        None => format!(
            "{}{}{}",
            o.label(lang),
            lang.colon(),
            lang.pick(
                "date inconnue (catégorie manquante)",
                "unknown date (category missing)"
            )
        ),
    })
    .collect();
    let contact = r
        .contact
        .as_ref()
        .map(|c| {
            // Reminders do not reach it: say why, where it is read.
            let unreachable = match input.as_ref().map(|i| i.contact) {
                Some(ContactState::Bounced) => {
                    lang.pick(" — adresse en erreur", " — address bounced")
                }
                Some(ContactState::OptedOut) => lang.pick(
                    " — ne veut plus de relances (STOP)",
                    " — wants no more reminders (STOP)",
                ),
                _ => "",
            };
            format!("{} <{}>{unreachable}", c.name, c.email)
        })
        .unwrap_or_else(|| none.to_string());
    let owner = format!(
        "{} / {}",
        r.portfolio.as_deref().unwrap_or("—"),
        r.owner
            .as_ref()
            .map(|o| o.to_string())
            .unwrap_or_else(|| "—".into())
    );
    Ok(Reply::info(format!("{} — {}", r.code, r.legal_name))
        .field("SIREN", r.siren.to_string())
        .field(lang.pick("Catégorie", "Category"), category)
        .field(lang.pick("Régime de TVA", "VAT regime"), vat)
        .field(
            lang.pick("Portefeuille / collaborateur", "Portfolio / accountant"),
            owner,
        )
        .field("Contact", contact)
        .field(lang.pick("Plateforme", "Platform"), platform)
        .field(
            lang.pick("Préparation", "Readiness"),
            readiness
                .map(|r| format!("{}/100 — {}", r.score, r.state.label(lang)))
                .unwrap_or_default(),
        )
        .section(lang.pick("Obligations", "Obligations"), obligations)
        .section(lang.pick("Mandats", "Mandates"), mandate_lines)
        .section(lang.pick("Derniers flux", "Latest flows"), flows)
        .section(
            format!(
                "{} ({})",
                lang.pick("Anomalies ouvertes", "Open anomalies"),
                open.len()
            ),
            anomaly_lines,
        )
        .section(lang.pick("Relances", "Reminders"), reminder_lines)
        .actions_if(
            // Offered only to whoever may change the mandate.
            d.delegation == cabready_store::domain::MandateStatus::ReceivedToVerify
                && caller.may_act_on(&d, lang).is_ok(),
            &[
                (
                    lang.pick("Valider le mandat reçu", "Validate the received mandate"),
                    format!("mandat {} signé", r.code),
                ),
                (
                    lang.pick("Rejeter le mandat reçu", "Reject the received mandate"),
                    format!(
                        "mandat {} demandé {}",
                        r.code,
                        lang.pick("document non conforme", "document not compliant")
                    ),
                ),
            ],
        )
        .action(lang.pick("Journal", "Log"), format!("journal {}", r.code))
        .action(
            lang.pick("Préparation", "Readiness"),
            format!("pret {}", r.code),
        ))
}
