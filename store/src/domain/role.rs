use super::{fold, Problem};

/// What a user of the firm may do. Ordered: each role can do what the
/// previous ones can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Viewer,
    Accountant,
    Manager,
    Admin,
}

impl Role {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        match fold(raw).as_str() {
            "admin" | "administrateur" | "administrator" => Ok(Self::Admin),
            "manager" | "associe" | "associee" | "responsable" | "chef_de_mission"
            | "expert_comptable" => Ok(Self::Manager),
            "accountant" | "collaborateur" | "collaboratrice" | "comptable" => Ok(Self::Accountant),
            "viewer" | "lecteur" | "lectrice" | "lecture" | "lecture_seule" | "read_only" => {
                Ok(Self::Viewer)
            }
            "" if raw.trim().is_empty() => Err(Problem::Required),
            _ => Err(Problem::RoleUnknown),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Manager => "manager",
            Self::Accountant => "accountant",
            Self::Viewer => "viewer",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Admin, Self::Manager, Self::Accountant, Self::Viewer]
            .into_iter()
            .find(|r| r.code() == code)
    }

    /// Whether this user can own dossiers (be their `collaborateur`).
    pub fn can_own_dossiers(self) -> bool {
        self >= Self::Accountant
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_words_and_codes() {
        assert_eq!(Role::parse("Associé"), Ok(Role::Manager));
        assert_eq!(Role::parse("collaborateur"), Ok(Role::Accountant));
        assert_eq!(Role::parse("VIEWER"), Ok(Role::Viewer));
        assert_eq!(Role::parse("stagiaire"), Err(Problem::RoleUnknown));
        assert!(Role::Manager > Role::Accountant);
        assert!(!Role::Viewer.can_own_dossiers());
    }
}
