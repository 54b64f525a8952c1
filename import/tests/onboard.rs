//! Onboarding from real files (tests/fixtures/onboard), on SQLite and PostgreSQL.

use cabready_import::onboard::{self, OnboardReport, OnboardRequest};
use cabready_store::domain::{MandateKind, MandateStatus, PlatformState, SizeCategory, VatRegime};
use cabready_store::journal::{self, Actor};
use cabready_store::{dossiers, firms, mandates, platforms, Clock, Lang, Store};
use cabready_testkit::{both_backends, TestDb};
use chrono::{TimeZone, Utc};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/onboard")
        .join(name)
}

fn clock() -> Clock {
    Clock::fixed(Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap())
}

fn request(users: Option<&str>, clients: Option<&str>) -> OnboardRequest {
    OnboardRequest {
        firm: "Cabinet Leroy".into(),
        users: users.map(fixture),
        clients: clients.map(fixture),
        dry_run: false,
        skip_invalid: false,
        platforms: vec!["Pennylane".into()],
    }
}

async fn run(store: &Store, request: &OnboardRequest) -> OnboardReport {
    onboard::run(store, &clock(), request, Lang::Fr)
        .await
        .expect("onboarding runs")
}

async fn dossier_count(store: &Store) -> i64 {
    let mut conn = store.pool().acquire().await.unwrap();
    match firms::find_by_name(&mut conn, "Cabinet Leroy")
        .await
        .unwrap()
    {
        Some(firm) => dossiers::count(&mut conn, firm.id).await.unwrap(),
        None => 0,
    }
}

fn client_messages(report: &OnboardReport) -> Vec<String> {
    report
        .clients
        .as_ref()
        .unwrap()
        .errors
        .iter()
        .map(|e| e.message(Lang::Fr))
        .collect()
}

const EXPECTED_ERRORS: [&str; 9] = [
    "ligne 3, colonne siren : SIREN invalide : la clé de contrôle (Luhn) ne correspond pas (400061850)",
    "ligne 4, colonne collaborateur : collaborateur inconnu : ajoutez-le à users.csv ou corrigez l'adresse (jean.inconnu@cabinet-leroy.fr)",
    "ligne 5, colonne code_dossier : code dossier en double (déjà ligne 2) (B001)",
    "ligne 6, colonne siren : le SIREN doit comporter exactement 9 chiffres (12345)",
    "ligne 6, colonne effectif : nombre illisible (attendu par exemple : 1 250 000,50 ; chiffres groupés par trois, deux décimales au plus) (trois)",
    "ligne 6, colonne categorie : catégorie inconnue (attendu : GE, ETI, PME, TPE ou micro) (géante)",
    "ligne 6, colonne regime_tva : régime de TVA inconnu (attendu : réel normal mensuel, réel normal trimestriel, réel simplifié, franchise en base ou mini-réel) (forfait)",
    "ligne 6, colonne contact_email : adresse e-mail invalide (attendu : nom@domaine.fr) (max@)",
    "ligne 7, colonne collaborateur : cet utilisateur a le rôle « viewer » et ne peut pas suivre de dossier (stagiaire@cabinet-leroy.fr)",
];

both_backends!(
    a_file_with_errors_imports_nothing_and_lists_every_error,
    |db: TestDb| async move {
        let report = run(
            &db.store,
            &request(Some("users.csv"), Some("clients_invalid.csv")),
        )
        .await;
        assert!(report.refused());
        assert!(!report.applied);
        assert_eq!(client_messages(&report), EXPECTED_ERRORS);
        assert_eq!(dossier_count(&db.store).await, 0, "nothing half-written");
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert!(
            firms::find_by_name(&mut conn, "Cabinet Leroy")
                .await
                .unwrap()
                .is_none(),
            "not even the firm"
        );
        let text = report.render(Lang::Fr, false);
        assert!(text.contains("Rien n'a été importé"), "{text}");
        assert!(
            text.contains("clients_invalid.csv: ligne 3, colonne siren"),
            "{text}"
        );
    }
);

