use super::Problem;

/// An amount of euros in cents: exact, no float rounding in the database.
pub type Cents = i64;

/// Cents from an amount written with `decimal` as its decimal separator,
/// exactly (no float): digits grouped by three with spaces, apostrophes or
/// the other separator, at most two decimals (more only if zeros), an
/// optional trailing `€`/`EUR`, negative with a leading `-`. Anything else
/// is `None`: never another amount than the one written ("1.234.56" is a
/// typo, not 123,456). The flux import reads a million lines with it, two
/// amounts each: it does not allocate, and may be inlined there.
#[inline]
pub fn parse_cents(raw: &str, decimal: char) -> Option<Cents> {
    cents_or_why(raw, decimal).ok()
}

/// As [`parse_cents`], saying why not: [`Problem::NumberTooLarge`] for an
/// amount well written but beyond what is stored (see [`largest_amount`]),
/// [`Problem::NumberInvalid`] for anything else.
#[inline]
pub fn cents_or_why(raw: &str, decimal: char) -> Result<Cents, Problem> {
    let thousands = if decimal == ',' { '.' } else { ',' };
    let text = raw.trim();
    let text = text
        .strip_suffix('€')
        .or_else(|| text.strip_suffix("EUR"))
        .unwrap_or(text)
        .trim_end();
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    };
    let (whole, fraction) = text.split_once(decimal).unwrap_or((text, ""));
    if text.ends_with(decimal) {
        return Err(Problem::NumberInvalid);
    }
    // Too many digits is said once the whole is known to be well written.
    let (mut cents, mut too_large): (i64, bool) = (0, false);
    let mut push = |digit: u8| match cents
        .checked_mul(10)
        .and_then(|c| c.checked_add(i64::from(digit)))
    {
        Some(c) => cents = c,
        None => too_large = true,
    };
    let (mut groups, mut first, mut run) = (0, 0, 0);
    for c in whole.chars() {
        if c.is_ascii_digit() {
            push(c as u8 - b'0');
            run += 1;
        } else if run > 0 && (c == thousands || c == '\'' || c.is_whitespace()) {
            if groups == 0 {
                first = run;
            } else if run != 3 {
                return Err(Problem::NumberInvalid);
            }
            groups += 1;
            run = 0;
        } else {
            return Err(Problem::NumberInvalid);
        }
    }
    if run == 0 || groups > 0 && (run != 3 || first > 3) {
        return Err(Problem::NumberInvalid);
    }
    // Cents: a third decimal other than zero would be lost.
    let digits = fraction.trim_end_matches('0').as_bytes();
    if digits.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Problem::NumberInvalid);
    }
    for i in 0..2 {
        push(digits.get(i).map_or(0, |d| d - b'0'));
    }
    if too_large {
        return Err(Problem::NumberTooLarge);
    }
    Ok(if negative { -cents } else { cents })
}

/// The largest amount stored, written with `decimal` and its thousands
/// grouped: `92 233 720 368 547 758,07`, `92,233,720,368,547,758.07`.
pub fn largest_amount(decimal: char) -> String {
    let group = if decimal == ',' { ' ' } else { ',' };
    let whole = (Cents::MAX / 100).to_string();
    let mut out = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    format!("{out}{decimal}{:02}", Cents::MAX % 100)
}

/// The decimal separator of a number written the French way or the English
/// way, when nothing says which: of a comma and a dot, the last one; a lone
/// separator, unless three digits follow it and no space groups the
/// thousands; otherwise the comma (a
/// repeated separator groups thousands). `None`: a lone separator followed
/// by three digits ("1,500", "1.500"), thousands for one reader and decimals
/// for another.
fn guessed_decimal_separator(text: &str) -> Option<char> {
    let body = text
        .trim_end_matches('€')
        .trim_end_matches("EUR")
        .trim_end();
    Some(match (body.rfind(','), body.rfind('.')) {
        (Some(comma), Some(dot)) if comma > dot => ',',
        (Some(_), Some(_)) => '.',
        (Some(at), None) | (None, Some(at)) if body.matches([',', '.']).count() == 1 => {
            // Thousands grouped by spaces leave the separator to decimals.
            let grouped = body.contains(|c: char| c.is_whitespace() || c == '\'');
            if body[at + 1..].len() == 3 && !grouped {
                return None;
            }
            char::from(body.as_bytes()[at])
        }
        (None, Some(_)) => ',',
        _ => '.',
    })
}

