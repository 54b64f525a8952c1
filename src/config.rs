//! The configuration file (`--config`, default `./cabready.toml`), every
//! top-level value overridable by a `CABREADY_<KEY>` environment variable.
//! No file at all is the embedded default: `./cabready-data/` with its
//! SQLite database. See `config/cabready.example.toml` for every option.

use anyhow::{anyhow, bail, Context, Result};
use cabready_mailer::config::{CadenceConfig, MailConfig};
use cabready_store::anomalies::AnomalyLimits;
use cabready_store::calendar::CalendarRules;
use cabready_store::lang::toml_problem;
use cabready_store::Lang;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub language: Lang,
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; default: `<data_dir>/cabready.db`.
    #[serde(default)]
    pub database_url: Option<String>,
    /// The firm commands work on when a database holds several.
    #[serde(default)]
    pub firm: Option<String>,
    #[serde(default = "default_platforms")]
    pub platforms: Vec<String>,
    #[serde(default)]
    pub calendar: CalendarRules,
    /// The firm's own platform profiles (`NAME.toml`), which override the
    /// shipped ones of the same name (docs/platform-profiles.md).
    #[serde(default)]
    pub profiles_dir: Option<PathBuf>,
    /// Limits of the anomaly rules (`[anomalies]`).
    #[serde(default)]
    pub anomalies: AnomalyLimits,
    /// Outgoing mail: sender, signature, templates, transport (`[mail]`).
    #[serde(default)]
    pub mail: MailConfig,
    /// The cadence of reminders (`[reminders]`).
    #[serde(default)]
    pub reminders: CadenceConfig,
    /// The firm's Discord server; the bot token comes from `CABREADY_DISCORD_TOKEN` only.
    #[serde(default)]
    pub discord: Option<DiscordConfig>,
    /// The daily digest (`[digest]`).
    #[serde(default)]
    pub digest: DigestConfig,
}

/// `[digest]`: when the daily digest goes out, and to which accountants
/// besides the managers.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestConfig {
    /// Local time in Europe/Paris, `HH:MM`, from which `cabready digest` sends the day's digest.
    #[serde(default = "DigestConfig::default_at")]
    pub at: String,
    /// Accountants who opted in (emails); managers and admins always get it.
    #[serde(default)]
    pub accountants: Vec<String>,
}

impl DigestConfig {
    fn default_at() -> String {
        "08:00".into()
    }

    /// The configured time, or 08:00 when it does not read as HH:MM.
    /// `at` as a time (checked when the configuration is loaded; 08:00 if
    /// a caller built the struct by hand with a bad value).
    pub fn time(&self) -> chrono::NaiveTime {
        chrono::NaiveTime::parse_from_str(self.at.trim(), "%H:%M")
            .unwrap_or_else(|_| chrono::NaiveTime::from_hms_opt(8, 0, 0).expect("08:00"))
    }
}

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig {
            at: Self::default_at(),
            accountants: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscordConfig {
    /// The id of the firm's Discord server (guild), where the slash commands are registered.
    pub guild_id: u64,
    /// The channel that receives notices: new critical anomalies, mandates updated by a client's email.
    #[serde(default)]
    pub notices_channel_id: Option<u64>,
}

fn default_data_dir() -> PathBuf {
    PathBuf::from("./cabready-data")
}

fn default_platforms() -> Vec<String> {
    cabready_store::platforms::DEFAULT_PLATFORMS
        .iter()
        .map(|s| s.to_string())
        .collect()
}

impl Default for Config {
    fn default() -> Self {
        toml::from_str("").expect("an empty config is valid")
    }
}

/// Top-level keys that an environment variable may override.
const ENV_KEYS: &[&str] = &[
    "language",
    "data_dir",
    "database_url",
    "firm",
    "profiles_dir",
];

/// Where the configuration came from, for `check-config`.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    pub file: Option<PathBuf>,
    pub overrides: Vec<String>,
}

