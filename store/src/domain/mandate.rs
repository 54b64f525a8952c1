use super::{fold, Problem};
use crate::Lang;

/// The three mandates of DOMAIN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MandateKind {
    /// Signed by the client: lets the firm choose the platform and register it in the directory.
    Delegation,
    /// Signed by the firm once delegated: records the company in the directory.
    Designation,
    /// Self-billing (CGI art. 289), optional.
    Invoicing,
}

impl MandateKind {
    pub const ALL: [MandateKind; 3] = [Self::Delegation, Self::Designation, Self::Invoicing];

    pub fn parse(raw: &str) -> Result<Self, Problem> {
        match fold(raw).as_str() {
            "delegation" => Ok(Self::Delegation),
            "designation" => Ok(Self::Designation),
            "invoicing" | "facturation" | "autofacturation" | "self_billing" => Ok(Self::Invoicing),
            "" if raw.trim().is_empty() => Err(Problem::Required),
            _ => Err(Problem::MandateKindUnknown),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Delegation => "delegation",
            Self::Designation => "designation",
            Self::Invoicing => "invoicing",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Delegation => "mandat de délégation",
            Self::Designation => "mandat de désignation",
            Self::Invoicing => "mandat de facturation",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (_, Lang::Fr) => self.label_fr(),
            (Self::Delegation, Lang::En) => "delegation mandate",
            (Self::Designation, Lang::En) => "designation mandate",
            (Self::Invoicing, Lang::En) => "invoicing mandate",
        }
    }
}

/// Collection status of a mandate. The only way to change it is
/// [`MandateStatus::can_become`], checked by the store before any write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MandateStatus {
    #[default]
    NotRequested,
    Requested,
    Reminded,
    ReceivedToVerify,
    Signed,
    Refused,
    Expired,
}

impl MandateStatus {
    pub const ALL: [MandateStatus; 7] = [
        Self::NotRequested,
        Self::Requested,
        Self::Reminded,
        Self::ReceivedToVerify,
        Self::Signed,
        Self::Refused,
        Self::Expired,
    ];

    pub fn parse(raw: &str) -> Result<Self, Problem> {
        match fold(raw).as_str() {
            "not_requested" | "non_demande" | "a_demander" => Ok(Self::NotRequested),
            // A mandate (le mandat) or a delegation (la délégation): both genders.
            "requested" | "demande" | "demandee" => Ok(Self::Requested),
            "reminded" | "relance" | "relancee" => Ok(Self::Reminded),
            "received_to_verify" | "recu" | "recue" | "recu_a_verifier" | "a_verifier"
            | "received" => Ok(Self::ReceivedToVerify),
            "signed" | "signe" | "signee" | "valide" | "validee" => Ok(Self::Signed),
            "refused" | "refuse" | "refusee" => Ok(Self::Refused),
            "expired" | "expire" | "expiree" => Ok(Self::Expired),
            "" if raw.trim().is_empty() => Err(Problem::Required),
            _ => Err(Problem::MandateStatusUnknown),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::NotRequested => "not_requested",
            Self::Requested => "requested",
            Self::Reminded => "reminded",
            Self::ReceivedToVerify => "received_to_verify",
            Self::Signed => "signed",
            Self::Refused => "refused",
            Self::Expired => "expired",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::NotRequested => "non demandé",
            Self::Requested => "demandé",
            Self::Reminded => "relancé",
            Self::ReceivedToVerify => "reçu à vérifier",
            Self::Signed => "signé",
            Self::Refused => "refusé",
            Self::Expired => "expiré",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Self::NotRequested => "not requested",
            Self::Requested => "requested",
            Self::Reminded => "reminded",
            Self::ReceivedToVerify => "received (to verify)",
            Self::Signed => "signed",
            Self::Refused => "refused",
            Self::Expired => "expired",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Fr => self.label_fr(),
            Lang::En => self.label_en(),
        }
    }

