//! `pret [dossier | portefeuille P | cabinet | miens]`: the readiness model
//! of `docs/READINESS.md` — score, state, what is missing and by when, the
//! penalty exposure of the dossiers en retard, the dossiers most at risk.

use super::{dossier_named, portfolio_named};
use crate::error::CommandResult;
use crate::parse::Scope;
use crate::{Caller, Core, Reply};
use cabready_store::clock::show_date;
use cabready_store::domain::Role;
use cabready_store::readiness::inputs::{self, Inputs};
use cabready_store::readiness::text::{exposure_basis, exposure_range, missing_line, state_reason};
use cabready_store::readiness::{aggregate, assess, assess_all, by_portfolio, Readiness};
use cabready_store::Lang;
use chrono::NaiveDate;

/// One dossier's line in a list: "D002 Garage — en retard, 40/100 — manque : a, b".
pub fn dossier_line(input: &Inputs, r: &Readiness, lang: Lang) -> String {
    let missing: Vec<&str> = r.missing().map(|l| l.item.label(lang)).collect();
    format!(
        "{} {} — {}, {}/100 — {}{}{}",
        input.code,
        input.legal_name,
        r.state.label(lang),
        r.score,
        lang.pick("manque", "missing"),
        lang.colon(),
        missing.join(", ")
    )
}

/// The answer for one dossier.
pub fn dossier_reply(
    title: String,
    input: &Inputs,
    r: &Readiness,
    today: NaiveDate,
    lang: Lang,
) -> Reply {
    let mut reply = Reply::info(title)
        .with_description(state_reason(r, today, lang))
        .field("Score", format!("{}/100", r.score))
        .field(lang.pick("État", "State"), r.state.label(lang));
    if let Some((date, obligation)) = r.next_deadline {
        reply = reply.field(
            lang.pick("Prochaine échéance", "Next deadline"),
            format!("{} — {}", show_date(date, lang), obligation.label(lang)),
        );
    }
    if let Some(exposure) = &r.exposure {
        reply = reply.field(
            lang.pick("Exposition aux pénalités", "Penalty exposure"),
            exposure_range(exposure.low, exposure.high, lang),
        );
    }
    let missing = r.missing().map(|l| missing_line(l, today, lang)).collect();
    let done = r.met().map(|l| l.item.label(lang).to_string()).collect();
    reply = reply
        .section(lang.pick("Ce qui manque", "What is missing"), missing)
        .section(lang.pick("Fait", "Done"), done);
    if let Some(exposure) = &r.exposure {
        reply = reply.section(
            lang.pick("Base de l'estimation", "Basis of the estimate"),
            exposure_basis(exposure, lang),
        );
    }
    reply.action(
        lang.pick("Fiche du dossier", "Dossier card"),
        format!("dossier {}", input.code),
    )
}