both_backends!(
    skip_invalid_imports_exactly_the_valid_lines_and_a_rerun_changes_nothing,
    |db: TestDb| async move {
        let mut req = request(Some("users.csv"), Some("clients_invalid.csv"));
        req.skip_invalid = true;
        let first = run(&db.store, &req).await;
        assert!(first.applied);
        assert_eq!(
            client_messages(&first),
            EXPECTED_ERRORS,
            "skipped lines are still reported"
        );
        let clients = first.clients.as_ref().unwrap();
        assert_eq!((clients.counts.created, clients.counts.updated), (2, 0));
        assert_eq!(first.users.as_ref().unwrap().counts.created, 3);

        let mut conn = db.store.pool().acquire().await.unwrap();
        let firm = firms::find_by_name(&mut conn, "Cabinet Leroy")
            .await
            .unwrap()
            .unwrap();
        let codes: Vec<String> = dossiers::list(&mut conn, firm.id, None)
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.record.code)
            .collect();
        assert_eq!(codes, vec!["B001", "B007"]);
        let journal_lines = journal::count(&mut conn, firm.id).await.unwrap();
        drop(conn);

        let second = run(&db.store, &req).await;
        let clients = second.clients.as_ref().unwrap();
        assert_eq!(
            (
                clients.counts.created,
                clients.counts.updated,
                clients.counts.unchanged
            ),
            (0, 0, 2)
        );
        assert_eq!(second.users.as_ref().unwrap().counts.changes(), 0);
        assert!(second
            .render(Lang::Fr, true)
            .contains("0 changement(s) appliqué(s)."));
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert_eq!(
            journal::count(&mut conn, firm.id).await.unwrap(),
            journal_lines,
            "a rerun journals nothing"
        );
    }
);

both_backends!(
    windows_1252_semicolons_and_french_numbers,
    |db: TestDb| async move {
        let report = run(
            &db.store,
            &request(Some("users.csv"), Some("clients_win1252.csv")),
        )
        .await;
        let clients = report.clients.as_ref().unwrap();
        assert!(clients.errors.is_empty(), "{:?}", clients.errors);
        assert_eq!(clients.description, "Windows-1252, séparateur « ; »");
        assert_eq!(
            clients.counts.created, 4,
            "the trailing ';;;;' line is ignored"
        );

        let mut conn = db.store.pool().acquire().await.unwrap();
        let firm = firms::find_by_name(&mut conn, "Cabinet Leroy")
            .await
            .unwrap()
            .unwrap();
        let c001 = dossiers::find_by_code(&mut conn, firm.id, "C001")
            .await
            .unwrap()
            .unwrap()
            .record;
        assert_eq!(c001.legal_name, "Société Générale de Plâtrerie");
        assert_eq!(
            c001.siren.as_str(),
            "400000006",
            "spaces inside the SIREN are dropped"
        );
        assert_eq!(c001.financials.turnover, Some(125_000_050));
        assert_eq!(c001.category.map(|c| c.0), Some(SizeCategory::Micro));
        assert_eq!(c001.tags, vec!["artisanat", "btp"]);
        assert_eq!(c001.contact.unwrap().name, "Hélène Faure");
        let c002 = dossiers::find_by_code(&mut conn, firm.id, "C002")
            .await
            .unwrap()
            .unwrap()
            .record;
        assert_eq!(c002.financials.headcount, Some(12.5));
        assert_eq!(c002.category.map(|c| c.0), Some(SizeCategory::Pme));
        assert_eq!(
            c002.vat.map(|v| v.declared),
            Some(VatRegime::ReelNormalTrimestriel)
        );
        let c003 = dossiers::find_by_code(&mut conn, firm.id, "C003")
            .await
            .unwrap()
            .unwrap()
            .record;
        assert_eq!(
            c003.category.map(|c| c.0),
            Some(SizeCategory::Micro),
            "TPE override"
        );
        let c004 = dossiers::find_by_code(&mut conn, firm.id, "C004")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            c004.record.category.map(|c| c.0),
            Some(SizeCategory::Eti),
            "320 people is above the PME threshold"
        );
        let status = mandates::status(&mut conn, firm.id, c004.id, MandateKind::Delegation)
            .await
            .unwrap();
        assert_eq!(
            status,
            MandateStatus::NotRequested,
            "a new dossier gets its delegation mandate to request"
        );
    }
);

