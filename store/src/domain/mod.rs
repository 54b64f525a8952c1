//! Domain values that cannot be invalid once built ("parse, don't validate").
//!
//! Everything here is pure: no I/O, no database. Parsing functions return a
//! [`Problem`] that the adapters render in the user's language.

mod category;
mod date;
mod email;
mod identifiers;
mod lifecycle;
mod mandate;
mod numbers;
mod role;
mod text;
mod vat;

pub use category::{CategorySource, Financials, SizeCategory};
pub use date::parse_day;
pub use email::Email;
pub use identifiers::{check_siret, french_vat_number, Siren};
pub use lifecycle::{Direction, LifecycleCode};
pub use mandate::{ImportedStatus, MandateKind, MandateStatus, PlatformState};
pub use numbers::{
    cents_or_why, largest_amount, parse_amount_cents, parse_cents, parse_decimal, Cents,
};
pub use role::Role;
pub use text::{closest, distance, fold, split_list};
pub use vat::{VatRegime, VatRegimeSchedule};

use crate::lang::Lang;

/// Why a value given by a user (a CSV cell, a chat argument) was refused.
///
/// Each variant knows how to say itself in French and English; the value
/// itself is shown by the caller, next to the line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Required,
    SirenLength,
    SirenCheckDigit,
    SiretInvalid,
    EmailInvalid,
    NumberInvalid,
    /// A number well written, too large to be stored.
    NumberTooLarge,
    /// `1,500` or `1.500`: thousands or decimals, nothing says which.
    NumberAmbiguous,
    NegativeNumber,
    RoleUnknown,
    CategoryUnknown,
    VatRegimeUnknown,
    MandateStatusUnknown,
    MandateKindUnknown,
    PlatformStateUnknown,
    BooleanInvalid,
    DiscordIdInvalid,
    TooLong(usize),
    LifecycleUnknown,
    DirectionUnknown,
    DateInvalid,
    /// A date after today (the program's clock, `--now`) where only a past
    /// one makes sense.
    DateInFuture {
        today: chrono::NaiveDate,
    },
}

