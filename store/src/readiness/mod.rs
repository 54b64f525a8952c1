//! A dossier's readiness for the reform, as `docs/READINESS.md` explains it
//! to an accountant: a weighted checklist of what applies to this dossier,
//! a score out of 100, one of four states, what is missing and by when, and
//! for a dossier *en retard* an estimate of the penalties it is exposed to.
//!
//! The model is a pure function of [`Inputs`] and the date, so that tests
//! and the time-travel clock can check it; [`inputs`] gathers the inputs of
//! many dossiers with a handful of set-based queries, [`snapshot`] keeps one
//! row per dossier per day for trends, [`exposure`] estimates penalties.

pub mod exposure;
pub mod inputs;
pub mod snapshot;
pub mod text;

use crate::calendar::{emission_date, first_wave, CalendarRules, Milestone, Obligation};
use crate::domain::{MandateStatus, PlatformState, SizeCategory, VatRegime};
use chrono::{Duration, NaiveDate};

pub use exposure::Exposure;
pub use inputs::Inputs;

/// One line of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Item {
    CategoryKnown,
    ContactReachable,
    MandateSigned,
    PlatformChosen,
    DirectoryRegistered,
    ReceivedFlows,
    Emission,
    NoCriticalAnomaly,
}

impl Item {
    pub const ALL: [Item; 8] = [
        Item::CategoryKnown,
        Item::ContactReachable,
        Item::MandateSigned,
        Item::PlatformChosen,
        Item::DirectoryRegistered,
        Item::ReceivedFlows,
        Item::Emission,
        Item::NoCriticalAnomaly,
    ];

    /// The stable code stored in snapshots.
    pub fn code(self) -> &'static str {
        match self {
            Item::CategoryKnown => "category",
            Item::ContactReachable => "contact",
            Item::MandateSigned => "mandate",
            Item::PlatformChosen => "platform",
            Item::DirectoryRegistered => "directory",
            Item::ReceivedFlows => "received_flows",
            Item::Emission => "emission",
            Item::NoCriticalAnomaly => "anomalies",
        }
    }

    pub fn from_code(code: &str) -> Option<Item> {
        Item::ALL.into_iter().find(|i| i.code() == code)
    }

    /// Its base weight (the eight weights add up to 100).
    pub fn base_weight(self) -> u32 {
        match self {
            Item::CategoryKnown => 10,
            Item::ContactReachable => 10,
            Item::MandateSigned => 20,
            Item::PlatformChosen => 10,
            Item::DirectoryRegistered => 20,
            Item::ReceivedFlows => 10,
            Item::Emission => 10,
            Item::NoCriticalAnomaly => 10,
        }
    }
}

/// The four states accountants talk about, worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// An obligation in force is not met.
    Late,
    /// Something is missing and its date is past or within [`AT_RISK_DAYS`].
    AtRisk,
    /// Something is missing but there is time.
    OnTrack,
    /// Nothing is missing.
    Ready,
}

impl State {
    pub const ALL: [State; 4] = [State::Late, State::AtRisk, State::OnTrack, State::Ready];

    pub fn code(self) -> &'static str {
        match self {
            State::Late => "late",
            State::AtRisk => "at_risk",
            State::OnTrack => "on_track",
            State::Ready => "ready",
        }
    }

    pub fn from_code(code: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.code() == code)
    }
}

/// A missing item is "at risk" when its date is past or this close.
pub const AT_RISK_DAYS: i64 = 30;
/// After reception applies, received invoices are expected within this many days.
pub const RECEIVED_FLOWS_GRACE_DAYS: i64 = 30;

/// Why an item is not met, beyond its label: what CabReady saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gap {
    /// Nothing more to say than the label.
    Missing,
    NoPrimaryContact,
    ContactBounced,
    ContactOptedOut,
    Mandate(MandateStatus),
    Platform(PlatformState),
    /// Received or emitted flows: the last seen, if any, is before the date.
    NoFlowSince(NaiveDate, Option<NaiveDate>),
    /// Emission not yet in force: no test flow and no emitted flow yet.
    NoTestFlow,
    OpenCritical(i64),
}

/// One applicable line of a dossier's checklist.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub item: Item,
    pub weight: u32,
    pub met: bool,
    /// By when it should be done (a milestone or a legal date); `None`: at once.
    pub due: Option<NaiveDate>,
    /// The legal obligation behind it that is in force and not met because of it.
    pub breaches: Option<Obligation>,
    pub gap: Option<Gap>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Readiness {
    /// 0 to 100: the weight of the met lines over the weight of the applicable lines.
    pub score: u8,
    pub state: State,
    /// The applicable lines, in checklist order.
    pub lines: Vec<Line>,
    /// The next legal date not yet in force, if any.
    pub next_deadline: Option<(NaiveDate, Obligation)>,
    /// For a dossier en retard: the penalties it may be exposed to.
    pub exposure: Option<Exposure>,
}

