//! `cabready import flux`: platform exports of invoice lifecycle statuses,
//! read through a mapping profile, streamed (a file is never held in
//! memory), written in batches, linked to dossiers by SIREN or dossier
//! code, and followed by an evaluation of the anomaly rules.
//!
//! A bad line is reported as `file:line: field: what is wrong (value)` and
//! the rest is imported; importing a file again adds nothing.

mod decode;
pub mod profile;

pub use profile::{Profile, ProfileError};

use cabready_store::anomalies::{self, AnomalyLimits, Evaluation};
use cabready_store::clock::{paris_day, show_date, show_time};
use cabready_store::domain::{closest, fold, largest_amount, Direction, Problem, Siren};
use cabready_store::invoices::{self, BatchOutcome, FlowEvent, PreparedBatch};
use cabready_store::journal::Actor;
use cabready_store::{dossiers, firms, platforms, Backend, Clock, Lang, Store, StoreError};
use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use tokio::sync::mpsc::{Receiver, Sender};

/// Lines per database batch. Each batch is staged and written set-based, so
/// larger batches cost fewer statements; 20,000 lines hold a few MB in
/// memory.
pub const DEFAULT_BATCH: usize = 20_000;
/// An import commits what it wrote once this long has passed since its last
/// commit (a dry run never: it is one transaction rolled back). Other
/// writers (chat, mail) wait for the import about that long at most, and a
/// crash loses no more. Committing every batch instead cost SQLite a third
/// of a million-line import (8.9 s instead of 5.9-6.4 s): each commit wrote
/// again the index pages that every batch changes.
const COMMIT_EVERY: std::time::Duration = std::time::Duration::from_secs(1);
/// Connections a real import writes on with PostgreSQL (see `import_file`):
/// on this 2-core machine, two took a million lines from 10.2 to 7.5 s.
const POSTGRES_WRITERS: usize = 2;
/// Error messages kept per file (the count goes on).
const MAX_ERRORS_KEPT: usize = 1_000;

#[derive(Debug, Clone)]
pub struct FluxRequest {
    /// `None`: the only firm of the database.
    pub firm: Option<String>,
    pub profile: Profile,
    /// The platform the files come from (default: the profile's `platform`).
    pub source: Option<String>,
    pub files: Vec<PathBuf>,
    pub dry_run: bool,
    pub limits: AnomalyLimits,
    /// Show a progress line on stderr (only honoured when it is a terminal).
    pub progress: bool,
    pub batch_size: usize,
    /// Evaluate the anomaly rules after the import (the CLI always does;
    /// the benchmark times it apart).
    pub evaluate: bool,
}

/// What happened to one file.
#[derive(Debug, Clone, Default)]
pub struct FileSummary {
    pub file: String,
    /// The file could not be read at all.
    pub fatal: Option<String>,
    pub rows_read: u64,
    /// New status events.
    pub imported: u64,
    pub new_invoices: u64,
    /// Events already in the database.
    pub already_known: u64,
    pub rejected: u64,
    /// Known invoices that the file gives with other values than the ones kept.
    pub differing_invoices: u64,
    /// The platform ids of the first few of them.
    pub differing_examples: Vec<String>,
    /// `file:line: field: what is wrong (value)`, the first ones.
    pub errors: Vec<String>,
    /// Rejected lines not told by `errors` (past the first ones, or
    /// swallowed by an unclosed quote), and the line of the first.
    pub untold: u64,
    pub untold_from: Option<u64>,
    pub dossiers: BTreeSet<i64>,
}

#[derive(Debug, Clone, Default)]
pub struct FluxReport {
    pub firm: String,
    pub profile: String,
    pub platform: String,
    pub files: Vec<FileSummary>,
    pub anomalies: Evaluation,
    pub dry_run: bool,
}

impl FluxReport {
    pub fn rejected(&self) -> u64 {
        self.files.iter().map(|f| f.rejected).sum()
    }

    pub fn failed(&self) -> bool {
        self.files.iter().any(|f| f.fatal.is_some())
    }

    /// Whether a file was read at all (then the anomaly rules ran).
    pub fn any_read(&self) -> bool {
        self.files.iter().any(|f| f.fatal.is_none())
    }