both_backends!(
    a_changed_line_updates_the_dossier_and_journals_the_difference,
    |db: TestDb| async move {
        run(
            &db.store,
            &request(Some("users.csv"), Some("clients_win1252.csv")),
        )
        .await;
        let dir = tempfile::tempdir().unwrap();
        let original = std::fs::read(fixture("clients_win1252.csv")).unwrap();
        // Change Boucherie's headcount from 12,5 to 30, keeping the Windows-1252 bytes as they are.
        let at = original
            .windows(6)
            .position(|w| w == b";12,5;")
            .expect("fixture holds 12,5");
        let bytes = [&original[..at], b";30;", &original[at + 6..]].concat();
        let changed_path = dir.path().join("clients_win1252.csv");
        std::fs::write(&changed_path, bytes).unwrap();
        let mut req = request(None, None);
        req.clients = Some(changed_path);
        let report = run(&db.store, &req).await;
        let clients = report.clients.as_ref().unwrap();
        assert_eq!((clients.counts.updated, clients.counts.unchanged), (1, 3));

        let mut conn = db.store.pool().acquire().await.unwrap();
        let firm = firms::find_by_name(&mut conn, "Cabinet Leroy")
            .await
            .unwrap()
            .unwrap();
        let c002 = dossiers::find_by_code(&mut conn, firm.id, "C002")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c002.record.financials.headcount, Some(30.0));
        let last = &journal::for_dossier(&mut conn, firm.id, c002.id, 1)
            .await
            .unwrap()[0];
        assert_eq!(last.action, "dossier.updated");
        assert_eq!(last.actor, "clients_win1252.csv");
        assert_eq!(last.details["changes"]["headcount"]["before"], 12.5);
        assert_eq!(last.details["changes"]["headcount"]["after"], 30.0);
        assert_eq!(
            last.details["changes"].as_object().unwrap().len(),
            1,
            "only what changed"
        );
    }
);

both_backends!(dry_run_writes_nothing, |db: TestDb| async move {
    let mut req = request(Some("users.csv"), Some("clients_win1252.csv"));
    req.dry_run = true;
    let report = run(&db.store, &req).await;
    assert!(!report.applied);
    assert_eq!(
        report.clients.as_ref().unwrap().counts.created,
        4,
        "says what would be created"
    );
    // In the conditional: nothing was created.
    let said = report.render(Lang::Fr, false);
    assert!(said.contains("4 à créer, 0 à mettre à jour"), "{said}");
    assert!(!said.contains("créé(s)"), "{said}");
    assert_eq!(dossier_count(&db.store).await, 0);
});

both_backends!(english_headers_commas_and_bom, |db: TestDb| async move {
    let report = run(
        &db.store,
        &request(Some("users.csv"), Some("clients_english.csv")),
    )
    .await;
    let clients = report.clients.as_ref().unwrap();
    assert!(clients.errors.is_empty(), "{:?}", clients.errors);
    let mut conn = db.store.pool().acquire().await.unwrap();
    let firm = firms::find_by_name(&mut conn, "Cabinet Leroy")
        .await
        .unwrap()
        .unwrap();
    let e001 = dossiers::find_by_code(&mut conn, firm.id, "E001")
        .await
        .unwrap()
        .unwrap()
        .record;
    assert_eq!(e001.legal_name, "Smith, Jones & Co");
    assert_eq!(e001.financials.turnover, Some(1_200_000_000));
    assert_eq!(e001.category.map(|c| c.0), Some(SizeCategory::Pme));
});

both_backends!(
    wrong_delimiter_and_missing_columns_are_file_errors,
    |db: TestDb| async move {
        let error = onboard::run(
            &db.store,
            &clock(),
            &request(None, Some("clients_pipe.csv")),
            Lang::Fr,
        )
        .await
        .unwrap_err();
        assert_eq!(
        error.message(Lang::Fr),
        "clients_pipe.csv: ligne 1 : aucun séparateur reconnu dans l'en-tête ; attendu « ; » ou « , » (lu : code_dossier|raison_sociale|siren)"
    );
        // A users file given as the client list: required columns are missing (`nom` passes for the legal name).
        let error = onboard::run(
            &db.store,
            &clock(),
            &request(None, Some("users.csv")),
            Lang::En,
        )
        .await
        .unwrap_err();
        assert_eq!(
        error.message(Lang::En),
        "users.csv: line 1: required column(s) missing: code_dossier, siren (headers read with delimiter ',': email | nom | role | discord_id | portefeuilles)"
    );
        assert_eq!(dossier_count(&db.store).await, 0);
    }
);

