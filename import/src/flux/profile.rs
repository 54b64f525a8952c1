//! Platform mapping profiles: how one platform writes its export (one TOML
//! file per platform, documented key by key in `docs/platform-profiles.md`).
//!
//! The shipped profiles are compiled into the binary, so that CabReady
//! works from any directory; a firm's own directory (`profiles_dir`)
//! overrides them by name, and a profile file can be given by path.

use cabready_store::domain::{
    cents_or_why, closest, fold, parse_cents, Direction, LifecycleCode, Problem,
};
use cabready_store::lang::{toml_problem, STATUS_CODE_EXPECTED};
use cabready_store::{Lang, Said};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
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
    pub statuses: BTreeMap<String, StatusNumber>,
}

/// A lifecycle code as `[statuses]` writes it: a number of three digits.
/// Its own reader, so that a code written as text (`"212"`) or out of range
/// is said as what it is, not as "a number from 0 to 65535".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusNumber(pub u16);

impl<'de> Deserialize<'de> for StatusNumber {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{Error, Unexpected, Visitor};
        struct Code;
        impl Visitor<'_> for Code {
            type Value = StatusNumber;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(STATUS_CODE_EXPECTED)
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<StatusNumber, E> {
                match (100..=999).contains(&v) {
                    true => Ok(StatusNumber(v as u16)),
                    false => Err(E::invalid_value(Unexpected::Signed(v), &self)),
                }
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<StatusNumber, E> {
                match (100..=999).contains(&v) {
                    true => Ok(StatusNumber(v as u16)),
                    false => Err(E::invalid_value(Unexpected::Unsigned(v), &self)),
                }
            }
        }
        deserializer.deserialize_any(Code)
    }
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

/// A date or time written with a chrono format, or the format itself when
/// it cannot be written (chrono's `to_string` panics on that).
fn format_or_itself(formatted: impl std::fmt::Display, format: &str) -> String {
    let mut out = String::new();
    match write!(out, "{formatted}") {
        Ok(()) => out,
        Err(_) => format.to_string(),
    }
}

/// `date_format` must write and read back a date alone; `datetime_format`
/// must write a date and time. A date format with hours or an offset
/// (`%Y-%m-%d %H:%M`) cannot write a date without a time: refused here,
/// with what to do, rather than failing on the first unreadable date.
fn check_formats(file: &ProfileFile) -> Result<(), Said> {
    let see = "docs/platform-profiles.md";
    let date_format = &file.date_format;
    let sample = sample_datetime().date_naive();
    let mut probe = String::new();
    if date_format.trim().is_empty() {
        return Err(Said::new(
            format!("date_format : format vide ; par ex. \"%d/%m/%Y\" pour 31/12/2026, voir {see}"),
            format!("date_format: empty format; e.g. \"%d/%m/%Y\" for 31/12/2026, see {see}"),
        ));
    }
    if write!(probe, "{}", sample.format(date_format)).is_err() {
        // Either an unknown specifier or one a date alone has no value for.
        let as_datetime = write!(String::new(), "{}", sample_datetime().format(date_format));
        return Err(match as_datetime {
            Ok(()) => Said::new(
                format!(
                    "date_format : « {date_format} » contient une heure ou un fuseau (%H, %M, %S, %z…), qu'une date de facture n'a pas ; gardez la date seule (par ex. \"%Y-%m-%d\") : une date écrite avec une heure est lue avec datetime_format"
                ),
                format!(
                    "date_format: \"{date_format}\" holds a time or an offset (%H, %M, %S, %z…), which an issue date does not have; keep the date alone (e.g. \"%Y-%m-%d\"): a date written with a time is read with datetime_format"
                ),
            ),
            Err(_) => Said::new(
                format!("date_format : format invalide « {date_format} », voir {see}"),
                format!("date_format: invalid format \"{date_format}\", see {see}"),
            ),
        });
    }
    if NaiveDate::parse_from_str(&probe, date_format).ok() != Some(sample) {
        return Err(Said::new(
            format!(
                "date_format : « {date_format} » ne permet pas de relire une date (il écrit « {probe} ») : il faut le jour, le mois et l'année, par ex. \"%d/%m/%Y\""
            ),
            format!(
                "date_format: \"{date_format}\" cannot read a date back (it writes \"{probe}\"): it needs the day, the month and the year, e.g. \"%d/%m/%Y\""
            ),
        ));
    }
    let datetime_format = &file.datetime_format;
    if datetime_format.trim().is_empty()
        || write!(
            String::new(),
            "{}",
            sample_datetime().format(datetime_format)
        )
        .is_err()
    {
        return Err(Said::new(
            format!("datetime_format : format invalide « {datetime_format} », voir {see}"),
            format!("datetime_format: invalid format \"{datetime_format}\", see {see}"),
        ));
    }
    Ok(())
}