    pub fn render(&self, lang: Lang) -> String {
        let mut out = String::new();
        let platform = if self.platform.is_empty() {
            lang.pick("non précisée", "not given").to_string()
        } else {
            self.platform.clone()
        };
        out.push_str(&format!(
            "{} {} — {} {} — {} {platform}\n",
            lang.pick("Cabinet", "Firm"),
            lang.quote(&self.firm),
            lang.pick("profil", "profile"),
            self.profile,
            lang.pick("plateforme", "platform"),
        ));
        let mut all_dossiers = BTreeSet::new();
        for f in &self.files {
            all_dossiers.extend(f.dossiers.iter().copied());
            if let Some(fatal) = &f.fatal {
                out.push_str(&format!("{fatal}\n"));
                continue;
            }
            for e in &f.errors {
                out.push_str(e);
                out.push('\n');
            }
            if let Some(from) = f.untold_from {
                out.push_str(&format!(
                    "{}:{from}: … {} {}\n",
                    f.file,
                    f.untold,
                    lang.pick("autres lignes rejetées", "more rejected lines")
                ));
            }
            out.push_str(&match lang {
                Lang::Fr => format!(
                    "{} : {} ligne(s) lue(s), {} importée(s) ({} nouvelle(s) facture(s)), {} déjà connue(s), {} rejetée(s), {} dossier(s) touché(s)\n",
                    f.file, f.rows_read, f.imported, f.new_invoices, f.already_known, f.rejected, f.dossiers.len()
                ),
                Lang::En => format!(
                    "{}: {} line(s) read, {} imported ({} new invoice(s)), {} already known, {} rejected, {} dossier(s) touched\n",
                    f.file, f.rows_read, f.imported, f.new_invoices, f.already_known, f.rejected, f.dossiers.len()
                ),
            });
            if f.differing_invoices > 0 {
                let more = match f.differing_invoices as usize > f.differing_examples.len() {
                    true => " …",
                    false => "",
                };
                let ids = format!("{}{more}", f.differing_examples.join(", "));
                out.push_str(&match lang {
                    Lang::Fr => format!(
                        "{} : {} facture(s) déjà connue(s) avec d'autres valeurs (numéro, date, SIREN, montants ou devise) : une facture émise ne change pas, CabReady garde celles du premier import (identifiants : {ids}) ; s'il était faux (un mauvais profil), cabready import undo FICHIER l'annule\n",
                        f.file, f.differing_invoices
                    ),
                    Lang::En => format!(
                        "{}: {} known invoice(s) given with other values (number, date, SIREN, amounts or currency): an issued invoice does not change, CabReady keeps those of the first import (ids: {ids}); if it was wrong (a wrong profile), cabready import undo FILE undoes it\n",
                        f.file, f.differing_invoices
                    ),
                });
            }
        }
        // Several files also say their totals (a dossier can be in more
        // than one: it counts once).
        if self.files.len() > 1 {
            let sum = |count: fn(&FileSummary) -> u64| self.files.iter().map(count).sum::<u64>();
            let (read, imported, new, known, rejected) = (
                sum(|f| f.rows_read),
                sum(|f| f.imported),
                sum(|f| f.new_invoices),
                sum(|f| f.already_known),
                sum(|f| f.rejected),
            );
            let (files, unread) = (
                self.files.len(),
                self.files.iter().filter(|f| f.fatal.is_some()).count(),
            );
            out.push_str(&match (lang, unread) {
                (Lang::Fr, 0) => format!("{files} fichiers"),
                (Lang::Fr, _) => format!("{files} fichiers (dont {unread} non lu(s))"),
                (Lang::En, 0) => format!("{files} files"),
                (Lang::En, _) => format!("{files} files ({unread} not read)"),
            });
            out.push_str(&match lang {
                Lang::Fr => format!(
                    " : {read} ligne(s) lue(s), {imported} importée(s) ({new} nouvelle(s) facture(s)), {known} déjà connue(s), {rejected} rejetée(s), {} dossier(s) touché(s) en tout\n",
                    all_dossiers.len()
                ),
                Lang::En => format!(
                    ": {read} line(s) read, {imported} imported ({new} new invoice(s)), {known} already known, {rejected} rejected, {} dossier(s) touched in all\n",
                    all_dossiers.len()
                ),
            });
        }
        // The anomaly rules ran after the files that were read; none was, none ran.
        if self.any_read() {
            out.push_str(&self.anomalies.summary(lang));
            out.push('\n');
        }
        if self.dry_run {
            out.push_str(lang.pick(
                "Simulation (--dry-run) : rien n'a été écrit.\n",
                "Dry run: nothing was written.\n",
            ));
        }
        out
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FluxError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The files' platform is not one of the firm's: a typo would file
    /// every invoice a second time, under another platform.
    #[error("unknown platform {name}")]
    UnknownPlatform {
        name: String,
        /// The firm's platforms.
        known: Vec<String>,
        firm: String,
        /// The profile whose `platform` key named it; `None`: `--source` did.
        from_profile: Option<String>,
    },
}

impl FluxError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            FluxError::UnknownPlatform {
                name,
                known,
                firm,
                from_profile,
            } => {
                let origin = match (from_profile, lang) {
                    (None, _) => "--source".to_string(),
                    (Some(p), Lang::Fr) => format!("clé platform du profil {p}"),
                    (Some(p), Lang::En) => format!("the platform key of profile {p}"),
                };
                let mut out = match lang {
                    Lang::Fr => format!(
                        "« {name} » ({origin}) n'est pas une plateforme agréée connue du cabinet"
                    ),
                    Lang::En => format!(
                        "\"{name}\" ({origin}) is not an approved platform known to the firm"
                    ),
                };
                out.push_str(
                    &match (closest(name, known.iter().map(String::as_str)), lang) {
                        (Some(close), Lang::Fr) => format!(" ; vouliez-vous dire « {close} » ?"),
                        (Some(close), Lang::En) => format!("; did you mean \"{close}\"?"),
                        (None, _) => ".".to_string(),
                    },
                );
                out.push_str(&match (known.is_empty(), lang) {
                    (true, Lang::Fr) => " Le cabinet n'a encore aucune plateforme.".to_string(),
                    (true, Lang::En) => " The firm has no platform yet.".to_string(),
                    (false, Lang::Fr) => format!(" Plateformes du cabinet : {}.", known.join(", ")),
                    (false, Lang::En) => format!(" The firm's platforms: {}.", known.join(", ")),
                });
                if from_profile.is_some() {
                    out.push_str(lang.pick(
                        " Donnez la plateforme des fichiers avec --source, ou corrigez la clé platform du profil.",
                        " Give the files' platform with --source, or correct the profile's platform key.",
                    ));
                }
                out.push_str(&match lang {
                    Lang::Fr => format!(" Pour une autre plateforme : ajoutez-la à « platforms » dans la configuration, puis cabready onboard --firm \"{firm}\" (sans fichier) l'enregistre pour le cabinet."),
                    Lang::En => format!(" For another platform: add it to 'platforms' in the configuration, then cabready onboard --firm \"{firm}\" (without files) registers it for the firm."),
                });
                out
            }
            FluxError::Store(e) => e.user_message(lang),
        }
    }
}

/// The firm's dossiers, by SIREN and by code.
struct DossierIndex {
    by_siren: HashMap<String, i64>,
    by_code: HashMap<String, (i64, String)>,
    /// Each dossier's code, as the firm writes it.
    code_of: HashMap<i64, String>,
}

/// Where each field sits in the file.
struct Positions {
    at: HashMap<&'static str, usize>,
    headers: HashMap<&'static str, String>,
}

impl Positions {
    fn cell<'r>(&self, record: &'r csv::StringRecord, field: &str) -> &'r str {
        self.at
            .get(field)
            .and_then(|i| record.get(*i))
            .map(str::trim)
            .unwrap_or("")
    }
    fn header<'a>(&'a self, field: &'a str) -> &'a str {
        self.headers.get(field).map(String::as_str).unwrap_or(field)
    }
}

