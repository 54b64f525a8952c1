//! Platform exports: each shipped profile's sample file imports with the
//! expected report (golden files beside the fixtures), on both backends.

use cabready_import::flux::{self, profile, FluxRequest, DEFAULT_BATCH};
use cabready_import::onboard::{self, OnboardRequest};
use cabready_store::anomalies::{self, AnomalyLimits, Filter};
use cabready_store::domain::PlatformState;
use cabready_store::journal::{self, Actor};
use cabready_store::{dossiers, firms, invoices, platforms, Backend, Clock, Lang, Said, Store};
use cabready_testkit::{both_backends, TestDb};
use chrono::{TimeZone, Utc};
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/flux").join(name)
}

fn clock() -> Clock {
    Clock::fixed(Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap())
}

/// The demo firm (40 dossiers), with the platforms the fixtures come from.
/// Takes the whole `TestDb`: a test body that only named `db.store` would
/// capture that field alone and drop the SQLite temp dir at once.
async fn demo_firm(db: &TestDb) -> i64 {
    let store: &Store = &db.store;
    let request = OnboardRequest {
        firm: "Cabinet Test".into(),
        users: Some(root().join("config/demo/users.csv")),
        clients: Some(root().join("config/demo/clients.csv")),
        dry_run: false,
        skip_invalid: false,
        platforms: vec!["Pennylane".into(), "jefacture.com".into(), "Tiime".into()],
    };
    let report = onboard::run(store, &clock(), &request, Lang::Fr)
        .await
        .unwrap();
    assert!(report.applied);
    let mut conn = store.pool().acquire().await.unwrap();
    let firm = firms::resolve(&mut conn, None).await.unwrap().id;
    for (code, platform) in [
        ("D001", "Pennylane"),
        ("D013", "Pennylane"),
        ("D005", "Tiime"),
        ("D029", "Tiime"),
        ("D003", "jefacture.com"),
        ("D015", "jefacture.com"),
        ("D027", "jefacture.com"),
    ] {
        let d = dossiers::find_by_code(&mut conn, firm, code)
            .await
            .unwrap()
            .unwrap();
        platforms::set_for_dossier(
            &mut conn,
            firm,
            d.id,
            platform,
            PlatformState::Live,
            &Actor::System,
            clock().now(),
        )
        .await
        .unwrap();
    }
    firm
}

fn request(profile_name: &str, source: Option<&str>, files: &[&str]) -> FluxRequest {
    FluxRequest {
        firm: None,
        profile: profile::resolve(profile_name, None).unwrap(),
        source: source.map(str::to_string),
        files: files.iter().map(|f| fixture(f)).collect(),
        dry_run: false,
        limits: AnomalyLimits::default(),
        progress: false,
        batch_size: DEFAULT_BATCH,
        evaluate: true,
    }
}

/// Compares with `<fixture>.expected.txt`; `UPDATE_EXPECTED=1` rewrites it.
fn check_golden(fixture_name: &str, actual: &str) {
    let path = fixture(&format!("{fixture_name}.expected.txt"));
    if std::env::var("UPDATE_EXPECTED").is_ok() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        actual,
        expected,
        "report of {fixture_name} differs from {}",
        path.display()
    );
}

async fn import_and_check(db: &TestDb, profile_name: &str, source: Option<&str>, file: &str) {
    demo_firm(db).await;
    let report = flux::run(
        &db.store,
        &clock(),
        &request(profile_name, source, &[file]),
        Lang::Fr,
    )
    .await
    .unwrap();
    check_golden(file, &report.render(Lang::Fr));
}

both_backends!(fr_excel_windows_1252_semicolon, |db: TestDb| async move {
    import_and_check(&db, "fr-excel", Some("pennylane"), "fr-excel-export.csv").await;
    // The platform is recorded as the firm spells it.
    let mut conn = db.store.pool().acquire().await.unwrap();
    let firm = firms::resolve(&mut conn, None).await.unwrap().id;
    let inv = invoices::find(&mut conn, firm, "Pennylane", "PL-0001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(inv.current.unwrap().0.number(), 212);
    assert_eq!(inv.amount_ttc, Some(120_000));
    assert_eq!(
        invoices::history(&mut conn, firm, inv.id)
            .await
            .unwrap()
            .len(),
        3
    );
});

both_backends!(iso_offset_comma, |db: TestDb| async move {
    import_and_check(
        &db,
        "iso-offset",
        Some("jefacture.com"),
        "iso-offset-export.csv",
    )
    .await;
    let mut conn = db.store.pool().acquire().await.unwrap();
    let firm = firms::resolve(&mut conn, None).await.unwrap().id;
    let unknown = invoices::find(&mut conn, firm, "jefacture.com", "JF-1006")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        unknown.current.unwrap().0.number(),
        501,
        "unknown codes are kept"
    );
});

both_backends!(tab_vrbl_prefixed_codes, |db: TestDb| async move {
    import_and_check(&db, "tab-vrbl", Some("Tiime"), "tab-vrbl-export.tsv").await;
});

both_backends!(generic_with_dossier_ref, |db: TestDb| async move {
    import_and_check(&db, "generic", None, "generic-export.csv").await;
});

both_backends!(same_file_twice_adds_nothing, |db: TestDb| async move {
    let firm = demo_firm(&db).await;
    let req = request("fr-excel", Some("Pennylane"), &["fr-excel-export.csv"]);
    let first = flux::run(&db.store, &clock(), &req, Lang::Fr)
        .await
        .unwrap();
    let mut conn = db.store.pool().acquire().await.unwrap();
    let counts = invoices::counts(&mut conn, firm).await.unwrap();
    let lines = journal::count(&mut conn, firm).await.unwrap();
    let open = anomalies::list(&mut conn, firm, &Filter::default(), clock().now())
        .await
        .unwrap();
    drop(conn);
    let second = flux::run(&db.store, &clock(), &req, Lang::Fr)
        .await
        .unwrap();
    let mut conn = db.store.pool().acquire().await.unwrap();
    assert_eq!(invoices::counts(&mut conn, firm).await.unwrap(), counts);
    assert_eq!(
        journal::count(&mut conn, firm).await.unwrap(),
        lines,
        "no journal line either"
    );
    let again = anomalies::list(&mut conn, firm, &Filter::default(), clock().now())
        .await
        .unwrap();
    assert_eq!(again, open);
    let (f1, f2) = (&first.files[0], &second.files[0]);
    assert_eq!(f2.imported, 0);
    assert_eq!(f2.already_known, f1.imported);
    assert_eq!(f2.rejected, f1.rejected);
    assert_eq!((second.anomalies.opened, second.anomalies.closed), (0, 0));
});

