//! `cabready`: CLI wiring only. Each subcommand lives in `cli/`.

mod cli;
mod config;
mod digest;
mod report;

use anyhow::{Context, Result};
use cabready_store::{Clock, Lang, Store};
use chrono::{DateTime, Utc};
use clap::{CommandFactory, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "cabready",
    version,
    about = "Copilote des cabinets comptables pour la facturation électronique"
)]
struct Cli {
    /// Configuration file (default: ./cabready.toml if present, else the embedded default).
    #[arg(long, global = true, env = "CABREADY_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL (sqlite://… or postgres://…); overrides the config file.
    #[arg(
        long,
        global = true,
        env = "CABREADY_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Simulated current time, RFC 3339 (e.g. 2027-09-01T09:00:00+02:00).
    #[arg(long, global = true, env = "CABREADY_NOW")]
    now: Option<String>,
    /// Language of messages: fr (default) or en.
    #[arg(long, global = true, env = "CABREADY_LANG")]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Import a firm's users and client list (CSV).
    Onboard(cli::onboard::Args),
    /// Import platform exports (invoice lifecycle statuses).
    #[command(subcommand)]
    Import(cli::import::Command),
    /// The anomaly queue: list, show, assign, comment, resolve, dismiss, evaluate.
    Anomalies(cli::anomalies::Args),
    /// The action journal: who did what, when (--csv for an audit).
    Journal(cli::journal::Args),
    /// Legal dates and the firm's milestones: what is overdue, what falls due next.
    Calendar(cli::calendar::Args),
    /// Readiness for the reform: score, state, what is missing and by when (docs/READINESS.md).
    Readiness(cli::readiness::Args),
    /// The daily digest: send it (once per recipient per day), or --preview it.
    Digest(cli::digest::Args),
    /// The readiness audit report: a self-contained, printable HTML page.
    Report(cli::report::Args),
    /// Create a fictional firm on the embedded default and show what CabReady sees.
    Demo(cli::demo::Args),
    /// Chat commands on the console: one command, or an interactive session.
    Chat(cli::chat::Args),
    /// Validate the configuration and explain it.
    CheckConfig,
    /// Reminder emails: plan what is due and send it (--dry-run: only show who would get what).
    Remind(cli::remind::Args),
    /// Clients' replies: process the inbox Maildir (--dry-run: only show what would happen).
    Replies(cli::replies::Args),
    /// Mail tools: `mail classify FILE.eml…` reads messages as the reply worker would.
    #[command(subcommand)]
    Mail(cli::replies::MailCommand),
    /// Run CabReady's long-lived services (the chat: Discord, or the console without a token).
    Serve(cli::serve::Args),
}

/// What every subcommand gets: configuration, clock, language.
pub struct AppContext {
    pub config: config::Config,
    pub loaded: config::Loaded,
    pub clock: Clock,
    pub lang: Lang,
}

impl AppContext {
    pub async fn store(&self) -> Result<Store> {
        let url = self.config.database_url()?;
        Store::connect(&url).await.with_context(|| {
            format!(
                "{}{}{}",
                self.lang.pick(
                    "connexion à la base impossible",
                    "cannot connect to the database"
                ),
                self.lang.colon(),
                cabready_store::db::redact_url(&url)
            )
        })
    }
}

fn parse_now(raw: &str, lang: Lang) -> Result<Clock> {
    // chrono's own words ("premature end of input") add nothing to the example.
    let at = DateTime::parse_from_rfc3339(raw.trim()).map_err(|_| match lang {
        Lang::Fr => anyhow::anyhow!("--now / CABREADY_NOW : date invalide « {raw} » (attendu RFC 3339, ex. 2026-11-25T09:00:00+01:00)"),
        Lang::En => anyhow::anyhow!("--now / CABREADY_NOW: invalid date \"{raw}\" (expected RFC 3339, e.g. 2026-11-25T09:00:00+01:00)"),
    })?;
    Ok(Clock::fixed(at.with_timezone(&Utc)))
}

async fn run(cli: Cli) -> Result<ExitCode> {
    let mut loaded = config::load(cli.config.as_deref())?;
    if let Some(url) = cli.database_url {
        loaded.config.database_url = Some(url);
    }
    let lang = cli.lang.unwrap_or(loaded.config.language);
    let clock = match cli.now.as_deref() {
        Some(raw) => parse_now(raw, lang)?,
        None => Clock::system(),
    };
    let ctx = AppContext {
        config: loaded.config.clone(),
        loaded,
        clock,
        lang,
    };
    match cli.command {
        Command::Onboard(args) => cli::onboard::run(&ctx, args).await,
        Command::Import(command) => cli::import::run(&ctx, command).await,
        Command::Anomalies(args) => cli::anomalies::run(&ctx, args).await,
        Command::Journal(args) => cli::journal::run(&ctx, args).await,
        Command::Calendar(args) => cli::calendar::run(&ctx, args).await,
        Command::Readiness(args) => cli::readiness::run(&ctx, args).await,
        Command::Digest(args) => cli::digest::run(&ctx, args).await,
        Command::Report(args) => cli::report::run(&ctx, args).await,
        Command::Demo(args) => cli::demo::run(&ctx, args).await,
        Command::CheckConfig => cli::check_config::run(&ctx).await,
        Command::Chat(args) => cli::chat::run(&ctx, args).await,
        Command::Serve(args) => cli::serve::run(&ctx, args).await,
        Command::Remind(args) => cli::remind::run(&ctx, args).await,
        Command::Replies(args) => cli::replies::run(&ctx, args).await,
        Command::Mail(command) => cli::replies::run_mail(&ctx, command).await,
    }
}

/// `cabready readiness | head`: once the reader has gone, printing fails
/// with a broken pipe, and `println!` panics. That is the reader's choice,
/// not an error: end quietly, as a shell command ends on SIGPIPE (status
/// 141), without a panic message nor a backtrace. Every other panic keeps
/// its message. (The process keeps ignoring SIGPIPE itself, so that a
/// closed network connection is an error to handle, never a silent death.)
fn quiet_on_closed_output() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or_default();
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

/// Technical logs on stderr. A command that runs and ends says what went
/// wrong in words itself: its logs appear only when asked for with
/// `CABREADY_LOG` (README). The long-lived services (`serve`, and the chat
/// on the console, which runs the same commands) have no other place to say
/// that a background pass failed or to keep the cause behind an error
/// reference: their warnings and errors are shown unless `CABREADY_LOG`
/// says otherwise. Colours only on a terminal.
fn init_logs(command: &Command) {
    use std::io::IsTerminal;
    let default = match command {
        Command::Serve(_) | Command::Chat(_) => "warn",
        _ => "off",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CABREADY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    quiet_on_closed_output();
    // clap's own errors in the user's language; help and version as clap prints them.
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let args: Vec<_> = std::env::args_os().collect();
            return cli::clap_errors::report(&error, Cli::command(), &args);
        }
    };
    init_logs(&cli.command);
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            // The user sees what to do, then its causes; what the system
            // said about a file is said in the user's language too.
            let args: Vec<String> = std::env::args().skip(1).collect();
            let lang = cli::clap_errors::language(&args);
            let chain: Vec<String> = error
                .chain()
                .map(|cause| match cause.downcast_ref::<std::io::Error>() {
                    Some(io) => cabready_store::io_problem(io).text(lang).to_string(),
                    None => cause.to_string(),
                })
                .collect();
            eprintln!(
                "{}{}{}",
                lang.pick("erreur", "error"),
                lang.colon(),
                chain.join(lang.colon())
            );
            ExitCode::from(1)
        }
    }
}
