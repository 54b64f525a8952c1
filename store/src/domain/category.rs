use super::{fold, Cents, Problem};
use std::fmt;

/// Company size category (décret 2008-1354 art. 3), which sets the
/// e-invoicing dates. `TPE` is the firms' word for micro.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SizeCategory {
    Micro,
    Pme,
    Eti,
    Ge,
}

/// Where the stored category came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CategorySource {
    Derived,
    Override,
}

/// The figures that decide a category: headcount in annual work units,
/// turnover excluding VAT, balance-sheet total.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Financials {
    pub headcount: Option<f64>,
    pub turnover: Option<Cents>,
    pub balance_sheet: Option<Cents>,
}

const MILLION: Cents = 1_000_000 * 100;

impl SizeCategory {
    pub const ALL: [SizeCategory; 4] = [Self::Micro, Self::Pme, Self::Eti, Self::Ge];

    pub fn parse(raw: &str) -> Result<Self, Problem> {
        match fold(raw).as_str() {
            "micro" | "tpe" | "micro_entreprise" | "microentreprise" => Ok(Self::Micro),
            "pme" | "sme" => Ok(Self::Pme),
            "eti" | "mid_size" | "midsize" => Ok(Self::Eti),
            "ge" | "grande_entreprise" | "large" => Ok(Self::Ge),
            "" if raw.trim().is_empty() => Err(Problem::Required),
            _ => Err(Problem::CategoryUnknown),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Micro => "micro",
            Self::Pme => "pme",
            Self::Eti => "eti",
            Self::Ge => "ge",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The label French accountants use.
    pub fn label(self) -> &'static str {
        match self {
            Self::Micro => "TPE/micro",
            Self::Pme => "PME",
            Self::Eti => "ETI",
            Self::Ge => "GE",
        }
    }

    /// Derives the category from the figures; `None` when they do not allow
    /// a decision (no headcount, or neither turnover nor balance sheet).
    ///
    /// Each threshold is "fewer than N people and (turnover ≤ T or balance
    /// sheet ≤ B)". A missing financial figure does not satisfy its side of
    /// the "or", so one known figure is enough.
    pub fn derive(f: &Financials) -> Option<Self> {
        let headcount = f.headcount?;
        if f.turnover.is_none() && f.balance_sheet.is_none() {
            return None;
        }
        let fits = |people: f64, turnover_max: Cents, balance_max: Cents| {
            headcount < people
                && (f.turnover.is_some_and(|t| t <= turnover_max)
                    || f.balance_sheet.is_some_and(|b| b <= balance_max))
        };
        Some(if fits(10.0, 2 * MILLION, 2 * MILLION) {
            Self::Micro
        } else if fits(250.0, 50 * MILLION, 43 * MILLION) {
            Self::Pme
        } else if fits(5000.0, 1500 * MILLION, 2000 * MILLION) {
            Self::Eti
        } else {
            Self::Ge
        })
    }
}

impl fmt::Display for SizeCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fin(h: f64, t: i64, b: i64) -> Financials {
        Financials {
            headcount: Some(h),
            turnover: Some(t * MILLION),
            balance_sheet: Some(b * MILLION),
        }
    }

    #[test]
    fn thresholds_from_the_decree() {
        assert_eq!(
            SizeCategory::derive(&fin(9.0, 2, 5)),
            Some(SizeCategory::Micro)
        );
        assert_eq!(
            SizeCategory::derive(&fin(10.0, 1, 1)),
            Some(SizeCategory::Pme)
        );
        assert_eq!(
            SizeCategory::derive(&fin(9.0, 3, 3)),
            Some(SizeCategory::Pme)
        );
        assert_eq!(
            SizeCategory::derive(&fin(249.0, 60, 43)),
            Some(SizeCategory::Pme)
        );
        assert_eq!(
            SizeCategory::derive(&fin(249.0, 60, 44)),
            Some(SizeCategory::Eti)
        );
        assert_eq!(
            SizeCategory::derive(&fin(4999.0, 1600, 2000)),
            Some(SizeCategory::Eti)
        );
        assert_eq!(
            SizeCategory::derive(&fin(5000.0, 10, 10)),
            Some(SizeCategory::Ge)
        );
        assert_eq!(
            SizeCategory::derive(&fin(100.0, 1600, 2100)),
            Some(SizeCategory::Ge)
        );
    }

    #[test]
    fn missing_figures() {
        assert_eq!(SizeCategory::derive(&Financials::default()), None);
        let only_turnover = Financials {
            headcount: Some(3.0),
            turnover: Some(MILLION),
            balance_sheet: None,
        };
        assert_eq!(
            SizeCategory::derive(&only_turnover),
            Some(SizeCategory::Micro)
        );
        let no_money = Financials {
            headcount: Some(3.0),
            ..Default::default()
        };
        assert_eq!(SizeCategory::derive(&no_money), None);
    }

    #[test]
    fn parse_accepts_tpe_alias() {
        assert_eq!(SizeCategory::parse("TPE"), Ok(SizeCategory::Micro));
        assert_eq!(
            SizeCategory::parse("Micro-entreprise"),
            Ok(SizeCategory::Micro)
        );
        assert_eq!(SizeCategory::parse("eti"), Ok(SizeCategory::Eti));
        assert_eq!(SizeCategory::parse("big"), Err(Problem::CategoryUnknown));
    }
}
