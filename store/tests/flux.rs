//! Invoice flows and the anomaly queue, identical on SQLite and PostgreSQL.

use cabready_store::anomalies::{self, AnomalyLimits, AnomalyStatus, Filter, Severity};
use cabready_store::domain::*;
use cabready_store::dossiers::{self, ActivityFlags, DossierRecord};
use cabready_store::invoices::{self, FlowEvent};
use cabready_store::journal::{self, Actor};
use cabready_store::users::{self, UserRecord};
use cabready_store::{firms, platforms, Lang, Said, StoreError};
use cabready_testkit::{both_backends, TestDb};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
}

/// Adds a dossier to the firm (its SIREN made from `seed`, its category
/// set by hand, optionally an owner and portfolio) and returns its id.
async fn add_dossier(
    conn: &mut sqlx::AnyConnection,
    firm_id: i64,
    code: &str,
    seed: u32,
    category: SizeCategory,
    owner: Option<(Email, &str)>,
) -> i64 {
    let (owner, portfolio) = owner.map_or((None, None), |(e, p)| (Some(e), Some(p.to_string())));
    let record = DossierRecord {
        code: code.into(),
        legal_name: format!("Société {code}"),
        siren: Siren::with_check_digit(seed),
        legal_form: None,
        financials: Financials::default(),
        category: Some((category, CategorySource::Override)),
        vat: None,
        flags: ActivityFlags::default(),
        owner,
        portfolio,
        tags: vec![],
        contact: None,
    };
    dossiers::upsert(conn, firm_id, &record, &Actor::System, now())
        .await
        .unwrap();
    dossiers::find_by_code(conn, firm_id, code)
        .await
        .unwrap()
        .unwrap()
        .id
}

/// A firm with one accountant and two dossiers: D1 (GE, emission applies, on Pennylane), D2 (micro).
async fn setup(db: &TestDb) -> (i64, i64, i64) {
    let mut conn = db.store.pool().acquire().await.unwrap();
    let (firm, _) = firms::ensure(
        &mut conn,
        "Cabinet Flux",
        &["Pennylane".to_string(), "Tiime".to_string()],
        &Actor::System,
        now(),
    )
    .await
    .unwrap();
    let anne = UserRecord {
        email: Email::parse("anne@cabinet.fr").unwrap(),
        name: "Anne".into(),
        role: Role::Accountant,
        discord_id: None,
        portfolios: vec!["Nord".into()],
    };
    users::upsert(&mut conn, firm.id, &anne, &Actor::System, now())
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (code, seed, category) in [
        ("D1", 11111111, SizeCategory::Ge),
        ("D2", 22222222, SizeCategory::Micro),
    ] {
        let owner = Some((anne.email.clone(), "Nord"));
        ids.push(add_dossier(&mut conn, firm.id, code, seed, category, owner).await);
    }
    platforms::set_for_dossier(
        &mut conn,
        firm.id,
        ids[0],
        "Pennylane",
        PlatformState::Live,
        &Actor::System,
        now(),
    )
    .await
    .unwrap();
    (firm.id, ids[0], ids[1])
}

fn event(dossier: i64, pid: &str, code: u16, days_ago: i64, direction: Direction) -> FlowEvent {
    FlowEvent {
        dossier_id: dossier,
        platform: "Pennylane".into(),
        platform_invoice_id: pid.into(),
        invoice_number: format!("F-{pid}"),
        issue_date: Some(today() - Duration::days(days_ago + 1)),
        direction,
        seller_siren: Siren::with_check_digit(11111111).to_string(),
        buyer_siren: "732829320".into(),
        siren_problem: None,
        amount_ht: Some(10_000),
        amount_ttc: Some(12_000),
        currency: "EUR".into(),
        code: LifecycleCode::parse(&code.to_string()).unwrap(),
        status_at: now() - Duration::days(days_ago),
        label: code.to_string(),
        reason: None,
    }
}

both_backends!(
    batches_are_idempotent_and_keep_history,
    |db: TestDb| async move {
        let (firm, d1, _) = setup(&db).await;
        let mut tx = db.store.begin().await.unwrap();
        let actor = Actor::Import("a.csv".into());
        let events = vec![
            event(d1, "P1", 200, 5, Direction::Emitted),
            event(d1, "P1", 212, 1, Direction::Emitted),
            event(d1, "P1", 205, 3, Direction::Emitted),
            event(d1, "P2", 200, 2, Direction::Emitted),
            event(d1, "P2", 200, 2, Direction::Emitted),
        ];
        let out = invoices::record_batch(&mut tx, firm, &events, "a.csv", &actor, now())
            .await
            .unwrap();
        assert_eq!(
            (out.new_invoices, out.new_statuses, out.known_statuses),
            (2, 4, 1)
        );
        assert_eq!(out.dossiers.len(), 1);
        tx.commit().await.unwrap();

        let mut conn = db.store.pool().acquire().await.unwrap();
        let journal_before = journal::count(&mut conn, firm).await.unwrap();
        let again = invoices::record_batch(&mut conn, firm, &events, "a.csv", &actor, now())
            .await
            .unwrap();
        assert_eq!(
            (again.new_invoices, again.new_statuses, again.known_statuses),
            (0, 0, 5)
        );
        assert_eq!(
            journal::count(&mut conn, firm).await.unwrap(),
            journal_before
        );
        assert_eq!(invoices::counts(&mut conn, firm).await.unwrap(), (2, 4));

        let p1 = invoices::find(&mut conn, firm, "Pennylane", "P1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            p1.current.unwrap().0,
            LifecycleCode::CASHED,
            "latest event wins, whatever the line order"
        );
        let history = invoices::history(&mut conn, firm, p1.id).await.unwrap();
        let codes: Vec<u16> = history.iter().map(|h| h.code.number()).collect();
        assert_eq!(codes, vec![200, 205, 212]);
    }
);

