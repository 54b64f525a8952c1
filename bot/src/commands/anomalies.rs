//! The anomaly queue in chat: `anomalies [miennes|ouvertes|dossier D|portefeuille P]`,
//! `anomalie N`, `assigner N @user`, `commenter N texte`, `resoudre N [note]`,
//! `ignorer N raison`.

use super::dossier_named;
use crate::error::{CommandError, CommandResult};
use crate::parse::{AnomalyAction, AnomalyScope};
use crate::reply::PAGE_SIZE;
use crate::{Caller, Core, Reply};
use cabready_store::anomalies::{self, Anomaly, Filter};
use cabready_store::domain::{Email, Role};
use cabready_store::journal::{self, Actor};
use cabready_store::{users, Lang, StoreError};
use chrono::{DateTime, Utc};
use chrono_tz::Europe::Paris;

/// One anomaly on one line: `#12 [critique] D002 Garage — what — depuis 5 j — assignée à x`.
pub fn line(a: &Anomaly, lang: Lang, now: DateTime<Utc>) -> String {
    let dossier = match (&a.dossier_code, &a.dossier_name) {
        (Some(code), Some(name)) => format!("{code} {name}"),
        _ => lang.pick("cabinet", "firm").to_string(),
    };
    let age = (now - a.opened_at).num_days();
    let who = match &a.assignee {
        Some(email) => format!(" — {} {email}", lang.pick("assignée à", "assigned to")),
        None => format!(" — {}", lang.pick("non assignée", "unassigned")),
    };
    format!(
        "#{} [{}] {dossier} — {} — {} {age} j{who}",
        a.id,
        a.severity.label(lang),
        anomalies::rules::describe(&a.rule, &a.details, lang),
        lang.pick("depuis", "for")
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
    let mut reply = Reply::info(format!("{} — {label}", lang.pick("Anomalies", "Anomalies")))
        .field(lang.pick("Ouvertes", "Open"), total.to_string());
    for (severity, n) in &counts {
        reply = reply.field(severity.label(lang), n.to_string());
    }
    // One-click actions on the most urgent one shown.
    if let Some(first) = found.first() {
        reply = reply
            .action(
                format!(
                    "#{}{}{}",
                    first.id,
                    lang.colon(),
                    lang.pick("me l'assigner", "assign to me")
                ),
                format!("assigner {} moi", first.id),
            )
            .action(
                format!("#{} : {}", first.id, lang.pick("résoudre", "resolve")),
                format!("resoudre {}", first.id),
            );
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
    Ok(card(&mut conn, caller.firm_id, &anomaly, lang).await?)
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
/// (from the journal, oldest first). The chat's `anomalie N` and
/// `cabready anomalies show N`.
pub async fn card(
    conn: &mut sqlx::AnyConnection,
    firm_id: i64,
    a: &Anomaly,
    lang: Lang,
) -> Result<Reply, StoreError> {
    let at = |t: DateTime<Utc>| t.with_timezone(&Paris).format("%d/%m/%Y %H:%M").to_string();
    let history = journal::about(conn, firm_id, "anomaly", a.id, a.dossier_id).await?;
    let dossier = match (&a.dossier_code, &a.dossier_name) {
        (Some(code), Some(name)) => format!("{code} {name}"),
        _ => lang.pick("cabinet", "firm").to_string(),
    };
    let status = match a.closed_at {
        Some(closed) if a.status != anomalies::AnomalyStatus::Open => {
            format!("{} ({})", a.status.label(lang), at(closed))
        }
        _ => a.status.label(lang).to_string(),
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
        format!("{} ({})", anomalies::rules::label(&a.rule, lang), a.rule),
    )
    .field(lang.pick("Ouverte le", "Opened on"), at(a.opened_at))
    .field(
        lang.pick("Assignée à", "Assigned to"),
        a.assignee
            .clone()
            .unwrap_or_else(|| lang.pick("personne", "nobody").to_string()),
    );
    if let Some(note) = &a.note {
        reply = reply.field(lang.pick("Note", "Note"), note.clone());
    }
    let items = history
        .iter()
        .map(|l| {
            format!(
                "{} — {} — {}",
                at(l.at),
                l.actor,
                super::journal::line_text(l, lang)
            )
        })
        .collect();
    let open = a.status == anomalies::AnomalyStatus::Open;
    Ok(reply
        .section(lang.pick("Historique", "History"), items)
        .actions_if(
            open,
            &[
                (
                    lang.pick("Me l'assigner", "Assign to me"),
                    format!("assigner {} moi", a.id),
                ),
                (
                    lang.pick("Résoudre", "Resolve"),
                    format!("resoudre {}", a.id),
                ),
            ],
        ))
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
    match (&anomaly.dossier_code, caller.role()) {
        (_, Role::Admin | Role::Manager) => {}
        (Some(code), _) => {
            let dossier = dossier_named(conn, caller, code).await?;
            caller
                .may_act_on(&dossier, lang)
                .map_err(CommandError::Refused)?;
        }
        (None, _) => {
            return Err(CommandError::Refused(
                lang.pick(
                    "cette anomalie concerne le cabinet entier : seul un associé peut la traiter",
                    "this anomaly concerns the whole firm: only a manager can handle it",
                )
                .into(),
            ))
        }
    }
    Ok(anomaly)
}

/// `assigner N personne` takes the anomaly back from whoever had it.
fn is_nobody(who: &str) -> bool {
    matches!(
        cabready_store::domain::fold(who.trim()).as_str(),
        "personne" | "aucun" | "none" | "nobody"
    )
}

/// Who `@user` designates: `moi`/`me`, an email, or a Discord mention `<@123…>`.
async fn assignee(
    conn: &mut sqlx::AnyConnection,
    caller: &Caller,
    who: &str,
    lang: Lang,
) -> Result<Email, CommandError> {
    let who = who.trim().trim_start_matches('@');
    if matches!(
        cabready_store::domain::fold(who).as_str(),
        "moi" | "me" | "myself"
    ) {
        return Ok(caller.user.record.email.clone());
    }
    let user = if let Ok(discord) = cabready_store::domain::parse_discord_id(who) {
        users::find_by_discord_id(conn, caller.firm_id, &discord).await?
    } else {
        users::find_by_email(conn, caller.firm_id, who).await?
    };
    user.map(|u| u.record.email).ok_or_else(|| {
        CommandError::Invalid(match lang {
            Lang::Fr => format!("« {who} » n'est pas un utilisateur du cabinet (attendu : son e-mail, sa mention Discord, ou « moi »)"),
            Lang::En => format!("'{who}' is not a user of the firm (expected: their email, Discord mention, or 'me')"),
        })
    })
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
    let summary = match &action {
        AnomalyAction::Assign(who) if is_nobody(who) => {
            anomalies::assign(&mut tx, caller.firm_id, id, None, &actor, now).await?;
            lang.pick("désassignée", "unassigned").to_string()
        }
        AnomalyAction::Assign(who) => {
            let email = assignee(&mut tx, caller, who, lang).await?;
            anomalies::assign(&mut tx, caller.firm_id, id, Some(&email), &actor, now).await?;
            format!("{} {email}", lang.pick("assignée à", "assigned to"))
        }
        AnomalyAction::Comment(text) => {
            anomalies::comment(&mut tx, caller.firm_id, id, text, &actor, now).await?;
            lang.pick("commentaire ajouté", "comment added").to_string()
        }
        AnomalyAction::Resolve(note) => {
            if !is_open {
                return Err(not_open());
            }
            let note = note
                .clone()
                .unwrap_or_else(|| lang.pick("résolue", "resolved").to_string());
            anomalies::resolve(&mut tx, caller.firm_id, id, &note, &actor, now).await?;
            format!("{} ({note})", lang.pick("résolue", "resolved"))
        }
        AnomalyAction::Dismiss(reason) => {
            if !is_open {
                return Err(not_open());
            }
            anomalies::dismiss(&mut tx, caller.firm_id, id, reason, &actor, now).await?;
            format!("{} ({reason})", lang.pick("écartée", "dismissed"))
        }
    };
    tx.commit().await?;
    Ok(
        Reply::success(format!("{} #{id}", lang.pick("Anomalie", "Anomaly")))
            .with_description(format!("{} — {summary}", line(&anomaly, lang, now))),
    )
}
