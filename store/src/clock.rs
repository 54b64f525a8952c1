//! The injected clock: "now" is a value passed around, so that tests,
//! demos and simulations can set the date (`--now`, `CABREADY_NOW`).

use crate::Lang;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Europe::Paris;

#[derive(Debug, Clone, Copy)]
pub struct Clock {
    fixed: Option<DateTime<Utc>>,
}

impl Clock {
    pub fn system() -> Self {
        Clock { fixed: None }
    }

    pub fn fixed(at: DateTime<Utc>) -> Self {
        Clock { fixed: Some(at) }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.fixed.unwrap_or_else(Utc::now)
    }

    /// Today's date in Europe/Paris, where the firm lives and deadlines fall.
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&Paris).date_naive()
    }
}

/// How times are stored: UTC, RFC 3339, second precision, sortable as text.
pub fn to_db_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn from_db_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

pub fn to_db_date(date: NaiveDate) -> String {
    // ISO 8601, `%Y-%m-%d` (Display: without reading a format string).
    date.to_string()
}

pub fn from_db_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// A date as shown to users: `25/11/2026` in French, `25 Nov 2026` in
/// English (whose readers would take 03/06 for March).
pub fn show_date(date: NaiveDate, lang: Lang) -> String {
    match lang {
        Lang::Fr => french_date(date),
        Lang::En => date.format("%-d %b %Y").to_string(),
    }
}

/// A time as shown to users, in Paris: `25/11/2026 10:00`, `25 Nov 2026 10:00`.
pub fn show_time(at: DateTime<Utc>, lang: Lang) -> String {
    match lang {
        Lang::Fr => french_time(at),
        Lang::En => at
            .with_timezone(&Paris)
            .format("%-d %b %Y %H:%M")
            .to_string(),
    }
}

/// `25/11/2026`: how dates are shown to French users.
pub fn french_date(date: NaiveDate) -> String {
    date.format("%d/%m/%Y").to_string()
}

/// `25/11/2026 10:00`: a time as shown to users, in Paris.
pub fn french_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&Paris)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// When a day starts in Paris, where the firm lives.
pub fn paris_day_start(day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    Paris.from_local_datetime(&midnight).earliest().map_or_else(
        || Utc.from_utc_datetime(&midnight),
        |t| t.with_timezone(&Utc),
    )
}

/// The day a time falls on in Paris.
pub fn paris_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Paris).date_naive()
}

/// The Paris day of a stored time, if any; an unreadable one is corrupt.
pub(crate) fn paris_day_of(text: Option<String>) -> crate::StoreResult<Option<NaiveDate>> {
    text.map(|t| {
        from_db_time(&t)
            .map(paris_day)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("time {t}")))
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn english_readers_get_the_month_in_words() {
        let day = NaiveDate::from_ymd_opt(2026, 6, 3).unwrap();
        assert_eq!(show_date(day, Lang::Fr), "03/06/2026");
        assert_eq!(show_date(day, Lang::En), "3 Jun 2026");
        // 08:05 UTC is 10:05 in Paris in summer.
        let at = Utc.with_ymd_and_hms(2026, 6, 3, 8, 5, 0).unwrap();
        assert_eq!(show_time(at, Lang::Fr), "03/06/2026 10:05");
        assert_eq!(show_time(at, Lang::En), "3 Jun 2026 10:05");
    }

    #[test]
    fn today_is_in_paris() {
        // 23:30 UTC on 31 August is already 1 September in Paris (UTC+2 in summer).
        let clock = Clock::fixed(Utc.with_ymd_and_hms(2026, 8, 31, 23, 30, 0).unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 9, 1).unwrap());
    }

    #[test]
    fn db_time_round_trips() {
        let t = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
        assert_eq!(to_db_time(t), "2026-11-25T09:00:00Z");
        assert_eq!(from_db_time(&to_db_time(t)), Some(t));
    }
}
