use serde::Deserialize;
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