/// A column named "" would be looked for in the file and said missing
/// with no name. Two fields that must differ read from one column (headers
/// compared as the reader compares them: case, accents, spacing aside)
/// would silently give the seller's SIREN as the buyer's, or the HT as the
/// TTC; other pairs may share one (some platforms use the invoice number as
/// their id).
fn check_columns(columns: &ColumnMap) -> Result<(), Said> {
    if let Some((field, _, _)) = columns
        .fields()
        .into_iter()
        .find(|(_, header, _)| header.trim().is_empty())
    {
        return Err(Said::new(
            format!(
                "columns.{field} : nom de colonne vide ; mettez l'en-tête du fichier (par ex. {field} = \"Statut\"), ou retirez la clé si la plateforme n'exporte pas ce champ (seuls les champs facultatifs peuvent manquer)"
            ),
            format!(
                "columns.{field}: empty column name; write the file's header (e.g. {field} = \"Status\"), or remove the key when the platform does not export this field (only optional fields may be left out)"
            ),
        ));
    }
    let pairs = [
        (
            "seller_siren",
            Some(&columns.seller_siren),
            "buyer_siren",
            Some(&columns.buyer_siren),
        ),
        (
            "amount_ht",
            columns.amount_ht.as_ref(),
            "amount_ttc",
            columns.amount_ttc.as_ref(),
        ),
    ];
    for (a, header_a, b, header_b) in pairs {
        if let (Some(header), Some(other)) = (header_a, header_b) {
            if fold(header) == fold(other) {
                let header = header.trim();
                return Err(Said::new(
                    format!(
                        "{a} et {b} désignent la même colonne « {header} » : chacun doit avoir la sienne"
                    ),
                    format!("{a} and {b} name the same column \"{header}\": each needs its own"),
                ));
            }
        }
    }
    Ok(())
}

/// A `[statuses]` or `[direction_values]` table read as the lines are
/// looked up: its words folded (case, accents, spacing). Two words that
/// fold alike and say different things would leave the lines to whichever
/// came last: refused; saying the same thing twice is harmless.
struct Folded<T> {
    table: &'static str,
    map: HashMap<String, T>,
    /// Folded word -> (the word as written, its value as written).
    written: HashMap<String, (String, String)>,
}

impl<T: PartialEq> Folded<T> {
    fn new(table: &'static str) -> Self {
        Folded {
            table,
            map: HashMap::new(),
            written: HashMap::new(),
        }
    }

    fn insert(&mut self, word: &str, value: T, value_written: &str) -> Result<(), Said> {
        let key = fold(word);
        if let Some(before) = self.map.get(&key) {
            if *before != value {
                let (first, first_value) = &self.written[&key];
                let table = self.table;
                return Err(Said::new(
                    format!(
                        "clé en double dans [{table}] : « {first} » = {first_value} et « {word} » = {value_written} (les mots sont comparés sans tenir compte de la casse ni des accents) ; gardez-en un seul"
                    ),
                    format!(
                        "duplicate key in [{table}]: \"{first}\" = {first_value} and \"{word}\" = {value_written} (words are compared ignoring case and accents); keep only one"
                    ),
                ));
            }
            return Ok(());
        }
        self.written
            .insert(key.clone(), (word.to_string(), value_written.to_string()));
        self.map.insert(key, value);
        Ok(())
    }
}

