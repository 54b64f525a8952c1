//! Slash command definitions, and interaction options → core command line.

use crate::parse::COMMANDS;
use serenity::all::{CommandData, CommandDataOption, CommandDataOptionValue, CommandOptionType};
use serenity::builder::{CreateCommand, CreateCommandOption};

fn dossier_option(required: bool) -> CreateCommandOption {
    CreateCommandOption::new(
        CommandOptionType::String,
        "dossier",
        "Code, SIREN ou partie du nom du dossier",
    )
    .required(required)
    .set_autocomplete(true)
    .max_length(100)
}

/// The slash commands registered on the firm's server (French names, as in the console).
pub fn definitions() -> Vec<CreateCommand> {
    let status = CreateCommandOption::new(
        CommandOptionType::String,
        "statut",
        "Nouveau statut du mandat (sans statut : voir les mandats du dossier)",
    )
    .add_string_choice("demandé", "demande")
    .add_string_choice("relancé", "relance")
    .add_string_choice("reçu à vérifier", "recu_a_verifier")
    .add_string_choice("signé (validé)", "signe")
    .add_string_choice("refusé", "refuse")
    .add_string_choice("expiré", "expire");
    let kind = CreateCommandOption::new(
        CommandOptionType::String,
        "type",
        "Type de mandat (délégation par défaut)",
    )
    .add_string_choice("délégation", "delegation")
    .add_string_choice("désignation", "designation")
    .add_string_choice("facturation", "facturation");
    let portfolio = CreateCommandOption::new(
        CommandOptionType::String,
        "portefeuille",
        "Nom du portefeuille",
    )
    .set_autocomplete(true)
    .max_length(100);
    vec![
        CreateCommand::new("pret")
            .description("Préparation : score, état, ce qui manque, prochaine échéance")
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "cible",
                    "Un dossier, « cabinet », « miens » (par défaut : votre périmètre)",
                )
                .set_autocomplete(true)
                .max_length(100),
            )
            .add_option(portfolio.clone())
            .add_option(page_option()),
        CreateCommand::new("dossier")
            .description("Fiche d'un dossier")
            .add_option(dossier_option(true)),
        CreateCommand::new("anomalies")
            .description("La file des anomalies")
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "filtre", "Lesquelles")
                    .add_string_choice("ouvertes", "ouvertes")
                    .add_string_choice("closes", "closes")
                    .add_string_choice("toutes", "toutes")
                    .add_string_choice("miennes", "miennes"),
            )
            .add_option(dossier_option(false))
            .add_option(portfolio.clone())
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::Integer,
                    "numero",
                    "Une anomalie en détail, avec son historique",
                )
                .min_int_value(1),
            )
            .add_option(page_option()),
        CreateCommand::new("assigner")
            .description("Assigner une anomalie")
            .add_option(anomaly_option())
            .add_option(CreateCommandOption::new(
                CommandOptionType::User,
                "utilisateur",
                "À qui (vous par défaut)",
            )),
        CreateCommand::new("commenter")
            .description("Commenter une anomalie")
            .add_option(anomaly_option())
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "texte", "Le commentaire")
                    .required(true)
                    .max_length(1000),
            ),
        CreateCommand::new("resoudre")
            .description("Marquer une anomalie comme résolue")
            .add_option(anomaly_option())
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "note", "Ce qui a été fait")
                    .max_length(500),
            ),
        CreateCommand::new("ignorer")
            .description("Écarter une anomalie (ce n'est pas un problème)")
            .add_option(anomaly_option())
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "raison", "Pourquoi")
                    .required(true)
                    .max_length(500),
            ),
        CreateCommand::new("mandats")
            .description("Mandats de délégation non signés")
            .add_option(CreateCommandOption::new(
                CommandOptionType::Boolean,
                "en-retard",
                "Seulement ceux en retard",
            ))
            .add_option(portfolio)
            .add_option(page_option()),
        CreateCommand::new("mandat")
            .description("Voir les mandats d'un dossier, ou changer le statut de l'un d'eux")
            .add_option(dossier_option(true))
            .add_option(status)
            .add_option(kind)
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "note", "Note pour le journal")
                    .max_length(500),
            ),
        CreateCommand::new("plateforme")
            .description("Enregistrer (ou retirer) la plateforme agréée du dossier et son état")
            .add_option(dossier_option(true))
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "nom",
                    "La plateforme agréée (parmi celles du cabinet), ou « aucune » pour la retirer",
                )
                .required(true)
                .set_autocomplete(true)
                .max_length(100),
            )
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "etat",
                    "Où en est le dossier (choisie par défaut)",
                )
                .add_string_choice("choisie", "choisie")
                .add_string_choice("compte ouvert", "compte-ouvert")
                .add_string_choice("inscrit à l'annuaire (raccordé)", "annuaire")
                .add_string_choice("en production", "production"),
            )
            .add_option(CreateCommandOption::new(
                CommandOptionType::Boolean,
                "correction",
                "Revenir à un état antérieur (erreur de saisie)",
            )),
        CreateCommand::new("relancer")
            .description("Relancer le client maintenant")
            .add_option(dossier_option(true)),
        CreateCommand::new("regler")
            .description("Régler une relance « à vérifier » (envoi interrompu)")
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::Integer,
                    "numero",
                    "Numéro de la relance",
                )
                .required(true)
                .min_int_value(1),
            )
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "issue", "Est-elle partie ?")
                    .required(true)
                    .add_string_choice("envoyée", "envoyee")
                    .add_string_choice("non envoyée (à renvoyer)", "non-envoyee"),
            ),
        CreateCommand::new("atrier")
            .description("E-mails de clients à trier")
            .add_option(page_option()),
        CreateCommand::new("trier")
            .description("Rattacher un e-mail à trier à son dossier, ou l'écarter")
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::Integer,
                    "numero",
                    "Numéro de l'e-mail",
                )
                .required(true)
                .min_int_value(1),
            )
            .add_option(dossier_option(false))
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "ignorer",
                    "Raison de l'écarter (au lieu d'un dossier)",
                )
                .max_length(500),
            ),
        CreateCommand::new("calendrier")
            .description("Échéances en retard et à venir")
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::String,
                    "horizon",
                    "Par exemple 90j, 12s, 6m",
                )
                .max_length(10),
            )
            .add_option(page_option()),
        CreateCommand::new("journal")
            .description("Dernières actions sur un dossier")
            .add_option(dossier_option(true))
            .add_option(
                CreateCommandOption::new(
                    CommandOptionType::Integer,
                    "n",
                    "Nombre de lignes (10 par défaut)",
                )
                .min_int_value(1)
                .max_int_value(50),
            ),
        CreateCommand::new("aide")
            .description("Les commandes de CabReady")
            .add_option({
                let mut topic =
                    CreateCommandOption::new(CommandOptionType::String, "commande", "Une commande");
                for (name, _) in COMMANDS {
                    topic = topic.add_string_choice(*name, *name);
                }
                topic
            }),
    ]
}

