//! `relancer D`: chase a client now. The dossier's next reminder goes into
//! the outbox, due at the next sending slot (working hours, Europe/Paris);
//! `cabready serve` (or `cabready remind`) sends it. The cadence's stop
//! rules still apply: mandate received, opt-out, bounced address, and at
//! most one message per contact per N days. A client's reply waiting for a
//! person does not stop it: asking for a reminder is that person's decision.
//!
//! `regler N envoyee|non-envoyee`: a person settles a reminder whose
//! sending was interrupted (`unknown`), as `cabready remind settle` does.

use super::dossier_named;
use crate::error::{CommandError, CommandResult};
use crate::{Caller, Core, Reply};
use cabready_mailer::cadence::{Decision, Why};
use cabready_store::clock::{paris_day, show_date};
use cabready_store::journal::Actor;
use cabready_store::Lang;

/// `25/11/2026 à 10:00`, `25 Nov 2026 at 10:00`.
fn paris(at: chrono::DateTime<chrono::Utc>, lang: Lang) -> String {
    let (day, time) = (paris_day(at), at.with_timezone(&chrono_tz::Europe::Paris));
    format!(
        "{} {} {}",
        show_date(day, lang),
        lang.pick("à", "at"),
        time.format("%H:%M")
    )
}

pub async fn run(core: &Core, caller: &Caller, query: &str) -> CommandResult {
    let lang = core.lang;
    let mut conn = core.store.pool().acquire().await?;
    let dossier = dossier_named(&mut conn, caller, query).await?;
    drop(conn);
    caller
        .may_act_on(&dossier, lang)
        .map_err(CommandError::Refused)?;
    let card = (
        format!("{} {}", lang.pick("Fiche", "Card"), dossier.record.code),
        format!("dossier {}", dossier.record.code),
    );
    let Some(mailer) = &core.mailer else {
        return Ok(Reply::error(
            lang.pick("Relance non envoyée", "Reminder not sent"),
            lang.pick(
                "L'envoi des e-mails n'est pas configuré sur ce serveur : rien n'a été envoyé.",
                "Email is not set up on this server: nothing was sent.",
            ),
        )
        .action(card.0, card.1));
    };
    let actor = Actor::User(caller.email().to_string());
    let line = mailer
        .plan_now(
            &core.store,
            caller.firm_id,
            &dossier,
            lang,
            &actor,
            core.clock.now(),
        )
        .await
        .map_err(|e| {
            tracing::error!(error = %format!("{e:#}"), "relancer: planning failed");
            match e.downcast::<cabready_store::StoreError>() {
                Ok(store) => CommandError::Store(store),
                Err(other) => {
                    CommandError::Store(cabready_store::StoreError::Corrupt(format!("{other:#}")))
                }
            }
        })?;
    let who = line.contact.clone().unwrap_or_default();
    let reply = match (&line.decision, &line.planned) {
        (Decision::Send { template, why, .. }, Some(reminder)) => {
            let at = reminder.due_at.unwrap_or_else(|| core.clock.now());
            // Why not sooner, when the contact's rest or the client's hold set the date.
            let when = match why {
                Why::ContactRested(_) | Why::Held(_) => why.text(lang),
                _ => lang.pick("jours et heures ouvrés", "working days and hours").to_string(),
            };
            Reply::info(lang.pick("Relance prévue", "Reminder planned")).with_description(match lang {
                Lang::Fr => format!(
                    "« {} » partira à {who} le {} ({when}), avec la référence [CabReady {}].",
                    template.label(lang),
                    paris(at, lang),
                    dossier.record.code
                ),
                Lang::En => format!(
                    "'{}' will go to {who} on {} ({when}), tagged [CabReady {}].",
                    template.label(lang),
                    paris(at, lang),
                    dossier.record.code
                ),
            })
        }
        (Decision::Send { .. }, None) => Reply::info(lang.pick("Relance déjà prévue", "Reminder already planned"))
            .with_description(lang.pick(
                "Une relance de ce dossier est déjà prévue ou en cours d'envoi : rien de plus n'a été ajouté.",
                "A reminder for this dossier is already planned or being sent: nothing more was added.",
            )),
        (Decision::Stop(why), _) => Reply::error(lang.pick("Pas de relance", "No reminder"), why.text(lang)),
        (Decision::Escalate { reminders }, _) => Reply::error(
            lang.pick("Relances sans réponse", "Reminders unanswered"),
            match lang {
                Lang::Fr => format!("{reminders} relance(s) sont restées sans réponse : appelez le client plutôt qu'un nouvel e-mail."),
                Lang::En => format!("{reminders} reminder(s) went unanswered: call the client rather than send another email."),
            },
        ),
        (Decision::Wait { why, .. }, _) => Reply::error(lang.pick("Pas de relance", "No reminder"), why.text(lang)),
    };
    Ok(reply.action(card.0, card.1))
}

/// `regler N envoyee|non-envoyee`.
pub async fn settle(core: &Core, caller: &Caller, id: i64, sent: bool) -> CommandResult {
    let lang = core.lang;
    let now = core.clock.now();
    let mut tx = core.store.begin().await?;
    let reminder = cabready_store::outbox::get(&mut tx, caller.firm_id, id).await?;
    let dossier =
        cabready_store::dossiers::find_by_id(&mut tx, caller.firm_id, reminder.dossier_id)
            .await?
            .ok_or(cabready_store::StoreError::NotFound {
                what: "dossier",
                key: reminder.dossier_id.to_string(),
            })?;
    caller
        .may_act_on(&dossier, lang)
        .map_err(CommandError::Refused)?;
    let due = core
        .mailer
        .as_ref()
        .map(|m| cabready_mailer::cadence::window(&m.cadence).next_slot(now))
        .unwrap_or(now);
    let actor = Actor::User(caller.email().to_string());
    let moved =
        cabready_store::outbox::settle(&mut tx, caller.firm_id, id, sent, due, &actor, now).await?;
    tx.commit().await?;
    let card = (
        format!("{} {}", lang.pick("Fiche", "Card"), dossier.record.code),
        format!("dossier {}", dossier.record.code),
    );
    let reply = if !moved {
        Reply::error(
            lang.pick("Rien à régler", "Nothing to settle"),
            match lang {
                Lang::Fr => format!(
                    "La relance {id} n'est pas « à vérifier » (elle est {}) : rien n'a changé.",
                    reminder.state.label(lang)
                ),
                Lang::En => format!(
                    "Reminder {id} is not \"to check\" (it is {}): nothing changed.",
                    reminder.state.label(lang)
                ),
            },
        )
    } else if sent {
        Reply::info(lang.pick("Relance réglée : envoyée", "Reminder settled: sent"))
            .with_description(lang.pick(
                "Marquée envoyée ; le mandat suit comme pour un envoi normal.",
                "Marked sent; the mandate moves as for a normal send.",
            ))
    } else {
        Reply::info(lang.pick(
            "Relance réglée : à renvoyer",
            "Reminder settled: to send again",
        ))
        .with_description(match lang {
            Lang::Fr => format!("Elle repartira le {}.", paris(due, lang)),
            Lang::En => format!("It will go again on {}.", paris(due, lang)),
        })
    };
    Ok(reply.action(card.0, card.1))
}