impl Readiness {
    pub fn missing(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|l| !l.met)
    }

    pub fn met(&self) -> impl Iterator<Item = &Line> {
        self.lines.iter().filter(|l| l.met)
    }

    /// The earliest date among the missing lines (overdue ones included).
    pub fn first_due(&self) -> Option<NaiveDate> {
        self.missing().filter_map(|l| l.due).min()
    }

    /// The obligations in force and not met.
    pub fn breaches(&self) -> Vec<Obligation> {
        let mut out: Vec<Obligation> = self.missing().filter_map(|l| l.breaches).collect();
        out.dedup();
        out
    }
}

/// The urgency factor of a line: ×3 once its date is past, ×2 within 90
/// days of it, ×1 otherwise (an undated line counts as due).
fn urgency(due: Option<NaiveDate>, today: NaiveDate) -> u32 {
    match due {
        None => 3,
        Some(d) if d <= today => 3,
        Some(d) if (d - today).num_days() <= 90 => 2,
        Some(_) => 1,
    }
}

fn milestone_date(
    rules: &CalendarRules,
    milestone: Milestone,
    emission: Option<NaiveDate>,
) -> Option<NaiveDate> {
    let rule = rules.milestones.iter().find(|r| r.milestone == milestone)?;
    let legal = match rule.before {
        Obligation::Reception | Obligation::DeliveryAddress => first_wave(),
        Obligation::Emission | Obligation::EReporting => emission?,
    };
    Some(legal - Duration::days(rule.days))
}

/// Assesses one dossier on `today`.
pub fn assess(input: &Inputs, rules: &CalendarRules, today: NaiveDate) -> Readiness {
    let reception = first_wave();
    let reception_in_force = today >= reception;
    let emission = emission_date(input.category, input.vat_group);
    let emission_in_force = emission.is_some_and(|d| today >= d);
    let mandate_by = milestone_date(rules, Milestone::MandateSigned, emission)
        .unwrap_or(reception - Duration::days(90));
    let platform_by =
        milestone_date(rules, Milestone::PlatformChosen, emission).unwrap_or(reception);
    let directory_by =
        milestone_date(rules, Milestone::DirectoryRegistered, emission).unwrap_or(reception);
    let platform_at_least = |s: PlatformState| input.platform.is_some_and(|p| p >= s);

    let mut lines = Vec::with_capacity(8);
    let mut push =
        |item: Item, met: bool, due: Option<NaiveDate>, breaches: Option<Obligation>, gap: Gap| {
            lines.push(Line {
                item,
                weight: item.base_weight() * urgency(due, today),
                met,
                due,
                breaches: if met { None } else { breaches },
                gap: if met { None } else { Some(gap) },
            });
        };

    push(
        Item::CategoryKnown,
        input.category.is_some() || input.vat_group,
        Some(mandate_by),
        None,
        Gap::Missing,
    );
    push(
        Item::ContactReachable,
        input.contact == ContactState::Reachable,
        Some(mandate_by),
        None,
        match input.contact {
            ContactState::None => Gap::NoPrimaryContact,
            ContactState::Bounced => Gap::ContactBounced,
            _ => Gap::ContactOptedOut,
        },
    );
    push(
        Item::MandateSigned,
        input.delegation == MandateStatus::Signed,
        Some(mandate_by),
        None,
        Gap::Mandate(input.delegation),
    );
    push(
        Item::PlatformChosen,
        input.platform.is_some(),
        Some(platform_by),
        None,
        Gap::Missing,
    );
    push(
        Item::DirectoryRegistered,
        platform_at_least(PlatformState::DirectoryRegistered),
        Some(directory_by),
        reception_in_force.then_some(Obligation::Reception),
        input.platform.map(Gap::Platform).unwrap_or(Gap::Missing),
    );
    if reception_in_force {
        push(
            Item::ReceivedFlows,
            input.last_received.is_some_and(|d| d >= reception),
            Some(reception + Duration::days(RECEIVED_FLOWS_GRACE_DAYS)),
            None,
            Gap::NoFlowSince(reception, input.last_received),
        );
    }
    if let Some(emission) = emission {
        let test_by =
            milestone_date(rules, Milestone::TestFlows, Some(emission)).unwrap_or(emission);
        if emission_in_force {
            push(
                Item::Emission,
                input.last_emitted.is_some_and(|d| d >= emission),
                Some(emission),
                Some(Obligation::Emission),
                Gap::NoFlowSince(emission, input.last_emitted),
            );
        } else {
            // A platform in production has seen flows go through: the
            // calendar's test-flow milestone counts it done too.
            push(
                Item::Emission,
                input.test_flow.is_some()
                    || input.last_emitted.is_some()
                    || input.platform == Some(PlatformState::Live),
                Some(test_by),
                None,
                Gap::NoTestFlow,
            );
        }
    }
    push(
        Item::NoCriticalAnomaly,
        input.open_critical == 0,
        None,
        None,
        Gap::OpenCritical(input.open_critical),
    );

    let total: u32 = lines.iter().map(|l| l.weight).sum();
    let met: u32 = lines.iter().filter(|l| l.met).map(|l| l.weight).sum();
    let score = (met * 100).checked_div(total).unwrap_or(100) as u8;

    let late = lines.iter().any(|l| !l.met && l.breaches.is_some());
    let horizon = today + Duration::days(AT_RISK_DAYS);
    let state = if late {
        State::Late
    } else if lines.iter().all(|l| l.met) {
        State::Ready
    } else if lines
        .iter()
        .any(|l| !l.met && l.due.is_none_or(|d| d <= horizon))
        || (input.category.is_none() && !input.vat_group)
    {
        State::AtRisk
    } else {
        State::OnTrack
    };
    let next_deadline = [
        (Some(reception), Obligation::Reception),
        (emission, Obligation::Emission),
        (
            crate::calendar::second_wave().into(),
            Obligation::DeliveryAddress,
        ),
    ]
    .into_iter()
    .filter_map(|(d, o)| d.map(|d| (d, o)))
    .filter(|(d, _)| *d > today)
    .min();
    let mut readiness = Readiness {
        score,
        state,
        lines,
        next_deadline,
        exposure: None,
    };
    if state == State::Late {
        readiness.exposure = Some(exposure::estimate(input, &readiness, emission, today));
    }
    readiness
}

