//! Notices for the team channel: what happened without anyone typing a
//! command — a new (or reopened) critical anomaly, a mandate changed by a
//! client's email. Read from the journal, which every change writes, so
//! nothing is missed across restarts of the adapter: it keeps the id of
//! the last line it posted.

use crate::reply::Reply;
use crate::{CommandError, Core};
use cabready_store::anomalies::{self, Severity};
use cabready_store::domain::{MandateKind, MandateStatus};
use cabready_store::{dossiers, inbound, journal, Lang, Said};

/// How often an adapter reads the journal for new notices.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// An adapter's place in the journal: it starts at the journal's end (what
/// happened before it started is not news) and hands out each notice once.
pub struct Follower {
    firm_id: i64,
    last_id: i64,
}

impl Follower {
    pub async fn start(core: &Core, firm_id: i64) -> Result<Follower, CommandError> {
        let mut conn = core.store.pool().acquire().await?;
        let last_id = journal::last_id(&mut conn, firm_id).await?;
        Ok(Follower { firm_id, last_id })
    }

    /// The notices written since the last call.
    pub async fn poll(&mut self, core: &Core) -> Result<Vec<Reply>, CommandError> {
        let found = since(core, self.firm_id, self.last_id).await?;
        self.last_id = found.last_id;
        Ok(found.replies)
    }
}

pub struct Notices {
    pub replies: Vec<Reply>,
    /// The journal id to continue from.
    pub last_id: i64,
}

/// The notices of the firm's journal lines after `after_id` (at most 200 lines a call).
pub async fn since(core: &Core, firm_id: i64, after_id: i64) -> Result<Notices, CommandError> {
    let lang = core.lang;
    let mut conn = core.store.pool().acquire().await?;
    let lines = journal::since(&mut conn, firm_id, after_id, 200).await?;
    let last_id = lines.last().map_or(after_id, |l| l.id);
    let mut replies = Vec::new();
    for line in lines {
        match (
            line.action.as_str(),
            line.actor_kind.as_str(),
            line.entity_id,
        ) {
            ("anomaly.opened" | "anomaly.reopened", _, Some(id)) => {
                let anomaly = anomalies::get(&mut conn, firm_id, id).await?;
                // Clients' replies that need a person show whatever their severity.
                let from_mail = anomaly.rule.starts_with("mail_");
                if (anomaly.severity != Severity::Critical && !from_mail)
                    || anomaly.status != anomalies::AnomalyStatus::Open
                {
                    continue;
                }
                let title = match (from_mail, anomaly.severity) {
                    (true, Severity::Critical) => {
                        lang.pick("Adresse e-mail en erreur", "Email address bounced")
                    }
                    (true, _) => {
                        lang.pick("Réponse d'un client à traiter", "Client reply to handle")
                    }
                    _ => lang.pick("Nouvelle anomalie critique", "New critical anomaly"),
                };
                replies.push(
                    Reply::info(format!("{title} #{id}"))
                        .with_description(crate::commands::anomalies::line(
                            &anomaly,
                            lang,
                            core.clock.now(),
                        ))
                        .action(
                            lang.pick("Me l'assigner", "Assign to me"),
                            format!("assigner {id} moi"),
                        )
                        .action(lang.pick("Résoudre", "Resolve"), format!("resoudre {id}")),
                );
            }
            ("mandate.status_changed", "client", _) => {
                let Some(dossier_id) = line.dossier_id else {
                    continue;
                };
                let Some(d) = dossiers::find_by_id(&mut conn, firm_id, dossier_id).await? else {
                    continue;
                };
                let code = &d.record.code;
                let status = |key: &str| {
                    line.details[key]
                        .as_str()
                        .and_then(MandateStatus::from_code)
                        .map_or("?", |s| s.label(lang))
                };
                let received = line.details["after"] == MandateStatus::ReceivedToVerify.code();
                replies.push(
                    Reply::info(format!(
                        "{} — {code} {}",
                        lang.pick("Mandat mis à jour par e-mail", "Mandate updated by email"),
                        d.record.legal_name
                    ))
                    .with_description(format!(
                        "{}{}{} → {} ({})",
                        line.details["kind"]
                            .as_str()
                            .and_then(MandateKind::from_code)
                            .unwrap_or(MandateKind::Delegation)
                            .label(lang),
                        lang.colon(),
                        status("before"),
                        status("after"),
                        line.actor
                    ))
                    .actions_if(
                        received,
                        &[
                            (
                                lang.pick("Valider", "Validate"),
                                format!("mandat {code} signé"),
                            ),
                            (
                                lang.pick("Rejeter", "Reject"),
                                format!(
                                    "mandat {code} demandé {}",
                                    lang.pick("document non conforme", "document not compliant")
                                ),
                            ),
                        ],
                    )
                    .action(lang.pick("Fiche", "Card"), format!("dossier {code}")),
                );
            }
            ("inbound.triaged", _, _) => {
                let Some(message_id) = line.details["message"].as_i64() else {
                    continue;
                };
                let message = inbound::get(&mut conn, firm_id, message_id).await?;
                let text: String = message.visible_text.chars().take(300).collect();
                let number = line.entity_id.unwrap_or_default();
                replies.push(
                    Reply::info(format!(
                        "{} #{number} — {}",
                        lang.pick("E-mail à trier", "Email to sort"),
                        Said::show(line.details["reason"].as_str().unwrap_or_default(), lang)
                    ))
                    .with_description(format!(
                        "{}{}{}\n{}{}{}\n{text}\n\n{}",
                        lang.pick("De", "From"),
                        lang.colon(),
                        message.sender.as_deref().unwrap_or("?"),
                        lang.pick("Objet", "Subject"),
                        lang.colon(),
                        message.subject,
                        match lang {
                            Lang::Fr => format!("« trier {number} D » le rattache au dossier D ; « trier {number} ignorer raison » l'écarte."),
                            Lang::En => format!("'sort {number} D' ties it to dossier D; 'sort {number} ignore reason' sets it aside."),
                        }
                    ))
                    .action(lang.pick("À trier", "To sort"), "atrier"),
                );
            }
            ("digest.sent", _, _) => {
                // The daily digest's chat version, as the digest sender wrote it.
                if let Some(reply) = digest_reply(&line.details["chat"]) {
                    replies.push(reply);
                }
            }
            _ => {}
        }
    }
    Ok(Notices { replies, last_id })
}

/// A digest's chat version from its journal JSON
/// (`{"title", "fields": [[name, value]], "sections": [[title, [items]]]}`).
fn digest_reply(chat: &serde_json::Value) -> Option<Reply> {
    let mut reply = Reply::info(chat["title"].as_str()?);
    for field in chat["fields"].as_array()? {
        reply = reply.field(field[0].as_str()?, field[1].as_str()?);
    }
    for section in chat["sections"].as_array()? {
        let items = section[1]
            .as_array()?
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect();
        reply = reply.section(section[0].as_str()?, items);
    }
    Some(reply.action("pret", "pret"))
}
