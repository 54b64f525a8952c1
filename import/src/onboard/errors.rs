//! What can be wrong in an onboarding file, said in the user's language as
//! `line N, column X: what is wrong (value)`.

use crate::table::TableError;
use cabready_store::clock::show_date;
use cabready_store::domain::{MandateStatus, Problem};
use cabready_store::{Lang, Said};

#[derive(Debug, Clone, PartialEq)]
pub enum RowProblem {
    Value(Problem),
    UnknownAccountant,
    CannotOwnDossiers,
    DuplicateCode {
        first_line: u64,
    },
    DuplicateSiren {
        first_line: u64,
    },
    DuplicateEmail {
        first_line: u64,
    },
    SirenOfAnotherDossier {
        code: String,
    },
    ContactEmailMissing,
    /// A platform the firm does not know, and those it knows.
    UnknownPlatform {
        known: Vec<String>,
    },
    PlatformStateWithoutPlatform,
    MandateDateWithoutStatus,
    /// A warning, not an error: the line is imported, but the register's
    /// mandate status (`recorded`, since that day) is kept rather than the
    /// file's (`file`, the cell as written), which would set it back or
    /// swap the client's answer.
    MandateKeptAsRecorded {
        recorded: MandateStatus,
        since: chrono::NaiveDate,
        file: String,
        backwards: bool,
    },
    FieldCount {
        found: usize,
        expected: usize,
    },
    Unreadable(Said),
}

impl RowProblem {
    fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Value(p), _) => p.message(lang),
            (Self::UnknownAccountant, Lang::Fr) => {
                "collaborateur inconnu : ajoutez-le à users.csv ou corrigez l'adresse".into()
            }
            (Self::UnknownAccountant, Lang::En) => {
                "unknown accountant: add them to users.csv or fix the address".into()
            }
            (Self::CannotOwnDossiers, Lang::Fr) => {
                "cet utilisateur a le rôle « viewer » et ne peut pas suivre de dossier".into()
            }
            (Self::CannotOwnDossiers, Lang::En) => {
                "this user is a viewer and cannot own dossiers".into()
            }
            (Self::DuplicateCode { first_line }, Lang::Fr) => {
                format!("code dossier en double (déjà ligne {first_line})")
            }
            (Self::DuplicateCode { first_line }, Lang::En) => {
                format!("duplicate dossier code (already on line {first_line})")
            }
            (Self::DuplicateSiren { first_line }, Lang::Fr) => {
                format!("SIREN en double (déjà ligne {first_line})")
            }
            (Self::DuplicateSiren { first_line }, Lang::En) => {
                format!("duplicate SIREN (already on line {first_line})")
            }
            (Self::DuplicateEmail { first_line }, Lang::Fr) => {
                format!("adresse en double (déjà ligne {first_line})")
            }
            (Self::DuplicateEmail { first_line }, Lang::En) => {
                format!("duplicate address (already on line {first_line})")
            }
            (Self::SirenOfAnotherDossier { code }, Lang::Fr) => {
                format!("ce SIREN est déjà celui du dossier {code} du cabinet")
            }
            (Self::SirenOfAnotherDossier { code }, Lang::En) => {
                format!("this SIREN already belongs to the firm's dossier {code}")
            }
            (Self::ContactEmailMissing, Lang::Fr) => {
                "l'adresse e-mail du contact est obligatoire quand son nom est donné".into()
            }
            (Self::ContactEmailMissing, Lang::En) => {
                "the contact's email is required when a contact name is given".into()
            }
            (Self::UnknownPlatform { known }, Lang::Fr) => format!(
                "plateforme inconnue du cabinet (plateformes connues : {} ; une autre s'ajoute à « platforms » dans la configuration)",
                if known.is_empty() { "aucune".to_string() } else { known.join(", ") }
            ),
            (Self::UnknownPlatform { known }, Lang::En) => format!(
                "platform unknown to the firm (known platforms: {}; another one is added to 'platforms' in the configuration)",
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            ),
            (Self::PlatformStateWithoutPlatform, Lang::Fr) => {
                "état de plateforme sans plateforme : remplissez aussi la colonne plateforme".into()
            }
            (Self::PlatformStateWithoutPlatform, Lang::En) => {
                "a platform state without a platform: fill in the plateforme column too".into()
            }
            (Self::MandateDateWithoutStatus, Lang::Fr) => {
                "date de mandat sans statut : remplissez aussi la colonne mandat (signé, reçu, demandé…)".into()
            }
            (Self::MandateDateWithoutStatus, Lang::En) => {
                "a mandate date without a status: fill in the mandat column too (signé/signed, reçu/received, demandé/requested…)".into()
            }
            (Self::MandateKeptAsRecorded { recorded, since, file, backwards }, Lang::Fr) => format!(
                "statut du registre conservé : « {} » depuis le {}, le fichier dit « {file} » ({})",
                recorded.label_fr(),
                show_date(*since, lang),
                if *backwards { "un import ne fait pas reculer un mandat" } else { "un import ne remplace pas la réponse déjà enregistrée" }
            ),
            (Self::MandateKeptAsRecorded { recorded, since, file, backwards }, Lang::En) => format!(
                "the register's status is kept: '{}' since {}, the file says '{file}' ({})",
                recorded.label_en(),
                show_date(*since, lang),
                if *backwards { "an import never sets a mandate back" } else { "an import never replaces the answer already recorded" }
            ),
            (Self::FieldCount { found, expected }, lang) => {
                crate::table::field_count(*found, *expected).text(lang).to_string()
            }
            (Self::Unreadable(e), Lang::Fr) => format!("ligne illisible : {}", e.fr),
            (Self::Unreadable(e), Lang::En) => format!("unreadable line: {}", e.en),
        }
    }
}

