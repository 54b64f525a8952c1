//! The cadence policy, as a pure function: given what CabReady knows of a
//! dossier and its contact, what should happen next, and why.
//!
//! - the first mandate request goes `first_request_after_days` after onboarding;
//! - follow-ups at `follow_up_days` after it (e.g. +7, +14), closer
//!   together (`near_deadline_gap_days`) when the next legal date is near or past;
//! - after the last follow-up, `escalate_after_days` of silence stop the
//!   reminders and open a "relance sans réponse" task for a person;
//! - once the mandate is signed, a client without a platform gets one reminder;
//! - never more than one message per contact per `min_days_between_messages`;
//! - only on working days and hours in Europe/Paris;
//! - stop at once when the mandate is received, the client opted out, or the address bounced;
//! - wait while a reply of the client is for a person to read (an open
//!   `mail_reply` or `mail_unknown_sender` anomaly): a refusal or a
//!   question is answered by a person, not by the next reminder.

use crate::config::CadenceConfig;
use crate::slots::Window;
use cabready_store::domain::MandateStatus;
use cabready_store::outbox::Topic;
use cabready_store::{Lang, Said};
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// The built-in templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Template {
    MandateRequest,
    MandateFollowUp,
    MandateDeadline,
    PlatformChoice,
}

impl Template {
    pub const ALL: [Template; 4] = [
        Template::MandateRequest,
        Template::MandateFollowUp,
        Template::MandateDeadline,
        Template::PlatformChoice,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Template::MandateRequest => "mandate_request",
            Template::MandateFollowUp => "mandate_followup",
            Template::MandateDeadline => "mandate_deadline",
            Template::PlatformChoice => "platform_choice",
        }
    }

    /// What the email is, for people (the name is the template file's).
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Template::MandateRequest, Lang::Fr) => "demande de mandat",
            (Template::MandateRequest, Lang::En) => "mandate request",
            (Template::MandateFollowUp, Lang::Fr) => "relance du mandat",
            (Template::MandateFollowUp, Lang::En) => "mandate follow-up",
            (Template::MandateDeadline, Lang::Fr) => "mandat attendu avant l'échéance",
            (Template::MandateDeadline, Lang::En) => "mandate needed before the deadline",
            (Template::PlatformChoice, Lang::Fr) => "choix de la plateforme agréée",
            (Template::PlatformChoice, Lang::En) => "choice of the approved platform",
        }
    }

    pub fn from_name(name: &str) -> Option<Template> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }

    pub fn topic(self) -> Topic {
        match self {
            Template::PlatformChoice => Topic::Platform,
            _ => Topic::Mandate,
        }
    }
}

/// What the cadence needs to know about one dossier and its contact.
#[derive(Debug, Clone, PartialEq)]
pub struct Situation {
    pub onboarded_at: DateTime<Utc>,
    pub delegation: MandateStatus,
    /// When the delegation mandate last changed status.
    pub mandate_changed_at: DateTime<Utc>,
    pub platform_chosen: bool,
    /// The dossier's next unmet legal date (may be past).
    pub deadline: Option<NaiveDate>,
    /// Reminders of this topic sent so far (mandate: since it was requested).
    pub mandate_reminders_sent: i64,
    pub platform_reminders_sent: i64,
    /// The last mandate reminder (sent, or possibly sent).
    pub last_mandate_reminder_at: Option<DateTime<Utc>>,
    /// The last message to this contact's address, whatever the reason and
    /// the dossier (one planned and not yet sent counts at its due time).
    pub contact_last_message_at: Option<DateTime<Utc>>,
    pub contact: ContactState,
    /// A reminder of this dossier is already planned or on its way.
    pub live_reminder: bool,
    /// A "relance sans réponse" task is already open.
    pub escalated: bool,
    /// No reminder before this time: the client said when (a postponement
    /// or an out-of-office return date read from a reply).
    pub not_before: Option<DateTime<Utc>>,
    /// An open anomaly about a reply of the client, for a person to read.
    pub reply_pending: Option<i64>,
    /// The client's silence counts from here (its latest reply, or a
    /// person closing the "relance sans réponse" task), when after the
    /// mandate was requested: only the reminders sent since are unanswered.
    pub silence_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContactState {
    Missing,
    Reachable,
    OptedOut,
    Bounced,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Plan this reminder, to leave at `at` (the first sending slot).
    Send {
        template: Template,
        step: i64,
        at: DateTime<Utc>,
        why: Why,
    },
    /// Nothing yet; the next reminder (`next`, if any) falls due at `until`.
    Wait {
        until: DateTime<Utc>,
        next: Option<(Template, i64)>,
        why: Why,
    },
    /// No reminder: the rules say stop.
    Stop(Why),
    /// The reminders went unanswered: open a task for a person.
    Escalate { reminders: i64 },
}

/// The reason of a decision, said in the user's language by [`Why::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    FirstRequest,
    FollowUp(i64),
    NearDeadline(NaiveDate),
    PlatformMissing,
    ContactRested(DateTime<Utc>),
    /// The client asked to be written to again from this time on.
    Held(DateTime<Utc>),
    NoContact,
    OptedOut,
    Bounced,
    MandateDone(MandateStatus),
    AlreadyPlanned,
    /// The reminders went unanswered: the accountant takes over.
    Escalated,
    /// The last reminder went; without an answer by then, the accountant takes over.
    Unanswered(DateTime<Utc>),
    /// The client replied; the accountant handles it (this anomaly).
    ReplyPending(i64),
    NothingToChase,
}

