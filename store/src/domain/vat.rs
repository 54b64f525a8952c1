use super::{fold, Cents, Problem};
use chrono::NaiveDate;

/// VAT regime, in the onboarding vocabulary of DOMAIN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VatRegime {
    ReelNormalMensuel,
    ReelNormalTrimestriel,
    ReelSimplifie,
    Franchise,
    MiniReel,
}

impl VatRegime {
    pub const ALL: [VatRegime; 5] = [
        Self::ReelNormalMensuel,
        Self::ReelNormalTrimestriel,
        Self::ReelSimplifie,
        Self::Franchise,
        Self::MiniReel,
    ];

    pub fn parse(raw: &str) -> Result<Self, Problem> {
        match fold(raw).as_str() {
            "reel_normal_mensuel"
            | "reel_normal"
            | "rn"
            | "rn_mensuel"
            | "ca3_mensuelle"
            | "ca3" => Ok(Self::ReelNormalMensuel),
            "reel_normal_trimestriel" | "rn_trimestriel" | "ca3_trimestrielle" => {
                Ok(Self::ReelNormalTrimestriel)
            }
            "reel_simplifie" | "rs" | "rsi" | "ca12" | "simplifie" => Ok(Self::ReelSimplifie),
            "franchise_en_base" | "franchise" | "frb" | "micro" | "franchise_en_base_de_tva" => {
                Ok(Self::Franchise)
            }
            "mini_reel" | "minireel" => Ok(Self::MiniReel),
            "" if raw.trim().is_empty() => Err(Problem::Required),
            // Longer spellings from accounting software: "Réel simplifié d'imposition",
            // "Réel normal — déclaration trimestrielle", "Franchise en base de TVA (art. 293 B)".
            other if other.contains("mini_reel") => Ok(Self::MiniReel),
            other if other.contains("simplifi") => Ok(Self::ReelSimplifie),
            other if other.contains("franchise") => Ok(Self::Franchise),
            other if other.starts_with("reel_normal") && other.contains("trimestr") => {
                Ok(Self::ReelNormalTrimestriel)
            }
            other if other.starts_with("reel_normal") && other.contains("mensu") => {
                Ok(Self::ReelNormalMensuel)
            }
            _ => Err(Problem::VatRegimeUnknown),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::ReelNormalMensuel => "reel_normal_mensuel",
            Self::ReelNormalTrimestriel => "reel_normal_trimestriel",
            Self::ReelSimplifie => "reel_simplifie",
            Self::Franchise => "franchise",
            Self::MiniReel => "mini_reel",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::ReelNormalMensuel => "réel normal mensuel",
            Self::ReelNormalTrimestriel => "réel normal trimestriel",
            Self::ReelSimplifie => "réel simplifié",
            Self::Franchise => "franchise en base",
            Self::MiniReel => "mini-réel",
        }
    }
}

/// A regime with its effective dates: the declared one, and the one it
/// becomes by law. The simplified regime is abolished for operations from
/// 2027-01-01 (loi de finances 2025 art. 38): such dossiers move to réel
/// normal, quarterly if turnover ≤ 1 M€, else monthly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VatRegimeSchedule {
    pub declared: VatRegime,
    pub next: Option<(VatRegime, NaiveDate)>,
}

impl VatRegimeSchedule {
    pub fn rsi_abolition() -> NaiveDate {
        NaiveDate::from_ymd_opt(2027, 1, 1).expect("valid date")
    }

    pub fn for_declared(declared: VatRegime, turnover: Option<Cents>) -> Self {
        let next = (declared == VatRegime::ReelSimplifie).then(|| {
            let quarterly = turnover.is_none_or(|t| t <= 1_000_000 * 100);
            let regime = if quarterly {
                VatRegime::ReelNormalTrimestriel
            } else {
                VatRegime::ReelNormalMensuel
            };
            (regime, Self::rsi_abolition())
        });
        Self { declared, next }
    }

    pub fn on(&self, date: NaiveDate) -> VatRegime {
        match self.next {
            Some((regime, from)) if date >= from => regime,
            _ => self.declared,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary() {
        assert_eq!(
            VatRegime::parse("Réel normal"),
            Ok(VatRegime::ReelNormalMensuel)
        );
        assert_eq!(
            VatRegime::parse("RN trimestriel"),
            Ok(VatRegime::ReelNormalTrimestriel)
        );
        assert_eq!(VatRegime::parse("CA12"), Ok(VatRegime::ReelSimplifie));
        assert_eq!(VatRegime::parse("RSI"), Ok(VatRegime::ReelSimplifie));
        assert_eq!(
            VatRegime::parse("Franchise en base"),
            Ok(VatRegime::Franchise)
        );
        assert_eq!(VatRegime::parse("mini-réel"), Ok(VatRegime::MiniReel));
        assert_eq!(VatRegime::parse("forfait"), Err(Problem::VatRegimeUnknown));
        assert_eq!(
            VatRegime::parse("Réel simplifié d'imposition"),
            Ok(VatRegime::ReelSimplifie)
        );
        assert_eq!(
            VatRegime::parse("Réel normal - déclaration trimestrielle"),
            Ok(VatRegime::ReelNormalTrimestriel)
        );
        assert_eq!(
            VatRegime::parse("Franchise en base de TVA (art. 293 B)"),
            Ok(VatRegime::Franchise)
        );
        assert_eq!(
            VatRegime::parse("Réel normal annuel"),
            Err(Problem::VatRegimeUnknown)
        );
    }

    #[test]
    fn simplified_regime_is_abolished_in_2027() {
        let s = VatRegimeSchedule::for_declared(VatRegime::ReelSimplifie, Some(80_000_000));
        let dec = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        assert_eq!(s.on(dec), VatRegime::ReelSimplifie);
        assert_eq!(
            s.on(VatRegimeSchedule::rsi_abolition()),
            VatRegime::ReelNormalTrimestriel
        );
        let big = VatRegimeSchedule::for_declared(VatRegime::ReelSimplifie, Some(150_000_000));
        assert_eq!(
            big.on(VatRegimeSchedule::rsi_abolition()),
            VatRegime::ReelNormalMensuel
        );
        let rn = VatRegimeSchedule::for_declared(VatRegime::ReelNormalMensuel, None);
        assert_eq!(rn.next, None);
    }
}
