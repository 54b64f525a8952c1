use crate::AppContext;
use anyhow::{anyhow, Result};
use cabready_mailer::inbound::sources::imap::{self, ImapConfig};
use cabready_store::db::redact_url;
use std::process::ExitCode;

/// Validates the configuration (loading it already refused unknown keys and
/// bad values), connects to the database, and explains what is in force.
/// The platform profiles `import flux --platform NAME` can use: the shipped
/// ones, and the firm's (`profiles_dir`), each read as an import would,
/// so that a broken one is found here rather than at the first import.
/// Returns how many are broken (a missing directory counts as one).
fn show_profiles(ctx: &AppContext) -> usize {
    use cabready_import::flux::profile;
    let lang = ctx.lang;
    let dir = ctx.config.profiles_dir.as_deref();
    let mut broken = 0;
    match dir {
        None => println!(
            "  {}{}{}",
            lang.pick("profils de plateforme", "platform profiles"),
            lang.colon(),
            profile::available(None).join(", ")
        ),
        Some(dir) if !dir.is_dir() => {
            broken += 1;
            println!(
                "  {}{}{} {}",
                lang.pick(
                    "profils de plateforme (profiles_dir)",
                    "platform profiles (profiles_dir)"
                ),
                lang.colon(),
                lang.pick("ERREUR : dossier introuvable", "ERROR: no such directory"),
                dir.display()
            );
        }
        Some(dir) => {
            println!(
                "  {} {}{}",
                lang.pick(
                    "profils de plateforme, dont ceux du cabinet dans",
                    "platform profiles, the firm's in"
                ),
                dir.display(),
                lang.colon()
            );
            let names = profile::available(Some(dir));
            let firms = |name: &str| dir.join(format!("{name}.toml")).is_file();
            if !names.iter().any(|name| firms(name)) {
                println!(
                    "    {}",
                    lang.pick(
                        "(aucun profil du cabinet dans ce dossier : les profils livrés seulement)",
                        "(no profile of the firm's in that directory: the shipped ones only)"
                    )
                );
            }
            for name in names.iter() {
                // The firm's file wins over a shipped profile of that name.
                let whose = match (
                    firms(name),
                    profile::SHIPPED.iter().any(|(shipped, _)| *shipped == name),
                ) {
                    (true, true) => lang.pick(
                        " (du cabinet, remplace le profil livré)",
                        " (the firm's, replaces the shipped one)",
                    ),
                    (true, false) => lang.pick(" (du cabinet)", " (the firm's)"),
                    _ => "",
                };
                match profile::resolve(name, Some(dir)) {
                    Ok(_) => println!("    {name}{whose} — OK"),
                    Err(e) => {
                        broken += 1;
                        println!(
                            "    {name}{}{} {}",
                            lang.colon(),
                            lang.pick("ERREUR", "ERROR"),
                            e.message(lang)
                        );
                    }
                }
            }
        }
    }
    broken
}