/// Reads a number written the French way or the English way, to the
/// cent: `1 250 000,50`, `1.250.000,50`, `1,250,000.50`, `12,5`; `2 M€` is
/// not accepted, nor digits grouped other than by three.
pub fn parse_decimal(raw: &str) -> Result<f64, Problem> {
    read_cents(raw).map(|cents| cents as f64 / 100.0)
}

/// Reads an amount in euros and returns cents, refusing negative values.
pub fn parse_amount_cents(raw: &str) -> Result<Cents, Problem> {
    match read_cents(raw)? {
        cents if cents < 0 => Err(Problem::NegativeNumber),
        cents => Ok(cents),
    }
}

fn read_cents(raw: &str) -> Result<Cents, Problem> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(Problem::Required);
    }
    let decimal = guessed_decimal_separator(text).ok_or(Problem::NumberAmbiguous)?;
    cents_or_why(text, decimal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_english_numbers() {
        assert_eq!(parse_decimal("1 250 000,50"), Ok(1_250_000.5));
        assert_eq!(parse_decimal("1\u{a0}250\u{202f}000,50 €"), Ok(1_250_000.5));
        assert_eq!(parse_decimal("1.250.000,50"), Ok(1_250_000.5));
        assert_eq!(parse_decimal("1,250,000.50"), Ok(1_250_000.5));
        assert_eq!(parse_decimal("1250000.50"), Ok(1_250_000.5));
        assert_eq!(parse_decimal("12,5"), Ok(12.5));
        assert_eq!(parse_decimal("1.250.000"), Ok(1_250_000.0));
        assert_eq!(parse_decimal("1,250,000"), Ok(1_250_000.0));
        assert_eq!(parse_decimal("-3"), Ok(-3.0));
    }

    #[test]
    fn refuses_garbage() {
        for bad in ["abc", "1,2,3", "12 k€", "1.2.3,4,5", "-", "1..2"] {
            assert!(parse_decimal(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_decimal("  "), Err(Problem::Required));
    }

    #[test]
    fn numbers_are_read_exactly_or_refused() {
        // One reader's thousands are another's decimals: refused, said so.
        for ambiguous in ["1,500", "1.500", "2,000 €", "125.000"] {
            assert_eq!(
                parse_decimal(ambiguous),
                Err(Problem::NumberAmbiguous),
                "{ambiguous}"
            );
        }
        assert_eq!(parse_decimal("1,5"), Ok(1.5));
        assert_eq!(parse_decimal("1.50"), Ok(1.5));
        assert_eq!(parse_decimal("1,5000"), Ok(1.5));
        // Grouped other than by three, or with more than two decimals:
        // refused, never read as another number.
        for bad in [
            "1.2.3,45",
            "1,5.5",
            "1 23,00",
            "12,345,6",
            "1,234.567",
            "1.234.56",
        ] {
            assert_eq!(parse_decimal(bad), Err(Problem::NumberInvalid), "{bad}");
        }
        assert_eq!(parse_amount_cents("1'250'000.10"), Ok(125_000_010));
        assert_eq!(parse_amount_cents("1 234,500"), Ok(123_450));
        assert_eq!(parse_amount_cents("0,1 €"), Ok(10));
        assert_eq!(parse_cents("-1.234,56", ','), Some(-123_456));
        assert_eq!(parse_cents("1,234.56", ','), None);
    }

    #[test]
    fn too_large_is_said_only_of_a_well_written_amount() {
        let huge = "99 999 999 999 999 999 999,99";
        assert_eq!(cents_or_why(huge, ','), Err(Problem::NumberTooLarge));
        assert_eq!(parse_amount_cents(huge), Err(Problem::NumberTooLarge));
        assert_eq!(
            cents_or_why("99 999 999 999 999 999 99,99", ','),
            Err(Problem::NumberInvalid)
        );
        assert_eq!(
            cents_or_why("99999999999999999999,999", ','),
            Err(Problem::NumberInvalid)
        );
        let largest = largest_amount(',');
        assert_eq!(largest, "92 233 720 368 547 758,07");
        assert_eq!(cents_or_why(&largest, ','), Ok(Cents::MAX));
        assert_eq!(cents_or_why(&format!("-{largest}"), ','), Ok(-Cents::MAX));
        assert_eq!(
            cents_or_why("92 233 720 368 547 758,08", ','),
            Err(Problem::NumberTooLarge)
        );
        assert_eq!(largest_amount('.'), "92,233,720,368,547,758.07");
    }

    #[test]
    fn amounts_in_cents() {
        assert_eq!(parse_amount_cents("1 234,56"), Ok(123_456));
        assert_eq!(parse_amount_cents("-1"), Err(Problem::NegativeNumber));
    }
}
