//! Platform mapping profiles: how one platform writes its export (one TOML
//! file per platform, documented key by key in `docs/platform-profiles.md`).
//!
//! The shipped profiles are compiled into the binary, so that CabReady
//! works from any directory; a firm's own directory (`profiles_dir`)
//! overrides them by name, and a profile file can be given by path.

use cabready_store::domain::{fold, parse_cents, Direction, LifecycleCode};
use cabready_store::lang::toml_problem;
use cabready_store::{Lang, Said};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// The shipped profiles: (name, TOML text).
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "generic",
        include_str!("../../../config/platforms/generic.toml"),
    ),
    (
        "fr-excel",
        include_str!("../../../config/platforms/fr-excel.toml"),
    ),
    (
        "iso-offset",
        include_str!("../../../config/platforms/iso-offset.toml"),
    ),
    (
        "tab-vrbl",
        include_str!("../../../config/platforms/tab-vrbl.toml"),
    ),
];

/// `[columns]`: our field = the platform's header.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ColumnMap {
    pub platform_invoice_id: String,
    pub invoice_number: String,
    #[serde(default)]
    pub issue_date: Option<String>,
    pub seller_siren: String,
    pub buyer_siren: String,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default)]
    pub amount_ht: Option<String>,
    #[serde(default)]
    pub amount_ttc: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    pub status: String,
    #[serde(default)]
    pub status_label: Option<String>,
    pub status_at: String,
    #[serde(default)]
    pub status_reason: Option<String>,
    #[serde(default)]
    pub dossier_ref: Option<String>,
}

impl ColumnMap {
    /// (our field, the platform's header, required).
    pub fn fields(&self) -> Vec<(&'static str, &str, bool)> {
        let mut out = vec![
            (
                "platform_invoice_id",
                self.platform_invoice_id.as_str(),
                true,
            ),
            ("invoice_number", self.invoice_number.as_str(), true),
            ("seller_siren", self.seller_siren.as_str(), true),
            ("buyer_siren", self.buyer_siren.as_str(), true),
            ("status", self.status.as_str(), true),
            ("status_at", self.status_at.as_str(), true),
        ];
        for (field, header) in [
            ("issue_date", &self.issue_date),
            ("direction", &self.direction),
            ("amount_ht", &self.amount_ht),
            ("amount_ttc", &self.amount_ttc),
            ("currency", &self.currency),
            ("status_label", &self.status_label),
            ("status_reason", &self.status_reason),
            ("dossier_ref", &self.dossier_ref),
        ] {
            if let Some(h) = header {
                out.push((field, h.as_str(), true));
            }
        }
        out
    }
}

/// A profile as written in its TOML file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProfileFile {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub platform: Option<String>,
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    #[serde(default = "default_encoding")]
    pub encoding: String,
    #[serde(default = "default_decimal")]
    pub decimal_separator: String,
    #[serde(default = "default_date_format")]
    pub date_format: String,
    #[serde(default = "default_datetime_format")]
    pub datetime_format: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default)]
    pub skip_rows: usize,
    #[serde(default)]
    pub direction: Option<String>,
    #[serde(default = "default_currency")]
    pub default_currency: String,
    pub columns: ColumnMap,
    #[serde(default)]
    pub direction_values: BTreeMap<String, String>,
    #[serde(default)]
    pub statuses: BTreeMap<String, u16>,
}

fn default_delimiter() -> String {
    ",".into()
}
fn default_encoding() -> String {
    "utf-8".into()
}
fn default_decimal() -> String {
    ".".into()
}
fn default_date_format() -> String {
    "%Y-%m-%d".into()
}
fn default_datetime_format() -> String {
    "%Y-%m-%dT%H:%M:%S%:z".into()
}
fn default_timezone() -> String {
    "Europe/Paris".into()
}
fn default_currency() -> String {
    "EUR".into()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Windows1252,
}

