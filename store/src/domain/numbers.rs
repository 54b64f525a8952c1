use super::Problem;

/// An amount of euros in cents: exact, no float rounding in the database.
pub type Cents = i64;

/// Reads a number written the French way or the English way:
/// `1 250 000,50`, `1.250.000,50`, `1250000.50`, `12,5`, `2 M€` is not accepted.
/// Spaces (also non-breaking), apostrophes and a trailing `€` are ignored.
pub fn parse_decimal(raw: &str) -> Result<f64, Problem> {
    let cleaned: String = raw
        .trim()
        .trim_end_matches('€')
        .trim_end_matches("EUR")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}' && *c != '\'')
        .collect();
    if cleaned.is_empty() {
        return Err(Problem::Required);
    }
    let (negative, body) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, cleaned.as_str()),
    };
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.')
    {
        return Err(Problem::NumberInvalid);
    }
    let commas = body.matches(',').count();
    let dots = body.matches('.').count();
    let normalised = match (commas, dots) {
        (0, 0) => body.to_string(),
        // Both present: the last one is the decimal separator.
        (_, _) if commas > 0 && dots > 0 => {
            let last_comma = body.rfind(',').unwrap_or(0);
            let last_dot = body.rfind('.').unwrap_or(0);
            let (thousands, decimal) = if last_comma > last_dot {
                ('.', ',')
            } else {
                (',', '.')
            };
            if body.matches(decimal).count() > 1 {
                return Err(Problem::NumberInvalid);
            }
            body.replace(thousands, "").replace(decimal, ".")
        }
        (1, 0) => body.replace(',', "."),
        (0, 1) => {
            // A French export never writes a decimal dot: "1.250" is one thousand two hundred and fifty.
            let decimals = body.len() - body.find('.').unwrap_or(0) - 1;
            if decimals == 3 {
                body.replace('.', "")
            } else {
                body.to_string()
            }
        }
        (0, _) => thousands_grouped(body, '.')?,
        (_, 0) => thousands_grouped(body, ',')?,
        _ => return Err(Problem::NumberInvalid),
    };
    let value: f64 = normalised.parse().map_err(|_| Problem::NumberInvalid)?;
    if !value.is_finite() {
        return Err(Problem::NumberInvalid);
    }
    Ok(if negative { -value } else { value })
}

fn thousands_grouped(body: &str, separator: char) -> Result<String, Problem> {
    let groups: Vec<&str> = body.split(separator).collect();
    let well_grouped =
        !groups[0].is_empty() && groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3);
    if well_grouped {
        Ok(groups.concat())
    } else {
        Err(Problem::NumberInvalid)
    }
}

/// Reads an amount in euros and returns cents, refusing negative values.
pub fn parse_amount_cents(raw: &str) -> Result<Cents, Problem> {
    let value = parse_decimal(raw)?;
    if value < 0.0 {
        return Err(Problem::NegativeNumber);
    }
    let cents = (value * 100.0).round();
    if cents > i64::MAX as f64 {
        return Err(Problem::NumberInvalid);
    }
    Ok(cents as i64)
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
        assert_eq!(parse_decimal("1.250"), Ok(1250.0));
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
    fn amounts_in_cents() {
        assert_eq!(parse_amount_cents("1 234,56"), Ok(123_456));
        assert_eq!(parse_amount_cents("-1"), Err(Problem::NegativeNumber));
    }
}