    /// The status machine:
    /// `not_requested → requested → reminded (→ reminded…) → received_to_verify → signed | refused`,
    /// with `expired` for a request left unanswered or a signed mandate that lapsed,
    /// a rejected document going back to `requested`, and a refused or expired
    /// mandate that can be requested again. A client may also send the signed
    /// mandate before being asked.
    pub fn can_become(self, next: MandateStatus) -> bool {
        use MandateStatus::*;
        matches!(
            (self, next),
            (NotRequested, Requested | ReceivedToVerify)
                | (Requested, Reminded | ReceivedToVerify | Refused | Expired)
                | (Reminded, Reminded | ReceivedToVerify | Refused | Expired)
                | (ReceivedToVerify, Signed | Refused | Requested)
                | (Signed, Expired)
                | (Refused, Requested)
                | (Expired, Requested)
        )
    }

    /// Statuses where the firm still waits for the client.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::NotRequested | Self::Requested | Self::Reminded)
    }

    /// How far along its collection a mandate is, to tell whether a status
    /// read from a file (a client list exported before the register moved
    /// on) would set the register back:
    /// not requested < requested < reminded < received (to verify)
    /// < signed = refused < expired.
    /// Signed and refused are the two answers to one request, so neither
    /// replaces the other from a file; expired comes last, being what
    /// becomes of an unanswered request or of a signature that lapsed.
    /// This ranks statuses for imports only: a person's changes follow
    /// the status machine ([`Self::can_become`]).
    pub fn progress(self) -> u8 {
        match self {
            Self::NotRequested => 0,
            Self::Requested => 1,
            Self::Reminded => 2,
            Self::ReceivedToVerify => 3,
            Self::Signed | Self::Refused => 4,
            Self::Expired => 5,
        }
    }

    /// What a status read from a file (`from_file`) does to this recorded
    /// one. A file records a fact collected elsewhere (a mandate signed on
    /// paper), not a workflow step: it may skip steps (not requested →
    /// signed), but never moves the register back nor swaps one answer for
    /// the other.
    pub fn import(self, from_file: MandateStatus) -> ImportedStatus {
        if from_file == self {
            ImportedStatus::Unchanged
        } else if from_file.progress() > self.progress() {
            ImportedStatus::Recorded
        } else {
            ImportedStatus::KeptRecorded
        }
    }
}

/// What importing a mandate status does ([`MandateStatus::import`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportedStatus {
    /// The register already has this status.
    Unchanged,
    /// The file's status is further along: it replaces the recorded one.
    Recorded,
    /// The register is as far or further along with another status (it
    /// moved on since the file was exported): it stays as it is.
    KeptRecorded,
}

/// Onboarding state of a dossier on its chosen platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PlatformState {
    /// The client picked the platform.
    Chosen,
    /// The account on the platform is open.
    AccountOpen,
    /// The dossier is in the directory (annuaire) with this platform as reception address.
    DirectoryRegistered,
    /// Flows went through.
    Live,
}

