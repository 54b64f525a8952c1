//! `pret [dossier | portefeuille P | cabinet | miens]`: readiness, what is missing, next deadline.

use super::dossiers_in_scope;
use crate::error::CommandResult;
use crate::parse::Scope;
use crate::{Caller, Core, Reply};
use cabready_store::anomalies;
use cabready_store::clock::french_date;
use cabready_store::domain::Role;
use cabready_store::readiness::{aggregate, assess, Readiness};
use cabready_store::Lang;

fn missing_list(r: &Readiness, lang: Lang) -> String {
    r.missing
        .iter()
        .map(|c| c.label(lang))
        .collect::<Vec<_>>()
        .join(", ")
}

pub async fn run(core: &Core, caller: &Caller, scope: Option<Scope>, page: usize) -> CommandResult {
    let lang = core.lang;
    let today = core.clock.today();
    let single = matches!(scope, Some(Scope::Dossier(_)));
    let mut conn = core.store.pool().acquire().await?;
    let (list, label) = dossiers_in_scope(core, &mut conn, caller, scope.clone()).await?;
    let critical = anomalies::open_critical_by_dossier(&mut conn, caller.firm_id).await?;
    let open_critical = |id: i64| critical.get(&id).copied().unwrap_or(0);
    let title = format!("{} — {label}", lang.pick("Préparation", "Readiness"));

    if single {
        let dossier = &list[0];
        let r = assess(dossier, today, open_critical(dossier.id));
        let mut reply = Reply::info(title)
            .field("Score", format!("{}/100", r.score))
            .field(lang.pick("État", "State"), r.state.label(lang));
        if let Some((date, obligation)) = r.next_deadline {
            reply = reply.field(
                lang.pick("Prochaine échéance", "Next deadline"),
                format!("{} — {}", french_date(date), obligation.label(lang)),
            );
        }
        let missing = r
            .missing
            .iter()
            .map(|c| c.label(lang).to_string())
            .collect();
        let done = r.met.iter().map(|c| c.label(lang).to_string()).collect();
        return Ok(reply
            .section(lang.pick("Ce qui manque", "What is missing"), missing)
            .section(lang.pick("Fait", "Done"), done)
            .action(
                lang.pick("Fiche du dossier", "Dossier card"),
                format!("dossier {}", dossier.record.code),
            ));
    }

    let mut assessed: Vec<_> = list
        .iter()
        .map(|d| (d, assess(d, today, open_critical(d.id))))
        .collect();
    let agg = aggregate(assessed.iter().map(|(_, r)| r));
    if agg.dossiers == 0 {
        return Ok(Reply::info(title).with_description(lang.pick(
            "Aucun dossier dans ce périmètre.",
            "No dossier in this scope.",
        )));
    }
    assessed.sort_by(|a, b| {
        (a.1.state, a.1.score, &a.0.record.code).cmp(&(b.1.state, b.1.score, &b.0.record.code))
    });
    let at_risk: Vec<String> = assessed
        .iter()
        .filter(|(_, r)| !r.missing.is_empty())
        .map(|(d, r)| {
            format!(
                "{} {} — {}, {}/100 — {} : {}",
                d.record.code,
                d.record.legal_name,
                r.state.label(lang),
                r.score,
                lang.pick("manque", "missing"),
                missing_list(r, lang)
            )
        })
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
            format!("{} — {}", french_date(date), obligation.label(lang)),
        );
    }
    let mine = matches!(scope, Some(Scope::Mine))
        || (scope.is_none() && caller.role() == Role::Accountant);
    let command = match &scope {
        Some(Scope::Portfolio(p)) => format!("pret portefeuille {p}"),
        _ if mine => "pret miens".into(),
        _ => "pret cabinet".into(),
    };
    Ok(reply.paginated_section(
        lang.pick("Dossiers les plus à risque", "Dossiers most at risk"),
        at_risk,
        page,
        &command,
    ))
}
