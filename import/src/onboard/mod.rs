//! `cabready onboard`: a firm's users and client list, imported all or
//! nothing (or only the valid lines with `--skip-invalid`), idempotent, and
//! journaled line by line.

mod columns;
mod errors;
mod parse;

pub use columns::{CLIENT_COLUMNS, USER_COLUMNS};
pub use errors::{FileProblem, RowError, RowProblem};

use cabready_store::clock::{paris_day_start, show_date};
use cabready_store::domain::MandateKind;
use cabready_store::dossiers;
use cabready_store::journal::{Actor, Change};
use cabready_store::mandates::{self, Imported};
use cabready_store::platforms::{self, PlatformChange};
use cabready_store::users;
use cabready_store::{firms, Clock, Lang, Said, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Paris;
use parse::{ClientRow, MandateCell, Parsed};
use std::path::{Path, PathBuf};

/// What the user asked.
#[derive(Debug, Clone)]
pub struct OnboardRequest {
    pub firm: String,
    pub users: Option<PathBuf>,
    pub clients: Option<PathBuf>,
    pub dry_run: bool,
    pub skip_invalid: bool,
    /// The configured platform names: registered with the firm (a new one,
    /// or those an existing firm lacks).
    pub platforms: Vec<String>,
}

/// Counts of what an import did (or would do).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl Counts {
    fn add(&mut self, change: &Change) {
        match change {
            Change::Created => self.created += 1,
            Change::Updated(_) => self.updated += 1,
            Change::Unchanged => self.unchanged += 1,
        }
    }

    pub fn changes(&self) -> usize {
        self.created + self.updated
    }
}

/// The report of one file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub file: String,
    pub description: String,
    pub counts: Counts,
    pub errors: Vec<RowError>,
    /// Lines imported, but not entirely as written (a mandate status the
    /// register already went past).
    pub warnings: Vec<RowError>,
    /// Delegation mandates whose status was (or would be) recorded from
    /// the file's `mandat` column.
    pub mandates: usize,
    pub ignored_columns: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct OnboardReport {
    pub firm: String,
    pub firm_created: bool,
    pub users: Option<FileReport>,
    pub clients: Option<FileReport>,
    /// Whether anything was written (false for a dry run or a refused import).
    pub applied: bool,
    pub dry_run: bool,
}

impl OnboardReport {
    pub fn error_count(&self) -> usize {
        [&self.users, &self.clients]
            .iter()
            .filter_map(|f| f.as_ref())
            .map(|f| f.errors.len())
            .sum()
    }

    /// True when the import was refused because of invalid lines.
    pub fn refused(&self) -> bool {
        self.error_count() > 0 && !self.applied && !self.dry_run
    }

