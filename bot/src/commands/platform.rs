//! `plateforme D NOM [état] [correction]`: records the dossier's approved
//! platform (plateforme agréée) and how far the dossier is on it. Without a
//! state, "choisie". On the same platform a state only moves forward (the
//! store's rule); going back is a correction, said as such.
//! `plateforme D aucune` removes it (recorded on the wrong dossier).
//! Either way the store runs the `other_platform` rule again for the
//! dossier in the same transaction; the reply says what it closed and opened.

use super::dossier_named;
use crate::error::{CommandError, CommandResult};
use crate::{Caller, Core, Reply};
use cabready_store::anomalies::{self, DossierOutcome};
use cabready_store::domain::PlatformState;
use cabready_store::journal::Actor;
use cabready_store::platforms::{self, PlatformChange, PlatformRemoval};
use cabready_store::Lang;
use sqlx::AnyConnection;

pub async fn change(
    core: &Core,
    caller: &Caller,
    query: &str,
    platform: &str,
    state: Option<PlatformState>,
    correction: bool,
) -> CommandResult {
    let lang = core.lang;
    let mut tx = core.store.begin_write().await?;
    let dossier = dossier_named(&mut tx, caller, query).await?;
    caller
        .may_act_on(&dossier, lang)
        .map_err(CommandError::Refused)?;
    let actor = Actor::User(caller.email().to_string());
    let (id, code) = (dossier.id, dossier.record.code.clone());
    let wanted = state.unwrap_or(PlatformState::Chosen);
    let now = core.clock.now();
    let change = if correction {
        platforms::correct_for_dossier(&mut tx, caller.firm_id, id, platform, wanted, &actor, now)
            .await?
    } else {
        platforms::set_for_dossier(&mut tx, caller.firm_id, id, platform, wanted, &actor, now)
            .await?
    };
    let title = |fr: &str, en: &str| {
        format!(
            "{} — {code} {}",
            lang.pick(fr, en),
            dossier.record.legal_name
        )
    };
    let state_word = |s: PlatformState| lang.quote(s.label(lang));
    // The same again, or no state said while the dossier is further on the
    // platform: nothing to do, and nothing was written.
    let already = |platform: &str, current: PlatformState| {
        Reply::info(title("Rien à changer", "Nothing to change"))
            .with_description(match lang {
                Lang::Fr => format!(
                    "le dossier {code} a déjà la plateforme {platform}, {} : rien à changer",
                    state_word(current)
                ),
                Lang::En => format!(
                    "dossier {code} already has platform {platform}, {}: nothing to change",
                    state_word(current)
                ),
            })
            .action(lang.pick("Fiche", "Card"), format!("dossier {code}"))
    };
    let (platform, before, outcome) = match change {
        PlatformChange::Set {
            platform,
            before,
            anomalies,
            ..
        } => (platform, before, anomalies),
        PlatformChange::Unchanged {
            platform,
            state: current,
        } => return Ok(already(&platform, current)),
        PlatformChange::AlreadyFurther {
            platform,
            state: current,
        } if state.is_none() => return Ok(already(&platform, current)),
        PlatformChange::AlreadyFurther {
            platform,
            state: current,
        } => {
            let fix = format!(
                "{} {code} {} {} correction",
                lang.pick("plateforme", "platform"),
                quoted(&platform),
                wanted_word(wanted, lang)
            );
            return Err(CommandError::Invalid(match lang {
                Lang::Fr => format!(
                    "le dossier {code} est déjà {} sur {platform} : un état ne revient pas en arrière (vers {}). S'il s'agit d'une erreur de saisie : {fix}",
                    state_word(current),
                    state_word(wanted)
                ),
                Lang::En => format!(
                    "dossier {code} is already {} on {platform}: a state does not go back (to {}). If it was a mistake: {fix}",
                    state_word(current),
                    state_word(wanted)
                ),
            }));
        }
    };
    let sections = anomaly_sections(&mut tx, caller, &outcome, lang).await?;
    tx.commit().await?;
    let description = match &before {
        None => format!("{platform} — {}", wanted.label(lang)),
        Some((previous, previous_state)) if *previous == platform => format!(
            "{platform}{}{} → {}{}",
            lang.colon(),
            previous_state.label(lang),
            wanted.label(lang),
            if *previous_state > wanted {
                lang.pick(" (correction)", " (correction)")
            } else {
                ""
            }
        ),
        Some((previous, previous_state)) => format!(
            "{previous} ({}) → {platform} ({})",
            previous_state.label(lang),
            wanted.label(lang)
        ),
    };
    let reply = Reply::success(title("Plateforme enregistrée", "Platform recorded"))
        .with_description(description);
    Ok(finish(reply, sections, &code, &outcome, lang))
}