struct LineError {
    field: String,
    message: String,
    value: String,
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Runs an import of one or more files with one profile.
pub async fn run(
    store: &Store,
    clock: &Clock,
    request: &FluxRequest,
    lang: Lang,
) -> Result<FluxReport, FluxError> {
    let now = clock.now();
    let mut conn = store.pool().acquire().await.map_err(StoreError::from)?;
    let firm = firms::resolve(&mut conn, request.firm.as_deref()).await?;
    let list = dossiers::list(&mut conn, firm.id, None).await?;
    let index = Arc::new(DossierIndex {
        by_siren: list
            .iter()
            .map(|d| (d.record.siren.to_string(), d.id))
            .collect(),
        by_code: list
            .iter()
            .map(|d| (fold(&d.record.code), (d.id, d.record.siren.to_string())))
            .collect(),
        code_of: list.iter().map(|d| (d.id, d.record.code.clone())).collect(),
    });
    // The platform as the firm spells it, so that one platform is one name;
    // one the firm does not know is a typo that would file every invoice a
    // second time, under another platform.
    let wanted = request
        .source
        .clone()
        .or_else(|| request.profile.file.platform.clone())
        .unwrap_or_default();
    let platform = if wanted.trim().is_empty() {
        String::new()
    } else {
        match platforms::known(&mut conn, firm.id, &wanted).await {
            Ok((_, name)) => name,
            Err(StoreError::UnknownPlatform { name, known }) => {
                return Err(FluxError::UnknownPlatform {
                    name,
                    known,
                    firm: firm.name.clone(),
                    from_profile: match request.source {
                        Some(_) => None,
                        None => Some(request.profile.name().to_string()),
                    },
                })
            }
            Err(e) => return Err(e.into()),
        }
    };
    drop(conn);

    let mut report = FluxReport {
        firm: firm.name.clone(),
        profile: request.profile.name().to_string(),
        platform: platform.clone(),
        dry_run: request.dry_run,
        ..Default::default()
    };
    // A dry run writes in one transaction rolled back at the end, so that
    // its counts are those of the real import.
    let mut tx = store.begin_write().await?;
    // SQLite: no checkpoint at each commit of the import, one after its
    // last (see `Store::set_wal_autocheckpoint`); the setting is the
    // connection's, so it is restored whatever happened.
    let checkpoints = store.set_wal_autocheckpoint(&mut tx, 0).await?;
    let work = async {
        for path in &request.files {
            let summary = import_file(
                store, &mut tx, firm.id, &index, &platform, path, request, lang, now,
            )
            .await?;
            report.files.push(summary);
        }
        if request.evaluate && report.any_read() {
            let files = request
                .files
                .iter()
                .map(|p| p.file_name().unwrap_or(p.as_os_str()).to_string_lossy())
                .collect::<Vec<_>>()
                .join(", ");
            // When the rules ran, not a proof that these files did it: a
            // time limit may have run out meanwhile.
            let cause = cabready_store::Said::new(
                format!("règles réévaluées après l'import de {files}"),
                format!("rules run again after importing {files}"),
            );
            report.anomalies = anomalies::evaluate_after(
                &mut tx,
                firm.id,
                &request.limits,
                now,
                clock.today(),
                Some(&cause),
            )
            .await?;
        }
        Ok::<_, FluxError>(())
    }
    .await;
    let restored = store.set_wal_autocheckpoint(&mut tx, checkpoints).await;
    work?; // the import's own error first
    restored?;
    if request.dry_run {
        tx.rollback().await.map_err(StoreError::from)?;
    } else {
        tx.commit().await.map_err(StoreError::from)?;
        store.truncate_wal().await?;
    }
    Ok(report)
}

fn open_reader(
    path: &Path,
    profile: &Profile,
) -> std::io::Result<(
    Box<dyn BufRead + Send>,
    std::sync::Arc<std::sync::atomic::AtomicU64>,
    u64,
)> {
    let file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if metadata.is_dir() {
        // Opening a directory works; reading it fails later, as a bad encoding.
        return Err(std::io::ErrorKind::IsADirectory.into());
    }
    let size = metadata.len();
    let counting = decode::Counting::new(file);
    let read = counting.read.clone();
    let text: Box<dyn Read + Send> = match profile.encoding {
        profile::Encoding::Utf8 => Box::new(decode::SkipBom::new(counting)),
        profile::Encoding::Windows1252 => Box::new(decode::Windows1252::new(counting)),
    };
    let text = decode::StripCr::new(text);
    Ok((
        Box::new(BufReader::with_capacity(256 * 1024, text)),
        read,
        size,
    ))
}

/// Lines looked at, before and after where the header was expected, for
/// the profile's header when it is not there.
const HEADER_SEARCH_LINES: usize = 5;

/// Whether a line holds every column of the profile: its header.
fn holds_header(line: &str, profile: &Profile) -> bool {
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(profile.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    let mut record = csv::StringRecord::new();
    matches!(csv.read_record(&mut record), Ok(true)) && cells_hold_header(record.iter(), profile)
}

fn cells_hold_header<'a>(cells: impl Iterator<Item = &'a str>, profile: &Profile) -> bool {
    let cells: Vec<String> = cells.map(fold).collect();
    profile
        .file
        .columns
        .fields()
        .iter()
        .all(|(_, header, _)| cells.contains(&fold(header)))
}

/// The usual delimiter, other than the profile's, that reads the header
/// line's columns: every column of the profile, or at least two and more
/// than the profile's delimiter found. `cells` is the line as read with
/// the profile's delimiter.
fn other_delimiter(cells: &[String], profile: &Profile) -> Option<u8> {
    let line = cells.join(&(profile.delimiter as char).to_string());
    let wanted: BTreeSet<String> = profile
        .file
        .columns
        .fields()
        .iter()
        .map(|(_, header, _)| fold(header))
        .collect();
    let found = |cells: &mut dyn Iterator<Item = &str>| {
        let folded: BTreeSet<String> = cells.map(fold).collect();
        wanted.intersection(&folded).count()
    };
    let as_read = found(&mut cells.iter().map(String::as_str));
    [b';', b',', b'\t', b'|']
        .into_iter()
        .filter(|d| *d != profile.delimiter && line.contains(*d as char))
        .map(|d| (found(&mut line.split(d as char)), d))
        .filter(|(n, _)| *n == wanted.len() || (*n >= 2 && *n > as_read))
        .max_by_key(|(n, _)| *n)
        .map(|(_, d)| d)
}

/// A line read as the header that is a line of data: a cell of digits and
/// punctuation only (a SIREN, a date, an amount), which no column's name is.
fn looks_like_data(cells: &[String]) -> bool {
    cells
        .iter()
        .any(|c| c.chars().any(|ch| ch.is_ascii_digit()) && !c.chars().any(char::is_alphabetic))
}

/// The line a record starts on. The reader's own start position lags
/// behind blank lines, the position after the record lags at the end of a
/// file without final newline: both are lower bounds, one is exact.
fn record_line(record: &csv::StringRecord, after: u64) -> u64 {
    let start = record.position().map_or(0, |p| p.line());
    let embedded: u64 = record.iter().map(|f| f.matches('\n').count() as u64).sum();
    start.max(after.saturating_sub(1 + embedded))
}

#[allow(clippy::too_many_arguments)]
async fn import_file(
    store: &Store,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    firm_id: i64,
    index: &Arc<DossierIndex>,
    platform: &str,
    path: &Path,
    request: &FluxRequest,
    lang: Lang,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<FileSummary, FluxError> {
    let profile = &request.profile;
    let file = file_name(path);
    let mut summary = FileSummary {
        file: file.clone(),
        ..Default::default()
    };
    let (mut reader, bytes_read, size) = match open_reader(path, profile) {
        Ok(r) => r,
        Err(e) => {
            summary.fatal = Some(format!(
                "{file}: {}{}{}",
                lang.pick("impossible de lire le fichier", "cannot read the file"),
                lang.colon(),
                cabready_store::io_problem(&e).text(lang)
            ));
            return Ok(summary);
        }
    };
    // Title lines before the header: the first few are kept, to tell a
    // header that `skip_rows` skipped.
    let mut skipped = Vec::new();
    for _ in 0..profile.file.skip_rows {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            break;
        }
        if skipped.len() < HEADER_SEARCH_LINES {
            skipped.push(line);
        }
    }
    let line_offset = profile.file.skip_rows as u64;
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(profile.delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = csv::StringRecord::new();
    let header_line = line_offset + 1;
    match csv.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            // An empty file has no line to point at.
            let at = match size {
                0 => String::new(),
                _ => format!(":{header_line}"),
            };
            summary.fatal = Some(format!(
                "{file}{at}: {}",
                lang.pick(
                    "fichier vide, aucune ligne d'en-tête",
                    "empty file, no header line"
                )
            ));
            return Ok(summary);
        }
        Err(e) => {
            // The csv crate's own message counts records from 0 and lines
            // from the reader's start: only its kind is worth telling.
            let why = match e.kind() {
                csv::ErrorKind::Utf8 { .. } => lang
                    .pick(
                        "ce n'est pas de l'UTF-8 (un export d'Excel est souvent en \"windows-1252\")",
                        "this is not UTF-8 (an Excel export is often \"windows-1252\")",
                    )
                    .to_string(),
                _ => e.to_string(),
            };
            summary.fatal = Some(format!(
                "{file}:{header_line}: {}{}{}{}{why}",
                lang.pick("en-tête", "header"),
                lang.colon(),
                lang.pick(
                    "illisible, vérifiez la clé encoding du profil",
                    "unreadable, check the profile's encoding key"
                ),
                lang.colon(),
            ));
            return Ok(summary);
        }
    }
    let headers: Vec<String> = record.iter().map(|h| h.trim().to_string()).collect();
    let mut positions = Positions {
        at: HashMap::new(),
        headers: HashMap::new(),
    };
    let mut missing = Vec::new();
    for (field, header, _) in profile.file.columns.fields() {
        match headers.iter().position(|h| fold(h) == fold(header)) {
            Some(i) => {
                positions.at.insert(field, i);
                positions.headers.insert(field, headers[i].clone());
            }
            None if !missing.iter().any(|m| m == header) => missing.push(header.to_string()),
            None => {}
        }
    }
    if !missing.is_empty() {
        let delimiter = crate::table::delimiter_label(profile.delimiter, lang);
        // "NÂ° facture", "SIREN Ã©metteur": UTF-8 read as Windows-1252.
        let misread = profile.encoding == profile::Encoding::Windows1252
            && headers.iter().any(|h| decode::misread_utf8(h).is_some());
        let mut hint = match (misread, lang) {
            (false, _) => "",
            (true, Lang::Fr) => " ; ces en-têtes semblent en UTF-8 lus comme du Windows-1252 : le fichier est en UTF-8, mettez encoding = \"utf-8\" dans le profil",
            (true, Lang::En) => "; these headers look like UTF-8 read as Windows-1252: the file is UTF-8, set encoding = \"utf-8\" in the profile",
        }
        .to_string();
        // The profile's header elsewhere: on a line skip_rows skipped, or a
        // few lines further.
        let skip_rows = profile.file.skip_rows as u64;
        let mut found_at = skipped
            .iter()
            .position(|l| holds_header(l, profile))
            .map(|i| i as u64 + 1);
        let mut later = csv::StringRecord::new();
        for _ in 0..HEADER_SEARCH_LINES {
            if found_at.is_some() || !matches!(csv.read_record(&mut later), Ok(true)) {
                break;
            }
            if cells_hold_header(later.iter(), profile) {
                found_at = Some(record_line(&later, csv.position().line()) + line_offset);
            }
        }
        let skips = match (skip_rows, lang) {
            (1, Lang::Fr) => "skip_rows = 1 saute la première ligne".to_string(),
            (n, Lang::Fr) => format!("skip_rows = {n} saute les {n} premières lignes"),
            (1, Lang::En) => "skip_rows = 1 skips the first line".to_string(),
            (n, Lang::En) => format!("skip_rows = {n} skips the first {n} lines"),
        };
        let none_found = missing.len() == profile.file.columns.fields().len();
        let data = looks_like_data(&headers);
        // The header read with another usual delimiter: the profile's
        // `delimiter` is wrong, not its skip_rows.
        let delimiter_hint = other_delimiter(&headers, profile).map(|d| {
            let label = crate::table::delimiter_label(d, lang);
            let key = match d {
                b'\t' => "\\t".to_string(),
                d => (d as char).to_string(),
            };
            match lang {
                Lang::Fr => format!(" ; l'en-tête se lit avec le séparateur {label} : mettez delimiter = \"{key}\" dans le profil"),
                Lang::En => format!("; the header reads with delimiter {label}: set delimiter = \"{key}\" in the profile"),
            }
        });
        let place_hint = match (found_at, lang) {
            (Some(at), Lang::Fr) if at <= skip_rows => format!(
                " ; {skips}, dont l'en-tête du profil (ligne {at}) : mettez skip_rows = {} dans le profil",
                at - 1
            ),
            (Some(at), Lang::En) if at <= skip_rows => format!(
                "; {skips}, the profile's header among them (line {at}): set skip_rows = {} in the profile",
                at - 1
            ),
            (Some(at), Lang::Fr) => format!(
                " ; l'en-tête du profil est à la ligne {at} : mettez skip_rows = {} dans le profil",
                at - 1
            ),
            (Some(at), Lang::En) => format!(
                "; the profile's header is on line {at}: set skip_rows = {} in the profile",
                at - 1
            ),
            (None, Lang::Fr) if skip_rows > 0 && (data || none_found) => {
                format!(" ; {skips} ; l'en-tête est-il à la ligne 1 ?")
            }
            (None, Lang::En) if skip_rows > 0 && (data || none_found) => {
                format!("; {skips}; is the header on line 1?")
            }
            (None, Lang::Fr) if data => format!(
                " ; la ligne {header_line} ressemble à une ligne de données, pas à un en-tête : le fichier a-t-il sa ligne d'en-tête ?"
            ),
            (None, Lang::En) if data => format!(
                "; line {header_line} looks like data, not a header: does the file have its header line?"
            ),
            (None, _) => String::new(),
        };
        hint.push_str(&delimiter_hint.unwrap_or(place_hint));
        summary.fatal = Some(match lang {
            Lang::Fr => format!(
                "{file}:{header_line}: en-tête : colonne(s) du profil {} absente(s) : {} (en-têtes lus avec le séparateur {delimiter} : {}){hint}",
                profile.name(), missing.join(", "), headers.join(" | ")
            ),
            Lang::En => format!(
                "{file}:{header_line}: header: column(s) of profile {} missing: {} (headers read with delimiter {delimiter}: {}){hint}",
                profile.name(), missing.join(", "), headers.join(" | ")
            ),
        });
        return Ok(summary);
    }

