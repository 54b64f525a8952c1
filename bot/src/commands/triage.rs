//! The reply worker's triage queue in chat: `atrier` lists the clients'
//! emails it could not tie to a reminder; `trier N D` ties one to its
//! dossier, `trier N ignorer raison` sets it aside. Sorting changes no
//! mandate: the sender was not recognised, so what the email asks or brings
//! is for the person to act on, and the reply offers the likely next step.

use super::dossier_named;
use crate::error::{CommandError, CommandResult};
use crate::parse::SortTarget;
use crate::{Caller, Core, Reply};
use cabready_store::clock::show_time;
use cabready_store::domain::Role;
use cabready_store::inbound::{self, Sorted, TriageItem};
use cabready_store::journal::Actor;
use cabready_store::{Lang, Said, StoreError};

/// The words an intent code stands for (what the worker read in the email).
pub fn intent_label(intent: &str, lang: Lang) -> &'static str {
    match intent {
        "signed_attached" => lang.pick("mandat signé joint", "signed mandate attached"),
        "signed_elsewhere" => lang.pick("dit avoir signé autrement", "says it signed another way"),
        "attachment_unclear" => lang.pick("pièce jointe à identifier", "attachment to identify"),
        "platform_chosen" => lang.pick("plateforme choisie", "platform chosen"),
        "postponed" => lang.pick("répondra plus tard", "will answer later"),
        "refused" => lang.pick("refus", "refusal"),
        "wrong_person" => lang.pick("mauvais destinataire", "wrong person"),
        "unsubscribe" => lang.pick("ne plus recevoir de relances", "unsubscribe"),
        "question" => lang.pick("question", "question"),
        _ => lang.pick("à lire", "to read"),
    }
}

/// What a message read seems to be, in words: its kind (`bounce`,
/// `autoreply`…) and intent codes as the reply worker records them.
pub fn message_read_as(kind: &str, intent: Option<&str>, lang: Lang) -> &'static str {
    match (kind, intent) {
        ("bounce", _) => lang.pick("non-remise", "bounce"),
        ("autoreply", _) => lang.pick("réponse automatique", "auto-reply"),
        ("unreadable", _) => lang.pick("illisible", "unreadable"),
        (_, Some(intent)) => intent_label(intent, lang),
        (_, None) => lang.pick("à lire", "to read"),
    }
}

/// `#3 — 24/11 09:12 — from — « subject » — why — what it seems to say`.
fn line(item: &TriageItem, lang: Lang) -> String {
    let m = &item.message;
    let read = message_read_as(&m.kind, m.intent.as_deref(), lang);
    let excerpt: String = m
        .visible_text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let excerpt = if excerpt.chars().count() > 120 {
        format!("{}…", excerpt.chars().take(119).collect::<String>())
    } else {
        excerpt
    };
    format!(
        "#{} — {} — {} — {} — {} — {read}{}",
        item.id,
        show_time(item.opened_at, lang),
        m.sender.as_deref().unwrap_or("?"),
        lang.quote(&m.subject),
        Said::show(&item.reason, lang),
        if excerpt.is_empty() {
            String::new()
        } else {
            format!("{}{excerpt}", lang.colon())
        }
    )
}

/// `atrier`.
pub async fn list(core: &Core, caller: &Caller, page: usize) -> CommandResult {
    let lang = core.lang;
    let mut conn = core.store.pool().acquire().await?;
    let items = inbound::open_triage(&mut conn, caller.firm_id).await?;
    if items.is_empty() {
        return Ok(Reply::success(
            lang.pick("Aucun e-mail à trier", "No email to sort"),
        ));
    }
    let count = items.len();
    let lines = items.iter().map(|i| line(i, lang)).collect();
    Ok(Reply::info(match lang {
        Lang::Fr => format!("{count} e-mail(s) à trier"),
        Lang::En => format!("{count} email(s) to sort"),
    })
    .with_description(lang.pick(
        "Des e-mails de clients que CabReady n'a pu rattacher à aucune relance. « trier N D » les rattache au dossier D, « trier N ignorer raison » les écarte.",
        "Clients' emails CabReady could not tie to a reminder. 'sort N D' ties one to dossier D, 'sort N ignore reason' sets it aside.",
    ))
    .paginated_section(lang.pick("Les plus anciens d'abord", "Oldest first"), lines, page, "atrier"))
}

