//! `cabready remind [--dry-run]`: runs the cadence over the firm's dossiers,
//! plans what is due into the outbox and sends it (through the Maildir of
//! the embedded default, or SMTP). `--dry-run` only shows who would get
//! what, and why. Also the mailer set-up shared by `demo`, `serve` and chat.

use crate::AppContext;
use anyhow::{anyhow, Context, Result};
use cabready_mailer::cadence::Decision;
use cabready_mailer::config::TransportKind;
use cabready_mailer::templates::Templates;
use cabready_mailer::transport::Transport;
use cabready_mailer::{Mailer, PlanLine, PlanOptions};
use cabready_store::clock::show_time;
use cabready_store::domain::Role;
use cabready_store::journal::Actor;
use cabready_store::outbox::{self, State};
use cabready_store::{firms, users, Lang, Store};
use chrono::Duration;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct Args {
    /// Show who would get what and why; plan and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The firm, when the database holds several.
    #[arg(long, env = "CABREADY_FIRM", global = true)]
    pub firm: Option<String>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Settle a reminder left "to check" (unknown) after an interrupted
    /// send: --sent if it reached the client (the relay's sent messages
    /// show it), --not-sent to plan it again for the next sending slot.
    #[command(alias = "regler")]
    Settle {
        /// The reminder's number (as `cabready remind` lists it).
        id: i64,
        #[arg(
            long,
            conflicts_with = "not_sent",
            required_unless_present = "not_sent"
        )]
        sent: bool,
        #[arg(long)]
        not_sent: bool,
        /// Who checked (a user of the firm, not a viewer): journaled as the author.
        #[arg(long = "as", value_name = "EMAIL", env = "CABREADY_AS")]
        by: String,
    },
}

/// How long a reminder may stay in `sending` before it is considered
/// abandoned by a dead sender (well above the SMTP timeout).
pub fn lease(ctx: &AppContext) -> Duration {
    let timeout = ctx
        .config
        .mail
        .smtp
        .as_ref()
        .map_or(30, |s| s.timeout_seconds as i64);
    Duration::seconds((timeout * 4).max(300))
}

/// The mailer the configuration describes.
pub fn mailer(ctx: &AppContext) -> Result<Mailer> {
    let mail = &ctx.config.mail;
    let templates = Templates::load(mail.templates_dir.as_deref())
        .map_err(|e| anyhow!("modèles d'e-mails : {e}"))?;
    let signer = cabready_mailer::load_signer(&ctx.config.hmac_key_file())?;
    let transport = match mail.transport {
        TransportKind::Maildir => {
            let dir = ctx.config.maildir();
            Transport::maildir(&dir).with_context(|| {
                format!("impossible de créer la boîte d'envoi {}", dir.display())
            })?
        }
        TransportKind::Smtp => {
            let smtp = mail.smtp.as_ref().ok_or_else(|| {
                anyhow!("mail.transport = \"smtp\" mais la section [mail.smtp] (host…) manque")
            })?;
            let password = std::env::var("CABREADY_SMTP_PASSWORD")
                .ok()
                .filter(|p| !p.is_empty());
            Transport::smtp(smtp, password).map_err(|e| anyhow!(e))?
        }
    };
    Ok(Mailer {
        mail: mail.clone(),
        cadence: ctx.config.reminders.clone(),
        templates,
        signer,
        transport,
        crash_after_send: std::env::var("CABREADY_TEST_CRASH_AFTER_SEND").is_ok_and(|v| v == "1"),
    })
}