    let show_progress = request.progress && std::io::stderr().is_terminal();
    let actor = Actor::Import(file.clone());
    // PostgreSQL works for a connection on one core: a real import writes on
    // two, each the invoices of its half of the keys, so that they never
    // touch the same invoice (SQLite has one writer at a time; a dry run is
    // one transaction, which the anomaly evaluation reads before it rolls
    // back).
    let writers = if request.dry_run || store.backend() != Backend::Postgres {
        1
    } else {
        POSTGRES_WRITERS
    };
    // The lines are read, parsed and prepared for the database in batches
    // on a thread of their own while the previous batches are written: for
    // each writer a batch in the channel, one being read, one being
    // written, so memory stays bounded whatever the file's size.
    let (senders, mut receivers): (Vec<_>, Vec<_>) =
        (0..writers).map(|_| tokio::sync::mpsc::channel(1)).unzip();
    let reading = LineReader {
        columns: headers.len(),
        headers,
        latest: now + chrono::Duration::days(1),
        positions,
        profile: profile.clone(),
        index: index.clone(),
        platform: platform.to_string(),
        lang,
        file: file.clone(),
        line_offset,
        batch_size: request.batch_size.max(1),
        backend: store.backend(),
    };
    let reader = std::thread::spawn(move || reading.run(csv, senders));
    let lines_done = std::sync::atomic::AtomicU64::new(0);
    let progress = |rows_read: u64| {
        if show_progress {
            let rows = lines_done
                .fetch_max(rows_read, Ordering::Relaxed)
                .max(rows_read);
            let done = bytes_read.load(Ordering::Relaxed);
            let pct = (done * 100).checked_div(size).unwrap_or(0);
            let _ = write!(
                std::io::stderr(),
                "\r{file}{}{pct:>3}{} — {rows} {}",
                lang.colon(),
                lang.pick(" %", "%"),
                lang.pick("lignes", "lines")
            );
        }
    };
    let writing = Writing {
        store,
        firm_id,
        file: &file,
        actor: &actor,
        now,
        dry_run: request.dry_run,
        progress: &progress,
    };
    let first = writing.write(tx, receivers.remove(0));
    let total = match receivers.pop() {
        None => {
            let outcome = first.await?;
            invoices::apply_flow_dates(tx, firm_id).await?;
            invoices::journal_dossiers_touched(
                tx,
                firm_id,
                &file,
                platform,
                &outcome.dossiers,
                &actor,
                now,
            )
            .await?;
            outcome
        }
        Some(receiver) => {
            let mut second_tx = store.begin_write().await?;
            let (a, b) = tokio::try_join!(first, writing.write(&mut second_tx, receiver))?;
            // Both commit what they applied: neither may keep dossiers
            // locked while the other (or the next file's writer) applies.
            invoices::apply_flow_dates(&mut second_tx, firm_id).await?;
            second_tx.commit().await.map_err(StoreError::from)?;
            invoices::apply_flow_dates(tx, firm_id).await?;
            let mut total = a;
            total.add(b);
            invoices::journal_dossiers_touched(
                tx,
                firm_id,
                &file,
                platform,
                &total.dossiers,
                &actor,
                now,
            )
            .await?;
            store.commit_and_continue(tx).await?;
            total
        }
    };
    summary.imported = total.new_statuses as u64;
    summary.new_invoices = total.new_invoices as u64;
    summary.already_known = total.known_statuses as u64;
    summary.differing_invoices = total.differing_invoices as u64;
    summary.differing_examples = total.differing_examples;
    summary.dossiers = total.dossiers;
    // The channel closes when the thread is done: joining does not wait.
    let tally = reader
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
    summary.rows_read = tally.rows_read;
    summary.rejected = tally.rejected;
    summary.errors = tally.errors;
    summary.untold = tally.untold;
    summary.untold_from = tally.untold_from;
    if show_progress {
        let _ = writeln!(std::io::stderr());
    }
    Ok(summary)
}