both_backends!(
    anomalies_open_once_close_by_themselves_and_are_handled,
    |db: TestDb| async move {
        let (firm, d1, d2) = setup(&db).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let actor = Actor::Import("b.csv".into());
        let mut bad_siren = event(d1, "P3", 205, 1, Direction::Emitted);
        bad_siren.buyer_siren = "123456789".into();
        bad_siren.siren_problem = Some("buyer_siren".into());
        let mut other = event(d2, "R1", 203, 20, Direction::Received);
        other.platform = "Tiime".into();
        let mut dup = event(d1, "P4", 201, 0, Direction::Emitted);
        // Issued under the number of P2 (not rejected): a duplicate.
        dup.invoice_number = "F-P2".into();
        // An older emitted flow on another platform: D1's latest emission
        // is still the recent one (no "no_emission").
        let mut old_elsewhere = event(d1, "T1", 212, 200, Direction::Emitted);
        old_elsewhere.platform = "Tiime".into();
        let events = vec![
            event(d1, "P1", 213, 1, Direction::Emitted),
            event(d1, "P2", 204, 40, Direction::Emitted),
            bad_siren,
            other,
            dup,
            old_elsewhere,
        ];
        invoices::record_batch(&mut conn, firm, &events, "b.csv", &actor, now())
            .await
            .unwrap();
        let limits = AnomalyLimits::default();
        let journaled_before = journal::last_id(&mut conn, firm).await.unwrap();
        let first = anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        let open = anomalies::list(&mut conn, firm, &Filter::default(), now())
            .await
            .unwrap();
        let mut rules: Vec<&str> = open.iter().map(|a| a.rule.as_str()).collect();
        rules.sort();
        assert_eq!(
            rules,
            vec![
                "duplicate_number",
                "invalid_siren",
                "invoice_rejected",
                "invoice_stuck",
                "no_reception_flow",
                "other_platform",
                "received_not_taken",
            ]
        );
        assert_eq!(first.opened, 7);
        // One journal line per new anomaly, by the system, with its finding.
        let opened = journal::since(&mut conn, firm, journaled_before, 100)
            .await
            .unwrap();
        assert_eq!(opened.len(), 7);
        for a in &open {
            let line = opened.iter().find(|l| l.entity_id == Some(a.id)).unwrap();
            assert_eq!(
                (
                    line.action.as_str(),
                    line.actor_kind.as_str(),
                    line.entity.as_str()
                ),
                ("anomaly.opened", "system", "anomaly")
            );
            assert_eq!(line.dossier_id, a.dossier_id);
            // Each goes to its dossier's accountant, and the journal says so.
            let owner = a.dossier_id.map(|_| "anne@cabinet.fr");
            assert_eq!(a.assignee.as_deref(), owner, "{}", a.key);
            assert_eq!(
                line.details,
                serde_json::json!({ "rule": a.rule, "key": a.key, "severity": a.severity.code(), "details": a.details, "assignee": owner })
            );
        }
        assert_eq!(open[0].severity, Severity::Critical);
        let rejected = open.iter().find(|a| a.rule == "invoice_rejected").unwrap();
        assert_eq!(rejected.describe(Lang::Fr), "Facture F-P1 rejetée (213) le 24/11/2026 (plateforme Pennylane) — à corriger et à redéposer");
        let no_reception = open.iter().find(|a| a.rule == "no_reception_flow").unwrap();
        assert_eq!(no_reception.dossier_code.as_deref(), Some("D1"));

        // Evaluating again changes nothing, writes nothing.
        let lines = journal::count(&mut conn, firm).await.unwrap();
        let second = anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        assert_eq!(
            (second.opened, second.closed, second.reopened, second.open),
            (0, 0, 0, 7)
        );
        assert_eq!(journal::count(&mut conn, firm).await.unwrap(), lines);

        // The rejected invoice is submitted again and accepted: its anomaly closes by itself.
        let fixed = vec![event(d1, "P1", 200, 0, Direction::Emitted)];
        let mut later = fixed.clone();
        later[0].status_at = now();
        invoices::record_batch(&mut conn, firm, &later, "c.csv", &actor, now())
            .await
            .unwrap();
        let third = anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        assert_eq!(third.closed, 1);
        let closed = anomalies::get(&mut conn, firm, rejected.id).await.unwrap();
        assert_eq!(closed.status, AnomalyStatus::Closed);
        let last = journal::for_dossier(&mut conn, firm, d1, 1).await.unwrap();
        assert_eq!(last[0].action, "anomaly.auto_closed");
        assert_eq!(last[0].actor_kind, "system");

        // People: assign, comment, resolve, dismiss, each journaled with its author.
        let anne = Email::parse("anne@cabinet.fr").unwrap();
        let by_anne = Actor::User("anne@cabinet.fr".into());
        let stuck = open.iter().find(|a| a.rule == "invoice_stuck").unwrap();
        // Hers from the start (her dossier's): given back, then taken.
        anomalies::assign(&mut conn, firm, stuck.id, None, &by_anne, now())
            .await
            .unwrap();
        anomalies::assign(&mut conn, firm, stuck.id, Some(&anne), &by_anne, now())
            .await
            .unwrap();
        anomalies::comment(
            &mut conn,
            firm,
            stuck.id,
            "relance du client faite",
            &by_anne,
            now(),
        )
        .await
        .unwrap();
        let mine = Filter {
            assignee: Some(Some(anne.clone())),
            ..Default::default()
        };
        // Hers: the open anomalies of her dossiers (all of the firm's here).
        let still_open = anomalies::list(&mut conn, firm, &Filter::default(), now())
            .await
            .unwrap();
        assert_eq!(
            anomalies::list(&mut conn, firm, &mine, now())
                .await
                .unwrap()
                .len(),
            still_open.iter().filter(|a| a.dossier_id.is_some()).count()
        );
        let err = anomalies::resolve(&mut conn, firm, stuck.id, "  ", &by_anne, now())
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Refused { .. }));
        anomalies::resolve(
            &mut conn,
            firm,
            stuck.id,
            "payée, statut à jour",
            &by_anne,
            now(),
        )
        .await
        .unwrap();
        let dup_a = open.iter().find(|a| a.rule == "duplicate_number").unwrap();
        anomalies::dismiss(
            &mut conn,
            firm,
            dup_a.id,
            "avoir et facture",
            &by_anne,
            now(),
        )
        .await
        .unwrap();
        let err = anomalies::dismiss(&mut conn, firm, dup_a.id, "encore", &by_anne, now())
            .await
            .unwrap_err();
        assert!(
            err.user_message(Lang::Fr).contains("n'est plus ouverte"),
            "{err:?}"
        );
        let comments = anomalies::comments(&mut conn, firm, stuck.id)
            .await
            .unwrap();
        assert_eq!(comments[0].author, "anne@cabinet.fr");
        let lines = journal::for_dossier(&mut conn, firm, d1, 10).await.unwrap();
        let actions: Vec<&str> = lines.iter().take(4).map(|l| l.action.as_str()).collect();
        assert_eq!(
            actions,
            vec![
                "anomaly.dismissed",
                "anomaly.resolved",
                "anomaly.commented",
                "anomaly.assigned"
            ]
        );
        assert_eq!(lines[0].actor, "anne@cabinet.fr");

        // Resolved and dismissed stay so while their condition holds; the queue filters.
        let fourth = anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        assert_eq!((fourth.opened, fourth.closed, fourth.reopened), (0, 0, 0));

        let critical = Filter {
            severity: Some(Severity::Critical),
            ..Default::default()
        };
        assert!(anomalies::list(&mut conn, firm, &critical, now())
            .await
            .unwrap()
            .is_empty());
        let d2_only = Filter {
            dossier_code: Some("D2".into()),
            ..Default::default()
        };
        let d2_open = anomalies::list(&mut conn, firm, &d2_only, now())
            .await
            .unwrap();
        assert!(d2_open.iter().all(|a| a.dossier_id == Some(d2)));
        assert_eq!(d2_open.len(), 2);
        let summary = anomalies::summary(&mut conn, firm).await.unwrap();
        assert_eq!(summary.total(), 4);

        // An anomaly the mail workers raised is in the queue too: counted
        // as open, never closed by the rules.
        anomalies::raise(
            &mut conn,
            firm,
            "mail:q1@client.fr",
            "mail_reply",
            Severity::Warning,
            d2,
            serde_json::json!({ "from": "q1@client.fr", "text": "?" }),
            now(),
        )
        .await
        .unwrap()
        .unwrap();
        let with_mail = anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        assert_eq!((with_mail.closed, with_mail.open), (0, 5));
        let queue = anomalies::summary(&mut conn, firm).await.unwrap();
        assert_eq!(queue.total(), 5);

        // The invoice submitted again is rejected again: a new occurrence,
        // a new anomaly with its own reason, whatever became of the first.
        let mut again = event(d1, "P1", 213, 0, Direction::Emitted);
        again.status_at = now() + Duration::hours(1);
        again.reason = Some("Montant TTC incohérent".into());
        invoices::record_batch(&mut conn, firm, &[again], "d.csv", &actor, now())
            .await
            .unwrap();
        let fifth = anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        assert_eq!((fifth.opened, fifth.reopened), (1, 0));
        let rejections: Vec<_> = anomalies::list(&mut conn, firm, &Filter::default(), now())
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.rule == "invoice_rejected")
            .collect();
        assert_eq!(rejections.len(), 1);
        assert_ne!(rejections[0].id, rejected.id);
        assert!(
            rejections[0]
                .describe(Lang::Fr)
                .contains("Montant TTC incohérent"),
            "{}",
            rejections[0].describe(Lang::Fr)
        );
        let first_one = anomalies::get(&mut conn, firm, rejected.id).await.unwrap();
        assert_eq!(first_one.status, AnomalyStatus::Closed);
    }
);

