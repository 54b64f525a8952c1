//! What a reply changes, decided from the reading and the match, then
//! applied in ONE transaction together with the "processed" row and the
//! journal lines: either everything happens, or nothing and the message is
//! read again next time. A message already recorded (same Message-ID, or
//! same mailbox + UIDVALIDITY + UID) changes nothing.
//!
//! Safety rules: only a known contact of the dossier can move its mandate,
//! and only to *received, to verify* (never `signed`); anything a machine
//! should not decide becomes an anomaly for the dossier's accountant, with
//! the reply's visible text; a message tied to no reminder goes to triage.

use super::matching::{self, Match};
use super::{read, Intent, Kind, Reading, Settings};
use crate::token::Signer;
use anyhow::{Context as _, Result};
use cabready_store::anomalies::{self, rules, Severity};
use cabready_store::clock::{paris_day, show_date};
use cabready_store::domain::{Email, MandateKind, MandateStatus, PlatformState};
use cabready_store::inbound::{self, ImapPlace, NewInbound};
use cabready_store::journal::Actor;
use cabready_store::mandates::{self, Transition};
use cabready_store::outbox::{self, Resolution, State};
use cabready_store::{contacts, platforms, Lang, Said, Store};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde_json::json;
use sqlx::AnyConnection;
use std::path::PathBuf;

/// The reply worker's set-up for one firm's mailbox.
#[derive(Debug, Clone)]
pub struct Inbox {
    pub firm_id: i64,
    pub signer: Signer,
    pub settings: Settings,
    /// Where attachments are kept (content-addressed).
    pub attachments_dir: PathBuf,
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Recorded now, with what was done.
    Processed(Report),
    /// Already recorded before: nothing done.
    Duplicate,
}

/// What one message led to.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub inbound_id: Option<i64>,
    pub kind: &'static str,
    pub intent: Option<&'static str>,
    pub dossier_id: Option<i64>,
    pub triaged: bool,
    /// What was done, in words (as the journal keeps it).
    pub summary: Said,
}

/// A kept attachment: sha256, size, file name, content type.
type KeptFile = (String, i64, Option<String>, String);

/// One decided action.
#[derive(Debug, Clone, PartialEq)]
enum Act {
    MandateReceived {
        kind: MandateKind,
        note: Said,
    },
    Hold {
        until: DateTime<Utc>,
        reason: Said,
    },
    Anomaly {
        rule: &'static str,
        severity: Severity,
    },
    OptOut {
        email: String,
    },
    Bounced {
        email: String,
    },
    Platform {
        name: String,
    },
    KeepAttachments,
    ProvesDelivery,
    /// The client answered: a "relance sans réponse" anomaly is resolved.
    ClientAnswered,
    Triage {
        reason: Said,
    },
}

impl Act {
    fn describe(&self) -> Said {
        match self {
            Act::MandateReceived { .. } => mandate_received(),
            Act::Hold { until, .. } => {
                let day = |lang| show_date(paris_day(*until), lang);
                Said::new(
                    format!("pas de relance avant le {}", day(Lang::Fr)),
                    format!("no reminder before {}", day(Lang::En)),
                )
            }
            Act::Anomaly { rule, .. } => Said::new(
                format!("anomalie ouverte ({})", rules::label(rule, Lang::Fr)),
                format!("anomaly opened ({})", rules::label(rule, Lang::En)),
            ),
            Act::OptOut { .. } => Said::new("contact désinscrit", "contact opted out"),
            Act::Bounced { .. } => Said::new("adresse marquée invalide", "address marked invalid"),
            Act::Platform { name } => Said::new(
                format!("plateforme {name} choisie"),
                format!("platform {name} chosen"),
            ),
            Act::KeepAttachments => Said::new("pièces jointes conservées", "attachments kept"),
            Act::ProvesDelivery => {
                Said::new("relance confirmée reçue", "reminder confirmed received")
            }
            Act::ClientAnswered => Said::new("le client a répondu", "the client answered"),
            Act::Triage { reason } => Said::new(
                format!("à trier ({})", reason.fr),
                format!("to sort ({})", reason.en),
            ),
        }
    }
}

