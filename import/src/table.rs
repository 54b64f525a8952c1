//! Reading delimited text as French accounting software exports it:
//! UTF-8 with or without BOM, or Windows-1252; `;` or `,` (or tab)
//! detected from the header; headers matched whatever their case, accents
//! and spacing, with aliases.

use cabready_store::domain::fold;
use cabready_store::{Lang, Said};
use std::collections::HashMap;

/// The text encodings we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Windows1252,
}

impl TextEncoding {
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Windows1252 => "Windows-1252",
        }
    }
}

/// Decodes a file: UTF-8 (a BOM is dropped) when it is valid UTF-8,
/// otherwise Windows-1252, which is what French accounting software writes.
pub fn decode(bytes: &[u8]) -> (String, TextEncoding) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => (text.to_string(), TextEncoding::Utf8),
        Err(_) => {
            let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
            (text.into_owned(), TextEncoding::Windows1252)
        }
    }
}

/// Picks the delimiter that splits the header line into the most fields
/// (quotes respected). `None` when the line holds none of them.
pub fn detect_delimiter(header_line: &str) -> Option<u8> {
    let count = |delimiter: u8| {
        let mut in_quotes = false;
        header_line
            .bytes()
            .filter(|b| {
                if *b == b'"' {
                    in_quotes = !in_quotes;
                }
                !in_quotes && *b == delimiter
            })
            .count()
    };
    [b';', b',', b'\t']
        .into_iter()
        .map(|d| (count(d), d))
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, d)| (*n, *d == b';'))
        .map(|(_, d)| d)
}

pub fn delimiter_label(delimiter: u8, lang: Lang) -> String {
    match delimiter {
        b'\t' => lang.pick("tabulation", "tab").to_string(),
        d if lang == Lang::Fr => format!("« {} »", d as char),
        d => format!("'{}'", d as char),
    }
}

/// One column we know, with the header spellings we accept (folded).
#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    /// The canonical name, as documented (French).
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub required: bool,
}

/// Where each known column sits in a file, and the header as the file wrote it.
#[derive(Debug, Clone)]
pub struct Columns {
    positions: HashMap<&'static str, (usize, String)>,
    /// Headers we did not recognise (ignored, reported as a warning).
    pub unknown: Vec<String>,
}

impl Columns {
    /// Matches the file's headers to the specs; returns the names of the
    /// required columns that are missing.
    pub fn match_headers(
        headers: &[String],
        specs: &[ColumnSpec],
    ) -> Result<Columns, Vec<&'static str>> {
        let mut positions = HashMap::new();
        let mut unknown = Vec::new();
        for (index, header) in headers.iter().enumerate() {
            let key = fold(header);
            match specs
                .iter()
                .find(|s| fold(s.name) == key || s.aliases.iter().any(|a| fold(a) == key))
            {
                Some(spec) if !positions.contains_key(spec.name) => {
                    positions.insert(spec.name, (index, header.trim().to_string()));
                }
                _ if header.trim().is_empty() => {}
                _ => unknown.push(header.trim().to_string()),
            }
        }
        let missing: Vec<&'static str> = specs
            .iter()
            .filter(|s| s.required && !positions.contains_key(s.name))
            .map(|s| s.name)
            .collect();
        if missing.is_empty() {
            Ok(Columns { positions, unknown })
        } else {
            Err(missing)
        }
    }

    pub fn has(&self, name: &str) -> bool {
        self.positions.contains_key(name)
    }

    /// The trimmed cell of a known column; empty when absent.
    pub fn get<'r>(&self, record: &'r csv::StringRecord, name: &str) -> &'r str {
        self.positions
            .get(name)
            .and_then(|(i, _)| record.get(*i))
            .map(str::trim)
            .unwrap_or("")
    }

    /// The header as written in the file (for error messages), or the canonical name.
    pub fn header<'a>(&'a self, name: &'a str) -> &'a str {
        self.positions
            .get(name)
            .map(|(_, h)| h.as_str())
            .unwrap_or(name)
    }
}

