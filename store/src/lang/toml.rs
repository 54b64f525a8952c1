//! A settings file's error (the configuration, a platform profile) in both
//! languages. The TOML reader and serde say it in English ("missing field
//! `name`", "invalid type: string \"deux\", expected u32"): the common
//! cases are said again in words a French accountant reads, with where
//! (line, column or table) when the reader knows it; anything else keeps
//! the reader's own words after a sentence that says what kind of problem
//! it is.

use super::Said;
use std::ops::Range;

/// What a lifecycle code in a settings file must be (a profile's
/// `[statuses]`): the words serde gives after "expected", said again in
/// French by [`toml_problem`].
pub const STATUS_CODE_EXPECTED: &str =
    "a status code of three digits, from 100 to 999, written without quotes (e.g. 212)";

/// `message` and `span` as the `toml` crate gives them (`Error::message`,
/// `Error::span`), `text` the file's text (empty when the values did not
/// come from a file: the span is then ignored).
pub fn toml_problem(message: &str, span: Option<Range<usize>>, text: &str) -> Said {
    let message = message.trim();
    let place = span
        .filter(|s| s.start <= text.len() && text.is_char_boundary(s.start))
        .map(|s| Place::of(text, s.start));
    let said = match Shape::of(message) {
        Shape::MissingKey(key) => {
            return match place.as_ref().and_then(|p| p.table_header.as_deref()) {
                Some(table) => {
                    let line = place.as_ref().map_or(0, |p| p.line);
                    Said::new(
                        format!("clé « {key} » manquante dans la table {table} (ligne {line})"),
                        format!("key \"{key}\" missing in table {table} (line {line})"),
                    )
                }
                None => Said::new(
                    format!("clé « {key} » manquante au niveau principal du fichier (hors des [tables])"),
                    format!("key \"{key}\" missing at the top level of the file (outside the [tables])"),
                ),
            };
        }
        Shape::UnknownKey { key, expected } => {
            let expected = list(&expected);
            Said::new(
                format!("clé inconnue « {key} » (clés possibles : {expected})"),
                format!("unknown key \"{key}\" (possible keys: {expected})"),
            )
        }
        Shape::UnknownValue { value, expected } => {
            let expected = list(&expected);
            Said::new(
                format!("valeur inconnue « {value} » (valeurs possibles : {expected})"),
                format!("unknown value \"{value}\" (possible values: {expected})"),
            )
        }
        Shape::WrongType { found, expected } => Said::new(
            format!(
                "valeur de mauvais type : {}, alors qu'il faut {}",
                found_fr(found),
                expected_fr(expected)
            ),
            format!(
                "wrong type of value: {}, expected {}",
                found_en(found),
                expected_en(expected)
            ),
        ),
        Shape::OutOfRange { found, expected } => Said::new(
            format!(
                "valeur hors limites : {}, alors qu'il faut {}",
                found_fr(found),
                expected_fr(expected)
            ),
            format!(
                "value out of range: {}, expected {}",
                found_en(found),
                expected_en(expected)
            ),
        ),
        Shape::DuplicateKey(key) => Said::new(
            format!("clé « {key} » écrite deux fois"),
            format!("key \"{key}\" written twice"),
        ),
        Shape::Syntax(what) => {
            let hint_fr = if what.contains("string") {
                " ; un texte s'écrit entre guillemets, par ex. name = \"ma-plateforme\""
            } else {
                ""
            };
            let hint_en = if what.contains("string") {
                "; a text is written between quotes, e.g. name = \"my-platform\""
            } else {
                ""
            };
            Said::new(
                format!("syntaxe TOML invalide ({what}){hint_fr}"),
                format!("invalid TOML syntax ({what}){hint_en}"),
            )
        }
    };
    match place {
        Some(p) => Said::new(
            format!("ligne {}, colonne {} : {}", p.line, p.column, said.fr),
            format!("line {}, column {}: {}", p.line, p.column, said.en),
        ),
        None => said,
    }
}

/// Where a span starts: line and column (from 1), and the `[table]` header
/// when the line is one (serde points a table's missing key at its header,
/// and a missing key of the top level at the file's first line).
struct Place {
    line: usize,
    column: usize,
    table_header: Option<String>,
}

impl Place {
    fn of(text: &str, at: usize) -> Place {
        let before = &text[..at];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line_text = text[line_start..].lines().next().unwrap_or_default().trim();
        Place {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
            table_header: line_text.starts_with('[').then(|| line_text.to_string()),
        }
    }
}

