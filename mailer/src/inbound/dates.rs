//! Dates in a client's words, resolved against the day the message was
//! written: "la semaine prochaine", "fin du mois", "après le 15 décembre",
//! "en janvier", "dans 15 jours", "next week", "after December 15"…
//! Works on text already put in normal form ([`super::text::normalize`]).

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use regex::Regex;
use std::sync::LazyLock;

const MONTHS: &str = "janvier|janv|fevrier|fevr|fev|mars|avril|avr|mai|juin|juillet|juil|aout|septembre|sept|octobre|novembre|decembre|january|jan|february|feb|march|mar|april|apr|may|june|jun|july|jul|august|aug|september|sep|october|oct|november|nov|december|dec";

fn month_number(name: &str) -> Option<u32> {
    Some(match name {
        "janvier" | "janv" | "january" | "jan" => 1,
        "fevrier" | "fevr" | "fev" | "february" | "feb" => 2,
        "mars" | "march" | "mar" => 3,
        "avril" | "avr" | "april" | "apr" => 4,
        "mai" | "may" => 5,
        "juin" | "june" | "jun" => 6,
        "juillet" | "juil" | "july" | "jul" => 7,
        "aout" | "august" | "aug" => 8,
        "septembre" | "sept" | "september" | "sep" => 9,
        "octobre" | "october" | "oct" => 10,
        "novembre" | "november" | "nov" => 11,
        "decembre" | "december" | "dec" => 12,
        _ => return None,
    })
}

static DAY_MONTH: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b(\d{{1,2}})(?:er|st|nd|rd|th)?\s+(?:de\s+|of\s+)?({MONTHS})\.?(?:\s+(\d{{4}}))?\b"
    ))
    .expect("static pattern")
});
static MONTH_DAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b({MONTHS})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}}))?"
    ))
    .expect("static pattern")
});
static NUMERIC: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2}))?\b").expect("static pattern")
});
static MONTH_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"\b(en|debut|courant|mi|fin|in|early|mid|late|end of|au mois de|d'ici|by)(?:\s+|-)(?:de\s+|d')?({MONTHS})\b(?:\s+(\d{{4}}))?"
    ))
    .expect("static pattern")
});
static IN_N: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:dans|d'ici|sous|in|within)\s+(\d{1,3}|un|une|deux|trois|quatre|huit|quinze|a|one|two|three|four)\s+(jours?|semaines?|mois|days?|weeks?|months?)\b")
        .expect("static pattern")
});
static RELATIVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(semaine prochaine|next week|fin (?:du|de ce) mois|fin de mois|end of (?:the|this) month|mois prochain|next month|fin (?:de l'|d')?annee|end of (?:the|this) year|apres les fetes|after the holidays|demain|tomorrow|dans la journee|aujourd'hui|ce soir|today|tonight|later today|ce week-end|ce weekend|this weekend|fin de (?:la )?semaine|end of (?:the|this) week|cette semaine|this week|avant noel|before christmas|noel|christmas|debut (?:de l'annee|d'annee) prochaine|(?:lundi|mardi|mercredi|jeudi|vendredi|monday|tuesday|wednesday|thursday|friday) prochain|next (?:monday|tuesday|wednesday|thursday|friday))\b")
        .expect("static pattern")
});

static BARE_WEEKDAY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:lundi|mardi|mercredi|jeudi|vendredi|monday|tuesday|wednesday|thursday|friday)\b",
    )
    .expect("static pattern")
});

/// The Friday of this week, or of next week from a Saturday or a Sunday.
fn friday_of_week(today: NaiveDate) -> NaiveDate {
    if today.weekday() == Weekday::Fri {
        today
    } else {
        next_weekday(today, Weekday::Fri)
    }
}