both_backends!(
    swapped_amounts_and_a_currency_word_are_line_errors,
    |db: TestDb| async move {
        demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("odd.csv");
        std::fs::write(
        &file,
        "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n\
         S-1,V-1,2026-11-02,310554332,732829320,emitted,100.00,1.20,EUR,200,,2026-11-02T10:00:00Z,,D007\n\
         S-2,V-2,2026-11-02,310554332,732829320,emitted,100.00,120.00,EURO,200,,2026-11-02T10:00:00Z,,D007\n\
         S-3,A-3,2026-11-02,310554332,732829320,emitted,-100.00,-120.00,eur,200,,2026-11-02T10:00:00Z,,D007\n",
    )
    .unwrap();
        let mut req = request("generic", Some("Pennylane"), &[]);
        req.files = vec![file];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        let f = &report.files[0];
        assert_eq!(
            (f.imported, f.rejected),
            (1, 2),
            "{}",
            report.render(Lang::Fr)
        );
        assert!(
        f.errors[0].contains("odd.csv:2: amount_ttc: montant TTC inférieur au montant HT : les colonnes sont-elles inversées ? (1.20)"),
        "{:?}",
        f.errors
    );
        assert!(
        f.errors[1].contains("odd.csv:3: currency: devise : un code ISO à trois lettres est attendu (EUR) (EURO)"),
        "{:?}",
        f.errors
    );
    }
);

// A SIRET in a SIREN column gives its SIREN, as at onboarding; a SIRET with
// a wrong check digit is an error of its line.
both_backends!(
    a_siret_in_a_siren_column_gives_its_siren,
    |db: TestDb| async move {
        let firm = demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("siret.csv");
        std::fs::write(
            &file,
            "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n\
             T-1,V-1,2026-11-02,310 554 332 00018,73282932000074,emitted,100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,\n\
             T-2,V-2,2026-11-02,31055433200019,732829320,emitted,100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,\n",
        )
        .unwrap();
        let mut req = request("generic", Some("Pennylane"), &[]);
        req.files = vec![file];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        let f = &report.files[0];
        assert_eq!(
            (f.imported, f.rejected),
            (1, 1),
            "{}",
            report.render(Lang::Fr)
        );
        assert_eq!(
            f.errors,
            ["siret.csv:3: seller_siren: SIRET invalide (14 chiffres, clé de Luhn) (31055433200019)"]
        );
        let mut conn = db.store.pool().acquire().await.unwrap();
        let t1 = invoices::find(&mut conn, firm, "Pennylane", "T-1")
            .await
            .unwrap()
            .unwrap();
        let d007 = dossiers::find_by_code(&mut conn, firm, "D007")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(t1.dossier_id, d007.id);
        assert_eq!(
            (t1.seller_siren.as_str(), t1.buyer_siren.as_str()),
            ("310554332", "732829320")
        );
        assert_eq!(t1.siren_problem, None);
    }
);

// A SIRET that gives no dossier is said as a SIRET, with its SIREN.
both_backends!(
    a_siret_of_no_dossier_is_said_with_its_siren,
    |db: TestDb| async move {
        demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("siret.csv");
        std::fs::write(
            &file,
            "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n\
             T-1,V-1,2026-11-02,775 670 417 00002,732829320,emitted,100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,\n\
             T-2,V-2,2026-11-02,775670417,732829320,emitted,100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,\n",
        )
        .unwrap();
        let mut req = request("generic", Some("Pennylane"), &[]);
        req.files = vec![file];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        assert_eq!(
            report.files[0].errors,
            [
                "siret.csv:2: seller_siren: aucun dossier du cabinet n'a le SIREN 775670417 (SIRET 77567041700002) : importez le client, ou ajoutez une colonne dossier_ref",
                "siret.csv:3: seller_siren: aucun dossier du cabinet n'a ce SIREN (importez le client, ou ajoutez une colonne dossier_ref) (775670417)",
            ]
        );
    }
);

// A huge amount is too large, not unreadable; a date in the future is a
// swap of day and month only when the format could swap them, the day could
// be a month and the swapped date is not in the future too.
both_backends!(
    huge_amounts_and_future_dates_say_what_is_wrong,
    |db: TestDb| async move {
        demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("odd.txt");
        std::fs::write(
            &file,
            "EXPORT STATUTS 25.11.2026\n\
             Ref|Numero|Emise le|Vendeur|Acheteur|S|TTC|Etat|Horodatage|Code client\n\
             X1|C-1|03.11.2026|312296510|552081317|V|99 999 999 999 999 999 999,99|DEPOT|03.11.2026 09:00:00|D029\n\
             X2|C-2|29.11.2026|312296510|552081317|V|10,00|DEPOT|03.11.2026 09:00:00|D029\n\
             X3|C-3|03.11.2026|312296510|552081317|V|10,00|DEPOT|05.01.2027 09:00:00|D029\n\
             X4|C-4|11.12.2026|312296510|552081317|V|10,00|DEPOT|03.11.2026 09:00:00|D029\n\
             X5|C-5|03.11.2026|312296510|552081317|V|10,00|DEPOT|26.11.2026 11:00:00|D029\n",
        )
        .unwrap();
        let mut req = request("generic", None, &[]);
        req.profile =
            profile::resolve(fixture("custom-pipe.toml").to_str().unwrap(), None).unwrap();
        req.files = vec![file];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        assert_eq!(
            report.files[0].errors,
            [
                "odd.txt:3: TTC: montant trop grand (au plus 92 233 720 368 547 758,07) (99 999 999 999 999 999 999,99)",
                "odd.txt:4: Emise le: date dans le futur (après le 26/11/2026) (29.11.2026)",
                "odd.txt:5: Horodatage: date dans le futur (après le 26/11/2026) (05.01.2027 09:00:00)",
                "odd.txt:6: Emise le: date dans le futur (après le 26/11/2026) : jour et mois inversés ? vérifiez le format de date du profil (11.12.2026)",
                // On the limit's day, the limit with its time.
                "odd.txt:7: Horodatage: date dans le futur (après le 26/11/2026 10:00) (26.11.2026 11:00:00)",
            ],
            "{}",
            report.render(Lang::Fr)
        );
    }
);

