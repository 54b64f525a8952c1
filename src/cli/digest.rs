//! `cabready digest`: sends the day's digest to each manager and opted-in
//! accountant once the configured time (Europe/Paris) has come — once per
//! recipient per day, so it can run from cron every few minutes — or, with
//! `--preview`, writes one recipient's email to a file and prints the chat version.

use crate::digest::send::{Outcome, Sender};
use crate::digest::{email, gather, message, recipients};
use crate::AppContext;
use anyhow::{anyhow, Context, Result};
use cabready_store::clock::from_db_date;
use cabready_store::{users, Lang};
use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Europe::Paris;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Do not send: write the email to a file (--out) and print the chat version.
    #[arg(long)]
    preview: bool,
    /// The day (YYYY-MM-DD); default today.
    #[arg(long)]
    date: Option<String>,
    /// The recipient to preview (default: the first manager).
    #[arg(long)]
    to: Option<String>,
    /// Where the preview's .eml goes (default: ./digest-DATE.eml).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Send even before the configured time.
    #[arg(long)]
    force: bool,
    /// The firm, when the database holds several.
    #[arg(long, env = "CABREADY_FIRM")]
    firm: Option<String>,
}

pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let lang = ctx.lang;
    let store = ctx.store().await?;
    let mut conn = store.pool().acquire().await?;
    let firm = super::firm_named(&mut conn, ctx, args.firm.as_deref()).await?;
    let day: NaiveDate = match args.date.as_deref() {
        Some(raw) => from_db_date(raw.trim())
            .ok_or_else(|| anyhow!("--date : date invalide « {raw} » (attendu AAAA-MM-JJ)"))?,
        None => ctx.clock.today(),
    };
    let send_time = ctx.config.digest.time();
    // The run's "now": the clock's, or the configured time of the --date day.
    let now = match args.date {
        Some(_) => Paris
            .from_local_datetime(&day.and_time(send_time))
            .earliest()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| ctx.clock.now()),
        None => ctx.clock.now(),
    };
    let mail = &ctx.config.mail;

    if args.preview {
        let people = users::list(&mut conn, firm.id).await?;
        let user = match args.to.as_deref() {
            Some(to) => people
                .iter()
                .find(|u| u.record.email.as_str().eq_ignore_ascii_case(to.trim()))
                .cloned()
                .ok_or_else(|| {
                    anyhow!(
                        "{}{}{to}",
                        lang.pick("utilisateur inconnu", "unknown user"),
                        lang.colon()
                    )
                })?,
            None => recipients(&people, &ctx.config.digest.accountants)
                .into_iter()
                .next()
                .ok_or_else(|| {
                    anyhow!(lang.pick("aucun associé dans ce cabinet", "no manager in this firm"))
                })?,
        };
        let digest = gather(
            &mut conn,
            firm.id,
            &firm.name,
            &user,
            &ctx.config.calendar,
            day,
            now,
            lang,
        )
        .await?;
        let mail_parts = email(&digest, lang)?;
        let msg = message(
            &mail_parts,
            &mail.from_address,
            mail.from_name.as_deref(),
            user.record.email.as_str(),
            &format!("<digest-preview-{}@cabready.invalid>", day.format("%Y%m%d")),
            now,
        )?;
        let out = args
            .out
            .unwrap_or_else(|| PathBuf::from(format!("digest-{}.eml", day.format("%Y-%m-%d"))));
        std::fs::write(&out, msg.formatted())
            .with_context(|| format!("impossible d'écrire {}", out.display()))?;
        print!(
            "{}",
            cabready_bot::console::render(&digest.reply(lang), lang)
        );
        println!(
            "\n{} {} ({})",
            lang.pick("Courriel écrit dans", "Email written to"),
            out.display(),
            user.record.email
        );
        return Ok(ExitCode::SUCCESS);
    }

    drop(conn);
    let local = now.with_timezone(&Paris);
    if !args.force && local.date_naive() == day && local.time() < send_time {
        println!(
            "{} {} (Europe/Paris).",
            lang.pick(
                "Pas encore l'heure de la synthèse : elle part à partir de",
                "Not digest time yet: it goes from"
            ),
            send_time.format("%H:%M")
        );
        return Ok(ExitCode::SUCCESS);
    }
    let mailer = crate::cli::remind::mailer(ctx)?;
    let sender = Sender {
        store: &store,
        transport: &mailer.transport,
        rules: &ctx.config.calendar,
        lang,
        from_address: &mail.from_address,
        from_name: mail.from_name.as_deref(),
        opted_in: &ctx.config.digest.accountants,
    };
    let outcomes = sender.run_day(firm.id, &firm.name, day, now).await?;
    let mut failed = false;
    for (to, outcome) in &outcomes {
        let what = match (outcome, lang) {
            (Outcome::Sent, Lang::Fr) => "envoyée".to_string(),
            (Outcome::Sent, Lang::En) => "sent".to_string(),
            (Outcome::AlreadyClaimed, Lang::Fr) => "déjà envoyée aujourd'hui".to_string(),
            (Outcome::AlreadyClaimed, Lang::En) => "already sent today".to_string(),
            (Outcome::Failed(e), _) => {
                failed = true;
                format!("{}{}{e}", lang.pick("échec", "failed"), lang.colon())
            }
        };
        println!("  {to} — {what}");
    }
    println!(
        "{} {} ({})",
        lang.pick("Synthèse du", "Digest of"),
        cabready_store::clock::show_date(day, lang),
        mailer.transport.describe()
    );
    store.close().await;
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
