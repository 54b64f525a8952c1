//! Turning the lines of `users.csv` and `clients.csv` into store records,
//! collecting every problem rather than stopping at the first.

use super::columns::{CLIENT_COLUMNS, USER_COLUMNS};
use super::errors::{FileProblem, RowError, RowProblem};
use crate::table::{delimiter_label, Columns, Table};
use cabready_store::domain::{
    parse_amount_cents, parse_bool, parse_day, parse_decimal, parse_discord_id, split_list,
    CategorySource, Email, Financials, MandateStatus, PlatformState, Problem, Role, Siren,
    SizeCategory, VatRegime, VatRegimeSchedule,
};
use cabready_store::dossiers::{ActivityFlags, ContactRecord, DossierRecord};
use cabready_store::users::UserRecord;
use cabready_store::Lang;
use chrono::NaiveDate;
use std::collections::HashMap;

/// The valid lines of a file (with their line numbers) and the errors of the others.
#[derive(Debug, Default)]
pub struct Parsed<T> {
    pub rows: Vec<(u64, T)>,
    pub errors: Vec<RowError>,
    pub ignored_columns: Vec<String>,
    pub description: String,
}

/// Collects the problems of one line.
struct Line<'a> {
    number: u64,
    columns: &'a Columns,
    record: &'a csv::StringRecord,
    errors: Vec<RowError>,
}

impl<'a> Line<'a> {
    fn cell(&self, name: &str) -> &'a str {
        self.columns.get(self.record, name)
    }

    fn fail(&mut self, name: &str, problem: RowProblem) {
        // The value as read, cut: the error names it, it does not reprint it.
        let cell = self.cell(name);
        let value = match cell.chars().count() > 80 {
            true => format!("{}…", cell.chars().take(80).collect::<String>()),
            false => cell.to_string(),
        };
        self.errors.push(RowError {
            line: self.number,
            column: Some(self.columns.header(name).to_string()),
            problem,
            value,
        });
    }

    /// Parses a required cell.
    fn required<T>(&mut self, name: &str, parse: impl Fn(&str) -> Result<T, Problem>) -> Option<T> {
        match parse(self.cell(name)) {
            Ok(v) => Some(v),
            Err(p) => {
                self.fail(name, RowProblem::Value(p));
                None
            }
        }
    }

    /// Parses an optional cell: `Ok(None)` when empty or absent.
    fn optional<T>(
        &mut self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, Problem>,
    ) -> Result<Option<T>, ()> {
        if self.cell(name).is_empty() {
            return Ok(None);
        }
        match parse(self.cell(name)) {
            Ok(v) => Ok(Some(v)),
            Err(p) => {
                self.fail(name, RowProblem::Value(p));
                Err(())
            }
        }
    }

    fn text(&mut self, name: &str, max: usize) -> Option<String> {
        let value = self.cell(name).to_string();
        if value.chars().count() > max {
            self.fail(name, RowProblem::Value(Problem::TooLong(max)));
            return None;
        }
        Some(value)
    }
}

/// Decodes a file and matches its header; every record then goes through `each`.
fn read_file<T>(
    bytes: &[u8],
    specs: &[crate::table::ColumnSpec],
    lang: Lang,
    mut each: impl FnMut(&mut Line<'_>) -> Option<T>,
) -> Result<Parsed<T>, FileProblem> {
    let table = Table::parse(bytes).map_err(FileProblem::Table)?;
    let delimiter = delimiter_label(table.delimiter, lang);
    let columns = Columns::match_headers(&table.headers, specs).map_err(|missing| {
        FileProblem::MissingColumns {
            missing,
            found: table.headers.clone(),
            delimiter: delimiter.clone(),
        }
    })?;
    let mut parsed = Parsed {
        rows: Vec::new(),
        errors: Vec::new(),
        ignored_columns: columns.unknown.clone(),
        description: format!(
            "{}, {} {delimiter}",
            table.encoding.label(),
            lang.pick("séparateur", "delimiter")
        ),
    };
    let expected = table.headers.len();
    for (number, record) in table.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let error = RowError {
                    line: number,
                    column: None,
                    problem: RowProblem::Unreadable(e),
                    value: String::new(),
                };
                parsed.errors.push(error);
                continue;
            }
        };
        // Extra filled cells, or a whole line in one cell, mean a delimiter or quoting problem.
        let filled = record
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.trim().is_empty())
            .last()
            .map_or(0, |(i, _)| i + 1);
        if filled > expected || (record.len() == 1 && expected > 1) {
            let problem = RowProblem::FieldCount {
                found: record.len(),
                expected,
            };
            parsed.errors.push(RowError {
                line: number,
                column: None,
                problem,
                value: String::new(),
            });
            continue;
        }
        let mut line = Line {
            number,
            columns: &columns,
            record: &record,
            errors: Vec::new(),
        };
        let row = each(&mut line);
        match row {
            Some(row) if line.errors.is_empty() => parsed.rows.push((number, row)),
            _ => parsed.errors.append(&mut line.errors),
        }
    }
    Ok(parsed)
}

