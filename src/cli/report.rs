//! `cabready report [--portfolio P] --out report.html`: the readiness audit
//! report, a self-contained HTML page a partner can send or print to PDF.

use crate::AppContext;
use anyhow::{Context, Result};
use cabready_store::readiness::inputs;
use cabready_store::readiness::{assess_all, snapshot};
use chrono::Duration;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this portfolio (portefeuille).
    #[arg(long)]
    portfolio: Option<String>,
    /// Where to write the HTML page.
    #[arg(long)]
    out: PathBuf,
    /// The firm, when the database holds several.
    #[arg(long, env = "CABREADY_FIRM")]
    firm: Option<String>,
}

pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let lang = ctx.lang;
    let store = ctx.store().await?;
    let mut conn = store.pool().acquire().await?;
    let firm = super::firm_named(&mut conn, ctx, args.firm.as_deref()).await?;
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
    let today = ctx.clock.today();
    let assessed = assess_all(list, &ctx.config.calendar, today);
    let trend: Vec<_> = snapshot::trend(
        &mut conn,
        firm.id,
        portfolio.as_deref(),
        today - Duration::days(90),
        today,
    )
    .await?
    .into_iter()
    .map(|p| (p.day, p.score))
    .collect();
    let html = crate::report::render(
        &firm.name,
        portfolio.as_deref(),
        today,
        &assessed,
        &trend,
        lang,
    )?;
    std::fs::write(&args.out, html)
        .with_context(|| format!("impossible d'écrire {}", args.out.display()))?;
    println!(
        "{} {} ({} {})",
        lang.pick("Rapport d'audit écrit dans", "Audit report written to"),
        args.out.display(),
        assessed.len(),
        lang.pick("dossiers", "dossiers")
    );
    Ok(ExitCode::SUCCESS)
}
