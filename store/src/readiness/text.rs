//! The readiness model's words, shared by the chat (`pret`), the CLI
//! (`cabready readiness`), the digest and the audit report: same texts
//! everywhere, French by default.

use super::exposure::{Basis, Exposure};
use super::{Gap, Item, Line, Readiness, State};
use crate::clock::show_date;
use crate::lang::Lang;
use chrono::NaiveDate;

impl Item {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Item::CategoryKnown, Lang::Fr) => "catégorie connue (effectif, CA, bilan)",
            (Item::CategoryKnown, Lang::En) => {
                "size category known (headcount, turnover, balance sheet)"
            }
            (Item::ContactReachable, Lang::Fr) => "contact joignable",
            (Item::ContactReachable, Lang::En) => "contact reachable",
            (Item::MandateSigned, Lang::Fr) => "mandat de délégation signé",
            (Item::MandateSigned, Lang::En) => "delegation mandate signed",
            (Item::PlatformChosen, Lang::Fr) => "plateforme agréée choisie",
            (Item::PlatformChosen, Lang::En) => "approved platform chosen",
            (Item::DirectoryRegistered, Lang::Fr) => {
                "compte actif sur la plateforme et inscription à l'annuaire"
            }
            (Item::DirectoryRegistered, Lang::En) => "platform account active and directory entry",
            (Item::ReceivedFlows, Lang::Fr) => "factures reçues vues depuis le 01/09/2026",
            (Item::ReceivedFlows, Lang::En) => "received invoices seen since 1 Sep 2026",
            (Item::Emission, Lang::Fr) => {
                "émission : factures émises vues (ou flux de test réussi avant l'échéance)"
            }
            (Item::Emission, Lang::En) => {
                "issuing: emitted invoices seen (or a successful test flow before the date)"
            }
            (Item::NoCriticalAnomaly, Lang::Fr) => "aucune anomalie critique ouverte",
            (Item::NoCriticalAnomaly, Lang::En) => "no open critical anomaly",
        }
    }
}

impl State {
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (State::Ready, Lang::Fr) => "prêt",
            (State::Ready, Lang::En) => "ready",
            (State::OnTrack, Lang::Fr) => "en bonne voie",
            (State::OnTrack, Lang::En) => "on track",
            (State::AtRisk, Lang::Fr) => "à risque",
            (State::AtRisk, Lang::En) => "at risk",
            (State::Late, Lang::Fr) => "en retard",
            (State::Late, Lang::En) => "late",
        }
    }
}

/// `12 500 €` in French, `€12,500` in English.
pub fn euros(amount: i64, lang: Lang) -> String {
    let digits = amount.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(match lang {
                Lang::Fr => ' ',
                Lang::En => ',',
            });
        }
        out.push(c);
    }
    let sign = if amount < 0 { "-" } else { "" };
    match lang {
        Lang::Fr => format!("{sign}{out} €"),
        Lang::En => format!("{sign}€{out}"),
    }
}

/// "avant le 03/06/2026 (175 j de retard)", "avant le 03/07/2027 (dans 220 j)", "dès que possible".
pub fn by_when(due: Option<NaiveDate>, today: NaiveDate, lang: Lang) -> String {
    let Some(due) = due else {
        return lang.pick("dès que possible", "as soon as possible").into();
    };
    let days = (due - today).num_days();
    let relative = match (days.signum(), lang) {
        (-1, Lang::Fr) => format!("{} j de retard", -days),
        (-1, Lang::En) => format!("{} days late", -days),
        (0, Lang::Fr) => "aujourd'hui".into(),
        (0, Lang::En) => "today".into(),
        (_, Lang::Fr) => format!("dans {days} j"),
        (_, Lang::En) => format!("in {days} days"),
    };
    match lang {
        Lang::Fr => format!("avant le {} ({relative})", show_date(due, lang)),
        Lang::En => format!("by {} ({relative})", show_date(due, lang)),
    }
}

