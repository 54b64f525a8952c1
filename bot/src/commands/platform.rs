//! `plateforme D NOM [état] [correction]`: records the dossier's approved
//! platform (plateforme agréée) and how far the dossier is on it. Without a
//! state, "choisie". On the same platform a state only moves forward (the
//! store's rule); going back is a correction, said as such.

use super::dossier_named;
use crate::error::{CommandError, CommandResult};
use crate::{Caller, Core, Reply};
use cabready_store::anomalies::{self, Filter};
use cabready_store::domain::{fold, PlatformState};
use cabready_store::journal::Actor;
use cabready_store::platforms::{self, PlatformChange};
use cabready_store::Lang;

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
    let (platform, before) = match change {
        PlatformChange::Set {
            platform, before, ..
        } => (platform, before),
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
    // Anomalies this change answers ("invoices received through X while
    // another or no platform is recorded"): the rules close them at their
    // next evaluation; say so, and offer to resolve them now.
    let answered: Vec<(i64, String)> = anomalies::list(
        &mut tx,
        caller.firm_id,
        &Filter {
            dossier_code: Some(code.clone()),
            rule: Some("other_platform".into()),
            ..Default::default()
        },
        now,
    )
    .await?
    .into_iter()
    .filter(|a| fold(a.details["platform"].as_str().unwrap_or_default()) == fold(&platform))
    .map(|a| (a.id, a.describe(lang)))
    .collect();
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
    let mut reply = Reply::success(title("Plateforme enregistrée", "Platform recorded"))
        .with_description(description)
        .action(lang.pick("Fiche", "Card"), format!("dossier {code}"))
        .action(
            lang.pick("Préparation", "Readiness"),
            format!("pret {code}"),
        )
        .action(lang.pick("Journal", "Log"), format!("journal {code}"));
    if !answered.is_empty() {
        reply = reply.section(
            lang.pick(
                "Anomalies réglées par ce changement (fermées à la prochaine évaluation)",
                "Anomalies this change settles (closed at the next evaluation)",
            ),
            answered
                .iter()
                .map(|(id, text)| format!("#{id} — {text}"))
                .collect(),
        );
        for (id, _) in answered.iter().take(3) {
            reply = reply.action(
                format!("{} #{id}", lang.pick("résoudre", "resolve")),
                format!("resoudre {id}"),
            );
        }
    }
    Ok(reply)
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
