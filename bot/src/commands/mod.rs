//! One file per command; `run` dispatches a parsed line to it.

pub(crate) mod anomalies;
mod calendar;
mod dossier;
pub mod help;
pub(crate) mod journal;
mod mandates;
mod platform;
pub mod ready;
mod remind;
pub mod triage;

use crate::error::{CommandError, CommandResult};
use crate::lookup::{find_dossier, Found};
use crate::parse::{Command, Parsed, Scope};
use crate::{Caller, Core};
use cabready_store::domain::Role;
use cabready_store::dossiers::{self, Dossier};
use cabready_store::users;
use sqlx::AnyConnection;

pub async fn run(core: &Core, caller: &Caller, parsed: Parsed) -> CommandResult {
    let page = parsed.page;
    match parsed.command {
        Command::Ready(scope) => ready::run(core, caller, scope, page).await,
        Command::Anomalies(scope) => anomalies::list(core, caller, scope, page).await,
        Command::AnomalyCard(id) => anomalies::show(core, caller, id).await,
        Command::Anomaly { id, action } => anomalies::act(core, caller, id, action).await,
        Command::Dossier(query) => dossier::run(core, caller, &query).await,
        Command::Mandates {
            late_only,
            portfolio,
        } => mandates::list(core, caller, late_only, portfolio, page).await,
        Command::MandateShow(query) => mandates::show(core, caller, &query).await,
        Command::Mandate {
            dossier,
            kind,
            status,
            note,
        } => mandates::change(core, caller, &dossier, kind, status, note.as_deref()).await,
        Command::Platform {
            dossier,
            platform,
            state,
            correction,
        } => platform::change(core, caller, &dossier, &platform, state, correction).await,
        Command::PlatformRemoval { dossier } => platform::remove(core, caller, &dossier).await,
        Command::Remind(query) => remind::run(core, caller, &query).await,
        Command::Settle { id, sent } => remind::settle(core, caller, id, sent).await,
        Command::Triage => triage::list(core, caller, page).await,
        Command::Sort { id, target } => triage::sort(core, caller, id, target).await,
        Command::Calendar { days } => calendar::run(core, caller, days, page).await,
        Command::Journal { dossier, count } => journal::run(core, caller, &dossier, count).await,
        Command::Help(topic) => Ok(help::run(core, topic.as_deref())),
    }
}

/// The dossier a user named, or the error that says what they may have meant.
pub(crate) async fn dossier_named(
    conn: &mut AnyConnection,
    caller: &Caller,
    query: &str,
) -> Result<Dossier, CommandError> {
    match find_dossier(conn, caller.firm_id, query).await? {
        Found::One(d) => Ok(*d),
        Found::Several(matches) => Err(CommandError::Ambiguous {
            query: query.to_string(),
            matches,
        }),
        Found::None(suggestions) => Err(CommandError::DossierNotFound {
            query: query.to_string(),
            suggestions,
        }),
    }
}

/// The firm's portfolio a user named (case and accents ignored), or the
/// error that lists the firm's portfolios.
pub(crate) async fn portfolio_named(
    conn: &mut AnyConnection,
    caller: &Caller,
    name: &str,
) -> Result<String, CommandError> {
    users::portfolio_named(conn, caller.firm_id, name)
        .await?
        .map_err(|known| CommandError::PortfolioNotFound {
            name: name.to_string(),
            known,
        })
}

/// The dossiers a scope covers (without a scope: the caller's portfolios for
/// an accountant, the firm for the others), and a label for titles.
pub(crate) async fn dossiers_in_scope(
    core: &Core,
    conn: &mut AnyConnection,
    caller: &Caller,
    scope: Option<Scope>,
) -> Result<(Vec<Dossier>, String), CommandError> {
    let lang = core.lang;
    let scope = scope.unwrap_or(if caller.role() == Role::Accountant {
        Scope::Mine
    } else {
        Scope::Firm
    });
    match scope {
        Scope::Firm => Ok((
            dossiers::list(conn, caller.firm_id, None).await?,
            caller.firm_name.clone(),
        )),
        Scope::Portfolio(name) => {
            let exact = portfolio_named(conn, caller, &name).await?;
            let list = dossiers::list(conn, caller.firm_id, Some(&exact)).await?;
            Ok((
                list,
                format!("{} {exact}", lang.pick("portefeuille", "portfolio")),
            ))
        }
        Scope::Mine => {
            let mine = &caller.user.record.portfolios;
            let list = dossiers::list(conn, caller.firm_id, None)
                .await?
                .into_iter()
                .filter(|d| {
                    d.record
                        .portfolio
                        .as_ref()
                        .is_some_and(|p| mine.contains(p))
                        || d.record
                            .owner
                            .as_ref()
                            .is_some_and(|o| o.as_str() == caller.email())
                })
                .collect();
            Ok((list, lang.pick("mes dossiers", "my dossiers").to_string()))
        }
        Scope::Dossier(query) => {
            let dossier = dossier_named(conn, caller, &query).await?;
            let label = format!("{} {}", dossier.record.code, dossier.record.legal_name);
            Ok((vec![dossier], label))
        }
    }
}
