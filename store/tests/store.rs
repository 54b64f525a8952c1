//! The store's behaviour, identical on SQLite and PostgreSQL.

use cabready_store::calendar::{self, CalendarRules, Item, Milestone, Obligation};
use cabready_store::domain::*;
use cabready_store::dossiers::{self, ActivityFlags, ContactRecord, DossierRecord};
use cabready_store::journal::{self, Actor, Change};
use cabready_store::mandates::Transition;
use cabready_store::users::{self, UserRecord};
use cabready_store::{firms, mandates, platforms, StoreError};
use cabready_testkit::{both_backends, TestDb};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

fn user(mail: &str, role: Role, portfolios: &[&str]) -> UserRecord {
    UserRecord {
        email: email(mail),
        name: mail.split('@').next().unwrap().to_string(),
        role,
        discord_id: None,
        portfolios: portfolios.iter().map(|p| p.to_string()).collect(),
    }
}

fn dossier(code: &str, siren_seed: u32, owner: &str) -> DossierRecord {
    let financials = Financials {
        headcount: Some(4.0),
        turnover: Some(50_000_000),
        balance_sheet: None,
    };
    DossierRecord {
        code: code.to_string(),
        legal_name: format!("Société {code}"),
        siren: Siren::with_check_digit(siren_seed),
        legal_form: Some("SARL".into()),
        financials,
        category: SizeCategory::derive(&financials).map(|c| (c, CategorySource::Derived)),
        vat: Some(VatRegimeSchedule::for_declared(
            VatRegime::ReelSimplifie,
            financials.turnover,
        )),
        flags: ActivityFlags {
            b2c: true,
            ..Default::default()
        },
        owner: Some(email(owner)),
        portfolio: Some("Nord".into()),
        tags: vec!["btp".into()],
        contact: Some(ContactRecord {
            name: "Jean Client".into(),
            email: email(&format!("{code}@client.fr")),
        }),
    }
}

async fn firm_with_accountant(db: &TestDb, name: &str) -> i64 {
    let mut conn = db.store.pool().acquire().await.unwrap();
    let platforms = ["Pennylane".to_string(), "jefacture.com".to_string()];
    let (firm, created) = firms::ensure(&mut conn, name, &platforms, &Actor::System, at())
        .await
        .unwrap();
    assert!(created);
    // Again with one more platform (the configuration gained it), spelt
    // otherwise for one already there: the firm gets the new one only.
    let more = ["PENNYLANE".to_string(), "Qonto".to_string()];
    let (again, created) = firms::ensure(&mut conn, name, &more, &Actor::System, at())
        .await
        .unwrap();
    assert_eq!((again.id, created), (firm.id, false));
    assert_eq!(
        platforms::names(&mut conn, firm.id).await.unwrap(),
        ["Pennylane", "Qonto", "jefacture.com"]
    );
    let anne = user("anne@cabinet.fr", Role::Accountant, &["Nord"]);
    users::upsert(&mut conn, firm.id, &anne, &Actor::System, at())
        .await
        .unwrap();
    firm.id
}

both_backends!(
    dossier_upsert_is_idempotent_and_journals_differences,
    |db: TestDb| async move {
        let firm = firm_with_accountant(&db, "Cabinet Durand").await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let record = dossier("D001", 12345678, "anne@cabinet.fr");

        assert_eq!(
            dossiers::upsert(&mut conn, firm, &record, &Actor::System, at())
                .await
                .unwrap(),
            Change::Created
        );
        let lines_after_create = journal::count(&mut conn, firm).await.unwrap();
        assert_eq!(
            dossiers::upsert(&mut conn, firm, &record, &Actor::System, at())
                .await
                .unwrap(),
            Change::Unchanged
        );
        assert_eq!(
            journal::count(&mut conn, firm).await.unwrap(),
            lines_after_create,
            "no change, no journal line"
        );

        let mut changed = record.clone();
        changed.legal_name = "Société D001 renommée".into();
        changed.financials.headcount = Some(12.5);
        let Change::Updated(changes) =
            dossiers::upsert(&mut conn, firm, &changed, &Actor::System, at())
                .await
                .unwrap()
        else {
            panic!("expected an update");
        };
        let fields: Vec<&str> = changes.iter().map(|c| c.field).collect();
        assert_eq!(fields, vec!["headcount", "legal_name"]);

        let read = dossiers::find_by_code(&mut conn, firm, "D001")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            read.record, changed,
            "what is read back is what was written"
        );
        assert_eq!(read.delegation, MandateStatus::NotRequested);
        let vat = read.record.vat.unwrap();
        assert_eq!(
            vat.next,
            Some((
                VatRegime::ReelNormalTrimestriel,
                NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
            ))
        );

        let lines = journal::for_dossier(&mut conn, firm, read.id, 10)
            .await
            .unwrap();
        assert_eq!(lines[0].action, "dossier.updated");
        assert_eq!(
            lines[0].details["changes"]["legal_name"]["before"],
            "Société D001"
        );
        assert_eq!(
            lines[0].details["changes"]["legal_name"]["after"],
            "Société D001 renommée"
        );
        assert_eq!(lines[1].action, "dossier.created");
    }
);