/// What the writers of a file share.
struct Writing<'a> {
    store: &'a Store,
    firm_id: i64,
    file: &'a str,
    actor: &'a Actor,
    now: chrono::DateTime<chrono::Utc>,
    dry_run: bool,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl Writing<'_> {
    /// Writes the batches of one receiver in `tx`, committing once a
    /// second, the dossiers' flow dates applied before each commit (see
    /// `invoices::record_batch_deferred`); the caller applies the rest.
    async fn write(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        mut receiver: Receiver<Parsed>,
    ) -> Result<BatchOutcome, FluxError> {
        let mut total = BatchOutcome::default();
        let mut last_commit = std::time::Instant::now();
        // Where the writer's time goes besides its batches (which
        // `record_batch_deferred` times), for RUST_LOG=cabready_import=debug.
        let (mut waiting, mut committing) = (std::time::Duration::ZERO, std::time::Duration::ZERO);
        loop {
            let asked = std::time::Instant::now();
            let Some(parsed) = receiver.recv().await else {
                break;
            };
            waiting += asked.elapsed();
            let outcome = invoices::record_batch_deferred(
                tx,
                self.firm_id,
                &parsed.batch?,
                self.file,
                self.actor,
                self.now,
            )
            .await?;
            total.add(outcome);
            if !self.dry_run && last_commit.elapsed() >= COMMIT_EVERY {
                let started = std::time::Instant::now();
                invoices::apply_flow_dates(tx, self.firm_id).await?;
                self.store.commit_and_continue(tx).await?;
                last_commit = std::time::Instant::now();
                committing += started.elapsed();
            }
            (self.progress)(parsed.rows_read);
        }
        tracing::debug!(
            waiting_for_lines_ms = waiting.as_millis() as u64,
            committing_ms = committing.as_millis() as u64,
            "flux import: writer done"
        );
        Ok(total)
    }
}

/// A batch of parsed lines, prepared for the database, and how many lines
/// had been read then.
struct Parsed {
    batch: Result<PreparedBatch, StoreError>,
    rows_read: u64,
}

/// What reading a file counted: lines read and rejected, and the first
/// errors as `file:line: field: what is wrong (value)`.
#[derive(Default)]
struct Tally {
    rows_read: u64,
    rejected: u64,
    errors: Vec<String>,
    /// Rejected lines not told by `errors`, and the line of the first.
    untold: u64,
    untold_from: Option<u64>,
}

impl Tally {
    /// Keeps an error if there is room (the first `MAX_ERRORS_KEPT`); says
    /// whether it was kept (a line none of whose errors was is `untold`).
    fn error(&mut self, error: String) -> bool {
        if self.errors.len() < MAX_ERRORS_KEPT {
            self.errors.push(error);
            true
        } else {
            false
        }
    }

    fn untold(&mut self, line: u64, lines: u64) {
        if lines > 0 {
            self.untold += lines;
            self.untold_from.get_or_insert(line);
        }
    }
}

/// Reads and parses a file's lines after its header, on its own thread.
struct LineReader {
    /// The header's number of columns.
    columns: usize,
    /// The header's cells, as the file writes them.
    headers: Vec<String>,
    /// The latest date a line may give: the import's clock and a day, for
    /// time zones and clocks a little ahead. A later one is most often a
    /// day and a month read the wrong way round, and as an invoice's latest
    /// status it would hide every real one after it.
    latest: chrono::DateTime<chrono::Utc>,
    positions: Positions,
    profile: Profile,
    index: Arc<DossierIndex>,
    platform: String,
    lang: Lang,
    file: String,
    line_offset: u64,
    batch_size: usize,
    backend: Backend,
}