/// The value, or `None` with its fault kept for the profile's error.
fn kept<T>(result: Result<T, Said>, faults: &mut Vec<Said>) -> Option<T> {
    result.map_err(|fault| faults.push(fault)).ok()
}

impl Profile {
    /// Parses and checks a profile's TOML text; the error says which keys
    /// are wrong, each of them.
    pub fn from_toml(text: &str, origin: &str) -> Result<Profile, Said> {
        let file: ProfileFile =
            toml::from_str(text).map_err(|e| toml_problem(e.message(), e.span(), text))?;
        // Every key's fault at once, not one per try.
        let mut faults: Vec<Said> = Vec::new();
        let delimiter = kept(
            match file.delimiter.as_str() {
                "\t" | "tab" | "\\t" => Ok(b'\t'),
                d if d.len() == 1 && d.is_ascii() => Ok(d.as_bytes()[0]),
                other => Err(Said::new(
                    format!("delimiter : un seul caractère attendu, par ex. \";\", \",\" ou \"\\t\" (lu : {other:?})"),
                    format!("delimiter: one character expected, e.g. \";\", \",\" or \"\\t\" (read: {other:?})"),
                )),
            },
            &mut faults,
        );
        let encoding = kept(
            match fold(&file.encoding).replace('_', "").as_str() {
                "utf8" | "utf8bom" => Ok(Encoding::Utf8),
                "windows1252" | "cp1252" | "latin1" | "iso88591" | "ansi" => {
                    Ok(Encoding::Windows1252)
                }
                _ => Err(Said::new(
                    format!(
                        "encoding : attendu \"utf-8\" ou \"windows-1252\" (lu : {:?})",
                        file.encoding
                    ),
                    format!(
                        "encoding: expected \"utf-8\" or \"windows-1252\" (read: {:?})",
                        file.encoding
                    ),
                )),
            },
            &mut faults,
        );
        let decimal = kept(
            match file.decimal_separator.as_str() {
                "," => Ok(','),
                "." => Ok('.'),
                other => Err(Said::new(
                    format!("decimal_separator : attendu \",\" ou \".\" (lu : {other:?})"),
                    format!("decimal_separator: expected \",\" or \".\" (read: {other:?})"),
                )),
            },
            &mut faults,
        );
        let timezone: Option<chrono_tz::Tz> = kept(
            file.timezone.parse().map_err(|_| {
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
            }),
            &mut faults,
        );
        kept(check_formats(&file), &mut faults);
        kept(check_columns(&file.columns), &mut faults);
        let direction = kept(
            file.direction
                .as_deref()
                .map(|d| {
                    Direction::parse(d).map_err(|_| {
                        Said::new(
                            format!("direction : attendu \"emitted\" ou \"received\" (lu : {d:?})"),
                            format!(
                                "direction: expected \"emitted\" or \"received\" (read: {d:?})"
                            ),
                        )
                    })
                })
                .transpose(),
            &mut faults,
        );
        let mut direction_values = Folded::new("direction_values");
        for (word, ours) in &file.direction_values {
            let d = Direction::from_code(ours).ok_or_else(|| {
                Said::new(
                    format!("direction_values.{word:?} : attendu \"emitted\" ou \"received\" (lu : {ours:?})"),
                    format!("direction_values.{word:?}: expected \"emitted\" or \"received\" (read: {ours:?})"),
                )
            });
            if let Some(d) = kept(d, &mut faults) {
                kept(
                    direction_values.insert(word, d, &format!("{ours:?}")),
                    &mut faults,
                );
            }
        }
        let mut statuses = Folded::new("statuses");
        for (word, StatusNumber(code)) in &file.statuses {
            let c = LifecycleCode::from_number(i64::from(*code)).ok_or_else(|| {
                Said::new(
                    format!(
                        "statuses.{word:?} : code de statut à 3 chiffres attendu (lu : {code})"
                    ),
                    format!("statuses.{word:?}: three-digit status code expected (read: {code})"),
                )
            });
            if let Some(c) = kept(c, &mut faults) {
                kept(statuses.insert(word, c, &code.to_string()), &mut faults);
            }
        }
        let (Some(delimiter), Some(encoding), Some(decimal), Some(timezone), Some(direction), true) = (
            delimiter,
            encoding,
            decimal,
            timezone,
            direction,
            faults.is_empty(),
        ) else {
            return Err(Said::join(&faults, " ; ", "; "));
        };
        let direction_values = direction_values.map;
        let statuses = statuses.map;
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

    /// An example of the expected date, for messages (`31/12/2026`). The
    /// format was checked when the profile was read; should it still not
    /// print a date, the example is the format itself, never a panic.
    pub fn date_example(&self) -> String {
        let format = &self.file.date_format;
        format_or_itself(sample_datetime().date_naive().format(format), format)
    }

    pub fn datetime_example(&self) -> String {
        let format = &self.file.datetime_format;
        format_or_itself(sample_datetime().format(format), format)
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

    /// As [`Profile::parse_amount`], saying why not (an amount too large
    /// to be stored, or unreadable).
    pub fn amount_or_why(&self, raw: &str) -> Result<i64, Problem> {
        cents_or_why(raw, self.decimal)
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
    Unknown {
        name: String,
        known: Vec<String>,
        /// The firm's `profiles_dir`, when it is no directory: the profile
        /// may be there, under a path that is wrong.
        missing_dir: Option<String>,
    },
    Unreadable {
        path: String,
        error: Said,
    },
    Invalid {
        origin: String,
        error: Said,
    },
}

/// The profile an unknown name likely meant: one a letter or two off, or
/// the only one it begins (`sage` for `sage-fr`).
fn likely(name: &str, known: &[String]) -> Option<String> {
    if let Some(close) = closest(name, known.iter().map(String::as_str)) {
        return Some(close.to_string());
    }
    let key = fold(name);
    let mut starting = known.iter().filter(|k| fold(k).starts_with(&key));
    match (key.is_empty(), starting.next(), starting.next()) {
        (false, Some(only), None) => Some(only.clone()),
        _ => None,
    }
}

impl ProfileError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Unknown { name, known, missing_dir }, Lang::Fr) => format!(
                "profil de plateforme inconnu : {name}{} (profils disponibles : {} ; ou donnez le chemin d'un fichier .toml){}",
                likely(name, known).map(|p| format!(" ; vouliez-vous dire « {p} » ?")).unwrap_or_default(),
                known.join(", "),
                missing_dir.as_ref().map(|d| format!(" ; le dossier des profils du cabinet (profiles_dir) est introuvable : {d}")).unwrap_or_default()
            ),
            (Self::Unknown { name, known, missing_dir }, Lang::En) => format!(
                "unknown platform profile: {name}{} (available: {}; or give the path of a .toml file){}",
                likely(name, known).map(|p| format!("; did you mean \"{p}\"?")).unwrap_or_default(),
                known.join(", "),
                missing_dir.as_ref().map(|d| format!("; the firm's profile directory (profiles_dir) does not exist: {d}")).unwrap_or_default()
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
    let invalid = |error| ProfileError::Invalid {
        origin: path.display().to_string(),
        error,
    };
    let profile = Profile::from_toml(&text, &path.display().to_string()).map_err(invalid)?;
    // A profile is found by its file's name and shown by its `name`: one
    // name, or `--platform` and the summary would not say the same thing.
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (name, file) = (profile.name(), file_name_of(path));
    if name != stem {
        return Err(invalid(Said::new(
            format!(
                "name = \"{name}\" n'est pas le nom du fichier ({file}) : un profil porte le nom de son fichier ; mettez name = \"{stem}\", ou renommez le fichier {name}.toml"
            ),
            format!(
                "name = \"{name}\" is not the file's name ({file}): a profile is named as its file; set name = \"{stem}\", or rename the file {name}.toml"
            ),
        )));
    }
    Ok(profile)
}

fn file_name_of(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
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
            missing_dir: profiles_dir
                .filter(|dir| !dir.is_dir())
                .map(|dir| dir.display().to_string()),
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

    #[test]
    fn a_profiles_dir_that_does_not_exist_is_said() {
        let err = resolve("sage-fr", Some(Path::new("./nope"))).unwrap_err();
        assert!(
            err.message(Lang::Fr).ends_with(
                " ; le dossier des profils du cabinet (profiles_dir) est introuvable : ./nope"
            ),
            "{}",
            err.message(Lang::Fr)
        );
        // A directory that exists is no news.
        let dir = tempfile::tempdir().unwrap();
        let err = resolve("sage-fr", Some(dir.path())).unwrap_err();
        assert!(!err.message(Lang::Fr).contains("introuvable"), "{err:?}");
    }

    #[test]
    fn an_unknown_name_gets_the_likely_profile() {
        let dir = tempfile::tempdir().unwrap();
        let generic = SHIPPED[0]
            .1
            .replace("name = \"generic\"", "name = \"sage-fr\"");
        std::fs::write(dir.path().join("sage-fr.toml"), generic).unwrap();
        let err = resolve("sage", Some(dir.path())).unwrap_err();
        assert_eq!(
            err.message(Lang::Fr),
            "profil de plateforme inconnu : sage ; vouliez-vous dire « sage-fr » ? (profils disponibles : fr-excel, generic, iso-offset, sage-fr, tab-vrbl ; ou donnez le chemin d'un fichier .toml)"
        );
        assert!(
            err.message(Lang::En).starts_with(
                "unknown platform profile: sage; did you mean \"sage-fr\"? (available: "
            ),
            "{err:?}"
        );
        // A letter or two off.
        let err = resolve("fr-exel", None).unwrap_err();
        assert!(
            err.message(Lang::Fr).starts_with(
                "profil de plateforme inconnu : fr-exel ; vouliez-vous dire « fr-excel » ?"
            ),
            "{err:?}"
        );
        // The beginning of several, or of none: no guess.
        let other = SHIPPED[0]
            .1
            .replace("name = \"generic\"", "name = \"sage-be\"");
        std::fs::write(dir.path().join("sage-be.toml"), other).unwrap();
        for name in ["docusign", "sage", ""] {
            let err = resolve(name, Some(dir.path())).unwrap_err();
            assert!(!err.message(Lang::Fr).contains("vouliez-vous"), "{err:?}");
        }
    }

    #[test]
    fn a_profile_is_named_as_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let text = SHIPPED[0]
            .1
            .replace("name = \"generic\"", "name = \"autre-nom\"");
        let path = dir.path().join("mismatch.toml");
        std::fs::write(&path, &text).unwrap();
        let err = resolve("mismatch", Some(dir.path())).unwrap_err();
        assert_eq!(
            err.message(Lang::Fr),
            format!(
                "profil invalide ({}) : name = \"autre-nom\" n'est pas le nom du fichier (mismatch.toml) : un profil porte le nom de son fichier ; mettez name = \"mismatch\", ou renommez le fichier autre-nom.toml",
                path.display()
            )
        );
        // By path too, and the name alone finds nothing.
        let err = resolve(path.to_str().unwrap(), None).unwrap_err();
        assert!(
            err.message(Lang::En)
                .contains("name = \"autre-nom\" is not the file's name (mismatch.toml)"),
            "{err:?}"
        );
        assert!(matches!(
            resolve("autre-nom", Some(dir.path())),
            Err(ProfileError::Unknown { .. })
        ));
        // Named as its file, it is found by that name and shown by it.
        std::fs::rename(&path, dir.path().join("autre-nom.toml")).unwrap();
        let p = resolve("autre-nom", Some(dir.path())).unwrap();
        assert_eq!(p.name(), "autre-nom");
    }

    const COLUMNS: &str = "[columns]\nplatform_invoice_id = \"a\"\ninvoice_number = \"b\"\nseller_siren = \"c\"\nbuyer_siren = \"d\"\nstatus = \"e\"\nstatus_at = \"f\"\n";

    fn with(top: &str, tables: &str) -> Result<Profile, Said> {
        Profile::from_toml(&format!("name = \"x\"\n{top}\n{COLUMNS}{tables}"), "x")
    }

    #[test]
    fn a_date_format_with_a_time_is_refused_when_the_profile_is_read() {
        for format in ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%:z", "%d/%m/%Y %z"] {
            let err = with(&format!("date_format = {format:?}"), "").unwrap_err();
            assert!(
                err.fr.starts_with(&format!(
                    "date_format : « {format} » contient une heure ou un fuseau"
                )),
                "{err:?}"
            );
            assert!(
                err.en
                    .starts_with(&format!("date_format: \"{format}\" holds a time")),
                "{err:?}"
            );
        }
        // A format that cannot read a whole date back, or no format at all.
        let err = with("date_format = \"%d/%m\"", "").unwrap_err();
        assert!(
            err.fr.contains("il faut le jour, le mois et l'année"),
            "{err:?}"
        );
        let err = with("date_format = \"%Q\"", "").unwrap_err();
        assert!(
            err.fr.starts_with("date_format : format invalide « %Q »"),
            "{err:?}"
        );
        assert!(with("date_format = \"\"", "").is_err());
        let err = with("datetime_format = \"%Y %Q\"", "").unwrap_err();
        assert!(
            err.en.starts_with("datetime_format: invalid format"),
            "{err:?}"
        );
        // The usual ones still load.
        for format in ["%d/%m/%Y", "%Y%m%d", "%d.%m.%Y", "%d/%m/%y"] {
            assert!(
                with(&format!("date_format = {format:?}"), "").is_ok(),
                "{format}"
            );
        }
    }