both_backends!(
    a_reopened_anomaly_says_todays_facts,
    |db: TestDb| async move {
        let (firm, d1, _) = setup(&db).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let limits = AnomalyLimits::default();
        let actor = Actor::System;
        let no_emission = |list: Vec<anomalies::Anomaly>| {
            list.into_iter()
                .find(|a| a.rule == "no_emission" && a.dossier_id == Some(d1))
        };
        // D1 (a GE) has emitted nothing since emission applies.
        anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        let first = no_emission(
            anomalies::list(&mut conn, firm, &Filter::default(), now())
                .await
                .unwrap(),
        )
        .expect("no emission yet");
        assert!(first
            .describe(Lang::Fr)
            .contains("alors que l'émission s'applique"));
        // It emits: closed. Forty days of silence later: reopened, with the
        // day of its last emission and the age counted from the reopening.
        invoices::record_batch(
            &mut conn,
            firm,
            &[event(d1, "E1", 200, 0, Direction::Emitted)],
            "e.csv",
            &actor,
            now(),
        )
        .await
        .unwrap();
        let closed = anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        assert_eq!(closed.closed, 1);
        let later = now() + Duration::days(40);
        let back = anomalies::evaluate(
            &mut conn,
            firm,
            &limits,
            later,
            today() + Duration::days(40),
        )
        .await
        .unwrap();
        assert_eq!(back.reopened, 1);
        let reopened = anomalies::get(&mut conn, firm, first.id).await.unwrap();
        assert_eq!(reopened.status, AnomalyStatus::Open);
        assert_eq!(reopened.opened_at, later);
        assert!(
            reopened
                .describe(Lang::Fr)
                .starts_with("Aucune facture émise depuis la dernière, datée du 24/11/2026"),
            "{}",
            reopened.describe(Lang::Fr)
        );
    }
);

both_backends!(
    an_anomaly_never_names_another_firms_dossier,
    |db: TestDb| async move {
        let (firm, d1, _) = setup(&db).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let (other_firm, _) = firms::ensure(&mut conn, "Cabinet Autre", &[], &Actor::System, now())
            .await
            .unwrap();
        let foreign = add_dossier(
            &mut conn,
            other_firm.id,
            "X1",
            33333333,
            SizeCategory::Ge,
            None,
        )
        .await;
        // A rejected invoice of the firm whose row names the other firm's
        // dossier (the import never links so; a bug or a hand edit could).
        let actor = Actor::Import("e.csv".into());
        let events = [
            event(d1, "P1", 213, 1, Direction::Emitted),
            event(foreign, "P9", 213, 1, Direction::Emitted),
        ];
        invoices::record_batch(&mut conn, firm, &events, "e.csv", &actor, now())
            .await
            .unwrap();
        let mut tx = db.store.begin().await.unwrap();
        let refused =
            anomalies::evaluate(&mut tx, firm, &AnomalyLimits::default(), now(), today()).await;
        match refused {
            Err(StoreError::Corrupt(why)) => assert!(why.contains("not the firm's"), "{why}"),
            other => panic!("expected the evaluation to refuse, got {other:?}"),
        }
        tx.rollback().await.unwrap();
        let open = anomalies::list(&mut conn, firm, &Filter::default(), now())
            .await
            .unwrap();
        assert!(open.is_empty(), "{open:?}");
    }
);

/// SQLite: the rules read through a memory map of the database file, and
/// the connection reads as before once they are done.
#[tokio::test]
async fn the_evaluation_leaves_its_connection_unmapped() {
    let db = TestDb::new(cabready_store::Backend::Sqlite).await;
    let (firm, d1, _) = setup(&db).await;
    let mut conn = db.store.pool().acquire().await.unwrap();
    let events = [event(d1, "P1", 213, 1, Direction::Emitted)];
    let actor = Actor::Import("m.csv".into());
    invoices::record_batch(&mut conn, firm, &events, "m.csv", &actor, now())
        .await
        .unwrap();
    let out = anomalies::evaluate(&mut conn, firm, &AnomalyLimits::default(), now(), today())
        .await
        .unwrap();
    assert!(out.opened > 0);
    let mapped: i64 = sqlx::query_scalar("PRAGMA mmap_size")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(mapped, 0);
}