/// One line of the plan, as a person reads it.
pub fn describe(line: &PlanLine, lang: Lang) -> String {
    let who = line.contact.as_deref().unwrap_or("—");
    let what = match &line.decision {
        Decision::Send {
            template, at, why, ..
        } => format!(
            "{} {} → {who}, {} {} ({})",
            lang.pick("envoi", "send"),
            lang.quote(template.label(lang)),
            lang.pick("le", "at"),
            show_time(*at, lang),
            why.text(lang)
        ),
        // No reminder will follow (the accountant takes over): no "nothing before".
        Decision::Wait {
            next: None, why, ..
        } => format!(
            "{}{}{}",
            lang.pick("pas de nouvelle relance", "no further reminder"),
            lang.colon(),
            why.text(lang)
        ),
        Decision::Wait { until, why, .. } => format!(
            "{} {} ({})",
            lang.pick("rien avant le", "nothing before"),
            show_time(*until, lang),
            why.text(lang)
        ),
        Decision::Stop(why) => format!(
            "{}{}{}",
            lang.pick("pas de relance", "no reminder"),
            lang.colon(),
            why.text(lang)
        ),
        Decision::Escalate { reminders } => match lang {
            Lang::Fr => {
                format!("{reminders} relance(s) sans réponse : tâche ouverte pour le collaborateur")
            }
            Lang::En => {
                format!("{reminders} reminder(s) unanswered: task opened for the accountant")
            }
        },
    };
    format!("{} {} — {what}", line.dossier_code, line.legal_name)
}

/// One pass of the outbox: settle dead senders' rows, plan, send.
pub async fn pass(
    ctx: &AppContext,
    store: &Store,
    mailer: &Mailer,
    firm_id: i64,
    options: PlanOptions,
) -> Result<(
    Vec<PlanLine>,
    cabready_mailer::SendReport,
    cabready_mailer::RecoveryReport,
)> {
    let now = ctx.clock.now();
    let recovery = if options.dry_run {
        Default::default()
    } else {
        mailer.recover(store, now, lease(ctx)).await?
    };
    let lines = mailer.plan(store, firm_id, ctx.lang, now, options).await?;
    let sent = if options.dry_run {
        Default::default()
    } else {
        mailer.send_due(store, now, 50).await?
    };
    Ok((lines, sent, recovery))
}