/// PostgreSQL: onboarding leaves the planner statistics of the dossiers it
/// wrote (`Store::analyze_dossiers`), whether autovacuum runs or not
/// (`reltuples` stays -1 until a table is first analyzed).
#[tokio::test]
async fn onboarding_leaves_the_dossiers_analyzed() {
    let db = TestDb::new(cabready_store::Backend::Postgres).await;
    let before: f32 =
        sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE relname = 'dossiers'")
            .fetch_one(db.store.pool())
            .await
            .unwrap();
    assert!(before <= 0.0, "{before}");
    let report = run(
        &db.store,
        &request(Some("users.csv"), Some("clients_win1252.csv")),
    )
    .await;
    assert!(report.applied);
    let dossiers = dossier_count(&db.store).await;
    assert!(dossiers > 0);
    for table in ["dossiers", "contacts", "mandates", "users"] {
        let rows: f32 = sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE relname = $1")
            .bind(table)
            .fetch_one(db.store.pool())
            .await
            .unwrap();
        assert!(rows > 0.0, "{table}: {rows}");
    }
    let analyzed: f32 =
        sqlx::query_scalar("SELECT reltuples FROM pg_class WHERE relname = 'dossiers'")
            .fetch_one(db.store.pool())
            .await
            .unwrap();
    assert_eq!(analyzed as i64, dossiers);
}

/// The platform and state each of the three dossiers of clients_platforms.csv has.
async fn platforms_of(store: &Store) -> Vec<Option<(String, PlatformState)>> {
    let mut conn = store.pool().acquire().await.unwrap();
    let firm = firms::find_by_name(&mut conn, "Cabinet Leroy")
        .await
        .unwrap()
        .unwrap();
    let mut out = Vec::new();
    for code in ["A001", "A002", "A003"] {
        let dossier = dossiers::find_by_code(&mut conn, firm.id, code)
            .await
            .unwrap()
            .unwrap();
        out.push(
            platforms::for_dossier(&mut conn, firm.id, dossier.id)
                .await
                .unwrap(),
        );
    }
    out
}

both_backends!(
    the_clients_file_carries_the_platforms_already_chosen,
    |db: TestDb| async move {
        let mut req = request(None, Some("clients_platforms.csv"));
        req.platforms = vec!["Pennylane".into(), "Qonto".into()];
        let first = run(&db.store, &req).await;
        let clients = first.clients.as_ref().unwrap();
        assert!(clients.errors.is_empty(), "{:?}", clients.errors);
        assert!(
            clients.ignored_columns.is_empty(),
            "{:?}",
            clients.ignored_columns
        );
        assert_eq!(clients.counts.created, 3);
        assert_eq!(
            platforms_of(&db.store).await,
            vec![
                Some(("Pennylane".into(), PlatformState::DirectoryRegistered)),
                Some(("Qonto".into(), PlatformState::Chosen)),
                None
            ],
            "the firm's spelling, 'choisie' when no state is given"
        );
        let mut conn = db.store.pool().acquire().await.unwrap();
        let firm = firms::find_by_name(&mut conn, "Cabinet Leroy")
            .await
            .unwrap()
            .unwrap();
        let a001 = dossiers::find_by_code(&mut conn, firm.id, "A001")
            .await
            .unwrap()
            .unwrap();
        let lines = journal::for_dossier(&mut conn, firm.id, a001.id, 10)
            .await
            .unwrap();
        let set = lines
            .iter()
            .find(|l| l.action == "platform.set")
            .expect("journaled");
        assert_eq!(
            (set.actor_kind.as_str(), set.actor.as_str()),
            ("import", "clients_platforms.csv")
        );

        // Again: nothing changes.
        let again = run(&db.store, &req).await;
        assert_eq!(again.clients.as_ref().unwrap().counts.changes(), 0);
        // A dossier that moved on since the export is not set back by it.
        let a002 = dossiers::find_by_code(&mut conn, firm.id, "A002")
            .await
            .unwrap()
            .unwrap();
        platforms::set_for_dossier(
            &mut conn,
            firm.id,
            a002.id,
            "Qonto",
            PlatformState::Live,
            &Actor::System,
            clock().now(),
        )
        .await
        .unwrap();
        drop(conn);
        let later = run(&db.store, &req).await;
        assert_eq!(later.clients.as_ref().unwrap().counts.changes(), 0);
        assert_eq!(
            platforms_of(&db.store).await[1],
            Some(("Qonto".into(), PlatformState::Live))
        );
    }
);

