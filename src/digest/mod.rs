//! The daily digest: per manager (the firm) and per opted-in accountant
//! (their portfolios), the readiness score and its change, the dossiers
//! newly à risque or en retard, overdue mandates, open anomalies by owner
//! and age, the clients' replies and the reminders sent, the deadlines of
//! the next 30 and 90 days. A chat version (a `Reply`, posted by the chat's
//! notices from the journal) and an email (HTML with inline PNG charts and a
//! text part, from handlebars templates in templates/digest/).

pub mod chart;
pub mod send;

use anyhow::{Context, Result};
use cabready_bot::Reply;
use cabready_store::calendar::{self, CalendarRules};
use cabready_store::clock::show_date;
use cabready_store::digest::{self as store_digest, Activity, AnomalyAges};
use cabready_store::domain::{MandateStatus, Role};
use cabready_store::readiness::inputs::{self, Inputs};
use cabready_store::readiness::text::exposure_range;
use cabready_store::readiness::{
    aggregate, assess_all, snapshot, Aggregate, Item, Readiness, State,
};
use cabready_store::users::User;
use cabready_store::{dossiers, Lang};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{json, Value};
use sqlx::AnyConnection;
use std::collections::HashSet;

/// Everything one recipient's digest says.
#[derive(Debug, Clone)]
pub struct Digest {
    pub recipient_name: String,
    pub scope: String,
    pub day: NaiveDate,
    pub agg: Aggregate,
    pub yesterday: Option<u8>,
    pub last_week: Option<u8>,
    /// The last 30 days' mean score, oldest first (days with a snapshot).
    pub trend: Vec<(NaiveDate, u8)>,
    pub newly: Vec<String>,
    pub overdue_mandates: Vec<String>,
    pub anomalies: Vec<AnomalyAges>,
    pub activity: Activity,
    pub due_30: Vec<String>,
    pub due_90: Vec<String>,
    /// The delegation mandate funnel: (status label, dossiers).
    pub funnel: Vec<(String, i64)>,
}

/// Who gets a digest: managers and admins, and the accountants listed in
/// `[digest] accountants`.
pub fn recipients(users: &[User], opted_in: &[String]) -> Vec<User> {
    users
        .iter()
        .filter(|u| match u.record.role {
            Role::Manager | Role::Admin => true,
            Role::Accountant => opted_in
                .iter()
                .any(|e| e.eq_ignore_ascii_case(u.record.email.as_str())),
            Role::Viewer => false,
        })
        .cloned()
        .collect()
}

fn in_scope(user: &User, input: &Inputs) -> bool {
    match user.record.role {
        Role::Accountant => {
            input
                .portfolio
                .as_ref()
                .is_some_and(|p| user.record.portfolios.contains(p))
                || input.owner.as_deref() == Some(user.record.email.as_str())
        }
        _ => true,
    }
}

fn mean(scores: impl Iterator<Item = u8>) -> Option<u8> {
    let (sum, n) = scores.fold((0usize, 0usize), |(s, n), x| (s + usize::from(x), n + 1));
    (sum.checked_div(n)).filter(|_| n > 0).map(|m| m as u8)
}

