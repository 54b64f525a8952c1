//! The obligations calendar: each dossier's legal dates (from its size
//! category) and the firm's internal milestones before them.
//!
//! Legal dates are facts of the law (loi de finances 2024 art. 91, décret
//! 2024-266); the milestones are the firm's own policy, set in the config
//! file as "N days before a legal date".

use crate::domain::{MandateStatus, PlatformState, SizeCategory};
use crate::dossiers::Dossier;
use crate::lang::Lang;
use chrono::{Duration, NaiveDate};
use serde::Deserialize;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid calendar constant")
}

/// 1 Sept 2026: reception for all; emission and e-reporting for GE, ETI and VAT groups.
pub fn first_wave() -> NaiveDate {
    date(2026, 9, 1)
}

/// 1 Sept 2027: emission and e-reporting for PME, TPE and micro; delivery address mention for all.
pub fn second_wave() -> NaiveDate {
    date(2027, 9, 1)
}

/// A legal obligation of the reform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Obligation {
    /// Receive e-invoices through an approved platform.
    Reception,
    /// Issue e-invoices.
    Emission,
    /// Transmit B2C / international transaction and payment data.
    EReporting,
    /// Delivery address on invoices when it differs.
    DeliveryAddress,
}

impl Obligation {
    /// Whether CabReady sees if a dossier meets it. The delivery address is
    /// a mention on the invoices themselves: counting dossiers "en règle"
    /// there would claim what nobody checked.
    pub fn is_tracked(self) -> bool {
        self != Obligation::DeliveryAddress
    }

    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::Reception, Lang::Fr) => "réception des factures électroniques",
            (Self::Reception, Lang::En) => "receiving e-invoices",
            (Self::Emission, Lang::Fr) => "émission des factures électroniques",
            (Self::Emission, Lang::En) => "issuing e-invoices",
            (Self::EReporting, Lang::Fr) => "e-reporting (B2C, international)",
            (Self::EReporting, Lang::En) => "e-reporting (B2C, international)",
            (Self::DeliveryAddress, Lang::Fr) => "mention de l'adresse de livraison",
            (Self::DeliveryAddress, Lang::En) => "delivery address mention",
        }
    }
}

/// A step the firm wants done before a legal date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Milestone {
    MandateSigned,
    PlatformChosen,
    DirectoryRegistered,
    TestFlows,
}

impl Milestone {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Self::MandateSigned, Lang::Fr) => "mandat de délégation signé",
            (Self::MandateSigned, Lang::En) => "delegation mandate signed",
            (Self::PlatformChosen, Lang::Fr) => "plateforme agréée choisie",
            (Self::PlatformChosen, Lang::En) => "approved platform chosen",
            (Self::DirectoryRegistered, Lang::Fr) => "inscription à l'annuaire",
            (Self::DirectoryRegistered, Lang::En) => "registered in the directory",
            (Self::TestFlows, Lang::Fr) => "flux de test réussis",
            (Self::TestFlows, Lang::En) => "successful test flows",
        }
    }
}

/// One milestone rule of the config file:
/// `{ milestone = "mandate_signed", before = "reception", days = 90 }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MilestoneRule {
    pub milestone: Milestone,
    pub before: Obligation,
    pub days: i64,
}

/// The firm's milestones (`[calendar]` in the config file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarRules {
    #[serde(default = "CalendarRules::default_milestones")]
    pub milestones: Vec<MilestoneRule>,
}

impl Default for CalendarRules {
    fn default() -> Self {
        CalendarRules {
            milestones: Self::default_milestones(),
        }
    }
}

impl CalendarRules {
    /// Defaults derived from the legal dates: the mandate three months
    /// before reception, the platform two months before, the directory
    /// entry one month before, and test flows two months before emission.
    pub fn default_milestones() -> Vec<MilestoneRule> {
        use Milestone::*;
        use Obligation::*;
        vec![
            MilestoneRule {
                milestone: MandateSigned,
                before: Reception,
                days: 90,
            },
            MilestoneRule {
                milestone: PlatformChosen,
                before: Reception,
                days: 60,
            },
            MilestoneRule {
                milestone: DirectoryRegistered,
                before: Reception,
                days: 30,
            },
            MilestoneRule {
                milestone: TestFlows,
                before: Emission,
                days: 60,
            },
        ]
    }
}

