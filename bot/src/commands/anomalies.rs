//! The anomaly queue in chat: `anomalies [miennes|ouvertes|dossier D|portefeuille P]`,
//! `anomalie N`, `assigner N @user`, `commenter N texte`, `resoudre N [note]`,
//! `ignorer N raison`.

use super::dossier_named;
use crate::error::{CommandError, CommandResult};
use crate::parse::{AnomalyAction, AnomalyScope};
use crate::reply::PAGE_SIZE;
use crate::{Caller, Core, Reply};
use cabready_store::anomalies::{self, Anomaly, AnomalyStatus, Filter};
use cabready_store::clock::{paris_day, show_time};
use cabready_store::domain::{Email, Role};
use cabready_store::journal::{self, Actor};
use cabready_store::users::{self, User};
use cabready_store::{platforms, Lang, Said, StoreError};
use chrono::{DateTime, Utc};

/// One anomaly on one line: `#12 [critique] D002 Garage — what — depuis 5 j — assignée à x`.
pub fn line(a: &Anomaly, lang: Lang, now: DateTime<Utc>) -> String {
    let dossier = match (&a.dossier_code, &a.dossier_name) {
        (Some(code), Some(name)) => format!("{code} {name}"),
        _ => lang.pick("cabinet", "firm").to_string(),
    };
    // In days of the calendar, in Paris: opened yesterday evening is not "today".
    let age = (paris_day(now) - paris_day(a.opened_at)).num_days();
    let who = match &a.assignee {
        Some(email) => format!(" — {} {email}", lang.pick("assignée à", "assigned to")),
        None => format!(" — {}", lang.pick("non assignée", "unassigned")),
    };
    // How long it has been in the queue (not how long the problem lasts:
    // the description says since when).
    let age = match (age, lang) {
        // A handled one says what became of it, and when.
        _ if a.status != AnomalyStatus::Open => format!(
            "{}{}{}",
            a.status.label(lang),
            a.closed_at
                .map(|at| format!(" {} {}", lang.pick("le", "on"), show_time(at, lang)))
                .unwrap_or_default(),
            a.note
                .as_deref()
                .map(|note| format!("{}{}", lang.colon(), Said::show(note, lang)))
                .unwrap_or_default()
        ),
        (..=0, Lang::Fr) => "ouverte aujourd'hui".to_string(),
        (..=0, Lang::En) => "opened today".to_string(),
        (1, Lang::Fr) => "ouverte depuis 1 jour".to_string(),
        (1, Lang::En) => "open for 1 day".to_string(),
        (n, Lang::Fr) => format!("ouverte depuis {n} jours"),
        (n, Lang::En) => format!("open for {n} days"),
    };
    format!(
        "#{} [{}] {dossier} — {} — {age}{who}",
        a.id,
        a.severity.label(lang),
        anomalies::rules::describe(&a.rule, &a.details, lang),
    )
}