/// Takes today's snapshot of the whole firm (idempotent for the day).
pub async fn snapshot_firm(
    store: &cabready_store::Store,
    firm_id: i64,
    rules: &CalendarRules,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut conn = store.pool().acquire().await?;
    let list = inputs::load(&mut conn, firm_id, inputs::Scope::Firm).await?;
    drop(conn);
    let assessed = assess_all(list, rules, today);
    let mut tx = store.begin_write().await?;
    snapshot::take(
        &mut tx,
        firm_id,
        today,
        &assessed,
        &cabready_store::journal::Actor::System,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Gathers one recipient's digest for `today` (`now` is the time of the run).
#[allow(clippy::too_many_arguments)]
pub async fn gather(
    conn: &mut AnyConnection,
    firm_id: i64,
    firm_name: &str,
    user: &User,
    rules: &CalendarRules,
    today: NaiveDate,
    now: DateTime<Utc>,
    lang: Lang,
) -> Result<Digest> {
    let all = inputs::load(conn, firm_id, inputs::Scope::Firm).await?;
    let list: Vec<Inputs> = all.into_iter().filter(|i| in_scope(user, i)).collect();
    let ids: HashSet<i64> = list.iter().map(|i| i.dossier_id).collect();
    let assessed: Vec<(Inputs, Readiness)> = assess_all(list, rules, today);
    let agg = aggregate(assessed.iter().map(|(_, r)| r));

    let mut trend = Vec::new();
    let mut yesterday_rows = None;
    for back in (0..30).rev() {
        let d = today - Duration::days(back);
        let rows = snapshot::of_day(conn, firm_id, d).await?;
        let m = mean(
            rows.iter()
                .filter(|(id, _)| ids.contains(id))
                .map(|(_, r)| r.score),
        );
        if back == 0 && m.is_none() {
            trend.push((d, agg.score));
        } else if let Some(m) = m {
            trend.push((d, m));
        }
        if back == 1 {
            yesterday_rows = Some(rows);
        }
    }
    let score_on = |d: NaiveDate| trend.iter().find(|(x, _)| *x == d).map(|(_, s)| *s);
    let yesterday = score_on(today - Duration::days(1));
    let last_week = score_on(today - Duration::days(7));

    let line = |(i, r): &&(Inputs, Readiness)| {
        format!(
            "{} {} — {} ({}/100)",
            i.code,
            i.legal_name,
            r.state.label(lang),
            r.score
        )
    };
    let newly: Vec<String> = match &yesterday_rows {
        Some(rows) if !rows.is_empty() => assessed
            .iter()
            .filter(|(i, r)| {
                matches!(r.state, State::Late | State::AtRisk)
                    && rows.get(&i.dossier_id).is_some_and(|y| y.state > r.state)
            })
            .map(|pair| line(&pair))
            .collect(),
        // No day before to compare with (the first digest): every dossier at
        // risk or late is news, the late and the lowest scores first.
        _ => {
            let mut worse: Vec<_> = assessed
                .iter()
                .filter(|(_, r)| matches!(r.state, State::Late | State::AtRisk))
                .collect();
            worse.sort_by_key(|(i, r)| (r.state, r.score, i.code.clone()));
            let mut lines = Vec::with_capacity(worse.len() + 1);
            if !worse.is_empty() {
                lines.push(
                    lang.pick(
                        "(premier résumé, sans la veille pour comparer : tous les dossiers à risque ou en retard)",
                        "(first digest, no day before to compare with: every dossier at risk or late)",
                    )
                    .to_string(),
                );
            }
            lines.extend(worse.iter().map(line));
            lines
        }
    };
    // The latest first: the mandates most overdue, then by code.
    let mut overdue: Vec<(i64, &Inputs)> = assessed
        .iter()
        .filter_map(|(i, r)| {
            let line = r
                .missing()
                .find(|l| l.item == Item::MandateSigned && l.due.is_some_and(|d| d < today))?;
            Some(((today - line.due?).num_days(), i))
        })
        .collect();
    overdue.sort_by(|(a, i), (b, j)| b.cmp(a).then_with(|| i.code.cmp(&j.code)));
    let overdue_mandates: Vec<String> = overdue
        .iter()
        .map(|(days, i)| {
            let status = i.delegation.label(lang);
            match lang {
                Lang::Fr => format!("{} {} — {status}, {days} j de retard", i.code, i.legal_name),
                Lang::En => format!("{} {} — {status}, {days} days late", i.code, i.legal_name),
            }
        })
        .collect();
    let scope_ids: Option<Vec<i64>> = match user.record.role {
        Role::Accountant => Some(ids.iter().copied().collect()),
        _ => None,
    };
    let anomalies =
        store_digest::anomalies_by_owner(conn, firm_id, scope_ids.as_deref(), now).await?;
    let activity = store_digest::activity(conn, firm_id, now - Duration::days(1), now).await?;

    let dossiers: Vec<_> = dossiers::list(conn, firm_id, None)
        .await?
        .into_iter()
        .filter(|d| ids.contains(&d.id))
        .collect();
    let agenda = calendar::agenda(&dossiers, rules, today, 90);
    let mut due_30 = Vec::new();
    let mut due_90 = Vec::new();
    for due in &agenda.upcoming {
        let line = format!(
            "{} — {} {} — {}",
            show_date(due.date, lang),
            due.dossier_code,
            due.dossier_name,
            due.item.label(lang)
        );
        if (due.date - today).num_days() <= 30 {
            due_30.push(line);
        } else {
            due_90.push(line);
        }
    }
    let funnel = [
        MandateStatus::NotRequested,
        MandateStatus::Requested,
        MandateStatus::Reminded,
        MandateStatus::ReceivedToVerify,
        MandateStatus::Signed,
    ]
    .into_iter()
    .map(|s| {
        let label = s.label(lang);
        (
            label.to_string(),
            assessed.iter().filter(|(i, _)| i.delegation == s).count() as i64,
        )
    })
    .collect();
    let scope = match user.record.role {
        Role::Accountant => match lang {
            Lang::Fr => format!("portefeuille(s) {}", user.record.portfolios.join(", ")),
            Lang::En => format!("portfolio(s) {}", user.record.portfolios.join(", ")),
        },
        _ => firm_name.to_string(),
    };
    Ok(Digest {
        recipient_name: user.record.name.clone(),
        scope,
        day: today,
        agg,
        yesterday,
        last_week,
        trend,
        newly,
        overdue_mandates,
        anomalies,
        activity,
        due_30,
        due_90,
        funnel,
    })
}

fn delta(now: u8, then: Option<u8>) -> Option<String> {
    then.map(|t| {
        let d = i32::from(now) - i32::from(t);
        if d >= 0 {
            format!("+{d}")
        } else {
            d.to_string()
        }
    })
}

impl Digest {
    pub fn title(&self, lang: Lang) -> String {
        match lang {
            Lang::Fr => format!("Synthèse du {} — {}", show_date(self.day, lang), self.scope),
            Lang::En => format!("Digest of {} — {}", show_date(self.day, lang), self.scope),
        }
    }

    pub fn score_line(&self, lang: Lang) -> String {
        let mut out = format!("{}/100", self.agg.score);
        let changes: Vec<String> = [
            (
                delta(self.agg.score, self.yesterday),
                lang.pick("depuis hier", "since yesterday"),
            ),
            (
                delta(self.agg.score, self.last_week),
                lang.pick("en 7 jours", "in 7 days"),
            ),
        ]
        .into_iter()
        .filter_map(|(d, label)| d.map(|d| format!("{d} {label}")))
        .collect();
        if !changes.is_empty() {
            out.push_str(&format!(" ({})", changes.join(", ")));
        }
        out
    }

    pub fn states_line(&self, lang: Lang) -> String {
        let a = &self.agg;
        match lang {
            Lang::Fr => format!(
                "{} dossier(s) : {} en retard, {} à risque, {} en bonne voie, {} prêt(s)",
                a.dossiers, a.late, a.at_risk, a.on_track, a.ready
            ),
            Lang::En => format!(
                "{} dossier(s): {} late, {} at risk, {} on track, {} ready",
                a.dossiers, a.late, a.at_risk, a.on_track, a.ready
            ),
        }
    }

    pub fn anomaly_lines(&self, lang: Lang) -> Vec<String> {
        self.anomalies
            .iter()
            .map(|a| {
                let owner = a
                    .owner
                    .clone()
                    .unwrap_or_else(|| lang.pick("non assignées", "unassigned").into());
                match lang {
                    Lang::Fr => format!(
                        "{owner} : {} de moins de 7 j, {} de 7 à 30 j, {} de plus de 30 j ({} critique(s))",
                        a.under_7_days, a.from_7_to_30_days, a.over_30_days, a.critical
                    ),
                    Lang::En => format!(
                        "{owner}: {} under 7 days, {} from 7 to 30 days, {} over 30 days ({} critical)",
                        a.under_7_days, a.from_7_to_30_days, a.over_30_days, a.critical
                    ),
                }
            })
            .collect()
    }

    pub fn activity_lines(&self, lang: Lang) -> Vec<String> {
        let mut out: Vec<String> = self
            .activity
            .replies
            .iter()
            .map(|(action, n)| format!("{n} {}", client_action_label(action, lang)))
            .collect();
        if out.is_empty() {
            out.push(
                lang.pick("aucune réponse de client", "no client reply")
                    .into(),
            );
        }
        out.push(match lang {
            Lang::Fr => format!("{} relance(s) envoyée(s)", self.activity.reminders_sent),
            Lang::En => format!("{} reminder(s) sent", self.activity.reminders_sent),
        });
        out
    }

    fn or_none(items: &[String], lang: Lang) -> Vec<String> {
        if items.is_empty() {
            // Neutral: the sections name dossiers, mandates or deadlines.
            vec![lang.pick("rien à signaler", "nothing to report").into()]
        } else {
            items.to_vec()
        }
    }

    fn capped(items: &[String], cap: usize, lang: Lang) -> Vec<String> {
        let mut out: Vec<String> = Self::or_none(items, lang).into_iter().take(cap).collect();
        if items.len() > cap {
            out.push(match lang {
                Lang::Fr => format!("… et {} autre(s)", items.len() - cap),
                Lang::En => format!("… and {} more", items.len() - cap),
            });
        }
        out
    }

    /// The sections shared by the chat and the email: (title, lines).
    pub fn sections(&self, lang: Lang, cap: usize) -> Vec<(String, Vec<String>)> {
        vec![
            (
                lang.pick(
                    "Nouveaux dossiers à risque ou en retard",
                    "Newly at risk or late",
                )
                .into(),
                Self::capped(&self.newly, cap, lang),
            ),
            (
                lang.pick("Mandats en retard", "Overdue mandates").into(),
                Self::capped(&self.overdue_mandates, cap, lang),
            ),
            (
                lang.pick(
                    "Anomalies ouvertes par responsable",
                    "Open anomalies by owner",
                )
                .into(),
                Self::or_none(&self.anomaly_lines(lang), lang),
            ),
            (
                lang.pick("Dernières 24 heures", "Last 24 hours").into(),
                self.activity_lines(lang),
            ),
            (
                lang.pick("Échéances dans les 30 jours", "Due within 30 days")
                    .into(),
                Self::capped(&self.due_30, cap, lang),
            ),
            (
                lang.pick("Échéances de 31 à 90 jours", "Due in 31 to 90 days")
                    .into(),
                Self::capped(&self.due_90, cap, lang),
            ),
        ]
    }

    /// The chat version.
    pub fn reply(&self, lang: Lang) -> Reply {
        let mut reply = Reply::info(self.title(lang))
            .field("Score", self.score_line(lang))
            .field(lang.pick("Dossiers", "Dossiers"), self.states_line(lang));
        if self.agg.late > 0 {
            reply = reply.field(
                lang.pick("Exposition aux pénalités", "Penalty exposure"),
                exposure_range(self.agg.exposure_low, self.agg.exposure_high, lang),
            );
        }
        for (title, items) in self.sections(lang, 8) {
            reply = reply.section(title, items);
        }
        reply.action(lang.pick("Préparation", "Readiness"), "pret")
    }
}

/// A reply as JSON (for the journal line the chat's notices read back).
/// What a client's email did, as the journal names it, for people.
fn client_action_label(action: &str, lang: Lang) -> String {
    let (fr, en) = match action {
        "inbound.received" => ("e-mail(s) de client lu(s)", "client email(s) read"),
        "mandate.status_changed" => (
            "mandat(s) reçu(s), à vérifier",
            "mandate(s) received, to verify",
        ),
        "reminder.held" => (
            // (A client's "next week" or an out-of-office until a date.)
            "relance(s) reportée(s) : client absent ou qui demande un délai",
            "reminder(s) postponed: client away or asking for time",
        ),
        "contact.opted_out" => (
            "client(s) ne souhaitant plus de relances",
            "client(s) who opted out of reminders",
        ),
        "contact.bounced" => ("adresse(s) en échec", "bounced address(es)"),
        "inbound.triaged" => ("e-mail(s) à trier", "email(s) to sort"),
        other => {
            return format!(
                "{}{}{other}",
                lang.pick("action client", "client action"),
                lang.colon()
            )
        }
    };
    lang.pick(fr, en).to_string()
}

pub fn reply_json(reply: &Reply) -> Value {
    json!({
        "title": reply.title,
        "fields": reply.fields.iter().map(|f| json!([f.name, f.value])).collect::<Vec<_>>(),
        "sections": reply.sections.iter().map(|s| json!([s.title, s.items])).collect::<Vec<_>>(),
    })
}

/// The email: subject, HTML (charts as `cid:` images), text, and the charts.
pub struct Email {
    pub subject: String,
    pub html: String,
    pub text: String,
    pub trend_png: Vec<u8>,
    pub funnel_png: Vec<u8>,
}

const HTML_TEMPLATE: &str = include_str!("../../templates/digest/digest.html.hbs");
const TEXT_TEMPLATE: &str = include_str!("../../templates/digest/digest.txt.hbs");

pub fn email(digest: &Digest, lang: Lang) -> Result<Email> {
    let trend_png = chart::trend_png(
        lang.pick(
            "Score de préparation (30 jours)",
            "Readiness score (30 days)",
        ),
        &digest.trend,
    )?;
    let funnel_png = chart::bars_png(
        lang.pick("Mandats de délégation", "Delegation mandates"),
        &digest.funnel,
    )?;
    let sections: Vec<Value> = digest
        .sections(lang, 15)
        .into_iter()
        .map(|(title, items)| json!({ "title": title, "items": items }))
        .collect();
    let context = json!({
        "lang": match lang { Lang::Fr => "fr", Lang::En => "en" },
        "title": digest.title(lang),
        "hello": match lang {
            Lang::Fr => format!("Bonjour {},", digest.recipient_name),
            Lang::En => format!("Hello {},", digest.recipient_name),
        },
        "score_label": "Score",
        "score": digest.score_line(lang),
        "states": digest.states_line(lang),
        "exposure": (digest.agg.late > 0).then(|| exposure_range(digest.agg.exposure_low, digest.agg.exposure_high, lang)),
        "exposure_label": lang.pick("Exposition aux pénalités (dossiers en retard)", "Penalty exposure (late dossiers)"),
        // " : " in French, ": " in English: the templates serve both.
        "colon": lang.colon(),
        "sections": sections,
        "trend_alt": lang.pick("Courbe du score de préparation", "Readiness score trend"),
        "funnel_alt": lang.pick("Entonnoir des mandats de délégation", "Delegation mandate funnel"),
        "footer": lang.pick(
            "Synthèse quotidienne de CabReady. Détails : « pret » dans le chat ou cabready readiness.",
            "CabReady's daily digest. Details: 'ready' in chat or cabready readiness."
        ),
    });
    let mut hb = handlebars::Handlebars::new();
    hb.set_strict_mode(true);
    let html = hb
        .render_template(HTML_TEMPLATE, &context)
        .context("digest HTML template")?;
    let mut text_hb = handlebars::Handlebars::new();
    text_hb.register_escape_fn(handlebars::no_escape);
    let context_text = {
        let mut c = context.clone();
        c["exposure"] = json!(c["exposure"].as_str().unwrap_or(""));
        c
    };
    let text = text_hb
        .render_template(TEXT_TEMPLATE, &context_text)
        .context("digest text template")?;
    Ok(Email {
        subject: match lang {
            Lang::Fr => format!(
                "CabReady — synthèse du {} : {}",
                show_date(digest.day, lang),
                digest.score_line(lang)
            ),
            Lang::En => format!(
                "CabReady — digest of {}: {}",
                show_date(digest.day, lang),
                digest.score_line(lang)
            ),
        },
        html,
        text,
        trend_png,
        funnel_png,
    })
}

/// The email as a MIME message (multipart/alternative: text, then HTML with
/// its two inline charts in multipart/related).
pub fn message(
    email: &Email,
    from: &str,
    from_name: Option<&str>,
    to: &str,
    message_id: &str,
    at: DateTime<Utc>,
) -> Result<lettre::Message> {
    use lettre::message::header::ContentType;
    use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
    let from: Mailbox = match from_name {
        Some(name) => format!("{name} <{from}>").parse(),
        None => from.parse(),
    }
    .with_context(|| format!("adresse d'expéditeur invalide : {from}"))?;
    let to: Mailbox = to
        .parse()
        .with_context(|| format!("adresse de destinataire invalide : {to}"))?;
    let png = ContentType::parse("image/png").expect("a valid content type");
    Ok(lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .message_id(Some(message_id.to_string()))
        .date(std::time::SystemTime::from(at))
        .multipart(
            MultiPart::alternative()
                .singlepart(SinglePart::plain(email.text.clone()))
                .multipart(
                    MultiPart::related()
                        .singlepart(SinglePart::html(email.html.clone()))
                        .singlepart(
                            Attachment::new_inline("trend".into())
                                .body(email.trend_png.clone(), png.clone()),
                        )
                        .singlepart(
                            Attachment::new_inline("funnel".into())
                                .body(email.funnel_png.clone(), png),
                        ),
                ),
        )?)
}
