use crate::domain::MandateStatus;
use crate::lang::Lang;

/// What can go wrong in the store. Domain refusals carry what the user
/// needs to fix them; database failures keep their cause for the log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("illegal mandate transition {from:?} -> {to:?}")]
    IllegalTransition {
        from: MandateStatus,
        to: MandateStatus,
    },
    #[error("{what} not found: {key}")]
    NotFound { what: &'static str, key: String },
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("database migration failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("corrupt value in the database: {0}")]
    Corrupt(String),
    /// A platform name the firm does not know, with the names it knows.
    #[error("unknown platform {name}")]
    UnknownPlatform { name: String, known: Vec<String> },
    /// No firm to work on: the name given is not one of the database's
    /// (`known`), or no name was given and the database has none or several.
    #[error("unknown firm")]
    UnknownFirm {
        name: Option<String>,
        known: Vec<String>,
    },
    /// A request the domain refuses, with what to do, in both languages.
    #[error("{en}")]
    Refused { fr: String, en: String },
}

impl StoreError {
    /// The message for the user; database failures stay vague here (the
    /// cause chain goes to the log).
    pub fn user_message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::IllegalTransition { from, to }, _) if from == to => match lang {
                Lang::Fr => format!(
                    "le mandat est déjà « {} » : rien à changer",
                    from.label_fr()
                ),
                Lang::En => format!(
                    "the mandate is already '{}': nothing to change",
                    from.label_en()
                ),
            },
            (Self::IllegalTransition { from, to }, _) => {
                // Say where it can go, so that the user need not guess.
                let next: Vec<String> = MandateStatus::ALL
                    .into_iter()
                    .filter(|s| s != from && from.can_become(*s))
                    .map(|s| s.label(lang).to_string())
                    .collect();
                let next = if next.is_empty() {
                    lang.pick("aucun", "none").to_string()
                } else {
                    next.join(", ")
                };
                match lang {
                    Lang::Fr => format!(
                        "changement de statut refusé : un mandat « {} » ne peut pas passer à « {} » (possible : {next})",
                        from.label_fr(),
                        to.label_fr()
                    ),
                    Lang::En => format!(
                        "status change refused: a mandate that is '{}' cannot become '{}' (possible: {next})",
                        from.label_en(),
                        to.label_en()
                    ),
                }
            }
            (Self::NotFound { what, key }, Lang::Fr) => format!("{what} introuvable : {key}"),
            (Self::NotFound { what, key }, Lang::En) => {
                // `what` is French, as the store names things.
                let what = match *what {
                    "anomalie" => "anomaly",
                    "cabinet" => "firm",
                    "collaborateur" => "accountant",
                    "mandat" => "mandate",
                    "plateforme du dossier" => "dossier's platform",
                    "relance" => "reminder",
                    other => other,
                };
                format!("{what} not found: {key}")
            }
            (Self::UnknownPlatform { name, known }, Lang::Fr) => format!(
                "« {name} » n'est pas une plateforme agréée connue du cabinet ; plateformes connues : {}",
                if known.is_empty() { "aucune".to_string() } else { known.join(", ") }
            ),
            (Self::UnknownPlatform { name, known }, Lang::En) => format!(
                "'{name}' is not an approved platform known to the firm; known platforms: {}",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ),
            (Self::UnknownFirm { name, known }, _) => unknown_firm(name.as_deref(), known, lang),
            (Self::Refused { fr, .. }, Lang::Fr) => fr.clone(),
            (Self::Refused { en, .. }, Lang::En) => en.clone(),
            (_, Lang::Fr) => {
                "erreur de la base de données (le détail est dans le journal technique : CABREADY_LOG=debug)".into()
            }
            (_, Lang::En) => {
                "database error (details are in the technical log: CABREADY_LOG=debug)".into()
            }
        }
    }
}

/// Which firm is missing, and what to do: the firms there are, or how to
/// create one.
fn unknown_firm(name: Option<&str>, known: &[String], lang: Lang) -> String {
    let create = lang.pick(
        "créez-le avec `cabready onboard --firm NOM --users users.csv --clients clients.csv`, ou essayez `cabready demo`",
        "create it with `cabready onboard --firm NAME --users users.csv --clients clients.csv`, or try `cabready demo`",
    );
    let firms = known.join(", ");
    match (name, known.is_empty(), lang) {
        (Some(name), true, Lang::Fr) => format!(
            "cabinet « {name} » introuvable : la base n'a encore aucun cabinet ; {create}"
        ),
        (Some(name), true, Lang::En) => {
            format!("firm \"{name}\" not found: the database has no firm yet; {create}")
        }
        (Some(name), false, Lang::Fr) => {
            format!("cabinet « {name} » introuvable ; cabinets de la base : {firms}")
        }
        (Some(name), false, Lang::En) => {
            format!("firm \"{name}\" not found; firms in the database: {firms}")
        }
        (None, true, Lang::Fr) => format!("aucun cabinet dans la base : {create}"),
        (None, true, Lang::En) => format!("no firm in the database: {create}"),
        (None, false, Lang::Fr) => format!(
            "plusieurs cabinets dans la base ({firms}) : précisez lequel avec --firm, ou firm = \"…\" dans la configuration"
        ),
        (None, false, Lang::En) => format!(
            "several firms in the database ({firms}): say which with --firm, or firm = \"…\" in the configuration"
        ),
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_was_not_found_is_named_in_the_readers_language() {
        let missing = |what| StoreError::NotFound {
            what,
            key: "#0".into(),
        };
        assert_eq!(
            missing("anomalie").user_message(Lang::En),
            "anomaly not found: #0"
        );
        assert_eq!(
            missing("cabinet").user_message(Lang::En),
            "firm not found: #0"
        );
        assert_eq!(
            missing("anomalie").user_message(Lang::Fr),
            "anomalie introuvable : #0"
        );
    }

    #[test]
    fn a_missing_firm_says_which_there_are_or_how_to_create_one() {
        let firm = |name: Option<&str>, known: &[&str]| StoreError::UnknownFirm {
            name: name.map(str::to_string),
            known: known.iter().map(|k| k.to_string()).collect(),
        };
        assert_eq!(
            firm(Some("Nope"), &["Cabinet A", "Cabinet B"]).user_message(Lang::Fr),
            "cabinet « Nope » introuvable ; cabinets de la base : Cabinet A, Cabinet B"
        );
        assert_eq!(
            firm(Some("Nope"), &["Cabinet A"]).user_message(Lang::En),
            "firm \"Nope\" not found; firms in the database: Cabinet A"
        );
        assert!(firm(None, &[]).user_message(Lang::Fr).starts_with(
            "aucun cabinet dans la base : créez-le avec `cabready onboard --firm NOM"
        ));
        assert!(firm(Some("Nope"), &[])
            .user_message(Lang::En)
            .starts_with("firm \"Nope\" not found: the database has no firm yet; create it"));
        assert!(firm(None, &["A", "B"])
            .user_message(Lang::Fr)
            .starts_with("plusieurs cabinets dans la base (A, B) : précisez lequel avec --firm"));
    }
}
