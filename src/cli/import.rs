//! `cabready import flux`: platform exports of invoice statuses.

use crate::AppContext;
use anyhow::Result;
use cabready_import::flux::{self, profile, FluxError, FluxRequest, DEFAULT_BATCH};
use cabready_store::clock::show_time;
use cabready_store::journal::Actor;
use cabready_store::{anomalies, firms, invoices, users, Lang, Said};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Import platform exports of invoice lifecycle statuses (CSV), then evaluate the anomaly rules.
    /// Exit status: 0 every line imported or already known; 3 imported, but some lines were
    /// rejected (each reported); 1 a file could not be read or the import failed; 2 bad profile.
    #[command(alias = "flux-factures")]
    Flux(FluxArgs),
    /// Undo the latest import of a file (one made with the wrong profile, say): its statuses
    /// go, and the invoices it created that no other import holds; then the anomaly rules run.
    #[command(alias = "annuler")]
    Undo(UndoArgs),
}

#[derive(clap::Args, Debug)]
pub struct UndoArgs {
    /// The file, as the import's summary and the journal name it (a path is read as its name).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The firm (default: the config's `firm`, or the only firm of the database).
    #[arg(long, env = "CABREADY_FIRM")]
    firm: Option<String>,
    /// Show what would be undone, change nothing.
    #[arg(long, alias = "simulation")]
    dry_run: bool,
    /// Who undoes it, for the journal (a user of the firm; default: the file, as for its import).
    #[arg(long = "as", value_name = "EMAIL")]
    by: Option<String>,
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
        Command::Undo(args) => undo_run(ctx, args).await,
    }
}

async fn undo_run(ctx: &AppContext, args: UndoArgs) -> Result<ExitCode> {
    let lang = ctx.lang;
    let file = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let store = ctx.store().await?;
    let mut tx = store.begin_write().await?;
    let firm_name = args.firm.or_else(|| ctx.config.firm.clone());
    let firm = match firms::resolve(&mut tx, firm_name.as_deref()).await {
        Ok(firm) => firm,
        Err(e) => {
            eprintln!("{}", e.user_message(lang));
            return Ok(ExitCode::from(1));
        }
    };
    let now = ctx.clock.now();
    let actor = match &args.by {
        None => Actor::Import(file.clone()),
        Some(email) => match users::find_by_email(&mut tx, firm.id, email).await? {
            Some(user) => Actor::User(user.record.email.as_str().to_string()),
            None => {
                eprintln!(
                    "{}",
                    match lang {
                        Lang::Fr =>
                            format!("--as : « {email} » n'est pas un utilisateur du cabinet"),
                        Lang::En => format!("--as: '{email}' is not a user of the firm"),
                    }
                );
                return Ok(ExitCode::from(1));
            }
        },
    };
    let Some(undone) = invoices::undo_import(&mut tx, firm.id, &file, &actor, now).await? else {
        if let Some(at) = invoices::last_undone(&mut tx, firm.id, &file).await? {
            eprintln!(
                "{}",
                match lang {
                    Lang::Fr => format!(
                        "l'import de « {file} » a déjà été annulé le {} : rien d'autre à annuler",
                        show_time(at, lang)
                    ),
                    Lang::En => format!(
                        "the import of '{file}' was already undone on {}: nothing more to undo",
                        show_time(at, lang)
                    ),
                }
            );
            return Ok(ExitCode::from(1));
        }
        let files = invoices::imported_files(&mut tx, firm.id, 10).await?;
        eprintln!(
            "{}",
            match (lang, files.is_empty()) {
                (Lang::Fr, true) => format!(
                    "aucun import de « {file} » : le cabinet n'a encore importé aucun fichier"
                ),
                (Lang::En, true) =>
                    format!("no import of '{file}': the firm has imported no file yet"),
                (Lang::Fr, false) => format!(
                    "aucun import de « {file} » ; derniers fichiers importés : {}",
                    files.join(", ")
                ),
                (Lang::En, false) => format!(
                    "no import of '{file}'; latest files imported: {}",
                    files.join(", ")
                ),
            }
        );
        return Ok(ExitCode::from(1));
    };
    let cause = Said::new(
        format!("règles réévaluées après l'annulation de l'import de {file}"),
        format!("rules run again after the import of {file} was undone"),
    );
    let evaluation = anomalies::evaluate_after(
        &mut tx,
        firm.id,
        &ctx.config.anomalies,
        now,
        ctx.clock.today(),
        Some(&cause),
    )
    .await?;
    if args.dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    store.close().await;
    let when = undone
        .imported_at
        .map(|at| show_time(at, lang))
        .unwrap_or_default();
    println!(
        "{}",
        match (lang, args.dry_run) {
            (Lang::Fr, false) => format!("Import de {file} du {when} annulé : {} statut(s) retiré(s), {} facture(s) retirée(s).", undone.statuses_removed, undone.invoices_removed),
            (Lang::Fr, true) => format!("Simulation, rien n'est changé. Annuler l'import de {file} du {when} retirerait {} statut(s) et {} facture(s).", undone.statuses_removed, undone.invoices_removed),
            (Lang::En, false) => format!("Import of {file} on {when} undone: {} status(es) removed, {} invoice(s) removed.", undone.statuses_removed, undone.invoices_removed),
            (Lang::En, true) => format!("Dry run, nothing changed. Undoing the import of {file} on {when} would remove {} status(es) and {} invoice(s).", undone.statuses_removed, undone.invoices_removed),
        }
    );
    if !undone.invoices_kept.is_empty() {
        println!(
            "{}",
            match lang {
                Lang::Fr => format!("{} facture(s) gardée(s), que d'autres imports ont complétées depuis, avec les valeurs de cet import (annulez aussi ceux-là, puis importez à nouveau) : {}", undone.invoices_kept.len(), undone.invoices_kept.join(", ")),
                Lang::En => format!("{} invoice(s) kept, which other imports added to since, with this import's values (undo those too, then import again): {}", undone.invoices_kept.len(), undone.invoices_kept.join(", ")),
            }
        );
    }
    println!("{}", evaluation.summary(lang));
    Ok(ExitCode::SUCCESS)
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