    pub fn render(&self, lang: Lang, skip_invalid: bool) -> String {
        let mut out = String::new();
        let firm_state = match (self.firm_created, lang) {
            (true, Lang::Fr) => "nouveau cabinet",
            (true, Lang::En) => "new firm",
            (false, Lang::Fr) => "cabinet existant",
            (false, Lang::En) => "existing firm",
        };
        out.push_str(&format!(
            "{} {} ({firm_state})\n",
            lang.pick("Cabinet", "Firm"),
            lang.quote(&self.firm)
        ));
        for (kind, file) in [
            (lang.pick("Utilisateurs", "Users"), &self.users),
            (lang.pick("Dossiers", "Dossiers"), &self.clients),
        ] {
            let Some(file) = file else { continue };
            out.push_str(&format!("{kind} — {} ({})\n", file.file, file.description));
            if !file.ignored_columns.is_empty() {
                out.push_str(&format!(
                    "  {}{}{}\n",
                    lang.pick("colonnes ignorées (inconnues)", "ignored columns (unknown)"),
                    lang.colon(),
                    file.ignored_columns.join(", ")
                ));
            }
            let c = &file.counts;
            // A dry run says what would be done, not what was.
            out.push_str(&match (lang, self.dry_run) {
                (Lang::Fr, false) => format!(
                    "  {} créé(s), {} mis à jour, {} inchangé(s)",
                    c.created, c.updated, c.unchanged
                ),
                (Lang::Fr, true) => format!(
                    "  {} à créer, {} à mettre à jour, {} inchangé(s)",
                    c.created, c.updated, c.unchanged
                ),
                (Lang::En, false) => format!(
                    "  {} created, {} updated, {} unchanged",
                    c.created, c.updated, c.unchanged
                ),
                (Lang::En, true) => format!(
                    "  {} to create, {} to update, {} unchanged",
                    c.created, c.updated, c.unchanged
                ),
            });
            if !file.errors.is_empty() {
                out.push_str(&match lang {
                    Lang::Fr => format!(", {} ligne(s) en erreur", lines_in_error(&file.errors)),
                    Lang::En => format!(", {} line(s) in error", lines_in_error(&file.errors)),
                });
            }
            if !file.warnings.is_empty() {
                out.push_str(&match lang {
                    Lang::Fr => format!(", {} avertissement(s)", file.warnings.len()),
                    Lang::En => format!(", {} warning(s)", file.warnings.len()),
                });
            }
            out.push('\n');
            if file.mandates > 0 {
                out.push_str(&match (lang, self.dry_run) {
                    (Lang::Fr, false) => format!(
                        "  {} mandat(s) de délégation enregistré(s) depuis le fichier\n",
                        file.mandates
                    ),
                    (Lang::Fr, true) => format!(
                        "  {} mandat(s) de délégation à enregistrer depuis le fichier\n",
                        file.mandates
                    ),
                    (Lang::En, false) => format!(
                        "  {} delegation mandate(s) recorded from the file\n",
                        file.mandates
                    ),
                    (Lang::En, true) => format!(
                        "  {} delegation mandate(s) to record from the file\n",
                        file.mandates
                    ),
                });
            }
            for error in &file.errors {
                out.push_str(&format!("  {}: {}\n", file.file, error.message(lang)));
            }
            for warning in &file.warnings {
                out.push_str(&format!(
                    "  {}: {}{}{}\n",
                    file.file,
                    lang.pick("avertissement", "warning"),
                    lang.colon(),
                    warning.message(lang)
                ));
            }
        }
        let total_changes: usize = [&self.users, &self.clients]
            .iter()
            .filter_map(|f| f.as_ref())
            .map(|f| f.counts.changes())
            .sum();
        let conclusion = match (self.refused(), self.dry_run, lang) {
            (true, _, Lang::Fr) => "Rien n'a été importé : corrigez les lignes ci-dessus, ou relancez avec --skip-invalid pour importer seulement les lignes valides.".to_string(),
            (true, _, Lang::En) => "Nothing was imported: fix the lines above, or run again with --skip-invalid to import only the valid lines.".to_string(),
            (false, true, Lang::Fr) => format!("Simulation (--dry-run) : {total_changes} changement(s) seraient appliqués, rien n'a été écrit."),
            (false, true, Lang::En) => format!("Dry run: {total_changes} change(s) would be applied, nothing was written."),
            (false, false, Lang::Fr) => format!("{total_changes} changement(s) appliqué(s).{}", if skip_invalid && self.error_count() > 0 { " Les lignes en erreur ont été ignorées." } else { "" }),
            (false, false, Lang::En) => format!("{total_changes} change(s) applied.{}", if skip_invalid && self.error_count() > 0 { " Lines in error were skipped." } else { "" }),
        };
        out.push_str(&conclusion);
        out.push('\n');
        out
    }
}

fn lines_in_error(errors: &[RowError]) -> usize {
    let mut lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
    lines.dedup();
    lines.len()
}

