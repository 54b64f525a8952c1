mod toml;

pub use toml::{toml_problem, STATUS_CODE_EXPECTED};

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// The language of user-facing text. French by default: the users are French accountants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    /// Picks the French or the English text.
    pub fn pick<'a>(self, fr: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Fr => fr,
            Lang::En => en,
        }
    }

    /// The colon between a label and its value: French sets a space before it.
    pub fn colon(self) -> &'static str {
        self.pick(" : ", ": ")
    }

    /// A value quoted as each language quotes: « valeur », "value".
    pub fn quote(self, text: &str) -> String {
        match self {
            Lang::Fr => format!("« {text} »"),
            Lang::En => format!("\"{text}\""),
        }
    }
}

impl FromStr for Lang {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_lowercase().as_str() {
            "fr" | "fr-fr" | "francais" | "français" => Ok(Lang::Fr),
            "en" | "en-gb" | "en-us" | "english" | "anglais" => Ok(Lang::En),
            other => Err(format!("unknown language '{other}' (expected fr or en)")),
        }
    }
}

/// A sentence CabReady itself writes into the store for people to read
/// later (why a reminder was planned or cancelled, what a client's reply
/// did, why a message waits to be sorted). It is kept in both languages, so
/// that each reader sees it in theirs, whatever the language of the worker
/// that wrote it. It is stored as a small JSON object in the same text
/// column, or journal field, that holds a person's own words (a note, a
/// reason); [`Said::show`] shows either.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Said {
    pub fr: String,
    pub en: String,
}

impl Said {
    pub fn new(fr: impl Into<String>, en: impl Into<String>) -> Self {
        Said {
            fr: fr.into(),
            en: en.into(),
        }
    }

    pub fn text(&self, lang: Lang) -> &str {
        lang.pick(&self.fr, &self.en)
    }

    /// What goes into the store.
    pub fn stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.fr.clone())
    }

    /// A stored text in the reader's language: a [`Said`] in theirs, a
    /// person's own words (or a line written before sentences were kept in
    /// both languages) as they are.
    pub fn show(stored: &str, lang: Lang) -> String {
        match stored.trim_start().starts_with('{') {
            true => serde_json::from_str::<Said>(stored)
                .map(|said| said.text(lang).to_string())
                .unwrap_or_else(|_| stored.to_string()),
            false => stored.to_string(),
        }
    }

    /// Sentences joined in each language.
    pub fn join(parts: &[Said], separator_fr: &str, separator_en: &str) -> Said {
        let join = |lang: Lang, sep: &str| {
            parts
                .iter()
                .map(|p| p.text(lang))
                .collect::<Vec<_>>()
                .join(sep)
        };
        Said::new(join(Lang::Fr, separator_fr), join(Lang::En, separator_en))
    }
}

/// What the system said about a file, in both languages: its own words
/// ("No such file or directory (os error 2)") are English, and would sit
/// in the middle of a French sentence.
pub fn io_problem(error: &std::io::Error) -> Said {
    use std::io::ErrorKind::*;
    let (fr, en) = match error.kind() {
        NotFound => (
            "fichier ou dossier introuvable",
            "no such file or directory",
        ),
        PermissionDenied => ("accès refusé (droits du fichier)", "permission denied"),
        IsADirectory => (
            "c'est un dossier, pas un fichier",
            "it is a directory, not a file",
        ),
        NotADirectory => (
            "un élément du chemin n'est pas un dossier",
            "part of the path is not a directory",
        ),
        AlreadyExists => ("le fichier existe déjà", "the file already exists"),
        StorageFull => ("disque plein", "the disk is full"),
        ReadOnlyFilesystem => ("disque en lecture seule", "read-only file system"),
        InvalidData => ("contenu illisible", "unreadable content"),
        _ => return Said::new(format!("erreur du système ({error})"), error.to_string()),
    };
    Said::new(fr, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_said_sentence_is_shown_in_the_readers_language_and_words_as_they_are() {
        let said = Said::new("report demandé par le client", "the client asked to wait");
        let stored = said.stored();
        assert_eq!(
            Said::show(&stored, Lang::Fr),
            "report demandé par le client"
        );
        assert_eq!(Said::show(&stored, Lang::En), "the client asked to wait");
        // A person's own words, or a line stored before: as they are.
        assert_eq!(Said::show("client parti", Lang::En), "client parti");
        assert_eq!(Said::show("{pas du JSON", Lang::En), "{pas du JSON");
        let both = Said::join(&[said, Said::new("X", "X")], " ; ", "; ");
        assert_eq!(both.text(Lang::Fr), "report demandé par le client ; X");
        assert_eq!(both.text(Lang::En), "the client asked to wait; X");
    }

    #[test]
    fn the_systems_words_about_a_file_are_said_in_french_too() {
        let missing = std::fs::read("/nonexistent/cabready").unwrap_err();
        assert_eq!(io_problem(&missing).fr, "fichier ou dossier introuvable");
        let dir = std::fs::read(std::env::temp_dir()).unwrap_err();
        assert_eq!(io_problem(&dir).fr, "c'est un dossier, pas un fichier");
        assert_eq!(io_problem(&dir).en, "it is a directory, not a file");
    }
}
