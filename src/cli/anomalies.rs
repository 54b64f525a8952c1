//! `cabready anomalies`: the queue of what an accountant must look at —
//! list, show, assign, comment, resolve, dismiss, and evaluate the rules.
//!
//! Who acts is given by `--as EMAIL`; changes run through the chat core,
//! with its rights and texts (see `act`).

use crate::AppContext;
use anyhow::{anyhow, Result};
use cabready_bot::parse::{AnomalyAction, Command as ChatCommand, Parsed};
use cabready_store::anomalies::{self, rules, Anomaly, AnomalyStatus, Filter, Severity};
use cabready_store::calendar::parse_horizon;
use cabready_store::clock::{show_date, show_time};
use cabready_store::domain::fold;
use cabready_store::{Lang, Said, StoreError};
use chrono_tz::Europe::Paris;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The firm (default: the config's `firm`, or the only firm of the database).
    #[arg(long, global = true, env = "CABREADY_FIRM")]
    firm: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// The queue (open anomalies by default), most severe and oldest first.
    #[command(alias = "liste")]
    List(ListArgs),
    /// One anomaly with its comments.
    #[command(alias = "voir")]
    Show {
        #[arg(value_parser = anomaly_id, allow_negative_numbers = true)]
        id: i64,
    },
    /// Assign to a user of the firm (`--to none` unassigns).
    #[command(alias = "assigner")]
    Assign {
        #[arg(value_parser = anomaly_id, allow_negative_numbers = true)]
        id: i64,
        #[arg(long, alias = "a")]
        to: String,
        #[arg(long = "as", value_name = "EMAIL")]
        by: String,
    },
    /// Add a comment.
    #[command(alias = "commenter")]
    Comment {
        #[arg(value_parser = anomaly_id, allow_negative_numbers = true)]
        id: i64,
        text: String,
        #[arg(long = "as", value_name = "EMAIL")]
        by: String,
    },
    /// Resolve with a note saying what was done.
    #[command(alias = "resoudre")]
    Resolve {
        #[arg(value_parser = anomaly_id, allow_negative_numbers = true)]
        id: i64,
        #[arg(long)]
        note: String,
        #[arg(long = "as", value_name = "EMAIL")]
        by: String,
    },
    /// Dismiss (not a problem) with a reason.
    #[command(alias = "ecarter")]
    Dismiss {
        #[arg(value_parser = anomaly_id, allow_negative_numbers = true)]
        id: i64,
        #[arg(long, alias = "motif")]
        reason: String,
        #[arg(long = "as", value_name = "EMAIL")]
        by: String,
    },
    /// Evaluate the rules now (what the scheduler runs).
    #[command(alias = "evaluer")]
    Evaluate,
}

#[derive(clap::Args, Debug)]
struct ListArgs {
    /// Only this portfolio's dossiers (case and accents ignored).
    #[arg(long, alias = "portefeuille")]
    portfolio: Option<String>,
    /// Only this dossier (code, SIREN or part of its name).
    #[arg(long)]
    dossier: Option<String>,
    /// A user's email or name (as in the chat), or `none` for unassigned ones.
    #[arg(long, alias = "assignee")]
    assigned: Option<String>,
    /// critical|warning|info (critique|alerte|info).
    #[arg(long, alias = "gravite")]
    severity: Option<String>,
    /// open|closed|resolved|dismissed|auto-closed|all (ouverte|fermee|resolue|ecartee|fermee-auto|toutes);
    /// closed: no longer open, however (the chat's `anomalies closes`).
    #[arg(long, alias = "statut")]
    status: Option<String>,
    /// Rule name, e.g. invoice_rejected.
    #[arg(long, alias = "regle")]
    rule: Option<String>,
    /// Opened at least that long ago: 30, 30d, 30j, 4w, 2m.
    #[arg(long, alias = "age", allow_negative_numbers = true)]
    older_than: Option<String>,
    /// How many at most (most severe and oldest first).
    #[arg(long, default_value_t = 50)]
    limit: i64,
}

/// An anomaly's number as the lists show it: `12` or `#12`.
fn anomaly_id(raw: &str) -> std::result::Result<i64, String> {
    let number = raw.trim().strip_prefix('#').unwrap_or(raw.trim());
    number.parse().ok().filter(|id| *id >= 1).ok_or_else(|| {
        let args: Vec<String> = std::env::args().skip(1).collect();
        match super::clap_errors::language(&args) {
            Lang::Fr => format!(
                "« {raw} » : un numéro d'anomalie est attendu, un nombre entier ≥ 1 (12 ou #12, \
                 comme dans les listes)"
            ),
            Lang::En => format!(
                "'{raw}': an anomaly number is expected, a whole number ≥ 1 (12 or #12, as the \
                 lists show it)"
            ),
        }
    })
}

