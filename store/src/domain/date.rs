//! Calendar dates as people write them in a spreadsheet.

use super::Problem;
use chrono::NaiveDate;

/// A date written the French way (`01/03/2026`, `1/3/2026`, `01.03.2026`,
/// `01-03-2026`) or the ISO way (`2026-03-01`), with a four-digit year:
/// `01/03/26` could be 1926 or 2026 and is refused. A time after it
/// (`01/03/2026 00:00`, as spreadsheets export dates) is ignored.
pub fn parse_day(raw: &str) -> Result<NaiveDate, Problem> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(Problem::Required);
    }
    let date = raw.split([' ', 'T']).next().unwrap_or(raw);
    let time = raw[date.len()..].trim_start_matches('T').trim();
    if !time.is_empty() && !is_time(time) {
        return Err(Problem::DateInvalid);
    }
    let parts: Vec<&str> = date.split(['/', '.', '-']).collect();
    let [a, b, c] = parts[..] else {
        return Err(Problem::DateInvalid);
    };
    let number = |s: &str, lengths: &[usize]| {
        (lengths.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u32>().ok())
            .flatten()
    };
    // Year first only with dashes (ISO 8601); otherwise day, month, year.
    let (year, month, day) = if a.len() == 4 && date.contains('-') {
        (number(a, &[4]), number(b, &[2]), number(c, &[2]))
    } else {
        (number(c, &[4]), number(b, &[1, 2]), number(a, &[1, 2]))
    };
    match (year, month, day) {
        (Some(y), Some(m), Some(d)) => {
            NaiveDate::from_ymd_opt(y as i32, m, d).ok_or(Problem::DateInvalid)
        }
        _ => Err(Problem::DateInvalid),
    }
}

/// `10:30` or `10:30:00` (with an optional `Z`): what follows a date in an export.
fn is_time(raw: &str) -> bool {
    let raw = raw.trim_end_matches('Z');
    let parts: Vec<&str> = raw.split(':').collect();
    (2..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn french_and_iso_dates() {
        assert_eq!(parse_day("01/03/2026"), Ok(day(2026, 3, 1)));
        assert_eq!(parse_day(" 1/3/2026 "), Ok(day(2026, 3, 1)));
        assert_eq!(parse_day("01.03.2026"), Ok(day(2026, 3, 1)));
        assert_eq!(parse_day("01-03-2026"), Ok(day(2026, 3, 1)));
        assert_eq!(parse_day("2026-03-01"), Ok(day(2026, 3, 1)));
        assert_eq!(parse_day("01/03/2026 00:00"), Ok(day(2026, 3, 1)));
        assert_eq!(parse_day("2026-03-01T00:00:00"), Ok(day(2026, 3, 1)));
    }

    #[test]
    fn ambiguous_or_impossible_dates_are_refused() {
        for raw in [
            "01/03/26",
            "31/02/2026",
            "2026/03/01",
            "13/13/2026",
            "mars 2026",
            "01/03/2026 midi",
            "2026-3-1",
            "",
        ] {
            assert!(parse_day(raw).is_err(), "{raw}");
        }
        assert_eq!(parse_day(" "), Err(Problem::Required));
    }
}