both_backends!(
    a_platform_the_firm_does_not_know_is_refused,
    |db: TestDb| async move {
        let firm = demo_firm(&db).await;
        let req = request("fr-excel", Some("Penylane"), &["fr-excel-export.csv"]);
        let error = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap_err()
            .message(Lang::Fr);
        assert_eq!(
            error,
            "« Penylane » (--source) n'est pas une plateforme agréée connue du cabinet ; vouliez-vous dire « Pennylane » ? Plateformes du cabinet : Pennylane, Tiime, jefacture.com. Pour une autre plateforme : ajoutez-la à « platforms » dans la configuration, puis cabready onboard --firm \"Cabinet Test\" (sans fichier) l'enregistre pour le cabinet."
        );
        // Named by the profile's platform key: said so, and how to do otherwise.
        let mut req = request("generic", None, &["custom-pipe-export.txt"]);
        req.profile =
            profile::resolve(fixture("custom-pipe.toml").to_str().unwrap(), None).unwrap();
        req.profile.file.platform = Some("Iopol".into());
        let error = flux::run(&db.store, &clock(), &req, Lang::En)
            .await
            .unwrap_err()
            .message(Lang::En);
        assert_eq!(
            error,
            "\"Iopol\" (the platform key of profile custom-pipe) is not an approved platform known to the firm. The firm's platforms: Pennylane, Tiime, jefacture.com. Give the files' platform with --source, or correct the profile's platform key. For another platform: add it to 'platforms' in the configuration, then cabready onboard --firm \"Cabinet Test\" (without files) registers it for the firm."
        );
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert_eq!(invoices::counts(&mut conn, firm).await.unwrap(), (0, 0));
        drop(conn);
        // Its spelling aside, a known one is taken as the firm writes it.
        let req = request("fr-excel", Some(" PENNYLANE "), &["fr-excel-export.csv"]);
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        assert_eq!(report.platform, "Pennylane");
    }
);

// Two clients of the firm trading with each other on one platform: the
// seller's export has the invoice as emitted, the buyer's as received,
// under one platform id. Each dossier keeps its side, with its history.
both_backends!(
    an_invoice_between_two_dossiers_of_the_firm_is_kept_for_each,
    |db: TestDb| async move {
        let firm = demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let header = "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n";
        // D007 (310554332) sells to D001 (310079199).
        let seller = dir.path().join("d007.csv");
        std::fs::write(&seller, format!("{header}X-1,V-1,2026-11-02,310554332,310079199,emitted,100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,\n")).unwrap();
        let buyer = dir.path().join("d001.csv");
        std::fs::write(&buyer, format!("{header}X-1,V-1,2026-11-02,310554332,310079199,received,100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,\nX-1,V-1,2026-11-02,310554332,310079199,received,100.00,120.00,EUR,204,,2026-11-03T10:00:00Z,,\n")).unwrap();
        let mut req = request("generic", Some("Pennylane"), &[]);
        req.files = vec![seller, buyer];
        for round in 0..2 {
            let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
                .await
                .unwrap();
            let new: Vec<u64> = report.files.iter().map(|f| f.new_invoices).collect();
            assert_eq!(
                new,
                if round == 0 { [1, 1] } else { [0, 0] },
                "{}",
                report.render(Lang::Fr)
            );
        }
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert_eq!(invoices::counts(&mut conn, firm).await.unwrap(), (2, 3));
        for (code, direction, current) in [("D007", "emitted", 200), ("D001", "received", 204)] {
            let dossier = dossiers::find_by_code(&mut conn, firm, code)
                .await
                .unwrap()
                .unwrap();
            let sides = invoices::for_dossier(&mut conn, firm, dossier.id)
                .await
                .unwrap();
            let side: Vec<_> = sides
                .iter()
                .filter(|i| i.platform_invoice_id == "X-1")
                .collect();
            assert_eq!(side.len(), 1, "{code}: {sides:?}");
            assert_eq!(side[0].direction.code(), direction, "{code}");
            assert_eq!(side[0].current.unwrap().0.number(), current, "{code}");
            // Its journal tells the file that brought its side, once.
            let files: Vec<String> = journal::for_dossier(&mut conn, firm, dossier.id, 100)
                .await
                .unwrap()
                .into_iter()
                .filter(|l| l.action == "flux.dossier_imported")
                .map(|l| format!("{} {}", l.details["file"], l.details["platform"]))
                .collect();
            let file = if code == "D007" {
                "d007.csv"
            } else {
                "d001.csv"
            };
            assert_eq!(files, [format!("\"{file}\" \"Pennylane\"")], "{code}");
        }
    }
);

