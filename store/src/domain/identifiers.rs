use super::Problem;
use std::fmt;

/// A SIREN: 9 digits whose Luhn checksum is valid (DOMAIN.md, identifier checks).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Siren(String);

fn luhn_valid(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let d = u32::from(*d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn digits_of(raw: &str) -> Option<Vec<u8>> {
    // Spreadsheets write SIRENs as "732 829 320" or "732.829.320".
    let compact: String = raw
        .chars()
        .filter(|c| {
            !c.is_whitespace() && *c != '.' && *c != '-' && *c != '\u{a0}' && *c != '\u{202f}'
        })
        .collect();
    if compact.is_empty() || !compact.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(compact.bytes().map(|b| b - b'0').collect())
}

impl Siren {
    pub fn parse(raw: &str) -> Result<Self, Problem> {
        if raw.trim().is_empty() {
            return Err(Problem::Required);
        }
        let digits = digits_of(raw).ok_or(Problem::SirenLength)?;
        if digits.len() != 9 {
            return Err(Problem::SirenLength);
        }
        if !luhn_valid(&digits) {
            return Err(Problem::SirenCheckDigit);
        }
        Ok(Siren(digits.iter().map(|d| char::from(b'0' + d)).collect()))
    }

    /// Reads a SIREN, or the SIREN inside a valid 14-digit SIRET (client
    /// lists often carry the establishment number in the SIREN column).
    pub fn parse_or_from_siret(raw: &str) -> Result<Self, Problem> {
        match digits_of(raw) {
            Some(digits) if digits.len() == 14 => {
                let siret = check_siret(raw)?;
                Siren::parse(&siret[..9])
            }
            _ => Siren::parse(raw),
        }
    }

    /// Completes 8 digits with the Luhn check digit (demo data, tests).
    pub fn with_check_digit(first_eight: u32) -> Self {
        let base = format!("{:08}", first_eight % 100_000_000);
        (0..10)
            .map(|d| format!("{base}{d}"))
            .find_map(|candidate| Siren::parse(&candidate).ok())
            .expect("one of ten check digits always satisfies Luhn")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A SIRET: 14 digits, Luhn-valid, with La Poste's exception (SIREN
/// 356000000, digit sum divisible by 5).
pub fn check_siret(raw: &str) -> Result<String, Problem> {
    let digits = digits_of(raw).ok_or(Problem::SiretInvalid)?;
    if digits.len() != 14 {
        return Err(Problem::SiretInvalid);
    }
    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    let la_poste =
        text.starts_with("356000000") && digits.iter().map(|d| u32::from(*d)).sum::<u32>() % 5 == 0;
    if luhn_valid(&digits) || la_poste {
        Ok(text)
    } else {
        Err(Problem::SiretInvalid)
    }
}

/// The French intra-community VAT number of a SIREN with the numeric key.
pub fn french_vat_number(siren: &Siren) -> String {
    let n: u64 = siren.0.parse().expect("a Siren holds 9 digits");
    let key = (12 + 3 * (n % 97)) % 97;
    format!("FR{key:02}{}", siren.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siren_accepts_valid_and_spaced() {
        assert_eq!(Siren::parse("732829320").unwrap().as_str(), "732829320");
        assert_eq!(Siren::parse(" 732 829 320 ").unwrap().as_str(), "732829320");
    }

    #[test]
    fn siren_refuses_bad_check_digit_and_length() {
        assert_eq!(Siren::parse("732829321"), Err(Problem::SirenCheckDigit));
        assert_eq!(Siren::parse("73282932"), Err(Problem::SirenLength));
        assert_eq!(Siren::parse("73282932A"), Err(Problem::SirenLength));
        assert_eq!(Siren::parse(""), Err(Problem::Required));
    }

    #[test]
    fn siren_from_a_siret() {
        assert_eq!(
            Siren::parse_or_from_siret("732 829 320 00074")
                .unwrap()
                .as_str(),
            "732829320"
        );
        assert_eq!(
            Siren::parse_or_from_siret("73282932000075"),
            Err(Problem::SiretInvalid)
        );
        assert_eq!(
            Siren::parse_or_from_siret("732829320").unwrap().as_str(),
            "732829320"
        );
    }

    #[test]
    fn check_digit_completion_gives_valid_sirens() {
        for n in [0, 1, 12345678, 99999999] {
            let s = Siren::with_check_digit(n);
            assert!(Siren::parse(s.as_str()).is_ok(), "{s}");
        }
    }

    #[test]
    fn siret_with_la_poste_exception() {
        assert!(check_siret("73282932000074").is_ok());
        assert!(check_siret("73282932000075").is_err());
        assert!(check_siret("35600000000048").is_ok());
    }

    #[test]
    fn vat_number_key() {
        let siren = Siren::parse("732829320").unwrap();
        assert_eq!(french_vat_number(&siren), "FR44732829320");
    }
}
