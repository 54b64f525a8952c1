//! `mandats [en-retard] [portefeuille P]`, `mandat D` and `mandat D [type] statut [note]`.

use super::{dossier_named, dossiers_in_scope};
use crate::error::{CommandError, CommandResult};
use crate::parse::Scope;
use crate::{Caller, Core, Reply};
use cabready_store::calendar::{dossier_calendar, CalendarRules, Item, Milestone};
use cabready_store::clock::{paris_day, show_date};
use cabready_store::domain::{MandateKind, MandateStatus};
use cabready_store::dossiers::Dossier;
use cabready_store::journal::Actor;
use cabready_store::mandates::{self, Transition};
use cabready_store::readiness::text::by_when;
use cabready_store::Lang;
use chrono::NaiveDate;

pub async fn list(
    core: &Core,
    caller: &Caller,
    late_only: bool,
    portfolio: Option<String>,
    page: usize,
) -> CommandResult {
    let lang = core.lang;
    let today = core.clock.today();
    let mut conn = core.store.pool().acquire().await?;
    let scope = portfolio.clone().map(Scope::Portfolio);
    let (list, label) = dossiers_in_scope(core, &mut conn, caller, scope).await?;
    let not_signed = |s: MandateStatus| s != MandateStatus::Signed;
    let rows: Vec<String> = list
        .iter()
        .filter(|d| not_signed(d.delegation))
        .filter_map(|d| {
            let due = signature_due(d, &core.rules);
            let late = due.is_some_and(|date| date < today);
            if late_only && !late {
                return None;
            }
            let when = match due {
                Some(date) if late => match lang {
                    Lang::Fr => format!(" — en retard de {} j", (today - date).num_days()),
                    Lang::En => format!(" — {} days late", (today - date).num_days()),
                },
                Some(date) => format!(
                    " — {} {}",
                    lang.pick("attendu avant le", "due before"),
                    show_date(date, lang)
                ),
                None => String::new(),
            };
            Some(format!(
                "{} {} — {}{when}",
                d.record.code,
                d.record.legal_name,
                d.delegation.label(lang)
            ))
        })
        .collect();
    let mut reply = Reply::info(format!(
        "{} — {label}",
        lang.pick("Mandats de délégation", "Delegation mandates")
    ));
    for status in MandateStatus::ALL {
        let n = list.iter().filter(|d| d.delegation == status).count();
        if n > 0 {
            reply = reply.field(status.label(lang), n.to_string());
        }
    }
    let title = if late_only {
        lang.pick("En retard", "Late")
    } else {
        lang.pick("Non signés", "Not signed")
    };
    // The command as the reader types it, for "page 2".
    let mut command = String::from(lang.pick("mandats", "mandates"));
    if late_only {
        command.push_str(lang.pick(" en-retard", " late"));
    }
    if let Some(p) = &portfolio {
        command.push_str(&format!(" {} {p}", lang.pick("portefeuille", "portfolio")));
    }
    Ok(reply.paginated_section(title, rows, page, &command))
}

pub async fn change(
    core: &Core,
    caller: &Caller,
    query: &str,
    kind: MandateKind,
    status: MandateStatus,
    note: Option<&str>,
) -> CommandResult {
    let lang = core.lang;
    let mut tx = core.store.begin_write().await?;
    let dossier = dossier_named(&mut tx, caller, query).await?;
    caller
        .may_act_on(&dossier, lang)
        .map_err(CommandError::Refused)?;
    let actor = Actor::User(caller.email().to_string());
    let transition = Transition {
        kind,
        to: status,
        note,
    };
    let before = mandates::change_status(
        &mut tx,
        caller.firm_id,
        dossier.id,
        transition,
        &actor,
        core.clock.now(),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::success(format!(
        "{} — {} {}",
        lang.pick("Mandat mis à jour", "Mandate updated"),
        dossier.record.code,
        dossier.record.legal_name
    ))
    .with_description(format!(
        "{}{}{} → {}{}",
        kind.label(lang),
        lang.colon(),
        before.label(lang),
        status.label(lang),
        note.map(|n| format!(" ({n})")).unwrap_or_default()
    ))
    .action(
        lang.pick("Journal", "Log"),
        format!("journal {}", dossier.record.code),
    ))
}