both_backends!(
    a_directory_or_an_empty_file_is_said_so,
    |db: TestDb| async move {
        demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let folder = dir.path().join("exports");
        std::fs::create_dir(&folder).unwrap();
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "").unwrap();
        let mut req = request("tab-vrbl", Some("Tiime"), &[]);
        req.files = vec![folder, empty];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        let fatal: Vec<_> = report
            .files
            .iter()
            .map(|f| f.fatal.clone().unwrap_or_default())
            .collect();
        assert_eq!(
            fatal,
            [
                "exports: impossible de lire le fichier : c'est un dossier, pas un fichier",
                "empty.csv: fichier vide, aucune ligne d'en-tête",
            ]
        );
    }
);

// The summary: the lines an unclosed quote swallowed are told at its line;
// a file not read has no anomaly figures (the rules run after the files that
// were); several files give their totals.
both_backends!(
    the_summary_tells_swallowed_lines_unread_files_and_totals,
    |db: TestDb| async move {
        demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let header = "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n";
        let line = |id: &str, reason: &str| {
            format!("{id},{id},2026-11-02,310554332,732829320,emitted,100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,{reason},D007\n")
        };
        let q = dir.path().join("q.csv");
        let text = [
            header.to_string(),
            line("Q-1", ""),
            line("Q-2", "\"jamais refermé"),
            line("Q-3", ""),
            line("Q-4", ""),
        ]
        .concat();
        std::fs::write(&q, text).unwrap();
        let empty = dir.path().join("empty.csv");
        std::fs::write(&empty, "").unwrap();
        let missing = dir.path().join("missing.csv");

        // No file read: no anomaly figures, and the rules did not run.
        let mut req = request("generic", Some("Pennylane"), &[]);
        req.files = vec![empty.clone(), missing.clone()];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        let shown = report.render(Lang::Fr);
        assert!(!shown.contains("Anomalies"), "{shown}");
        assert_eq!(report.anomalies.opened, 0);

        req.files = vec![q, empty, missing];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        let shown = report.render(Lang::Fr);
        for expected in [
            "q.csv:3: … 2 autres lignes rejetées\n",
            "q.csv : 4 ligne(s) lue(s), 1 importée(s) (1 nouvelle(s) facture(s)), 0 déjà connue(s), 3 rejetée(s), 1 dossier(s) touché(s)\n",
            "3 fichiers (dont 2 non lu(s)) : 4 ligne(s) lue(s), 1 importée(s) (1 nouvelle(s) facture(s)), 0 déjà connue(s), 3 rejetée(s), 1 dossier(s) touché(s) en tout\nAnomalies : ",
        ] {
            assert!(shown.contains(expected), "{expected}\n{shown}");
        }
        assert!(!shown.contains("q.csv: …"), "{shown}");
        assert!(report.anomalies.opened > 0, "{shown}");
    }
);

