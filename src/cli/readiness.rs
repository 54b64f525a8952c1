//! `cabready readiness [--portfolio P] [--dossier D] [--snapshot]`: the
//! readiness model of docs/READINESS.md on the console, with the same texts
//! as `pret` in chat, every dossier listed with what it misses and by when.

use crate::AppContext;
use anyhow::{anyhow, Result};
use cabready_store::clock::show_date;
use cabready_store::journal::Actor;
use cabready_store::readiness::inputs::{self, Inputs};
use cabready_store::readiness::text::{exposure_range, missing_line};
use cabready_store::readiness::{aggregate, assess, assess_all, by_portfolio, snapshot, Readiness};
use cabready_store::Lang;
use chrono::NaiveDate;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this portfolio (portefeuille).
    #[arg(long)]
    portfolio: Option<String>,
    /// Only this dossier (code, SIREN or part of its name).
    #[arg(long)]
    dossier: Option<String>,
    /// Also record today's snapshot (one row per dossier per day, replaced if taken again).
    #[arg(long)]
    snapshot: bool,
    /// The firm, when the database holds several.
    #[arg(long, env = "CABREADY_FIRM")]
    firm: Option<String>,
}

pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let lang = ctx.lang;
    let store = ctx.store().await?;
    let mut conn = store.pool().acquire().await?;
    let firm = super::firm_named(&mut conn, ctx, args.firm.as_deref()).await?;
    let today = ctx.clock.today();
    let rules = &ctx.config.calendar;

    if let Some(query) = args.dossier.as_deref() {
        let dossier = super::one_dossier(&mut conn, firm.id, query, lang).await?;
        let list = inputs::load(&mut conn, firm.id, inputs::Scope::Dossier(dossier.id)).await?;
        let input = list
            .first()
            .ok_or_else(|| anyhow!("dossier {}", dossier.record.code))?;
        let r = assess(input, rules, today);
        let title = format!(
            "{} — {} {}",
            lang.pick("Préparation", "Readiness"),
            input.code,
            input.legal_name
        );
        print!(
            "{}",
            cabready_bot::console::render(
                &cabready_bot::dossier_reply(title, input, &r, today, lang),
                lang
            )
        );
        return Ok(ExitCode::SUCCESS);
    }

    let portfolio =
        super::portfolio_named(&mut conn, firm.id, args.portfolio.as_deref(), lang).await?;
    let scope = match portfolio.as_deref() {
        Some(p) => inputs::Scope::Portfolio(p),
        None => inputs::Scope::Firm,
    };
    let list = inputs::load(&mut conn, firm.id, scope).await?;
    if list.is_empty() {
        return Err(super::no_dossier(&mut conn, firm.id, portfolio.as_deref(), lang).await);
    }
    let assessed = assess_all(list, rules, today);
    if args.snapshot {
        drop(conn);
        let mut tx = store.begin_write().await?;
        snapshot::take(
            &mut tx,
            firm.id,
            today,
            &assessed,
            &Actor::System,
            ctx.clock.now(),
        )
        .await?;
        tx.commit().await?;
    }
    print!(
        "{}",
        render(
            &firm.name,
            portfolio.as_deref(),
            today,
            &assessed,
            lang,
            None
        )
    );
    if args.snapshot {
        println!(
            "\n{} {}",
            lang.pick(
                "Instantané du jour enregistré :",
                "Today's snapshot recorded:"
            ),
            show_date(today, lang)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The readiness of a firm or portfolio as text; `limit` caps the dossiers listed.
pub fn render(
    firm: &str,
    portfolio: Option<&str>,
    today: NaiveDate,
    assessed: &[(Inputs, Readiness)],
    lang: Lang,
    limit: Option<usize>,
) -> String {
    let agg = aggregate(assessed.iter().map(|(_, r)| r));
    let mut out = String::new();
    let scope = portfolio
        .map(|p| format!(" — {} {p}", lang.pick("portefeuille", "portfolio")))
        .unwrap_or_default();
    out.push_str(&format!(
        "{} — {firm}{scope} — {} {}\n\n",
        lang.pick(
            "Préparation à la facturation électronique",
            "E-invoicing readiness"
        ),
        lang.pick("au", "as of"),
        show_date(today, lang)
    ));
    out.push_str(&match lang {
        Lang::Fr => format!(
            "Score {}/100 — {} dossier(s) : {} en retard, {} à risque, {} en bonne voie, {} prêt(s)\n",
            agg.score, agg.dossiers, agg.late, agg.at_risk, agg.on_track, agg.ready
        ),
        Lang::En => format!(
            "Score {}/100 — {} dossier(s): {} late, {} at risk, {} on track, {} ready\n",
            agg.score, agg.dossiers, agg.late, agg.at_risk, agg.on_track, agg.ready
        ),
    });
    if agg.late > 0 {
        out.push_str(&format!(
            "{}{}{}\n",
            lang.pick(
                "Exposition aux pénalités (dossiers en retard)",
                "Penalty exposure (late dossiers)"
            ),
            lang.colon(),
            exposure_range(agg.exposure_low, agg.exposure_high, lang)
        ));
    }
    let portfolios = by_portfolio(assessed);
    if portfolio.is_none() && portfolios.len() > 1 {
        out.push_str(lang.pick("\nPar portefeuille\n", "\nBy portfolio\n"));
        for (name, a) in &portfolios {
            let name = name
                .clone()
                .unwrap_or_else(|| lang.pick("(sans portefeuille)", "(no portfolio)").into());
            out.push_str(&match lang {
                Lang::Fr => format!(
                    "  {name} : {}/100 — {} dossier(s), {} en retard, {} à risque, {} en bonne voie, {} prêt(s)\n",
                    a.score, a.dossiers, a.late, a.at_risk, a.on_track, a.ready
                ),
                Lang::En => format!(
                    "  {name}: {}/100 — {} dossier(s), {} late, {} at risk, {} on track, {} ready\n",
                    a.score, a.dossiers, a.late, a.at_risk, a.on_track, a.ready
                ),
            });
        }
    }
    let shown = limit.unwrap_or(usize::MAX);
    out.push_str(lang.pick(
        "\nDossiers, du plus en retard au plus prêt\n",
        "\nDossiers, most overdue first, readiest last\n",
    ));
    for (input, r) in assessed.iter().take(shown) {
        out.push_str(&format!(
            "  {} {} — {}, {}/100\n",
            input.code,
            input.legal_name,
            r.state.label(lang),
            r.score
        ));
        for line in r.missing() {
            out.push_str(&format!("      - {}\n", missing_line(line, today, lang)));
        }
        if let Some(e) = &r.exposure {
            out.push_str(&format!(
                "      {}{}{}\n",
                lang.pick("exposition", "exposure"),
                lang.colon(),
                exposure_range(e.low, e.high, lang)
            ));
        }
    }
    if assessed.len() > shown {
        out.push_str(&format!(
            "  … {} {}\n",
            assessed.len() - shown,
            lang.pick(
                "autre(s) : voir `cabready readiness`",
                "more: see `cabready readiness`"
            )
        ));
    }
    out
}