both_backends!(
    any_text_survives_the_staging_and_flow_dates_follow,
    |db: TestDb| async move {
        let (firm, d1, _) = setup(&db).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let actor = Actor::Import("c.csv".into());
        // What PostgreSQL's COPY text format escapes (backslash, tab,
        // newline, carriage return) and its NULL marker as a real text,
        // control characters, quotes, an empty reason.
        let mut odd = event(d1, "P1", 207, 3, Direction::Received);
        odd.label = "Litige\t\"quantités\"\\N\r\nC:\\dossier\u{1e}\u{1f}".into();
        odd.reason = Some("\\N".into());
        odd.invoice_number = "F\t1\\".into();
        let mut plain = event(d1, "P2", 200, 2, Direction::Received);
        plain.reason = Some(String::new());
        let out = invoices::record_batch(&mut conn, firm, &[odd, plain], "c.csv", &actor, now())
            .await
            .unwrap();
        assert_eq!((out.new_invoices, out.new_statuses), (2, 2));
        // A first import's flow dates: the latest of its invoices, by direction.
        assert_eq!(
            last_flow(&mut conn, firm, d1, "last_received_at").await,
            Some(cabready_store::clock::to_db_time(now() - Duration::days(2)))
        );
        assert_eq!(
            last_flow(&mut conn, firm, d1, "last_emitted_at").await,
            None
        );
        let p1 = invoices::find(&mut conn, firm, "Pennylane", "P1")
            .await
            .unwrap()
            .unwrap();
        let h = invoices::history(&mut conn, firm, p1.id).await.unwrap();
        assert_eq!(
            h[0].label,
            "Litige\t\"quantités\"\\N\r\nC:\\dossier\u{1e}\u{1f}"
        );
        assert_eq!(h[0].reason.as_deref(), Some("\\N"));
        assert_eq!(p1.invoice_number, "F\t1\\");
        let p2 = invoices::find(&mut conn, firm, "Pennylane", "P2")
            .await
            .unwrap()
            .unwrap();
        let h = invoices::history(&mut conn, firm, p2.id).await.unwrap();
        assert_eq!(h[0].reason.as_deref(), Some(""));
        assert_eq!(p2.amount_ttc, Some(12_000));

        // The dossier's latest received flow follows a later event of a known invoice.
        let later = event(d1, "P1", 205, 1, Direction::Received);
        invoices::record_batch(&mut conn, firm, &[later], "d.csv", &actor, now())
            .await
            .unwrap();
        let last: Option<String> = sqlx::query_scalar(
            "SELECT last_received_at FROM dossiers WHERE firm_id = $1 AND id = $2",
        )
        .bind(firm)
        .bind(d1)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(
            last.as_deref(),
            Some(cabready_store::clock::to_db_time(now() - Duration::days(1)).as_str())
        );
        let p1 = invoices::find(&mut conn, firm, "Pennylane", "P1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p1.current.unwrap().0.number(), 205);
    }
);

/// A dossier's latest flow date of one direction, as stored.
async fn last_flow(
    conn: &mut sqlx::AnyConnection,
    firm: i64,
    dossier: i64,
    column: &str,
) -> Option<String> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {column} FROM dossiers WHERE firm_id = $1 AND id = $2"
    )))
    .bind(firm)
    .bind(dossier)
    .fetch_one(&mut *conn)
    .await
    .unwrap()
}