impl LineReader {
    /// Sends the parsed lines in batches, each to the writer of its
    /// invoice key; stops early when a receiving side is gone (the import
    /// failed).
    fn run(
        self,
        mut csv: csv::Reader<Box<dyn BufRead + Send>>,
        senders: Vec<Sender<Parsed>>,
    ) -> Tally {
        let (file, lang) = (&self.file, self.lang);
        let mut tally = Tally::default();
        let mut record = csv::StringRecord::new();
        let mut batches: Vec<Vec<FlowEvent>> = senders
            .iter()
            .map(|_| Vec::with_capacity(self.batch_size))
            .collect();
        // For whoever profiles (RUST_LOG=cabready_import=debug): is the
        // reading or the writing the slower side?
        let (started, mut waited) = (std::time::Instant::now(), std::time::Duration::ZERO);
        // The rejected lines not yet told by a batch (its journal line).
        let mut rejected_told = 0;
        let mut untold = |tally: &Tally| {
            let n = tally.rejected - rejected_told;
            rejected_told = tally.rejected;
            n
        };
        loop {
            let line = match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => record_line(&record, csv.position().line()) + self.line_offset,
                Err(e) => {
                    let line = e.position().map_or(0, |p| p.line()) + self.line_offset;
                    tally.rows_read += 1;
                    tally.rejected += 1;
                    let what = match e.kind() {
                        csv::ErrorKind::Utf8 { .. } => lang.pick(
                            "caractères illisibles en UTF-8 (le fichier est-il en Windows-1252 ? voir la clé encoding du profil)",
                            "characters not readable as UTF-8 (is the file Windows-1252? see the profile's encoding key)",
                        ).to_string(),
                        _ => e.to_string(),
                    };
                    let error = format!("{file}:{line}: {}: {what}", lang.pick("ligne", "line"));
                    if !tally.error(error) {
                        tally.untold(line, 1);
                    }
                    continue;
                }
            };
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            tally.rows_read += 1;
            if let Some((problem, swallowed)) = self.shape_problem(&record, line) {
                // The swallowed lines are read and rejected with it: the
                // summary counts every line of the file.
                tally.rows_read += swallowed;
                tally.rejected += 1 + swallowed;
                let error = format!(
                    "{file}:{line}: {}: {}",
                    lang.pick("ligne", "line"),
                    problem.text(lang)
                );
                // The summary's "… N more" points at the quote's line.
                match tally.error(error) {
                    true => tally.untold(line, swallowed),
                    false => tally.untold(line, 1 + swallowed),
                }
                continue;
            }
            let parsed = self.parse_line(&record);
            let event = match parsed {
                Ok(event) => event,
                Err(errors) => {
                    tally.rejected += 1;
                    let mut told = false;
                    for e in errors {
                        told |= tally.error(if e.value.is_empty() {
                            format!("{file}:{line}: {}: {}", e.field, e.message)
                        } else {
                            format!("{file}:{line}: {}: {} ({})", e.field, e.message, e.value)
                        });
                    }
                    if !told {
                        tally.untold(line, 1);
                    }
                    continue;
                }
            };
            let writer = writer_of(&event, senders.len());
            let batch = &mut batches[writer];
            batch.push(event);
            if batch.len() >= self.batch_size {
                let events = std::mem::replace(batch, Vec::with_capacity(self.batch_size));
                let parsed = Parsed {
                    batch: PreparedBatch::new(&events, self.backend)
                        .map(|b| b.with_rejected_lines(untold(&tally))),
                    rows_read: tally.rows_read,
                };
                let before = std::time::Instant::now();
                if senders[writer].blocking_send(parsed).is_err() {
                    return tally;
                }
                waited += before.elapsed();
            }
        }
        for (events, sender) in batches.into_iter().zip(&senders) {
            if !events.is_empty() {
                let _ = sender.blocking_send(Parsed {
                    batch: PreparedBatch::new(&events, self.backend)
                        .map(|b| b.with_rejected_lines(untold(&tally))),
                    rows_read: tally.rows_read,
                });
            }
        }
        tracing::debug!(
            lines = tally.rows_read,
            reading_ms = (started.elapsed() - waited).as_millis() as u64,
            waiting_for_the_database_ms = waited.as_millis() as u64,
            "flux import: file read"
        );
        tally
    }

    /// What is wrong with a date after `latest`, `day` as read (in Paris
    /// `paris`), read with `format`: the limit with its time when the date
    /// is on its day; day and month swapped only when the format writes
    /// them as two numbers that a file written the other way round would
    /// swap, the day could be a month and the swapped date is not in the
    /// future too.
    fn in_the_future(
        &self,
        day: chrono::NaiveDate,
        paris: chrono::NaiveDate,
        format: &str,
    ) -> String {
        use chrono::Datelike;
        let latest = match paris == paris_day(self.latest) {
            true => show_time(self.latest, self.lang),
            false => show_date(paris_day(self.latest), self.lang),
        };
        let swapped = match day.day() {
            1..=12 if day_and_month_may_swap(format) => {
                chrono::NaiveDate::from_ymd_opt(day.year(), day.day(), day.month())
            }
            _ => None,
        };
        let swappable = swapped.is_some_and(|s| s <= self.latest.date_naive());
        match (swappable, self.lang) {
            (true, Lang::Fr) => format!(
                "date dans le futur (après le {latest}) : jour et mois inversés ? vérifiez le format de date du profil"
            ),
            (true, Lang::En) => format!(
                "date in the future (after {latest}): day and month swapped? check the profile's date format"
            ),
            (false, Lang::Fr) => format!("date dans le futur (après le {latest})"),
            (false, Lang::En) => format!("date in the future (after {latest})"),
        }
    }

    /// A line that is not one record of the header's shape: an unclosed
    /// quote (a cell holding lines that have as many delimiters as a whole
    /// record; a reason written over two lines has not), or another number
    /// of cells than the header has (empty cells after the last column, as
    /// some spreadsheets write them, are let be).
    fn shape_problem(
        &self,
        record: &csv::StringRecord,
        line: u64,
    ) -> Option<(cabready_store::Said, u64)> {
        let delimiter = self.profile.delimiter as char;
        let whole_record = |l: &str| l.matches(delimiter).count() + 1 >= self.columns.max(2);
        // The records the open quote swallowed: each is read, and lost, with
        // this line.
        let swallowed = record
            .iter()
            .map(|cell| cell.lines().skip(1).filter(|l| whole_record(l)).count() as u64)
            .sum::<u64>();
        if swallowed > 0 {
            let breaks: usize = record
                .iter()
                .map(|c| c.trim_end().matches('\n').count())
                .sum();
            let last = line + breaks as u64;
            return Some((
                cabready_store::Said::new(
                    format!("un guillemet ouvert n'est pas refermé : la ligne se poursuit jusqu'à la ligne {last}, lue comme une seule cellule ; les {swallowed} ligne(s) qu'elle englobe ne sont pas importées : refermez le guillemet (ou doublez-le : \"\") et importez à nouveau le fichier"),
                    format!("a quote is not closed: the line runs on to line {last}, read as one cell; the {swallowed} line(s) it swallows are not imported: close the quote (or double it: \"\") and import the file again"),
                ),
                swallowed,
            ));
        }
        let extra_filled = record
            .iter()
            .skip(self.columns)
            .any(|c| !c.trim().is_empty());
        if record.len() < self.columns || extra_filled {
            return Some((crate::table::field_count(record.len(), self.columns), 0));
        }
        None
    }

    fn parse_line(&self, record: &csv::StringRecord) -> Result<FlowEvent, Vec<LineError>> {
        let (pos, profile, index, platform, lang) = (
            &self.positions,
            &self.profile,
            &*self.index,
            self.platform.as_str(),
            self.lang,
        );
        // A UTF-8 file read as Windows-1252: its accented text would be
        // stored garbled ("erronÃ©"), for good. Lines in plain ASCII read
        // the same either way, and are imported.
        if profile.encoding == profile::Encoding::Windows1252 {
            let misread = record
                .iter()
                .enumerate()
                .find_map(|(i, cell)| decode::misread_utf8(cell).map(|utf8| (i, cell, utf8)));
            if let Some((i, cell, utf8)) = misread {
                let field = match self.headers.get(i).filter(|h| !h.is_empty()) {
                    Some(header) => header.clone(),
                    None => lang.pick("encodage", "encoding").to_string(),
                };
                let message = match lang {
                    Lang::Fr => format!("texte en UTF-8 lu comme du Windows-1252 ({}) : le fichier est en UTF-8, mettez encoding = \"utf-8\" dans le profil", lang.quote(utf8.trim())),
                    Lang::En => format!("UTF-8 text read as Windows-1252 ({}): the file is UTF-8, set encoding = \"utf-8\" in the profile", lang.quote(utf8.trim())),
                };
                return Err(vec![LineError {
                    field,
                    message,
                    value: cell.trim().to_string(),
                }]);
            }
        }
        let mut errors: Vec<LineError> = Vec::new();
        macro_rules! fail {
            ($field:expr, $message:expr, $value:expr $(,)?) => {
                errors.push(LineError {
                    field: pos.header($field).to_string(),
                    message: $message,
                    value: ($value).to_string(),
                })
            };
        }
        let required = lang.pick("valeur obligatoire manquante", "required value is missing");

        let platform_invoice_id = pos.cell(record, "platform_invoice_id");
        if platform_invoice_id.is_empty() {
            fail!("platform_invoice_id", required.into(), "");
        }
        let invoice_number = pos.cell(record, "invoice_number");
        if invoice_number.is_empty() {
            fail!("invoice_number", required.into(), "");
        }
        let raw_date = pos.cell(record, "issue_date");
        let issue_date = if raw_date.is_empty() {
            None
        } else {
            let d = profile.parse_date(raw_date);
            if d.is_none() {
                fail!(
                    "issue_date",
                    format!(
                        "{} {})",
                        lang.pick(
                            "date illisible (format attendu :",
                            "unreadable date (expected format:"
                        ),
                        profile.date_example()
                    ),
                    raw_date,
                );
            }
            if let Some(d) = d.filter(|d| *d > self.latest.date_naive()) {
                let format = &profile.file.date_format;
                fail!("issue_date", self.in_the_future(d, d, format), raw_date);
            }
            d
        };
        let raw_status = pos.cell(record, "status");
        let code = if raw_status.is_empty() {
            fail!("status", required.into(), "");
            None
        } else {
            let c = profile.parse_status(raw_status);
            if c.is_none() {
                fail!(
                "status",
                lang.pick(
                    "statut inconnu : ajoutez-le à la section [statuses] du profil avec son code (200 à 213, ou un autre code à trois chiffres)",
                    "unknown status: add it to the profile's [statuses] section with its code (200 to 213, or another three-digit code)",
                )
                .into(),
                raw_status,
            );
            }
            c
        };
        let raw_at = pos.cell(record, "status_at");
        let status_at = if raw_at.is_empty() {
            fail!("status_at", required.into(), "");
            None
        } else {
            let t = profile.parse_datetime(raw_at);
            if t.is_none() {
                fail!(
                    "status_at",
                    format!(
                        "{} {})",
                        lang.pick(
                            "date et heure illisibles (format attendu :",
                            "unreadable date and time (expected format:"
                        ),
                        profile.datetime_example()
                    ),
                    raw_at,
                );
            }
            if let Some(t) = t.filter(|t| *t > self.latest) {
                let day = t.with_timezone(&profile.timezone).date_naive();
                // An RFC 3339 time is ISO whatever the profile's format.
                let format = match chrono::DateTime::parse_from_rfc3339(raw_at) {
                    Ok(_) => "%Y-%m-%dT%H:%M:%S%:z",
                    Err(_) => profile.file.datetime_format.as_str(),
                };
                fail!(
                    "status_at",
                    self.in_the_future(day, paris_day(t), format),
                    raw_at
                );
            }
            t
        };
        let mut amount = |field: &str| -> Option<i64> {
            let raw = pos.cell(record, field);
            if raw.is_empty() {
                return None;
            }
            let v = profile.amount_or_why(raw);
            if v == Err(Problem::NumberTooLarge) {
                let largest = largest_amount(profile.decimal);
                fail!(
                    field,
                    match lang {
                        Lang::Fr => format!("montant trop grand (au plus {largest})"),
                        Lang::En => format!("amount too large (at most {largest})"),
                    },
                    raw,
                );
            } else if v.is_err() {
                fail!(
                    field,
                    format!(
                        "{} {}{} {}{})",
                        lang.pick(
                            "montant illisible (attendu par exemple",
                            "unreadable amount (expected for instance"
                        ),
                        lang.quote(&format!("1 234{}56", profile.decimal)),
                        lang.pick(" : séparateur décimal", ": decimal separator"),
                        lang.quote(&profile.decimal.to_string()),
                        lang.pick(
                            ", chiffres groupés par trois, deux décimales au plus",
                            ", digits grouped by three, two decimals at most"
                        ),
                    ),
                    raw,
                );
            }
            v.ok()
        };
        let amount_ht = amount("amount_ht");
        let amount_ttc = amount("amount_ttc");
        // Tax is added, never taken off: an invoice (or a credit note, both
        // negative) whose TTC is nearer zero than its HT has its columns wrong.
        if let (Some(ht), Some(ttc)) = (amount_ht, amount_ttc) {
            if (ht < 0 && ttc > 0) || (ht > 0 && ttc < 0) {
                fail!(
                "amount_ttc",
                lang.pick(
                    "montants HT et TTC de signes opposés : un avoir a ses deux montants négatifs",
                    "amounts excl. and incl. tax of opposite signs: a credit note has both negative",
                )
                .into(),
                &format!("{} / {}", pos.cell(record, "amount_ht"), pos.cell(record, "amount_ttc")),
            );
            } else if (ht >= 0 && ttc >= 0 && ttc < ht) || (ht <= 0 && ttc <= 0 && ttc > ht) {
                fail!(
                    "amount_ttc",
                    lang.pick(
                        "montant TTC inférieur au montant HT : les colonnes sont-elles inversées ?",
                        "amount incl. tax below the amount excl. tax: are the columns swapped?",
                    )
                    .into(),
                    pos.cell(record, "amount_ttc"),
                );
            }
        }
        // A currency is a three-letter ISO code (EUR), not a word ("EURO").
        let currency = pos.cell(record, "currency").trim();
        let iso_code = currency.len() == 3 && currency.bytes().all(|b| b.is_ascii_alphabetic());
        if !currency.is_empty() && !iso_code {
            fail!(
                "currency",
                lang.pick(
                    "devise : un code ISO à trois lettres est attendu (EUR)",
                    "currency: a three-letter ISO code is expected (EUR)",
                )
                .into(),
                currency,
            );
        }

        // Direction: the column, else the profile's, else what the SIRENs say.
        let seller_raw = pos.cell(record, "seller_siren");
        let buyer_raw = pos.cell(record, "buyer_siren");
        // Platforms often export the establishment's SIRET: its SIREN is
        // its first nine digits (as at onboarding).
        let seller = Siren::parse_or_from_siret(seller_raw);
        let buyer = Siren::parse_or_from_siret(buyer_raw);
        let raw_direction = pos.cell(record, "direction");
        let from_column = pos.at.contains_key("direction") && !raw_direction.is_empty();
        let mut direction = if from_column {
            let d = profile.parse_direction(raw_direction);
            if d.is_none() {
                fail!(
                "direction",
                lang.pick(
                    "sens inconnu : ajoutez-le à la section [direction_values] du profil (emitted ou received)",
                    "unknown direction: add it to the profile's [direction_values] section (emitted or received)",
                )
                .into(),
                raw_direction,
            );
            }
            d
        } else {
            profile.direction
        };
        let is_ours = |s: &Result<Siren, _>| {
            s.as_ref()
                .ok()
                .is_some_and(|s| index.by_siren.contains_key(s.as_str()))
        };
        let dossier_ref = pos.cell(record, "dossier_ref");
        let mut dossier_id = None;
        let mut dossier_siren = None;
        if !dossier_ref.is_empty() {
            match index.by_code.get(&fold(dossier_ref)) {
                Some((id, siren)) => {
                    dossier_id = Some(*id);
                    dossier_siren = Some(siren.as_str());
                    if direction.is_none() {
                        direction = if seller.as_ref().is_ok_and(|s| s.as_str() == siren) {
                            Some(Direction::Emitted)
                        } else if buyer.as_ref().is_ok_and(|s| s.as_str() == siren) {
                            Some(Direction::Received)
                        } else {
                            None
                        };
                    }
                }
                None => fail!(
                    "dossier_ref",
                    lang.pick(
                        "aucun dossier du cabinet n'a ce code",
                        "no dossier of the firm has this code"
                    )
                    .into(),
                    dossier_ref,
                ),
            }
        }
        if direction.is_none() && !errors.iter().any(|e| e.field == pos.header("direction")) {
            direction = if is_ours(&seller) {
                Some(Direction::Emitted)
            } else if is_ours(&buyer) {
                Some(Direction::Received)
            } else {
                None
            };
        }
        let siren_problem_text = |p: &cabready_store::domain::Problem| p.message(lang);
        let mut siren_problem = None;
        match direction {
            Some(d) => {
                let (ours_field, ours, ours_raw, theirs_field, theirs, theirs_raw) = match d {
                    Direction::Emitted => (
                        "seller_siren",
                        &seller,
                        seller_raw,
                        "buyer_siren",
                        &buyer,
                        buyer_raw,
                    ),
                    Direction::Received => (
                        "buyer_siren",
                        &buyer,
                        buyer_raw,
                        "seller_siren",
                        &seller,
                        seller_raw,
                    ),
                };
                // The profile says every line goes one way, yet the other
                // side is the firm's dossier: the export holds the other
                // direction too.
                let other_side = theirs
                    .as_ref()
                    .ok()
                    .filter(|_| !from_column && profile.direction.is_some())
                    .and_then(|s| {
                        let id = index.by_siren.get(s.as_str())?;
                        Some((s.to_string(), index.code_of.get(id)?.clone()))
                    });
                match ours {
                Err(p) => fail!(ours_field, siren_problem_text(p), ours_raw),
                Ok(s) if dossier_id.is_none() => match index.by_siren.get(s.as_str()) {
                    Some(id) => dossier_id = Some(*id),
                    None if other_side.is_some() => {
                        let (siren, code) = other_side.unwrap_or_default();
                        let message = match (d, lang) {
                            (Direction::Received, Lang::Fr) => format!("le vendeur {siren} est le dossier {code} : une facture émise dans un export déclaré direction = \"received\" ?"),
                            (Direction::Emitted, Lang::Fr) => format!("l'acheteur {siren} est le dossier {code} : une facture reçue dans un export déclaré direction = \"emitted\" ?"),
                            (Direction::Received, Lang::En) => format!("the seller {siren} is dossier {code}: an emitted invoice in an export declared direction = \"received\"?"),
                            (Direction::Emitted, Lang::En) => format!("the buyer {siren} is dossier {code}: a received invoice in an export declared direction = \"emitted\"?"),
                        };
                        fail!(ours_field, message, ours_raw);
                    }
                    // A SIRET is said as one, with the SIREN it gives.
                    None if siret_of(ours_raw).is_some() => fail!(
                        ours_field,
                        match lang {
                            Lang::Fr => format!("aucun dossier du cabinet n'a le SIREN {s} (SIRET {}) : importez le client, ou ajoutez une colonne dossier_ref", siret_of(ours_raw).unwrap_or_default()),
                            Lang::En => format!("no dossier of the firm has the SIREN {s} (SIRET {}): import the client, or add a dossier_ref column", siret_of(ours_raw).unwrap_or_default()),
                        },
                        "",
                    ),
                    None => fail!(
                        ours_field,
                        lang.pick(
                            "aucun dossier du cabinet n'a ce SIREN (importez le client, ou ajoutez une colonne dossier_ref)",
                            "no dossier of the firm has this SIREN (import the client, or add a dossier_ref column)",
                        )
                        .into(),
                        ours_raw,
                    ),
                },
                // `dossier_ref` names the dossier; its SIREN must still be
                // this side's, or the line would be filed under the wrong company.
                Ok(s) => {
                    if let Some(siren) = dossier_siren.filter(|d| !d.is_empty() && *d != s.as_str()) {
                        let (fr_side, en_side) = match d {
                            Direction::Emitted => ("du vendeur", "seller's"),
                            Direction::Received => ("de l'acheteur", "buyer's"),
                        };
                        let message = match lang {
                            Lang::Fr => format!("le SIREN de ce dossier ({siren}) n'est pas celui {fr_side} ({s}) : corrigez le code du dossier ou le SIREN"),
                            Lang::En => format!("this dossier's SIREN ({siren}) is not the {en_side} ({s}): correct the dossier code or the SIREN"),
                        };
                        fail!("dossier_ref", message, dossier_ref);
                    }
                }
            }
                // The counterpart's SIREN is kept even when invalid: it is an anomaly, not a lost line.
                // An empty one is not a SIREN to look into but a missing value.
                if theirs_raw.is_empty() {
                    fail!(theirs_field, required.into(), "");
                } else if theirs.is_err() {
                    siren_problem = Some(theirs_field.to_string());
                }
            }
            None if dossier_id.is_none() && errors.is_empty() => fail!(
                "seller_siren",
                lang.pick(
                    "ni le vendeur ni l'acheteur n'est un dossier du cabinet",
                    "neither the seller nor the buyer is a dossier of the firm",
                )
                .into(),
                &format!("{seller_raw} / {buyer_raw}"),
            ),
            None if errors.is_empty() => fail!(
                "dossier_ref",
                lang.pick(
                    "le SIREN du dossier n'est ni celui du vendeur ni celui de l'acheteur",
                    "the dossier's SIREN is neither the seller's nor the buyer's",
                )
                .into(),
                dossier_ref,
            ),
            None => {}
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(code), Some(status_at), Some(direction), Some(dossier_id)) =
            (code, status_at, direction, dossier_id)
        else {
            return Err(vec![LineError {
                field: lang.pick("ligne", "line").into(),
                message: lang.pick("ligne incomplète", "incomplete line").into(),
                value: String::new(),
            }]);
        };
        let compact = |raw: &str, parsed: &Result<Siren, _>| match parsed {
            Ok(s) => s.to_string(),
            Err(_) => raw.to_string(),
        };
        let label = pos.cell(record, "status_label");
        let reason = pos.cell(record, "status_reason");
        Ok(FlowEvent {
            dossier_id,
            platform: platform.to_string(),
            platform_invoice_id: platform_invoice_id.to_string(),
            invoice_number: invoice_number.to_string(),
            issue_date,
            direction,
            seller_siren: compact(seller_raw, &seller),
            buyer_siren: compact(buyer_raw, &buyer),
            siren_problem,
            amount_ht,
            amount_ttc,
            currency: if currency.is_empty() {
                profile.file.default_currency.clone()
            } else {
                currency.to_uppercase()
            },
            code,
            status_at,
            label: if label.is_empty() { raw_status } else { label }.to_string(),
            reason: (!reason.is_empty()).then(|| reason.to_string()),
        })
    }
}

/// Whether a date format writes the day and the month as two numbers a
/// file could have the other way round (`%d/%m/%Y`, `%m/%d/%Y`,
/// `%d.%m.%Y`); not when the year comes first (`%Y-%m-%d`, `%Y%m%d`: the
/// ISO order, which no one writes with day and month swapped).
fn day_and_month_may_swap(format: &str) -> bool {
    let at = |spec: &str| format.find(spec);
    let year = at("%Y").or(at("%y")).or(at("%C")).or(at("%G"));
    match (at("%d"), at("%m")) {
        (Some(d), Some(m)) => year.is_none_or(|y| y > d.min(m)),
        _ => false,
    }
}

/// The 14 digits of a cell that holds a SIRET (spaces and dots aside).
fn siret_of(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (digits.len() == 14).then_some(digits)
}

/// The writer of a line: by its invoice key, so that an invoice's lines
/// all go to one writer.
fn writer_of(event: &FlowEvent, writers: usize) -> usize {
    use std::hash::{Hash, Hasher};
    if writers == 1 {
        return 0;
    }
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (&event.platform, &event.platform_invoice_id).hash(&mut hasher);
    (hasher.finish() % writers as u64) as usize
}