impl Why {
    /// In both languages, as the store keeps it.
    pub fn said(self) -> Said {
        Said::new(self.text(Lang::Fr), self.text(Lang::En))
    }

    pub fn text(self, lang: Lang) -> String {
        let date = |d: NaiveDate| cabready_store::clock::show_date(d, lang);
        let time = |t| cabready_store::clock::show_time(t, lang);
        match (self, lang) {
            (Why::FirstRequest, Lang::Fr) => "première demande du mandat de délégation".into(),
            (Why::FirstRequest, Lang::En) => "first request for the delegation mandate".into(),
            (Why::FollowUp(n), Lang::Fr) => format!("relance n° {n} du mandat de délégation"),
            (Why::FollowUp(n), Lang::En) => format!("follow-up no. {n} for the delegation mandate"),
            (Why::NearDeadline(d), Lang::Fr) => {
                format!("échéance proche ou dépassée ({})", date(d))
            }
            (Why::NearDeadline(d), Lang::En) => format!("deadline near or past ({})", date(d)),
            (Why::PlatformMissing, Lang::Fr) => {
                "mandat signé, plateforme agréée pas encore choisie".into()
            }
            (Why::PlatformMissing, Lang::En) => {
                "mandate signed, no approved platform chosen yet".into()
            }
            (Why::ContactRested(t), Lang::Fr) => {
                format!("contact déjà écrit récemment : pas avant le {}", time(t))
            }
            (Why::ContactRested(t), Lang::En) => {
                format!("contact written to recently: not before {}", time(t))
            }
            (Why::Held(t), Lang::Fr) => {
                format!(
                    "le client a demandé de revenir vers lui à partir du {}",
                    time(t)
                )
            }
            (Why::Held(t), Lang::En) => {
                format!("the client asked to hear from us again from {}", time(t))
            }
            (Why::NoContact, Lang::Fr) => "aucun contact e-mail pour ce dossier".into(),
            (Why::NoContact, Lang::En) => "no email contact for this dossier".into(),
            (Why::OptedOut, Lang::Fr) => {
                "le client a demandé à ne plus recevoir de relances".into()
            }
            (Why::OptedOut, Lang::En) => "the client asked not to receive reminders".into(),
            (Why::Bounced, Lang::Fr) => {
                "adresse e-mail du contact invalide (retour en erreur)".into()
            }
            (Why::Bounced, Lang::En) => "the contact's address bounced".into(),
            (Why::MandateDone(s), Lang::Fr) => format!("mandat {}", s.label_fr()),
            (Why::MandateDone(s), Lang::En) => format!("mandate {}", s.label_en()),
            (Why::AlreadyPlanned, Lang::Fr) => "une relance est déjà prévue ou en cours".into(),
            (Why::AlreadyPlanned, Lang::En) => "a reminder is already planned or on its way".into(),
            (Why::Escalated, Lang::Fr) => {
                "relances sans réponse : en attente du collaborateur, plus de relance automatique"
                    .into()
            }
            (Why::Escalated, Lang::En) => {
                "reminders unanswered: waiting for the accountant, no more automatic reminders"
                    .into()
            }
            (Why::Unanswered(t), Lang::Fr) => format!(
                "dernière relance faite : sans réponse le {}, le dossier passe au collaborateur",
                time(t)
            ),
            (Why::Unanswered(t), Lang::En) => format!(
                "last reminder sent: without an answer by {}, the accountant takes over",
                time(t)
            ),
            (Why::ReplyPending(id), Lang::Fr) => {
                format!("réponse du client à traiter par le collaborateur (anomalie #{id})")
            }
            (Why::ReplyPending(id), Lang::En) => {
                format!("client's reply to be handled by the accountant (anomaly #{id})")
            }
            (Why::NothingToChase, Lang::Fr) => "rien à relancer".into(),
            (Why::NothingToChase, Lang::En) => "nothing to chase".into(),
        }
    }
}