both_backends!(
    mandate_status_machine_refuses_illegal_transitions,
    |db: TestDb| async move {
        let firm = firm_with_accountant(&db, "Cabinet Durand").await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        dossiers::upsert(
            &mut conn,
            firm,
            &dossier("D001", 1, "anne@cabinet.fr"),
            &Actor::System,
            at(),
        )
        .await
        .unwrap();
        let id = dossiers::find_by_code(&mut conn, firm, "D001")
            .await
            .unwrap()
            .unwrap()
            .id;
        let actor = Actor::User("anne@cabinet.fr".into());
        let to_signed = Transition {
            kind: MandateKind::Delegation,
            to: MandateStatus::Signed,
            note: None,
        };
        let err = mandates::change_status(&mut conn, firm, id, to_signed, &actor, at())
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            StoreError::IllegalTransition {
                from: MandateStatus::NotRequested,
                to: MandateStatus::Signed
            }
        ));
        assert_eq!(
        err.user_message(cabready_store::Lang::Fr),
        "changement de statut refusé : un mandat « non demandé » ne peut pas passer à « signé » (possible : demandé, reçu à vérifier)"
    );
        for to in [
            MandateStatus::Requested,
            MandateStatus::Reminded,
            MandateStatus::ReceivedToVerify,
            MandateStatus::Signed,
        ] {
            let transition = Transition {
                kind: MandateKind::Delegation,
                to,
                note: Some("ok"),
            };
            mandates::change_status(&mut conn, firm, id, transition, &actor, at())
                .await
                .unwrap();
        }
        assert_eq!(
            mandates::status(&mut conn, firm, id, MandateKind::Delegation)
                .await
                .unwrap(),
            MandateStatus::Signed
        );
        let lines = journal::for_dossier(&mut conn, firm, id, 10).await.unwrap();
        assert_eq!(
            lines
                .iter()
                .filter(|l| l.action == "mandate.status_changed")
                .count(),
            4
        );
        assert_eq!(lines[0].actor, "anne@cabinet.fr");
        assert_eq!(lines[0].details["before"], "received_to_verify");

        // A line written later with an earlier time (a simulated clock)
        // takes its place in time; lines of the same time keep their order.
        for (minutes, action) in [(-5, "test.earlier"), (5, "test.later")] {
            let entry = journal::Entry {
                entity: "dossier",
                entity_id: Some(id),
                dossier_id: Some(id),
                action,
                details: serde_json::json!({}),
            };
            journal::record(
                &mut conn,
                firm,
                at() + chrono::Duration::minutes(minutes),
                &actor,
                entry,
            )
            .await
            .unwrap();
        }
        let lines = journal::for_dossier(&mut conn, firm, id, 10).await.unwrap();
        let actions: Vec<&str> = lines.iter().map(|l| l.action.as_str()).collect();
        assert_eq!(actions[0], "test.later", "{actions:?}");
        assert_eq!(actions.last(), Some(&"test.earlier"), "{actions:?}");
        assert_eq!(lines[1].details["before"], "received_to_verify");
    }
);