fn anomaly_option() -> CreateCommandOption {
    CreateCommandOption::new(CommandOptionType::Integer, "numero", "Numéro de l'anomalie")
        .required(true)
        .min_int_value(1)
}

fn page_option() -> CreateCommandOption {
    CreateCommandOption::new(
        CommandOptionType::Integer,
        "page",
        "Page d'une longue liste",
    )
    .min_int_value(1)
    .max_int_value(1000)
}

/// A value as the console would type it: quoted when it has spaces.
fn quoted(value: &str) -> String {
    let clean = value.replace(['"', '\n', '\r'], " ");
    if clean.contains(char::is_whitespace) {
        format!("\"{}\"", clean.trim())
    } else {
        clean.trim().to_string()
    }
}

/// Free text on one line (a note, a reason): newlines would end the command.
fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

fn option<'a>(options: &'a [CommandDataOption], name: &str) -> Option<&'a CommandDataOptionValue> {
    options.iter().find(|o| o.name == name).map(|o| &o.value)
}

fn text(options: &[CommandDataOption], name: &str) -> Option<String> {
    match option(options, name)? {
        CommandDataOptionValue::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        CommandDataOptionValue::Autocomplete { value, .. } => {
            Some(value.trim().to_string()).filter(|s| !s.is_empty())
        }
        CommandDataOptionValue::Integer(i) => Some(i.to_string()),
        CommandDataOptionValue::User(id) => Some(format!("<@{id}>")),
        _ => None,
    }
}