/// A rule by its name (`invoice_rejected`) or its label in either
/// language ("factures rejetées (213)"), as the lists show it.
fn rule_named(raw: &str, lang: Lang) -> Result<String> {
    let wanted = fold(raw);
    let found = rules::RULES.iter().chain(rules::MAIL_RULES).find(|rule| {
        fold(rule) == wanted
            || fold(rules::label(rule, Lang::Fr)) == wanted
            || fold(rules::label(rule, Lang::En)) == wanted
    });
    match found {
        Some(rule) => Ok(rule.to_string()),
        None => {
            let known: Vec<String> = rules::RULES
                .iter()
                .chain(rules::MAIL_RULES)
                .map(|r| format!("{r} ({})", rules::label(r, lang)))
                .collect();
            Err(anyhow!(
                "{}{}{}",
                lang.pick("--rule : règle inconnue ", "--rule: unknown rule "),
                lang.quote(raw),
                match lang {
                    Lang::Fr => format!(" ; règles : {}", known.join(", ")),
                    Lang::En => format!("; rules: {}", known.join(", ")),
                }
            ))
        }
    }
}

fn bad(lang: Lang, fr: &str, en: &str, value: &str) -> anyhow::Error {
    anyhow!("{} ({value})", lang.pick(fr, en))
}

pub fn render_line(a: &Anomaly, lang: Lang) -> String {
    let dossier = match (&a.dossier_code, &a.dossier_name) {
        (Some(code), Some(name)) => format!("{code} {name}"),
        _ => "—".into(),
    };
    let assignee = a
        .assignee
        .as_deref()
        .map(|e| format!(" → {e}"))
        .unwrap_or_default();
    // Only a list of every status mixes them: then each says its own, when
    // it ended and the note it ended with (as the chat's card does).
    let status = match a.status {
        AnomalyStatus::Open => String::new(),
        other => {
            let when = a
                .closed_at
                .map(|at| format!(" {} {}", lang.pick("le", "on"), show_time(at, lang)))
                .unwrap_or_default();
            let note = a
                .note
                .as_deref()
                .map(|n| format!("{}{}", lang.colon(), Said::show(n, lang)))
                .unwrap_or_default();
            format!(" ({}{when}{note})", other.label(lang))
        }
    };
    format!(
        "#{:<5} {:<8} {} [{}] {}{assignee}{status}",
        a.id,
        a.severity.label(lang),
        show_date(a.opened_at.with_timezone(&Paris).date_naive(), lang),
        dossier,
        a.describe(lang),
    )
}

/// The chat's own words would send the reader to its `anomalies` command.
fn unknown_anomaly(id: i64, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!(
            "aucune anomalie n°{id} dans ce cabinet (la liste : « cabready anomalies list --status toutes »)"
        ),
        Lang::En => format!(
            "no anomaly #{id} in this firm (the list: 'cabready anomalies list --status all')"
        ),
    }
}

/// Changes go through the chat core: the same rights (viewers read,
/// accountants act on their portfolios' dossiers, managers on all), the same
/// texts and the same journal lines as `assigner`, `commenter`, `resoudre`
/// and `ignorer` in the chat. Exit status 1 when refused or failed.
async fn act(
    ctx: &AppContext,
    firm: Option<&str>,
    by: &str,
    id: i64,
    action: AnomalyAction,
) -> Result<ExitCode> {
    let core = super::chat::core(ctx).await?;
    let reply = match core.caller_by_email(firm, by).await {
        Ok(caller) => {
            let mut conn = core.store.pool().acquire().await?;
            if let Err(StoreError::NotFound { .. }) =
                anomalies::get(&mut conn, caller.firm_id, id).await
            {
                eprintln!("{}", unknown_anomaly(id, ctx.lang));
                return Ok(ExitCode::from(1));
            }
            drop(conn);
            core.run(
                &caller,
                Parsed {
                    command: ChatCommand::Anomaly { id, action },
                    page: 1,
                },
            )
            .await
        }
        Err(refusal) => refusal,
    };
    Ok(super::chat::print_reply(&reply, ctx.lang))
}

pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let lang = ctx.lang;
    let firm_name = args.firm.or_else(|| ctx.config.firm.clone());
    let firm_arg = firm_name.as_deref();
    let command = match args.command {
        Command::Assign { id, to, by } => {
            return act(ctx, firm_arg, &by, id, AnomalyAction::Assign(to)).await
        }
        Command::Comment { id, text, by } => {
            return act(ctx, firm_arg, &by, id, AnomalyAction::Comment(text)).await
        }
        Command::Resolve { id, note, by } => {
            return act(ctx, firm_arg, &by, id, AnomalyAction::Resolve(Some(note))).await
        }
        Command::Dismiss { id, reason, by } => {
            return act(ctx, firm_arg, &by, id, AnomalyAction::Dismiss(reason)).await
        }
        read => read,
    };
    let store = ctx.store().await?;
    let mut conn = store.pool().acquire().await?;
    let firm = super::firm_named(&mut conn, ctx, firm_name.as_deref()).await?;
    let now = ctx.clock.now();
    let result: Result<()> = async {
        match command {
            Command::List(l) => {
                // A filter that names nothing of the firm's is a mistake to
                // say, not an empty queue to show.
                let dossier_code = match &l.dossier {
                    Some(query) => Some(
                        super::one_dossier(&mut conn, firm.id, query, lang)
                            .await?
                            .record
                            .code,
                    ),
                    None => None,
                };
                let portfolio =
                    super::portfolio_named(&mut conn, firm.id, l.portfolio.as_deref(), lang)
                        .await?;
                let rule = match &l.rule {
                    Some(r) => Some(rule_named(r, lang)?),
                    None => None,
                };
                if l.limit < 1 {
                    return Err(bad(
                        lang,
                        "--limit : un nombre entier ≥ 1 est attendu",
                        "--limit: a whole number ≥ 1 is expected",
                        &l.limit.to_string(),
                    ));
                }
                let mut filter = Filter {
                    portfolio,
                    dossier_code,
                    rule,
                    older_than_days: match l.older_than {
                        None => None,
                        Some(raw) => Some(parse_horizon(&raw).ok_or_else(|| {
                            bad(
                                lang,
                                "--older-than : une durée est attendue (30, 30j, 4s, 2m)",
                                "--older-than: a duration is expected (30, 30d, 4w, 2m)",
                                &raw,
                            )
                        })?),
                    },
                    limit: Some(l.limit),
                    ..Default::default()
                };
                if let Some(a) = l.assigned {
                    filter.assignee = Some(match a.trim().to_lowercase().as_str() {
                        "none" | "personne" | "aucun" => None,
                        // An email, or a name as in the chat (`bruno`, `Petit`).
                        _ => {
                            let mut fitting =
                                cabready_store::users::named(&mut conn, firm.id, &a).await?;
                            match fitting.len() {
                                1 => Some(fitting.remove(0).record.email),
                                0 => {
                                    return Err(bad(
                                        lang,
                                        "--assigned : pas un utilisateur du cabinet (attendu : son e-mail ou son nom)",
                                        "--assigned: not a user of the firm (expected: their email or name)",
                                        &a,
                                    ))
                                }
                                _ => {
                                    let emails: Vec<&str> =
                                        fitting.iter().map(|u| u.record.email.as_str()).collect();
                                    return Err(bad(
                                        lang,
                                        &format!("--assigned : plusieurs utilisateurs ({}), donnez son e-mail", emails.join(", ")),
                                        &format!("--assigned: several users ({}), give their email", emails.join(", ")),
                                        &a,
                                    ));
                                }
                            }
                        }
                    });
                }
                if let Some(s) = l.severity {
                    filter.severity = Some(Severity::parse(&s).ok_or_else(|| {
                        bad(
                            lang,
                            "--severity : attendu critique, alerte ou info",
                            "--severity: expected critical, warning or info",
                            &s,
                        )
                    })?);
                }
                if let Some(s) = l.status {
                    filter.statuses = AnomalyStatus::parse_filter(&s).ok_or_else(|| {
                        bad(
                            lang,
                            "--status : attendu ouverte, fermee, resolue, ecartee, fermee-auto ou toutes",
                            "--status: expected open, closed, resolved, dismissed, auto-closed or all",
                            &s,
                        )
                    })?;
                }
                let list = anomalies::list(&mut conn, firm.id, &filter, now).await?;
                if list.is_empty() {
                    println!("{}", lang.pick("Aucune anomalie.", "No anomaly."));
                }
                for a in &list {
                    println!("{}", render_line(a, lang));
                }
                let all = Filter {
                    limit: None,
                    ..filter
                };
                let total: i64 = anomalies::count_by_severity(&mut conn, firm.id, &all, now)
                    .await?
                    .iter()
                    .map(|(_, n)| n)
                    .sum();
                let more = total - list.len() as i64;
                if more > 0 {
                    println!(
                        "{}",
                        match lang {
                            Lang::Fr =>
                                format!("… et {more} autre(s) : --limit {total} pour tout voir"),
                            Lang::En =>
                                format!("… and {more} more: --limit {total} to see them all"),
                        }
                    );
                }
            }
            Command::Show { id } => {
                let a = anomalies::get(&mut conn, firm.id, id)
                    .await
                    .map_err(|e| match e {
                        StoreError::NotFound { .. } => anyhow!(unknown_anomaly(id, lang)),
                        other => anyhow!(other.user_message(lang)),
                    })?;
                let card = cabready_bot::anomaly_card(&mut conn, firm.id, &a, lang).await?;
                print!("{}", cabready_bot::console::render(&card, lang));
            }
            Command::Assign { .. }
            | Command::Comment { .. }
            | Command::Resolve { .. }
            | Command::Dismiss { .. } => {
                unreachable!("changes are run by `act` above")
            }
            Command::Evaluate => {
                let mut tx = store.begin_write().await?;
                let e = anomalies::evaluate(
                    &mut tx,
                    firm.id,
                    &ctx.config.anomalies,
                    now,
                    ctx.clock.today(),
                )
                .await?;
                tx.commit().await?;
                println!("{}", e.summary(lang));
            }
        }
        Ok(())
    }
    .await;
    drop(conn);
    store.close().await;
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::from(1))
        }
    }
}