/// What CabReady saw, when it says more than the label.
pub fn gap_detail(gap: &Gap, lang: Lang) -> Option<String> {
    Some(match (gap, lang) {
        (Gap::Missing, _) => return None,
        (Gap::NoPrimaryContact, Lang::Fr) => "aucun contact principal".into(),
        (Gap::NoPrimaryContact, Lang::En) => "no primary contact".into(),
        (Gap::ContactBounced, Lang::Fr) => {
            "adresse e-mail en erreur (messages revenus) : en trouver une autre".into()
        }
        (Gap::ContactBounced, Lang::En) => {
            "email address bounced (messages came back): find another one".into()
        }
        (Gap::ContactOptedOut, Lang::Fr) => {
            "le contact a demandé à ne plus recevoir de relances (STOP)".into()
        }
        (Gap::ContactOptedOut, Lang::En) => "the contact asked for no more reminders (STOP)".into(),
        (Gap::Mandate(s), Lang::Fr) => format!("statut : {}", s.label_fr()),
        (Gap::Mandate(s), Lang::En) => format!("status: {}", s.label_en()),
        (Gap::Platform(p), Lang::Fr) => format!("plateforme : {}", p.label_fr()),
        (Gap::Platform(p), Lang::En) => format!("platform: {}", p.label(Lang::En)),
        // The line's label names the direction ("factures reçues vues…"):
        // an invoice of the other direction must not read as "no flow".
        (Gap::NoFlowSince(_, None), Lang::Fr) => "aucune importée".into(),
        (Gap::NoFlowSince(_, None), Lang::En) => "none imported".into(),
        (Gap::NoFlowSince(_, Some(last)), Lang::Fr) => {
            format!("la dernière le {}", show_date(*last, lang))
        }
        (Gap::NoFlowSince(_, Some(last)), Lang::En) => {
            format!("the latest on {}", show_date(*last, lang))
        }
        (Gap::NoTestFlow, Lang::Fr) => "aucun flux de test ni facture émise".into(),
        (Gap::NoTestFlow, Lang::En) => "neither a test flow nor an emitted invoice".into(),
        (Gap::OpenCritical(n), Lang::Fr) => format!("{n} ouverte(s)"),
        (Gap::OpenCritical(n), Lang::En) => format!("{n} open"),
    })
}

/// One missing line: "mandat de délégation signé — avant le 03/06/2026 (175 j de retard) — statut : relancé".
pub fn missing_line(line: &Line, today: NaiveDate, lang: Lang) -> String {
    let mut out = format!(
        "{} — {}",
        line.item.label(lang),
        by_when(line.due, today, lang)
    );
    if let Some(detail) = line.gap.as_ref().and_then(|g| gap_detail(g, lang)) {
        out.push_str(" — ");
        out.push_str(&detail);
    }
    if let Some(obligation) = line.breaches {
        out.push_str(&match lang {
            Lang::Fr => format!(" — obligation en vigueur : {}", obligation.label(lang)),
            Lang::En => format!(" — obligation in force: {}", obligation.label(lang)),
        });
    }
    out
}

/// Why the dossier is in its state, in one sentence.
pub fn state_reason(r: &Readiness, today: NaiveDate, lang: Lang) -> String {
    match r.state {
        State::Ready => lang
            .pick(
                "Tout ce qui s'applique à ce dossier est fait.",
                "Everything that applies to this dossier is done.",
            )
            .into(),
        State::Late => {
            let obligations: Vec<&str> = r.breaches().iter().map(|o| o.label(lang)).collect();
            match lang {
                Lang::Fr => format!(
                    "Obligation en vigueur non respectée : {}.",
                    obligations.join(", ")
                ),
                Lang::En => format!("Obligation in force not met: {}.", obligations.join(", ")),
            }
        }
        State::AtRisk => match (r.first_due(), lang) {
            (Some(d), Lang::Fr) if d <= today => format!(
                "Une étape est en retard sur son jalon (depuis le {}).",
                show_date(d, lang)
            ),
            (Some(d), Lang::Fr) => format!(
                "Une étape est due le {}, dans moins de 30 jours.",
                show_date(d, lang)
            ),
            (Some(d), Lang::En) if d <= today => {
                format!(
                    "A step is past its milestone (since {}).",
                    show_date(d, lang)
                )
            }
            (Some(d), Lang::En) => {
                format!("A step is due on {}, within 30 days.", show_date(d, lang))
            }
            // Nothing dated is late: what puts it at risk is one of these two.
            (None, _) => {
                let missing = |item: Item| r.missing().any(|l| l.item == item);
                let mut why = Vec::new();
                if missing(Item::NoCriticalAnomaly) {
                    why.push(lang.pick(
                        "Une anomalie critique est ouverte.",
                        "A critical anomaly is open.",
                    ));
                }
                if missing(Item::CategoryKnown) {
                    why.push(lang.pick(
                        "La catégorie est inconnue : renseignez effectif et chiffre d'affaires.",
                        "The category is unknown: fill in headcount and turnover.",
                    ));
                }
                why.join(" ")
            }
        },
        State::OnTrack => match (r.first_due(), lang) {
            (Some(d), Lang::Fr) => {
                format!("Reste à faire, prochain jalon le {}.", show_date(d, lang))
            }
            (Some(d), Lang::En) => format!("Work left, next milestone on {}.", show_date(d, lang)),
            (None, _) => String::new(),
        },
    }
}