both_backends!(
    an_unknown_platform_or_state_is_a_line_error,
    |db: TestDb| async move {
        let report = run(
            &db.store,
            &request(None, Some("clients_platforms_invalid.csv")),
        )
        .await;
        assert!(report.refused());
        assert_eq!(
            client_messages(&report),
            [
                "ligne 2, colonne plateforme : plateforme inconnue du cabinet (plateformes connues : Pennylane ; une autre s'ajoute à « platforms » dans la configuration) (Chorus)",
                "ligne 3, colonne etat_plateforme : état de plateforme inconnu (attendu : choisie, compte ouvert, inscrite à l'annuaire (raccordée), en production) (peut-être)",
                "ligne 4, colonne etat_plateforme : état de plateforme sans plateforme : remplissez aussi la colonne plateforme (en production)",
            ]
        );
        assert_eq!(dossier_count(&db.store).await, 0, "nothing half-written");
        let english = onboard::run(
            &db.store,
            &clock(),
            &request(None, Some("clients_platforms_invalid.csv")),
            Lang::En,
        )
        .await
        .unwrap();
        assert!(english.clients.as_ref().unwrap().errors[0]
            .message(Lang::En)
            .starts_with("line 2, column plateforme: platform unknown to the firm (known platforms: Pennylane;"));
    }
);

/// The firm of these tests, and one of its dossiers.
async fn dossier_id(conn: &mut sqlx::AnyConnection, code: &str) -> (i64, i64) {
    let firm = firms::find_by_name(conn, "Cabinet Leroy")
        .await
        .unwrap()
        .unwrap();
    let dossier = dossiers::find_by_code(conn, firm.id, code)
        .await
        .unwrap()
        .unwrap();
    (firm.id, dossier.id)
}

/// The delegation mandate of a dossier: its status, since when, and its
/// `mandate.status_changed` journal lines (oldest first).
async fn delegation(
    store: &Store,
    code: &str,
) -> (
    MandateStatus,
    chrono::DateTime<Utc>,
    Vec<journal::JournalLine>,
) {
    let mut conn = store.pool().acquire().await.unwrap();
    let (firm, dossier) = dossier_id(&mut conn, code).await;
    let (status, since, _) = mandates::timeline(&mut conn, firm, dossier, MandateKind::Delegation)
        .await
        .unwrap()
        .unwrap();
    let mut lines: Vec<journal::JournalLine> = journal::for_dossier(&mut conn, firm, dossier, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|l| l.action == "mandate.status_changed")
        .collect();
    lines.reverse();
    (status, since, lines)
}

fn mandates_request() -> OnboardRequest {
    request(None, Some("clients_mandates.csv"))
}

both_backends!(
    a_mandate_signed_on_paper_is_recorded_at_onboarding_and_journaled_once,
    |db: TestDb| async move {
        let first = run(&db.store, &mandates_request()).await;
        let clients = first.clients.as_ref().unwrap();
        assert!(clients.errors.is_empty(), "{:?}", clients.errors);
        assert!(clients.warnings.is_empty(), "{:?}", clients.warnings);
        assert!(
            clients.ignored_columns.is_empty(),
            "{:?}",
            clients.ignored_columns
        );
        assert_eq!(clients.counts.created, 5);
        assert_eq!(clients.mandates, 4, "M003's empty cell records nothing");

        // Signed straight from not requested, on the day the file gives
        // (the start of that day in Paris).
        let (status, since, lines) = delegation(&db.store, "M001").await;
        assert_eq!(status, MandateStatus::Signed);
        assert_eq!(since, Utc.with_ymd_and_hms(2026, 2, 28, 23, 0, 0).unwrap());
        assert_eq!(lines.len(), 1, "{lines:?}");
        let line = &lines[0];
        assert_eq!(
            (line.actor_kind.as_str(), line.actor.as_str()),
            ("import", "clients_mandates.csv")
        );
        assert_eq!(line.at, clock().now(), "journaled when it was imported");
        assert_eq!(line.details["before"], "not_requested");
        assert_eq!(line.details["after"], "signed");
        assert_eq!(line.details["kind"], "delegation");
        assert_eq!(
            cabready_store::Said::show(line.details["note"].as_str().unwrap(), Lang::Fr),
            "importé du fichier clients clients_mandates.csv, statut atteint le 01/03/2026"
        );
        assert_eq!(
            cabready_store::Said::show(line.details["note"].as_str().unwrap(), Lang::En),
            "imported from the clients file clients_mandates.csv, status reached on 1 Mar 2026"
        );

        let (status, since, _) = delegation(&db.store, "M002").await;
        assert_eq!(status, MandateStatus::ReceivedToVerify, "'Reçu'");
        assert_eq!(since, Utc.with_ymd_and_hms(2026, 10, 14, 22, 0, 0).unwrap());
        let (status, _, lines) = delegation(&db.store, "M003").await;
        assert_eq!(status, MandateStatus::NotRequested);
        assert!(lines.is_empty());
        // No date: reached now (the program's clock).
        let (status, since, _) = delegation(&db.store, "M004").await;
        assert_eq!((status, since), (MandateStatus::Requested, clock().now()));
        let (status, _, _) = delegation(&db.store, "M005").await;
        assert_eq!(status, MandateStatus::Signed, "English word");

        let said = first.render(Lang::Fr, false);
        assert!(
            said.contains("4 mandat(s) de délégation enregistré(s) depuis le fichier"),
            "{said}"
        );

        // The same file again: nothing changes, nothing is journaled.
        let mut conn = db.store.pool().acquire().await.unwrap();
        let (firm, _) = dossier_id(&mut conn, "M001").await;
        let journal_lines = journal::count(&mut conn, firm).await.unwrap();
        drop(conn);
        let again = run(&db.store, &mandates_request()).await;
        let clients = again.clients.as_ref().unwrap();
        assert_eq!(
            (
                clients.counts.changes(),
                clients.mandates,
                clients.warnings.len()
            ),
            (0, 0, 0)
        );
        assert!(again
            .render(Lang::Fr, false)
            .contains("0 changement(s) appliqué(s)."));
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert_eq!(
            journal::count(&mut conn, firm).await.unwrap(),
            journal_lines,
            "a rerun journals nothing"
        );
        assert_eq!(delegation(&db.store, "M001").await.2.len(), 1);
    }
);