/// The open "relance sans réponse" anomalies of one dossier (rule of the
/// reminders' cadence), oldest first. One lookup by dossier: reading every
/// open anomaly of the firm for each reply made a pass slow down as the
/// anomalies grew (each question raises one).
async fn no_answer_anomalies(
    conn: &mut AnyConnection,
    firm_id: i64,
    dossier_id: i64,
) -> Result<Vec<i64>> {
    Ok(anomalies::open_of_dossier(conn, firm_id, dossier_id, &["reminder_no_answer"]).await?)
}

/// 09:00 in Paris on that day: when a held reminder may go again.
fn morning(day: NaiveDate) -> DateTime<Utc> {
    let naive = day.and_hms_opt(9, 0, 0).expect("valid time");
    chrono_tz::Europe::Paris
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

/// The dossier of a contact address in the firm (bounces without a token).
async fn dossier_of_address(
    conn: &mut AnyConnection,
    firm_id: i64,
    address: &str,
) -> Result<Option<i64>> {
    use sqlx::Row;
    Ok(sqlx::query(
        "SELECT dossier_id FROM contacts WHERE firm_id = $1 AND email = $2 ORDER BY id LIMIT 1",
    )
    .bind(firm_id)
    .bind(address.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| r.get(0)))
}

impl Inbox {
    /// The pure part: what the message says (no database).
    pub fn read(&self, raw: &[u8], now: DateTime<Utc>) -> Option<Reading> {
        read(raw, Some(&self.signer), &self.settings, now)
    }

    /// Decides what to do; reads the database, writes nothing.
    async fn decide(
        &self,
        conn: &mut AnyConnection,
        reading: &Reading,
        found: Option<&Match>,
    ) -> Result<(Vec<Act>, Option<i64>)> {
        let firm_id = self.firm_id;
        let mut acts = Vec::new();
        let mut dossier_id = found.map(|m| m.dossier_id);
        if let Some(reminder) = found.and_then(|m| m.reminder.as_ref()) {
            if matches!(reminder.state, State::Unknown | State::Sending) {
                acts.push(Act::ProvesDelivery);
            }
        }
        match &reading.kind {
            Kind::Bounce { hard, address, .. } => {
                let mut address = address.clone();
                if address.is_none() {
                    if let Some(reminder) = found.and_then(|m| m.reminder.as_ref()) {
                        address = Some(
                            contacts::get(conn, firm_id, reminder.contact_id)
                                .await?
                                .email
                                .to_string(),
                        );
                    }
                }
                if dossier_id.is_none() {
                    if let Some(address) = &address {
                        dossier_id = dossier_of_address(conn, firm_id, address).await?;
                    }
                }
                match (hard, &address, dossier_id) {
                    (true, Some(email), Some(_)) => {
                        acts.push(Act::Bounced {
                            email: email.clone(),
                        });
                        acts.push(Act::Anomaly {
                            rule: "mail_bounce",
                            severity: Severity::Critical,
                        });
                    }
                    (_, _, None) => acts.push(Act::Triage {
                        reason: Said::new(
                            "retour en erreur sans relance correspondante",
                            "bounce matching no reminder",
                        ),
                    }),
                    _ => {}
                }
            }
            Kind::AutoReply { return_date } => {
                if let (Some(day), Some(_)) = (return_date, dossier_id) {
                    acts.push(Act::Hold {
                        until: morning(*day),
                        reason: Said::new(
                            "absence du contact (réponse automatique)",
                            "contact away (automatic reply)",
                        ),
                    });
                }
            }
            Kind::Human => {
                let intent = reading.intent.clone().unwrap_or(Intent::Unclear);
                let Some(found) = found else {
                    if intent == Intent::Unsubscribe {
                        if let Some(sender) = &reading.mail.from {
                            acts.push(Act::OptOut {
                                email: sender.clone(),
                            });
                        }
                    }
                    acts.push(Act::Triage {
                        reason: Said::new("aucune relance correspondante", "matching no reminder"),
                    });
                    return Ok((acts, None));
                };
                if found.contact_id.is_none() {
                    // Not a contact of that dossier: never a change, a person checks.
                    acts.push(Act::Anomaly {
                        rule: "mail_unknown_sender",
                        severity: Severity::Warning,
                    });
                    if !reading.documents.is_empty() {
                        acts.push(Act::KeepAttachments);
                    }
                    return Ok((acts, dossier_id));
                }
                if !no_answer_anomalies(conn, firm_id, found.dossier_id)
                    .await?
                    .is_empty()
                {
                    acts.push(Act::ClientAnswered);
                }
                let kind = found
                    .reminder
                    .as_ref()
                    .and_then(|r| r.mandate_kind)
                    .unwrap_or(MandateKind::Delegation);
                let can_receive = mandates::status(conn, firm_id, found.dossier_id, kind)
                    .await
                    .map(|s| s.can_become(MandateStatus::ReceivedToVerify))
                    .unwrap_or(false);
                let sender = reading.mail.from.clone().unwrap_or_default();
                let reply = |severity| Act::Anomaly {
                    rule: "mail_reply",
                    severity,
                };
                match intent {
                    Intent::SignedAttached => {
                        acts.push(Act::KeepAttachments);
                        if can_receive {
                            let names: Vec<String> = reading
                                .documents
                                .iter()
                                .map(|a| {
                                    a.filename.clone().unwrap_or_else(|| a.content_type.clone())
                                })
                                .collect();
                            let from = Email::parse(&sender)
                                .map(|e| e.masked())
                                .unwrap_or_default();
                            let names = names.join(", ");
                            acts.push(Act::MandateReceived {
                                kind,
                                note: Said::new(
                                    format!("reçu par e-mail de {from} ({names})"),
                                    format!("received by email from {from} ({names})"),
                                ),
                            });
                        } else {
                            acts.push(reply(Severity::Warning));
                        }
                    }
                    Intent::AttachmentUnclear => {
                        acts.push(Act::KeepAttachments);
                        acts.push(reply(Severity::Warning));
                    }
                    Intent::SignedElsewhere => {
                        if can_receive {
                            acts.push(Act::MandateReceived {
                                kind,
                                note: Said::new(
                                    "signé par un autre moyen selon le client (e-mail) : à vérifier",
                                    "signed by other means according to the client (email): to check",
                                ),
                            });
                        } else {
                            acts.push(reply(Severity::Warning));
                        }
                    }
                    Intent::PlatformChosen(name) => {
                        if platforms::find(conn, firm_id, &name).await?.is_some() {
                            acts.push(Act::Platform { name });
                        } else {
                            acts.push(reply(Severity::Warning));
                        }
                    }
                    Intent::Postponed(day) => acts.push(Act::Hold {
                        until: morning(day),
                        reason: Said::new(
                            "report demandé par le client",
                            "the client asked to wait",
                        ),
                    }),
                    Intent::Unsubscribe => acts.push(Act::OptOut { email: sender }),
                    Intent::Refused
                    | Intent::Question
                    | Intent::WrongPerson(_)
                    | Intent::Unclear => acts.push(reply(Severity::Warning)),
                }
            }
        }
        Ok((acts, dossier_id))
    }

    /// Writes the documents of a message under the attachments directory
    /// (content-addressed: the same file twice is stored once).
    fn keep_files(&self, reading: &Reading) -> Result<Vec<KeptFile>> {
        let mut kept = Vec::new();
        for attachment in &reading.documents {
            let sha = super::digest(&attachment.bytes);
            let dir = self.attachments_dir.join(&sha[..2]);
            let path = dir.join(&sha);
            if !path.exists() {
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("impossible de créer {}", dir.display()))?;
                let tmp = dir.join(format!(".{sha}.tmp{}", std::process::id()));
                std::fs::write(&tmp, &attachment.bytes)
                    .with_context(|| format!("impossible d'écrire {}", tmp.display()))?;
                std::fs::rename(&tmp, &path)?;
            }
            kept.push((
                sha,
                attachment.bytes.len() as i64,
                attachment.filename.clone(),
                attachment.content_type.clone(),
            ));
        }
        Ok(kept)
    }

    /// Reads, matches and decides without writing anything (`--dry-run`).
    pub async fn preview(&self, store: &Store, raw: &[u8], now: DateTime<Utc>) -> Result<Report> {
        let Some(reading) = self.read(raw, now) else {
            return Ok(Report {
                inbound_id: None,
                kind: "unreadable",
                intent: None,
                dossier_id: None,
                triaged: true,
                summary: unreadable_summary(),
            });
        };
        let mut conn = store.pool().acquire().await?;
        if inbound::seen(&mut conn, self.firm_id, &reading.message_key, None).await? {
            return Ok(Report {
                inbound_id: None,
                kind: reading.kind.code(),
                intent: reading.intent.as_ref().map(Intent::code),
                dossier_id: None,
                triaged: false,
                summary: Said::new("déjà traité", "already processed"),
            });
        }
        let sender = reading.mail.from.clone();
        let found =
            matching::resolve(&mut conn, self.firm_id, &reading.keys, sender.as_deref()).await?;
        let (acts, dossier_id) = self.decide(&mut conn, &reading, found.as_ref()).await?;
        Ok(report(&reading, None, dossier_id, &acts))
    }

    /// Processes one message: everything it changes, in one transaction.
    pub async fn process(
        &self,
        store: &Store,
        raw: &[u8],
        place: Option<&ImapPlace>,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        let firm_id = self.firm_id;
        let Some(reading) = self.read(raw, now) else {
            return self.unreadable(store, raw, place, now).await;
        };
        {
            let mut conn = store.pool().acquire().await?;
            if inbound::seen(&mut conn, firm_id, &reading.message_key, place).await? {
                return Ok(Outcome::Duplicate);
            }
        }
        let mut tx = store.begin_write().await?;
        let applied = self.apply(&mut tx, &reading, place, now).await?;
        settle(tx, applied).await
    }

    /// Everything one read message changes, inside the caller's
    /// transaction; `None` when it was already recorded (the caller rolls
    /// back: nothing was written).
    async fn apply(
        &self,
        conn: &mut AnyConnection,
        reading: &Reading,
        place: Option<&ImapPlace>,
        now: DateTime<Utc>,
    ) -> Result<Option<Report>> {
        let firm_id = self.firm_id;
        let sender = reading.mail.from.clone();
        let found =
            matching::resolve(&mut *conn, firm_id, &reading.keys, sender.as_deref()).await?;
        let (acts, dossier_id) = self.decide(&mut *conn, reading, found.as_ref()).await?;
        let summary = summary(&acts);
        let intent = reading.intent.as_ref().map(Intent::code);
        let client = Actor::Client(sender.clone().unwrap_or_else(|| "inconnu".into()));
        let new = NewInbound {
            message_key: &reading.message_key,
            place,
            sender: sender.as_deref(),
            subject: &reading.mail.subject,
            sent_at: reading.mail.date,
            kind: reading.kind.code(),
            intent,
            reminder_id: found
                .as_ref()
                .and_then(|m| m.reminder.as_ref())
                .map(|r| r.id),
            dossier_id,
            contact_id: found.as_ref().and_then(|m| m.contact_id),
            outcome: &summary.stored(),
            visible_text: &reading.visible_text,
        };
        let Some(inbound_id) = inbound::record(&mut *conn, firm_id, &new, &client, now).await?
        else {
            return Ok(None);
        };
        let visible: String = reading.visible_text.chars().take(1500).collect();
        for act in &acts {
            match act {
                Act::ProvesDelivery => {
                    if let Some(reminder) = found.as_ref().and_then(|m| m.reminder.as_ref()) {
                        outbox::resolve_stuck(
                            &mut *conn,
                            firm_id,
                            reminder.id,
                            Resolution::Delivered,
                            &client,
                            now,
                        )
                        .await?;
                    }
                }
                Act::ClientAnswered => {
                    let Some(dossier_id) = dossier_id else {
                        continue;
                    };
                    for id in no_answer_anomalies(&mut *conn, firm_id, dossier_id).await? {
                        anomalies::resolve(
                            &mut *conn,
                            firm_id,
                            id,
                            "le client a répondu par e-mail",
                            &client,
                            now,
                        )
                        .await?;
                    }
                }
                Act::KeepAttachments => {
                    for (sha, size, name, ctype) in self.keep_files(reading)? {
                        inbound::add_attachment(
                            &mut *conn,
                            firm_id,
                            inbound_id,
                            &sha,
                            size,
                            name.as_deref(),
                            &ctype,
                        )
                        .await?;
                    }
                }
                Act::MandateReceived { kind, note } => {
                    let Some(dossier_id) = dossier_id else {
                        continue;
                    };
                    let note = note.stored();
                    let transition = Transition {
                        kind: *kind,
                        to: MandateStatus::ReceivedToVerify,
                        note: Some(&note),
                    };
                    mandates::change_status(
                        &mut *conn, firm_id, dossier_id, transition, &client, now,
                    )
                    .await?;
                    outbox::cancel_for_dossier(
                        &mut *conn,
                        firm_id,
                        dossier_id,
                        None,
                        &mandate_received().stored(),
                        &client,
                        now,
                    )
                    .await?;
                }
                Act::Hold { until, reason } => {
                    let Some(dossier_id) = dossier_id else {
                        continue;
                    };
                    inbound::hold(
                        &mut *conn,
                        firm_id,
                        dossier_id,
                        *until,
                        &reason.stored(),
                        Some(inbound_id),
                        &client,
                        now,
                    )
                    .await?;
                    outbox::cancel_for_dossier(
                        &mut *conn,
                        firm_id,
                        dossier_id,
                        None,
                        &reason.stored(),
                        &client,
                        now,
                    )
                    .await?;
                }
                Act::Anomaly { rule, severity } => {
                    let intent = reading.intent.as_ref();
                    let (address, diagnostic) = match &reading.kind {
                        Kind::Bounce {
                            address,
                            diagnostic,
                            ..
                        } => (address.clone(), diagnostic.clone()),
                        _ => (None, String::new()),
                    };
                    let details = json!({
                        "message_id": reading.message_key,
                        "inbound_id": inbound_id,
                        "from": sender.as_deref().and_then(|s| Email::parse(s).ok()).map(|e| e.masked()),
                        "subject": reading.mail.subject,
                        "intent": intent.map(Intent::code),
                        "label_fr": intent.map(|i| i.label(Lang::Fr)),
                        "label_en": intent.map(|i| i.label(Lang::En)),
                        "new_contact": reading.new_contact(),
                        "text": visible,
                        "address": address.as_deref().and_then(|s| Email::parse(s).ok()).map(|e| e.masked()),
                        "diagnostic": diagnostic,
                    });
                    let Some(dossier_id) = dossier_id else {
                        continue;
                    };
                    let raised = anomalies::raise(
                        &mut *conn,
                        firm_id,
                        &format!("mail:{}", reading.message_key),
                        rule,
                        *severity,
                        dossier_id,
                        details,
                        now,
                    )
                    .await?;
                    // A reply for a person to read: the reminder planned
                    // before it must not go meanwhile (the cadence plans
                    // none while the anomaly is open).
                    if let (Some(id), true) = (raised, anomalies::REPLY_RULES.contains(rule)) {
                        outbox::cancel_for_dossier(
                            &mut *conn,
                            firm_id,
                            dossier_id,
                            None,
                            &crate::cadence::Why::ReplyPending(id).said().stored(),
                            &client,
                            now,
                        )
                        .await?;
                    }
                }
                Act::OptOut { email } => {
                    if let Ok(email) = Email::parse(email) {
                        contacts::opt_out(
                            &mut *conn,
                            firm_id,
                            &email,
                            &Said::new("réponse STOP / désinscription", "STOP / unsubscribe reply")
                                .stored(),
                            &client,
                            now,
                        )
                        .await?;
                    }
                }
                Act::Bounced { email } => {
                    if let Ok(email) = Email::parse(email) {
                        contacts::mark_bounced(
                            &mut *conn,
                            firm_id,
                            &email,
                            &Said::new(
                                "adresse en erreur (retour définitif)",
                                "address bounced (permanent failure)",
                            )
                            .stored(),
                            &Actor::System,
                            now,
                        )
                        .await?;
                    }
                }
                Act::Platform { name } => {
                    let Some(dossier_id) = dossier_id else {
                        continue;
                    };
                    platforms::set_for_dossier(
                        &mut *conn,
                        firm_id,
                        dossier_id,
                        name,
                        PlatformState::Chosen,
                        &client,
                        now,
                    )
                    .await?;
                }
                Act::Triage { reason } => {
                    inbound::triage(&mut *conn, firm_id, inbound_id, &reason.stored(), now).await?;
                }
            }
        }
        Ok(Some(report(reading, Some(inbound_id), dossier_id, &acts)))
    }

    /// A message that is not a message at all: recorded (by its hash) and triaged.
    async fn unreadable(
        &self,
        store: &Store,
        raw: &[u8],
        place: Option<&ImapPlace>,
        now: DateTime<Utc>,
    ) -> Result<Outcome> {
        let key = unreadable_key(raw);
        let mut tx = store.begin_write().await?;
        let applied = self.apply_unreadable(&mut tx, &key, place, now).await?;
        settle(tx, applied).await
    }

    /// Records an unreadable message and triages it, inside the caller's
    /// transaction; `None` when it was already recorded.
    async fn apply_unreadable(
        &self,
        conn: &mut AnyConnection,
        key: &str,
        place: Option<&ImapPlace>,
        now: DateTime<Utc>,
    ) -> Result<Option<Report>> {
        let new = NewInbound {
            message_key: key,
            place,
            sender: None,
            subject: "",
            sent_at: None,
            kind: "unreadable",
            intent: None,
            reminder_id: None,
            dossier_id: None,
            contact_id: None,
            outcome: &unreadable_summary().stored(),
            visible_text: "",
        };
        let Some(id) = inbound::record(&mut *conn, self.firm_id, &new, &Actor::System, now).await?
        else {
            return Ok(None);
        };
        let reason = Said::new("message illisible", "unreadable message");
        inbound::triage(&mut *conn, self.firm_id, id, &reason.stored(), now).await?;
        Ok(Some(Report {
            inbound_id: Some(id),
            kind: "unreadable",
            intent: None,
            dossier_id: None,
            triaged: true,
            summary: unreadable_summary(),
        }))
    }

    /// Several messages in ONE transaction (one commit: the dear part when
    /// the database syncs to disk). Per message it is exactly
    /// [`Inbox::process`]: the same idempotency keys (Message-ID, IMAP
    /// place), the same changes and journal lines. A message whose actions
    /// fail is rolled back alone and gets its error; the others are kept.
    /// An error of the transaction itself (the database gone, the commit
    /// refused) is the `Err` of the whole batch: nothing of it was kept,
    /// every message will be read again.
    ///
    /// The messages are read (parsed, classified: CPU only) before the
    /// transaction starts, so the write lock is held for database work
    /// only. The batch first runs without savepoints (two round trips a
    /// message fewer); if one message fails, that attempt is rolled back
    /// whole and the batch runs again with a savepoint per message.
    pub async fn process_batch(
        &self,
        store: &Store,
        messages: &[Incoming<'_>],
        now: DateTime<Utc>,
    ) -> Result<Vec<Result<Handled>>> {
        let readings: Vec<Option<Reading>> =
            messages.iter().map(|m| self.read(m.raw, now)).collect();
        if let Some(results) = self
            .run_batch(store, messages, &readings, now, false)
            .await?
        {
            return Ok(results);
        }
        Ok(self
            .run_batch(store, messages, &readings, now, true)
            .await?
            .expect("with savepoints a batch always completes"))
    }

    /// One attempt at a batch. Without savepoints, the first message that
    /// fails rolls everything back and the answer is `None`.
    async fn run_batch(
        &self,
        store: &Store,
        messages: &[Incoming<'_>],
        readings: &[Option<Reading>],
        now: DateTime<Utc>,
        savepoints: bool,
    ) -> Result<Option<Vec<Result<Handled>>>> {
        let keys: Vec<String> = messages
            .iter()
            .zip(readings)
            .map(|(message, reading)| match reading {
                Some(reading) => reading.message_key.clone(),
                None => unreadable_key(message.raw),
            })
            .collect();
        let lookups: Vec<(&str, Option<&ImapPlace>)> = keys
            .iter()
            .zip(messages)
            .map(|(key, message)| (key.as_str(), message.place.as_ref()))
            .collect();
        let mut tx = store.begin_write().await?;
        let recorded = inbound::seen_triaged_many(&mut tx, self.firm_id, &lookups).await?;
        // Taken in earlier in this batch (the same message twice in a row).
        let mut taken: std::collections::HashMap<&str, bool> = Default::default();
        let mut results = Vec::with_capacity(messages.len());
        for (i, (message, reading)) in messages.iter().zip(readings).enumerate() {
            let key = keys[i].as_str();
            if let Some(triaged) = recorded[i].or_else(|| taken.get(key).copied()) {
                results.push(Ok(Handled::Duplicate { triaged }));
                continue;
            }
            let place = message.place.as_ref();
            let applied = if savepoints {
                let mut savepoint = sqlx::Connection::begin(&mut *tx).await?;
                let applied = match reading {
                    Some(reading) => self.apply(&mut savepoint, reading, place, now).await,
                    None => self.apply_unreadable(&mut savepoint, key, place, now).await,
                };
                match applied {
                    Ok(Some(_)) => savepoint.commit().await?,
                    _ => savepoint.rollback().await?,
                }
                applied
            } else {
                let applied = match reading {
                    Some(reading) => self.apply(&mut tx, reading, place, now).await,
                    None => self.apply_unreadable(&mut tx, key, place, now).await,
                };
                if applied.is_err() {
                    tx.rollback().await?;
                    return Ok(None);
                }
                applied
            };
            results.push(match applied {
                Ok(Some(done)) => {
                    taken.insert(key, done.triaged);
                    Ok(Handled::Processed(done))
                }
                // Recorded meanwhile by another worker: nothing was written.
                Ok(None) => Ok(Handled::Duplicate { triaged: false }),
                Err(error) => Err(error),
            });
        }
        tx.commit().await?;
        Ok(Some(results))
    }
}

/// One message of a batch: its bytes and where it was read.
#[derive(Debug, Clone)]
pub struct Incoming<'a> {
    pub raw: &'a [u8],
    pub place: Option<ImapPlace>,
}

/// What became of one message of a batch.
#[derive(Debug, Clone, PartialEq)]
pub enum Handled {
    /// Recorded now, with what was done.
    Processed(Report),
    /// Recorded before: nothing done. `triaged`: it went to the triage
    /// queue then, so a mailbox files it where the first pass would have.
    Duplicate { triaged: bool },
}

impl Handled {
    /// Whether a person must sort it (the triage folder).
    pub fn triaged(&self) -> bool {
        match self {
            Handled::Processed(done) => done.triaged,
            Handled::Duplicate { triaged } => *triaged,
        }
    }
}

/// The key of a message that has no Message-ID to read.
/// Ends a one-message transaction: commits what `apply` did, or rolls
/// back when it found the message already recorded (`None`).
async fn settle(
    tx: sqlx::Transaction<'static, sqlx::Any>,
    applied: Option<Report>,
) -> Result<Outcome> {
    match applied {
        Some(done) => {
            tx.commit().await?;
            Ok(Outcome::Processed(done))
        }
        None => {
            tx.rollback().await?;
            Ok(Outcome::Duplicate)
        }
    }
}

fn unreadable_key(raw: &[u8]) -> String {
    format!("sha256:{}", super::digest(raw))
}

fn summary(acts: &[Act]) -> Said {
    if acts.is_empty() {
        return Said::new("rien à faire", "nothing to do");
    }
    let parts: Vec<Said> = acts.iter().map(Act::describe).collect();
    Said::join(&parts, " ; ", "; ")
}

fn mandate_received() -> Said {
    Said::new("mandat reçu, à vérifier", "mandate received, to verify")
}

fn unreadable_summary() -> Said {
    Said::new("message illisible : à trier", "unreadable message: to sort")
}

fn report(
    reading: &Reading,
    inbound_id: Option<i64>,
    dossier_id: Option<i64>,
    acts: &[Act],
) -> Report {
    Report {
        inbound_id,
        kind: reading.kind.code(),
        intent: reading.intent.as_ref().map(Intent::code),
        dossier_id,
        triaged: acts.iter().any(|a| matches!(a, Act::Triage { .. })),
        summary: summary(acts),
    }
}
