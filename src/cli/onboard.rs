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

/// Exit status when lines were left out: the valid ones imported with
/// `--skip-invalid` (or would be, in a dry run), the same as `import flux`'s,
/// so that a script notices. A file refused whole (or that would be) is 1.
const LINES_LEFT_OUT: u8 = 3;

pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let firm = args.firm.trim().to_string();
    if firm.is_empty() {
        eprintln!(
            "{}",
            ctx.lang.pick(
                "erreur : le nom du cabinet est vide (--firm \"Cabinet Durand\", par exemple)",
                "error: the firm's name is empty (--firm \"Cabinet Durand\", for instance)"
            )
        );
        return Ok(ExitCode::from(2));
    }
    let store = ctx.store().await?;
    let request = OnboardRequest {
        firm,
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
            let would_be_refused = report.dry_run && !request.skip_invalid;
            Ok(match report.error_count() {
                0 => ExitCode::SUCCESS,
                _ if report.refused() || would_be_refused => ExitCode::from(1),
                _ => ExitCode::from(LINES_LEFT_OUT),
            })
        }
        Err(error) => {
            tracing::debug!(error = ?error, "onboarding refused");
            eprintln!("{}", error.message(ctx.lang));
            Ok(ExitCode::from(1))
        }
    }
}
