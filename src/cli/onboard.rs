use crate::AppContext;
use anyhow::Result;
use cabready_import::onboard::{self, OnboardRequest};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The firm's name, e.g. "Cabinet Durand" (created on first onboarding).
    #[arg(long, env = "CABREADY_FIRM")]
    firm: String,
    /// Users file: email, nom, role, discord_id, portefeuilles.
    #[arg(long)]
    users: Option<PathBuf>,
    /// Client list: code_dossier, raison_sociale, siren, … (see the README).
    #[arg(long)]
    clients: Option<PathBuf>,
    /// Check and show what would change, write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Import the valid lines and report the others (by default a file with errors imports nothing).
    #[arg(long)]
    skip_invalid: bool,
}

pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let store = ctx.store().await?;
    let request = OnboardRequest {
        firm: args.firm,
        users: args.users,
        clients: args.clients,
        dry_run: args.dry_run,
        skip_invalid: args.skip_invalid,
        platforms: ctx.config.platforms.clone(),
    };
    let result = onboard::run(&store, &ctx.clock, &request, ctx.lang).await;
    store.close().await;
    match result {
        Ok(report) => {
            print!("{}", report.render(ctx.lang, request.skip_invalid));
            Ok(if report.refused() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Err(error) => {
            tracing::debug!(error = ?error, "onboarding refused");
            eprintln!("{}", error.message(ctx.lang));
            Ok(ExitCode::from(1))
        }
    }
}
