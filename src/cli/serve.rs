use crate::AppContext;
use anyhow::Result;
use std::process::ExitCode;

/// The long-lived services. This version has none yet: the chat bot, the
/// reminder outbox and the reply worker come with their own issues. It
/// checks the database and says so, rather than pretending to run.
pub async fn run(ctx: &AppContext) -> Result<ExitCode> {
    let store = ctx.store().await?;
    store.close().await;
    eprintln!(
        "{}",
        ctx.lang.pick(
            "Base de données prête. Aucun service continu n'est encore disponible dans cette version (chat, relances et lecture des réponses arrivent ensuite) : utilisez `cabready calendar` ou `cabready onboard`.",
            "Database ready. No long-running service is available in this version yet (chat, reminders and the reply worker come next): use `cabready calendar` or `cabready onboard`."
        )
    );
    Ok(ExitCode::from(2))
}