/// The line of the first byte that is not UTF-8 in a file that is mostly
/// UTF-8 (accented letters written both ways): decoding it all as
/// Windows-1252 would turn every UTF-8 "é" into "Ã©" without a word.
/// `None` for a file in one encoding.
fn mixed_encoding_line(bytes: &[u8]) -> Option<u64> {
    let mut utf8_letters = false;
    let mut first_invalid = None;
    let mut offset = 0;
    for chunk in bytes.utf8_chunks() {
        utf8_letters |= !chunk.valid().is_ascii();
        offset += chunk.valid().len();
        if !chunk.invalid().is_empty() && first_invalid.is_none() {
            first_invalid = Some(offset);
        }
        offset += chunk.invalid().len();
    }
    let at = first_invalid.filter(|_| utf8_letters)?;
    Some(bytes[..at].iter().filter(|b| **b == b'\n').count() as u64 + 1)
}

/// A decoded delimited file, ready to be read record by record.
pub struct Table {
    pub encoding: TextEncoding,
    pub delimiter: u8,
    pub headers: Vec<String>,
    text: String,
}

/// Why a file could not be read at all.
#[derive(Debug, Clone, PartialEq)]
pub enum TableError {
    Empty,
    NoDelimiter {
        header: String,
    },
    Csv(String),
    /// UTF-8 and Windows-1252 in one file: the first line in the other one.
    MixedEncoding {
        line: u64,
    },
    /// NUL bytes: a program, an archive, a spreadsheet's own format.
    NotText,
}

impl TableError {
    pub fn message(&self, lang: Lang) -> String {
        match (self, lang) {
            (Self::Empty, Lang::Fr) => "le fichier est vide (aucune ligne d'en-tête)".into(),
            (Self::Empty, Lang::En) => "the file is empty (no header line)".into(),
            (Self::NoDelimiter { header }, Lang::Fr) => format!(
                "ligne 1 : aucun séparateur reconnu dans l'en-tête ; attendu « ; » ou « , » (lu : {header})"
            ),
            (Self::NoDelimiter { header }, Lang::En) => {
                format!("line 1: no known delimiter in the header; expected ';' or ',' (read: {header})")
            }
            (Self::MixedEncoding { line }, Lang::Fr) => format!(
                "ligne {line} : caractères dans un autre encodage que le reste du fichier (UTF-8 et Windows-1252 mélangés) ; enregistrez le fichier entier en UTF-8 depuis votre tableur"
            ),
            (Self::MixedEncoding { line }, Lang::En) => format!(
                "line {line}: characters in another encoding than the rest of the file (UTF-8 and Windows-1252 mixed); save the whole file as UTF-8 from your spreadsheet"
            ),
            (Self::NotText, Lang::Fr) => "ce n'est pas un fichier texte : un tableur (.xlsx, .ods) s'enregistre d'abord en CSV (séparateur point-virgule)".into(),
            (Self::NotText, Lang::En) => "this is not a text file: save a spreadsheet (.xlsx, .ods) as CSV first (semicolon-separated)".into(),
            (Self::Csv(e), Lang::Fr) => format!("fichier CSV illisible : {e}"),
            (Self::Csv(e), Lang::En) => format!("unreadable CSV file: {e}"),
        }
    }
}