pub const NOT_LEGAL_ADVICE_FR: &str = "estimation, pas un avis juridique";
pub const NOT_LEGAL_ADVICE_EN: &str = "estimate, not legal advice";

/// "0 € à 2 500 € (estimation, pas un avis juridique)".
pub fn exposure_range(low: i64, high: i64, lang: Lang) -> String {
    match lang {
        Lang::Fr => format!(
            "{} à {} ({NOT_LEGAL_ADVICE_FR})",
            euros(low, lang),
            euros(high, lang)
        ),
        Lang::En => format!(
            "{} to {} ({NOT_LEGAL_ADVICE_EN})",
            euros(low, lang),
            euros(high, lang)
        ),
    }
}

/// One line per basis of the estimate.
pub fn exposure_basis(exposure: &Exposure, lang: Lang) -> Vec<String> {
    exposure
        .parts
        .iter()
        .map(|p| {
            let range = format!("{} – {}", euros(p.low, lang), euros(p.high, lang));
            match (p.basis, lang) {
                (Basis::NoReceptionPlatform { days }, Lang::Fr) => format!(
                    "réception pas en place (aucune plateforme inscrite à l'annuaire) depuis {days} j : {range} (500 € à l'issue d'une mise en demeure de 3 mois, puis 1 000 € par trimestre ; CGI art. 1737)"
                ),
                (Basis::NoReceptionPlatform { days }, Lang::En) => format!(
                    "reception not in place (no platform in the directory) for {days} days: {range} (€500 after a 3-month formal notice, then €1,000 per quarter; CGI art. 1737)"
                ),
                (Basis::InvoicesNotElectronic { days }, Lang::Fr) => format!(
                    "factures non émises électroniquement depuis {days} j : {range} (50 € par facture, plafond 15 000 € par an)"
                ),
                (Basis::InvoicesNotElectronic { days }, Lang::En) => format!(
                    "invoices not issued electronically for {days} days: {range} (€50 per invoice, capped at €15,000 a year)"
                ),
                (Basis::EReporting { missed }, Lang::Fr) => format!(
                    "e-reporting : {missed} transmission(s) manquée(s) : {range} (500 € chacune, plafond 15 000 € par an)"
                ),
                (Basis::EReporting { missed }, Lang::En) => format!(
                    "e-reporting: {missed} missed transmission(s): {range} (€500 each, capped at €15,000 a year)"
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_risk_without_a_date_says_which_of_its_two_causes() {
        let line = |item, met| Line {
            item,
            weight: 30,
            met,
            due: None,
            breaches: None,
            gap: None,
        };
        let r = |anomaly_met, category_met| Readiness {
            score: 80,
            state: State::AtRisk,
            lines: vec![
                line(Item::CategoryKnown, category_met),
                line(Item::NoCriticalAnomaly, anomaly_met),
            ],
            next_deadline: None,
            exposure: None,
        };
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            state_reason(&r(false, true), today, Lang::Fr),
            "Une anomalie critique est ouverte."
        );
        assert_eq!(
            state_reason(&r(true, false), today, Lang::En),
            "The category is unknown: fill in headcount and turnover."
        );
    }

    #[test]
    fn euros_group_thousands() {
        assert_eq!(euros(0, Lang::Fr), "0 €");
        assert_eq!(euros(500, Lang::Fr), "500 €");
        assert_eq!(euros(15_000, Lang::Fr), "15 000 €");
        assert_eq!(euros(1_234_567, Lang::Fr), "1 234 567 €");
        assert_eq!(euros(45_500, Lang::En), "€45,500");
        assert_eq!(euros(-1_234_567, Lang::En), "-€1,234,567");
    }
}