/// `mandat D`: where each of the dossier's mandates stands, since when,
/// and for the delegation mandate the date the calendar expects it by.
pub async fn show(core: &Core, caller: &Caller, query: &str) -> CommandResult {
    let lang = core.lang;
    let today = core.clock.today();
    let mut conn = core.store.pool().acquire().await?;
    let dossier = match dossier_named(&mut conn, caller, query).await {
        Err(CommandError::DossierNotFound { .. }) if query.contains(' ') => {
            // "mandat D002 sgné": a dossier and a status we could not read
            // (after a kind, "mandat D002 délégation sgné", the status alone).
            let (first, word) = query.split_once(' ').unwrap_or((query, ""));
            let word = match word.split_once(' ') {
                Some((kind, rest)) if MandateKind::parse(kind).is_ok() => rest,
                _ => word,
            };
            if dossier_named(&mut conn, caller, first).await.is_ok() {
                let closest =
                    crate::lookup::closest(word, MandateStatus::ALL.iter().map(|s| s.label(lang)));
                let guess = match (closest, lang) {
                    (Some(label), Lang::Fr) => format!(" (vouliez-vous dire « {label} » ?)"),
                    (Some(label), Lang::En) => format!(" (did you mean '{label}'?)"),
                    (None, _) => String::new(),
                };
                return Err(CommandError::Invalid(match lang {
                    Lang::Fr => format!(
                        "« {word} » n'est pas un statut de mandat{guess} (non demandé, demandé, \
                         relancé, reçu à vérifier, signé, refusé, expiré) ; pour voir les mandats \
                         du dossier : mandat {first}"
                    ),
                    Lang::En => format!(
                        "'{word}' is not a mandate status{guess} (not requested, requested, \
                         reminded, received, signed, refused, expired); to see the dossier's \
                         mandates: mandate {first}"
                    ),
                }));
            }
            dossier_named(&mut conn, caller, query).await?
        }
        other => other?,
    };
    let code = &dossier.record.code;
    let mut reply = Reply::info(format!(
        "{} — {code} {}",
        lang.pick("Mandats", "Mandates"),
        dossier.record.legal_name
    ));
    for kind in MandateKind::ALL {
        let line = match mandates::timeline(&mut conn, caller.firm_id, dossier.id, kind).await? {
            None | Some((MandateStatus::NotRequested, _, None)) => {
                MandateStatus::NotRequested.label(lang).to_string()
            }
            Some((status, since, requested)) => {
                let mut line = format!(
                    "{} {} {}",
                    status.label(lang),
                    lang.pick("depuis le", "since"),
                    show_date(paris_day(since), lang)
                );
                // When it was first asked for, but for a request (its
                // "since" says it, or a later one after a refusal).
                if let Some(requested) = requested.filter(|_| status != MandateStatus::Requested) {
                    line.push_str(&format!(
                        " ({} {})",
                        lang.pick("première demande le", "first requested on"),
                        show_date(paris_day(requested), lang)
                    ));
                }
                line
            }
        };
        reply = reply.field(kind.label(lang), line);
    }
    if dossier.delegation != MandateStatus::Signed {
        if let Some(date) = signature_due(&dossier, &core.rules) {
            reply = reply.field(
                lang.pick("Signature attendue", "Signature due"),
                by_when(Some(date), today, lang),
            );
        }
    }
    Ok(reply
        .with_description(match lang {
            Lang::Fr => format!(
                "pour changer un statut : mandat {code} [désignation|facturation] statut [note]"
            ),
            Lang::En => {
                format!("to change a status: mandate {code} [designation|invoicing] status [note]")
            }
        })
        .action(lang.pick("Journal", "Log"), format!("journal {code}")))
}

/// The date the calendar expects the dossier's delegation mandate signed by.
fn signature_due(dossier: &Dossier, rules: &CalendarRules) -> Option<NaiveDate> {
    dossier_calendar(dossier, rules)
        .into_iter()
        .find(|due| due.item == Item::Milestone(Milestone::MandateSigned))
        .map(|due| due.date)
}