enum Shape<'a> {
    MissingKey(&'a str),
    UnknownKey {
        key: &'a str,
        expected: Vec<&'a str>,
    },
    UnknownValue {
        value: &'a str,
        expected: Vec<&'a str>,
    },
    WrongType {
        found: &'a str,
        expected: &'a str,
    },
    OutOfRange {
        found: &'a str,
        expected: &'a str,
    },
    DuplicateKey(&'a str),
    Syntax(String),
}

impl<'a> Shape<'a> {
    fn of(message: &'a str) -> Shape<'a> {
        if let Some(rest) = message.strip_prefix("missing field ") {
            return Shape::MissingKey(ticked(rest).unwrap_or(rest));
        }
        if let Some(rest) = message.strip_prefix("unknown field ") {
            if let Some(key) = ticked(rest) {
                return Shape::UnknownKey {
                    key,
                    expected: expected_list(rest),
                };
            }
        }
        if let Some(rest) = message.strip_prefix("unknown variant ") {
            if let Some(value) = ticked(rest) {
                return Shape::UnknownValue {
                    value,
                    expected: expected_list(rest),
                };
            }
        }
        for (prefix, out_of_range) in [("invalid type: ", false), ("invalid value: ", true)] {
            if let Some((found, expected)) = message
                .strip_prefix(prefix)
                .and_then(|rest| rest.split_once(", expected "))
            {
                return match out_of_range {
                    false => Shape::WrongType { found, expected },
                    true => Shape::OutOfRange { found, expected },
                };
            }
        }
        if let Some(rest) = message.strip_prefix("duplicate key ") {
            return Shape::DuplicateKey(ticked(rest).unwrap_or(rest));
        }
        Shape::Syntax(message.lines().collect::<Vec<_>>().join(" ; "))
    }
}

/// The first `word` between backticks.
fn ticked(text: &str) -> Option<&str> {
    let start = text.find('`')? + 1;
    let len = text[start..].find('`')?;
    Some(&text[start..start + len])
}

/// The names after "expected" in "…, expected `a`" / "…, expected one of `a`, `b`".
fn expected_list(text: &str) -> Vec<&str> {
    let Some((_, expected)) = text.split_once(", expected ") else {
        return Vec::new();
    };
    expected
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|name| !name.is_empty())
        .collect()
}

fn list(names: &[&str]) -> String {
    match names.is_empty() {
        true => "—".into(),
        false => names.join(", "),
    }
}

fn found_fr(found: &str) -> String {
    let found = found.replace('`', "");
    for (en, fr) in [
        ("string ", "le texte "),
        ("integer ", "le nombre "),
        ("floating point ", "le nombre "),
        ("boolean ", "le booléen "),
    ] {
        if let Some(rest) = found.strip_prefix(en) {
            return format!("{fr}{rest}");
        }
    }
    match found.as_str() {
        "sequence" => "une liste".into(),
        "map" => "une table".into(),
        other => other.into(),
    }
}

/// serde's words for what it found, without its backticks (`integer \`7\``).
fn found_en(found: &str) -> String {
    let found = found.replace('`', "");
    for (word, said) in [
        ("string ", "the text "),
        ("integer ", "the number "),
        ("floating point ", "the number "),
        ("boolean ", "the boolean "),
    ] {
        if let Some(rest) = found.strip_prefix(word) {
            return format!("{said}{rest}");
        }
    }
    match found.as_str() {
        "sequence" => "a list".into(),
        "map" => "a table".into(),
        other => other.into(),
    }
}

/// serde's words for what it expected: Rust's type names ("usize") said
/// as a person would.
fn expected_en(expected: &str) -> String {
    match expected {
        "u8" => "a whole number from 0 to 255".into(),
        "u16" => "a whole number from 0 to 65535".into(),
        "u32" | "u64" | "usize" => "a whole number, zero or more".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number".into(),
        "f32" | "f64" => "a number".into(),
        "a string" => "a text between quotes".into(),
        "a boolean" => "true or false".into(),
        "a character" => "a single character between quotes".into(),
        "a sequence" => "a list between brackets [ ]".into(),
        "a map" => "a table".into(),
        other if other.starts_with("struct ") => "a table".into(),
        other => other.into(),
    }
}

fn expected_fr(expected: &str) -> String {
    match expected {
        STATUS_CODE_EXPECTED => {
            "un code de statut à trois chiffres, de 100 à 999, écrit sans guillemets (par ex. 212)"
                .into()
        }
        "u8" => "un nombre entier de 0 à 255".into(),
        "u16" => "un nombre entier de 0 à 65535".into(),
        "u32" | "u64" | "usize" => "un nombre entier positif ou nul".into(),
        "i8" | "i16" | "i32" | "i64" | "isize" => "un nombre entier".into(),
        "f32" | "f64" => "un nombre".into(),
        "a string" => "un texte entre guillemets".into(),
        "a boolean" => "true ou false".into(),
        "a character" => "un seul caractère entre guillemets".into(),
        "a sequence" => "une liste entre crochets [ ]".into(),
        "a map" => "une table".into(),
        other if other.starts_with("struct ") => "une table".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Lang;

    fn both(message: &str, span: Option<Range<usize>>, text: &str) -> (String, String) {
        let said = toml_problem(message, span, text);
        (said.text(Lang::Fr).into(), said.text(Lang::En).into())
    }

    #[test]
    fn toml_and_serde_errors_are_said_in_both_languages_with_where() {
        // Messages and spans as toml 0.8 gives them.
        let text = "skip_rows = 1\n[columns]\nstatus = \"a\"\n";
        let (fr, en) = both("missing field `name`", Some(0..13), text);
        assert_eq!(
            fr,
            "clé « name » manquante au niveau principal du fichier (hors des [tables])"
        );
        assert!(en.starts_with("key \"name\" missing"), "{en}");
        let (fr, _) = both("missing field `status`", Some(14..23), text);
        assert_eq!(
            fr,
            "clé « status » manquante dans la table [columns] (ligne 2)"
        );

        let text = "name = \"x\"\nnom = 1\n";
        let (fr, en) = both(
            "unknown field `nom`, expected one of `name`, `skip_rows`",
            Some(11..14),
            text,
        );
        assert_eq!(
            fr,
            "ligne 2, colonne 1 : clé inconnue « nom » (clés possibles : name, skip_rows)"
        );
        assert_eq!(
            en,
            "line 2, column 1: unknown key \"nom\" (possible keys: name, skip_rows)"
        );

        let text = "name = \"x\"\nskip_rows = \"deux\"\n";
        let (fr, en) = both(
            "invalid type: string \"deux\", expected u32",
            Some(23..29),
            text,
        );
        assert_eq!(
            fr,
            "ligne 2, colonne 13 : valeur de mauvais type : le texte \"deux\", alors qu'il faut un nombre entier positif ou nul"
        );
        // Rust's type names are said in words in English too.
        assert_eq!(
            en,
            "line 2, column 13: wrong type of value: the text \"deux\", expected a whole number, zero or more"
        );
        let (fr, en) = both("invalid value: integer `2000000`, expected u16", None, "");
        assert_eq!(
            fr,
            "valeur hors limites : le nombre 2000000, alors qu'il faut un nombre entier de 0 à 65535"
        );
        assert_eq!(
            en,
            "value out of range: the number 2000000, expected a whole number from 0 to 65535"
        );
        let (_, en) = both("invalid type: string \"x\", expected usize", None, "");
        assert!(!en.contains("usize"), "{en}");
        let (fr, _) = both(
            "unknown variant `ssl`, expected one of `tls`, `starttls`, `plain`",
            None,
            "",
        );
        assert_eq!(
            fr,
            "valeur inconnue « ssl » (valeurs possibles : tls, starttls, plain)"
        );
        let (fr, _) = both(
            "duplicate key `name` in document root",
            Some(11..12),
            "name = \"x\"\nname = \"y\"\n",
        );
        assert_eq!(fr, "ligne 2, colonne 1 : clé « name » écrite deux fois");
        let (fr, en) = both(
            "invalid string\nexpected `\"`, `'`",
            Some(7..8),
            "name = x\n",
        );
        assert!(
            fr.starts_with("ligne 1, colonne 8 : syntaxe TOML invalide (invalid string ; expected `\"`, `'`) ; un texte s'écrit entre guillemets"),
            "{fr}"
        );
        assert!(
            en.starts_with("line 1, column 8: invalid TOML syntax"),
            "{en}"
        );
        // A span out of the text (values that came from elsewhere) is not a place.
        let (fr, _) = both("unknown field `x`, expected `y`", Some(500..501), "a = 1");
        assert_eq!(fr, "clé inconnue « x » (clés possibles : y)");
    }
}
