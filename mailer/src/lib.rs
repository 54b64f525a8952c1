//! CabReady's outgoing mail: reminder templates, the cadence policy, the
//! outbox worker and its transports.
//!
//! The flow: [`Mailer::plan`] asks the cadence what each dossier needs and
//! writes due reminders into the outbox (store); [`Mailer::send_due`]
//! claims them, renders, sends and marks them; [`Mailer::recover`] settles
//! rows a dead sender left in `sending`. Depends on `store`, never the reverse.

pub mod cadence;
pub mod config;
pub mod inbound;
pub mod message;
pub mod periodic;
pub mod slots;
pub mod templates;
pub mod token;
pub mod transport;

use crate::cadence::{decide, ContactState, Decision, Situation, Template, Why};
use crate::config::{CadenceConfig, MailConfig};
use crate::templates::{ContextData, Templates};
use crate::token::Signer;
use crate::transport::{SendError, Transport};
use anyhow::{anyhow, Context, Result};
use cabready_store::calendar::{self, Obligation};
use cabready_store::contacts::{self, Contact};
use cabready_store::domain::{MandateKind, MandateStatus};
use cabready_store::dossiers::{self, Dossier};
use cabready_store::journal::Actor;
use cabready_store::outbox::{self, NewReminder, Reminder, Resolution, State, Topic};
use cabready_store::{firms, mandates, users, Lang, Said, Store};
use chrono::{DateTime, Duration, Utc};
use sqlx::AnyConnection;

/// Everything the outbox worker needs.
pub struct Mailer {
    pub mail: MailConfig,
    pub cadence: CadenceConfig,
    pub templates: Templates,
    pub signer: Signer,
    pub transport: Transport,
    /// Fault injection for the crash tests: exit right after the server
    /// accepted a message, before it is marked `sent`
    /// (`CABREADY_TEST_CRASH_AFTER_SEND=1`, read by the CLI).
    pub crash_after_send: bool,
}

/// What the cadence decided for one dossier, and what was written.
#[derive(Debug, Clone)]
pub struct PlanLine {
    pub dossier_code: String,
    pub legal_name: String,
    pub contact: Option<String>,
    pub decision: Decision,
    pub planned: Option<Reminder>,
}

/// How planning runs.
#[derive(Debug, Clone, Copy)]
pub struct PlanOptions {
    /// Write nothing: show who would get what and why.
    pub dry_run: bool,
    /// Send the next reminder now even if its day has not come (demo, chat):
    /// stop rules and the sending window still apply.
    pub ahead_of_time: bool,
    /// Send now even outside the sending window (the demo, whose Maildir
    /// is local: its reminders, and the replies it simulates, are not
    /// dated at the next working slot, after the clock).
    pub outside_hours: bool,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SendReport {
    pub sent: usize,
    pub failed: usize,
    pub abandoned: usize,
    pub cancelled: usize,
}

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RecoveryReport {
    pub delivered: usize,
    pub requeued: usize,
    pub unknown: usize,
}

/// What one pass of the outbox did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TickReport {
    pub recovery: RecoveryReport,
    pub planned: usize,
    pub sent: SendReport,
}

impl TickReport {
    pub fn is_empty(&self) -> bool {
        *self == TickReport::default()
    }
}

/// `cabready serve`'s outbox: a [`Mailer::tick`] every `every`, until
/// `shutdown` turns true. A tick in progress is never interrupted (a
/// message is never left half-marked by a stop); a failing tick is logged
/// and the next one tries again.
#[allow(clippy::too_many_arguments)]
pub async fn run_outbox(
    mailer: std::sync::Arc<Mailer>,
    store: Store,
    firm_id: i64,
    lang: Lang,
    lease: Duration,
    every: std::time::Duration,
    clock: cabready_store::clock::Clock,
    shutdown: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticks = periodic::Every::new(every, shutdown);
    while ticks.tick().await {
        match mailer.tick(&store, firm_id, lang, clock.now(), lease).await {
            Ok(report) if !report.is_empty() => tracing::info!(?report, "outbox pass"),
            Ok(_) => {}
            Err(error) => tracing::error!(error = %format!("{error:#}"), "outbox pass failed"),
        }
    }
}

