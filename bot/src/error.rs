use crate::reply::{Reply, Tone};
use cabready_store::{Lang, StoreError};

/// Why a command did not do what was asked; each says what to do next.
#[derive(Debug)]
pub enum CommandError {
    DossierNotFound {
        query: String,
        suggestions: Vec<(String, String)>,
    },
    Ambiguous {
        query: String,
        matches: Vec<(String, String)>,
    },
    PortfolioNotFound {
        name: String,
        known: Vec<String>,
    },
    Refused(String),
    Invalid(String),
    Store(StoreError),
}

impl From<StoreError> for CommandError {
    fn from(e: StoreError) -> Self {
        CommandError::Store(e)
    }
}

impl From<sqlx::Error> for CommandError {
    fn from(e: sqlx::Error) -> Self {
        CommandError::Store(StoreError::Database(e))
    }
}

impl CommandError {
    /// The error as a reply to the command line `input`: a dossier not
    /// found offers the same command on each dossier it may have meant
    /// (`mandat D099` → `mandat D009`), where a parsed command only offers
    /// their cards.
    pub fn into_reply_to(self, input: &str, lang: Lang) -> Reply {
        let retry: Vec<(String, String)> = match &self {
            CommandError::DossierNotFound { query, suggestions }
                if input.contains(query.as_str()) =>
            {
                suggestions
                    .iter()
                    .map(|(code, _)| (code.clone(), input.trim().replacen(query.as_str(), code, 1)))
                    .collect()
            }
            _ => Vec::new(),
        };
        let mut reply = self.into_reply(lang);
        if !retry.is_empty() {
            reply.actions.clear();
            for (label, command) in retry {
                reply = reply.action(label, command);
            }
        }
        reply
    }

    pub fn into_reply(self, lang: Lang) -> Reply {
        match self {
            CommandError::DossierNotFound { query, suggestions } => {
                let mut reply = Reply::error(
                    lang.pick("Dossier introuvable", "Dossier not found"),
                    match lang {
                        Lang::Fr => format!("Aucun dossier ne correspond à « {query} » (code, SIREN ou partie du nom)."),
                        Lang::En => format!("No dossier matches '{query}' (code, SIREN or part of the name)."),
                    },
                );
                if !suggestions.is_empty() {
                    let items = suggestions
                        .iter()
                        .map(|(c, n)| format!("{c} — {n}"))
                        .collect();
                    reply = reply.section(lang.pick("Vouliez-vous dire", "Did you mean"), items);
                    for (code, _) in suggestions {
                        reply = reply.action(code.clone(), format!("dossier {code}"));
                    }
                }
                reply
            }
            CommandError::Ambiguous { query, matches } => {
                let total = matches.len();
                let items = matches
                    .iter()
                    .take(10)
                    .map(|(c, n)| format!("{c} — {n}"))
                    .collect();
                Reply::error(
                    lang.pick("Plusieurs dossiers correspondent", "Several dossiers match"),
                    match lang {
                        Lang::Fr => format!(
                            "{total} dossiers correspondent à « {query} » : précisez le code."
                        ),
                        Lang::En => format!("{total} dossiers match '{query}': give the code."),
                    },
                )
                .section(lang.pick("Dossiers", "Dossiers"), items)
            }
            CommandError::PortfolioNotFound { name, known } => Reply::error(
                lang.pick("Portefeuille introuvable", "Portfolio not found"),
                match lang {
                    Lang::Fr => format!(
                        "Aucun portefeuille « {name} ». Portefeuilles du cabinet : {}.",
                        known.join(", ")
                    ),
                    Lang::En => format!(
                        "No portfolio '{name}'. The firm's portfolios: {}.",
                        known.join(", ")
                    ),
                },
            ),
            CommandError::Refused(reason) => {
                Reply::new(Tone::Refused, lang.pick("Action refusée", "Action refused"))
                    .with_description(reason)
            }
            CommandError::Invalid(message) => {
                Reply::error(lang.pick("Impossible", "Not possible"), message)
            }
            CommandError::Store(StoreError::IllegalTransition { from, to }) => Reply::error(
                lang.pick("Changement refusé", "Change refused"),
                StoreError::IllegalTransition { from, to }.user_message(lang),
            ),
            CommandError::Store(StoreError::UnknownPlatform { name, known }) => Reply::error(
                lang.pick("Plateforme inconnue", "Unknown platform"),
                match lang {
                    Lang::Fr => format!(
                        "« {name} » n'est pas une plateforme agréée connue du cabinet. Choisissez l'une des plateformes ci-dessous ; une autre s'ajoute à « platforms » dans la configuration, puis `cabready onboard --firm …` l'enregistre pour le cabinet."
                    ),
                    Lang::En => format!(
                        "'{name}' is not an approved platform known to the firm. Pick one of those below; another one is added to 'platforms' in the configuration, then `cabready onboard --firm …` registers it for the firm."
                    ),
                },
            )
            .section(
                lang.pick("Plateformes du cabinet", "The firm's platforms"),
                if known.is_empty() {
                    vec![lang.pick("aucune", "none").to_string()]
                } else {
                    vec![known.join(", ")]
                },
            ),
            CommandError::Store(
                e @ (StoreError::NotFound { .. }
                | StoreError::Refused { .. }
                | StoreError::UnknownFirm { .. }),
            ) => {
                Reply::error(
                    lang.pick("Impossible", "Not possible"),
                    e.user_message(lang),
                )
            }
            CommandError::Store(error) => {
                // Never show internals: log the cause with a reference the user can quote.
                let reference = format!("{:06X}", rand::random::<u32>() & 0xFF_FFFF);
                tracing::error!(reference = %reference, error = ?error, "command failed");
                Reply::error(
                    lang.pick("Erreur interne", "Internal error"),
                    match lang {
                        Lang::Fr => format!("La commande n'a pas abouti. Réessayez ; si cela persiste, transmettez la référence {reference} à l'administrateur."),
                        Lang::En => format!("The command failed. Try again; if it persists, give reference {reference} to your administrator."),
                    },
                )
            }
        }
    }
}

pub type CommandResult = Result<Reply, CommandError>;
