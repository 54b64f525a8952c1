use crate::AppContext;
use anyhow::{anyhow, Result};
use cabready_bot::discord::{self, DiscordSettings};
use cabready_store::firms;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Without a Discord token, the console chat acts as this user (their email).
    #[arg(long = "as", env = "CABREADY_AS", value_name = "EMAIL")]
    as_user: Option<String>,
    /// The firm, when the database holds several.
    #[arg(long, env = "CABREADY_FIRM")]
    firm: Option<String>,
}

/// The long-lived services: the chat on Discord when a token
/// (`CABREADY_DISCORD_TOKEN`) and a server (`[discord] guild_id`) are set,
/// else on the console; alongside it, the outbox of reminders every
/// `[mail] send_every_seconds` (recover, plan, send). When the chat ends
/// (or on Ctrl-C) the outbox finishes the pass in progress and stops.
pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let outbox = start_outbox(ctx, args.firm.as_deref()).await?;
    let result = tokio::select! {
        result = chat(ctx, args) => result,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("{}", ctx.lang.pick("Arrêt demandé.", "Stopping."));
            Ok(ExitCode::SUCCESS)
        }
    };
    if let Some((stop, task)) = outbox {
        let _ = stop.send(true);
        let _ = task.await;
    }
    result
}

/// Starts the outbox loop (none when `send_every_seconds = 0`): the stop
/// switch and the task to wait for.
async fn start_outbox(
    ctx: &AppContext,
    firm: Option<&str>,
) -> Result<
    Option<(
        tokio::sync::watch::Sender<bool>,
        tokio::task::JoinHandle<()>,
    )>,
> {
    let every = ctx.config.mail.send_every_seconds;
    if every == 0 {
        return Ok(None);
    }
    let lang = ctx.lang;
    let store = ctx.store().await?;
    let mut conn = store.pool().acquire().await?;
    let firm = firms::resolve(&mut conn, firm.or(ctx.config.firm.as_deref()))
        .await
        .map_err(|e| anyhow!(e.user_message(lang)))?;
    drop(conn);
    let mailer = std::sync::Arc::new(super::remind::mailer(ctx)?);
    eprintln!(
        "{} {} ({}), {} {every} s",
        lang.pick("Relances :", "Reminders:"),
        firm.name,
        mailer.transport.describe(),
        lang.pick("passage toutes les", "a pass every"),
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(cabready_mailer::run_outbox(
        mailer,
        store,
        firm.id,
        lang,
        super::remind::lease(ctx),
        std::time::Duration::from_secs(every),
        ctx.clock,
        stopped,
    ));
    Ok(Some((stop, task)))
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
            super::chat::run(ctx, super::chat::Args { as_user, firm: args.firm, command: Vec::new() }).await
        }
    }
}