/// `plateforme D aucune`: the dossier's platform removed (recorded on the
/// wrong dossier), allowed to whoever may record one.
pub async fn remove(core: &Core, caller: &Caller, query: &str) -> CommandResult {
    let lang = core.lang;
    let mut tx = core.store.begin_write().await?;
    let dossier = dossier_named(&mut tx, caller, query).await?;
    caller
        .may_act_on(&dossier, lang)
        .map_err(CommandError::Refused)?;
    let actor = Actor::User(caller.email().to_string());
    let code = dossier.record.code.clone();
    let title = |fr: &str, en: &str| {
        format!(
            "{} — {code} {}",
            lang.pick(fr, en),
            dossier.record.legal_name
        )
    };
    let removal = platforms::remove_for_dossier(
        &mut tx,
        caller.firm_id,
        dossier.id,
        &actor,
        core.clock.now(),
    )
    .await?;
    let PlatformRemoval::Removed {
        platform,
        state,
        anomalies,
    } = removal
    else {
        return Ok(Reply::info(title("Rien à changer", "Nothing to change"))
            .with_description(match lang {
                Lang::Fr => {
                    format!("le dossier {code} n'a pas de plateforme enregistrée : rien à retirer")
                }
                Lang::En => format!("dossier {code} has no platform recorded: nothing to remove"),
            })
            .action(lang.pick("Fiche", "Card"), format!("dossier {code}")));
    };
    let sections = anomaly_sections(&mut tx, caller, &anomalies, lang).await?;
    tx.commit().await?;
    let reply = Reply::success(title("Plateforme retirée", "Platform removed")).with_description(
        match lang {
            Lang::Fr => format!(
                "{platform} ({}) n'est plus la plateforme du dossier {code}",
                state.label(lang)
            ),
            Lang::En => format!(
                "{platform} ({}) is no longer dossier {code}'s platform",
                state.label(lang)
            ),
        },
    );
    Ok(finish(reply, sections, &code, &anomalies, lang))
}

/// The anomalies the rule, run again for the dossier, closed and opened,
/// and those still open (flows received elsewhere than the platform now
/// recorded): one section each, "#N — what it says".
async fn anomaly_sections(
    conn: &mut AnyConnection,
    caller: &Caller,
    outcome: &DossierOutcome,
    lang: Lang,
) -> Result<Vec<(String, Vec<String>)>, CommandError> {
    let reopened = lang.pick(" (rouverte)", " (reopened)");
    let mut opened: Vec<(i64, &str)> = outcome.opened.iter().map(|id| (*id, "")).collect();
    opened.extend(outcome.reopened.iter().map(|id| (*id, reopened)));
    opened.sort_unstable();
    let groups: [(&str, Vec<(i64, &str)>); 3] = [
        (
            lang.pick(
                "Anomalies closes par ce changement",
                "Anomalies this change closed",
            ),
            outcome.closed.iter().map(|id| (*id, "")).collect(),
        ),
        (
            lang.pick(
                "Anomalies ouvertes par ce changement",
                "Anomalies this change opened",
            ),
            opened,
        ),
        (
            lang.pick(
                "Toujours ouvertes (flux reçus via une autre plateforme)",
                "Still open (flows received through another platform)",
            ),
            outcome.still_open.iter().map(|id| (*id, "")).collect(),
        ),
    ];
    let mut sections = Vec::new();
    for (heading, ids) in groups {
        if ids.is_empty() {
            continue;
        }
        let mut items = Vec::with_capacity(ids.len());
        for (id, mark) in ids {
            let a = anomalies::get(conn, caller.firm_id, id).await?;
            items.push(format!("#{id} — {}{mark}", a.describe(lang)));
        }
        sections.push((heading.to_string(), items));
    }
    Ok(sections)
}

/// The reply's sections and its follow-ups: the card, readiness, the
/// journal, and the dossier's open anomalies when some are.
fn finish(
    mut reply: Reply,
    sections: Vec<(String, Vec<String>)>,
    code: &str,
    outcome: &DossierOutcome,
    lang: Lang,
) -> Reply {
    for (heading, items) in sections {
        reply = reply.section(heading, items);
    }
    reply = reply
        .action(lang.pick("Fiche", "Card"), format!("dossier {code}"))
        .action(
            lang.pick("Préparation", "Readiness"),
            format!("pret {code}"),
        )
        .action(lang.pick("Journal", "Log"), format!("journal {code}"));
    if !(outcome.opened.is_empty() && outcome.reopened.is_empty() && outcome.still_open.is_empty())
    {
        reply = reply.action(
            lang.pick("Anomalies du dossier", "The dossier's anomalies"),
            format!("anomalies dossier {code}"),
        );
    }
    reply
}

/// The state as the command takes it back, one word where possible.
fn wanted_word(state: PlatformState, lang: Lang) -> &'static str {
    match (state, lang) {
        (PlatformState::Chosen, Lang::Fr) => "choisie",
        (PlatformState::AccountOpen, Lang::Fr) => "\"compte ouvert\"",
        (PlatformState::DirectoryRegistered, Lang::Fr) => "annuaire",
        (PlatformState::Live, Lang::Fr) => "production",
        (PlatformState::Chosen, Lang::En) => "chosen",
        (PlatformState::AccountOpen, Lang::En) => "\"account open\"",
        (PlatformState::DirectoryRegistered, Lang::En) => "directory",
        (PlatformState::Live, Lang::En) => "live",
    }
}

fn quoted(name: &str) -> String {
    if name.contains(char::is_whitespace) {
        format!("\"{name}\"")
    } else {
        name.to_string()
    }
}
