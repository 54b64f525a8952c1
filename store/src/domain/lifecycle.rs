//! Invoice lifecycle statuses (AFNOR XP Z12-012, DGFiP external
//! specifications v3) and the direction of a flow.
//!
//! Platforms write the same status as `212`, `fr:212`, `VRBL:FR:212` or
//! `Encaissée`: [`LifecycleCode::parse`] reads all of them. Codes outside
//! the table (214, 220, 501…) are kept as they are, never dropped.

use super::{fold, Problem};
use crate::lang::Lang;
use std::fmt;

/// A lifecycle status code (200–213 are the reform's; others are kept as read).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LifecycleCode(u16);

/// code, French label, English label, final.
const KNOWN: &[(u16, &str, &str, bool)] = &[
    (200, "Déposée", "Submitted", false),
    (
        201,
        "Émise par la plateforme",
        "Issued by the platform",
        false,
    ),
    (
        202,
        "Reçue par la plateforme",
        "Received by the platform",
        false,
    ),
    (203, "Mise à disposition", "Made available", false),
    (204, "Prise en charge", "Acknowledged", false),
    (205, "Approuvée", "Approved", false),
    (206, "Approuvée partiellement", "Partially approved", false),
    (207, "En litige", "Disputed", false),
    (208, "Suspendue", "Suspended", false),
    (209, "Complétée", "Completed", false),
    (210, "Refusée", "Refused", true),
    (211, "Paiement transmis", "Payment sent", false),
    (212, "Encaissée", "Cashed", true),
    (213, "Rejetée", "Rejected", true),
    (214, "Visée", "Endorsed", false),
    (220, "Annulée", "Cancelled", true),
    (221, "Erreur de routage", "Routing error", false),
];

impl LifecycleCode {
    pub const SUBMITTED: LifecycleCode = LifecycleCode(200);
    pub const TAKEN_IN_CHARGE: LifecycleCode = LifecycleCode(204);
    pub const DISPUTED: LifecycleCode = LifecycleCode(207);
    pub const REFUSED: LifecycleCode = LifecycleCode(210);
    pub const CASHED: LifecycleCode = LifecycleCode(212);
    pub const REJECTED: LifecycleCode = LifecycleCode(213);

    /// Any three-digit code (100–999); used for codes read from the database.
    pub fn from_number(n: i64) -> Option<Self> {
        (100..=999).contains(&n).then_some(LifecycleCode(n as u16))
    }

    /// Reads `212`, `fr:212`, `FR-212`, `VRBL:FR:212`, `FR_212` or an
    /// official French/English label (`Encaissée`, `encaissee`, `Cashed`).
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(Problem::Required);
        }
        // The code is the last run of digits after a prefix made of letters and separators.
        let last = trimmed
            .rsplit([':', '-', '_', ' ', '/', '.'])
            .next()
            .unwrap_or(trimmed);
        let prefix = &trimmed[..trimmed.len() - last.len()];
        let prefix_ok = prefix
            .chars()
            .all(|c| c.is_ascii_alphabetic() || ":-_ /.".contains(c));
        if prefix_ok && last.len() == 3 && last.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = last.parse().map_err(|_| Problem::LifecycleUnknown)?;
            return Self::from_number(n).ok_or(Problem::LifecycleUnknown);
        }
        let key = fold(trimmed);
        KNOWN
            .iter()
            .find(|(_, fr, en, _)| fold(fr) == key || fold(en) == key)
            .map(|(code, ..)| LifecycleCode(*code))
            .ok_or(Problem::LifecycleUnknown)
    }

    /// The reform's codes (and the other published ones), which a rule of
    /// its own, or `stuck_days`, watches; any other is a platform's own.
    pub const KNOWN_NUMBERS: [u16; KNOWN.len()] = {
        let mut numbers = [0; KNOWN.len()];
        let mut i = 0;
        while i < KNOWN.len() {
            numbers[i] = KNOWN[i].0;
            i += 1;
        }
        numbers
    };

    pub fn number(self) -> u16 {
        self.0
    }

    /// Whether the code is in the reform's table (or one of the other published codes).
    pub fn is_known(self) -> bool {
        KNOWN.iter().any(|(c, ..)| *c == self.0)
    }

    /// Final statuses end an invoice's life: refused, cashed, rejected (and cancelled).
    pub fn is_final(self) -> bool {
        KNOWN.iter().any(|(c, _, _, f)| *c == self.0 && *f)
    }

    pub fn label(self, lang: Lang) -> String {
        match KNOWN.iter().find(|(c, ..)| *c == self.0) {
            Some((_, fr, en, _)) => lang.pick(fr, en).to_string(),
            // A platform's own code, kept as read: its number is all we know.
            None => match lang {
                Lang::Fr => format!("statut {} propre à la plateforme", self.0),
                Lang::En => format!("platform-specific status {}", self.0),
            },
        }
    }
}

