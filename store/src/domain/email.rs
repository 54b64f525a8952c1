use super::Problem;
use std::fmt;

/// An email address, trimmed and lower-cased, with a plausible shape:
/// one `@`, a non-empty local part, a dotted domain, no spaces or brackets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(Problem::Required);
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err(Problem::EmailInvalid);
        };
        let forbidden =
            |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .split('.')
                .all(|label| !label.is_empty() && !label.starts_with('-') && !label.ends_with('-'));
        if local.is_empty()
            || local.len() > 64
            || value.len() > 254
            || local.chars().any(forbidden)
            || domain.chars().any(forbidden)
            || !domain_ok
        {
            return Err(Problem::EmailInvalid);
        }
        Ok(Email(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `j***@c***.fr`: for logs, which must never carry a full client address.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.split_once('@').expect("an Email holds one @");
        let (host, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
        let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
        format!("{}***@{}***.{}", first(local), first(host), tld)
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(
            Email::parse(" Jean.Dupont@Exemple.FR ").unwrap().as_str(),
            "jean.dupont@exemple.fr"
        );
        assert!(Email::parse("a+tag@sub.domain.fr").is_ok());
    }

    #[test]
    fn refuses_bad_shapes() {
        for bad in [
            "jean",
            "jean@",
            "@x.fr",
            "jean@localhost",
            "je an@x.fr",
            "a@b..fr",
            "a@@b.fr",
            "a@b.fr>",
        ] {
            assert_eq!(Email::parse(bad), Err(Problem::EmailInvalid), "{bad}");
        }
    }

    #[test]
    fn masks_for_logs() {
        assert_eq!(
            Email::parse("jean@cabinet.fr").unwrap().masked(),
            "j***@c***.fr"
        );
    }
}
