//! Penalty exposure of a dossier *en retard*, as a range with its basis
//! (CGI art. 1737 as amended by loi de finances 2026; amounts to confirm,
//! see DOMAIN.md). An estimate for the firm's conversation with its client,
//! never legal advice: the low end is what is certain to be due without
//! any further event (often nothing: the administration must act first),
//! the high end what the rules allow on the stated hypotheses.

use super::{ereporting_per_year, Inputs, Item, Readiness};
use chrono::NaiveDate;

/// Reception without an approved platform: 500 € after a 3-month formal
/// notice, then 1,000 € per further 3 months.
pub const NO_PLATFORM_FIRST: i64 = 500;
pub const NO_PLATFORM_NEXT: i64 = 1_000;
pub const NO_PLATFORM_PERIOD_DAYS: i64 = 90;
/// An invoice not issued electronically: 50 €, capped at 15,000 € a year.
pub const PER_INVOICE: i64 = 50;
pub const YEARLY_CAP: i64 = 15_000;
/// A missing e-reporting transmission: 500 €, capped at 15,000 € a year.
pub const PER_TRANSMISSION: i64 = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// No platform for reception, `days` since the obligation applies.
    NoReceptionPlatform { days: i64 },
    /// Invoices issued outside the e-invoicing circuit since emission applies.
    InvoicesNotElectronic { days: i64 },
    /// E-reporting transmissions missed since emission applies (B2C or international).
    EReporting { missed: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub basis: Basis,
    pub low: i64,
    pub high: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// Euros.
    pub low: i64,
    pub high: i64,
    pub parts: Vec<Part>,
}

/// The reception penalty after `days` without a platform, assuming the
/// formal notice came on the first day: nothing during the 3-month notice,
/// then 500 €, then 1,000 € for each further full 3 months. Shown as the
/// high end; before the notice period is over, the 500 € that would fall at
/// its end.
pub fn no_platform_high(days: i64) -> i64 {
    let periods = days.max(0) / NO_PLATFORM_PERIOD_DAYS;
    NO_PLATFORM_FIRST + NO_PLATFORM_NEXT * (periods - 1).max(0)
}

pub fn estimate(
    input: &Inputs,
    readiness: &Readiness,
    emission: Option<NaiveDate>,
    today: NaiveDate,
) -> Exposure {
    let missing = |item: Item| {
        readiness
            .missing()
            .any(|l| l.item == item && l.breaches.is_some())
    };
    let mut parts = Vec::new();
    if missing(Item::DirectoryRegistered) {
        let days = (today - crate::calendar::first_wave()).num_days();
        parts.push(Part {
            basis: Basis::NoReceptionPlatform { days },
            low: 0,
            high: no_platform_high(days),
        });
    }
    if let (true, Some(since)) = (missing(Item::Emission), emission) {
        let days = (today - since).num_days().max(0);
        // Low: one invoice issued on paper; high: the yearly cap.
        parts.push(Part {
            basis: Basis::InvoicesNotElectronic { days },
            low: PER_INVOICE,
            high: YEARLY_CAP,
        });
        if input.b2c || input.international {
            let per_year = i64::from(ereporting_per_year(input.vat_regime));
            let missed = (days * per_year / 365).max(1);
            parts.push(Part {
                basis: Basis::EReporting { missed },
                low: PER_TRANSMISSION,
                high: (missed * PER_TRANSMISSION).min(YEARLY_CAP),
            });
        }
    }
    Exposure {
        low: parts.iter().map(|p| p.low).sum(),
        high: parts.iter().map(|p| p.high).sum(),
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reception_penalty_grows_by_quarter() {
        assert_eq!(no_platform_high(0), 500);
        assert_eq!(no_platform_high(89), 500);
        assert_eq!(no_platform_high(90), 500);
        assert_eq!(no_platform_high(180), 1_500);
        assert_eq!(no_platform_high(270), 2_500);
    }
}