/// A checked profile, ready to read lines.
#[derive(Debug, Clone)]
pub struct Profile {
    pub file: ProfileFile,
    pub delimiter: u8,
    pub encoding: Encoding,
    pub decimal: char,
    pub timezone: chrono_tz::Tz,
    pub direction: Option<Direction>,
    /// Folded platform word -> direction / code.
    pub direction_values: HashMap<String, Direction>,
    pub statuses: HashMap<String, LifecycleCode>,
    /// Where it came from: "intégré", or the file's path.
    pub origin: String,
}

fn sample_datetime() -> DateTime<FixedOffset> {
    FixedOffset::east_opt(3600)
        .expect("valid offset")
        .with_ymd_and_hms(2026, 12, 31, 14, 30, 0)
        .single()
        .expect("valid sample")
}

fn has_offset(format: &str) -> bool {
    format.contains("%z") || format.contains("%:z") || format.contains("%#z")
}

impl Profile {
    /// Parses and checks a profile's TOML text; the error says which key is wrong.
    pub fn from_toml(text: &str, origin: &str) -> Result<Profile, Said> {
        let file: ProfileFile =
            toml::from_str(text).map_err(|e| toml_problem(e.message(), e.span(), text))?;
        let delimiter = match file.delimiter.as_str() {
            "\t" | "tab" | "\\t" => b'\t',
            d if d.len() == 1 && d.is_ascii() => d.as_bytes()[0],
            other => {
                return Err(Said::new(
                    format!("delimiter : un seul caractère attendu, par ex. \";\", \",\" ou \"\\t\" (lu : {other:?})"),
                    format!("delimiter: one character expected, e.g. \";\", \",\" or \"\\t\" (read: {other:?})"),
                ))
            }
        };
        let encoding = match fold(&file.encoding).replace('_', "").as_str() {
            "utf8" | "utf8bom" => Encoding::Utf8,
            "windows1252" | "cp1252" | "latin1" | "iso88591" | "ansi" => Encoding::Windows1252,
            _ => {
                return Err(Said::new(
                    format!(
                        "encoding : attendu \"utf-8\" ou \"windows-1252\" (lu : {:?})",
                        file.encoding
                    ),
                    format!(
                        "encoding: expected \"utf-8\" or \"windows-1252\" (read: {:?})",
                        file.encoding
                    ),
                ))
            }
        };
        let decimal = match file.decimal_separator.as_str() {
            "," => ',',
            "." => '.',
            other => {
                return Err(Said::new(
                    format!("decimal_separator : attendu \",\" ou \".\" (lu : {other:?})"),
                    format!("decimal_separator: expected \",\" or \".\" (read: {other:?})"),
                ))
            }
        };
        let timezone: chrono_tz::Tz = file.timezone.parse().map_err(|_| {
            Said::new(
                format!(
                    "timezone : fuseau inconnu, par ex. \"Europe/Paris\" (lu : {:?})",
                    file.timezone
                ),
                format!(
                    "timezone: unknown time zone, e.g. \"Europe/Paris\" (read: {:?})",
                    file.timezone
                ),
            )
        })?;
        // A format that cannot print a date cannot read one either.
        for (key, format) in [
            ("date_format", &file.date_format),
            ("datetime_format", &file.datetime_format),
        ] {
            use std::fmt::Write;
            let mut probe = String::new();
            if format.trim().is_empty()
                || write!(probe, "{}", sample_datetime().format(format)).is_err()
            {
                return Err(Said::new(
                    format!(
                        "{key} : format invalide (lu : {format:?}), voir docs/platform-profiles.md"
                    ),
                    format!(
                        "{key}: invalid format (read: {format:?}), see docs/platform-profiles.md"
                    ),
                ));
            }
        }
        let direction = file
            .direction
            .as_deref()
            .map(|d| {
                Direction::parse(d).map_err(|_| {
                    Said::new(
                        format!("direction : attendu \"emitted\" ou \"received\" (lu : {d:?})"),
                        format!("direction: expected \"emitted\" or \"received\" (read: {d:?})"),
                    )
                })
            })
            .transpose()?;
        let mut direction_values = HashMap::new();
        for (word, ours) in &file.direction_values {
            let d = Direction::from_code(ours).ok_or_else(|| {
                Said::new(
                    format!("direction_values.{word:?} : attendu \"emitted\" ou \"received\" (lu : {ours:?})"),
                    format!("direction_values.{word:?}: expected \"emitted\" or \"received\" (read: {ours:?})"),
                )
            })?;
            direction_values.insert(fold(word), d);
        }
        let mut statuses = HashMap::new();
        for (word, code) in &file.statuses {
            let c = LifecycleCode::from_number(i64::from(*code)).ok_or_else(|| {
                Said::new(
                    format!(
                        "statuses.{word:?} : code de statut à 3 chiffres attendu (lu : {code})"
                    ),
                    format!("statuses.{word:?}: three-digit status code expected (read: {code})"),
                )
            })?;
            statuses.insert(fold(word), c);
        }
        Ok(Profile {
            delimiter,
            encoding,
            decimal,
            timezone,
            direction,
            direction_values,
            statuses,
            origin: origin.to_string(),
            file,
        })
    }