pub fn users(bytes: &[u8], lang: Lang) -> Result<Parsed<UserRecord>, FileProblem> {
    let mut first_line_of: HashMap<Email, u64> = HashMap::new();
    read_file(bytes, USER_COLUMNS, lang, |line| {
        let email = line.required("email", Email::parse);
        let role = line.required("role", Role::parse);
        let discord_id = line.optional("discord_id", parse_discord_id).ok()?;
        let name = line.text("nom", 200)?;
        let mut portfolios = split_list(line.cell("portefeuilles"));
        portfolios.sort();
        portfolios.dedup();
        let email = email?;
        if let Some(first_line) = first_line_of.get(&email) {
            line.fail(
                "email",
                RowProblem::DuplicateEmail {
                    first_line: *first_line,
                },
            );
            return None;
        }
        first_line_of.insert(email.clone(), line.number);
        Some(UserRecord {
            email,
            name,
            role: role?,
            discord_id,
            portfolios,
        })
    })
}

/// A required text of at most `max` characters (a 20 MB company name is a
/// broken file, not a name).
fn bounded(raw: &str, max: usize) -> Result<String, Problem> {
    match raw.chars().count() {
        0 => Err(Problem::Required),
        n if n > max => Err(Problem::TooLong(max)),
        _ => Ok(raw.to_string()),
    }
}

/// A line of the clients file: the dossier, the platform it already
/// chose (name as written, checked against the firm's later) with its
/// state, and its delegation mandate's status if the file gives one.
#[derive(Debug, Clone)]
pub struct ClientRow {
    pub dossier: DossierRecord,
    pub platform: Option<(String, PlatformState)>,
    pub mandate: Option<MandateCell>,
}

/// The `mandat` cell of a line: the delegation mandate's status, already
/// collected, and the day it was reached (`mandat_date`, at most today).
#[derive(Debug, Clone)]
pub struct MandateCell {
    pub status: MandateStatus,
    pub reached: Option<NaiveDate>,
    /// The column's header as written in the file, and the cell as read:
    /// what a warning about this line names.
    pub column: String,
    pub value: String,
}