/// Why onboarding could not run at all.
#[derive(Debug, thiserror::Error)]
pub enum OnboardError {
    #[error("{file}: {problem:?}")]
    File { file: String, problem: FileProblem },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl OnboardError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            OnboardError::File { file, problem } => format!("{file}: {}", problem.message(lang)),
            OnboardError::Store(e) => e.user_message(lang),
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn read<T>(
    path: &Path,
    lang: Lang,
    parse: impl Fn(&[u8], Lang) -> Result<Parsed<T>, FileProblem>,
) -> Result<(FileReport, Vec<(u64, T)>), OnboardError> {
    let file = file_name(path);
    let bytes = std::fs::read(path).map_err(|e| OnboardError::File {
        file: file.clone(),
        problem: FileProblem::Unreadable(cabready_store::io_problem(&e)),
    })?;
    let parsed = parse(&bytes, lang).map_err(|problem| OnboardError::File {
        file: file.clone(),
        problem,
    })?;
    let report = FileReport {
        file,
        description: parsed.description,
        counts: Counts::default(),
        errors: parsed.errors,
        ignored_columns: parsed.ignored_columns,
        ..Default::default()
    };
    Ok((report, parsed.rows))
}

/// Runs an onboarding: reads and checks both files, then writes in one
/// transaction, or not at all.
pub async fn run(
    store: &Store,
    clock: &Clock,
    request: &OnboardRequest,
    lang: Lang,
) -> Result<OnboardReport, OnboardError> {
    let now = clock.now();
    let users_file = request
        .users
        .as_deref()
        .map(|p| read(p, lang, parse::users))
        .transpose()?;
    let clients_file = request
        .clients
        .as_deref()
        .map(|p| {
            read(p, lang, |bytes, lang| {
                parse::clients(bytes, lang, clock.today())
            })
        })
        .transpose()?;

    let mut tx = store.begin_write().await?;
    let (firm, firm_created) = firms::ensure(
        &mut tx,
        &request.firm,
        &request.platforms,
        &Actor::System,
        now,
    )
    .await?;
    let mut report = OnboardReport {
        firm: firm.name.clone(),
        firm_created,
        dry_run: request.dry_run,
        ..Default::default()
    };

    let (mut users_report, user_rows) =
        users_file.map_or((None, Vec::new()), |(r, rows)| (Some(r), rows));
    let (mut clients_report, mut client_rows) =
        clients_file.map_or((None, Vec::new()), |(r, rows)| (Some(r), rows));

    if let Some(clients_report) = clients_report.as_mut() {
        let existing_users = users::list(&mut tx, firm.id).await?;
        let known_roles: Vec<(String, cabready_store::domain::Role)> = existing_users
            .iter()
            .map(|u| (u.record.email.to_string(), u.record.role))
            .chain(user_rows.iter().map(|(_, u)| (u.email.to_string(), u.role)))
            .collect();
        let mut kept = Vec::with_capacity(client_rows.len());
        for (line, row) in client_rows.drain(..) {
            let errors = check_against_firm(&mut tx, firm.id, line, &row, &known_roles).await?;
            if errors.is_empty() {
                kept.push((line, row));
            } else {
                clients_report.errors.extend(errors);
            }
        }
        clients_report.errors.sort_by_key(|e| e.line);
        client_rows = kept;
    }

    let has_errors = [&users_report, &clients_report]
        .iter()
        .filter_map(|r| r.as_ref())
        .any(|r| !r.errors.is_empty());
    if has_errors && !request.skip_invalid {
        tx.rollback().await.map_err(StoreError::from)?;
        report.users = users_report;
        report.clients = clients_report;
        report.firm_created = firm_created;
        return Ok(report);
    }

    let actor = |file: &Option<FileReport>| {
        Actor::Import(file.as_ref().map(|f| f.file.clone()).unwrap_or_default())
    };
    let users_actor = actor(&users_report);
    if let Some(users_report) = users_report.as_mut() {
        for (_, user) in &user_rows {
            let change = users::upsert(&mut tx, firm.id, user, &users_actor, now).await?;
            users_report.counts.add(&change);
        }
    }
    let clients_actor = actor(&clients_report);
    if let Some(clients_report) = clients_report.as_mut() {
        for (line, row) in &client_rows {
            let mut change =
                dossiers::upsert(&mut tx, firm.id, &row.dossier, &clients_actor, now).await?;
            let mut also_changed = false;
            let dossier_id = match (&row.platform, &row.mandate) {
                (None, None) => None,
                _ => Some(
                    dossiers::find_by_code(&mut tx, firm.id, &row.dossier.code)
                        .await?
                        .ok_or_else(|| StoreError::NotFound {
                            what: "dossier",
                            key: row.dossier.code.clone(),
                        })?
                        .id,
                ),
            };
            if let (Some((platform, state)), Some(dossier_id)) = (&row.platform, dossier_id) {
                // Never backwards: a dossier further on this platform than
                // the file says (moved on since the export) stays as it is.
                let platform_change = platforms::set_for_dossier(
                    &mut tx,
                    firm.id,
                    dossier_id,
                    platform,
                    *state,
                    &clients_actor,
                    now,
                )
                .await?;
                also_changed |= matches!(platform_change, PlatformChange::Set { .. });
            }
            if let (Some(mandate), Some(dossier_id)) = (&row.mandate, dossier_id) {
                let note = imported_note(&clients_report.file, mandate.reached);
                let reached_at = mandate.reached.map(paris_day_start);
                // Never backwards either: a mandate the register took further
                // (a client's reply read since the export) stays as it is, and
                // the line says so.
                match mandates::import_status(
                    &mut tx,
                    firm.id,
                    dossier_id,
                    MandateKind::Delegation,
                    mandate.status,
                    reached_at,
                    &note,
                    &clients_actor,
                    now,
                )
                .await?
                {
                    Imported::Recorded { .. } => {
                        clients_report.mandates += 1;
                        also_changed = true;
                    }
                    Imported::Unchanged => {}
                    Imported::KeptRecorded { recorded, since } => clients_report
                        .warnings
                        .push(kept_as_recorded(*line, mandate, recorded, since)),
                }
            }
            if also_changed && matches!(change, Change::Unchanged) {
                change = Change::Updated(Vec::new());
            }
            clients_report.counts.add(&change);
        }
    }
    if request.dry_run {
        tx.rollback().await.map_err(StoreError::from)?;
    } else {
        tx.commit().await.map_err(StoreError::from)?;
        report.applied = true;
        store.analyze_dossiers().await?;
    }
    report.users = users_report;
    report.clients = clients_report;
    Ok(report)
}

/// The journal's note on a mandate status read from the clients file.
fn imported_note(file: &str, reached: Option<NaiveDate>) -> Said {
    match reached {
        Some(day) => Said::new(
            format!(
                "importé du fichier clients {file}, statut atteint le {}",
                show_date(day, Lang::Fr)
            ),
            format!(
                "imported from the clients file {file}, status reached on {}",
                show_date(day, Lang::En)
            ),
        ),
        None => Said::new(
            format!("importé du fichier clients {file}"),
            format!("imported from the clients file {file}"),
        ),
    }
}

/// The warning of a line whose mandate status the register keeps.
fn kept_as_recorded(
    line: u64,
    mandate: &MandateCell,
    recorded: cabready_store::domain::MandateStatus,
    since: DateTime<Utc>,
) -> RowError {
    RowError {
        line,
        column: Some(mandate.column.clone()),
        problem: RowProblem::MandateKeptAsRecorded {
            recorded,
            since: since.with_timezone(&Paris).date_naive(),
            file: mandate.value.clone(),
            backwards: mandate.status.progress() < recorded.progress(),
        },
        value: String::new(),
    }
}

/// Checks a client line against what the firm already has: its accountant
/// must be known and able to own dossiers, its SIREN must not be another
/// dossier's, its platform must be one of the firm's.
async fn check_against_firm(
    conn: &mut sqlx::AnyConnection,
    firm_id: i64,
    line: u64,
    row: &ClientRow,
    known_roles: &[(String, cabready_store::domain::Role)],
) -> Result<Vec<RowError>, OnboardError> {
    let mut errors = Vec::new();
    let dossier = &row.dossier;
    if let Some(owner) = &dossier.owner {
        let error = |problem| RowError {
            line,
            column: Some("collaborateur".into()),
            problem,
            value: owner.to_string(),
        };
        match known_roles
            .iter()
            .find(|(email, _)| email == owner.as_str())
        {
            None => errors.push(error(RowProblem::UnknownAccountant)),
            Some((_, role)) if !role.can_own_dossiers() => {
                errors.push(error(RowProblem::CannotOwnDossiers))
            }
            Some(_) => {}
        }
    }
    if let Some(other) = dossiers::find_by_siren(conn, firm_id, &dossier.siren).await? {
        if other.record.code != dossier.code {
            errors.push(RowError {
                line,
                column: Some("siren".into()),
                problem: RowProblem::SirenOfAnotherDossier {
                    code: other.record.code,
                },
                value: dossier.siren.to_string(),
            });
        }
    }
    if let Some((platform, _)) = &row.platform {
        if platforms::find(conn, firm_id, platform).await?.is_none() {
            errors.push(RowError {
                line,
                column: Some("plateforme".into()),
                problem: RowProblem::UnknownPlatform {
                    known: platforms::names(conn, firm_id).await?,
                },
                value: platform.clone(),
            });
        }
    }
    Ok(errors)
}
