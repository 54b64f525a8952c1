//! `cabready replies [--dry-run]`: processes the clients' answers waiting in
//! the inbox Maildir (`<data_dir>/inbox/new/`) through the reply pipeline
//! and prints what each one did. `cabready mail classify FILE.eml…
//! [--json]`: reads messages without acting (what the bot would
//! understand), one JSON object per file with `--json`.

use crate::AppContext;
use anyhow::{anyhow, Context, Result};
use cabready_mailer::config::{ImapSection, ImapSecurity};
use cabready_mailer::inbound::sources::imap::{self, ImapConfig};
use cabready_mailer::inbound::sources::maildir;
use cabready_mailer::inbound::{self, matching, Inbox, Report, Settings};
use cabready_mailer::periodic::Every;
use cabready_mailer::token::Signer;
use cabready_store::{dossiers, firms, platforms, Lang, Store};
use sqlx::AnyConnection;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Read and decide, change nothing and move nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The firm, when the database holds several.
    #[arg(long, env = "CABREADY_FIRM")]
    pub firm: Option<String>,
    #[command(flatten)]
    pub imap: ImapFlags,
    /// Keep reading until Ctrl-C: the IMAP mailbox (IDLE when the server
    /// offers it, else a pass every N seconds) or the inbox Maildir (a pass
    /// every N seconds).
    #[arg(long)]
    pub watch: Option<u64>,
}

/// The IMAP settings on the command line (or their `CABREADY_IMAP_*`
/// variables), over `[mail.imap]`: shared by `cabready replies` and
/// `cabready serve`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ImapFlags {
    /// Read this IMAP server instead of the inbox Maildir (overrides
    /// `[mail.imap] host`; the password comes from `[mail.imap]
    /// password_env`/`password_file`, by default CABREADY_IMAP_PASSWORD).
    #[arg(long, env = "CABREADY_IMAP_HOST")]
    pub imap_host: Option<String>,
    /// Default: 993 with TLS, 143 otherwise.
    #[arg(long, env = "CABREADY_IMAP_PORT")]
    pub imap_port: Option<u16>,
    /// tls, starttls or plain (default: tls; plain for 127.0.0.1/localhost).
    #[arg(long, env = "CABREADY_IMAP_SECURITY", value_parser = parse_security)]
    pub imap_security: Option<ImapSecurity>,
    /// The IMAP login (overrides `[mail.imap] username`).
    #[arg(long, env = "CABREADY_IMAP_USER")]
    pub imap_user: Option<String>,
    /// Default: INBOX.
    #[arg(long, env = "CABREADY_IMAP_MAILBOX")]
    pub imap_mailbox: Option<String>,
    /// Where processed messages are moved (default "CabReady/Traité").
    #[arg(long)]
    pub processed_folder: Option<String>,
    /// Where messages a person must sort are moved (default "CabReady/À trier").
    #[arg(long)]
    pub triage_folder: Option<String>,
}

fn parse_security(value: &str) -> Result<ImapSecurity, String> {
    match value.to_ascii_lowercase().as_str() {
        "tls" => Ok(ImapSecurity::Tls),
        "starttls" => Ok(ImapSecurity::Starttls),
        "plain" => Ok(ImapSecurity::Plain),
        other => Err(format!(
            "« {other} » : attendu tls, starttls ou plain / expected tls, starttls or plain"
        )),
    }
}

/// The IMAP settings in force: `[mail.imap]` with the command-line flags
/// over it; `None` when neither names a server (then the inbox Maildir).
pub fn imap_settings(
    section: Option<&ImapSection>,
    flags: &ImapFlags,
    watch: Option<u64>,
) -> Result<Option<ImapConfig>> {
    let host = flags.imap_host.clone();
    let mut merged = match (section, host) {
        (None, None) => return Ok(None),
        (Some(section), host) => {
            let mut merged = section.clone();
            if let Some(host) = host {
                merged.host = host;
            }
            merged
        }
        (None, Some(host)) => {
            toml::from_str::<ImapSection>(&format!("host = {}", toml::Value::String(host)))
                .context("--imap-host")?
        }
    };
    if flags.imap_port.is_some() {
        merged.port = flags.imap_port;
    }
    if flags.imap_security.is_some() {
        merged.security = flags.imap_security;
    }
    if flags.imap_user.is_some() {
        merged.username = flags.imap_user.clone();
    }
    if let Some(mailbox) = &flags.imap_mailbox {
        merged.mailbox = mailbox.clone();
    }
    if let Some(folder) = &flags.processed_folder {
        merged.processed_folder = folder.clone();
    }
    if let Some(folder) = &flags.triage_folder {
        merged.triage_folder = folder.clone();
    }
    if let Some(seconds) = watch {
        merged.poll_seconds = seconds.max(1);
    }
    ImapConfig::from_section(&merged).map(Some)
}