/// A client line: the dossier it describes. `today` (the program's clock)
/// bounds the dates a line may give.
pub fn clients(
    bytes: &[u8],
    lang: Lang,
    today: NaiveDate,
) -> Result<Parsed<ClientRow>, FileProblem> {
    let mut first_line_of_code: HashMap<String, u64> = HashMap::new();
    let mut first_line_of_siren: HashMap<Siren, u64> = HashMap::new();
    read_file(bytes, CLIENT_COLUMNS, lang, |line| {
        let code = line.required("code_dossier", |raw| bounded(raw, 40));
        let legal_name = line.required("raison_sociale", |raw| bounded(raw, 200));
        let siren = line.required("siren", Siren::parse_or_from_siret);
        let headcount = line.optional("effectif", |raw| {
            let value = parse_decimal(raw)?;
            if value < 0.0 {
                Err(Problem::NegativeNumber)
            } else {
                Ok(value)
            }
        });
        let turnover = line.optional("chiffre_affaires", parse_amount_cents);
        let balance_sheet = line.optional("total_bilan", parse_amount_cents);
        let category_override = line.optional("categorie", SizeCategory::parse);
        let vat_regime = line.optional("regime_tva", VatRegime::parse);
        let contact_email = line.optional("contact_email", Email::parse);
        let owner = line.optional("collaborateur", Email::parse);
        let flag = |line: &mut Line<'_>, name: &str| {
            line.optional(name, parse_bool).map(|b| b.unwrap_or(false))
        };
        let flags = (
            flag(line, "b2c"),
            flag(line, "international"),
            flag(line, "groupe_tva"),
            flag(line, "option_debits"),
        );
        let platform_state = line.optional("etat_plateforme", PlatformState::parse);
        let platform = line.text("plateforme", 100)?;
        if platform.is_empty() && matches!(platform_state, Ok(Some(_))) {
            line.fail("etat_plateforme", RowProblem::PlatformStateWithoutPlatform);
        }
        let mandate_status = line.optional("mandat", MandateStatus::parse);
        let mandate_date = line.optional("mandat_date", |raw| {
            let day = parse_day(raw)?;
            match day > today {
                true => Err(Problem::DateInFuture { today }),
                false => Ok(day),
            }
        });
        if matches!(mandate_status, Ok(None)) && matches!(mandate_date, Ok(Some(_))) {
            line.fail("mandat_date", RowProblem::MandateDateWithoutStatus);
        }
        let legal_form = line.text("forme_juridique", 100)?;
        let contact_name = line.text("contact_nom", 200)?;
        let portfolio = line.text("portefeuille", 100)?;
        let mut tags = split_list(line.cell("tags"));
        tags.sort();
        tags.dedup();

        if let Some(code) = &code {
            if let Some(first_line) = first_line_of_code.get(code) {
                line.fail(
                    "code_dossier",
                    RowProblem::DuplicateCode {
                        first_line: *first_line,
                    },
                );
            } else {
                first_line_of_code.insert(code.clone(), line.number);
            }
        }
        if let Some(siren) = &siren {
            if let Some(first_line) = first_line_of_siren.get(siren) {
                line.fail(
                    "siren",
                    RowProblem::DuplicateSiren {
                        first_line: *first_line,
                    },
                );
            } else {
                first_line_of_siren.insert(siren.clone(), line.number);
            }
        }
        let contact_email = contact_email.ok()?;
        if contact_email.is_none() && !contact_name.is_empty() {
            line.fail("contact_email", RowProblem::ContactEmailMissing);
        }
        let financials = Financials {
            headcount: headcount.ok()?,
            turnover: turnover.ok()?,
            balance_sheet: balance_sheet.ok()?,
        };
        let category = match category_override.ok()? {
            Some(category) => Some((category, CategorySource::Override)),
            None => SizeCategory::derive(&financials).map(|c| (c, CategorySource::Derived)),
        };
        let (b2c, international, vat_group, debits_option) = flags;
        let platform_state = platform_state.ok()?;
        let mandate = match (mandate_status.ok()?, mandate_date.ok()?) {
            (Some(status), reached) => Some(MandateCell {
                status,
                reached,
                column: line.columns.header("mandat").to_string(),
                value: line.cell("mandat").to_string(),
            }),
            (None, _) => None,
        };
        let dossier = DossierRecord {
            code: code?,
            legal_name: legal_name?,
            siren: siren?,
            legal_form: Some(legal_form).filter(|s| !s.is_empty()),
            financials,
            category,
            vat: vat_regime
                .ok()?
                .map(|r| VatRegimeSchedule::for_declared(r, financials.turnover)),
            flags: ActivityFlags {
                b2c: b2c.ok()?,
                international: international.ok()?,
                vat_group: vat_group.ok()?,
                debits_option: debits_option.ok()?,
            },
            owner: owner.ok()?,
            portfolio: Some(portfolio).filter(|s| !s.is_empty()),
            tags,
            contact: contact_email.map(|email| ContactRecord {
                name: contact_name,
                email,
            }),
        };
        Some(ClientRow {
            dossier,
            platform: Some(platform)
                .filter(|p| !p.is_empty())
                .map(|p| (p, platform_state.unwrap_or(PlatformState::Chosen))),
            mandate,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn common_export_headers_are_recognised() {
        let file =
            "Code;Raison sociale;SIRET;Adresse e-mail\nC1;Garage;73282932000074;gerant@garage.fr\n";
        let parsed = clients(file.as_bytes(), Lang::Fr, today()).unwrap();
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let row = &parsed.rows[0].1;
        assert_eq!(row.dossier.siren.as_str(), "732829320");
        assert_eq!(
            row.dossier.contact.as_ref().map(|c| c.email.as_str()),
            Some("gerant@garage.fr")
        );
    }

    #[test]
    fn a_huge_name_is_refused_and_not_reprinted() {
        let file = format!(
            "code_dossier;raison_sociale;siren\nC1;{};732829320\nC2;Garage;552100554\n",
            "A".repeat(10_000)
        );
        let parsed = clients(file.as_bytes(), Lang::Fr, today()).unwrap();
        assert_eq!(parsed.rows.len(), 1);
        let error = &parsed.errors[0];
        assert_eq!(error.problem, RowProblem::Value(Problem::TooLong(200)));
        assert_eq!(error.value.chars().count(), 81, "cut, with an ellipsis");
    }
}