/// When a company must start issuing e-invoices: 2026 for GE, ETI and VAT
/// groups, 2027 for PME and micro; `None` while the category is unknown.
pub fn emission_date(category: Option<SizeCategory>, vat_group: bool) -> Option<NaiveDate> {
    if vat_group {
        return Some(first_wave());
    }
    category.map(|category| match category {
        SizeCategory::Ge | SizeCategory::Eti => first_wave(),
        SizeCategory::Pme | SizeCategory::Micro => second_wave(),
    })
}

/// The date an obligation applies to a dossier; `None` when it cannot be
/// known (size category missing) or does not apply (no e-reporting scope).
pub fn obligation_date(dossier: &Dossier, obligation: Obligation) -> Option<NaiveDate> {
    let record = &dossier.record;
    let emission = emission_date(record.category.map(|(c, _)| c), record.flags.vat_group);
    match obligation {
        Obligation::Reception => Some(first_wave()),
        Obligation::Emission => emission,
        Obligation::EReporting if record.flags.b2c || record.flags.international => emission,
        Obligation::EReporting => None,
        Obligation::DeliveryAddress => Some(second_wave()),
    }
}

fn platform_at_least(dossier: &Dossier, state: PlatformState) -> bool {
    dossier.platform.as_ref().is_some_and(|(_, s)| *s >= state)
}

/// Whether the dossier has done what the obligation needs, as far as
/// CabReady can see, by the same measure as readiness (docs/READINESS.md):
/// reception needs the directory entry; emission, an invoice emitted since
/// the obligation applies (a platform in production is not yet a flow);
/// e-reporting, a platform in production or invoices emitted through one
/// since (readiness counts it with emission: its penalties follow it).
pub fn obligation_met(dossier: &Dossier, obligation: Obligation) -> bool {
    match obligation {
        Obligation::Reception => platform_at_least(dossier, PlatformState::DirectoryRegistered),
        Obligation::Emission => dossier
            .last_emitted
            .zip(obligation_date(dossier, Obligation::Emission))
            .is_some_and(|(last, from)| last >= from),
        Obligation::EReporting => {
            platform_at_least(dossier, PlatformState::Live)
                || obligation_met(dossier, Obligation::Emission)
        }
        // A mention on invoices: nothing CabReady sees (see `is_tracked`).
        Obligation::DeliveryAddress => true,
    }
}

pub fn milestone_met(dossier: &Dossier, milestone: Milestone) -> bool {
    match milestone {
        Milestone::MandateSigned => dossier.delegation == MandateStatus::Signed,
        Milestone::PlatformChosen => dossier.platform.is_some(),
        Milestone::DirectoryRegistered => {
            platform_at_least(dossier, PlatformState::DirectoryRegistered)
        }
        // An invoice emitted through the platform shows the flows work, as
        // readiness counts it (the calendar said "overdue" beside it).
        Milestone::TestFlows => {
            platform_at_least(dossier, PlatformState::Live) || dossier.last_emitted.is_some()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Item {
    Obligation(Obligation),
    Milestone(Milestone),
}

impl Item {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Item::Obligation(o) => o.label(lang),
            Item::Milestone(m) => m.label(lang),
        }
    }
}

/// One dated line of a dossier's calendar.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub date: NaiveDate,
    pub item: Item,
    pub done: bool,
    pub dossier_code: String,
    pub dossier_name: String,
}

/// Every dated obligation and milestone of one dossier.
pub fn dossier_calendar(dossier: &Dossier, rules: &CalendarRules) -> Vec<Due> {
    let due = |date, item, done| Due {
        date,
        item,
        done,
        dossier_code: dossier.record.code.clone(),
        dossier_name: dossier.record.legal_name.clone(),
    };
    let obligations = [
        Obligation::Reception,
        Obligation::Emission,
        Obligation::EReporting,
        Obligation::DeliveryAddress,
    ];
    let mut items: Vec<Due> = obligations
        .iter()
        .filter_map(|o| {
            obligation_date(dossier, *o)
                .map(|d| due(d, Item::Obligation(*o), obligation_met(dossier, *o)))
        })
        .collect();
    for rule in &rules.milestones {
        if let Some(legal) = obligation_date(dossier, rule.before) {
            let date = legal - Duration::days(rule.days);
            items.push(due(
                date,
                Item::Milestone(rule.milestone),
                milestone_met(dossier, rule.milestone),
            ));
        }
    }
    items.sort_by_key(|d| (d.date, d.item));
    items
}