    pub fn name(&self) -> &str {
        &self.file.name
    }

    /// An example of the expected date, for messages (`31/12/2026`).
    pub fn date_example(&self) -> String {
        sample_datetime()
            .date_naive()
            .format(&self.file.date_format)
            .to_string()
    }

    pub fn datetime_example(&self) -> String {
        sample_datetime()
            .format(&self.file.datetime_format)
            .to_string()
    }

    pub fn parse_date(&self, raw: &str) -> Option<NaiveDate> {
        let raw = raw.trim();
        if self.file.date_format == "%Y-%m-%d" {
            // The same, without reading the format again on every line.
            if let Ok(date) = raw.parse::<NaiveDate>() {
                return Some(date);
            }
        }
        NaiveDate::parse_from_str(raw, &self.file.date_format)
            .ok()
            .or_else(|| {
                // Some exports write the issue date with a time.
                self.parse_datetime(raw)
                    .map(|t| t.with_timezone(&self.timezone).date_naive())
            })
    }

    /// A status time: the profile's format (in its time zone when it has
    /// no offset), or RFC 3339, or a bare date (midnight, local time).
    pub fn parse_datetime(&self, raw: &str) -> Option<DateTime<Utc>> {
        let raw = raw.trim();
        // RFC 3339 first: a time with its offset is the same instant read
        // by any format, and its parser is the fastest (the generic
        // profile's times end in "Z", which `%:z` does not read).
        if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
            return Some(t.with_timezone(&Utc));
        }
        let format = &self.file.datetime_format;
        let parsed = if has_offset(format) {
            DateTime::parse_from_str(raw, format)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        } else {
            NaiveDateTime::parse_from_str(raw, format)
                .ok()
                .and_then(|n| self.local(n))
        };
        parsed.or_else(|| {
            NaiveDate::parse_from_str(raw, &self.file.date_format)
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .and_then(|n| self.local(n))
        })
    }

    fn local(&self, n: NaiveDateTime) -> Option<DateTime<Utc>> {
        // On the autumn change an hour happens twice: take the first. On the
        // spring change an hour never happens: a time in it is read with the
        // offset before the change (02:30 on that night is 01:30 UTC in
        // Paris), which is the time an hour later read after it.
        let zone = &self.timezone;
        zone.from_local_datetime(&n)
            .earliest()
            .or_else(|| {
                zone.from_local_datetime(&(n + chrono::Duration::hours(1)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
    }

    /// Cents from an amount written with the profile's decimal separator,
    /// exactly, or `None` (see [`parse_cents`]).
    pub fn parse_amount(&self, raw: &str) -> Option<i64> {
        parse_cents(raw, self.decimal)
    }

    /// The lifecycle code of a status cell: the profile's words first, then
    /// codes with or without prefix and official labels.
    pub fn parse_status(&self, raw: &str) -> Option<LifecycleCode> {
        self.statuses
            .get(&fold(raw))
            .copied()
            .or_else(|| LifecycleCode::parse(raw).ok())
    }

    pub fn parse_direction(&self, raw: &str) -> Option<Direction> {
        self.direction_values
            .get(&fold(raw))
            .copied()
            .or_else(|| Direction::parse(raw).ok())
    }
}

/// Why a profile could not be found or read.
#[derive(Debug, Clone, PartialEq)]
pub enum ProfileError {
    Unknown { name: String, known: Vec<String> },
    Unreadable { path: String, error: Said },
    Invalid { origin: String, error: Said },
}

impl ProfileError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Unknown { name, known }, Lang::Fr) => format!(
                "profil de plateforme inconnu : {name} (profils disponibles : {} ; ou donnez le chemin d'un fichier .toml)",
                known.join(", ")
            ),
            (Self::Unknown { name, known }, Lang::En) => format!(
                "unknown platform profile: {name} (available: {}; or give the path of a .toml file)",
                known.join(", ")
            ),
            (Self::Unreadable { path, error }, Lang::Fr) => {
                format!("impossible de lire le profil {path} : {}", error.fr)
            }
            (Self::Unreadable { path, error }, Lang::En) => {
                format!("cannot read the profile {path}: {}", error.en)
            }
            (Self::Invalid { origin, error }, Lang::Fr) => {
                format!("profil invalide ({origin}) : {}", error.fr)
            }
            (Self::Invalid { origin, error }, Lang::En) => {
                format!("invalid profile ({origin}): {}", error.en)
            }
        }
    }
}