    #[test]
    fn examples_never_panic_whatever_the_format() {
        // A profile built around the checks (fields are public): the
        // example is the format itself rather than a panic.
        let mut p = resolve("generic", None).unwrap();
        p.file.date_format = "%Y-%m-%d %H:%M".into();
        assert_eq!(p.date_example(), "%Y-%m-%d %H:%M");
        p.file.datetime_format = "%Q".into();
        assert_eq!(p.datetime_example(), "%Q");
        assert_eq!(
            resolve("fr-excel", None).unwrap().datetime_example(),
            "31/12/2026 14:30"
        );
    }

    #[test]
    fn words_that_fold_alike_must_say_the_same() {
        let err = with("", "[statuses]\n\"Paid\" = 212\n\"paid\" = 211\n").unwrap_err();
        assert_eq!(
            err.fr,
            "clé en double dans [statuses] : « Paid » = 212 et « paid » = 211 (les mots sont comparés sans tenir compte de la casse ni des accents) ; gardez-en un seul"
        );
        assert!(
            err.en
                .starts_with("duplicate key in [statuses]: \"Paid\" = 212 and \"paid\" = 211"),
            "{err:?}"
        );
        let err = with("", "[statuses]\n\"Payée\" = 212\n\"PAYEE\" = 211\n").unwrap_err();
        assert!(
            err.fr.starts_with("clé en double dans [statuses]"),
            "{err:?}"
        );
        let err = with(
            "",
            "[direction_values]\n\"Émise\" = \"emitted\"\n\"emise\" = \"received\"\n",
        )
        .unwrap_err();
        assert!(
            err.fr
                .starts_with("clé en double dans [direction_values] : "),
            "{err:?}"
        );
        // The same thing said twice is harmless.
        let p = with("", "[statuses]\n\"Paid\" = 212\n\"paid\" = 212\n").unwrap();
        assert_eq!(p.parse_status("PAID"), Some(LifecycleCode::CASHED));
    }