/// `trier N D` / `trier N ignorer raison`.
pub async fn sort(core: &Core, caller: &Caller, id: i64, target: SortTarget) -> CommandResult {
    let lang = core.lang;
    let now = core.clock.now();
    let actor = Actor::User(caller.email().to_string());
    // A viewer is refused before anything about the message is said.
    if caller.role() == Role::Viewer {
        return Err(CommandError::Refused(
            lang.pick(
                "votre rôle « lecteur » permet de consulter, pas de trier les e-mails",
                "your role 'viewer' can read but not sort emails",
            )
            .into(),
        ));
    }
    let mut tx = core.store.begin_write().await?;
    let item = inbound::get_triage(&mut tx, caller.firm_id, id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => CommandError::Invalid(match lang {
                Lang::Fr => {
                    format!("aucun e-mail à trier n°{id} dans ce cabinet (voir « atrier »)")
                }
                Lang::En => format!("no email to sort #{id} in this firm (see 'atrier')"),
            }),
            other => CommandError::Store(other),
        })?;
    if !item.open {
        return Ok(Reply::error(
            lang.pick("Déjà trié", "Already sorted"),
            match lang {
                Lang::Fr => {
                    format!("L'e-mail n°{id} a déjà été trié : rien n'a changé (voir « atrier »).")
                }
                Lang::En => {
                    format!("Email #{id} was already sorted: nothing changed (see 'atrier').")
                }
            },
        ));
    }
    let from = item.message.sender.clone().unwrap_or_else(|| "?".into());
    match target {
        SortTarget::Ignore(reason) => {
            let sorted = Sorted::Ignored { reason: &reason };
            inbound::close_triage(&mut tx, caller.firm_id, &item, sorted, &actor, now).await?;
            tx.commit().await?;
            Ok(
                Reply::success(lang.pick("E-mail écarté", "Email set aside")).with_description(
                    match lang {
                        Lang::Fr => format!("L'e-mail n°{id} de {from} est écarté : {reason}."),
                        Lang::En => format!("Email #{id} from {from} is set aside: {reason}."),
                    },
                ),
            )
        }
        SortTarget::Dossier(query) => {
            let dossier = dossier_named(&mut tx, caller, &query).await?;
            caller
                .may_act_on(&dossier, lang)
                .map_err(CommandError::Refused)?;
            let sorted = Sorted::Attached {
                dossier_id: dossier.id,
            };
            inbound::close_triage(&mut tx, caller.firm_id, &item, sorted, &actor, now).await?;
            tx.commit().await?;
            let code = dossier.record.code.clone();
            let intent = item.message.intent.as_deref();
            let reply = Reply::success(match lang {
                Lang::Fr => format!("E-mail n°{id} rattaché à {code} {}", dossier.record.legal_name),
                Lang::En => format!("Email #{id} tied to {code} {}", dossier.record.legal_name),
            })
            .with_description(match lang {
                Lang::Fr => format!(
                    "De {from} ; CabReady y lit : {}. Aucun mandat n'a changé : l'expéditeur n'est pas un contact connu du dossier.",
                    intent.map_or("—", |i| intent_label(i, lang))
                ),
                Lang::En => format!(
                    "From {from}; CabReady reads: {}. No mandate changed: the sender is not a known contact of the dossier.",
                    intent.map_or("—", |i| intent_label(i, lang))
                ),
            })
            .actions_if(
                matches!(intent, Some("signed_attached" | "signed_elsewhere")),
                &[(
                    lang.pick("Mandat reçu, à vérifier", "Mandate received, to verify"),
                    format!("mandat {code} recu \"e-mail n°{id}\""),
                )],
            )
            .actions_if(
                intent == Some("refused"),
                &[(
                    lang.pick("Mandat refusé", "Mandate refused"),
                    format!("mandat {code} refuse \"e-mail n°{id}\""),
                )],
            )
            .action(lang.pick("Fiche", "Card"), format!("dossier {code}"));
            Ok(reply)
        }
    }
}