pub fn window(config: &CadenceConfig) -> Window {
    Window {
        from_hour: config.send_from_hour,
        until_hour: config.send_until_hour,
        alsace_moselle: config.alsace_moselle,
    }
}

/// What to do now for one dossier.
pub fn decide(config: &CadenceConfig, situation: &Situation, now: DateTime<Utc>) -> Decision {
    use MandateStatus::*;
    match situation.contact {
        ContactState::Missing => return Decision::Stop(Why::NoContact),
        ContactState::OptedOut => return Decision::Stop(Why::OptedOut),
        ContactState::Bounced => return Decision::Stop(Why::Bounced),
        ContactState::Reachable => {}
    }
    if situation.live_reminder {
        return Decision::Stop(Why::AlreadyPlanned);
    }
    if let Some(anomaly) = situation.reply_pending {
        return Decision::Stop(Why::ReplyPending(anomaly));
    }
    let days = Duration::days;
    let near = situation.deadline.filter(|deadline| {
        (*deadline - now.with_timezone(&chrono_tz::Europe::Paris).date_naive()).num_days()
            <= config.near_deadline_days
    });
    let (template, step, earliest, why) = match situation.delegation {
        NotRequested => (
            Template::MandateRequest,
            0,
            situation.onboarded_at + days(config.first_request_after_days),
            Why::FirstRequest,
        ),
        Requested | Reminded => {
            if situation.escalated {
                return Decision::Stop(Why::Escalated);
            }
            // A mandate requested outside CabReady counts as one request;
            // so does the client's answer after which the silence counts
            // again (the follow-ups start over from it).
            let sent = match situation.silence_since {
                Some(_) => situation.mandate_reminders_sent + 1,
                None => situation.mandate_reminders_sent.max(1),
            };
            let last = situation
                .last_mandate_reminder_at
                .or(situation.silence_since)
                .unwrap_or(situation.mandate_changed_at);
            let follow_up = sent as usize; // the next follow-up's number
            let offsets = &config.follow_up_days;
            if follow_up > offsets.len() {
                let quiet_until = last + days(config.escalate_after_days);
                if now >= quiet_until {
                    // The emails themselves (the answer counted above is none).
                    return Decision::Escalate {
                        reminders: situation.mandate_reminders_sent.max(1),
                    };
                }
                return Decision::Wait {
                    until: quiet_until,
                    next: None,
                    why: Why::Unanswered(quiet_until),
                };
            }
            let previous = if follow_up >= 2 {
                offsets[follow_up - 2]
            } else {
                0
            };
            let mut gap = offsets[follow_up - 1] - previous;
            if near.is_some() {
                gap = gap.min(config.near_deadline_gap_days);
            }
            match near {
                Some(deadline) => (
                    Template::MandateDeadline,
                    follow_up as i64,
                    last + days(gap),
                    Why::NearDeadline(deadline),
                ),
                None => (
                    Template::MandateFollowUp,
                    follow_up as i64,
                    last + days(gap),
                    Why::FollowUp(follow_up as i64),
                ),
            }
        }
        Signed if !situation.platform_chosen && situation.platform_reminders_sent == 0 => (
            Template::PlatformChoice,
            0,
            situation.mandate_changed_at + days(config.platform_reminder_after_days),
            Why::PlatformMissing,
        ),
        Signed => return Decision::Stop(Why::NothingToChase),
        other => return Decision::Stop(Why::MandateDone(other)),
    };
    let rested = situation
        .contact_last_message_at
        .map(|t| t + days(config.min_days_between_messages));
    let mut earliest = earliest;
    let mut reason = why;
    if let Some(held) = situation.not_before {
        if held > earliest {
            earliest = held;
            if held > now {
                reason = Why::Held(held);
            }
        }
    }
    if let Some(rested) = rested {
        if rested > earliest {
            earliest = rested;
            if rested > now {
                reason = Why::ContactRested(rested);
            }
        }
    }
    if earliest > now {
        return Decision::Wait {
            until: window(config).next_slot(earliest),
            next: Some((template, step)),
            why: reason,
        };
    }
    Decision::Send {
        template,
        step,
        at: window(config).next_slot(now),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use chrono_tz::Europe::Paris;

    fn paris(m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Paris
            .with_ymd_and_hms(2026, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn base() -> Situation {
        Situation {
            onboarded_at: paris(11, 2, 10),
            delegation: MandateStatus::NotRequested,
            mandate_changed_at: paris(11, 2, 10),
            platform_chosen: false,
            deadline: NaiveDate::from_ymd_opt(2027, 9, 1),
            mandate_reminders_sent: 0,
            platform_reminders_sent: 0,
            last_mandate_reminder_at: None,
            contact_last_message_at: None,
            contact: ContactState::Reachable,
            live_reminder: false,
            escalated: false,
            not_before: None,
            reply_pending: None,
            silence_since: None,
        }
    }

    #[test]
    fn first_request_after_onboarding_in_working_hours() {
        let config = CadenceConfig::default();
        // Onboarded Monday 2 Nov; Wednesday 25 Nov 10:00: due now.
        match decide(&config, &base(), paris(11, 25, 10)) {
            Decision::Send {
                template,
                step,
                at,
                why,
            } => {
                assert_eq!(
                    (template, step, why),
                    (Template::MandateRequest, 0, Why::FirstRequest)
                );
                assert_eq!(at, paris(11, 25, 10));
            }
            other => panic!("{other:?}"),
        }
        // Same day at 22:00: planned for Thursday 9:00.
        match decide(&config, &base(), paris(11, 25, 22)) {
            Decision::Send { at, .. } => assert_eq!(at, paris(11, 26, 9)),
            other => panic!("{other:?}"),
        }
        // Just onboarded: wait two days (then the next slot).
        let fresh = Situation {
            onboarded_at: paris(11, 25, 10),
            ..base()
        };
        assert_eq!(
            decide(&config, &fresh, paris(11, 25, 11)),
            Decision::Wait {
                until: paris(11, 27, 10),
                next: Some((Template::MandateRequest, 0)),
                why: Why::FirstRequest
            }
        );
    }

    #[test]
    fn follow_ups_then_escalation() {
        let config = CadenceConfig::default();
        let far = NaiveDate::from_ymd_opt(2028, 9, 1);
        let requested = Situation {
            delegation: MandateStatus::Requested,
            mandate_reminders_sent: 1,
            last_mandate_reminder_at: Some(paris(11, 2, 10)),
            contact_last_message_at: Some(paris(11, 2, 10)),
            deadline: far,
            ..base()
        };
        // +7 days: follow-up 1 due on Monday 9 Nov 10:00.
        assert_eq!(
            decide(&config, &requested, paris(11, 5, 10)),
            Decision::Wait {
                until: paris(11, 9, 10),
                next: Some((Template::MandateFollowUp, 1)),
                why: Why::FollowUp(1)
            }
        );
        assert!(matches!(
            decide(&config, &requested, paris(11, 9, 10)),
            Decision::Send {
                template: Template::MandateFollowUp,
                step: 1,
                ..
            }
        ));
        // After follow-up 2 (+14): silence for 7 days, then escalate.
        let twice = Situation {
            delegation: MandateStatus::Reminded,
            mandate_reminders_sent: 3,
            last_mandate_reminder_at: Some(paris(11, 16, 10)),
            ..requested.clone()
        };
        assert!(matches!(
            decide(&config, &twice, paris(11, 20, 10)),
            Decision::Wait { .. }
        ));
        assert_eq!(
            decide(&config, &twice, paris(11, 23, 10)),
            Decision::Escalate { reminders: 3 }
        );
        let escalated = Situation {
            escalated: true,
            ..twice.clone()
        };
        assert_eq!(
            decide(&config, &escalated, paris(11, 30, 10)),
            Decision::Stop(Why::Escalated)
        );
        // The client answers on 1 December: nothing sent since, so follow-up
        // 1 again, a week after the answer; escalated only after two more.
        let answered = Situation {
            mandate_reminders_sent: 0,
            last_mandate_reminder_at: None,
            silence_since: Some(paris(12, 1, 10)),
            ..twice
        };
        assert_eq!(
            decide(&config, &answered, paris(12, 2, 10)),
            Decision::Wait {
                until: paris(12, 8, 10),
                next: Some((Template::MandateFollowUp, 1)),
                why: Why::FollowUp(1)
            }
        );
        let again = Situation {
            mandate_reminders_sent: 2,
            last_mandate_reminder_at: Some(paris(12, 15, 10)),
            ..answered
        };
        assert_eq!(
            decide(&config, &again, paris(12, 18, 10)),
            Decision::Wait {
                until: paris(12, 22, 10),
                next: None,
                why: Why::Unanswered(paris(12, 22, 10))
            }
        );
        assert_eq!(
            decide(&config, &again, paris(12, 22, 10)),
            Decision::Escalate { reminders: 2 }
        );
    }

    #[test]
    fn tighter_near_the_deadline_and_one_message_per_contact() {
        let config = CadenceConfig::default();
        let near = Situation {
            delegation: MandateStatus::Requested,
            mandate_reminders_sent: 1,
            last_mandate_reminder_at: Some(paris(11, 2, 10)),
            deadline: NaiveDate::from_ymd_opt(2026, 12, 15),
            ..base()
        };
        // Gap 4 days instead of 7: due Friday 6 Nov, deadline template.
        assert!(matches!(
            decide(&config, &near, paris(11, 6, 10)),
            Decision::Send {
                template: Template::MandateDeadline,
                step: 1,
                ..
            }
        ));
        // Written to yesterday about something else: rest 3 days.
        let rested = Situation {
            contact_last_message_at: Some(paris(11, 5, 10)),
            ..near
        };
        assert_eq!(
            decide(&config, &rested, paris(11, 6, 10)),
            Decision::Wait {
                until: paris(11, 9, 9),
                next: Some((Template::MandateDeadline, 1)),
                why: Why::ContactRested(paris(11, 8, 10))
            }
        );
    }

    #[test]
    fn a_client_hold_pushes_the_next_reminder() {
        let config = CadenceConfig::default();
        let due = Situation {
            delegation: MandateStatus::Requested,
            mandate_reminders_sent: 1,
            last_mandate_reminder_at: Some(paris(11, 2, 10)),
            ..base()
        };
        assert!(matches!(
            decide(&config, &due, paris(11, 10, 10)),
            Decision::Send { .. }
        ));
        // "On verra en janvier": nothing before 4 January 09:00.
        let held = Situation {
            not_before: Some(paris(1, 4, 9).with_timezone(&Utc) + Duration::days(365)),
            ..due.clone()
        };
        match decide(&config, &held, paris(11, 10, 10)) {
            Decision::Wait { until, why, next } => {
                assert!(until >= held.not_before.unwrap());
                assert!(matches!(why, Why::Held(_)));
                assert_eq!(next, Some((Template::MandateFollowUp, 1)));
            }
            other => panic!("expected a wait, got {other:?}"),
        }
        // Once the date has passed, the reminder goes.
        assert!(matches!(
            decide(
                &config,
                &held,
                held.not_before.unwrap() + Duration::hours(1)
            ),
            Decision::Send { .. }
        ));
    }

    #[test]
    fn a_reply_for_a_person_stops_the_reminders_until_handled() {
        let config = CadenceConfig::default();
        let due = Situation {
            delegation: MandateStatus::Requested,
            mandate_reminders_sent: 1,
            last_mandate_reminder_at: Some(paris(11, 2, 10)),
            ..base()
        };
        let waiting = Situation {
            reply_pending: Some(12),
            ..due.clone()
        };
        let now = paris(11, 25, 10);
        assert_eq!(
            decide(&config, &waiting, now),
            Decision::Stop(Why::ReplyPending(12))
        );
        assert!(Why::ReplyPending(12)
            .text(Lang::Fr)
            .contains("anomalie #12"));
        // Handled (resolved or dismissed): the cadence goes on.
        assert!(matches!(decide(&config, &due, now), Decision::Send { .. }));
    }

    #[test]
    fn stop_rules() {
        let config = CadenceConfig::default();
        let now = paris(11, 25, 10);
        for (contact, why) in [
            (ContactState::Missing, Why::NoContact),
            (ContactState::OptedOut, Why::OptedOut),
            (ContactState::Bounced, Why::Bounced),
        ] {
            assert_eq!(
                decide(&config, &Situation { contact, ..base() }, now),
                Decision::Stop(why)
            );
        }
        for status in [
            MandateStatus::ReceivedToVerify,
            MandateStatus::Refused,
            MandateStatus::Expired,
        ] {
            assert_eq!(
                decide(
                    &config,
                    &Situation {
                        delegation: status,
                        ..base()
                    },
                    now
                ),
                Decision::Stop(Why::MandateDone(status))
            );
        }
        assert_eq!(
            decide(
                &config,
                &Situation {
                    live_reminder: true,
                    ..base()
                },
                now
            ),
            Decision::Stop(Why::AlreadyPlanned)
        );
        // Signed without platform: one platform reminder, 14 days after signing.
        let signed = Situation {
            delegation: MandateStatus::Signed,
            ..base()
        };
        assert!(matches!(
            decide(&config, &signed, now),
            Decision::Send {
                template: Template::PlatformChoice,
                ..
            }
        ));
        let done = Situation {
            platform_chosen: true,
            ..signed
        };
        assert_eq!(
            decide(&config, &done, now),
            Decision::Stop(Why::NothingToChase)
        );
    }
}
