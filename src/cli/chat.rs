use crate::AppContext;
use anyhow::Result;
use cabready_bot::{console, Core};
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The user you act as (their email in the firm).
    #[arg(long = "as", env = "CABREADY_AS", value_name = "EMAIL")]
    pub as_user: String,
    /// The firm, when the database holds several.
    #[arg(long, env = "CABREADY_FIRM")]
    pub firm: Option<String>,
    /// A command to run, e.g. `pret cabinet`; none opens the interactive console.
    pub command: Vec<String>,
}

pub async fn core(ctx: &AppContext) -> Result<Core> {
    Ok(Core {
        store: ctx.store().await?,
        clock: ctx.clock,
        rules: ctx.config.calendar.clone(),
        lang: ctx.lang,
        mailer: Some(std::sync::Arc::new(super::remind::mailer(ctx)?)),
    })
}

/// `cabready chat --as EMAIL [COMMAND…]`: one command (exit status 1 when it
/// fails or is refused), or the interactive console.
pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let core = core(ctx).await?;
    let firm = args.firm.as_deref().or(ctx.config.firm.as_deref());
    let caller = match core.caller_by_email(firm, &args.as_user).await {
        Ok(caller) => caller,
        Err(reply) => {
            eprint!("{}", console::render(&reply, ctx.lang));
            return Ok(ExitCode::from(1));
        }
    };
    if args.command.is_empty() {
        console::repl(&core, &caller).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let reply = core.execute(&caller, &args.command.join(" ")).await;
    let text = console::render(&reply, ctx.lang);
    if reply.is_error() {
        eprint!("{text}");
        Ok(ExitCode::from(1))
    } else {
        print!("{text}");
        Ok(ExitCode::SUCCESS)
    }
}