fn read_profile(path: &Path) -> Result<Profile, ProfileError> {
    let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Unreadable {
        path: path.display().to_string(),
        error: cabready_store::io_problem(&e),
    })?;
    Profile::from_toml(&text, &path.display().to_string()).map_err(|error| ProfileError::Invalid {
        origin: path.display().to_string(),
        error,
    })
}

/// The names of the profiles available: the firm's, then the shipped ones.
pub fn available(profiles_dir: Option<&Path>) -> Vec<String> {
    let mut names: Vec<String> = SHIPPED.iter().map(|(n, _)| n.to_string()).collect();
    if let Some(dir) = profiles_dir {
        if let Ok(entries) = std::fs::read_dir(dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml") {
                    if let Some(stem) = path.file_stem() {
                        names.push(stem.to_string_lossy().into_owned());
                    }
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// Finds a profile: a path to a `.toml` file, or a name looked up in the
/// firm's directory (`NAME.toml`) then among the shipped profiles.
pub fn resolve(spec: &str, profiles_dir: Option<&Path>) -> Result<Profile, ProfileError> {
    let as_path = PathBuf::from(spec);
    if spec.ends_with(".toml") || spec.contains('/') || spec.contains('\\') {
        return read_profile(&as_path);
    }
    if let Some(dir) = profiles_dir {
        let candidate = dir.join(format!("{spec}.toml"));
        if candidate.is_file() {
            return read_profile(&candidate);
        }
    }
    let wanted = fold(spec);
    match SHIPPED.iter().find(|(name, _)| fold(name) == wanted) {
        Some((name, text)) => {
            Profile::from_toml(text, &format!("intégré : {name}")).map_err(|error| {
                ProfileError::Invalid {
                    origin: name.to_string(),
                    error,
                }
            })
        }
        None => Err(ProfileError::Unknown {
            name: spec.to_string(),
            known: available(profiles_dir),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_profiles_are_valid() {
        for (name, text) in SHIPPED {
            let p = Profile::from_toml(text, name).unwrap_or_else(|e| panic!("{name}: {}", e.fr));
            assert_eq!(p.name(), *name);
        }
    }

    #[test]
    fn dates_amounts_statuses() {
        let p = resolve("fr-excel", None).unwrap();
        assert_eq!(p.date_example(), "31/12/2026");
        assert_eq!(
            p.parse_datetime("02/11/2026 10:15").unwrap().to_rfc3339(),
            "2026-11-02T09:15:00+00:00"
        );
        // The clock changes: the first of the autumn's two 02:30, and the
        // spring's missing 02:30 read with the winter offset.
        for (raw, utc) in [
            ("25/10/2026 02:30", "2026-10-25T00:30:00+00:00"),
            ("29/03/2026 02:30", "2026-03-29T01:30:00+00:00"),
            ("29/03/2026 03:30", "2026-03-29T01:30:00+00:00"),
        ] {
            assert_eq!(p.parse_datetime(raw).unwrap().to_rfc3339(), utc, "{raw}");
        }
        assert_eq!(p.parse_amount("1 234,56"), Some(123_456));
        assert_eq!(p.parse_amount("-12,5 €"), Some(-1_250));
        assert_eq!(p.parse_amount("12,5,0"), None);
        assert_eq!(p.parse_amount("abc"), None);
        assert_eq!(p.parse_status("Déposée"), LifecycleCode::parse("200").ok());
        assert_eq!(p.parse_status("fr:212"), Some(LifecycleCode::CASHED));
        let iso = resolve("iso-offset", None).unwrap();
        assert_eq!(
            iso.parse_datetime("2026-11-02T10:15:00+01:00")
                .unwrap()
                .to_rfc3339(),
            "2026-11-02T09:15:00+00:00"
        );
        assert_eq!(iso.parse_amount("1,234.56"), Some(123_456));
    }

    #[test]
    fn amounts_are_exact_or_refused() {
        let fr = resolve("fr-excel", None).unwrap();
        for (raw, cents) in [
            ("1 234,56", 123_456),
            ("1\u{a0}234\u{202f}567,8 €", 123_456_780),
            ("1.234,56", 123_456),
            ("1234,5", 123_450),
            ("12", 1_200),
            ("- 12,50 EUR", -1_250),
            ("12,500", 1_250),
            ("0,01", 1),
        ] {
            assert_eq!(fr.parse_amount(raw), Some(cents), "{raw}");
        }
        // Misgrouped digits, a third decimal, a misplaced separator,
        // signs and letters: refused rather than read as another amount.
        for raw in [
            "1.234.56",
            "1,234.56",
            "12,345",
            "12,",
            ",5",
            "1 23,00",
            "12.34",
            "3OO,00",
            "--1",
            "1e3",
            "",
            "€",
            "99999999999999999999",
        ] {
            assert_eq!(fr.parse_amount(raw), None, "{raw}");
        }
        let iso = resolve("iso-offset", None).unwrap();
        assert_eq!(iso.parse_amount("-1,234,567.89"), Some(-123_456_789));
        assert_eq!(iso.parse_amount("1,234,56"), None);
    }

    #[test]
    fn bad_profiles_say_which_key() {
        let err = Profile::from_toml(
            "name = \"x\"\ndelimiter = \";;\"\n[columns]\nplatform_invoice_id = \"a\"\ninvoice_number = \"b\"\nseller_siren = \"c\"\nbuyer_siren = \"d\"\nstatus = \"e\"\nstatus_at = \"f\"\n",
            "x",
        )
        .unwrap_err();
        assert!(err.fr.starts_with("delimiter :"), "{err:?}");
        assert!(
            err.en.starts_with("delimiter: one character expected"),
            "{err:?}"
        );
        // Without `name`: said where it goes, not "line 1", and in French.
        let err = Profile::from_toml("delimiter = \";\"\n", "x").unwrap_err();
        assert_eq!(
            err.fr,
            "clé « name » manquante au niveau principal du fichier (hors des [tables])"
        );
        let err = Profile::from_toml("name = \"x\"\nskip_rows = \"deux\"\n", "x").unwrap_err();
        assert!(
            err.fr
                .starts_with("ligne 2, colonne 13 : valeur de mauvais type"),
            "{err:?}"
        );
        let err = resolve("nope", None).unwrap_err();
        assert!(err.message(Lang::Fr).contains("generic"));
    }
}