impl Problem {
    pub fn message(&self, lang: Lang) -> String {
        use Problem::*;
        match (self, lang) {
            (Required, Lang::Fr) => "valeur obligatoire manquante".into(),
            (Required, Lang::En) => "required value is missing".into(),
            (SirenLength, Lang::Fr) => "le SIREN doit comporter exactement 9 chiffres".into(),
            (SirenLength, Lang::En) => "a SIREN must have exactly 9 digits".into(),
            (SirenCheckDigit, Lang::Fr) => {
                "SIREN invalide : la clé de contrôle (Luhn) ne correspond pas".into()
            }
            (SirenCheckDigit, Lang::En) => "invalid SIREN: the (Luhn) check digit does not match".into(),
            (SiretInvalid, Lang::Fr) => "SIRET invalide (14 chiffres, clé de Luhn)".into(),
            (SiretInvalid, Lang::En) => "invalid SIRET (14 digits, Luhn check)".into(),
            (EmailInvalid, Lang::Fr) => "adresse e-mail invalide (attendu : nom@domaine.fr)".into(),
            (EmailInvalid, Lang::En) => "invalid email address (expected: name@domain.com)".into(),
            (NumberInvalid, Lang::Fr) => {
                "nombre illisible (attendu par exemple : 1 250 000,50 ; chiffres groupés par trois, deux décimales au plus)".into()
            }
            (NumberInvalid, Lang::En) => {
                "unreadable number (expected e.g. 1 250 000,50 or 1,250,000.50; digits grouped by three, two decimals at most)".into()
            }
            (NumberTooLarge, Lang::Fr) => format!("nombre trop grand (au plus {})", numbers::largest_amount(',')),
            (NumberTooLarge, Lang::En) => format!("number too large (at most {})", numbers::largest_amount('.')),
            (NumberAmbiguous, Lang::Fr) => {
                "nombre ambigu : un seul séparateur suivi de trois chiffres peut grouper des milliers ou marquer des décimales ; écrivez par exemple 1500, 1 500 ou 1,5".into()
            }
            (NumberAmbiguous, Lang::En) => {
                "ambiguous number: one separator followed by three digits may group thousands or mark decimals; write e.g. 1500, 1 500 or 1.5".into()
            }
            (NegativeNumber, Lang::Fr) => "le nombre ne peut pas être négatif".into(),
            (NegativeNumber, Lang::En) => "the number cannot be negative".into(),
            (RoleUnknown, Lang::Fr) => {
                "rôle inconnu (attendu : admin, manager, accountant ou viewer — ou associé, collaborateur, lecteur)".into()
            }
            (RoleUnknown, Lang::En) => "unknown role (expected: admin, manager, accountant or viewer)".into(),
            (CategoryUnknown, Lang::Fr) => "catégorie inconnue (attendu : GE, ETI, PME, TPE ou micro)".into(),
            (CategoryUnknown, Lang::En) => "unknown category (expected: GE, ETI, PME, TPE or micro)".into(),
            (VatRegimeUnknown, Lang::Fr) => {
                "régime de TVA inconnu (attendu : réel normal mensuel, réel normal trimestriel, réel simplifié, franchise en base ou mini-réel)".into()
            }
            (VatRegimeUnknown, Lang::En) => {
                "unknown VAT regime (expected: réel normal mensuel, réel normal trimestriel, réel simplifié, franchise en base or mini-réel)".into()
            }
            (MandateStatusUnknown, Lang::Fr) => {
                "statut de mandat inconnu (attendu : signé, reçu (à vérifier), demandé, relancé, refusé, expiré ou non demandé)".into()
            }
            (MandateStatusUnknown, Lang::En) => {
                "unknown mandate status (expected: signed, received (to verify), requested, reminded, refused, expired or not requested; or the French words)".into()
            }
            (MandateKindUnknown, Lang::Fr) => {
                "type de mandat inconnu (attendu : délégation, désignation, facturation)".into()
            }
            (MandateKindUnknown, Lang::En) => {
                "unknown mandate kind (expected: delegation, designation, invoicing)".into()
            }
            (PlatformStateUnknown, Lang::Fr) => {
                "état de plateforme inconnu (attendu : choisie, compte ouvert, inscrite à l'annuaire (raccordée), en production)".into()
            }
            (PlatformStateUnknown, Lang::En) => {
                "unknown platform state (expected: chosen, account open, in the directory (connected), live)".into()
            }
            (BooleanInvalid, Lang::Fr) => "attendu : oui ou non".into(),
            (BooleanInvalid, Lang::En) => "expected: yes or no".into(),
            (DiscordIdInvalid, Lang::Fr) => {
                "identifiant Discord invalide (attendu : l'identifiant numérique de 17 à 20 chiffres)".into()
            }
            (DiscordIdInvalid, Lang::En) => "invalid Discord id (expected the 17 to 20 digit numeric id)".into(),
            (TooLong(max), Lang::Fr) => format!("texte trop long ({max} caractères au plus)"),
            (TooLong(max), Lang::En) => format!("text too long ({max} characters at most)"),
            (LifecycleUnknown, Lang::Fr) => {
                "statut inconnu : ni un code (200 à 213, fr:212, VRBL:FR:212), ni un libellé officiel, ni un mot de la section [statuses] du profil".into()
            }
            (LifecycleUnknown, Lang::En) => {
                "unknown status: not a code (200 to 213, fr:212, VRBL:FR:212), an official label, nor a word of the profile's [statuses] section".into()
            }
            (DirectionUnknown, Lang::Fr) => {
                "sens inconnu (attendu : émise ou reçue, ou un mot de la section [direction_values] du profil)".into()
            }
            (DirectionUnknown, Lang::En) => {
                "unknown direction (expected: emitted or received, or a word of the profile's [direction_values] section)".into()
            }
            (DateInvalid, Lang::Fr) => {
                "date illisible (attendu : jj/mm/aaaa ou aaaa-mm-jj, par exemple 01/03/2026 ou 2026-03-01)".into()
            }
            (DateInvalid, Lang::En) => {
                "unreadable date (expected: dd/mm/yyyy or yyyy-mm-dd, e.g. 01/03/2026 or 2026-03-01)".into()
            }
            (DateInFuture { today }, Lang::Fr) => format!(
                "date dans le futur (attendu : une date passée ou aujourd'hui, le {})",
                crate::clock::show_date(*today, Lang::Fr)
            ),
            (DateInFuture { today }, Lang::En) => format!(
                "date in the future (expected: a past date or today, {})",
                crate::clock::show_date(*today, Lang::En)
            ),
        }
    }
}

/// Parses a yes/no cell the way French spreadsheets write it.
pub fn parse_bool(raw: &str) -> Result<bool, Problem> {
    match fold(raw).as_str() {
        "oui" | "o" | "yes" | "y" | "vrai" | "true" | "1" | "x" => Ok(true),
        "non" | "n" | "no" | "faux" | "false" | "0" | "" => Ok(false),
        _ => Err(Problem::BooleanInvalid),
    }
}

/// A Discord user id is a snowflake: 17 to 20 decimal digits.
pub fn parse_discord_id(raw: &str) -> Result<String, Problem> {
    let trimmed = raw.trim().trim_start_matches("<@").trim_end_matches('>');
    if (17..=20).contains(&trimmed.len()) && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        Ok(trimmed.to_string())
    } else {
        Err(Problem::DiscordIdInvalid)
    }
}