impl Table {
    pub fn parse(bytes: &[u8]) -> Result<Table, TableError> {
        if bytes.iter().take(64 * 1024).any(|b| *b == 0) {
            return Err(TableError::NotText);
        }
        if let Some(line) = mixed_encoding_line(bytes) {
            return Err(TableError::MixedEncoding { line });
        }
        let (text, encoding) = decode(bytes);
        let header_line = text
            .lines()
            .find(|l| !l.trim().is_empty())
            .ok_or(TableError::Empty)?;
        let delimiter = match detect_delimiter(header_line) {
            Some(d) => d,
            // A single-column header is legitimate only for single-column files; we have none.
            None => {
                return Err(TableError::NoDelimiter {
                    header: header_line.chars().take(120).collect(),
                })
            }
        };
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| TableError::Csv(e.to_string()))?
            .iter()
            .map(|h| h.trim().to_string())
            .collect();
        Ok(Table {
            encoding,
            delimiter,
            headers,
            text,
        })
    }

    /// The data records with their line number in the file (the header is
    /// line 1). A cell that holds a line break is an error of its record:
    /// no column of these files takes one, and it is what an unclosed quote
    /// does, swallowing the lines after it into one cell.
    pub fn records(&self) -> impl Iterator<Item = (u64, Result<csv::StringRecord, Said>)> + '_ {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(self.delimiter)
            .flexible(true)
            .from_reader(self.text.as_bytes());
        // Read the header now so that the iterator yields data records only.
        let _ = reader.headers();
        let mut lines = LineCounter {
            text: self.text.as_bytes(),
            offset: 0,
            line: 1,
        };
        reader
            .into_records()
            .filter_map(move |result| match result {
                Ok(record) => {
                    if record.iter().all(|cell| cell.trim().is_empty()) {
                        return None; // blank lines and trailing ";;;;" lines
                    }
                    let line = record
                        .position()
                        .map(|p| lines.line_at(p.byte()))
                        .unwrap_or(0);
                    let breaks: u64 = record
                        .iter()
                        .map(|cell| cell.trim_end().matches('\n').count() as u64)
                        .sum();
                    if record.iter().any(|cell| cell.contains(['\n', '\r'])) {
                        return Some((line, Err(unclosed_quote(line + breaks))));
                    }
                    Some((line, Ok(record)))
                }
                Err(e) => {
                    let line = e.position().map(|p| lines.line_at(p.byte())).unwrap_or(0);
                    Some((
                        line,
                        Err(Said::new(
                            format!("CSV illisible ({e})"),
                            format!("unreadable CSV ({e})"),
                        )),
                    ))
                }
            })
    }
}

/// What an unclosed quote does to a line: it runs on to `last`.
pub fn unclosed_quote(last: u64) -> Said {
    Said::new(
        format!("un guillemet ouvert n'est pas refermé : la ligne se poursuit jusqu'à la ligne {last}, lue comme une seule cellule ; refermez le guillemet (ou doublez-le : \"\")"),
        format!("a quote is not closed: the line runs on to line {last}, read as one cell; close the quote (or double it: \"\")"),
    )
}

/// A line with more or fewer cells than the header has columns.
pub fn field_count(found: usize, expected: usize) -> Said {
    Said::new(
        format!(
            "{found} colonnes au lieu de {expected} : vérifiez le séparateur et les guillemets"
        ),
        format!("{found} columns instead of {expected}: check the delimiter and quotes"),
    )
}

/// Line numbers from byte offsets, counted once over the file. (The csv
/// crate's own line numbers drift after blank lines.)
struct LineCounter<'a> {
    text: &'a [u8],
    offset: usize,
    line: u64,
}

