//! `cabready import flux`: platform exports of invoice statuses.

use crate::AppContext;
use anyhow::Result;
use cabready_import::flux::{self, profile, FluxError, FluxRequest, DEFAULT_BATCH};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Import platform exports of invoice lifecycle statuses (CSV), then evaluate the anomaly rules.
    /// Exit status: 0 every line imported or already known; 3 imported, but some lines were
    /// rejected (each reported); 1 a file could not be read or the import failed; 2 bad profile.
    #[command(alias = "flux-factures")]
    Flux(FluxArgs),
}

#[derive(clap::Args, Debug)]
pub struct FluxArgs {
    /// The mapping profile: a name (generic, fr-excel, iso-offset, tab-vrbl, or one of profiles_dir) or a path to a .toml file.
    #[arg(
        long = "platform",
        alias = "profil",
        alias = "profile",
        value_name = "NAME|PROFILE.toml"
    )]
    platform: String,
    /// The approved platform the export comes from, as the firm names it (default: the profile's `platform` key).
    #[arg(long, alias = "plateforme", value_name = "PA")]
    source: Option<String>,
    /// The firm (default: the config's `firm`, or the only firm of the database).
    #[arg(long, env = "CABREADY_FIRM")]
    firm: Option<String>,
    /// Read and check everything, show what would change, write nothing.
    #[arg(long, alias = "simulation")]
    dry_run: bool,
    /// Lines per database batch (the import commits once a second).
    #[arg(long, default_value_t = DEFAULT_BATCH, hide = true)]
    batch_size: usize,
    /// The export files.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

pub async fn run(ctx: &AppContext, command: Command) -> Result<ExitCode> {
    match command {
        Command::Flux(args) => flux_run(ctx, args).await,
    }
}

async fn flux_run(ctx: &AppContext, args: FluxArgs) -> Result<ExitCode> {
    let lang = ctx.lang;
    let profile = match profile::resolve(&args.platform, ctx.config.profiles_dir.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}", e.message(lang));
            return Ok(ExitCode::from(2));
        }
    };
    let store = ctx.store().await?;
    let request = FluxRequest {
        firm: args.firm.or_else(|| ctx.config.firm.clone()),
        profile,
        source: args.source,
        files: args.files,
        dry_run: args.dry_run,
        limits: ctx.config.anomalies.clone(),
        progress: true,
        batch_size: args.batch_size,
        evaluate: true,
    };
    let result = flux::run(&store, &ctx.clock, &request, lang).await;
    store.close().await;
    match result {
        Ok(report) => {
            print!("{}", report.render(lang));
            Ok(if report.failed() {
                ExitCode::from(1)
            } else if report.files.iter().any(|f| f.rejected > 0) {
                // Scripts can tell a clean import from one that left lines out.
                ExitCode::from(3)
            } else {
                ExitCode::SUCCESS
            })
        }
        Err(error) => {
            // Said to the user just below; the cause chain is for CABREADY_LOG=debug.
            tracing::debug!(error = ?error, "flux import failed");
            eprintln!("{}", error.message(lang));
            // A platform the firm does not know is a wrong argument, as an
            // unknown profile is.
            Ok(ExitCode::from(match error {
                FluxError::UnknownPlatform { .. } => 2,
                _ => 1,
            }))
        }
    }
}
