//! A dossier's readiness for the reform: the checklist of DOMAIN.md, each
//! item applying only when it matters for this dossier, a score, a state,
//! and what is missing by when. (The readiness issue refines the weights.)

use crate::calendar::{obligation_date, Obligation};
use crate::domain::{MandateStatus, PlatformState};
use crate::dossiers::Dossier;
use crate::lang::Lang;
use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    CategoryKnown,
    VatRegimeKnown,
    ContactKnown,
    MandateSigned,
    PlatformChosen,
    DirectoryRegistered,
    EmissionLive,
    NoCriticalAnomaly,
}

impl Check {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::CategoryKnown, Lang::Fr) => "catégorie connue (effectif, CA, bilan)",
            (Self::CategoryKnown, Lang::En) => {
                "size category known (headcount, turnover, balance sheet)"
            }
            (Self::VatRegimeKnown, Lang::Fr) => "régime de TVA connu",
            (Self::VatRegimeKnown, Lang::En) => "VAT regime known",
            (Self::ContactKnown, Lang::Fr) => "contact joignable",
            (Self::ContactKnown, Lang::En) => "contact reachable",
            (Self::MandateSigned, Lang::Fr) => "mandat de délégation signé",
            (Self::MandateSigned, Lang::En) => "delegation mandate signed",
            (Self::PlatformChosen, Lang::Fr) => "plateforme agréée choisie",
            (Self::PlatformChosen, Lang::En) => "approved platform chosen",
            (Self::DirectoryRegistered, Lang::Fr) => "adresse de réception inscrite à l'annuaire",
            (Self::DirectoryRegistered, Lang::En) => "reception address in the directory",
            (Self::EmissionLive, Lang::Fr) => "émission de factures électroniques en production",
            (Self::EmissionLive, Lang::En) => "e-invoice issuing live",
            (Self::NoCriticalAnomaly, Lang::Fr) => "aucune anomalie critique ouverte",
            (Self::NoCriticalAnomaly, Lang::En) => "no open critical anomaly",
        }
    }
}

/// The four states accountants talk about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    /// An obligation in force is not met.
    Late,
    /// Something is missing and the next legal date is within 90 days.
    AtRisk,
    /// Something is missing but there is time.
    OnTrack,
    /// Nothing is missing.
    Ready,
}

impl State {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::Ready, Lang::Fr) => "prêt",
            (Self::Ready, Lang::En) => "ready",
            (Self::OnTrack, Lang::Fr) => "en bonne voie",
            (Self::OnTrack, Lang::En) => "on track",
            (Self::AtRisk, Lang::Fr) => "à risque",
            (Self::AtRisk, Lang::En) => "at risk",
            (Self::Late, Lang::Fr) => "en retard",
            (Self::Late, Lang::En) => "late",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    /// 0 to 100: the share of applicable checks that are met.
    pub score: u8,
    pub state: State,
    pub met: Vec<Check>,
    pub missing: Vec<Check>,
    /// The next legal date not yet in force, if any.
    pub next_deadline: Option<(NaiveDate, Obligation)>,
}

const AT_RISK_DAYS: i64 = 90;

/// Assesses a dossier; `open_critical` is its number of open critical anomalies.
pub fn assess(dossier: &Dossier, today: NaiveDate, open_critical: i64) -> Readiness {
    let record = &dossier.record;
    let platform_state = dossier.platform.as_ref().map(|(_, s)| *s);
    let emission = obligation_date(dossier, Obligation::Emission);
    let mut checks = vec![
        (Check::CategoryKnown, record.category.is_some()),
        (Check::VatRegimeKnown, record.vat.is_some()),
        (Check::ContactKnown, record.contact.is_some()),
        (
            Check::MandateSigned,
            dossier.delegation == MandateStatus::Signed,
        ),
        (Check::PlatformChosen, platform_state.is_some()),
        (
            Check::DirectoryRegistered,
            platform_state >= Some(PlatformState::DirectoryRegistered),
        ),
        (Check::NoCriticalAnomaly, open_critical == 0),
    ];
    // Issuing matters once emission is in force or within the at-risk window.
    if emission.is_some_and(|d| (d - today).num_days() <= AT_RISK_DAYS) {
        checks.push((
            Check::EmissionLive,
            platform_state == Some(PlatformState::Live),
        ));
    }
    let (met, missing): (Vec<_>, Vec<_>) = checks.iter().copied().partition(|(_, ok)| *ok);
    let met: Vec<Check> = met.into_iter().map(|(c, _)| c).collect();
    let missing: Vec<Check> = missing.into_iter().map(|(c, _)| c).collect();
    let score = (met.len() * 100 / checks.len()) as u8;

    let reception_late = obligation_date(dossier, Obligation::Reception)
        .is_some_and(|d| d <= today)
        && missing.contains(&Check::DirectoryRegistered);
    let emission_late =
        emission.is_some_and(|d| d <= today) && missing.contains(&Check::EmissionLive);
    let next_deadline = [
        Obligation::Reception,
        Obligation::Emission,
        Obligation::EReporting,
        Obligation::DeliveryAddress,
    ]
    .into_iter()
    .filter_map(|o| obligation_date(dossier, o).map(|d| (d, o)))
    .filter(|(d, _)| *d > today)
    .min();
    let state = if reception_late || emission_late {
        State::Late
    } else if missing.is_empty() {
        State::Ready
    } else if next_deadline.is_some_and(|(d, _)| (d - today).num_days() <= AT_RISK_DAYS)
        || emission.is_none()
    {
        State::AtRisk
    } else {
        State::OnTrack
    };
    Readiness {
        score,
        state,
        met,
        missing,
        next_deadline,
    }
}

/// A portfolio's or firm's readiness: the mean score and the count per state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Aggregate {
    pub dossiers: usize,
    pub score: u8,
    pub late: usize,
    pub at_risk: usize,
    pub on_track: usize,
    pub ready: usize,
}

pub fn aggregate<'a>(items: impl IntoIterator<Item = &'a Readiness>) -> Aggregate {
    let mut agg = Aggregate::default();
    let mut total: usize = 0;
    for r in items {
        agg.dossiers += 1;
        total += usize::from(r.score);
        match r.state {
            State::Late => agg.late += 1,
            State::AtRisk => agg.at_risk += 1,
            State::OnTrack => agg.on_track += 1,
            State::Ready => agg.ready += 1,
        }
    }
    if let Some(mean) = total.checked_div(agg.dossiers) {
        agg.score = mean as u8;
    }
    agg
}
