use crate::AppContext;
use anyhow::Result;
use std::process::ExitCode;

/// The long-lived services. Without a Discord token, the chat is served on
/// the console (the same commands and permissions as Discord). Reminders and
/// the reply worker come with their own issues.
pub async fn run(ctx: &AppContext, args: super::chat::Args) -> Result<ExitCode> {
    eprintln!(
        "{}",
        ctx.lang.pick(
            "Pas de jeton Discord (CABREADY_DISCORD_TOKEN) : le chat est servi sur la console.",
            "No Discord token (CABREADY_DISCORD_TOKEN): the chat is served on the console."
        )
    );
    super::chat::run(
        ctx,
        super::chat::Args {
            command: Vec::new(),
            ..args
        },
    )
    .await
}