both_backends!(
    dry_run_says_which_mandates_it_would_record,
    |db: TestDb| async move {
        let mut req = mandates_request();
        req.dry_run = true;
        let report = run(&db.store, &req).await;
        assert_eq!(report.clients.as_ref().unwrap().mandates, 4);
        let said = report.render(Lang::Fr, false);
        assert!(
            said.contains("4 mandat(s) de délégation à enregistrer depuis le fichier"),
            "{said}"
        );
        let said = report.render(Lang::En, false);
        assert!(
            said.contains("4 delegation mandate(s) to record from the file"),
            "{said}"
        );
        assert_eq!(dossier_count(&db.store).await, 0);
    }
);

/// `clients_mandates.csv` with `replace` done on its text, as `name` in `dir`.
fn edited_mandates(dir: &tempfile::TempDir, name: &str, replace: &[(&str, &str)]) -> PathBuf {
    let mut text = std::fs::read_to_string(fixture("clients_mandates.csv")).unwrap();
    for (from, to) in replace {
        assert!(text.contains(from), "{from}");
        text = text.replace(from, to);
    }
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    path
}

// A mandate that ended (here expired) and was asked for again: the old
// file, imported again, does not answer the new request with its old
// "signé"; a file that dates a signature after the new request does.
both_backends!(
    a_reimport_does_not_answer_a_new_request_with_an_old_status,
    |db: TestDb| async move {
        run(&db.store, &mandates_request()).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let (firm, m001) = dossier_id(&mut conn, "M001").await;
        let claire = Actor::User("sarah.benali@cabinet-leroy.fr".into());
        for (to, day) in [(MandateStatus::Expired, 20), (MandateStatus::Requested, 21)] {
            mandates::change_status(
                &mut conn,
                firm,
                m001,
                mandates::Transition {
                    kind: MandateKind::Delegation,
                    to,
                    note: None,
                },
                &claire,
                Utc.with_ymd_and_hms(2026, 11, day, 10, 0, 0).unwrap(),
            )
            .await
            .unwrap();
        }
        drop(conn);
        let report = run(&db.store, &mandates_request()).await;
        let clients = report.clients.as_ref().unwrap();
        assert_eq!(clients.mandates, 0, "{:?}", clients.warnings);
        let warnings: Vec<String> = clients
            .warnings
            .iter()
            .map(|w| w.message(Lang::Fr))
            .collect();
        assert!(
            warnings.iter().any(|w| w.starts_with("ligne 2, colonne Mandat délégation : statut du registre conservé : « demandé » depuis le 21/11/2026, le fichier dit « signé »")),
            "{warnings:?}"
        );
        assert_eq!(
            delegation(&db.store, "M001").await.0,
            MandateStatus::Requested
        );

        // Signed again on the 22nd, as the firm's next export says.
        let dir = tempfile::tempdir().unwrap();
        let path = edited_mandates(
            &dir,
            "clients_mandates.csv",
            &[("Pennylane;signé;01/03/2026", "Pennylane;signé;22/11/2026")],
        );
        let mut req = request(None, None);
        req.clients = Some(path);
        let report = run(&db.store, &req).await;
        assert_eq!(report.clients.as_ref().unwrap().mandates, 1);
        assert_eq!(delegation(&db.store, "M001").await.0, MandateStatus::Signed);
    }
);