pub async fn run(ctx: &AppContext) -> Result<ExitCode> {
    let config = &ctx.config;
    let fr = ctx.lang == cabready_store::Lang::Fr;
    let source = match &ctx.loaded.file {
        Some(path) => path.display().to_string(),
        None => if fr {
            "aucun fichier : configuration embarquée par défaut"
        } else {
            "no file: embedded default"
        }
        .to_string(),
    };
    println!(
        "{} {source}",
        if fr {
            "Configuration :"
        } else {
            "Configuration:"
        }
    );
    if !ctx.loaded.overrides.is_empty() {
        println!(
            "  {} {}",
            if fr {
                "surchargée par :"
            } else {
                "overridden by:"
            },
            ctx.loaded.overrides.join(", ")
        );
    }
    let url = config.database_url()?;
    let store = ctx.store().await?;
    store.close().await;
    println!(
        "  {} {} ({}) — OK",
        if fr {
            "base de données :"
        } else {
            "database:"
        },
        redact_url(&url),
        match store.backend() {
            cabready_store::Backend::Sqlite => "SQLite",
            cabready_store::Backend::Postgres => "PostgreSQL",
        }
    );
    println!(
        "  {} {}",
        if fr {
            "dossier de données :"
        } else {
            "data directory:"
        },
        config.data_dir.display()
    );
    println!(
        "  {} {}",
        if fr { "langue :" } else { "language:" },
        ctx.lang.pick("français", "English")
    );
    println!(
        "  {} {}",
        if fr { "plateformes :" } else { "platforms:" },
        config.platforms.join(", ")
    );
    println!(
        "  {}",
        if fr {
            "jalons internes du calendrier :"
        } else {
            "calendar milestones:"
        }
    );
    for rule in &config.calendar.milestones {
        println!(
            "    {}{}{} {} {}",
            rule.milestone.label(ctx.lang),
            ctx.lang.colon(),
            rule.days,
            if fr { "jours avant" } else { "days before" },
            rule.before.label(ctx.lang)
        );
    }
    show_anomaly_limits(ctx);
    let broken_profiles = show_profiles(ctx);
    let templates = cabready_mailer::templates::Templates::load(
        config.mail.templates_dir.as_deref(),
    )
    .map_err(|e| {
        anyhow::anyhow!(
            "{} {e}",
            if fr {
                "modèles d'e-mails :"
            } else {
                "email templates:"
            }
        )
    })?;
    let mut broken = 0;
    println!(
        "  {} {} ({})",
        if fr { "e-mails :" } else { "email:" },
        match config.mail.transport {
            cabready_mailer::config::TransportKind::Maildir =>
                format!("Maildir {}", config.maildir().display()),
            cabready_mailer::config::TransportKind::Smtp => format!(
                "SMTP {}",
                config
                    .mail
                    .smtp
                    .as_ref()
                    .map(|s| {
                        use cabready_mailer::config::Security;
                        let security = match (s.security, fr) {
                            (Security::Tls, _) => "TLS",
                            (Security::Starttls, _) => "STARTTLS",
                            (Security::None, true) => "sans chiffrement",
                            (Security::None, false) => "no encryption",
                        };
                        format!("{}:{} ({security})", s.host, s.port())
                    })
                    .unwrap_or_else(|| "— [mail.smtp] manquant".into())
            ),
        },
        config.mail.from_address
    );
    check_imap(ctx).await?;
    for (name, result) in templates.check_all() {
        match result {
            Ok(rendered) => println!("    {name}{}{}", ctx.lang.colon(), rendered.subject),
            Err(error) => {
                broken += 1;
                println!(
                    "    {name}{}{} {error}",
                    ctx.lang.colon(),
                    if fr { "ERREUR" } else { "ERROR" }
                );
            }
        }
    }
    if !templates.overridden.is_empty() {
        println!(
            "    {} {}",
            if fr {
                "remplacés par le cabinet :"
            } else {
                "overridden by the firm:"
            },
            templates.overridden.join(", ")
        );
    }
    if broken_profiles > 0 {
        anyhow::bail!(
            "{broken_profiles} {}",
            if fr {
                "profil(s) de plateforme invalide(s) ou introuvable(s) : corrigez-les avant d'importer"
            } else {
                "invalid or missing platform profile(s): fix them before importing"
            }
        );
    }
    if broken > 0 {
        anyhow::bail!(
            "{broken} {}",
            if fr {
                "modèle(s) d'e-mail invalide(s) : corrigez-les avant tout envoi"
            } else {
                "invalid email template(s): fix them before anything is sent"
            }
        );
    }
    println!(
        "{}",
        if fr {
            "Configuration valide."
        } else {
            "Configuration is valid."
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// The reply worker's mailbox: `[mail.imap]` (password found, CA file
/// readable, then a real login), or the inbox Maildir.
async fn check_imap(ctx: &AppContext) -> Result<()> {
    let lang = ctx.lang;
    let label = lang.pick("réponses des clients :", "client replies:");
    let Some(section) = &ctx.config.mail.imap else {
        let every = ctx.config.mail.replies_every_seconds;
        let how = if every == 0 {
            lang.pick(
                "pas lu par `cabready serve` : replies_every_seconds = 0, lancez `cabready replies`",
                "not read by `cabready serve`: replies_every_seconds = 0, run `cabready replies`",
            )
            .to_string()
        } else {
            format!(
                "{} {every} s",
                lang.pick(
                    "lu par `cabready serve` toutes les",
                    "read by `cabready serve` every"
                )
            )
        };
        println!(
            "  {label} Maildir {} ({how})",
            super::replies::inbox_dir(ctx).join("new").display()
        );
        return Ok(());
    };
    let config = ImapConfig::from_section(section)?;
    let password_from = match &section.password_file {
        Some(file) => file.display().to_string(),
        None => format!("${}", section.password_env),
    };
    println!(
        "  {label} {} ({} {}, {} {password_from}, {})",
        config.describe(),
        lang.pick("identifiant", "user"),
        config.username,
        lang.pick("mot de passe :", "password:"),
        if config.idle {
            lang.pick("IDLE si le serveur le propose", "IDLE when offered")
        } else {
            lang.pick("relève périodique", "polling")
        }
    );
    let session = tokio::time::timeout(std::time::Duration::from_secs(15), imap::connect(&config))
        .await
        .map_err(|_| {
            anyhow!(
                "mail.imap{}{} {}",
                lang.colon(),
                config.describe(),
                lang.pick("ne répond pas", "does not answer")
            )
        })?;
    match session {
        Ok(mut session) => {
            let _ = session.logout().await;
            println!(
                "    {} — OK",
                lang.pick("connexion et identification", "connection and login")
            );
            Ok(())
        }
        Err(error) => Err(anyhow!("mail.imap{}{error:#}", lang.colon())),
    }
}

/// The limits of the anomaly rules in force (`[anomalies]`), each with its
/// key, and its default when the file changed it.
fn show_anomaly_limits(ctx: &AppContext) {
    use cabready_store::anomalies::{rules::label, AnomalyLimits};
    use cabready_store::domain::LifecycleCode;
    let lang = ctx.lang;
    let limits = &ctx.config.anomalies;
    let days = |n: i64, default: i64| {
        let mut text = format!("{n} {}", lang.pick("jours", "days"));
        if n != default {
            text.push_str(&format!(
                " ({}{default})",
                lang.pick("défaut : ", "default: ")
            ));
        }
        text
    };
    println!(
        "  {}",
        lang.pick(
            "limites des anomalies ([anomalies]) :",
            "anomaly limits ([anomalies]):"
        )
    );
    for (key, rule, value, default) in [
        (
            "not_taken_days",
            "received_not_taken",
            limits.not_taken_days,
            AnomalyLimits::default_not_taken_days(),
        ),
        (
            "no_emission_days",
            "no_emission",
            limits.no_emission_days,
            AnomalyLimits::default_no_emission_days(),
        ),
        (
            "reception_grace_days",
            "no_reception_flow",
            limits.reception_grace_days,
            AnomalyLimits::default_reception_grace_days(),
        ),
    ] {
        println!(
            "    {}{}{} — {key}",
            label(rule, lang),
            lang.colon(),
            days(value, default)
        );
    }
    println!(
        "    {}{}",
        label("invoice_stuck", lang),
        lang.pick(" (stuck_days), par statut :", " (stuck_days), by status:")
    );
    let defaults = AnomalyLimits::default_stuck_days();
    let mut codes: Vec<(&String, &i64)> = limits.stuck_days.iter().collect();
    codes.sort_by_key(|(code, _)| code.parse::<i64>().unwrap_or(i64::MAX));
    for (code, n) in codes {
        let name = code
            .parse::<i64>()
            .ok()
            .and_then(LifecycleCode::from_number)
            .map(|c| c.label(lang))
            .unwrap_or_default();
        let shown = match defaults.get(code) {
            Some(default) => days(*n, *default),
            None => format!(
                "{n} {} ({})",
                lang.pick("jours", "days"),
                lang.pick("pas de défaut", "no default")
            ),
        };
        println!("      {code} {name}{}{shown}", lang.colon());
    }
    println!(
        "      {}{}{} — platform_status_days",
        lang.pick(
            "autre statut, propre à une plateforme",
            "any other, platform-specific status"
        ),
        lang.colon(),
        days(
            limits.platform_status_days,
            AnomalyLimits::default_platform_status_days()
        )
    );
}