#[derive(clap::Subcommand, Debug)]
pub enum MailCommand {
    /// Read messages (.eml) as the reply worker would, without acting.
    Classify(ClassifyArgs),
}

#[derive(clap::Args, Debug)]
pub struct ClassifyArgs {
    /// The messages to read.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// One JSON object per file (one per line).
    #[arg(long)]
    pub json: bool,
    /// Also look the reminder and the dossier up in the database.
    #[arg(long)]
    pub resolve: bool,
    /// The firm, when the database holds several.
    #[arg(long, env = "CABREADY_FIRM")]
    pub firm: Option<String>,
}

fn own_domains(ctx: &AppContext) -> Vec<String> {
    ctx.config
        .mail
        .from_address
        .rsplit_once('@')
        .map(|(_, d)| vec![d.to_ascii_lowercase()])
        .unwrap_or_default()
}

/// The inbox Maildir of the embedded default.
pub fn inbox_dir(ctx: &AppContext) -> PathBuf {
    ctx.config.data_dir.join("inbox")
}

/// The reply worker of a firm, as the configuration describes it.
pub async fn inbox(ctx: &AppContext, store: &Store, firm_id: i64) -> Result<Inbox> {
    let mut conn = store.pool().acquire().await?;
    let mut known = platforms::names(&mut conn, firm_id).await?;
    drop(conn);
    known.extend(ctx.config.platforms.iter().cloned());
    Ok(Inbox {
        firm_id,
        signer: cabready_mailer::load_signer(&ctx.config.hmac_key_file())?,
        settings: Settings {
            own_domains: own_domains(ctx),
            platforms: known,
        },
        attachments_dir: ctx.config.data_dir.join("attachments"),
    })
}

pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let lang = ctx.lang;
    let store = ctx.store().await?;
    let mut conn = store.pool().acquire().await?;
    let firm = firms::resolve(
        &mut conn,
        args.firm.as_deref().or(ctx.config.firm.as_deref()),
    )
    .await
    .map_err(|e| anyhow!(e.user_message(lang)))?;
    drop(conn);
    let inbox = inbox(ctx, &store, firm.id).await?;
    if let Some(config) = imap_settings(ctx.config.mail.imap.as_ref(), &args.imap, args.watch)? {
        return run_imap(ctx, &store, &inbox, &args, config, &firm.name).await;
    }
    let dir = inbox_dir(ctx);
    if let Some(seconds) = args.watch {
        return watch_maildir(ctx, &store, &inbox, &args, &dir, seconds).await;
    }
    let now = ctx.clock.now();
    let report = maildir::pass(&inbox, &store, &dir, now, args.dry_run).await?;
    println!(
        "{} — {} ({})",
        lang.pick("Réponses des clients", "Client replies"),
        firm.name,
        dir.join("new").display()
    );
    if args.dry_run {
        println!(
            "{}",
            lang.pick(
                "Simulation : rien n'est modifié ni déplacé.",
                "Dry run: nothing is changed or moved."
            )
        );
    }
    print_maildir_report(ctx, &store, firm.id, &report).await?;
    Ok(if report.failed > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--watch N` on the inbox Maildir: a pass every N seconds (the same as
/// `cabready serve` runs), printed when it found something, until Ctrl-C.
async fn watch_maildir(
    ctx: &AppContext,
    store: &Store,
    inbox: &Inbox,
    args: &Args,
    dir: &std::path::Path,
    seconds: u64,
) -> Result<ExitCode> {
    let lang = ctx.lang;
    if args.dry_run {
        return Err(anyhow!(lang.pick(
            "--dry-run et --watch ne vont pas ensemble",
            "--dry-run and --watch do not go together"
        )));
    }
    println!(
        "{} {} — Ctrl-C",
        lang.pick("Lecture continue de", "Reading continuously"),
        dir.join("new").display()
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        let _ = stop.send(true);
    });
    let mut ticks = Every::new(std::time::Duration::from_secs(seconds.max(1)), stopped);
    while ticks.tick().await {
        match maildir::pass(inbox, store, dir, ctx.clock.now(), false).await {
            Ok(report) if report.lines.is_empty() => {}
            Ok(report) => print_maildir_report(ctx, store, inbox.firm_id, &report).await?,
            Err(error) => eprintln!("{}{}{error:#}", lang.pick("erreur", "error"), lang.colon()),
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One line per message of a Maildir pass, then the counts.
async fn print_maildir_report(
    ctx: &AppContext,
    store: &Store,
    firm_id: i64,
    report: &maildir::PassReport,
) -> Result<()> {
    let lang = ctx.lang;
    let mut conn = store.pool().acquire().await?;
    for line in &report.lines {
        let text = match (&line.report, &line.error) {
            (_, Some(error)) => format!("{}{}{error}", lang.pick("erreur", "error"), lang.colon()),
            (None, None) => lang.pick("déjà traité", "already processed").to_string(),
            (Some(r), None) => report_text(&mut conn, firm_id, r, lang).await?,
        };
        println!("  {} — {text}", line.file);
    }
    match lang {
        Lang::Fr => println!(
            "{} message(s) traité(s), dont {} à trier ; {} déjà traité(s) ; {} en erreur (laissé(s) dans new/).",
            report.processed, report.triaged, report.duplicates, report.failed
        ),
        Lang::En => println!(
            "{} message(s) processed, {} to sort; {} already processed; {} failed (left in new/).",
            report.processed, report.triaged, report.duplicates, report.failed
        ),
    }
    Ok(())
}

async fn run_imap(
    ctx: &AppContext,
    store: &Store,
    inbox: &Inbox,
    args: &Args,
    config: ImapConfig,
    firm_name: &str,
) -> Result<ExitCode> {
    let lang = ctx.lang;
    if args.dry_run {
        return Err(anyhow!(lang.pick(
            "--dry-run ne s'applique qu'à la boîte Maildir locale",
            "--dry-run applies to the local Maildir only"
        )));
    }
    if args.watch.is_some() {
        println!(
            "{} {} — Ctrl-C",
            lang.pick("Lecture continue de", "Reading continuously"),
            config.describe()
        );
        imap::run(inbox, store, &config, &ctx.clock, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await;
        return Ok(ExitCode::SUCCESS);
    }
    let report = imap::pass(inbox, store, &config, &ctx.clock).await?;
    println!(
        "{} — {firm_name} ({})",
        lang.pick("Réponses des clients", "Client replies"),
        config.describe()
    );
    match lang {
        Lang::Fr => println!(
            "{} message(s) traité(s), dont {} à trier ; {} déjà traité(s){}.",
            report.processed,
            report.triaged,
            report.duplicates,
            if report.uidvalidity_changed {
                " ; UIDVALIDITY a changé : boîte relue"
            } else {
                ""
            }
        ),
        Lang::En => println!(
            "{} message(s) processed, {} to sort; {} already processed{}.",
            report.processed,
            report.triaged,
            report.duplicates,
            if report.uidvalidity_changed {
                "; UIDVALIDITY changed: mailbox read again"
            } else {
                ""
            }
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_mail(ctx: &AppContext, command: MailCommand) -> Result<ExitCode> {
    match command {
        MailCommand::Classify(args) => classify(ctx, args).await,
    }
}

async fn classify(ctx: &AppContext, args: ClassifyArgs) -> Result<ExitCode> {
    let lang = ctx.lang;
    // The key is only read when it exists: classifying never creates one.
    let key_file = ctx.config.hmac_key_file();
    let signer: Option<Signer> = if std::env::var("CABREADY_MAIL_HMAC_KEY")
        .is_ok_and(|k| !k.trim().is_empty())
        || key_file.exists()
    {
        Some(cabready_mailer::load_signer(&key_file)?)
    } else {
        None
    };
    let mut settings = Settings {
        own_domains: own_domains(ctx),
        platforms: ctx.config.platforms.clone(),
    };
    let resolver = if args.resolve {
        let store = ctx.store().await?;
        let mut conn = store.pool().acquire().await?;
        let firm = firms::resolve(
            &mut conn,
            args.firm.as_deref().or(ctx.config.firm.as_deref()),
        )
        .await
        .map_err(|e| anyhow!(e.user_message(lang)))?;
        settings
            .platforms
            .extend(platforms::names(&mut conn, firm.id).await?);
        drop(conn);
        Some((store, firm.id))
    } else {
        None
    };
    let now = ctx.clock.now();
    let mut unreadable = 0;
    for file in &args.files {
        let raw = std::fs::read(file)
            .with_context(|| format!("impossible de lire {}", file.display()))?;
        let name = file.display().to_string();
        let Some(reading) = inbound::read(&raw, signer.as_ref(), &settings, now) else {
            unreadable += 1;
            if args.json {
                println!("{}", inbound::unreadable_json(&name));
            } else {
                println!("{name}: {}", lang.pick("illisible", "unreadable"));
            }
            continue;
        };
        let mut dossier = None;
        if let Some((store, firm_id)) = &resolver {
            let mut conn = store.pool().acquire().await?;
            if let Some(found) = matching::resolve(
                &mut conn,
                *firm_id,
                &reading.keys,
                reading.mail.from.as_deref(),
            )
            .await?
            {
                dossier = dossiers::find_by_id(&mut conn, *firm_id, found.dossier_id)
                    .await?
                    .map(|d| d.record.code);
            }
        }
        let json = reading.to_json(&name, dossier.as_deref());
        if args.json {
            println!("{json}");
        } else {
            let text: String = reading
                .visible_text
                .replace('\n', " ")
                .chars()
                .take(100)
                .collect();
            println!(
                "{name}: {}{}{} — « {text} »",
                json["kind"].as_str().unwrap_or("?"),
                json["intent"]
                    .as_str()
                    .map(|i| format!(" / {i}"))
                    .unwrap_or_default(),
                json["dossier"]
                    .as_str()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default(),
            );
        }
    }
    Ok(if unreadable > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// What one read message led to, for the console: its dossier's code, what
/// it was and what was done.
pub(super) async fn report_text(
    conn: &mut AnyConnection,
    firm_id: i64,
    r: &Report,
    lang: Lang,
) -> Result<String> {
    let dossier = match r.dossier_id {
        Some(id) => dossiers::find_by_id(&mut *conn, firm_id, id)
            .await?
            .map(|d| d.record.code)
            .unwrap_or_default(),
        None => "—".into(),
    };
    Ok(format!(
        "{dossier} {}{}{}",
        cabready_bot::message_read_as(r.kind, r.intent, lang),
        lang.colon(),
        r.summary.text(lang)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> ImapFlags {
        ImapFlags::default()
    }

    #[test]
    fn the_flags_override_the_file() {
        assert!(imap_settings(None, &flags(), None).unwrap().is_none());
        let var = format!("CABREADY_TEST_REPLIES_PW_{}", std::process::id());
        std::env::set_var(&var, "pw");
        let section: ImapSection = toml::from_str(&format!(
            "host = \"imap.cabinet.fr\"\nusername = \"relances@cabinet.fr\"\npassword_env = \"{var}\"\npoll_seconds = 120\nidle = false"
        ))
        .unwrap();
        let from_file = imap_settings(Some(&section), &flags(), None)
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                from_file.security,
                from_file.port,
                from_file.poll_seconds,
                from_file.idle
            ),
            (ImapSecurity::Tls, 993, 120, false)
        );
        assert_eq!(from_file.password.expose(), "pw");
        let mut args = flags();
        args.imap_port = Some(1993);
        args.imap_user = Some("autre@cabinet.fr".into());
        args.imap_mailbox = Some("Réponses".into());
        let merged = imap_settings(Some(&section), &args, Some(30))
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                merged.host.as_str(),
                merged.port,
                merged.username.as_str(),
                merged.mailbox.as_str(),
                merged.poll_seconds
            ),
            ("imap.cabinet.fr", 1993, "autre@cabinet.fr", "Réponses", 30)
        );
        std::env::remove_var(&var);

        // Flags alone, as before the file section existed: plain on loopback, port 143.
        std::env::set_var("CABREADY_IMAP_PASSWORD", "pw");
        let mut args = flags();
        args.imap_host = Some("127.0.0.1".into());
        args.imap_user = Some("relances".into());
        let only_flags = imap_settings(None, &args, None).unwrap().unwrap();
        assert_eq!(
            (
                only_flags.security,
                only_flags.port,
                only_flags.processed_folder.as_deref()
            ),
            (ImapSecurity::Plain, 143, Some("CabReady/Traité"))
        );
        args.imap_host = Some("imap.cabinet.fr".into());
        args.imap_security = Some(ImapSecurity::Plain);
        let refused = imap_settings(None, &args, None).unwrap_err().to_string();
        assert!(refused.starts_with("mail.imap.security"), "{refused}");
        args.imap_user = None;
        args.imap_security = None;
        let missing = imap_settings(None, &args, None).unwrap_err().to_string();
        assert!(missing.contains("--imap-user"), "{missing}");
    }
}