/// The core command line for a slash command's data; `Err` names what is wrong.
pub fn to_line(data: &CommandData) -> Result<String, String> {
    let o = &data.options;
    let page = text(o, "page")
        .map(|p| format!(" page {p}"))
        .unwrap_or_default();
    let required = |name: &str| text(o, name).ok_or_else(|| format!("option « {name} » manquante"));
    let line = match data.name.as_str() {
        "pret" => match (text(o, "cible"), text(o, "portefeuille")) {
            (Some(target), _) => format!("pret {}", quoted(&target)),
            (None, Some(p)) => format!("pret portefeuille {}", quoted(&p)),
            (None, None) => "pret".to_string(),
        },
        "dossier" => format!("dossier {}", quoted(&required("dossier")?)),
        "anomalies" if text(o, "numero").is_some() => {
            format!("anomalies {}", required("numero")?)
        }
        "anomalies" => match (
            text(o, "dossier"),
            text(o, "portefeuille"),
            text(o, "filtre"),
        ) {
            (Some(d), _, _) => format!("anomalies dossier {}", quoted(&d)),
            (None, Some(p), _) => format!("anomalies portefeuille {}", quoted(&p)),
            (None, None, Some(f)) => format!("anomalies {f}"),
            (None, None, None) => "anomalies".to_string(),
        },
        "assigner" => format!(
            "assigner {} {}",
            required("numero")?,
            text(o, "utilisateur").unwrap_or_else(|| "moi".into())
        ),
        "commenter" => format!(
            "commenter {} {}",
            required("numero")?,
            one_line(&required("texte")?)
        ),
        "resoudre" => format!(
            "resoudre {} {}",
            required("numero")?,
            text(o, "note").map(|n| one_line(&n)).unwrap_or_default()
        )
        .trim_end()
        .to_string(),
        "ignorer" => format!(
            "ignorer {} {}",
            required("numero")?,
            one_line(&required("raison")?)
        ),
        "mandats" => {
            let mut line = String::from("mandats");
            if matches!(
                option(o, "en-retard"),
                Some(CommandDataOptionValue::Boolean(true))
            ) {
                line.push_str(" en-retard");
            }
            if let Some(p) = text(o, "portefeuille") {
                line.push_str(&format!(" portefeuille {}", quoted(&p)));
            }
            line
        }
        "mandat" => {
            let mut line = format!("mandat {}", quoted(&required("dossier")?));
            // Without a status, the dossier's mandates (type and note unused).
            if let Some(status) = text(o, "statut") {
                if let Some(kind) = text(o, "type") {
                    line.push_str(&format!(" {kind}"));
                }
                line.push_str(&format!(" {status}"));
                if let Some(note) = text(o, "note") {
                    line.push_str(&format!(" {}", one_line(&note)));
                }
            }
            line
        }
        "plateforme" => {
            let mut line = format!(
                "plateforme {} {}",
                quoted(&required("dossier")?),
                quoted(&required("nom")?)
            );
            if let Some(state) = text(o, "etat") {
                line.push_str(&format!(" {state}"));
            }
            if matches!(
                option(o, "correction"),
                Some(CommandDataOptionValue::Boolean(true))
            ) {
                line.push_str(" correction");
            }
            line
        }
        "relancer" => format!("relancer {}", quoted(&required("dossier")?)),
        "regler" => format!("regler {} {}", required("numero")?, required("issue")?),
        "atrier" => "atrier".to_string(),
        "trier" => match (text(o, "dossier"), text(o, "ignorer")) {
            (Some(d), None) => format!("trier {} {}", required("numero")?, quoted(&d)),
            (None, Some(reason)) => format!(
                "trier {} ignorer {}",
                required("numero")?,
                one_line(&reason)
            ),
            _ => return Err("donnez soit un dossier, soit une raison de l'écarter".into()),
        },
        "calendrier" => format!(
            "calendrier {}",
            text(o, "horizon").map(|h| quoted(&h)).unwrap_or_default()
        )
        .trim_end()
        .to_string(),
        "journal" => format!(
            "journal {} {}",
            quoted(&required("dossier")?),
            text(o, "n").unwrap_or_else(|| "10".into())
        ),
        "aide" => format!("aide {}", text(o, "commande").unwrap_or_default())
            .trim_end()
            .to_string(),
        other => return Err(format!("commande inconnue « {other} »")),
    };
    Ok(format!("{line}{page}"))
}