    #[test]
    fn an_empty_column_name_is_refused_with_its_key() {
        let text = format!(
            "name = \"x\"\n{}",
            COLUMNS.replace("status = \"e\"", "status = \"\"")
        );
        let err = Profile::from_toml(&text, "x").unwrap_err();
        assert!(
            err.fr.starts_with("columns.status : nom de colonne vide"),
            "{err:?}"
        );
        assert!(
            err.en.starts_with("columns.status: empty column name"),
            "{err:?}"
        );
        let text = format!("name = \"x\"\n{COLUMNS}issue_date = \"  \"\n");
        let err = Profile::from_toml(&text, "x").unwrap_err();
        assert!(err.fr.starts_with("columns.issue_date :"), "{err:?}");
    }

    #[test]
    fn every_fault_of_a_profile_is_said_at_once() {
        let text = format!(
            "name = \"x\"\ndelimiter = \";;\"\nencoding = \"ebcdic\"\n{}",
            COLUMNS.replace("buyer_siren = \"d\"", "buyer_siren = \"c\"")
        );
        let err = Profile::from_toml(&text, "x").unwrap_err();
        for fault in [
            "delimiter : un seul caractère attendu",
            "encoding : attendu \"utf-8\" ou \"windows-1252\" (lu : \"ebcdic\")",
            "seller_siren et buyer_siren désignent la même colonne « c »",
        ] {
            assert!(err.fr.contains(fault), "{fault}: {}", err.fr);
        }
        assert!(err.fr.matches(" ; ").count() >= 2, "{}", err.fr);
    }