impl PlatformState {
    pub const ALL: [PlatformState; 4] = [
        Self::Chosen,
        Self::AccountOpen,
        Self::DirectoryRegistered,
        Self::Live,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Chosen => "chosen",
            Self::AccountOpen => "account_open",
            Self::DirectoryRegistered => "directory_registered",
            Self::Live => "live",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// A state as people write it, in French or English, whatever the case
    /// and accents: its label ("compte ouvert", "in the directory"), its
    /// code, or a short word ("ouvert", "annuaire", "raccordée", "production").
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        match fold(raw).as_str() {
            "chosen" | "choisie" | "choisi" | "choix" | "selected" | "retenue" => Ok(Self::Chosen),
            "account_open" | "compte_ouvert" | "ouvert" | "ouverte" | "compte" | "open"
            | "account" | "account_opened" => Ok(Self::AccountOpen),
            "directory_registered"
            | "inscrit_a_l_annuaire"
            | "inscrite_a_l_annuaire"
            | "inscrit"
            | "inscrite"
            | "annuaire"
            | "a_l_annuaire"
            | "raccorde"
            | "raccordee"
            | "in_the_directory"
            | "directory"
            | "registered"
            | "connected" => Ok(Self::DirectoryRegistered),
            "live" | "en_production" | "production" | "en_service" | "active" | "actif" => {
                Ok(Self::Live)
            }
            "" if raw.trim().is_empty() => Err(Problem::Required),
            _ => Err(Problem::PlatformStateUnknown),
        }
    }

    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Chosen => "choisie",
            Self::AccountOpen => "compte ouvert",
            Self::DirectoryRegistered => "inscrit à l'annuaire",
            Self::Live => "en production",
        }
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (_, Lang::Fr) => self.label_fr(),
            (Self::Chosen, Lang::En) => "chosen",
            (Self::AccountOpen, Lang::En) => "account open",
            (Self::DirectoryRegistered, Lang::En) => "in the directory",
            (Self::Live, Lang::En) => "live",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MandateStatus::*;
    use super::*;

    #[test]
    fn legal_path() {
        let path = [
            NotRequested,
            Requested,
            Reminded,
            Reminded,
            ReceivedToVerify,
            Signed,
            Expired,
            Requested,
        ];
        for pair in path.windows(2) {
            assert!(
                pair[0].can_become(pair[1]),
                "{:?} -> {:?}",
                pair[0],
                pair[1]
            );
        }
    }

    #[test]
    fn illegal_transitions_are_refused() {
        assert!(!NotRequested.can_become(Signed));
        assert!(!Requested.can_become(Signed));
        assert!(!Reminded.can_become(Signed));
        assert!(!Signed.can_become(Requested));
        assert!(!Refused.can_become(Signed));
        assert!(!Signed.can_become(Signed));
    }

    #[test]
    fn an_import_moves_forward_only() {
        use ImportedStatus::*;
        assert_eq!(NotRequested.import(Signed), Recorded, "skips steps");
        assert_eq!(NotRequested.import(ReceivedToVerify), Recorded);
        assert_eq!(Requested.import(Reminded), Recorded);
        assert_eq!(Signed.import(Expired), Recorded);
        assert_eq!(Signed.import(Signed), Unchanged);
        assert_eq!(NotRequested.import(NotRequested), Unchanged);
        assert_eq!(Signed.import(Requested), KeptRecorded, "backwards");
        assert_eq!(ReceivedToVerify.import(Requested), KeptRecorded);
        assert_eq!(Refused.import(Requested), KeptRecorded);
        assert_eq!(Signed.import(NotRequested), KeptRecorded);
        assert_eq!(Refused.import(Signed), KeptRecorded, "the other answer");
        assert_eq!(Signed.import(Refused), KeptRecorded);
        assert_eq!(Expired.import(Signed), KeptRecorded);
    }

    #[test]
    fn codes_round_trip_and_french_words() {
        for s in MandateStatus::ALL {
            assert_eq!(MandateStatus::from_code(s.code()), Some(s));
        }
        assert_eq!(
            MandateStatus::parse("Reçu à vérifier"),
            Ok(ReceivedToVerify)
        );
        assert_eq!(MandateStatus::parse("signé"), Ok(Signed));
        // "la délégation est signée"
        assert_eq!(MandateStatus::parse("Signée"), Ok(Signed));
        assert_eq!(MandateStatus::parse("refusée"), Ok(Refused));
        assert_eq!(
            MandateKind::parse("Délégation"),
            Ok(MandateKind::Delegation)
        );
    }

    #[test]
    fn platform_states_from_labels_codes_and_words() {
        for s in PlatformState::ALL {
            assert_eq!(PlatformState::from_code(s.code()), Some(s));
            assert_eq!(PlatformState::parse(s.code()), Ok(s));
            assert_eq!(PlatformState::parse(s.label_fr()), Ok(s), "{s:?}");
            assert_eq!(PlatformState::parse(s.label(Lang::En)), Ok(s), "{s:?}");
        }
        assert_eq!(
            PlatformState::parse("Raccordée"),
            Ok(PlatformState::DirectoryRegistered)
        );
        assert_eq!(
            PlatformState::parse("connected"),
            Ok(PlatformState::DirectoryRegistered)
        );
        assert_eq!(
            PlatformState::parse("En production"),
            Ok(PlatformState::Live)
        );
        assert_eq!(
            PlatformState::parse("peut-être"),
            Err(Problem::PlatformStateUnknown)
        );
        assert_eq!(PlatformState::parse(" "), Err(Problem::Required));
    }
}