/// What CabReady knows of a dossier's primary contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ContactState {
    /// No primary contact.
    #[default]
    None,
    /// A primary contact whose address bounced (invalid).
    Bounced,
    /// A primary contact who opted out (STOP).
    OptedOut,
    /// A primary contact with a valid address that did not opt out.
    Reachable,
}

/// The e-reporting frequency of a VAT regime: transmissions a year.
pub fn ereporting_per_year(regime: Option<VatRegime>) -> u32 {
    match regime {
        Some(VatRegime::ReelNormalMensuel) => 36,
        Some(VatRegime::Franchise) => 6,
        _ => 12,
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
    /// The sum of the exposure ranges of the dossiers en retard, in euros.
    pub exposure_low: i64,
    pub exposure_high: i64,
}

impl Aggregate {
    pub fn count(&self, state: State) -> usize {
        match state {
            State::Late => self.late,
            State::AtRisk => self.at_risk,
            State::OnTrack => self.on_track,
            State::Ready => self.ready,
        }
    }
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
        if let Some(e) = &r.exposure {
            agg.exposure_low += e.low;
            agg.exposure_high += e.high;
        }
    }
    if let Some(mean) = total.checked_div(agg.dossiers) {
        agg.score = mean as u8;
    }
    agg
}

/// Assesses many dossiers: each with its readiness, worst first (state,
/// then score, then code).
pub fn assess_all(
    inputs: Vec<Inputs>,
    rules: &CalendarRules,
    today: NaiveDate,
) -> Vec<(Inputs, Readiness)> {
    let mut out: Vec<(Inputs, Readiness)> = inputs
        .into_iter()
        .map(|i| {
            let r = assess(&i, rules, today);
            (i, r)
        })
        .collect();
    out.sort_by(|a, b| (a.1.state, a.1.score, &a.0.code).cmp(&(b.1.state, b.1.score, &b.0.code)));
    out
}

/// The aggregate of each portfolio (dossiers without one under `None`), by name.
pub fn by_portfolio(assessed: &[(Inputs, Readiness)]) -> Vec<(Option<String>, Aggregate)> {
    let mut names: Vec<Option<String>> =
        assessed.iter().map(|(i, _)| i.portfolio.clone()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let agg = aggregate(
                assessed
                    .iter()
                    .filter(|(i, _)| i.portfolio == name)
                    .map(|(_, r)| r),
            );
            (name, agg)
        })
        .collect()
}

/// Whether a size category is known for the e-invoicing dates.
pub fn category_label(category: Option<SizeCategory>) -> &'static str {
    category.map(|c| c.label()).unwrap_or("?")
}
