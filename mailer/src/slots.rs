//! When a reminder may leave: working days and hours in Europe/Paris,
//! never on weekends or French public holidays (Code du travail L3133-1,
//! with Alsace-Moselle's two extra days as a firm setting).

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Europe::Paris;

/// Easter Sunday (Gregorian calendar; anonymous algorithm of Meeus/Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let d = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - d - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    NaiveDate::from_ymd_opt(year, month as u32, day as u32).expect("Easter is a valid date")
}

/// The French public holidays of a year, sorted.
pub fn public_holidays(year: i32, alsace_moselle: bool) -> Vec<NaiveDate> {
    let fixed = [
        (1, 1),
        (5, 1),
        (5, 8),
        (7, 14),
        (8, 15),
        (11, 1),
        (11, 11),
        (12, 25),
    ];
    let easter = easter_sunday(year);
    let mut days: Vec<NaiveDate> = fixed
        .iter()
        .filter_map(|(m, d)| NaiveDate::from_ymd_opt(year, *m, *d))
        .collect();
    days.push(easter + Duration::days(1)); // lundi de Pâques
    days.push(easter + Duration::days(39)); // Ascension
    days.push(easter + Duration::days(50)); // lundi de Pentecôte
    if alsace_moselle {
        days.push(easter - Duration::days(2)); // Vendredi saint
        days.extend(NaiveDate::from_ymd_opt(year, 12, 26)); // Saint-Étienne
    }
    days.sort();
    days
}

pub fn is_working_day(date: NaiveDate, alsace_moselle: bool) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun)
        && !public_holidays(date.year(), alsace_moselle).contains(&date)
}

/// The sending window of the firm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from_hour: u32,
    pub until_hour: u32,
    pub alsace_moselle: bool,
}

impl Window {
    /// Whether `at` falls in the window.
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&Paris);
        is_working_day(local.date_naive(), self.alsace_moselle)
            && (self.from_hour..self.until_hour).contains(&local.hour())
    }

    /// The first moment at or after `at` when a reminder may leave.
    pub fn next_slot(&self, at: DateTime<Utc>) -> DateTime<Utc> {
        if self.contains(at) {
            return at;
        }
        let local = at.with_timezone(&Paris);
        let mut date = local.date_naive();
        if local.hour() >= self.from_hour {
            date += Duration::days(1);
        }
        // A year always holds a working day within a fortnight.
        for _ in 0..30 {
            if is_working_day(date, self.alsace_moselle) {
                let start = date
                    .and_hms_opt(self.from_hour.min(23), 0, 0)
                    .expect("valid hour");
                // The first instant of the window that exists in Paris time.
                if let Some(t) = Paris.from_local_datetime(&start).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            date += Duration::days(1);
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn paris(y: i32, m: u32, day: u32, h: u32, min: u32) -> DateTime<Utc> {
        Paris
            .with_ymd_and_hms(y, m, day, h, min, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    const WINDOW: Window = Window {
        from_hour: 9,
        until_hour: 18,
        alsace_moselle: false,
    };

    #[test]
    fn easter_and_the_holidays_of_domain_md() {
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2027), d(2027, 3, 28));
        assert_eq!(easter_sunday(2024), d(2024, 3, 31));
        assert_eq!(easter_sunday(2038), d(2038, 4, 25));
        let h2026 = public_holidays(2026, false);
        for day in [
            d(2026, 4, 6),
            d(2026, 5, 14),
            d(2026, 5, 25),
            d(2026, 7, 14),
            d(2026, 11, 11),
        ] {
            assert!(h2026.contains(&day), "{day}");
        }
        let h2027 = public_holidays(2027, false);
        for day in [d(2027, 3, 29), d(2027, 5, 6), d(2027, 5, 17)] {
            assert!(h2027.contains(&day), "{day}");
        }
        assert_eq!(h2027.len(), 11);
        let alsace = public_holidays(2027, true);
        assert!(alsace.contains(&d(2027, 3, 26)) && alsace.contains(&d(2027, 12, 26)));
        assert_eq!(alsace.len(), 13);
    }

    #[test]
    fn never_at_night_on_weekends_or_holidays() {
        // Wednesday 25 Nov 2026, 10:00 Paris: now.
        assert_eq!(
            WINDOW.next_slot(paris(2026, 11, 25, 10, 0)),
            paris(2026, 11, 25, 10, 0)
        );
        // 7:30 → 9:00 the same day.
        assert_eq!(
            WINDOW.next_slot(paris(2026, 11, 25, 7, 30)),
            paris(2026, 11, 25, 9, 0)
        );
        // Friday 19:00 → Monday 9:00.
        assert_eq!(
            WINDOW.next_slot(paris(2026, 11, 27, 19, 0)),
            paris(2026, 11, 30, 9, 0)
        );
        // Saturday → Monday.
        assert_eq!(
            WINDOW.next_slot(paris(2026, 11, 28, 11, 0)),
            paris(2026, 11, 30, 9, 0)
        );
        // Thursday 24 Dec evening → Saturday, Sunday, Christmas… no: 25 is Friday → Monday 28.
        assert_eq!(
            WINDOW.next_slot(paris(2026, 12, 24, 18, 0)),
            paris(2026, 12, 28, 9, 0)
        );
        // Ascension Thursday 2027 (6 May) → Friday 7 May.
        assert_eq!(
            WINDOW.next_slot(paris(2027, 5, 6, 10, 0)),
            paris(2027, 5, 7, 9, 0)
        );
        // Easter Monday 2027 (29 March), early → Tuesday 30.
        assert_eq!(
            WINDOW.next_slot(paris(2027, 3, 29, 8, 0)),
            paris(2027, 3, 30, 9, 0)
        );
        // Summer time: 9:00 Paris is 7:00 UTC.
        assert_eq!(
            WINDOW.next_slot(paris(2027, 6, 1, 6, 0)),
            Utc.with_ymd_and_hms(2027, 6, 1, 7, 0, 0).unwrap()
        );
    }

    #[test]
    fn alsace_moselle_good_friday() {
        let alsace = Window {
            alsace_moselle: true,
            ..WINDOW
        };
        assert_eq!(
            alsace.next_slot(paris(2027, 3, 26, 10, 0)),
            paris(2027, 3, 30, 9, 0)
        );
        assert_eq!(
            WINDOW.next_slot(paris(2027, 3, 26, 10, 0)),
            paris(2027, 3, 26, 10, 0)
        );
    }
}