both_backends!(
    a_batch_mixing_known_and_new_invoices,
    |db: TestDb| async move {
        let (firm, d1, d2) = setup(&db).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let actor = Actor::Import("e.csv".into());
        let first = [
            event(d1, "P1", 200, 9, Direction::Emitted),
            event(d1, "P2", 200, 8, Direction::Emitted),
        ];
        invoices::record_batch(&mut conn, firm, &first, "e.csv", &actor, now())
            .await
            .unwrap();
        let p1_before = invoices::find(&mut conn, firm, "Pennylane", "P1")
            .await
            .unwrap()
            .unwrap();

        // A batch that was rolled back leaves no id behind it taken.
        let mut tx = db.store.begin().await.unwrap();
        let dropped = [event(d1, "P9", 200, 1, Direction::Emitted)];
        invoices::record_batch(&mut tx, firm, &dropped, "x.csv", &actor, now())
            .await
            .unwrap();
        tx.rollback().await.unwrap();

        // P1 gets a new event (whose other fields do not change the
        // invoice), P2 a known one, P3 and P4 are new. D2 received P1 from
        // D1: its side of P1 is an invoice of its own.
        let mut p1_again = event(d1, "P1", 205, 2, Direction::Emitted);
        p1_again.invoice_number = "renamed".into();
        let p1_received = event(d2, "P1", 205, 2, Direction::Received);
        // P3's line comes twice, the second time with a fraction of a second
        // more, which the history does not keep: one event.
        let mut p3_again = event(d1, "P3", 200, 4, Direction::Emitted);
        p3_again.status_at += Duration::milliseconds(500);
        let second = [
            p1_again,
            p1_received,
            event(d1, "P2", 200, 8, Direction::Emitted),
            event(d1, "P3", 200, 4, Direction::Emitted),
            event(d2, "P4", 201, 3, Direction::Received),
            p3_again,
        ];
        let out = invoices::record_batch(&mut conn, firm, &second, "f.csv", &actor, now())
            .await
            .unwrap();
        assert_eq!(
            (out.new_invoices, out.new_statuses, out.known_statuses),
            (3, 4, 2)
        );
        assert_eq!(invoices::counts(&mut conn, firm).await.unwrap(), (5, 6));

        let p1 = invoices::find(&mut conn, firm, "Pennylane", "P1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p1.id, p1_before.id);
        assert_eq!((p1.dossier_id, p1.invoice_number.as_str()), (d1, "F-P1"));
        assert_eq!(p1.current.unwrap().0.number(), 205);
        let mut ids = Vec::new();
        for pid in ["P1", "P2", "P3", "P4"] {
            let invoice = invoices::find(&mut conn, firm, "Pennylane", pid)
                .await
                .unwrap()
                .unwrap();
            let history = invoices::history(&mut conn, firm, invoice.id)
                .await
                .unwrap();
            assert!(
                !history.is_empty(),
                "{pid} has its history under its own id"
            );
            ids.push(invoice.id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 4);
        assert!(
            ids[2] > ids[1] && ids[3] > ids[2],
            "new ids follow the old ones: {ids:?}"
        );
        assert!(invoices::find(&mut conn, firm, "Pennylane", "P9")
            .await
            .unwrap()
            .is_none());

        let day = |days_ago| {
            Some(cabready_store::clock::to_db_time(
                now() - Duration::days(days_ago),
            ))
        };
        assert_eq!(
            last_flow(&mut conn, firm, d1, "last_emitted_at").await,
            day(2)
        );
        assert_eq!(
            last_flow(&mut conn, firm, d2, "last_emitted_at").await,
            None
        );
        assert_eq!(
            last_flow(&mut conn, firm, d2, "last_received_at").await,
            day(2),
            "D2's side of P1"
        );
        let d2_side = invoices::for_dossier(&mut conn, firm, d2).await.unwrap();
        let d2_p1: Vec<_> = d2_side
            .iter()
            .filter(|i| i.platform_invoice_id == "P1")
            .collect();
        assert_eq!(d2_p1.len(), 1, "{d2_side:?}");
        assert_ne!(d2_p1[0].id, p1_before.id);
        assert_eq!(d2_p1[0].direction, Direction::Received);
    }
);

/// PostgreSQL lets two imports of a firm run at once (SQLite's write lock
/// queues them): when the other creates an invoice after this batch looked
/// it up, the batch stops with a message that says what to do, and the
/// file imported again adds what is missing.
#[tokio::test]
async fn an_invoice_created_by_a_concurrent_import_stops_the_batch_clearly() {
    let db = TestDb::new(cabready_store::Backend::Postgres).await;
    let (firm, d1, _) = setup(&db).await;
    let batch = [
        event(d1, "P1", 200, 3, Direction::Emitted),
        event(d1, "P2", 200, 2, Direction::Emitted),
    ];
    let mut other = db.store.begin_write().await.unwrap();
    invoices::record_batch(
        &mut other,
        firm,
        &batch[1..],
        "other.csv",
        &Actor::Import("other.csv".into()),
        now(),
    )
    .await
    .unwrap();

    let store = db.store.clone();
    let ours = tokio::spawn(async move {
        let mut tx = store.begin_write().await.unwrap();
        let actor = Actor::Import("ours.csv".into());
        invoices::record_batch(&mut tx, firm, &batch, "ours.csv", &actor, now()).await
    });
    // Ours waits on the other's P2 (a row lock) before the other commits.
    let mut conn = db.store.pool().acquire().await.unwrap();
    let mut waits = 0;
    for _ in 0..500 {
        waits = sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        if waits > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(waits, 1, "our batch waits for the other import");
    other.commit().await.unwrap();

    let err = ours.await.unwrap().unwrap_err();
    assert!(
        matches!(err, StoreError::Refused { .. }),
        "a refusal that says what to do, not a database error: {err:?}"
    );
    assert!(err.user_message(Lang::Fr).contains("relancez l'import"));
    assert!(invoices::find(&mut conn, firm, "Pennylane", "P1")
        .await
        .unwrap()
        .is_none());

    let again = invoices::record_batch(
        &mut conn,
        firm,
        &[
            event(d1, "P1", 200, 3, Direction::Emitted),
            event(d1, "P2", 200, 2, Direction::Emitted),
        ],
        "ours.csv",
        &Actor::Import("ours.csv".into()),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(
        (again.new_invoices, again.new_statuses, again.known_statuses),
        (1, 1, 1)
    );
}

/// The flux import looks invoices up by (platform id, platform) with the
/// firm as `firm_id + 0` (see migration 0011): only the unique key can
/// serve that, so the planner cannot probe through an index that reads
/// every invoice of the firm, whatever its statistics say (none here).
#[tokio::test]
async fn the_invoice_lookup_can_only_use_the_unique_key() {
    let db = TestDb::new(cabready_store::Backend::Postgres).await;
    let (firm, d1, _) = setup(&db).await;
    let mut conn = db.store.pool().acquire().await.unwrap();
    let events: Vec<FlowEvent> = (0..500)
        .map(|n| event(d1, &format!("P{n}"), 200, 1, Direction::Emitted))
        .collect();
    let actor = Actor::Import("a.csv".into());
    invoices::record_batch(&mut conn, firm, &events, "a.csv", &actor, now())
        .await
        .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "EXPLAIN SELECT i.id FROM invoices i WHERE i.platform_invoice_id = 'P7'
           AND i.platform = 'Pennylane' AND i.firm_id + 0 = {firm} AND i.dossier_id + 0 = {d1}"
    )))
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(plan.contains("using invoices_platform_key"), "{plan}");
}

/// A flow received by `dossier` through `platform`.
fn received_through(dossier: i64, pid: &str, platform: &str) -> FlowEvent {
    let mut e = event(dossier, pid, 205, 1, Direction::Received);
    e.platform = platform.into();
    e
}

/// The dossier's anomaly under `key`, in whatever status.
async fn by_key(conn: &mut sqlx::AnyConnection, firm: i64, key: &str) -> anomalies::Anomaly {
    let every = Filter {
        statuses: AnomalyStatus::ALL.to_vec(),
        ..Default::default()
    };
    anomalies::list(conn, firm, &every, now())
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.key == key)
        .unwrap_or_else(|| panic!("no anomaly {key}"))
}

/// The journal lines written after `after`, as (action, actor kind, anomaly or dossier id).
async fn written_since(
    conn: &mut sqlx::AnyConnection,
    firm: i64,
    after: i64,
) -> Vec<(String, String, Option<i64>)> {
    journal::since(conn, firm, after, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.action, l.actor_kind, l.entity_id))
        .collect()
}