/// `cabready remind settle ID --sent|--not-sent --as EMAIL`.
async fn settle(
    ctx: &AppContext,
    store: &Store,
    firm_id: i64,
    id: i64,
    delivered: bool,
    by: &str,
) -> Result<ExitCode> {
    let lang = ctx.lang;
    let now = ctx.clock.now();
    let mut tx = store.begin().await?;
    let user = users::find_by_email(&mut tx, firm_id, by)
        .await?
        .ok_or_else(|| {
            anyhow!(
                "{} ({by})",
                lang.pick(
                    "--as : utilisateur inconnu du cabinet",
                    "--as: not a user of the firm"
                )
            )
        })?;
    if user.record.role < Role::Accountant {
        return Err(anyhow!(
            "{} ({by})",
            lang.pick(
                "--as : un lecteur (viewer) ne peut pas régler une relance",
                "--as: a viewer cannot settle a reminder"
            )
        ));
    }
    let reminder = outbox::get(&mut tx, firm_id, id)
        .await
        .map_err(|e| anyhow!(e.user_message(lang)))?;
    let due = cabready_mailer::cadence::window(&ctx.config.reminders).next_slot(now);
    let actor = Actor::User(user.record.email.to_string());
    let moved = outbox::settle(&mut tx, firm_id, id, delivered, due, &actor, now).await?;
    if !moved {
        return Err(anyhow!(
            "{} {id} : {} ({})",
            lang.pick("relance", "reminder"),
            lang.pick(
                "elle n'est pas « à vérifier », rien n'a changé",
                "it is not \"to check\", nothing changed"
            ),
            reminder.state.label(lang)
        ));
    }
    tx.commit().await?;
    if delivered {
        println!(
            "{} {id} ({}) : {}",
            lang.pick("Relance", "Reminder"),
            reminder.message_id,
            lang.pick(
                "marquée envoyée ; le mandat suit comme pour un envoi normal.",
                "marked sent; the mandate moves as for a normal send."
            )
        );
    } else {
        println!(
            "{} {id} ({}) : {} {}.",
            lang.pick("Relance", "Reminder"),
            reminder.message_id,
            lang.pick("prévue à nouveau, envoi le", "planned again, sent at"),
            show_time(due, lang)
        );
    }
    Ok(ExitCode::SUCCESS)
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
    if let Some(Command::Settle { id, sent, by, .. }) = &args.command {
        let code = settle(ctx, &store, firm.id, *id, *sent, by).await;
        store.close().await;
        return code;
    }
    let mailer = mailer(ctx)?;
    let options = PlanOptions {
        dry_run: args.dry_run,
        ahead_of_time: false,
        outside_hours: false,
    };
    let (lines, sent, recovery) = pass(ctx, &store, &mailer, firm.id, options).await?;
    println!(
        "{} — {} ({})",
        lang.pick("Relances", "Reminders"),
        firm.name,
        mailer.transport.describe()
    );
    if args.dry_run {
        println!(
            "{}",
            lang.pick(
                "Simulation : rien n'est prévu ni envoyé.",
                "Dry run: nothing is planned or sent."
            )
        );
    }
    for line in &lines {
        println!("  {}", describe(line, lang));
    }
    if !args.dry_run {
        let planned = lines.iter().filter(|l| l.planned.is_some()).count();
        match lang {
            Lang::Fr => println!(
                "{planned} relance(s) prévue(s) ; {} envoyée(s), {} en échec (nouvel essai prévu), {} abandonnée(s), {} annulée(s).",
                sent.sent, sent.failed, sent.abandoned, sent.cancelled
            ),
            Lang::En => println!(
                "{planned} reminder(s) planned; {} sent, {} failed (will retry), {} abandoned, {} cancelled.",
                sent.sent, sent.failed, sent.abandoned, sent.cancelled
            ),
        }
        if recovery != Default::default() {
            println!(
                "{}{}{} {}, {} {}, {} {}",
                lang.pick("Envois interrompus repris", "Interrupted sends settled"),
                lang.colon(),
                recovery.delivered,
                lang.pick("remis", "delivered"),
                recovery.requeued,
                lang.pick("reprogrammés", "requeued"),
                recovery.unknown,
                lang.pick("à vérifier", "to check")
            );
        }
    }
    let mut conn = store.pool().acquire().await?;
    let unknown = outbox::in_state(&mut conn, firm.id, State::Unknown).await?;
    for reminder in &unknown {
        let dossier = cabready_store::dossiers::find_by_id(&mut conn, firm.id, reminder.dossier_id)
            .await?
            .map(|d| format!("{} {}", d.record.code, d.record.legal_name))
            .unwrap_or_default();
        println!(
            "  {} {} — {dossier} ({}){}{}",
            lang.pick("À vérifier : relance", "To check: reminder"),
            reminder.id,
            reminder.message_id,
            lang.colon(),
            match lang {
                Lang::Fr => format!("l'envoi a été interrompu ; vérifiez dans les messages envoyés du relais, puis `cabready remind settle {} --sent` ou `--not-sent`", reminder.id),
                Lang::En => format!("sending was interrupted; check the relay's sent messages, then `cabready remind settle {} --sent` or `--not-sent`", reminder.id),
            }
        );
    }
    // Back to the pool before closing it: close waits for every connection.
    drop(conn);
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// `cabready demo`: the first wave of reminders, sent at once into the
/// outbox Maildir so that a person can open the `.eml` files.
pub async fn demo_first_wave(ctx: &AppContext, store: &Store, firm_id: i64) -> Result<()> {
    let lang = ctx.lang;
    let mailer = mailer(ctx)?;
    let now = ctx.clock.now();
    mailer
        .plan(
            store,
            firm_id,
            lang,
            now,
            PlanOptions {
                dry_run: false,
                ahead_of_time: true,
                outside_hours: true,
            },
        )
        .await?;
    // The demo shows the wave now, whatever the hour (`outside_hours`).
    let report = mailer.send_due(store, now, 50).await?;
    println!();
    match lang {
        Lang::Fr => println!(
            "Relances : {} e-mail(s) de la première vague déposé(s) dans {} (fichiers .eml, à ouvrir avec votre messagerie).",
            report.sent,
            mailer.transport.describe()
        ),
        Lang::En => println!(
            "Reminders: {} email(s) of the first wave stored in {} (.eml files, open them with your mail client).",
            report.sent,
            mailer.transport.describe()
        ),
    }
    Ok(())
}