/// The dossier's next unmet legal date and its label.
fn deadline(dossier: &Dossier, lang: Lang) -> Option<(chrono::NaiveDate, &'static str)> {
    [Obligation::Reception, Obligation::Emission]
        .into_iter()
        .filter(|o| !calendar::obligation_met(dossier, *o))
        .filter_map(|o| calendar::obligation_date(dossier, o).map(|d| (d, o.label(lang))))
        .min_by_key(|(d, _)| *d)
}

/// Retry delays: 1, 2, 4… minutes, at most 6 hours.
pub fn backoff(attempts: i64) -> Duration {
    let minutes = 1i64 << attempts.clamp(1, 10).saturating_sub(1);
    Duration::minutes(minutes.min(360))
}

impl Mailer {
    /// The situation the cadence needs, and the contact to write to.
    async fn situation(
        &self,
        conn: &mut AnyConnection,
        firm_id: i64,
        dossier: &Dossier,
        now: DateTime<Utc>,
    ) -> Result<(Situation, Option<Contact>)> {
        let all = contacts::for_dossier(conn, firm_id, dossier.id).await?;
        let reachable = all.iter().find(|c| c.reachable()).cloned();
        let contact_state = match (&reachable, all.first()) {
            (Some(_), _) => ContactState::Reachable,
            (None, None) => ContactState::Missing,
            (None, Some(c)) if c.bounced_at.is_some() => ContactState::Bounced,
            (None, Some(_)) => ContactState::OptedOut,
        };
        let (status, changed_at, requested_at) =
            mandates::timeline(conn, firm_id, dossier.id, MandateKind::Delegation)
                .await?
                .unwrap_or((MandateStatus::NotRequested, now, None));
        let history = outbox::for_dossier(conn, firm_id, dossier.id, 500).await?;
        // An answer before the mandate was requested answered nothing of it.
        let silence_since = outbox::silence_since(conn, firm_id, dossier.id)
            .await?
            .filter(|t| requested_at.is_none_or(|req| *t > req));
        let went = |r: &&Reminder| matches!(r.state, State::Sent | State::Sending | State::Unknown);
        let when = |r: &Reminder| r.sent_at.or(r.claimed_at);
        let mandate: Vec<&Reminder> = history
            .iter()
            .filter(|r| r.topic == Topic::Mandate)
            .filter(went)
            .filter(|r| match (requested_at, when(r)) {
                (Some(req), Some(at)) => at >= req - Duration::minutes(1),
                _ => true,
            })
            .filter(|r| match (silence_since, when(r)) {
                (Some(since), Some(at)) => at > since,
                _ => true,
            })
            .collect();
        let contact_last = match &reachable {
            Some(c) => outbox::last_contacted(conn, firm_id, &c.email).await?,
            None => None,
        };
        let situation = Situation {
            onboarded_at: dossiers::created_at(conn, firm_id, dossier.id).await?,
            delegation: status,
            mandate_changed_at: changed_at,
            platform_chosen: dossier.platform.is_some(),
            deadline: deadline(dossier, Lang::Fr).map(|(d, _)| d),
            mandate_reminders_sent: mandate.len() as i64,
            platform_reminders_sent: history
                .iter()
                .filter(|r| r.topic == Topic::Platform)
                .filter(went)
                .count() as i64,
            last_mandate_reminder_at: mandate.iter().filter_map(|r| when(r)).max(),
            contact_last_message_at: contact_last,
            contact: contact_state,
            live_reminder: history.iter().any(|r| r.state.is_live()),
            escalated: outbox::escalated(conn, firm_id, dossier.id, Topic::Mandate, silence_since)
                .await?,
            not_before: cabready_store::inbound::not_before(conn, firm_id, dossier.id).await?,
            reply_pending: cabready_store::anomalies::open_reply(conn, firm_id, dossier.id).await?,
            silence_since,
        };
        Ok((situation, reachable))
    }