/// One invalid cell (or line, when `column` is `None`); also a warning
/// about a cell imported otherwise than written
/// ([`RowProblem::MandateKeptAsRecorded`]).
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub line: u64,
    pub column: Option<String>,
    pub problem: RowProblem,
    pub value: String,
}

impl RowError {
    pub fn message(&self, lang: Lang) -> String {
        let (line_word, column_word, colon) = match lang {
            Lang::Fr => ("ligne", "colonne", " :"),
            Lang::En => ("line", "column", ":"),
        };
        let mut out = format!("{line_word} {}", self.line);
        if let Some(column) = &self.column {
            out.push_str(&format!(", {column_word} {column}"));
        }
        out.push_str(&format!("{colon} {}", self.problem.message(lang)));
        if !self.value.is_empty() {
            out.push_str(&format!(" ({})", self.value));
        }
        out
    }
}

/// Why a whole file was refused before its lines were read.
#[derive(Debug, Clone, PartialEq)]
pub enum FileProblem {
    Unreadable(Said),
    Table(TableError),
    MissingColumns {
        missing: Vec<&'static str>,
        found: Vec<String>,
        delimiter: String,
    },
}

impl FileProblem {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Unreadable(e), Lang::Fr) => format!("impossible de lire le fichier : {}", e.fr),
            (Self::Unreadable(e), Lang::En) => format!("cannot read the file: {}", e.en),
            (Self::Table(e), _) => e.message(lang),
            (Self::MissingColumns { missing, found, delimiter }, Lang::Fr) => format!(
                "ligne 1 : colonne(s) obligatoire(s) absente(s) : {} (en-têtes lus avec le séparateur {delimiter} : {})",
                missing.join(", "),
                found.join(" | ")
            ),
            (Self::MissingColumns { missing, found, delimiter }, Lang::En) => format!(
                "line 1: required column(s) missing: {} (headers read with delimiter {delimiter}: {})",
                missing.join(", "),
                found.join(" | ")
            ),
        }
    }
}