both_backends!(
    a_known_invoice_given_with_other_values_is_told_and_kept,
    |db: TestDb| async move {
        let firm = demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let header = "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n";
        let first = dir.path().join("v1.csv");
        std::fs::write(&first, format!("{header}C-1,V-1,2026-11-02,310554332,732829320,emitted,100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,\nC-2,V-2,2026-11-02,310554332,732829320,emitted,50.00,60.00,EUR,200,,2026-11-02T10:00:00Z,,\n")).unwrap();
        // C-1's amounts differ, C-2 is the same, with a new status.
        let second = dir.path().join("v2.csv");
        std::fs::write(&second, format!("{header}C-1,V-1,2026-11-02,310554332,732829320,emitted,109.00,130.80,EUR,200,,2026-11-02T10:00:00Z,,\nC-2,V-2,2026-11-02,310554332,732829320,emitted,50.00,60.00,EUR,212,,2026-11-20T10:00:00Z,,\n")).unwrap();
        let mut req = request("generic", Some("Pennylane"), &[]);
        req.files = vec![first];
        flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        req.files = vec![second];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        assert_eq!(report.files[0].differing_invoices, 1);
        let shown = report.render(Lang::Fr);
        assert!(
            shown.contains("v2.csv : 1 facture(s) déjà connue(s) avec d'autres valeurs (numéro, date, SIREN, montants ou devise) : une facture émise ne change pas, CabReady garde celles du premier import (identifiants : C-1)"),
            "{shown}"
        );
        let mut conn = db.store.pool().acquire().await.unwrap();
        let c1 = invoices::find(&mut conn, firm, "Pennylane", "C-1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(c1.amount_ht, Some(10_000));
    }
);

// Lines that are not what they seem: each is an error of its own line, and
// the lines after them are still read.
both_backends!(
    misshapen_lines_opposite_signs_missing_sirens_and_future_dates_are_line_errors,
    |db: TestDb| async move {
        demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("odd.csv");
        let line = |id: &str, tail: &str| {
            format!("{id},{id},2026-11-02,310554332,732829320,emitted,{tail}\n")
        };
        let ok = "100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,D007";
        let text = [
            "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n".to_string(),
            line("S-1", "100.00,120.00,EUR,210,,2026-11-02T10:00:00Z,\"Commande annulée\nà la demande du client\",D007"),
            line("S-2", "100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,"),
            line("S-3", &format!("{ok},en trop")),
            line("S-4", &format!("{ok},,")),
            line("S-5", "-100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,D007"),
            "S-6,S-6,2026-11-02,310554332,,emitted,100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,D007\n".into(),
            line("S-7", "100.00,120.00,EUR,200,,2026-12-11T10:00:00Z,,D007"),
            "S-8,S-8,2026-12-11,310554332,732829320,emitted,100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,D007\n".into(),
            line("S-9", "100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,\"jamais refermé,D007"),
            line("S-10", ok),
            line("S-11", ok),
        ]
        .concat();
        std::fs::write(&file, text).unwrap();
        let mut req = request("generic", Some("Pennylane"), &[]);
        req.files = vec![file];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        let f = &report.files[0];
        let shown = report.render(Lang::Fr);
        // S-1 (a reason over two lines) and S-4 (empty cells after the last
        // column) are imported; S-10 and S-11 are swallowed by S-9's quote,
        // and counted as read and rejected with it.
        assert_eq!((f.rows_read, f.imported, f.rejected), (11, 2, 9), "{shown}");
        for expected in [
            "odd.csv:4: ligne: 13 colonnes au lieu de 14 : vérifiez le séparateur et les guillemets",
            "odd.csv:5: ligne: 15 colonnes au lieu de 14",
            "odd.csv:7: amount_ttc: montants HT et TTC de signes opposés : un avoir a ses deux montants négatifs (-100.00 / 120.00)",
            "odd.csv:8: buyer_siren: valeur obligatoire manquante",
            // ISO: day and month cannot have been swapped.
            "odd.csv:9: status_at: date dans le futur (après le 26/11/2026) (2026-12-11T10:00:00Z)",
            "odd.csv:10: issue_date: date dans le futur (après le 26/11/2026)",
            "odd.csv:11: ligne: un guillemet ouvert n'est pas refermé : la ligne se poursuit jusqu'à la ligne 13, lue comme une seule cellule ; les 2 ligne(s) qu'elle englobe ne sont pas importées : refermez le guillemet (ou doublez-le : \"\") et importez à nouveau le fichier",
        ] {
            assert!(f.errors.iter().any(|e| e.contains(expected)), "{expected}\n{shown}");
        }
    }
);

both_backends!(
    a_utf8_export_read_as_windows_1252_is_said,
    |db: TestDb| async move {
        demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let bytes = std::fs::read(fixture("fr-excel-export.csv")).unwrap();
        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(&bytes);
        let utf8 = dir.path().join("utf8.csv");
        std::fs::write(&utf8, text.as_bytes()).unwrap();
        let mut req = request("fr-excel", Some("Pennylane"), &[]);
        req.files = vec![utf8];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        let fatal = report.files[0].fatal.as_deref().unwrap_or_default();
        assert!(
        fatal.contains("ces en-têtes semblent en UTF-8 lus comme du Windows-1252 : le fichier est en UTF-8, mettez encoding = \"utf-8\" dans le profil"),
        "{fatal}"
    );
    }
);

// With plain-ASCII headers nothing shows at the header: each line whose
// text is UTF-8 is refused, said so, instead of being stored garbled
// ("erronÃ©"); the lines in plain ASCII read the same, and are imported.
both_backends!(
    utf8_lines_read_as_windows_1252_are_refused_even_with_ascii_headers,
    |db: TestDb| async move {
        let firm = demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("utf8.csv");
        std::fs::write(
            &file,
            "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n\
             E-1,V-1,2026-11-02,310554332,732829320,emitted,100.00,120.00,EUR,210,,2026-11-02T10:00:00Z,\"Montant erroné, TVA à 20 % oubliée\",D007\n\
             E-2,V-2,2026-11-02,310554332,732829320,emitted,100.00,120.00,EUR,200,,2026-11-02T10:00:00Z,,D007\n\
             E-3,V-3,2026-11-02,310554332,732829320,emitted,100.00,120.00,EUR,Déposée,,2026-11-02T10:00:00Z,,D007\n",
        )
        .unwrap();
        let mut req = request("generic", Some("Pennylane"), &[]);
        req.profile.encoding = profile::Encoding::Windows1252;
        req.files = vec![file];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        let f = &report.files[0];
        let shown = report.render(Lang::Fr);
        assert_eq!((f.imported, f.rejected), (1, 2), "{shown}");
        assert_eq!(
            f.errors,
            [
                "utf8.csv:2: status_reason: texte en UTF-8 lu comme du Windows-1252 (« Montant erroné, TVA à 20 % oubliée ») : le fichier est en UTF-8, mettez encoding = \"utf-8\" dans le profil (Montant erronÃ©, TVA Ã\u{a0} 20 % oubliÃ©e)",
                "utf8.csv:4: status_code: texte en UTF-8 lu comme du Windows-1252 (« Déposée ») : le fichier est en UTF-8, mettez encoding = \"utf-8\" dans le profil (DÃ©posÃ©e)",
            ],
            "{shown}"
        );
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert!(invoices::find(&mut conn, firm, "Pennylane", "E-1")
            .await
            .unwrap()
            .is_none());
        assert!(invoices::find(&mut conn, firm, "Pennylane", "E-2")
            .await
            .unwrap()
            .is_some());
    }
);

both_backends!(
    the_journal_tells_the_lines_left_out,
    |db: TestDb| async move {
        let firm = demo_firm(&db).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let start = journal::last_id(&mut conn, firm).await.unwrap();
        drop(conn);
        // Small batches: the rejected lines fall between several journal lines.
        let mut req = request("fr-excel", Some("Pennylane"), &["fr-excel-export.csv"]);
        req.batch_size = 3;
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        assert!(report.rejected() >= 4, "{}", report.render(Lang::Fr));
        let mut conn = db.store.pool().acquire().await.unwrap();
        let imports: Vec<_> = journal::since(&mut conn, firm, start, 1000)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.action == "flux.imported")
            .collect();
        assert!(imports.len() > 1, "{imports:?}");
        let told: u64 = imports
            .iter()
            .map(|l| l.details["rejected_lines"].as_u64().unwrap())
            .sum();
        assert_eq!(told, report.rejected());
    }
);

/// SQLite: the import pauses the WAL's automatic checkpoints on its
/// connection; every connection of the pool checkpoints again afterwards,
/// and the WAL file is emptied.
#[tokio::test]
async fn an_import_leaves_the_wal_checkpointed_as_usual() {
    let db = TestDb::new(Backend::Sqlite).await;
    demo_firm(&db).await;
    let mut req = request("fr-excel", Some("Pennylane"), &["fr-excel-export.csv"]);
    req.batch_size = 2; // several batches
    let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
        .await
        .unwrap();
    assert!(report.files[0].imported > 0);
    // All the pool's connections at once: the import's among them, once
    // the pool has it back.
    let pool = db.store.pool();
    let mut held = Vec::new();
    for _ in 0..pool.options().get_max_connections() {
        held.push(pool.acquire().await.unwrap());
    }
    for conn in &mut held {
        let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(pages, 1000, "a connection left without checkpoints");
    }
    // And the WAL is back in the database and emptied, not left on disk.
    let dir = db.keep_alive().unwrap();
    let wal = std::fs::metadata(dir.path().join("cabready.db-wal")).unwrap();
    assert_eq!(wal.len(), 0);
}