pub fn load(path: Option<&Path>) -> Result<Loaded> {
    let default_path = Path::new("cabready.toml");
    let (file, text) = match path {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| {
                format!(
                    "impossible de lire le fichier de configuration {}",
                    p.display()
                )
            })?;
            (Some(p.to_path_buf()), text)
        }
        None if default_path.exists() => {
            let text = std::fs::read_to_string(default_path)
                .context("impossible de lire ./cabready.toml")?;
            (Some(default_path.to_path_buf()), text)
        }
        None => (None, String::new()),
    };
    let invalid = |e: toml::de::Error, text: &str| {
        anyhow!(
            "fichier de configuration invalide : {} : {}",
            file.as_deref().unwrap_or(default_path).display(),
            toml_problem(e.message(), e.span(), text).fr
        )
    };
    // The file alone first, so that its errors say their line.
    toml::from_str::<Config>(&text).map_err(|e| invalid(e, &text))?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| invalid(e, &text))?;
    let mut overrides = Vec::new();
    for key in ENV_KEYS {
        let var = format!("CABREADY_{}", key.to_uppercase());
        if let Ok(value) = std::env::var(&var) {
            if !value.is_empty() {
                table.insert(key.to_string(), toml::Value::String(value));
                overrides.push(var);
            }
        }
    }
    // The values may come from the environment too: no place in the file.
    let config: Config = table.try_into().map_err(|e| invalid(e, ""))?;
    for rule in &config.calendar.milestones {
        if !(0..=3650).contains(&rule.days) {
            bail!(
                "calendar.milestones : « days » doit être entre 0 et 3650 (lu : {})",
                rule.days
            );
        }
    }
    config.anomalies.validate().map_err(anyhow::Error::msg)?;
    if chrono::NaiveTime::parse_from_str(config.digest.at.trim(), "%H:%M").is_err() {
        bail!(
            "digest.at : heure invalide « {} » (attendu HH:MM, heure de Paris, par exemple \"08:00\")",
            config.digest.at
        );
    }
    if let Some(problem) = config.reminders.problems().into_iter().next() {
        bail!("{problem}");
    }
    if let Some(imap) = &config.mail.imap {
        if let Some(problem) = imap.problems().into_iter().next() {
            bail!("{problem}");
        }
    }
    if cabready_store::domain::Email::parse(&config.mail.from_address).is_err() {
        bail!(
            "mail.from_address : adresse invalide « {} » (attendu : relances@votre-cabinet.fr)",
            config.mail.from_address
        );
    }
    Ok(Loaded {
        config,
        file,
        overrides,
    })
}

impl Config {
    /// The database URL: the configured one, or the SQLite file of the data directory (created if needed).
    pub fn database_url(&self) -> Result<String> {
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            None => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!(
                        "impossible de créer le dossier de données {}",
                        self.data_dir.display()
                    )
                })?;
                Ok(cabready_store::db::sqlite_url_for(
                    &self.data_dir.join("cabready.db"),
                ))
            }
        }
    }
}

impl Config {
    /// The outbox Maildir of the file transport.
    pub fn maildir(&self) -> PathBuf {
        self.mail
            .maildir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("outbox"))
    }

    pub fn hmac_key_file(&self) -> PathBuf {
        self.mail
            .hmac_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("mail-hmac.key"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_config_is_the_embedded_default() {
        let config = Config::default();
        assert_eq!(config.language, Lang::Fr);
        assert_eq!(config.data_dir, PathBuf::from("./cabready-data"));
        assert_eq!(config.calendar, CalendarRules::default());
        assert!(config.platforms.contains(&"jefacture.com".to_string()));
        assert_eq!(config.anomalies, AnomalyLimits::default());
        assert_eq!(config.profiles_dir, None);
    }

    #[test]
    fn anomaly_limits_are_configurable() {
        let custom: Config = toml::from_str(
            "profiles_dir = \"./profils\"\n[anomalies]\nnot_taken_days = 3\n[anomalies.stuck_days]\n\"204\" = 5\n",
        )
        .unwrap();
        assert_eq!(custom.anomalies.not_taken_days, 3);
        assert_eq!(custom.anomalies.stuck_days.get("204"), Some(&5));
        // The codes it does not name keep their defaults.
        let mut expected = AnomalyLimits::default_stuck_days();
        expected.insert("204".into(), 5);
        assert_eq!(custom.anomalies.stuck_days, expected);
        assert_eq!(custom.anomalies.stuck_days.get("208"), Some(&15));
        assert!(toml::from_str::<Config>("[anomalies]\nnot_taken = 3").is_err());
    }

    #[test]
    fn the_example_file_is_valid_and_equals_the_defaults() {
        let text = include_str!("../config/cabready.example.toml");
        let example: Config = toml::from_str(text).expect("config/cabready.example.toml parses");
        let defaults = Config::default();
        assert_eq!(example.calendar, defaults.calendar);
        assert_eq!(example.platforms, defaults.platforms);
        assert_eq!(example.language, defaults.language);
        assert_eq!(example.reminders, defaults.reminders);
        assert_eq!(example.mail.transport, defaults.mail.transport);
        assert_eq!(example.anomalies, defaults.anomalies);
        for key in [
            "not_taken_days",
            "no_emission_days",
            "reception_grace_days",
            "platform_status_days",
            "[anomalies.stuck_days]",
        ] {
            assert!(text.contains(key), "{key} is not in the example file");
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(toml::from_str::<Config>("langage = \"fr\"").is_err());
        let custom: Config = toml::from_str(
            "language = \"en\"\n[calendar]\nmilestones = [{ milestone = \"mandate_signed\", before = \"emission\", days = 200 }]",
        )
        .unwrap();
        assert_eq!(custom.language, Lang::En);
        assert_eq!(custom.calendar.milestones.len(), 1);
    }
}
