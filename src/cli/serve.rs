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
/// else on the console. Reminders and the reply worker come with their issues.
pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
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