both_backends!(firms_never_see_each_other, |db: TestDb| async move {
    let durand = firm_with_accountant(&db, "Cabinet Durand").await;
    let martin = firm_with_accountant(&db, "Cabinet Martin").await;
    let mut conn = db.store.pool().acquire().await.unwrap();
    let anne = "anne@cabinet.fr";
    dossiers::upsert(
        &mut conn,
        durand,
        &dossier("D001", 1, anne),
        &Actor::System,
        at(),
    )
    .await
    .unwrap();
    // The same code and SIREN may exist in another firm, independently.
    dossiers::upsert(
        &mut conn,
        martin,
        &dossier("D001", 1, anne),
        &Actor::System,
        at(),
    )
    .await
    .unwrap();
    dossiers::upsert(
        &mut conn,
        martin,
        &dossier("M002", 2, anne),
        &Actor::System,
        at(),
    )
    .await
    .unwrap();
    assert_eq!(dossiers::count(&mut conn, durand).await.unwrap(), 1);
    assert_eq!(
        dossiers::list(&mut conn, martin, None).await.unwrap().len(),
        2
    );
    assert!(dossiers::find_by_code(&mut conn, durand, "M002")
        .await
        .unwrap()
        .is_none());
    let d = dossiers::find_by_code(&mut conn, durand, "D001")
        .await
        .unwrap()
        .unwrap();
    assert!(
        mandates::status(&mut conn, martin, d.id, MandateKind::Delegation)
            .await
            .is_err(),
        "a dossier id of another firm is not found"
    );
});

both_backends!(journal_is_append_only, |db: TestDb| async move {
    let firm = firm_with_accountant(&db, "Cabinet Durand").await;
    let mut conn = db.store.pool().acquire().await.unwrap();
    assert!(journal::count(&mut conn, firm).await.unwrap() >= 2);
    let update = sqlx::query("UPDATE journal SET actor = 'someone else'")
        .execute(&mut *conn)
        .await;
    assert!(update.is_err(), "the journal must refuse updates");
    let delete = sqlx::query("DELETE FROM journal").execute(&mut *conn).await;
    assert!(delete.is_err(), "the journal must refuse deletes");
});

