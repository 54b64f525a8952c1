//! `mandats [en-retard] [portefeuille P]` and `mandat D [type] statut [note]`.

use super::{dossier_named, dossiers_in_scope};
use crate::error::{CommandError, CommandResult};
use crate::parse::Scope;
use crate::{Caller, Core, Reply};
use cabready_store::calendar::{dossier_calendar, Item, Milestone};
use cabready_store::domain::{MandateKind, MandateStatus};
use cabready_store::journal::Actor;
use cabready_store::mandates::{self, Transition};

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
            let due = dossier_calendar(d, &core.rules)
                .into_iter()
                .find(|due| due.item == Item::Milestone(Milestone::MandateSigned))
                .map(|due| due.date);
            let late = due.is_some_and(|date| date < today);
            if late_only && !late {
                return None;
            }
            let when = match due {
                Some(date) if late => format!(
                    " — {} {} {}",
                    lang.pick("en retard de", "late by"),
                    (today - date).num_days(),
                    lang.pick("j", "days")
                ),
                Some(date) => format!(
                    " — {} {}",
                    lang.pick("attendu avant le", "due before"),
                    cabready_store::clock::french_date(date)
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
    let mut command = String::from("mandats");
    if late_only {
        command.push_str(" en-retard");
    }
    if let Some(p) = &portfolio {
        command.push_str(&format!(" portefeuille {p}"));
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