impl LineCounter<'_> {
    /// The line where the record starting at `byte` has its first character.
    fn line_at(&mut self, byte: u64) -> u64 {
        let mut target = (byte as usize).min(self.text.len());
        // A record "starts" before the blank lines the reader skipped.
        while target < self.text.len() && matches!(self.text[target], b'\r' | b'\n') {
            target += 1;
        }
        if target >= self.offset {
            self.line += self.text[self.offset..target]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            self.offset = target;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_utf8_bom_and_windows_1252() {
        assert_eq!(
            decode(b"\xEF\xBB\xBFcode;raison"),
            ("code;raison".to_string(), TextEncoding::Utf8)
        );
        let (text, enc) = decode(b"Soci\xe9t\xe9 G\xe9n\xe9rale \x80");
        assert_eq!(text, "Société Générale €");
        assert_eq!(enc, TextEncoding::Windows1252);
    }

    #[test]
    fn detects_delimiters_outside_quotes() {
        assert_eq!(detect_delimiter("code;nom;siren"), Some(b';'));
        assert_eq!(detect_delimiter("code,nom,siren"), Some(b','));
        assert_eq!(detect_delimiter("\"a,b\";c"), Some(b';'));
        assert_eq!(detect_delimiter("code\tnom"), Some(b'\t'));
        assert_eq!(detect_delimiter("code|nom|siren"), None);
    }

    #[test]
    fn headers_matched_with_aliases_accents_and_case() {
        let specs = [
            ColumnSpec {
                name: "raison_sociale",
                aliases: &["legal_name"],
                required: true,
            },
            ColumnSpec {
                name: "chiffre_affaires",
                aliases: &["turnover", "CA"],
                required: false,
            },
        ];
        let headers = vec![
            "Raison Sociale".to_string(),
            "CA".to_string(),
            "Divers".to_string(),
        ];
        let columns = Columns::match_headers(&headers, &specs).unwrap();
        assert!(columns.has("chiffre_affaires"));
        assert_eq!(columns.header("raison_sociale"), "Raison Sociale");
        assert_eq!(columns.unknown, vec!["Divers"]);
        let missing = Columns::match_headers(&["CA".to_string()], &specs).unwrap_err();
        assert_eq!(missing, vec!["raison_sociale"]);
    }

    #[test]
    fn records_carry_file_line_numbers() {
        let table = Table::parse(b"a;b\n1;2\n\n\"x\ny\";3\n4;5\n").unwrap();
        let lines: Vec<u64> = table.records().map(|(l, _)| l).collect();
        assert_eq!(lines, vec![2, 4, 6]);
    }

    #[test]
    fn an_unclosed_quote_is_said_not_swallowed() {
        let file = b"code;nom;siren\nQ1;\"Soci\xc3\xa9t\xc3\xa9 \"\"A\"\";600000004\n\n;;\nQ2;Beta;600079198\nQ3;Gamma;732829320\n";
        let records: Vec<_> = Table::parse(file).unwrap().records().collect();
        assert_eq!(records[0].0, 2);
        let said = records[0].1.as_ref().unwrap_err();
        assert!(
            said.fr.starts_with(
                "un guillemet ouvert n'est pas refermé : la ligne se poursuit jusqu'à la ligne 6"
            ),
            "{said:?}"
        );
        // Here the quote runs to the end of the file: one record, said so.
        assert_eq!(records.len(), 1, "{records:?}");
        // A quote closed on a later line: the lines between are named, the rest read.
        let file = b"code;nom\nQ1;\"Beta\nQ2;Gamma\"\nQ3;Delta\n";
        let records: Vec<_> = Table::parse(file).unwrap().records().collect();
        let said = records[0].1.as_ref().unwrap_err();
        assert!(said.en.contains("runs on to line 3"), "{said:?}");
        assert_eq!(records[1].0, 4);
        assert!(records[1].1.is_ok());
    }

    #[test]
    fn utf8_and_windows_1252_in_one_file_are_refused_with_the_line() {
        let mixed =
            b"code;nom\nM1;Soci\xc3\xa9t\xc3\xa9 G\xc3\xa9n\xc3\xa9rale\nM2;Caf\xe9 du Coin\n";
        assert_eq!(
            Table::parse(mixed).err(),
            Some(TableError::MixedEncoding { line: 3 })
        );
        // A spreadsheet's own format, a program: not text.
        assert_eq!(
            Table::parse(b"PK\x03\x04\x14\x00\x06\x00xl/workbook.xml").err(),
            Some(TableError::NotText)
        );
        // One encoding, whichever: read.
        assert!(Table::parse(b"code;nom\nM2;Caf\xe9 du Coin\n").is_ok());
        assert!(Table::parse("code;nom\nM1;Société\n".as_bytes()).is_ok());
    }
}