/// "au premier trimestre 2027", "Q1 2027", "in the second quarter".
static QUARTER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:(?:au|en|in the|in|durant le|courant du)\s+)?(?:(premier|1er|deuxieme|2e|2eme|second|troisieme|3e|3eme|quatrieme|4e|4eme|dernier|first|third|fourth|last)\s+(?:trimestre|quarter)|(?:t|q)([1-4]))\b(?:\s+(?:de\s+|of\s+)?(\d{4}))?")
        .expect("static pattern")
});

/// A day of the month alone: "après le 10", "le 15, je vous rappelle".
static DAY_ONLY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b(?:apres le|avant le|d'ici le|a partir du|des le|jusqu'au|le)\s+(\d{1,2})(?:er)?\b",
    )
    .expect("static pattern")
});

fn last_day(year: i32, month: u32) -> NaiveDate {
    let (y, m) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).expect("valid first of month") - Duration::days(1)
}

/// The first occurrence of day/month on or after `today` (or `year`, if given).
fn next_occurrence(today: NaiveDate, day: u32, month: u32, year: Option<i32>) -> Option<NaiveDate> {
    if let Some(year) = year {
        return NaiveDate::from_ymd_opt(year, month, day);
    }
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day)?;
    if this_year >= today - Duration::days(1) {
        Some(this_year)
    } else {
        NaiveDate::from_ymd_opt(today.year() + 1, month, day)
    }
}

fn year_of(raw: Option<&str>) -> Option<i32> {
    let raw = raw?;
    let n: i32 = raw.parse().ok()?;
    Some(if n < 100 { 2000 + n } else { n })
}

fn small_number(raw: &str) -> Option<i64> {
    Some(match raw {
        "un" | "une" | "a" | "one" => 1,
        "deux" | "two" => 2,
        "trois" | "three" => 3,
        "quatre" | "four" => 4,
        "huit" => 7,
        "quinze" => 14,
        n => n.parse().ok()?,
    })
}

fn weekday(name: &str) -> Option<Weekday> {
    Some(match name {
        "lundi" | "monday" => Weekday::Mon,
        "mardi" | "tuesday" => Weekday::Tue,
        "mercredi" | "wednesday" => Weekday::Wed,
        "jeudi" | "thursday" => Weekday::Thu,
        "vendredi" | "friday" => Weekday::Fri,
        _ => return None,
    })
}

fn next_weekday(today: NaiveDate, day: Weekday) -> NaiveDate {
    let mut d = today + Duration::days(1);
    while d.weekday() != day {
        d += Duration::days(1);
    }
    d
}

fn relative(phrase: &str, today: NaiveDate) -> Option<NaiveDate> {
    let next_month = || {
        if today.month() == 12 {
            NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(today.year(), today.month() + 1, 1)
        }
    };
    Some(match phrase {
        "semaine prochaine" | "next week" => next_weekday(today, Weekday::Mon),
        "mois prochain" | "next month" => next_month()?,
        "demain" | "tomorrow" => today + Duration::days(1),
        // "je le signe dans la journée": nothing before tomorrow.
        "dans la journee" | "aujourd'hui" | "ce soir" | "today" | "tonight" | "later today" => {
            today + Duration::days(1)
        }
        // "je m'y mets ce week-end": the Monday after.
        "ce week-end" | "ce weekend" | "this weekend" => next_weekday(today, Weekday::Mon),
        // This week's Friday (next week's, from a weekend).
        "cette semaine" | "this week" | "fin de semaine" | "fin de la semaine" => {
            friday_of_week(today)
        }
        p if p.starts_with("end of") && p.ends_with("week") => friday_of_week(today),
        "avant noel" | "before christmas" => {
            NaiveDate::from_ymd_opt(today.year(), 12, 24).filter(|d| *d >= today)?
        }
        "noel" | "christmas" => {
            NaiveDate::from_ymd_opt(today.year(), 12, 25).filter(|d| *d >= today)?
        }
        "apres les fetes" | "after the holidays" => {
            let year = if today.month() >= 6 {
                today.year() + 1
            } else {
                today.year()
            };
            NaiveDate::from_ymd_opt(year, 1, 2)?
        }
        p if p.starts_with("fin d") && p.contains("mois")
            || p.starts_with("end of") && p.ends_with("month") =>
        {
            last_day(today.year(), today.month())
        }
        p if p.contains("annee") && p.starts_with("fin")
            || p.starts_with("end of") && p.ends_with("year") =>
        {
            NaiveDate::from_ymd_opt(today.year(), 12, 31)?
        }
        p if p.contains("annee") => NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)?,
        p => {
            let day = p.split(' ').find_map(weekday)?;
            next_weekday(today, day)
        }
    })
}