/// An obligation already in force, and how many dossiers meet it.
#[derive(Debug, Clone, PartialEq)]
pub struct InForce {
    pub obligation: Obligation,
    pub since: NaiveDate,
    pub dossiers: usize,
    pub met: usize,
}

/// What a firm or portfolio has to do, seen from `today`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Agenda {
    /// Past dates not met, oldest first.
    pub overdue: Vec<Due>,
    /// Obligations in force, by date.
    pub in_force: Vec<InForce>,
    /// Dates from today to today + horizon not yet met, soonest first.
    pub upcoming: Vec<Due>,
    /// Dossiers whose emission date cannot be known (category missing).
    pub undetermined: Vec<String>,
}

pub fn agenda(
    dossiers: &[Dossier],
    rules: &CalendarRules,
    today: NaiveDate,
    horizon_days: i64,
) -> Agenda {
    let mut agenda = Agenda::default();
    let horizon = today + Duration::days(horizon_days);
    for dossier in dossiers {
        if obligation_date(dossier, Obligation::Emission).is_none() {
            agenda.undetermined.push(dossier.record.code.clone());
        }
        for due in dossier_calendar(dossier, rules) {
            if let Item::Obligation(obligation) = due.item {
                if due.date <= today {
                    match agenda
                        .in_force
                        .iter_mut()
                        .find(|f| f.obligation == obligation && f.since == due.date)
                    {
                        Some(f) => {
                            f.dossiers += 1;
                            f.met += usize::from(due.done);
                        }
                        None => agenda.in_force.push(InForce {
                            obligation,
                            since: due.date,
                            dossiers: 1,
                            met: usize::from(due.done),
                        }),
                    }
                }
            }
            if due.done {
                continue;
            }
            if due.date < today {
                agenda.overdue.push(due);
            } else if due.date <= horizon {
                agenda.upcoming.push(due);
            }
        }
    }
    let order = |a: &Due, b: &Due| {
        (a.date, a.item, &a.dossier_code).cmp(&(b.date, b.item, &b.dossier_code))
    };
    agenda.overdue.sort_by(order);
    agenda.upcoming.sort_by(order);
    agenda.in_force.sort_by_key(|f| (f.since, f.obligation));
    agenda
}

/// Overdue items grouped by dossier, the dossier with the oldest overdue date first.
pub fn overdue_by_dossier(overdue: &[Due]) -> Vec<(&str, &str, Vec<&Due>)> {
    let mut groups: Vec<(&str, &str, Vec<&Due>)> = Vec::new();
    for due in overdue {
        match groups
            .iter_mut()
            .find(|(code, _, _)| *code == due.dossier_code)
        {
            Some(group) => group.2.push(due),
            None => groups.push((&due.dossier_code, &due.dossier_name, vec![due])),
        }
    }
    // `overdue` is sorted by date, so each group's first item is its oldest.
    groups.sort_by(|a, b| (a.2[0].date, a.0).cmp(&(b.2[0].date, b.0)));
    groups
}

/// Reads a horizon such as `90d`, `90j`, `12w`, `12s` (semaines), `3m` (months of 30 days), or `90`.
pub fn parse_horizon(raw: &str) -> Option<i64> {
    let raw = raw.trim().to_lowercase();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let n: i64 = number.parse().ok()?;
    let days = match unit.trim() {
        "" | "d" | "j" | "jours" | "days" => n,
        "w" | "s" | "semaines" | "weeks" => n * 7,
        "m" | "mois" | "months" => n * 30,
        _ => return None,
    };
    (0..=3650).contains(&days).then_some(days)
}