both_backends!(journal_lines_need_their_firm, |db: TestDb| async move {
    let mut conn = db.store.pool().acquire().await.unwrap();
    let line = journal::Entry {
        entity: "firm",
        entity_id: None,
        dossier_id: None,
        action: "test.line",
        details: serde_json::json!({}),
    };
    // No firm 4242: the line is refused (a foreign key on SQLite, a check
    // per statement on PostgreSQL, migration 0014), one line or many.
    let one = journal::record(&mut conn, 4242, at(), &Actor::System, line.clone()).await;
    assert!(one.is_err(), "a line of a firm that does not exist");
    let many = journal::record_many(
        &mut conn,
        4242,
        at(),
        &Actor::System,
        std::slice::from_ref(&line),
    )
    .await;
    assert!(many.is_err(), "lines of a firm that does not exist");
    assert_eq!(journal::count(&mut conn, 4242).await.unwrap(), 0);

    // A firm without lines can go; one with lines cannot.
    let bare: i64 = sqlx::query_scalar(
        "INSERT INTO firms (name, created_at) VALUES ('Sans journal', 'x') RETURNING id",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    let journaled: i64 = sqlx::query_scalar(
        "INSERT INTO firms (name, created_at) VALUES ('Avec journal', 'x') RETURNING id",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    journal::record(&mut conn, journaled, at(), &Actor::System, line)
        .await
        .unwrap();
    for (firm, kept) in [(bare, false), (journaled, true)] {
        let deleted = sqlx::query("DELETE FROM firms WHERE id = $1")
            .bind(firm)
            .execute(&mut *conn)
            .await;
        assert_eq!(deleted.is_err(), kept, "firm {firm}");
    }
    let renumbered = sqlx::query("UPDATE firms SET id = 4243 WHERE id = $1")
        .bind(journaled)
        .execute(&mut *conn)
        .await;
    assert!(renumbered.is_err(), "a journaled firm keeps its id");
    assert_eq!(journal::count(&mut conn, journaled).await.unwrap(), 1);
});

both_backends!(users_and_portfolios_round_trip, |db: TestDb| async move {
    let firm = firm_with_accountant(&db, "Cabinet Durand").await;
    let mut conn = db.store.pool().acquire().await.unwrap();
    let mut paul = user("paul@cabinet.fr", Role::Manager, &["Nord", "Sud"]);
    paul.discord_id = Some("123456789012345678".into());
    assert_eq!(
        users::upsert(&mut conn, firm, &paul, &Actor::System, at())
            .await
            .unwrap(),
        Change::Created
    );
    assert_eq!(
        users::upsert(&mut conn, firm, &paul, &Actor::System, at())
            .await
            .unwrap(),
        Change::Unchanged
    );
    paul.role = Role::Admin;
    let change = users::upsert(&mut conn, firm, &paul, &Actor::System, at())
        .await
        .unwrap();
    assert!(matches!(change, Change::Updated(_)));
    let read = users::find_by_email(&mut conn, firm, "PAUL@cabinet.fr")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.record, paul);
    assert_eq!(
        users::portfolio_names(&mut conn, firm).await.unwrap(),
        vec!["Nord", "Sud"]
    );
});

/// How many of the Nord dossiers meet emission, and whether GE01 is late for it.
async fn emission_state(
    conn: &mut sqlx::AnyConnection,
    firm: i64,
    today: NaiveDate,
) -> (usize, bool) {
    let list = dossiers::list(conn, firm, Some("Nord")).await.unwrap();
    let agenda = calendar::agenda(&list, &CalendarRules::default(), today, 365);
    let met = agenda
        .in_force
        .iter()
        .find(|f| f.obligation == Obligation::Emission)
        .unwrap()
        .met;
    let late = agenda
        .overdue
        .iter()
        .any(|d| d.dossier_code == "GE01" && d.item == Item::Obligation(Obligation::Emission));
    (met, late)
}

both_backends!(
    calendar_shows_overdue_and_upcoming,
    |db: TestDb| async move {
        let firm = firm_with_accountant(&db, "Cabinet Durand").await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let anne = "anne@cabinet.fr";
        let mut ge = dossier("GE01", 3, anne);
        ge.financials = Financials {
            headcount: Some(6000.0),
            turnover: Some(200_000_000_000),
            balance_sheet: None,
        };
        ge.category = Some((SizeCategory::Ge, CategorySource::Override));
        dossiers::upsert(&mut conn, firm, &ge, &Actor::System, at())
            .await
            .unwrap();
        dossiers::upsert(
            &mut conn,
            firm,
            &dossier("TPE1", 4, anne),
            &Actor::System,
            at(),
        )
        .await
        .unwrap();
        let tpe = dossiers::find_by_code(&mut conn, firm, "TPE1")
            .await
            .unwrap()
            .unwrap();
        let state = PlatformState::DirectoryRegistered;
        platforms::set_for_dossier(
            &mut conn,
            firm,
            tpe.id,
            "JeFacture.com",
            state,
            &Actor::System,
            at(),
        )
        .await
        .unwrap();

        // On the same platform a state only moves forward; a correction may
        // go back; the same again or an unknown name writes nothing.
        let journal_lines = journal::count(&mut conn, firm).await.unwrap();
        for (name, state, expected) in [
            (
                "jefacture.com",
                PlatformState::DirectoryRegistered,
                platforms::PlatformChange::Unchanged {
                    platform: "jefacture.com".into(),
                    state: PlatformState::DirectoryRegistered,
                },
            ),
            (
                "JEFACTURE.COM",
                PlatformState::Chosen,
                platforms::PlatformChange::AlreadyFurther {
                    platform: "jefacture.com".into(),
                    state: PlatformState::DirectoryRegistered,
                },
            ),
        ] {
            let change = platforms::set_for_dossier(
                &mut conn,
                firm,
                tpe.id,
                name,
                state,
                &Actor::System,
                at(),
            )
            .await;
            assert_eq!(change.unwrap(), expected, "{name} {state:?}");
        }
        let unknown = platforms::set_for_dossier(
            &mut conn,
            firm,
            tpe.id,
            "Chorus",
            state,
            &Actor::System,
            at(),
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&unknown, StoreError::UnknownPlatform { name, known } if name == "Chorus" && known.contains(&"jefacture.com".to_string())),
            "{unknown:?}"
        );
        assert_eq!(
            journal::count(&mut conn, firm).await.unwrap(),
            journal_lines
        );
        let corrected = platforms::correct_for_dossier(
            &mut conn,
            firm,
            tpe.id,
            "jefacture.com",
            PlatformState::AccountOpen,
            &Actor::System,
            at(),
        )
        .await
        .unwrap();
        assert_eq!(
            corrected,
            platforms::PlatformChange::Set {
                platform: "jefacture.com".into(),
                state: PlatformState::AccountOpen,
                before: Some(("jefacture.com".into(), PlatformState::DirectoryRegistered)),
                anomalies: Default::default(),
            }
        );
        let last = &journal::for_dossier(&mut conn, firm, tpe.id, 1)
            .await
            .unwrap()[0];
        assert_eq!(last.details["correction"], true);
        assert_eq!(
            last.details["after"]["platform"], "jefacture.com",
            "the registered name, not as typed"
        );
        platforms::set_for_dossier(
            &mut conn,
            firm,
            tpe.id,
            "jefacture.com",
            state,
            &Actor::System,
            at(),
        )
        .await
        .unwrap();

        let list = dossiers::list(&mut conn, firm, Some("Nord")).await.unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let agenda = calendar::agenda(&list, &CalendarRules::default(), today, 365);
        let reception = agenda
            .in_force
            .iter()
            .find(|f| f.obligation == Obligation::Reception)
            .unwrap();
        assert_eq!((reception.dossiers, reception.met), (2, 1));
        let emission = agenda
            .in_force
            .iter()
            .find(|f| f.obligation == Obligation::Emission)
            .unwrap();
        assert_eq!(
            (emission.dossiers, emission.met),
            (1, 0),
            "only the GE must already issue e-invoices"
        );
        // Emission is met by an invoice emitted since it applies, as
        // readiness counts it: a platform in production is not enough.
        let ge_id = dossiers::find_by_code(&mut conn, firm, "GE01")
            .await
            .unwrap()
            .unwrap()
            .id;
        platforms::set_for_dossier(
            &mut conn,
            firm,
            ge_id,
            "JeFacture.com",
            PlatformState::Live,
            &Actor::System,
            at(),
        )
        .await
        .unwrap();
        assert_eq!(emission_state(&mut conn, firm, today).await, (0, true));
        for (last, met) in [
            ("2026-08-31T21:00:00Z", (0, true)),
            ("2026-11-20T10:00:00Z", (1, false)),
        ] {
            sqlx::query("UPDATE dossiers SET last_emitted_at = $1 WHERE id = $2")
                .bind(last)
                .bind(ge_id)
                .execute(&mut *conn)
                .await
                .unwrap();
            assert_eq!(
                emission_state(&mut conn, firm, today).await,
                met,
                "last emitted {last}"
            );
        }
        // E-reporting goes through the platform that emits: met by a
        // platform in production, or by invoices emitted since emission
        // applies, as readiness counts it with emission.
        platforms::remove_for_dossier(&mut conn, firm, ge_id, &Actor::System, at())
            .await
            .unwrap();
        for (last, met) in [
            ("2026-11-20T10:00:00Z", true),
            ("2026-08-31T21:00:00Z", false),
        ] {
            sqlx::query("UPDATE dossiers SET last_emitted_at = $1 WHERE id = $2")
                .bind(last)
                .bind(ge_id)
                .execute(&mut *conn)
                .await
                .unwrap();
            let ge = dossiers::find_by_code(&mut conn, firm, "GE01")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(
                calendar::obligation_met(&ge, Obligation::EReporting),
                met,
                "last emitted {last}"
            );
        }
        let overdue = |code: &str, item| {
            agenda
                .overdue
                .iter()
                .any(|d| d.dossier_code == code && d.item == item)
        };
        assert!(overdue("GE01", Item::Obligation(Obligation::Reception)));
        assert!(!overdue("TPE1", Item::Milestone(Milestone::PlatformChosen)));
        assert!(overdue("TPE1", Item::Milestone(Milestone::MandateSigned)));
        // The TPE's next steps: test flows two months before emission, then emission on 2027-09-01.
        let tpe_next: Vec<_> = agenda
            .upcoming
            .iter()
            .filter(|d| d.dossier_code == "TPE1")
            .map(|d| (d.date, d.item))
            .collect();
        let sept_2027 = NaiveDate::from_ymd_opt(2027, 9, 1).unwrap();
        assert_eq!(
            tpe_next,
            vec![
                (
                    NaiveDate::from_ymd_opt(2027, 7, 3).unwrap(),
                    Item::Milestone(Milestone::TestFlows)
                ),
                (sept_2027, Item::Obligation(Obligation::Emission)),
                (sept_2027, Item::Obligation(Obligation::EReporting)),
            ]
        );
        assert!(
            agenda.upcoming.windows(2).all(|w| w[0].date <= w[1].date),
            "soonest first"
        );
        // An invoice emitted through its platform shows that the flows
        // work, as readiness counts it: no test flows left to do.
        sqlx::query(
            "UPDATE dossiers SET last_emitted_at = $1 WHERE firm_id = $2 AND code = 'TPE1'",
        )
        .bind("2026-11-20T10:00:00Z")
        .bind(firm)
        .execute(&mut *conn)
        .await
        .unwrap();
        let list = dossiers::list(&mut conn, firm, Some("Nord")).await.unwrap();
        let agenda = calendar::agenda(&list, &CalendarRules::default(), today, 365);
        let tpe_steps: Vec<_> = agenda
            .upcoming
            .iter()
            .filter(|d| d.dossier_code == "TPE1")
            .map(|d| d.item)
            .collect();
        assert!(
            !tpe_steps.contains(&Item::Milestone(Milestone::TestFlows)),
            "{tpe_steps:?}"
        );
        assert!(tpe_steps.contains(&Item::Obligation(Obligation::Emission)));
    }
);