both_backends!(
    a_reimport_never_sets_a_mandate_back_and_says_so,
    |db: TestDb| async move {
        run(&db.store, &mandates_request()).await;
        // Since the export, M002's mandate was checked and validated in the
        // chat (`mandat M002 signé`).
        let mut conn = db.store.pool().acquire().await.unwrap();
        let (firm, m002) = dossier_id(&mut conn, "M002").await;
        let validated_at = Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap();
        mandates::change_status(
            &mut conn,
            firm,
            m002,
            mandates::Transition {
                kind: MandateKind::Delegation,
                to: MandateStatus::Signed,
                note: None,
            },
            &Actor::User("sarah.benali@cabinet-leroy.fr".into()),
            validated_at,
        )
        .await
        .unwrap();
        let journal_lines = journal::count(&mut conn, firm).await.unwrap();
        drop(conn);

        // The old export again (M002 'Reçu'), M001's cell emptied, M003
        // now signed, M005 now 'demandé' (backwards).
        let dir = tempfile::tempdir().unwrap();
        let path = edited_mandates(
            &dir,
            "clients_mandates.csv",
            &[
                ("Pennylane;signé;01/03/2026", "Pennylane;;"),
                (
                    "cave@cave-du-port.fr;Pennylane;;",
                    "cave@cave-du-port.fr;Pennylane;Signé;",
                ),
                (";;signed;", ";;demandé;"),
            ],
        );
        let mut req = request(None, None);
        req.clients = Some(path);
        let report = run(&db.store, &req).await;
        let clients = report.clients.as_ref().unwrap();
        assert!(clients.errors.is_empty(), "{:?}", clients.errors);
        assert_eq!(
            (
                clients.counts.updated,
                clients.counts.unchanged,
                clients.mandates
            ),
            (1, 4, 1),
            "only M003's mandate moves"
        );
        let warnings: Vec<String> = clients
            .warnings
            .iter()
            .map(|w| w.message(Lang::Fr))
            .collect();
        assert_eq!(
            warnings,
            [
                "ligne 3, colonne Mandat délégation : statut du registre conservé : « signé » depuis le 20/11/2026, le fichier dit « Reçu » (un import ne fait pas reculer un mandat)",
                "ligne 6, colonne Mandat délégation : statut du registre conservé : « signé » depuis le 25/11/2026, le fichier dit « demandé » (un import ne fait pas reculer un mandat)",
            ]
        );
        let said = report.render(Lang::Fr, false);
        assert!(said.contains(", 2 avertissement(s)"), "{said}");
        assert!(
            said.contains("  clients_mandates.csv: avertissement : ligne 3, colonne Mandat délégation : statut du registre conservé"),
            "{said}"
        );
        let said = report.render(Lang::En, false);
        assert!(
            said.contains("  clients_mandates.csv: warning: line 3, column Mandat délégation: the register's status is kept: 'signed' since 20 Nov 2026, the file says 'Reçu' (an import never sets a mandate back)"),
            "{said}"
        );

        assert_eq!(delegation(&db.store, "M002").await.0, MandateStatus::Signed);
        assert_eq!(delegation(&db.store, "M005").await.0, MandateStatus::Signed);
        let (status, _, lines) = delegation(&db.store, "M001").await;
        assert_eq!(
            (status, lines.len()),
            (MandateStatus::Signed, 1),
            "an empty cell leaves it"
        );
        let (status, _, lines) = delegation(&db.store, "M003").await;
        assert_eq!((status, lines.len()), (MandateStatus::Signed, 1));
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert_eq!(
            journal::count(&mut conn, firm).await.unwrap(),
            journal_lines + 1,
            "M003's line only"
        );
    }
);