pub async fn run(core: &Core, caller: &Caller, scope: Option<Scope>, page: usize) -> CommandResult {
    let lang = core.lang;
    let today = core.clock.today();
    let mut conn = core.store.pool().acquire().await?;
    let scope = scope.unwrap_or(if caller.role() == Role::Accountant {
        Scope::Mine
    } else {
        Scope::Firm
    });
    let (list, label, command) = match &scope {
        Scope::Dossier(query) => {
            let dossier = dossier_named(&mut conn, caller, query).await?;
            let list = inputs::load(
                &mut conn,
                caller.firm_id,
                inputs::Scope::Dossier(dossier.id),
            )
            .await?;
            let title = format!(
                "{} — {} {}",
                lang.pick("Préparation", "Readiness"),
                dossier.record.code,
                dossier.record.legal_name
            );
            let Some(input) = list.first() else {
                return Ok(Reply::info(title));
            };
            let r = assess(input, &core.rules, today);
            return Ok(dossier_reply(title, input, &r, today, lang));
        }
        Scope::Firm => (
            inputs::load(&mut conn, caller.firm_id, inputs::Scope::Firm).await?,
            caller.firm_name.clone(),
            "pret cabinet".to_string(),
        ),
        Scope::Portfolio(name) => {
            let exact = portfolio_named(&mut conn, caller, name).await?;
            let list =
                inputs::load(&mut conn, caller.firm_id, inputs::Scope::Portfolio(&exact)).await?;
            (
                list,
                format!("{} {exact}", lang.pick("portefeuille", "portfolio")),
                format!("pret portefeuille {name}"),
            )
        }
        Scope::Mine => {
            let mine = &caller.user.record.portfolios;
            let list = inputs::load(&mut conn, caller.firm_id, inputs::Scope::Firm)
                .await?
                .into_iter()
                .filter(|d| {
                    d.portfolio.as_ref().is_some_and(|p| mine.contains(p))
                        || d.owner.as_deref() == Some(caller.email())
                })
                .collect();
            (
                list,
                lang.pick("mes dossiers", "my dossiers").to_string(),
                "pret miens".to_string(),
            )
        }
    };
    drop(conn);
    let title = format!("{} — {label}", lang.pick("Préparation", "Readiness"));
    let assessed = assess_all(list, &core.rules, today);
    let agg = aggregate(assessed.iter().map(|(_, r)| r));
    if agg.dossiers == 0 {
        return Ok(Reply::info(title).with_description(lang.pick(
            "Aucun dossier dans ce périmètre.",
            "No dossier in this scope.",
        )));
    }
    let at_risk: Vec<String> = assessed
        .iter()
        .filter(|(_, r)| r.missing().next().is_some())
        .map(|(i, r)| dossier_line(i, r, lang))
        .collect();
    let next = assessed.iter().filter_map(|(_, r)| r.next_deadline).min();
    let mut reply = Reply::info(title)
        .field("Score", format!("{}/100", agg.score))
        .field(lang.pick("Dossiers", "Dossiers"), agg.dossiers.to_string())
        .field(lang.pick("En retard", "Late"), agg.late.to_string())
        .field(lang.pick("À risque", "At risk"), agg.at_risk.to_string())
        .field(
            lang.pick("En bonne voie", "On track"),
            agg.on_track.to_string(),
        )
        .field(lang.pick("Prêts", "Ready"), agg.ready.to_string());
    if let Some((date, obligation)) = next {
        reply = reply.field(
            lang.pick("Prochaine échéance", "Next deadline"),
            format!("{} — {}", show_date(date, lang), obligation.label(lang)),
        );
    }
    if agg.late > 0 {
        reply = reply.field(
            lang.pick(
                "Exposition aux pénalités (dossiers en retard)",
                "Penalty exposure (late dossiers)",
            ),
            exposure_range(agg.exposure_low, agg.exposure_high, lang),
        );
    }
    reply = reply.paginated_section(
        lang.pick("Dossiers les plus à risque", "Dossiers most at risk"),
        at_risk,
        page,
        &command,
    );
    if matches!(scope, Scope::Firm) {
        let portfolios: Vec<String> = by_portfolio(&assessed)
            .into_iter()
            .map(|(name, a)| {
                let name = name
                    .unwrap_or_else(|| lang.pick("(sans portefeuille)", "(no portfolio)").into());
                match lang {
                    Lang::Fr => format!(
                        "{name} : {}/100 — {} dossier(s), {} en retard, {} à risque, {} en bonne voie, {} prêt(s)",
                        a.score, a.dossiers, a.late, a.at_risk, a.on_track, a.ready
                    ),
                    Lang::En => format!(
                        "{name}: {}/100 — {} dossier(s), {} late, {} at risk, {} on track, {} ready",
                        a.score, a.dossiers, a.late, a.at_risk, a.on_track, a.ready
                    ),
                }
            })
            .collect();
        if portfolios.len() > 1 {
            reply = reply.section(lang.pick("Par portefeuille", "By portfolio"), portfolios);
        }
    }
    Ok(reply)
}
