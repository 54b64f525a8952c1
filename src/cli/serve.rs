use crate::digest::send::Sender;
use crate::AppContext;
use anyhow::{anyhow, Result};
use cabready_bot::discord::{self, DiscordSettings};
use cabready_mailer::inbound::sources::{imap, maildir};
use cabready_mailer::periodic::{self, Every};
use cabready_store::firms;
use std::process::ExitCode;
use tokio::sync::watch;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Without a Discord token, the console chat acts as this user (their email).
    #[arg(long = "as", env = "CABREADY_AS", value_name = "EMAIL")]
    as_user: Option<String>,
    /// The firm, when the database holds several.
    #[arg(long, env = "CABREADY_FIRM")]
    firm: Option<String>,
    /// The mailbox of clients' replies, over `[mail.imap]`.
    #[command(flatten)]
    imap: super::replies::ImapFlags,
}

/// The long-lived services: the chat on Discord when a token
/// (`CABREADY_DISCORD_TOKEN`) and a server (`[discord] guild_id`) are set,
/// else on the console; alongside it, the outbox of reminders every
/// `[mail] send_every_seconds` (recover, plan, send), the reply worker
/// (`[mail.imap]`, or the inbox Maildir every `[mail]
/// replies_every_seconds`) and the managers' daily digest from `[digest]
/// at`. Notices (a mandate changed by a client's email, a reply to
/// handle…) go to Discord's notices channel, or are printed by the console chat.
/// When the chat ends (or on Ctrl-C) the background work finishes the pass
/// in progress and stops.
pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let (stop, tasks) = start_background(ctx, args.firm.as_deref(), &args.imap).await?;
    let result = tokio::select! {
        result = chat(ctx, args) => result,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("{}", ctx.lang.pick("Arrêt demandé.", "Stopping."));
            Ok(ExitCode::SUCCESS)
        }
    };
    let _ = stop.send(true);
    for task in tasks {
        let _ = task.await;
    }
    result
}

/// Starts the outbox loop (unless `send_every_seconds = 0`), the reply
/// worker and the daily digest: the stop switch and the tasks to wait for.
async fn start_background(
    ctx: &AppContext,
    firm: Option<&str>,
    imap_flags: &super::replies::ImapFlags,
) -> Result<(
    tokio::sync::watch::Sender<bool>,
    Vec<tokio::task::JoinHandle<()>>,
)> {
    let lang = ctx.lang;
    let store = ctx.store().await?;
    let mut conn = store.pool().acquire().await?;
    let firm = firms::resolve(&mut conn, firm.or(ctx.config.firm.as_deref()))
        .await
        .map_err(|e| anyhow!(e.user_message(lang)))?;
    drop(conn);
    let mailer = std::sync::Arc::new(super::remind::mailer(ctx)?);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let mut tasks = Vec::new();
    let every = ctx.config.mail.send_every_seconds;
    if every > 0 {
        eprintln!(
            "{} {} ({}), {} {every} s",
            lang.pick("Relances :", "Reminders:"),
            firm.name,
            mailer.transport.describe(),
            lang.pick("passage toutes les", "a pass every"),
        );
        tasks.push(tokio::spawn(cabready_mailer::run_outbox(
            mailer.clone(),
            store.clone(),
            firm.id,
            lang,
            super::remind::lease(ctx),
            std::time::Duration::from_secs(every),
            ctx.clock,
            stopped.clone(),
        )));
    }
    if let Some(task) = start_replies(ctx, &store, &firm, imap_flags, stopped.clone()).await? {
        tasks.push(task);
    }
    let send_time = ctx.config.digest.time();
    eprintln!(
        "{} {} (Europe/Paris)",
        lang.pick(
            "Synthèse quotidienne : chaque jour à partir de",
            "Daily digest: every day from"
        ),
        send_time.format("%H:%M")
    );
    let digest = DailyDigest {
        store,
        mailer,
        rules: ctx.config.calendar.clone(),
        lang,
        from_address: ctx.config.mail.from_address.clone(),
        from_name: ctx.config.mail.from_name.clone(),
        opted_in: ctx.config.digest.accountants.clone(),
        send_time,
        clock: ctx.clock,
        firm,
    };
    tasks.push(tokio::spawn(digest.run(stopped)));
    Ok((stop, tasks))
}