/// Whether the words just before `at` say "after" / "until" (the day
/// that counts is the next one).
fn day_after(text: &str, at: usize) -> bool {
    let mut before = text[..at].trim_end();
    // "jusqu'au lundi 7 décembre", "until Friday 27/11": the weekday does not count.
    if let Some((head, last)) = before.rsplit_once(' ') {
        if weekday(last.trim_end_matches(',')).is_some()
            || matches!(last, "samedi" | "dimanche" | "saturday" | "sunday")
        {
            before = head.trim_end();
        }
    }
    // "après notre assemblée générale du 12 décembre": "après" a few words
    // before, in the same clause.
    let clause = before
        .rsplit([',', '.', ';', ':', '!', '?'])
        .next()
        .unwrap_or(before);
    if clause
        .split(' ')
        .rev()
        .take(6)
        .any(|w| w == "apres" || w == "after")
    {
        return true;
    }
    [
        "apres le",
        "apres",
        "after",
        "jusqu'au",
        "jusqu'a",
        "until",
        "till",
        "bis",
        "bis zum",
        "au",
        "to",
        "through",
        "au plus tot apres le",
    ]
    .iter()
    .any(|w| {
        before.ends_with(w)
            && before[..before.len() - w.len()]
                .chars()
                .last()
                .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// A date found in a text, with where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    pub date: NaiveDate,
    pub at: usize,
    /// "la semaine prochaine", "next week": `date` is that week's Monday,
    /// but the whole week was meant (a postponement runs to its end).
    pub whole_week: bool,
}

/// Every date the text states, in the order they appear, resolved against
/// `today` (the day the message was written).
pub fn find_all(text: &str, today: NaiveDate) -> Vec<Found> {
    let mut found: Vec<Found> = Vec::new();
    let mut covered: Vec<(usize, usize)> = Vec::new();
    let mut push = |found: &mut Vec<Found>, start: usize, end: usize, date: Option<NaiveDate>| {
        if covered.iter().any(|(s, e)| start < *e && end > *s) {
            return;
        }
        if let Some(mut date) = date {
            if day_after(text, start) {
                date += Duration::days(1);
            }
            covered.push((start, end));
            found.push(Found {
                date,
                at: start,
                whole_week: false,
            });
        }
    };
    for c in DAY_MONTH.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        let date = (|| {
            let day: u32 = c[1].parse().ok()?;
            let month = month_number(&c[2])?;
            next_occurrence(today, day, month, year_of(c.get(3).map(|y| y.as_str())))
        })();
        push(&mut found, m.start(), m.end(), date);
    }
    for c in MONTH_DAY.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        let date = (|| {
            let month = month_number(&c[1])?;
            let day: u32 = c[2].parse().ok()?;
            next_occurrence(today, day, month, year_of(c.get(3).map(|y| y.as_str())))
        })();
        push(&mut found, m.start(), m.end(), date);
    }
    for c in MONTH_ONLY.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        let after = text[m.end()..].trim_start();
        if ["dernier", "derniere", "passe", "passee", "last"]
            .iter()
            .any(|w| after.starts_with(w))
        {
            continue;
        }
        let date = (|| {
            let month = month_number(&c[2])?;
            let year = year_of(c.get(3).map(|y| y.as_str())).unwrap_or(if month < today.month() {
                today.year() + 1
            } else {
                today.year()
            });
            match &c[1] {
                "fin" | "late" | "end of" | "d'ici" | "by" => Some(last_day(year, month)),
                "mi" | "mid" => NaiveDate::from_ymd_opt(year, month, 15),
                _ => {
                    let first = NaiveDate::from_ymd_opt(year, month, 1)?;
                    Some(first.max(today + Duration::days(1)))
                }
            }
        })();
        push(&mut found, m.start(), m.end(), date);
    }
    for c in NUMERIC.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        // Times ("10.30") and amounts are not dates: require a plausible day and month.
        let date = (|| {
            let mut day: u32 = c[1].parse().ok()?;
            let mut month: u32 = c[2].parse().ok()?;
            // "12/14/2026" can only be month/day (US): read it so.
            if month > 12 && (1..=12).contains(&day) && month <= 31 && c.get(3).is_some() {
                std::mem::swap(&mut day, &mut month);
            }
            if !(1..=31).contains(&day) || !(1..=12).contains(&month) {
                return None;
            }
            if c.get(3).is_none() && text[m.end()..].starts_with('.') {
                return None;
            }
            next_occurrence(today, day, month, year_of(c.get(3).map(|y| y.as_str())))
        })();
        push(&mut found, m.start(), m.end(), date);
    }
    for c in IN_N.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        let date = (|| {
            let n = small_number(&c[1])?;
            let unit = &c[2];
            Some(if unit.starts_with("jour") || unit.starts_with("day") {
                today + Duration::days(n)
            } else if unit.starts_with("semaine") || unit.starts_with("week") {
                today + Duration::weeks(n)
            } else {
                today + Duration::days(30 * n)
            })
        })();
        push(&mut found, m.start(), m.end(), date);
    }
    for c in RELATIVE.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        push(&mut found, m.start(), m.end(), relative(&c[1], today));
        if matches!(&c[1], "semaine prochaine" | "next week") {
            if let Some(last) = found.last_mut().filter(|f| f.at == m.start()) {
                last.whole_week = true;
            }
        }
    }
    for c in QUARTER.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        // "T2", "Q3" alone may be a flat or a form: only with a year or "en"/"in".
        let bare_code = c.get(2).is_some()
            && c.get(3).is_none()
            && !["au ", "en ", "in ", "durant ", "courant "]
                .iter()
                .any(|w| m.as_str().starts_with(w));
        if bare_code {
            continue;
        }
        let quarter: Option<u32> = match (c.get(1).map(|w| w.as_str()), c.get(2)) {
            (Some("premier" | "1er" | "first"), _) => Some(1),
            (Some("deuxieme" | "2e" | "2eme" | "second"), _) => Some(2),
            (Some("troisieme" | "3e" | "3eme" | "third"), _) => Some(3),
            (Some(_), _) => Some(4),
            (None, Some(n)) => n.as_str().parse().ok(),
            (None, None) => None,
        };
        let date = quarter.and_then(|q| {
            let month = 3 * (q - 1) + 1;
            let year = year_of(c.get(3).map(|y| y.as_str())).unwrap_or_else(|| {
                if last_day(today.year(), month + 2) < today {
                    today.year() + 1
                } else {
                    today.year()
                }
            });
            NaiveDate::from_ymd_opt(year, month, 1).map(|d| d.max(today + Duration::days(1)))
        });
        push(&mut found, m.start(), m.end(), date);
    }
    // A day alone, not a phone number, an hour or an amount: the next such day.
    for c in DAY_ONLY.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        let after = &text[m.end()..];
        let next_word = after.trim_start();
        if next_word.starts_with(|ch: char| ch.is_ascii_digit())
            || after.starts_with(['h', ':', '/', '.', '%', '-'])
            || [
                "h", "heure", "euro", "eur", "€", "%", "ans", "jours", "mois", "ou ",
            ]
            .iter()
            .any(|w| next_word.starts_with(w))
        {
            continue;
        }
        let date = c[1]
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=31).contains(d))
            .and_then(|day| {
                let this_month = NaiveDate::from_ymd_opt(today.year(), today.month(), day)
                    .filter(|d| *d >= today);
                this_month.or_else(|| {
                    let (y, mo) = if today.month() == 12 {
                        (today.year() + 1, 1)
                    } else {
                        (today.year(), today.month() + 1)
                    };
                    NaiveDate::from_ymd_opt(y, mo, day)
                })
            });
        // "après le 10", "jusqu'au 30": the match starts with the word; the
        // day after counts.
        let date = if m.as_str().starts_with("apres") || m.as_str().starts_with("jusqu'au") {
            date.map(|d| d + Duration::days(1))
        } else {
            date
        };
        push(&mut found, m.start(), m.end(), date);
    }
    // A weekday alone ("je vous le dépose vendredi") is the next one; one
    // followed by a day number belongs to that date ("lundi 7 décembre").
    for m in BARE_WEEKDAY.find_iter(text) {
        let after = text[m.end()..].trim_start();
        let before = text[..m.start()].trim_end();
        // Opening hours ("du lundi au vendredi", "from Monday to Friday") and
        // habits ("tous les lundi") are not a date either.
        let starts_with_weekday = |t: &str| {
            BARE_WEEKDAY
                .find(t.trim_start())
                .is_some_and(|n| n.start() == 0)
        };
        let range = ["au ", "a ", "to ", "-", "et ", "and ", "ou ", "or "]
            .iter()
            .filter_map(|w| after.strip_prefix(w))
            .any(starts_with_weekday)
            || ["au", "a", "to", "et", "and", "ou", "or"]
                .iter()
                .any(|w| before.ends_with(&format!(" {w}")))
                && BARE_WEEKDAY
                    .find_iter(before)
                    .last()
                    .is_some_and(|p| before.len() - p.end() <= 4);
        let habit = ["les", "chaque", "every", "each"]
            .iter()
            .any(|w| before.ends_with(&format!(" {w}")) || before == *w)
            && !after.starts_with("prochain");
        let range_or_habit = range || habit;
        if after.starts_with(|c: char| c.is_ascii_digit())
            || after.starts_with("dernier")
            || after.starts_with("passe")
            || range_or_habit
        {
            continue;
        }
        let date = weekday(m.as_str()).map(|day| next_weekday(today, day));
        push(&mut found, m.start(), m.end(), date);
    }
    found.sort_by_key(|f| f.at);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn first(text: &str) -> Option<NaiveDate> {
        // Wednesday 25 November 2026.
        find_all(text, d(2026, 11, 25)).first().map(|f| f.date)
    }

    #[test]
    fn french_expressions() {
        assert_eq!(
            first("je vous l'envoie la semaine prochaine"),
            Some(d(2026, 11, 30))
        );
        assert_eq!(first("d'ici la fin du mois"), Some(d(2026, 11, 30)));
        assert_eq!(first("pas avant fin de mois"), Some(d(2026, 11, 30)));
        assert_eq!(first("apres le 15 decembre"), Some(d(2026, 12, 16)));
        assert_eq!(first("le 15 decembre"), Some(d(2026, 12, 15)));
        assert_eq!(first("on verra en janvier"), Some(d(2027, 1, 1)));
        assert_eq!(first("debut fevrier 2027"), Some(d(2027, 2, 1)));
        assert_eq!(first("fin janvier"), Some(d(2027, 1, 31)));
        assert_eq!(first("dans 15 jours"), Some(d(2026, 12, 10)));
        assert_eq!(first("dans deux semaines"), Some(d(2026, 12, 9)));
        assert_eq!(first("le mois prochain"), Some(d(2026, 12, 1)));
        assert_eq!(first("apres les fetes"), Some(d(2027, 1, 2)));
        assert_eq!(first("le 1er mars"), Some(d(2027, 3, 1)));
        assert_eq!(first("absente jusqu'au 30/11"), Some(d(2026, 12, 1)));
        assert_eq!(first("de retour le 02/12/2026"), Some(d(2026, 12, 2)));
        assert_eq!(first("lundi prochain"), Some(d(2026, 11, 30)));
        assert_eq!(first("on se reparle mi-janvier"), Some(d(2027, 1, 15)));
        assert_eq!(
            first("absente jusqu'au lundi 7 decembre inclus"),
            Some(d(2026, 12, 8))
        );
        assert_eq!(
            first("en deplacement jusqu'au vendredi 27/11"),
            Some(d(2026, 11, 28))
        );
        assert_eq!(first("j'ai vendu la societe en juin dernier"), None);
        assert_eq!(
            first("je vous le depose vendredi au cabinet"),
            Some(d(2026, 11, 27))
        );
        assert_eq!(
            first("apres notre assemblee generale du 12 decembre"),
            Some(d(2026, 12, 13))
        );
        assert_eq!(first("vendredi dernier"), None);
        assert_eq!(
            first("bureau ouvert du lundi au vendredi de 9h a 18h"),
            None
        );
        assert_eq!(first("joignable tous les mardi"), None);
        assert_eq!(
            first("je regarde ca apres le 10, la"),
            Some(d(2026, 12, 11))
        );
        assert_eq!(first("je m'en occupe cette semaine"), Some(d(2026, 11, 27)));
        assert_eq!(first("avant noel"), Some(d(2026, 12, 24)));
        assert_eq!(
            first("je vous le retourne dans la journee"),
            Some(d(2026, 11, 26))
        );
        assert_eq!(first("je m'y mets ce week-end"), Some(d(2026, 11, 30)));
        assert_eq!(first("au premier trimestre 2027"), Some(d(2027, 1, 1)));
        assert_eq!(first("au 2e trimestre"), Some(d(2027, 4, 1)));
        assert_eq!(first("rappelez-moi le 06 12 34 56 78"), None);
        assert_eq!(first("le 12h30"), None);
        assert_eq!(first("absente jusqu'au 30, merci"), Some(d(2026, 12, 1)));
        assert_eq!(
            first("le 30, la facture de 1 200 euros"),
            Some(d(2026, 11, 30))
        );
    }

    #[test]
    fn english_expressions() {
        assert_eq!(first("i will send it next week"), Some(d(2026, 11, 30)));
        assert_eq!(first("after december 15"), Some(d(2026, 12, 16)));
        assert_eq!(first("back on december 2nd"), Some(d(2026, 12, 2)));
        assert_eq!(first("in january"), Some(d(2027, 1, 1)));
        assert_eq!(first("by the end of the month"), Some(d(2026, 11, 30)));
        assert_eq!(first("in 3 weeks"), Some(d(2026, 12, 16)));
        assert_eq!(
            first("i'll send it by the end of the week"),
            Some(d(2026, 11, 27))
        );
        assert_eq!(first("in q1 2027"), Some(d(2027, 1, 1)));
        assert_eq!(first("i'll send it on monday"), Some(d(2026, 11, 30)));
        assert_eq!(first("open monday to friday, 9 to 5"), None);
        assert_eq!(first("we moved to a t2 flat"), None);
        assert_eq!(first("away until 12/14/2026"), Some(d(2026, 12, 15)));
        assert_eq!(
            first("ich bin bis 04.12.2026 nicht im buro"),
            Some(d(2026, 12, 5))
        );
        assert_eq!(first("le 14/12/2026"), Some(d(2026, 12, 14)));
    }

    #[test]
    fn not_dates() {
        assert_eq!(first("rappelez-moi au 06 12 34 56 78"), None);
        assert_eq!(first("a 10.30 ce matin."), None);
        assert_eq!(first("bonjour, merci"), None);
    }
}