both_backends!(dry_run_writes_nothing, |db: TestDb| async move {
    let firm = demo_firm(&db).await;
    let mut conn = db.store.pool().acquire().await.unwrap();
    let lines = journal::count(&mut conn, firm).await.unwrap();
    drop(conn);
    let mut req = request(
        "iso-offset",
        Some("jefacture.com"),
        &["iso-offset-export.csv"],
    );
    req.dry_run = true;
    req.batch_size = 2; // several batches, one transaction
    let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
        .await
        .unwrap();
    assert_eq!(report.files[0].imported, 8);
    assert!(report.anomalies.opened > 0);
    let mut conn = db.store.pool().acquire().await.unwrap();
    assert_eq!(invoices::counts(&mut conn, firm).await.unwrap(), (0, 0));
    assert_eq!(journal::count(&mut conn, firm).await.unwrap(), lines);
    assert!(
        anomalies::list(&mut conn, firm, &Filter::default(), clock().now())
            .await
            .unwrap()
            .is_empty()
    );
});

both_backends!(
    missing_columns_and_unknown_profile,
    |db: TestDb| async move {
        demo_firm(&db).await;
        // The generic profile on another convention's export: nothing matches.
        let report = flux::run(
            &db.store,
            &clock(),
            &request("generic", None, &["iso-offset-export.csv"]),
            Lang::En,
        )
        .await
        .unwrap();
        let fatal = report.files[0].fatal.as_deref().unwrap();
        assert!(
        fatal.starts_with(
            "iso-offset-export.csv:1: header: column(s) of profile generic missing: platform_invoice_id"
        ),
        "{fatal}"
    );
        assert!(report.failed());
        // A UTF-8 profile on a Windows-1252 file: said at once, on the header.
        let report = flux::run(
            &db.store,
            &clock(),
            &request("generic", None, &["fr-excel-export.csv"]),
            Lang::Fr,
        )
        .await
        .unwrap();
        let fatal = report.files[0].fatal.as_deref().unwrap();
        assert!(
            fatal.starts_with(
                "fr-excel-export.csv:1: en-tête : illisible, vérifiez la clé encoding du profil : ce n'est pas de l'UTF-8"
            ),
            "{fatal}"
        );
        let err = profile::resolve("docusign", None).unwrap_err();
        assert!(err
            .message(Lang::Fr)
            .starts_with("profil de plateforme inconnu : docusign"));
    }
);

// A header that is not where skip_rows says: the message says where it is,
// or asks.
both_backends!(
    a_header_skip_rows_misses_is_said_with_the_right_skip_rows,
    |db: TestDb| async move {
        demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(fixture("tab-vrbl-export.tsv")).unwrap();
        let body: Vec<&str> = text.lines().skip(2).collect();
        // The export without its two title lines, read with skip_rows = 2.
        let notitle = dir.path().join("notitle.tsv");
        std::fs::write(&notitle, body.join("\n")).unwrap();
        // The same, its header renamed: the header cannot be found.
        let renamed = dir.path().join("renamed.tsv");
        std::fs::write(&renamed, body.join("\n").replace("ID_FLUX", "IDENTIFIANT")).unwrap();
        // Two title lines the generic profile (skip_rows = 0) does not skip.
        let titled = dir.path().join("titled.csv");
        let generic = std::fs::read_to_string(fixture("generic-export.csv")).unwrap();
        std::fs::write(&titled, format!("Export du 25/11/2026\n\n{generic}")).unwrap();
        let mut req = request("tab-vrbl", Some("Tiime"), &[]);
        req.files = vec![notitle, renamed];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        let fatal: Vec<_> = report
            .files
            .iter()
            .map(|f| f.fatal.clone().unwrap_or_default())
            .collect();
        assert!(
            fatal[0].starts_with("notitle.tsv:3: en-tête : colonne(s) du profil tab-vrbl absente(s) : ")
                && fatal[0].ends_with(" ; skip_rows = 2 saute les 2 premières lignes, dont l'en-tête du profil (ligne 1) : mettez skip_rows = 0 dans le profil"),
            "{}",
            fatal[0]
        );
        assert!(
            fatal[1].ends_with(
                " ; skip_rows = 2 saute les 2 premières lignes ; l'en-tête est-il à la ligne 1 ?"
            ),
            "{}",
            fatal[1]
        );
        let mut req = request("generic", None, &[]);
        req.files = vec![titled];
        let report = flux::run(&db.store, &clock(), &req, Lang::En)
            .await
            .unwrap();
        let fatal = report.files[0].fatal.as_deref().unwrap_or_default();
        assert!(
            fatal.starts_with("titled.csv:1: header: column(s) of profile generic missing: ")
                && fatal.ends_with(
                    "; the profile's header is on line 3: set skip_rows = 2 in the profile"
                ),
            "{fatal}"
        );
    }
);