both_backends!(
    recording_a_platform_settles_other_platform_at_once,
    |db: TestDb| async move {
        let (firm, _, d2) = setup(&db).await;
        let limits = AnomalyLimits::default();
        let anne = Actor::User("anne@cabinet.fr".into());
        let key = format!("other_platform:{d2}:tiime");
        {
            let mut conn = db.store.pool().acquire().await.unwrap();
            invoices::record_batch(
                &mut conn,
                firm,
                &[received_through(d2, "R1", "Tiime")],
                "r.csv",
                &Actor::System,
                now(),
            )
            .await
            .unwrap();
            anomalies::evaluate(&mut conn, firm, &limits, now(), today())
                .await
                .unwrap();
            let open = by_key(&mut conn, firm, &key).await;
            assert_eq!(
                (open.status, open.severity),
                (AnomalyStatus::Open, Severity::Info)
            );
        }
        let anomaly = {
            let mut conn = db.store.pool().acquire().await.unwrap();
            by_key(&mut conn, firm, &key).await.id
        };

        // Recording Tiime, in a transaction rolled back: nothing stays.
        let mut tx = db.store.begin_write().await.unwrap();
        platforms::set_for_dossier(
            &mut tx,
            firm,
            d2,
            "tiime",
            PlatformState::Chosen,
            &anne,
            now(),
        )
        .await
        .unwrap();
        tx.rollback().await.unwrap();
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert_eq!(
            by_key(&mut conn, firm, &key).await.status,
            AnomalyStatus::Open
        );
        drop(conn);

        // Recorded: the anomaly it settles is closed in the same
        // transaction, journaled by the system after the platform's line.
        let mut tx = db.store.begin_write().await.unwrap();
        let before = journal::last_id(&mut tx, firm).await.unwrap();
        let change = platforms::set_for_dossier(
            &mut tx,
            firm,
            d2,
            "tiime",
            PlatformState::Chosen,
            &anne,
            now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let platforms::PlatformChange::Set {
            anomalies: outcome, ..
        } = change
        else {
            panic!("{change:?}")
        };
        assert_eq!(
            outcome,
            anomalies::DossierOutcome {
                closed: vec![anomaly],
                ..Default::default()
            }
        );
        let mut conn = db.store.pool().acquire().await.unwrap();
        let closed = by_key(&mut conn, firm, &key).await;
        assert_eq!(closed.status, AnomalyStatus::Closed);
        assert_eq!(closed.closed_at, Some(now()));
        assert_eq!(
            written_since(&mut conn, firm, before).await,
            vec![
                ("platform.set".into(), "user".into(), Some(d2)),
                ("anomaly.auto_closed".into(), "system".into(), Some(anomaly)),
            ]
        );
        let line = &journal::for_dossier(&mut conn, firm, d2, 1).await.unwrap()[0];
        assert_eq!(
            line.details,
            serde_json::json!({ "key": key, "status": { "before": "open", "after": "closed" },
                "cause": Said::new("plateforme du dossier enregistrée : Tiime", "dossier's platform recorded: Tiime").stored() })
        );
        // The firm's evaluation agrees: nothing left to do.
        let again = anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        assert_eq!((again.opened, again.reopened, again.closed), (0, 0, 0));

        // The wrong platform recorded (flows come from Tiime only): the
        // anomaly is back at once, a warning naming the recorded one.
        let before = journal::last_id(&mut conn, firm).await.unwrap();
        let change = platforms::set_for_dossier(
            &mut conn,
            firm,
            d2,
            "Pennylane",
            PlatformState::Chosen,
            &anne,
            now(),
        )
        .await
        .unwrap();
        assert!(
            matches!(&change, platforms::PlatformChange::Set { anomalies, .. } if anomalies.reopened == vec![anomaly]),
            "{change:?}"
        );
        let back = by_key(&mut conn, firm, &key).await;
        assert_eq!(
            (back.status, back.severity, back.closed_at),
            (AnomalyStatus::Open, Severity::Warning, None)
        );
        assert!(
            back.describe(Lang::Fr)
                .contains("la plateforme de réception enregistrée est Pennylane"),
            "{}",
            back.describe(Lang::Fr)
        );
        assert_eq!(
            written_since(&mut conn, firm, before).await,
            vec![
                ("platform.set".into(), "user".into(), Some(d2)),
                ("anomaly.reopened".into(), "system".into(), Some(anomaly)),
            ]
        );

        // A dossier never evaluated, receiving through Tiime, recorded on
        // Pennylane: a new anomaly, journaled as the evaluation opens one.
        let d3 = add_dossier(&mut conn, firm, "D3", 44444444, SizeCategory::Pme, None).await;
        invoices::record_batch(
            &mut conn,
            firm,
            &[received_through(d3, "R3", "Tiime")],
            "r3.csv",
            &Actor::System,
            now(),
        )
        .await
        .unwrap();
        let before = journal::last_id(&mut conn, firm).await.unwrap();
        let change = platforms::set_for_dossier(
            &mut conn,
            firm,
            d3,
            "Pennylane",
            PlatformState::AccountOpen,
            &anne,
            now(),
        )
        .await
        .unwrap();
        let opened = by_key(&mut conn, firm, &format!("other_platform:{d3}:tiime")).await;
        assert!(
            matches!(&change, platforms::PlatformChange::Set { anomalies, .. } if anomalies.opened == vec![opened.id]),
            "{change:?}"
        );
        assert_eq!(
            (opened.status, opened.severity),
            (AnomalyStatus::Open, Severity::Warning)
        );
        assert_eq!(
            written_since(&mut conn, firm, before).await,
            vec![
                ("platform.set".into(), "user".into(), Some(d3)),
                ("anomaly.opened".into(), "system".into(), Some(opened.id)),
            ]
        );
        // The firm's evaluation finds the same queue.
        let again = anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        assert_eq!((again.opened, again.reopened, again.closed), (0, 0, 0));
    }
);

/// Whether readiness counts the dossier's platform as chosen.
async fn platform_chosen(conn: &mut sqlx::AnyConnection, firm: i64, dossier: i64) -> bool {
    use cabready_store::calendar::CalendarRules;
    use cabready_store::readiness::{assess, inputs, Item};
    let input = inputs::load(conn, firm, inputs::Scope::Dossier(dossier))
        .await
        .unwrap()
        .pop()
        .unwrap();
    assess(&input, &CalendarRules::default(), today())
        .lines
        .iter()
        .find(|l| l.item == Item::PlatformChosen)
        .unwrap()
        .met
}

both_backends!(removing_a_dossiers_platform, |db: TestDb| async move {
    let (firm, _, d2) = setup(&db).await;
    let mut conn = db.store.pool().acquire().await.unwrap();
    let anne = Actor::User("anne@cabinet.fr".into());
    // Nothing recorded: nothing to remove, nothing written.
    let before = journal::last_id(&mut conn, firm).await.unwrap();
    assert_eq!(
        platforms::remove_for_dossier(&mut conn, firm, d2, &anne, now())
            .await
            .unwrap(),
        platforms::PlatformRemoval::NoneRecorded
    );
    assert_eq!(journal::last_id(&mut conn, firm).await.unwrap(), before);

    // Tiime recorded on D2 by mistake (its flows come through Tiime,
    // so no anomaly), with a test flow.
    invoices::record_batch(
        &mut conn,
        firm,
        &[received_through(d2, "R1", "Tiime")],
        "r.csv",
        &Actor::System,
        now(),
    )
    .await
    .unwrap();
    platforms::set_for_dossier(
        &mut conn,
        firm,
        d2,
        "Tiime",
        PlatformState::DirectoryRegistered,
        &anne,
        now(),
    )
    .await
    .unwrap();
    platforms::record_test_flow(&mut conn, firm, d2, &anne, now())
        .await
        .unwrap();
    assert!(platform_chosen(&mut conn, firm, d2).await);

    let before = journal::last_id(&mut conn, firm).await.unwrap();
    let removal = platforms::remove_for_dossier(&mut conn, firm, d2, &anne, now())
        .await
        .unwrap();
    let key = format!("other_platform:{d2}:tiime");
    let opened = by_key(&mut conn, firm, &key).await;
    assert_eq!(
        removal,
        platforms::PlatformRemoval::Removed {
            platform: "Tiime".into(),
            state: PlatformState::DirectoryRegistered,
            anomalies: anomalies::DossierOutcome {
                opened: vec![opened.id],
                ..Default::default()
            },
        }
    );
    assert_eq!(
        platforms::for_dossier(&mut conn, firm, d2).await.unwrap(),
        None
    );
    assert!(
        !platform_chosen(&mut conn, firm, d2).await,
        "the removed platform no longer counts in readiness"
    );
    // Journaled with its author and what was removed; the rule ran.
    let lines = journal::since(&mut conn, firm, before, 10).await.unwrap();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        (
            lines[0].action.as_str(),
            lines[0].actor.as_str(),
            lines[0].dossier_id
        ),
        ("platform.removed", "anne@cabinet.fr", Some(d2))
    );
    assert_eq!(
        lines[0].details,
        serde_json::json!({
            "before": { "platform": "Tiime", "state": "directory_registered", "test_flow_at": "2026-11-25T09:00:00Z" },
            "after": null,
        })
    );
    assert_eq!(
        (lines[1].action.as_str(), lines[1].entity_id),
        ("anomaly.opened", Some(opened.id))
    );
    assert_eq!(
        (opened.severity, opened.details["recorded"].clone()),
        (Severity::Info, serde_json::Value::Null)
    );

    // Recording the right one later settles it; a platform recorded
    // again starts without the removed one's test flow.
    platforms::set_for_dossier(
        &mut conn,
        firm,
        d2,
        "Tiime",
        PlatformState::Chosen,
        &anne,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(
        by_key(&mut conn, firm, &key).await.status,
        AnomalyStatus::Closed
    );
    let test_flow: Option<String> =
        sqlx::query_scalar("SELECT test_flow_at FROM dossier_platforms WHERE dossier_id = $1")
            .bind(d2)
            .fetch_one(&mut *conn)
            .await
            .unwrap();
    assert_eq!(test_flow, None);
});

// A known invoice: a later file's events join its history in time order,
// each once, the latest becomes the current status, and a rejection's
// anomaly carries the reason of that latest event, whichever file brought it.
both_backends!(
    a_known_invoice_merges_later_events_and_its_rejection_says_why,
    |db: TestDb| async move {
        let (firm, d1, _) = setup(&db).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let actor = Actor::Import("a.csv".into());
        let first = [
            event(d1, "P1", 200, 5, Direction::Emitted),
            event(d1, "P1", 204, 3, Direction::Emitted),
        ];
        invoices::record_batch(&mut conn, firm, &first, "a.csv", &actor, now())
            .await
            .unwrap();
        // The second file repeats an event, brings an older one and the rejection.
        let mut rejected = event(d1, "P1", 213, 1, Direction::Emitted);
        rejected.reason = Some("SIREN \"inconnu\" de l'acheteur".into());
        let second = [
            event(d1, "P1", 204, 3, Direction::Emitted),
            rejected,
            event(d1, "P1", 203, 4, Direction::Emitted),
        ];
        let out = invoices::record_batch(&mut conn, firm, &second, "b.csv", &actor, now())
            .await
            .unwrap();
        assert_eq!((out.new_statuses, out.known_statuses), (2, 1));
        let p1 = invoices::find(&mut conn, firm, "Pennylane", "P1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p1.current.unwrap().0.number(), 213);
        let history = invoices::history(&mut conn, firm, p1.id).await.unwrap();
        let seen: Vec<(u16, &str)> = history
            .iter()
            .map(|e| (e.code.number(), e.source_file.as_str()))
            .collect();
        assert_eq!(
            seen,
            vec![
                (200, "a.csv"),
                (203, "b.csv"),
                (204, "a.csv"),
                (213, "b.csv")
            ]
        );
        assert_eq!(invoices::counts(&mut conn, firm).await.unwrap(), (1, 4));
        anomalies::evaluate(&mut conn, firm, &AnomalyLimits::default(), now(), today())
            .await
            .unwrap();
        let open = anomalies::list(&mut conn, firm, &Filter::default(), now())
            .await
            .unwrap();
        let rejection = open
            .iter()
            .find(|a| a.rule == "invoice_rejected")
            .expect("the rejection is an anomaly");
        assert_eq!(
            rejection.details["reason"],
            "SIREN \"inconnu\" de l'acheteur"
        );
        // The same file again adds nothing and changes nothing.
        let again = invoices::record_batch(&mut conn, firm, &second, "b.csv", &actor, now())
            .await
            .unwrap();
        assert_eq!((again.new_statuses, again.known_statuses), (0, 3));
        assert_eq!(
            invoices::history(&mut conn, firm, p1.id).await.unwrap(),
            history
        );
    }
);

/// The dossier's test flow time, as stored.
async fn test_flow_at(conn: &mut sqlx::AnyConnection, dossier: i64) -> Option<String> {
    sqlx::query_scalar("SELECT test_flow_at FROM dossier_platforms WHERE dossier_id = $1")
        .bind(dossier)
        .fetch_one(conn)
        .await
        .unwrap()
}

// A test flow was on the platform a dossier had: another platform does
// not inherit it (readiness counted it as "flows seen" on the new one);
// the journal keeps when it was. The same platform at a further state
// keeps it.
both_backends!(
    a_test_flow_stays_with_its_platform,
    |db: TestDb| async move {
        let (firm, d1, _) = setup(&db).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let anne = Actor::User("anne@cabinet.fr".into());
        platforms::record_test_flow(&mut conn, firm, d1, &anne, now())
            .await
            .unwrap();
        platforms::correct_for_dossier(
            &mut conn,
            firm,
            d1,
            "Pennylane",
            PlatformState::DirectoryRegistered,
            &anne,
            now(),
        )
        .await
        .unwrap();
        assert!(
            test_flow_at(&mut conn, d1).await.is_some(),
            "same platform: kept"
        );
        platforms::set_for_dossier(
            &mut conn,
            firm,
            d1,
            "Tiime",
            PlatformState::Chosen,
            &anne,
            now(),
        )
        .await
        .unwrap();
        assert_eq!(test_flow_at(&mut conn, d1).await, None);
        let last = &journal::for_dossier(&mut conn, firm, d1, 1).await.unwrap()[0];
        assert_eq!(
            last.details["before"]["test_flow_at"],
            cabready_store::clock::to_db_time(now())
        );
    }
);

both_backends!(
    an_invoice_in_a_platforms_own_status_is_watched_too,
    |db: TestDb| async move {
        let (firm, d1, _) = setup(&db).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let actor = Actor::Import("own.csv".into());
        // 501 is no status of the reform: kept as read, and no rule of
        // the reform's statuses looks at it.
        let events = vec![
            event(d1, "OLD", 501, 20, Direction::Received),
            event(d1, "NEW", 501, 10, Direction::Received),
            event(d1, "SET", 502, 20, Direction::Received),
        ];
        invoices::record_batch(&mut conn, firm, &events, "own.csv", &actor, now())
            .await
            .unwrap();
        let mut limits = AnomalyLimits::default();
        // A code that `stuck_days` names keeps its own limit, and one anomaly.
        limits.stuck_days.insert("502".into(), 30);
        anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        let stuck: Vec<_> = anomalies::list(&mut conn, firm, &Filter::default(), now())
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.rule == "invoice_stuck")
            .collect();
        assert_eq!(stuck.len(), 1, "{stuck:?}");
        assert_eq!(
            stuck[0].describe(Lang::Fr),
            format!(
                "Facture F-OLD bloquée au statut 501 (propre à la plateforme) depuis le {} (plateforme Pennylane) (limite 15 j)",
                cabready_store::clock::french_date(today() - Duration::days(20))
            )
        );
        let found = invoices::find(&mut conn, firm, "Pennylane", "OLD")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            found.current.unwrap().0.label(Lang::Fr),
            "statut 501 propre à la plateforme"
        );

        // A firm that gives such statuses longer sees none.
        limits.platform_status_days = 30;
        let e = anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        assert_eq!((e.closed, e.open), (1, 2), "{e:?}");
    }
);

