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
        Err(refusal) => return Ok(print_reply(&refusal, ctx.lang)),
    };
    if args.command.is_empty() {
        console::repl(&core, &caller).await?;
        return Ok(ExitCode::SUCCESS);
    }
    let reply = core.execute(&caller, &args.command.join(" ")).await;
    Ok(print_reply(&reply, ctx.lang))
}

/// Prints one reply for a script: on standard output with exit status 0,
/// or, refused or failed, on standard error with exit status 1.
pub fn print_reply(reply: &cabready_bot::Reply, lang: cabready_store::Lang) -> ExitCode {
    let text = console::render(reply, lang);
    if reply.is_error() {
        eprint!("{text}");
        ExitCode::from(1)
    } else {
        print!("{text}");
        ExitCode::SUCCESS
    }
}