// A header read with the wrong delimiter: the delimiter is said, not
// skip_rows.
both_backends!(
    a_header_read_with_the_wrong_delimiter_says_which_one_reads_it,
    |db: TestDb| async move {
        demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        // Two title lines, then the fr-excel export (";"), read with ",".
        let titled = dir.path().join("titled.csv");
        let bytes = std::fs::read(fixture("fr-excel-export.csv")).unwrap();
        std::fs::write(
            &titled,
            [b"Export\ndu 25/11/2026\n".as_slice(), &bytes].concat(),
        )
        .unwrap();
        let mut req = request("fr-excel", Some("Pennylane"), &[]);
        req.profile.delimiter = b',';
        req.profile.file.skip_rows = 2;
        req.files = vec![titled];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        let fatal = report.files[0].fatal.as_deref().unwrap_or_default();
        assert!(
            fatal.starts_with("titled.csv:3: en-tête : colonne(s) du profil fr-excel absente(s) : ")
                && fatal.ends_with(" ; l'en-tête se lit avec le séparateur « ; » : mettez delimiter = \";\" dans le profil"),
            "{fatal}"
        );
        assert!(!fatal.contains("skip_rows"), "{fatal}");
        // The generic export written with tabs, read with ",".
        let tabs = dir.path().join("tabs.csv");
        let generic = std::fs::read_to_string(fixture("generic-export.csv")).unwrap();
        std::fs::write(&tabs, generic.replace(',', "\t")).unwrap();
        let mut req = request("generic", None, &[]);
        req.files = vec![tabs];
        let report = flux::run(&db.store, &clock(), &req, Lang::En)
            .await
            .unwrap();
        let fatal = report.files[0].fatal.as_deref().unwrap_or_default();
        assert!(
            fatal.ends_with(
                "; the header reads with delimiter tab: set delimiter = \"\\t\" in the profile"
            ),
            "{fatal}"
        );
    }
);

// An export declared one-directional whose line has the other side among
// the firm's dossiers: said so, not "no dossier has this SIREN".
both_backends!(
    a_line_of_the_other_direction_in_a_fixed_direction_export_is_said,
    |db: TestDb| async move {
        demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let text = std::fs::read_to_string(fixture("tab-vrbl-export.tsv")).unwrap();
        let head: Vec<&str> = text.lines().take(3).collect();
        let file = dir.path().join("emitted.tsv");
        // D005 (310395959) sells to a company that is not a client.
        std::fs::write(
            &file,
            format!(
                "{}\nTI-9\tFX-9\t20261105\t310395959\t552081317\t100,00\t120,00\tVRBL:FR:203\t\t20261105100000\t\n",
                head.join("\n")
            ),
        )
        .unwrap();
        let mut req = request("tab-vrbl", Some("Tiime"), &[]);
        req.files = vec![file];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        assert_eq!(
            report.files[0].errors,
            ["emitted.tsv:4: SIREN_CLIENT: le vendeur 310395959 est le dossier D005 : une facture émise dans un export déclaré direction = \"received\" ? (552081317)"],
            "{}",
            report.render(Lang::Fr)
        );
    }
);