impl fmt::Display for LifecycleCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Whether the dossier issued or received the invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Emitted,
    Received,
}

impl Direction {
    pub fn code(self) -> &'static str {
        match self {
            Direction::Emitted => "emitted",
            Direction::Received => "received",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "emitted" => Some(Direction::Emitted),
            "received" => Some(Direction::Received),
            _ => None,
        }
    }

    /// Our words and the usual French ones: `emitted`, `émise`, `vente`, `received`, `reçue`, `achat`…
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        match fold(raw).as_str() {
            "emitted" | "emit" | "out" | "outgoing" | "sent" | "emise" | "emis" | "emission"
            | "vente" | "ventes" | "sortante" | "e" => Ok(Direction::Emitted),
            "received" | "in" | "incoming" | "recue" | "recu" | "reception" | "achat"
            | "achats" | "entrante" | "r" => Ok(Direction::Received),
            // Folding drops punctuation: "?" folds to "" but was not left empty.
            "" if raw.trim().is_empty() => Err(Problem::Required),
            _ => Err(Problem::DirectionUnknown),
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Direction::Emitted => lang.pick("émise", "emitted"),
            Direction::Received => lang.pick("reçue", "received"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_numbers_and_labels() {
        for raw in [
            "212",
            "fr:212",
            "FR:212",
            "VRBL:FR:212",
            " fr-212 ",
            "Encaissée",
            "ENCAISSEE",
            "cashed",
        ] {
            assert_eq!(
                LifecycleCode::parse(raw),
                Ok(LifecycleCode::CASHED),
                "{raw}"
            );
        }
        assert_eq!(
            LifecycleCode::parse("Mise à disposition").unwrap().number(),
            203
        );
        assert_eq!(
            LifecycleCode::parse("En litige"),
            Ok(LifecycleCode::DISPUTED)
        );
    }

    #[test]
    fn unknown_codes_are_kept_unknown_words_refused() {
        let code = LifecycleCode::parse("fr:501").unwrap();
        assert_eq!(code.number(), 501);
        assert!(!code.is_known());
        assert_eq!(
            LifecycleCode::parse("payée"),
            Err(Problem::LifecycleUnknown)
        );
        assert_eq!(LifecycleCode::parse("21"), Err(Problem::LifecycleUnknown));
        assert_eq!(
            LifecycleCode::parse("x1:212b"),
            Err(Problem::LifecycleUnknown)
        );
        assert_eq!(LifecycleCode::parse(""), Err(Problem::Required));
    }

    #[test]
    fn finals() {
        assert!(LifecycleCode::REJECTED.is_final());
        assert!(LifecycleCode::REFUSED.is_final());
        assert!(LifecycleCode::CASHED.is_final());
        assert!(!LifecycleCode::DISPUTED.is_final());
    }

    #[test]
    fn directions() {
        assert_eq!(Direction::parse("Émise"), Ok(Direction::Emitted));
        assert_eq!(Direction::parse("Reçue"), Ok(Direction::Received));
        assert_eq!(Direction::parse("achat"), Ok(Direction::Received));
        assert_eq!(Direction::parse("?"), Err(Problem::DirectionUnknown));
    }
}