pub async fn list(core: &Core, caller: &Caller, scope: AnomalyScope, page: usize) -> CommandResult {
    let lang = core.lang;
    let mut conn = core.store.pool().acquire().await?;
    let mut filter = Filter::default();
    let (label, command) = match &scope {
        AnomalyScope::Open => (
            lang.pick("ouvertes", "open").to_string(),
            "anomalies ouvertes".to_string(),
        ),
        AnomalyScope::Closed => {
            filter.statuses = AnomalyStatus::FINISHED.to_vec();
            (
                lang.pick(
                    "closes, résolues ou écartées",
                    "closed, resolved or dismissed",
                )
                .to_string(),
                "anomalies closes".to_string(),
            )
        }
        AnomalyScope::All => {
            filter.statuses = AnomalyStatus::ALL.to_vec();
            (
                lang.pick("toutes", "all").to_string(),
                "anomalies toutes".to_string(),
            )
        }
        AnomalyScope::Mine => {
            filter.assignee = Some(Some(caller.user.record.email.clone()));
            (
                lang.pick("qui me sont assignées", "assigned to me")
                    .to_string(),
                "anomalies miennes".to_string(),
            )
        }
        AnomalyScope::Dossier(query) => {
            let dossier = dossier_named(&mut conn, caller, query).await?;
            filter.dossier_code = Some(dossier.record.code.clone());
            (
                format!("{} {}", dossier.record.code, dossier.record.legal_name),
                format!("anomalies dossier {}", dossier.record.code),
            )
        }
        AnomalyScope::Portfolio(name) => {
            let exact = super::portfolio_named(&mut conn, caller, name).await?;
            filter.portfolio = Some(exact.clone());
            (
                format!("{} {exact}", lang.pick("portefeuille", "portfolio")),
                format!("anomalies portefeuille {exact}"),
            )
        }
    };
    let now = core.clock.now();
    let counts = anomalies::count_by_severity(&mut conn, caller.firm_id, &filter, now).await?;
    let total: i64 = counts.iter().map(|(_, n)| n).sum();
    // Only the asked page is read: a firm may have tens of thousands of anomalies.
    let pages = (total as usize).div_ceil(PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    filter.limit = Some(PAGE_SIZE as i64);
    filter.offset = Some(((page - 1) * PAGE_SIZE) as i64);
    let found = anomalies::list(&mut conn, caller.firm_id, &filter, now).await?;
    let counted = match scope {
        AnomalyScope::Closed | AnomalyScope::All => lang.pick("En tout", "In all"),
        _ => lang.pick("Ouvertes", "Open"),
    };
    let mut reply = Reply::info(format!("{} — {label}", lang.pick("Anomalies", "Anomalies")))
        .field(counted, total.to_string());
    for (severity, n) in &counts {
        reply = reply.field(severity.label(lang), n.to_string());
    }
    // One-click actions on the most urgent one shown, for whoever may use them.
    if let Some(first) = found.first() {
        for (label, command) in offers(&mut conn, caller, first, lang).await? {
            reply = reply.action(format!("#{}{}{label}", first.id, lang.colon()), command);
        }
    }
    let items = found.iter().map(|a| line(a, lang, now)).collect();
    Ok(reply.page_of(lang.pick("File", "Queue"), items, page, pages, &command))
}

/// `anomalie N`: one anomaly in full, with its history (every user of the
/// firm may read it, as they read the queue).
pub async fn show(core: &Core, caller: &Caller, id: i64) -> CommandResult {
    let lang = core.lang;
    let mut conn = core.store.pool().acquire().await?;
    let anomaly = anomalies::get(&mut conn, caller.firm_id, id)
        .await
        .map_err(|e| not_found(e, id, lang))?;
    let offers = offers(&mut conn, caller, &anomaly, lang).await?;
    let mut reply = card(&mut conn, caller.firm_id, &anomaly, lang).await?;
    for (label, command) in offers {
        reply = reply.action(label, command);
    }
    Ok(reply)
}

/// What the caller may do next with an open anomaly: take it (unless it is
/// already theirs) and resolve it; nothing for whoever may not change it.
async fn offers(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    a: &Anomaly,
    lang: Lang,
) -> Result<Vec<(String, String)>, CommandError> {
    if a.status != anomalies::AnomalyStatus::Open || refusal(conn, caller, a, lang).await?.is_some()
    {
        return Ok(Vec::new());
    }
    let mut offers = Vec::new();
    // "Invoices received through X while another or no platform is
    // recorded": when X is the dossier's platform, recording it settles it.
    if let (Some(code), Some(platform)) = (&a.dossier_code, a.details["platform"].as_str()) {
        if a.rule == "other_platform" {
            if let Some((_, name)) = platforms::find_named(conn, caller.firm_id, platform).await? {
                offers.push((
                    format!(
                        "{} {name}",
                        lang.pick("enregistrer la plateforme", "record platform")
                    ),
                    format!(
                        "plateforme {code} {}",
                        if name.contains(char::is_whitespace) {
                            format!("\"{name}\"")
                        } else {
                            name.clone()
                        }
                    ),
                ));
            }
        }
    }
    if a.assignee.as_deref() != Some(caller.email()) {
        offers.push((
            lang.pick("me l'assigner", "assign to me").to_string(),
            format!("assigner {} moi", a.id),
        ));
    }
    offers.push((
        lang.pick("résoudre", "resolve").to_string(),
        format!("resoudre {}", a.id),
    ));
    Ok(offers)
}

fn not_found(e: StoreError, id: i64, lang: Lang) -> CommandError {
    match e {
        StoreError::NotFound { .. } => CommandError::Invalid(match lang {
            Lang::Fr => format!("aucune anomalie n°{id} dans ce cabinet (voir « anomalies »)"),
            Lang::En => format!("no anomaly #{id} in this firm (see 'anomalies')"),
        }),
        other => CommandError::Store(other),
    }
}

/// An anomaly's card: what it says, its state, and every change made to it
/// (from the journal, oldest first). The chat's `anomalie N` (which adds
/// what the caller may do) and `cabready anomalies show N`.
pub async fn card(
    conn: &mut sqlx::AnyConnection,
    firm_id: i64,
    a: &Anomaly,
    lang: Lang,
) -> Result<Reply, StoreError> {
    let history = journal::about(conn, firm_id, "anomaly", a.id, a.dossier_id).await?;
    let dossier = match (&a.dossier_code, &a.dossier_name) {
        (Some(code), Some(name)) => format!("{code} {name}"),
        _ => lang.pick("cabinet", "firm").to_string(),
    };
    let status = match a.closed_at {
        Some(closed) if a.status != anomalies::AnomalyStatus::Open => {
            format!("{} ({})", a.status.label(lang), show_time(closed, lang))
        }
        _ => a.status.label(lang).to_string(),
    };
    // Reopened, it is dated from its reopening (its age in the queue); the
    // first time it was raised stays in view.
    let first = history
        .iter()
        .find(|l| l.action == "anomaly.opened")
        .map(|l| l.at)
        .filter(|at| *at < a.opened_at);
    let opened = match first {
        Some(first) => match lang {
            Lang::Fr => format!(
                "{} (rouverte ; signalée la première fois le {})",
                show_time(a.opened_at, lang),
                show_time(first, lang)
            ),
            Lang::En => format!(
                "{} (reopened; first raised on {})",
                show_time(a.opened_at, lang),
                show_time(first, lang)
            ),
        },
        None => show_time(a.opened_at, lang),
    };
    let mut reply = Reply::info(format!(
        "{} #{} — {dossier}",
        lang.pick("Anomalie", "Anomaly"),
        a.id
    ))
    .with_description(anomalies::rules::describe(&a.rule, &a.details, lang))
    .field(lang.pick("Gravité", "Severity"), a.severity.label(lang))
    .field(lang.pick("Statut", "Status"), status)
    .field(
        lang.pick("Règle", "Rule"),
        anomalies::rules::label(&a.rule, lang),
    )
    .field(lang.pick("Ouverte le", "Opened on"), opened)
    .field(
        lang.pick("Assignée à", "Assigned to"),
        a.assignee
            .clone()
            .unwrap_or_else(|| lang.pick("personne", "nobody").to_string()),
    );
    if let Some(note) = &a.note {
        reply = reply.field(lang.pick("Note", "Note"), Said::show(note, lang));
    }
    let items = history
        .iter()
        .map(|l| {
            format!(
                "{} — {} — {}",
                show_time(l.at, lang),
                l.actor,
                super::journal::line_text(l, lang)
            )
        })
        .collect();
    Ok(reply.section(lang.pick("Historique", "History"), items))
}

/// The anomaly, if the caller may act on it: managers on all, accountants on
/// their portfolios' dossiers, viewers on none.
async fn actionable(
    core: &Core,
    caller: &Caller,
    conn: &mut sqlx::AnyConnection,
    id: i64,
) -> Result<Anomaly, CommandError> {
    let lang = core.lang;
    let anomaly = anomalies::get(conn, caller.firm_id, id)
        .await
        .map_err(|e| not_found(e, id, lang))?;
    match refusal(conn, caller, &anomaly, lang).await? {
        Some(reason) => Err(CommandError::Refused(reason)),
        None => Ok(anomaly),
    }
}

/// Why `who` may not change the anomaly, if they may not: managers may
/// change all, accountants those of their portfolios' dossiers, viewers none.
async fn refusal(
    conn: &mut sqlx::AnyConnection,
    who: &Caller,
    a: &Anomaly,
    lang: Lang,
) -> Result<Option<String>, CommandError> {
    Ok(match (&a.dossier_code, who.role()) {
        (_, Role::Admin | Role::Manager) => None,
        (Some(code), _) => {
            let dossier = dossier_named(conn, who, code).await?;
            who.may_act_on(&dossier, lang).err()
        }
        (None, _) => Some(
            lang.pick(
                "cette anomalie concerne le cabinet entier : seul un associé peut la traiter",
                "this anomaly concerns the whole firm: only a manager can handle it",
            )
            .into(),
        ),
    })
}

/// `assigner N personne` takes the anomaly back from whoever had it.
fn is_nobody(who: &str) -> bool {
    matches!(
        cabready_store::domain::fold(who.trim()).as_str(),
        "personne" | "aucun" | "none" | "nobody"
    )
}

/// The assignee's email, if they can handle the anomaly: a manager, or an
/// accountant of its dossier's portfolio (or its owner); never a viewer.
/// An anomaly given to someone who may not resolve it would wait forever.
async fn handler(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    anomaly: &Anomaly,
    user: User,
    lang: Lang,
) -> Result<Email, CommandError> {
    let email = user.record.email.clone();
    let them = Caller {
        firm_id: caller.firm_id,
        firm_name: caller.firm_name.clone(),
        user,
    };
    if refusal(conn, &them, anomaly, lang).await?.is_none() {
        return Ok(email);
    }
    if them.user.record.role == cabready_store::domain::Role::Viewer {
        return Err(CommandError::Invalid(match lang {
            Lang::Fr => format!("{email} ne pourrait pas traiter cette anomalie : son rôle « lecteur » permet de consulter, pas d'agir ; assignez-la à un collaborateur du portefeuille ou à un associé"),
            Lang::En => format!("{email} could not handle this anomaly: their 'viewer' role lets them read, not act; assign it to an accountant of the portfolio or to a manager"),
        }));
    }
    let what = match (&anomaly.dossier_code, lang) {
        (Some(code), Lang::Fr) => format!("le dossier {code}"),
        (Some(code), Lang::En) => format!("dossier {code}"),
        (None, _) => lang.pick("le cabinet entier", "the whole firm").to_string(),
    };
    Err(CommandError::Invalid(match lang {
        Lang::Fr => format!("{email} ne pourrait pas traiter cette anomalie : son rôle ou ses portefeuilles ne couvrent pas {what} ; assignez-la à un collaborateur du portefeuille ou à un associé"),
        Lang::En => format!("{email} could not handle this anomaly: their role or portfolios do not cover {what}; assign it to an accountant of the portfolio or to a manager"),
    }))
}

/// Who `@user` designates: `moi`/`me`, an email, a Discord mention
/// `<@123…>`, or a name that fits one user of the firm only (their name,
/// one of its words, their email's local part or one of its words:
/// `bruno` or `petit` for bruno.petit@…), or one only of those who could
/// handle `anomaly`.
async fn assignee(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    who: &str,
    anomaly: &Anomaly,
    lang: Lang,
) -> Result<User, CommandError> {
    let who = who.trim().trim_start_matches('@');
    if matches!(
        cabready_store::domain::fold(who).as_str(),
        "moi" | "me" | "myself"
    ) {
        return Ok(caller.user.clone());
    }
    if let Ok(discord) = cabready_store::domain::parse_discord_id(who) {
        if let Some(user) = users::find_by_discord_id(conn, caller.firm_id, &discord).await? {
            return Ok(user);
        }
    }
    let mut fitting = users::named(conn, caller.firm_id, who).await?;
    if fitting.len() > 1 {
        // Two Annes, one on the dossier's portfolio: she is the one meant.
        let mut able = Vec::new();
        for user in &fitting {
            let them = Caller {
                firm_id: caller.firm_id,
                firm_name: caller.firm_name.clone(),
                user: user.clone(),
            };
            if refusal(conn, &them, anomaly, lang).await?.is_none() {
                able.push(user.clone());
            }
        }
        if !able.is_empty() {
            fitting = able;
        }
    }
    match fitting.len() {
        1 => Ok(fitting.remove(0)),
        0 => Err(CommandError::Invalid(match lang {
            Lang::Fr => format!("« {who} » n'est pas un utilisateur du cabinet (attendu : son e-mail, son nom, sa mention Discord, « moi » ou « personne »)"),
            Lang::En => format!("'{who}' is not a user of the firm (expected: their email, name, Discord mention, 'me' or 'nobody')"),
        })),
        _ => {
            let emails: Vec<&str> = fitting.iter().map(|u| u.record.email.as_str()).collect();
            Err(CommandError::Invalid(match lang {
                Lang::Fr => format!("« {who} » désigne plusieurs utilisateurs ({}) : donnez son e-mail", emails.join(", ")),
                Lang::En => format!("'{who}' fits several users ({}): give their email", emails.join(", ")),
            }))
        }
    }
}

pub async fn act(core: &Core, caller: &Caller, id: i64, action: AnomalyAction) -> CommandResult {
    let lang = core.lang;
    let now = core.clock.now();
    let actor = Actor::User(caller.email().to_string());
    let mut tx = core.store.begin_write().await?;
    let anomaly = actionable(core, caller, &mut tx, id).await?;
    let not_open = || {
        CommandError::Invalid(match lang {
            Lang::Fr => format!(
                "l'anomalie n°{id} n'est plus ouverte ({})",
                anomaly.status.label(lang)
            ),
            Lang::En => format!(
                "anomaly #{id} is no longer open ({})",
                anomaly.status.label(lang)
            ),
        })
    };
    let is_open = anomaly.status == anomalies::AnomalyStatus::Open;
    // What changed, said after the anomaly's line as it is now (the line
    // names its assignee: an assignment needs no more words).
    let summary = match &action {
        AnomalyAction::Assign(who) => {
            let email = if is_nobody(who) {
                None
            } else {
                let user = assignee(&mut tx, caller, who, &anomaly, lang).await?;
                Some(handler(&mut tx, caller, &anomaly, user, lang).await?)
            };
            if anomaly.assignee.as_deref() == email.as_ref().map(Email::as_str) {
                // Nothing to do is not a failure (as for a mandate or a
                // platform already where asked): nothing is written.
                return Ok(
                    Reply::info(lang.pick("Rien à changer", "Nothing to change")).with_description(
                        match (&email, lang) {
                            (Some(e), Lang::Fr) => {
                                format!("l'anomalie n°{id} est déjà assignée à {e}")
                            }
                            (Some(e), Lang::En) => {
                                format!("anomaly #{id} is already assigned to {e}")
                            }
                            (None, Lang::Fr) => {
                                format!("l'anomalie n°{id} n'est assignée à personne")
                            }
                            (None, Lang::En) => format!("anomaly #{id} is assigned to nobody"),
                        },
                    ),
                );
            }
            anomalies::assign(&mut tx, caller.firm_id, id, email.as_ref(), &actor, now).await?;
            None
        }
        AnomalyAction::Comment(text) => {
            anomalies::comment(&mut tx, caller.firm_id, id, text, &actor, now).await?;
            Some(lang.pick("commentaire ajouté", "comment added").to_string())
        }
        AnomalyAction::Resolve(note) => {
            if !is_open {
                return Err(not_open());
            }
            // Without a note, the anomaly's own note says who resolved it.
            let kept = note.clone().unwrap_or_else(|| {
                Said::new(
                    format!("résolue par {}", caller.email()),
                    format!("resolved by {}", caller.email()),
                )
                .stored()
            });
            anomalies::resolve(&mut tx, caller.firm_id, id, &kept, &actor, now).await?;
            // The line says "résolue le …" already: only the note is news.
            note.as_ref()
                .map(|note| format!("{}{}{note}", lang.pick("note", "note"), lang.colon()))
        }
        AnomalyAction::Dismiss(reason) => {
            if !is_open {
                return Err(not_open());
            }
            anomalies::dismiss(&mut tx, caller.firm_id, id, reason, &actor, now).await?;
            None
        }
    };
    let after = anomalies::get(&mut tx, caller.firm_id, id).await?;
    tx.commit().await?;
    let line = line(&after, lang, now);
    Ok(
        Reply::success(format!("{} #{id}", lang.pick("Anomalie", "Anomaly"))).with_description(
            match summary {
                Some(summary) => format!("{line} — {summary}"),
                None => line,
            },
        ),
    )
}