both_backends!(
    profile_written_from_the_docs_only,
    |db: TestDb| async move {
        let firm = demo_firm(&db).await;
        let mut req = request("generic", None, &["custom-pipe-export.txt"]);
        req.profile =
            profile::resolve(fixture("custom-pipe.toml").to_str().unwrap(), None).unwrap();
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        check_golden("custom-pipe-export.txt", &report.render(Lang::Fr));
        let mut conn = db.store.pool().acquire().await.unwrap();
        let x1 = invoices::find(&mut conn, firm, "Tiime", "X1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(x1.amount_ttc, Some(123_450));
        assert_eq!(x1.current.unwrap().0.number(), 212);
        assert_eq!(
            x1.current.unwrap().1.to_rfc3339(),
            "2026-11-20T17:30:00+00:00",
            "local time, Europe/Paris"
        );
        let x2 = invoices::find(&mut conn, firm, "Tiime", "X2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(x2.direction, cabready_store::domain::Direction::Received);
    }
);

/// Each dossier's flow dates, as stored.
async fn flow_dates(
    conn: &mut sqlx::AnyConnection,
    firm: i64,
) -> Vec<(i64, Option<String>, Option<String>)> {
    sqlx::query_as(
        "SELECT id, last_received_at, last_emitted_at FROM dossiers WHERE firm_id = $1 ORDER BY id",
    )
    .bind(firm)
    .fetch_all(conn)
    .await
    .unwrap()
}

// Many small batches over two files, an invoice's lines spread over both:
// whatever writes them (PostgreSQL: two connections at once), every line is
// there once, every invoice has its latest status, and the dossiers' flow
// dates are those their invoices give.
both_backends!(
    two_files_in_small_batches_give_the_flow_dates_of_the_invoices,
    |db: TestDb| async move {
        let firm = demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let header = "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n";
        let mut files = [header.to_string(), header.to_string()];
        // Each line names its dossier and carries that dossier's SIREN on its side.
        let mut conn = db.store.pool().acquire().await.unwrap();
        let mut sirens = Vec::new();
        for d in 1..=40 {
            let dossier = dossiers::find_by_code(&mut conn, firm, &format!("D{d:03}"))
                .await
                .unwrap()
                .unwrap();
            sirens.push(dossier.record.siren.to_string());
        }
        drop(conn);
        let other = "732829320";
        // 120 invoices over the 40 dossiers, 3 statuses each: deposited and
        // made available in the first file, cashed (or refused) in the second.
        for n in 0..120u32 {
            let dossier = format!("D{:03}", 1 + n % 40);
            let ours = &sirens[(n % 40) as usize];
            let direction = if n % 3 == 0 { "received" } else { "emitted" };
            let (seller, buyer) = if n % 3 == 0 {
                (other, ours.as_str())
            } else {
                (ours.as_str(), other)
            };
            let day = 1 + n % 20;
            let last = if n % 7 == 0 { 210 } else { 212 };
            for (file, code, hour) in [(0, 200, 8), (0, 204, 9), (1, last, 10)] {
                files[file].push_str(&format!(
                    "N-{n},F-{n},2026-11-{day:02},{seller},{buyer},{direction},10.00,12.00,EUR,{code},,2026-11-{day:02}T{hour:02}:00:00Z,,{dossier}\n"
                ));
            }
        }
        let paths = [dir.path().join("a.csv"), dir.path().join("b.csv")];
        for (path, text) in paths.iter().zip(&files) {
            std::fs::write(path, text).unwrap();
        }
        let mut req = request("generic", Some("Pennylane"), &[]);
        req.files = paths.to_vec();
        req.batch_size = 7;
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        let imported: u64 = report.files.iter().map(|f| f.imported).sum();
        let created: u64 = report.files.iter().map(|f| f.new_invoices).sum();
        assert_eq!((imported, created), (360, 120));
        assert_eq!(report.rejected(), 0);

        let mut conn = db.store.pool().acquire().await.unwrap();
        assert_eq!(invoices::counts(&mut conn, firm).await.unwrap(), (120, 360));
        for n in [0u32, 1, 7, 119] {
            let invoice = invoices::find(&mut conn, firm, "Pennylane", &format!("N-{n}"))
                .await
                .unwrap()
                .unwrap();
            let expected = if n % 7 == 0 { 210 } else { 212 };
            assert_eq!(invoice.current.unwrap().0.number(), expected, "N-{n}");
        }
        let imported_dates = flow_dates(&mut conn, firm).await;
        assert_eq!(
            imported_dates
                .iter()
                .filter(|(_, r, e)| r.is_some() && e.is_some())
                .count(),
            40,
            "every dossier has both directions: {imported_dates:?}"
        );
        invoices::refresh_flow_dates(&mut conn, firm, None)
            .await
            .unwrap();
        assert_eq!(flow_dates(&mut conn, firm).await, imported_dates);
    }
);

// An anomaly an import clears says, in its journal line, which import did.
both_backends!(
    an_anomaly_closed_by_an_import_names_the_import,
    |db: TestDb| async move {
        let firm = demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let mut conn = db.store.pool().acquire().await.unwrap();
        let siren = dossiers::find_by_code(&mut conn, firm, "D001")
            .await
            .unwrap()
            .unwrap()
            .record
            .siren
            .to_string();
        drop(conn);
        let header = "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n";
        let line = |code: u16, at: &str| {
            format!("RJ-1,F-RJ-1,2026-11-20,{siren},732829320,emitted,10.00,12.00,EUR,{code},,{at},,D001\n")
        };
        let rejected = dir.path().join("rejet.csv");
        std::fs::write(
            &rejected,
            format!("{header}{}", line(213, "2026-11-21T09:00:00Z")),
        )
        .unwrap();
        let again = dir.path().join("redepot.csv");
        std::fs::write(
            &again,
            format!("{header}{}", line(200, "2026-11-22T09:00:00Z")),
        )
        .unwrap();
        let mut req = request("generic", Some("Pennylane"), &[]);
        req.files = vec![rejected];
        flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        req.files = vec![again];
        let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
            .await
            .unwrap();
        assert_eq!(report.anomalies.closed, 1);
        let mut conn = db.store.pool().acquire().await.unwrap();
        let closed = journal::since(&mut conn, firm, 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .find(|l| l.action == "anomaly.auto_closed")
            .unwrap();
        let cause = closed.details["cause"].as_str().unwrap();
        assert_eq!(
            Said::show(cause, Lang::Fr),
            "règles réévaluées après l'import de redepot.csv"
        );
        assert_eq!(
            Said::show(cause, Lang::En),
            "rules run again after importing redepot.csv"
        );
    }
);

/// A small deterministic generator (no dependency, the same cases each run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) as usize) % below.max(1)
    }
}

// Exports damaged the ways files get damaged (a stray quote, delimiter or
// line break, bytes of another encoding, a NUL, a cut): the import never
// panics, and every line it reads is imported, known or reported rejected.
both_backends!(
    damaged_exports_never_panic_and_every_line_is_counted,
    |db: TestDb| async move {
        demo_firm(&db).await;
        let dir = tempfile::tempdir().unwrap();
        let nasty: &[u8] = b"\";,\t\n\r\xff\xc3\x00 9aZ-./:";
        let mut rng = Lcg(2026);
        let (mut rejected, mut imported, mut fatal) = (0, 0, 0);
        for (profile_name, source, file) in [
            ("fr-excel", Some("Pennylane"), "fr-excel-export.csv"),
            ("iso-offset", Some("jefacture.com"), "iso-offset-export.csv"),
            ("tab-vrbl", Some("Tiime"), "tab-vrbl-export.tsv"),
            ("generic", None, "generic-export.csv"),
        ] {
            let original = std::fs::read(fixture(file)).unwrap();
            for case in 0..12 {
                let mut bytes = original.clone();
                for _ in 0..1 + rng.next(6) {
                    let at = rng.next(bytes.len());
                    match rng.next(3) {
                        0 => bytes[at] = nasty[rng.next(nasty.len())],
                        1 => bytes.insert(at, nasty[rng.next(nasty.len())]),
                        _ => {
                            bytes.remove(at);
                        }
                    }
                }
                if case % 4 == 3 {
                    let cut = rng.next(bytes.len());
                    bytes.truncate(cut);
                }
                let path = dir.path().join(format!("{case}-{file}"));
                std::fs::write(&path, &bytes).unwrap();
                let mut req = request(profile_name, source, &[]);
                req.files = vec![path];
                req.dry_run = true;
                let report = flux::run(&db.store, &clock(), &req, Lang::Fr)
                    .await
                    .unwrap_or_else(|e| panic!("{file} case {case}: {e:?}"));
                let f = &report.files[0];
                rejected += f.rejected;
                imported += f.imported;
                fatal += u64::from(f.fatal.is_some());
                if f.fatal.is_none() {
                    assert_eq!(
                        f.rows_read,
                        f.imported + f.already_known + f.rejected,
                        "{file} case {case}: {}",
                        report.render(Lang::Fr)
                    );
                }
                // Whatever was said is said in words, with its place.
                for e in &f.errors {
                    assert!(e.contains(':'), "{file} case {case}: {e}");
                }
            }
        }
        // The damage bit: lines were refused, files too (a broken
        // header), and the rest was read.
        assert!(
            rejected > 0 && imported > 0 && fatal > 0,
            "{rejected} {imported} {fatal}"
        );
    }
);