    /// Writes one reminder into the outbox (idempotent: `None` if one is live).
    #[allow(clippy::too_many_arguments)]
    async fn write_plan(
        &self,
        conn: &mut AnyConnection,
        firm_id: i64,
        dossier: &Dossier,
        contact: &Contact,
        template: Template,
        step: i64,
        why: Why,
        due_at: DateTime<Utc>,
        lang: Lang,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<Option<Reminder>> {
        let token = self.signer.issue();
        let new = NewReminder {
            dossier_id: dossier.id,
            contact_id: contact.id,
            topic: template.topic(),
            mandate_kind: (template.topic() == Topic::Mandate).then_some(MandateKind::Delegation),
            template: template.name().to_string(),
            step,
            lang,
            reason: why.said().stored(),
            message_id: token::message_id(&token, &self.mail.from_address),
            token,
            due_at,
        };
        Ok(outbox::plan(conn, firm_id, &new, actor, now).await?)
    }

    /// Runs the cadence over every dossier of a firm: plans what is due
    /// (or, with `dry_run`, only says it) and opens "relance sans réponse"
    /// tasks. One transaction per dossier.
    pub async fn plan(
        &self,
        store: &Store,
        firm_id: i64,
        lang: Lang,
        now: DateTime<Utc>,
        options: PlanOptions,
    ) -> Result<Vec<PlanLine>> {
        let mut conn = store.pool().acquire().await?;
        let list = dossiers::list(&mut conn, firm_id, None).await?;
        drop(conn);
        let mut lines = Vec::with_capacity(list.len());
        for dossier in list {
            let mut tx = store.begin().await?;
            let (situation, contact) = self.situation(&mut tx, firm_id, &dossier, now).await?;
            let mut decision = decide(&self.cadence, &situation, now);
            if options.ahead_of_time {
                if let Decision::Wait {
                    next: Some((template, step)),
                    why,
                    ..
                } = decision
                {
                    if !matches!(why, Why::ContactRested(_) | Why::Held(_)) {
                        let at = cadence::window(&self.cadence).next_slot(now);
                        decision = Decision::Send {
                            template,
                            step,
                            at,
                            why,
                        };
                    }
                }
            }
            if options.outside_hours {
                if let Decision::Send { at, .. } = &mut decision {
                    // Only the window's wait (a client's hold stays).
                    if *at == cadence::window(&self.cadence).next_slot(now) {
                        *at = now;
                    }
                }
            }
            let mut planned = None;
            if !options.dry_run {
                match (&decision, &contact) {
                    (
                        Decision::Send {
                            template,
                            step,
                            at,
                            why,
                        },
                        Some(contact),
                    ) => {
                        planned = self
                            .write_plan(
                                &mut tx,
                                firm_id,
                                &dossier,
                                contact,
                                *template,
                                *step,
                                *why,
                                *at,
                                lang,
                                &Actor::System,
                                now,
                            )
                            .await?;
                    }
                    (Decision::Escalate { reminders }, _) => {
                        outbox::escalate(
                            &mut tx,
                            firm_id,
                            dossier.id,
                            Topic::Mandate,
                            *reminders,
                            now,
                        )
                        .await?;
                    }
                    _ => {}
                }
            }
            tx.commit().await?;
            lines.push(PlanLine {
                dossier_code: dossier.record.code.clone(),
                legal_name: dossier.record.legal_name.clone(),
                contact: contact.map(|c| c.email.to_string()),
                decision,
                planned,
            });
        }
        Ok(lines)
    }

    /// `relancer D` in chat: the dossier's next reminder, planned now (at
    /// the next sending slot), unless a stop rule or the contact's rest
    /// says otherwise. Returns the decision and the planned row.
    pub async fn plan_now(
        &self,
        store: &Store,
        firm_id: i64,
        dossier: &Dossier,
        lang: Lang,
        actor: &Actor,
        now: DateTime<Utc>,
    ) -> Result<PlanLine> {
        let mut tx = store.begin().await?;
        let (situation, contact) = self.situation(&mut tx, firm_id, dossier, now).await?;
        let mut decision = decide(&self.cadence, &situation, now);
        if let Decision::Stop(Why::ReplyPending(_)) = decision {
            // The client's reply stops the automatic reminders until a
            // person has read it; a person asking for one has.
            let read = Situation {
                reply_pending: None,
                ..situation.clone()
            };
            decision = decide(&self.cadence, &read, now);
        }
        if let Decision::Wait {
            next: Some((template, step)),
            why,
            until: _,
        } = decision
        {
            // A reminder asked by a person skips the cadence's wait, never
            // the contact's rest nor the client's hold, even when the
            // cadence's own next date was later than both (the decision
            // then names the cadence, not them).
            let rested = situation
                .contact_last_message_at
                .map(|t| t + chrono::Duration::days(self.cadence.min_days_between_messages));
            let (floor, why) = match (situation.not_before, rested) {
                (Some(held), rested) if held > now && rested.is_none_or(|r| held >= r) => {
                    (held, Why::Held(held))
                }
                (_, Some(rested)) if rested > now => (rested, Why::ContactRested(rested)),
                _ => (now, why),
            };
            let at = cadence::window(&self.cadence).next_slot(floor);
            decision = Decision::Send {
                template,
                step,
                at,
                why,
            };
        }
        let mut planned = None;
        if let (
            Decision::Send {
                template,
                step,
                at,
                why,
            },
            Some(contact),
        ) = (&decision, &contact)
        {
            planned = self
                .write_plan(
                    &mut tx, firm_id, dossier, contact, *template, *step, *why, *at, lang, actor,
                    now,
                )
                .await?;
        }
        tx.commit().await?;
        Ok(PlanLine {
            dossier_code: dossier.record.code.clone(),
            legal_name: dossier.record.legal_name.clone(),
            contact: contact.map(|c| c.email.to_string()),
            decision,
            planned,
        })
    }

    /// The message a reminder becomes (as [`Mailer::send_due`] renders it),
    /// or `None` when a stop rule applies now. For the benchmark and checks.
    pub async fn render(
        &self,
        store: &Store,
        reminder: &Reminder,
        now: DateTime<Utc>,
    ) -> Result<Option<lettre::Message>> {
        let mut conn = store.pool().acquire().await?;
        Ok(self
            .prepare(&mut conn, reminder, now)
            .await?
            .ok()
            .map(|(m, _)| m))
    }

    /// Renders a planned reminder into its message; `Err` with the reason
    /// to cancel it when a stop rule applies now.
    async fn prepare(
        &self,
        conn: &mut AnyConnection,
        reminder: &Reminder,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(lettre::Message, String), Said>> {
        let firm_id = reminder.firm_id;
        let Some(dossier) = dossiers::find_by_id(conn, firm_id, reminder.dossier_id).await? else {
            return Ok(Err(Said::new("dossier supprimé", "dossier deleted")));
        };
        let contact = contacts::get(conn, firm_id, reminder.contact_id).await?;
        if contact.bounced_at.is_some() {
            return Ok(Err(Why::Bounced.said()));
        }
        if contact.opted_out_at.is_some() {
            return Ok(Err(Why::OptedOut.said()));
        }
        if reminder.topic == Topic::Mandate && !dossier.delegation.is_pending() {
            return Ok(Err(Why::MandateDone(dossier.delegation).said()));
        }
        if reminder.topic == Topic::Platform && dossier.platform.is_some() {
            return Ok(Err(Said::new(
                "plateforme choisie entre-temps",
                "platform chosen meanwhile",
            )));
        }
        let template = Template::from_name(&reminder.template)
            .ok_or_else(|| anyhow!("unknown template {}", reminder.template))?;
        let firm_name = firms::list(conn)
            .await?
            .into_iter()
            .find(|f| f.id == firm_id)
            .map(|f| f.name)
            .unwrap_or_default();
        let accountant = match &dossier.record.owner {
            Some(owner) => users::find_by_email(conn, firm_id, owner.as_str())
                .await?
                .map(|u| (u.record.name, u.record.email.to_string())),
            None => None,
        }
        .unwrap_or_default();
        let lang = reminder.lang;
        let today = now.with_timezone(&chrono_tz::Europe::Paris).date_naive();
        let deadline =
            deadline(&dossier, lang).map(|(d, label)| (d, label, (d - today).num_days()));
        let from_name = self
            .mail
            .from_name
            .clone()
            .unwrap_or_else(|| firm_name.clone());
        let reply_to = token::reply_to(&reminder.token, &self.mail.from_address);
        let signature = if self.mail.signature.trim().is_empty() {
            from_name.clone()
        } else {
            self.mail.signature.clone()
        };
        let context = templates::context(&ContextData {
            lang,
            firm_name: &firm_name,
            signature: &signature,
            logo_url: &self.mail.logo_url,
            reply_to: &reply_to,
            contact_name: &contact.name,
            dossier_code: &dossier.record.code,
            legal_name: &dossier.record.legal_name,
            siren: dossier.record.siren.as_str(),
            accountant_name: &accountant.0,
            accountant_email: &accountant.1,
            deadline,
            emission_date: calendar::obligation_date(&dossier, Obligation::Emission),
            today: now.with_timezone(&chrono_tz::Europe::Paris).date_naive(),
            step: reminder.step,
            token: &reminder.token,
        });
        let rendered = self.templates.render(template, lang, &context)?;
        let addresses = message::Addresses {
            from_name: &from_name,
            from_address: &self.mail.from_address,
            reply_to: &reply_to,
            to_name: &contact.name,
            to_address: contact.email.as_str(),
        };
        let date = reminder
            .claimed_at
            .map(std::time::SystemTime::from)
            .unwrap_or_else(std::time::SystemTime::now);
        let message = message::build(
            &addresses,
            &rendered,
            &reminder.message_id,
            &reminder.token,
            date,
        )
        .map_err(|e| anyhow!(e))?;
        Ok(Ok((message, rendered.subject)))
    }

    /// Claims what is due and sends it, `batch` at a time, until nothing is due.
    ///
    /// When the transport cannot tell after a crash whether a message went
    /// (SMTP), reminders are claimed one at a time, just before each is
    /// sent: a sender that dies leaves at most the one in flight `unknown`,
    /// never a whole batch that had not even been tried.
    pub async fn send_due(
        &self,
        store: &Store,
        now: DateTime<Utc>,
        batch: i64,
    ) -> Result<SendReport> {
        let batch = if self.transport.can_tell_delivery() {
            batch
        } else {
            1
        };
        let mut report = SendReport::default();
        loop {
            let claimed = outbox::claim_due(store, now, batch).await?;
            if claimed.is_empty() {
                return Ok(report);
            }
            for reminder in claimed {
                self.send_one(store, &reminder, now, &mut report).await?;
            }
        }
    }

    async fn send_one(
        &self,
        store: &Store,
        reminder: &Reminder,
        now: DateTime<Utc>,
        report: &mut SendReport,
    ) -> Result<()> {
        let firm_id = reminder.firm_id;
        let mut conn = store.pool().acquire().await?;
        let prepared = self.prepare(&mut conn, reminder, now).await;
        drop(conn);
        let (message, subject) = match prepared {
            Ok(Ok(ready)) => ready,
            Ok(Err(stop)) => {
                let mut tx = store.begin().await?;
                outbox::cancel(
                    &mut tx,
                    firm_id,
                    reminder.id,
                    &stop.stored(),
                    &Actor::System,
                    now,
                )
                .await?;
                tx.commit().await?;
                report.cancelled += 1;
                return Ok(());
            }
            Err(error) => {
                tracing::error!(reminder = reminder.id, error = %format!("{error:#}"), "reminder cannot be rendered");
                let mut tx = store.begin().await?;
                outbox::mark_failed(
                    &mut tx,
                    firm_id,
                    reminder.id,
                    &format!("{error:#}"),
                    None,
                    now,
                )
                .await?;
                tx.commit().await?;
                report.abandoned += 1;
                return Ok(());
            }
        };
        let formatted = message.formatted();
        let result = self
            .transport
            .send(message.envelope(), &formatted, &reminder.token)
            .await;
        if self.crash_after_send && result.is_ok() {
            eprintln!(
                "CABREADY_TEST_CRASH_AFTER_SEND: exiting between the server's answer and `sent`"
            );
            std::process::exit(86);
        }
        let mut tx = store.begin().await?;
        match result {
            Ok(response) => {
                outbox::mark_sent(&mut tx, firm_id, reminder.id, &subject, &response, now).await?;
                tracing::info!(reminder = reminder.id, message_id = %reminder.message_id, "reminder sent");
                report.sent += 1;
            }
            Err(SendError::Transient(error)) if reminder.attempts < self.cadence.max_attempts => {
                let retry = now + backoff(reminder.attempts);
                tracing::warn!(reminder = reminder.id, %error, "reminder not sent, will retry");
                outbox::mark_failed(&mut tx, firm_id, reminder.id, &error, Some(retry), now)
                    .await?;
                report.failed += 1;
            }
            Err(error) => {
                tracing::warn!(reminder = reminder.id, %error, "reminder abandoned");
                outbox::mark_failed(&mut tx, firm_id, reminder.id, &error.to_string(), None, now)
                    .await?;
                report.abandoned += 1;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// One pass of the outbox, as `cabready remind` and `serve` run it:
    /// settle what dead senders left in `sending` (after `lease`), plan
    /// what the cadence says is due, send what is due.
    pub async fn tick(
        &self,
        store: &Store,
        firm_id: i64,
        lang: Lang,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<TickReport> {
        let recovery = self.recover(store, now, lease).await?;
        let options = PlanOptions {
            dry_run: false,
            ahead_of_time: false,
            outside_hours: false,
        };
        let lines = self.plan(store, firm_id, lang, now, options).await?;
        let sent = self.send_due(store, now, 50).await?;
        Ok(TickReport {
            recovery,
            planned: lines.iter().filter(|l| l.planned.is_some()).count(),
            sent,
        })
    }

    /// Settles the rows left in `sending` for longer than `lease`: sent if
    /// the transport finds them delivered, planned again if it proves they
    /// were not, `unknown` (for a person, never resent) if it cannot tell.
    pub async fn recover(
        &self,
        store: &Store,
        now: DateTime<Utc>,
        lease: Duration,
    ) -> Result<RecoveryReport> {
        let mut conn = store.pool().acquire().await?;
        let stuck = outbox::stuck_sending(&mut conn, now - lease).await?;
        drop(conn);
        let mut report = RecoveryReport::default();
        for reminder in stuck {
            let resolution = match self.transport.delivered(&reminder.token) {
                Some(true) => Resolution::Delivered,
                Some(false) => Resolution::NotDelivered,
                None => Resolution::Unknown,
            };
            let mut tx = store.begin().await?;
            let moved = outbox::resolve_stuck(
                &mut tx,
                reminder.firm_id,
                reminder.id,
                resolution,
                &Actor::System,
                now,
            )
            .await
            .context("recovery of a reminder left in `sending`")?;
            tx.commit().await?;
            if moved {
                match resolution {
                    Resolution::Delivered => report.delivered += 1,
                    Resolution::NotDelivered => report.requeued += 1,
                    Resolution::Unknown => report.unknown += 1,
                }
            }
        }
        Ok(report)
    }
}

/// The HMAC key: `CABREADY_MAIL_HMAC_KEY`, else the key file (created with
/// a random key, mode 0600, when missing).
pub fn load_signer(key_file: &std::path::Path) -> Result<Signer> {
    if let Ok(key) = std::env::var("CABREADY_MAIL_HMAC_KEY") {
        if !key.trim().is_empty() {
            return Signer::new(key.trim().as_bytes()).ok_or_else(|| {
                anyhow!("CABREADY_MAIL_HMAC_KEY : clé trop courte (16 caractères au moins)")
            });
        }
    }
    if !key_file.exists() {
        use rand::RngCore;
        let mut key = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut key);
        if let Some(parent) = key_file.parent() {
            std::fs::create_dir_all(parent)?;
        }
        write_private(key_file, hex::encode(key).as_bytes())
            .with_context(|| format!("impossible de créer la clé HMAC {}", key_file.display()))?;
    }
    let key = std::fs::read_to_string(key_file)
        .with_context(|| format!("impossible de lire la clé HMAC {}", key_file.display()))?;
    Signer::new(key.trim().as_bytes()).ok_or_else(|| {
        anyhow!(
            "clé HMAC trop courte dans {} (16 caractères au moins)",
            key_file.display()
        )
    })
}

fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}