/// The reply worker: the IMAP mailbox of `[mail.imap]` (IDLE or polling),
/// else the inbox Maildir every `[mail] replies_every_seconds` (0: off),
/// through the same pass as `cabready replies`.
async fn start_replies(
    ctx: &AppContext,
    store: &cabready_store::Store,
    firm: &firms::Firm,
    imap_flags: &super::replies::ImapFlags,
    stopped: watch::Receiver<bool>,
) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let lang = ctx.lang;
    let imap_config =
        super::replies::imap_settings(ctx.config.mail.imap.as_ref(), imap_flags, None)?;
    let every = ctx.config.mail.replies_every_seconds;
    if imap_config.is_none() && every == 0 {
        return Ok(None);
    }
    let inbox = super::replies::inbox(ctx, store, firm.id).await?;
    let store = store.clone();
    let clock = ctx.clock;
    if let Some(config) = imap_config {
        eprintln!(
            "{} {} ({})",
            lang.pick("Réponses des clients :", "Client replies:"),
            config.describe(),
            if config.idle {
                lang.pick(
                    "IDLE si le serveur le propose",
                    "IDLE when the server offers it",
                )
            } else {
                lang.pick("relève périodique", "polling")
            }
        );
        return Ok(Some(tokio::spawn(async move {
            imap::run(&inbox, &store, &config, &clock, periodic::stopped(stopped)).await
        })));
    }
    let dir = super::replies::inbox_dir(ctx);
    eprintln!(
        "{} {} ({} {every} s)",
        lang.pick("Réponses des clients :", "Client replies:"),
        dir.join("new").display(),
        lang.pick("lues toutes les", "read every"),
    );
    Ok(Some(tokio::spawn(async move {
        let mut ticks = Every::new(std::time::Duration::from_secs(every), stopped);
        while ticks.tick().await {
            match maildir::pass(&inbox, &store, &dir, clock.now(), false).await {
                Ok(report) if report.lines.is_empty() => {}
                Ok(report) => tracing::info!(
                    processed = report.processed,
                    triaged = report.triaged,
                    duplicates = report.duplicates,
                    failed = report.failed,
                    "inbox pass"
                ),
                Err(error) => tracing::error!(error = %format!("{error:#}"), "inbox pass failed"),
            }
        }
    })))
}

/// What the daily digest loop owns.
struct DailyDigest {
    store: cabready_store::Store,
    mailer: std::sync::Arc<cabready_mailer::Mailer>,
    rules: cabready_store::calendar::CalendarRules,
    lang: cabready_store::Lang,
    from_address: String,
    from_name: Option<String>,
    opted_in: Vec<String>,
    send_time: chrono::NaiveTime,
    clock: cabready_store::Clock,
    firm: firms::Firm,
}

impl DailyDigest {
    /// Looks every minute whether the day's digest is due (see `Sender::tick`).
    async fn run(self, shutdown: tokio::sync::watch::Receiver<bool>) {
        let sender = Sender {
            store: &self.store,
            transport: &self.mailer.transport,
            rules: &self.rules,
            lang: self.lang,
            from_address: &self.from_address,
            from_name: self.from_name.as_deref(),
            opted_in: &self.opted_in,
        };
        let mut done = None;
        let mut ticks = Every::new(std::time::Duration::from_secs(60), shutdown);
        while ticks.tick().await {
            let now = self.clock.now();
            match sender
                .tick(self.firm.id, &self.firm.name, self.send_time, now, done)
                .await
            {
                Ok(Some((day, outcomes))) => {
                    done = Some(day);
                    tracing::info!(%day, ?outcomes, "daily digest");
                }
                Ok(None) => {}
                Err(error) => {
                    tracing::error!(error = %format!("{error:#}"), "daily digest failed")
                }
            }
        }
    }
}

async fn chat(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let lang = ctx.lang;
    let token = std::env::var("CABREADY_DISCORD_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    match (token, &ctx.config.discord) {
        (Some(token), Some(discord)) => {
            let core = super::chat::core(ctx).await?;
            let mut conn = core.store.pool().acquire().await?;
            let firm_name = args.firm.as_deref().or(ctx.config.firm.as_deref());
            let firm = firms::resolve(&mut conn, firm_name).await.map_err(|e| anyhow!(e.user_message(lang)))?;
            drop(conn);
            eprintln!("{} {} → {}", lang.pick("Discord : serveur", "Discord: server"), discord.guild_id, firm.name);
            let settings = DiscordSettings {
                token,
                guild_id: discord.guild_id,
                firm_id: firm.id,
                notices_channel_id: discord.notices_channel_id,
            };
            discord::run(core, settings).await?;
            Ok(ExitCode::SUCCESS)
        }
        (Some(_), None) => Err(anyhow!(lang.pick(
            "CABREADY_DISCORD_TOKEN est défini mais la configuration n'a pas de section [discord] avec guild_id (l'identifiant du serveur du cabinet)",
            "CABREADY_DISCORD_TOKEN is set but the configuration has no [discord] section with guild_id (the firm's server id)"
        ))),
        (None, _) => {
            let as_user = args.as_user.ok_or_else(|| {
                anyhow!(lang.pick(
                    "sans jeton Discord, le chat est servi sur la console : précisez l'utilisateur avec --as EMAIL",
                    "without a Discord token the chat is served on the console: give the user with --as EMAIL"
                ))
            })?;
            eprintln!(
                "{}",
                lang.pick(
                    "Pas de jeton Discord (CABREADY_DISCORD_TOKEN) : le chat est servi sur la console.",
                    "No Discord token (CABREADY_DISCORD_TOKEN): the chat is served on the console."
                )
            );
            // The console prints the team's notices itself (bot::console).
            super::chat::run(ctx, super::chat::Args { as_user, firm: args.firm, command: Vec::new() }).await
        }
    }
}