    #[test]
    fn two_fields_that_must_differ_cannot_share_a_column() {
        // Compared as the reader compares headers: case, accents, spacing.
        let text = format!(
            "name = \"x\"\n{}",
            COLUMNS
                .replace("seller_siren = \"c\"", "seller_siren = \"SIREN vendeur\"")
                .replace("buyer_siren = \"d\"", "buyer_siren = \"siren  Vendeur \"")
        );
        let err = Profile::from_toml(&text, "x").unwrap_err();
        assert_eq!(
            err.fr,
            "seller_siren et buyer_siren désignent la même colonne « SIREN vendeur » : chacun doit avoir la sienne"
        );
        assert_eq!(
            err.en,
            "seller_siren and buyer_siren name the same column \"SIREN vendeur\": each needs its own"
        );
        let text =
            format!("name = \"x\"\n{COLUMNS}amount_ht = \"Montant\"\namount_ttc = \"MONTANT\"\n");
        let err = Profile::from_toml(&text, "x").unwrap_err();
        assert!(
            err.fr
                .starts_with("amount_ht et amount_ttc désignent la même colonne « Montant »"),
            "{err:?}"
        );
        // Other fields may share one: a platform's id may be the number.
        let text = format!(
            "name = \"x\"\n{}",
            COLUMNS.replace("invoice_number = \"b\"", "invoice_number = \"a\"")
        );
        assert!(Profile::from_toml(&text, "x").is_ok());
    }

    #[test]
    fn a_status_code_is_said_as_three_digits() {
        for (value, found_fr, found_en) in [
            ("\"212\"", "le texte \"212\"", "the text \"212\""),
            ("2120", "le nombre 2120", "the number 2120"),
            ("12", "le nombre 12", "the number 12"),
        ] {
            let err = with("", &format!("[statuses]\n\"Paid\" = {value}\n")).unwrap_err();
            assert!(
                err.fr.ends_with(&format!("{found_fr}, alors qu'il faut un code de statut à trois chiffres, de 100 à 999, écrit sans guillemets (par ex. 212)")),
                "{err:?}"
            );
            assert!(err.fr.starts_with("ligne 11, colonne 10 : "), "{err:?}");
            assert!(!err.fr.contains("65535"), "{err:?}");
            assert!(
                err.en.ends_with(&format!("{found_en}, expected a status code of three digits, from 100 to 999, written without quotes (e.g. 212)")),
                "{err:?}"
            );
        }
        // A wrong type elsewhere is said in words in English too.
        let err = with("skip_rows = \"deux\"", "").unwrap_err();
        assert!(
            err.en.ends_with("expected a whole number, zero or more"),
            "{err:?}"
        );
    }
}