// `cabready journal`: the firm's lines by dossier, time window and author,
// the latest ones, in the order they happened; never another firm's.
both_backends!(journal_lines_are_read_by_filter, |db: TestDb| async move {
    let durand = firm_with_accountant(&db, "Cabinet Durand").await;
    let martin = firm_with_accountant(&db, "Cabinet Martin").await;
    let mut conn = db.store.pool().acquire().await.unwrap();
    let anne = "anne@cabinet.fr";
    let mut ids = Vec::new();
    for (firm, code, seed) in [
        (durand, "D001", 1),
        (durand, "D002", 2),
        (martin, "M001", 3),
    ] {
        dossiers::upsert(
            &mut conn,
            firm,
            &dossier(code, seed, anne),
            &Actor::System,
            at(),
        )
        .await
        .unwrap();
        let found = dossiers::find_by_code(&mut conn, firm, code).await.unwrap();
        ids.push(found.unwrap().id);
    }
    let by_anne = Actor::User(anne.into());
    for (firm, dossier_id, hours, action) in [
        (durand, ids[0], 1, "test.first"),
        (durand, ids[1], 2, "test.other_dossier"),
        (durand, ids[0], 30, "test.next_day"),
        (martin, ids[2], 3, "test.other_firm"),
    ] {
        let entry = journal::Entry {
            entity: "dossier",
            entity_id: Some(dossier_id),
            dossier_id: Some(dossier_id),
            action,
            details: serde_json::json!({}),
        };
        journal::record(
            &mut conn,
            firm,
            at() + chrono::Duration::hours(hours),
            &by_anne,
            entry,
        )
        .await
        .unwrap();
    }
    let store = &db.store;
    let read = |filter: journal::Filter| async move {
        let mut conn = store.pool().acquire().await.unwrap();
        journal::list(&mut conn, durand, &filter)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.action.starts_with("test."))
            .map(|l| l.action)
            .collect::<Vec<_>>()
    };
    let all = journal::Filter {
        limit: 100,
        ..Default::default()
    };
    assert_eq!(
        read(all.clone()).await,
        ["test.first", "test.other_dossier", "test.next_day"]
    );
    assert_eq!(
        read(journal::Filter {
            dossier_id: Some(ids[0]),
            ..all.clone()
        })
        .await,
        ["test.first", "test.next_day"]
    );
    assert_eq!(
        read(journal::Filter {
            since: Some(at() + chrono::Duration::hours(2)),
            until: Some(at() + chrono::Duration::hours(24)),
            ..all.clone()
        })
        .await,
        ["test.other_dossier"]
    );
    assert_eq!(
        read(journal::Filter {
            actor: Some("cabready".into()),
            ..all.clone()
        })
        .await,
        Vec::<String>::new()
    );
    assert_eq!(
        read(journal::Filter {
            actor: Some(anne.into()),
            limit: 2,
            ..all.clone()
        })
        .await,
        ["test.other_dossier", "test.next_day"],
        "the latest two"
    );
});