// A rejected invoice was never issued: submitted again under a new
// platform id and the same number, its rejection is over and the number
// is no duplicate. Rejected again, it stays rejected.
both_backends!(
    an_invoice_submitted_again_after_a_rejection_ends_it,
    |db: TestDb| async move {
        let (firm, d1, _) = setup(&db).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let actor = Actor::Import("rejets.csv".into());
        let again = |pid: &str, code: u16, days_ago: i64, number: &str| {
            let mut e = event(d1, pid, code, days_ago, Direction::Emitted);
            e.invoice_number = number.into();
            e.issue_date = Some(today() - Duration::days(10));
            e
        };
        let events = vec![
            again("A1", 213, 5, "F-100"),
            again("A2", 205, 2, "F-100"),
            again("B1", 213, 5, "F-200"),
            again("B2", 213, 2, "F-200"),
        ];
        invoices::record_batch(&mut conn, firm, &events, "rejets.csv", &actor, now())
            .await
            .unwrap();
        anomalies::evaluate(&mut conn, firm, &AnomalyLimits::default(), now(), today())
            .await
            .unwrap();
        let open = anomalies::list(&mut conn, firm, &Filter::default(), now())
            .await
            .unwrap();
        let mut rejected: Vec<String> = open
            .iter()
            .filter(|a| a.rule == "invoice_rejected")
            .map(|a| {
                a.details["platform_invoice_id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        rejected.sort();
        assert_eq!(rejected, ["B1", "B2"]);
        assert!(
            !open.iter().any(|a| a.rule == "duplicate_number"),
            "{:?}",
            open.iter()
                .map(|a| a.describe(Lang::Fr))
                .collect::<Vec<_>>()
        );

        // Two invoices issued under one number are still a duplicate.
        let twice = vec![again("C1", 205, 3, "F-300"), again("C2", 212, 1, "F-300")];
        invoices::record_batch(&mut conn, firm, &twice, "rejets.csv", &actor, now())
            .await
            .unwrap();
        anomalies::evaluate(&mut conn, firm, &AnomalyLimits::default(), now(), today())
            .await
            .unwrap();
        let duplicates: Vec<String> = anomalies::list(&mut conn, firm, &Filter::default(), now())
            .await
            .unwrap()
            .iter()
            .filter(|a| a.rule == "duplicate_number")
            .map(|a| a.describe(Lang::Fr))
            .collect();
        assert_eq!(duplicates.len(), 1, "{duplicates:?}");
        assert!(
            duplicates[0].starts_with("Numéro de facture F-300 utilisé 2 fois"),
            "{duplicates:?}"
        );
    }
);

// An import made with the wrong profile is undone: its statuses go, the
// invoices only it holds go (their anomalies close), those another import
// holds since stay and are named; flow dates and current statuses follow.
both_backends!(
    the_latest_import_of_a_file_is_undone,
    |db: TestDb| async move {
        let (firm, d1, _) = setup(&db).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let earlier = now() - Duration::hours(2);
        let bad = vec![
            event(d1, "X1", 213, 3, Direction::Emitted),
            event(d1, "X2", 200, 4, Direction::Emitted),
        ];
        invoices::record_batch(
            &mut conn,
            firm,
            &bad,
            "bad.csv",
            &Actor::Import("bad.csv".into()),
            earlier,
        )
        .await
        .unwrap();
        // Another file of the same run (the same time): none of its
        // invoices is undone, nor said kept.
        let other = vec![event(d1, "Z1", 212, 2, Direction::Emitted)];
        invoices::record_batch(
            &mut conn,
            firm,
            &other,
            "other.csv",
            &Actor::Import("other.csv".into()),
            earlier,
        )
        .await
        .unwrap();
        let good = vec![
            event(d1, "X2", 205, 1, Direction::Emitted),
            event(d1, "Y1", 212, 2, Direction::Emitted),
        ];
        invoices::record_batch(
            &mut conn,
            firm,
            &good,
            "good.csv",
            &Actor::Import("good.csv".into()),
            now(),
        )
        .await
        .unwrap();
        let limits = AnomalyLimits::default();
        anomalies::evaluate(&mut conn, firm, &limits, now(), today())
            .await
            .unwrap();
        let rejected = anomalies::list(&mut conn, firm, &Filter::default(), now())
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.rule == "invoice_rejected")
            .unwrap();

        let mut tx = db.store.begin_write().await.unwrap();
        let undone = invoices::undo_import(&mut tx, firm, "bad.csv", &Actor::System, now())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (
                undone.statuses_removed,
                undone.invoices_removed,
                undone.invoices_kept.clone()
            ),
            (2, 1, vec!["F-X2".to_string()])
        );
        assert_eq!(undone.imported_at, Some(earlier));
        let e = anomalies::evaluate(&mut tx, firm, &limits, now(), today())
            .await
            .unwrap();
        assert!(e.closed >= 1, "{e:?}");
        tx.commit().await.unwrap();

        assert!(invoices::find(&mut conn, firm, "Pennylane", "X1")
            .await
            .unwrap()
            .is_none());
        let x2 = invoices::find(&mut conn, firm, "Pennylane", "X2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(x2.current.unwrap().0.number(), 205);
        let history = invoices::history(&mut conn, firm, x2.id).await.unwrap();
        assert_eq!(
            history.iter().map(|h| h.code.number()).collect::<Vec<_>>(),
            [205]
        );
        assert_eq!(invoices::counts(&mut conn, firm).await.unwrap(), (3, 3));
        let gone = anomalies::get(&mut conn, firm, rejected.id).await.unwrap();
        assert_eq!(
            (gone.status, gone.invoice_id),
            (AnomalyStatus::Closed, None)
        );
        let line = journal::for_dossier(&mut conn, firm, d1, 50).await.unwrap();
        assert!(line.iter().any(|l| l.action == "anomaly.auto_closed"));
        assert!(
            line.iter().any(|l| l.action == "flux.dossier_undone"),
            "the dossier's journal says it"
        );
        let undone_line = journal::since(&mut conn, firm, 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .find(|l| l.action == "flux.undone")
            .unwrap();
        assert_eq!(undone_line.details["statuses_removed"], 2);
        // Nothing of it is left to undo; the other file's import is untouched.
        assert_eq!(
            invoices::undo_import(&mut conn, firm, "bad.csv", &Actor::System, now())
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            invoices::imported_files(&mut conn, firm, 10).await.unwrap(),
            ["good.csv", "other.csv"]
        );
    }
);