both_backends!(
    an_unknown_mandate_status_or_a_bad_date_is_a_line_error,
    |db: TestDb| async move {
        let req = request(None, Some("clients_mandates_invalid.csv"));
        let report = run(&db.store, &req).await;
        assert!(report.refused());
        assert_eq!(
            client_messages(&report),
            [
                "ligne 2, colonne mandat : statut de mandat inconnu (attendu : signé, reçu (à vérifier), demandé, relancé, refusé, expiré ou non demandé) (peut-être)",
                "ligne 3, colonne date_mandat : date dans le futur (attendu : une date passée ou aujourd'hui, le 25/11/2026) (01/12/2026)",
                "ligne 4, colonne date_mandat : date illisible (attendu : jj/mm/aaaa ou aaaa-mm-jj, par exemple 01/03/2026 ou 2026-03-01) (31/02/2026)",
                "ligne 5, colonne date_mandat : date de mandat sans statut : remplissez aussi la colonne mandat (signé, reçu, demandé…) (01/03/2026)",
            ]
        );
        let said = report.render(Lang::Fr, false);
        assert!(
            said.contains(
                "clients_mandates_invalid.csv: ligne 2, colonne mandat : statut de mandat inconnu"
            ),
            "{said}"
        );
        assert_eq!(dossier_count(&db.store).await, 0, "nothing half-written");

        let english = onboard::run(&db.store, &clock(), &req, Lang::En)
            .await
            .unwrap();
        let messages: Vec<String> = english
            .clients
            .as_ref()
            .unwrap()
            .errors
            .iter()
            .map(|e| e.message(Lang::En))
            .collect();
        assert_eq!(
            messages[..2],
            [
                "line 2, column mandat: unknown mandate status (expected: signed, received (to verify), requested, reminded, refused, expired or not requested; or the French words) (peut-être)",
                "line 3, column date_mandat: date in the future (expected: a past date or today, 25 Nov 2026) (01/12/2026)",
            ]
        );

        // --skip-invalid: the valid line only, signed.
        let mut req = req;
        req.skip_invalid = true;
        let report = run(&db.store, &req).await;
        assert!(report.applied);
        assert_eq!(report.clients.as_ref().unwrap().counts.created, 1);
        assert_eq!(dossier_count(&db.store).await, 1);
        let (status, since, _) = delegation(&db.store, "X005").await;
        assert_eq!(status, MandateStatus::Signed);
        assert_eq!(since, Utc.with_ymd_and_hms(2026, 2, 28, 23, 0, 0).unwrap());
    }
);

both_backends!(
    reminders_do_not_chase_a_dossier_onboarded_as_signed,
    |db: TestDb| async move {
        use cabready_mailer::cadence::{Decision, Template, Why};
        run(&db.store, &mandates_request()).await;
        let outbox = tempfile::tempdir().unwrap();
        let mailer = cabready_mailer::Mailer {
            mail: cabready_mailer::config::MailConfig {
                from_address: "relances@cabinet-leroy.fr".into(),
                ..Default::default()
            },
            cadence: Default::default(),
            templates: cabready_mailer::templates::Templates::load(None).unwrap(),
            signer: cabready_mailer::token::Signer::new(b"a test key of enough bytes").unwrap(),
            transport: cabready_mailer::transport::Transport::maildir(outbox.path()).unwrap(),
            crash_after_send: false,
        };
        let mut conn = db.store.pool().acquire().await.unwrap();
        let (firm, _) = dossier_id(&mut conn, "M001").await;
        drop(conn);
        // Weeks later, when the first requests are long due.
        let later = clock().now() + chrono::Duration::days(30);
        let options = cabready_mailer::PlanOptions {
            dry_run: true,
            ahead_of_time: false,
            outside_hours: false,
        };
        let plan = mailer
            .plan(&db.store, firm, Lang::Fr, later, options)
            .await
            .unwrap();
        let decision = |code: &str| {
            plan.iter()
                .find(|l| l.dossier_code == code)
                .map(|l| l.decision.clone())
                .unwrap()
        };
        let template = |d: &Decision| match d {
            Decision::Send { template, .. } => Some(*template),
            Decision::Wait { next, .. } => next.map(|(t, _)| t),
            _ => None,
        };
        // The control: a dossier whose mandate was not given is chased.
        assert_eq!(template(&decision("M003")), Some(Template::MandateRequest));
        // Signed, platform chosen: nothing to chase.
        assert_eq!(decision("M001"), Decision::Stop(Why::NothingToChase));
        // Signed without a platform: the platform, never the mandate.
        assert_eq!(template(&decision("M005")), Some(Template::PlatformChoice));
        // Received, waiting for the firm's check: no reminder either.
        assert_eq!(
            decision("M002"),
            Decision::Stop(Why::MandateDone(MandateStatus::ReceivedToVerify))
        );
    }
);
