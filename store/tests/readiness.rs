//! The readiness model on hand-built dossiers, each expected state and score
//! worked out by hand from docs/READINESS.md; time travel across 1 Sept 2026
//! and 1 Sept 2027; the daily snapshot. SQLite and PostgreSQL.

use cabready_store::calendar::CalendarRules;
use cabready_store::clock::to_db_time;
use cabready_store::domain::*;
use cabready_store::dossiers::{self, ActivityFlags, ContactRecord, DossierRecord};
use cabready_store::journal::Actor;
use cabready_store::mandates::Transition;
use cabready_store::readiness::inputs::{self, Inputs, Scope};
use cabready_store::readiness::{aggregate, assess, snapshot, Gap, Item, Readiness, State};
use cabready_store::{contacts, firms, mandates, platforms};
use cabready_testkit::{both_backends, TestDb};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sqlx::AnyConnection;

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn record(code: &str, seed: u32, category: Option<SizeCategory>, b2c: bool) -> DossierRecord {
    DossierRecord {
        code: code.into(),
        legal_name: format!("Société {code}"),
        siren: Siren::with_check_digit(seed),
        legal_form: None,
        financials: Financials::default(),
        category: category.map(|c| (c, CategorySource::Override)),
        vat: Some(VatRegimeSchedule::for_declared(
            VatRegime::ReelNormalMensuel,
            None,
        )),
        flags: ActivityFlags {
            b2c,
            ..Default::default()
        },
        owner: None,
        portfolio: Some(
            if seed.is_multiple_of(2) {
                "Nord"
            } else {
                "Sud"
            }
            .into(),
        ),
        tags: vec![],
        contact: Some(ContactRecord {
            name: "Client".into(),
            email: Email::parse(&format!("{}@client.fr", code.to_lowercase())).unwrap(),
        }),
    }
}

async fn sign(conn: &mut AnyConnection, firm: i64, dossier: i64) {
    for to in [
        MandateStatus::Requested,
        MandateStatus::ReceivedToVerify,
        MandateStatus::Signed,
    ] {
        let t = Transition {
            kind: MandateKind::Delegation,
            to,
            note: None,
        };
        mandates::change_status(conn, firm, dossier, t, &Actor::System, at(2026, 5, 1))
            .await
            .unwrap();
    }
}

async fn invoice(
    conn: &mut AnyConnection,
    firm: i64,
    dossier: i64,
    direction: &str,
    when: DateTime<Utc>,
) {
    let n: i64 = rand_id();
    sqlx::query(
        "INSERT INTO invoices (firm_id, dossier_id, platform, platform_invoice_id, invoice_number, issue_date,
            direction, seller_siren, buyer_siren, current_code, current_at, first_seen_at)
         VALUES ($1, $2, 'Pennylane', $3, $3, $4, $5, '732829320', '552032534', 205, $6, $6)",
    )
    .bind(firm)
    .bind(dossier)
    .bind(format!("F{n}"))
    .bind(when.format("%Y-%m-%d").to_string())
    .bind(direction.to_string())
    .bind(to_db_time(when))
    .execute(&mut *conn)
    .await
    .unwrap();
    cabready_store::invoices::refresh_flow_dates(conn, firm, Some(&[dossier]))
        .await
        .unwrap();
}

fn rand_id() -> i64 {
    use std::sync::atomic::{AtomicI64, Ordering};
    static NEXT: AtomicI64 = AtomicI64::new(1);
    NEXT.fetch_add(1, Ordering::SeqCst)
}

/// The dossiers of docs/READINESS.md's worked examples.
///  R001 PME, everything done (received flow, test flow) .......... prêt
///  R002 GE (B2C), registered, received flow, nothing emitted ....... en retard (emission)
///  R003 micro, registered, no flow at all .......................... à risque
///  R004 micro, nothing done ........................................ en retard (reception)
///  R005 category unknown, mandate signed, platform chosen, contact opted out
async fn setup(db: &TestDb) -> i64 {
    let mut tx = db.store.begin().await.unwrap();
    let now = at(2026, 5, 1);
    let (firm, _) = firms::ensure(
        &mut tx,
        "Cabinet Test",
        &["Pennylane".into()],
        &Actor::System,
        now,
    )
    .await
    .unwrap();
    let specs = [
        ("R001", 11, Some(SizeCategory::Pme), false),
        ("R002", 12, Some(SizeCategory::Ge), true),
        ("R003", 13, Some(SizeCategory::Micro), false),
        ("R004", 14, Some(SizeCategory::Micro), false),
        ("R005", 15, None, false),
    ];
    let mut ids = Vec::new();
    for (code, seed, category, b2c) in specs {
        dossiers::upsert(
            &mut tx,
            firm.id,
            &record(code, seed, category, b2c),
            &Actor::System,
            now,
        )
        .await
        .unwrap();
        ids.push(
            dossiers::find_by_code(&mut tx, firm.id, code)
                .await
                .unwrap()
                .unwrap()
                .id,
        );
    }
    for (i, state) in [
        (0, PlatformState::DirectoryRegistered),
        (1, PlatformState::Live),
        (2, PlatformState::DirectoryRegistered),
        (4, PlatformState::Chosen),
    ] {
        sign(&mut tx, firm.id, ids[i]).await;
        platforms::set_for_dossier(
            &mut tx,
            firm.id,
            ids[i],
            "Pennylane",
            state,
            &Actor::System,
            now,
        )
        .await
        .unwrap();
    }
    platforms::record_test_flow(&mut tx, firm.id, ids[0], &Actor::System, at(2026, 10, 2))
        .await
        .unwrap();
    invoice(&mut tx, firm.id, ids[0], "received", at(2026, 10, 15)).await;
    invoice(&mut tx, firm.id, ids[1], "received", at(2026, 9, 20)).await;
    // An emitted invoice before emission applied does not count after it.
    invoice(&mut tx, firm.id, ids[1], "emitted", at(2026, 8, 20)).await;
    contacts::opt_out(
        &mut tx,
        firm.id,
        &Email::parse("r005@client.fr").unwrap(),
        "STOP",
        &Actor::System,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    firm.id
}

async fn load(db: &TestDb, firm: i64) -> Vec<Inputs> {
    let mut conn = db.store.pool().acquire().await.unwrap();
    inputs::load(&mut conn, firm, Scope::Firm).await.unwrap()
}

fn of<'a>(list: &'a [Inputs], code: &str) -> &'a Inputs {
    list.iter().find(|i| i.code == code).unwrap()
}

fn missing(r: &Readiness) -> Vec<Item> {
    r.missing().map(|l| l.item).collect()
}

both_backends!(
    hand_built_dossiers_get_the_documented_state_and_score,
    |db: TestDb| async move {
        let firm = setup(&db).await;
        let list = load(&db, firm).await;
        assert_eq!(list.len(), 5);
        let rules = CalendarRules::default();
        let today = day(2026, 11, 25);
        let r = |code: &str| assess(of(&list, code), &rules, today);

        // R001: every applicable line met. Weights: 30 category, 30 contact,
        // 60 mandate, 30 platform, 60 directory, 30 received flows, 10
        // emission (due 03/07/2027, > 90 days: x1), 30 anomalies = 280.
        let r001 = r("R001");
        assert_eq!((r001.state, r001.score), (State::Ready, 100), "{r001:?}");
        assert_eq!(r001.lines.iter().map(|l| l.weight).sum::<u32>(), 280);

        // R002: GE, emission in force since 01/09/2026, only an emitted
        // invoice from August: emission (30) missing → 270/300 = 90, late.
        let r002 = r("R002");
        assert_eq!((r002.state, r002.score), (State::Late, 90), "{r002:?}");
        assert_eq!(missing(&r002), vec![Item::Emission]);
        let exposure = r002.exposure.clone().unwrap();
        // 50 € – 15,000 € for invoices, and e-reporting (B2C, réel normal
        // mensuel: 36 a year; 85 days → 8 missed): 500 € – 4,000 €.
        assert_eq!((exposure.low, exposure.high), (550, 19_000));

        // R003: micro, registered, no received flow (due 01/10/2026: past),
        // no test flow (due 03/07/2027): 240/280... weights 30+30+60+30+60 +
        // received 30 + emission 10 + anomalies 30 = 280, met 240 → 85, at risk.
        let r003 = r("R003");
        assert_eq!((r003.state, r003.score), (State::AtRisk, 85), "{r003:?}");
        assert_eq!(missing(&r003), vec![Item::ReceivedFlows, Item::Emission]);
        assert!(r003.exposure.is_none());
        // Its platform in production has seen flows go through: the test
        // flow is done, as the calendar's milestone counts it.
        let mut live = of(&list, "R003").clone();
        live.platform = Some(PlatformState::Live);
        assert_eq!(
            missing(&assess(&live, &rules, today)),
            vec![Item::ReceivedFlows]
        );

        // R004: micro, nothing done: category, contact, anomalies met: 90/280 = 32, late.
        let r004 = r("R004");
        assert_eq!((r004.state, r004.score), (State::Late, 32), "{r004:?}");
        let e = r004.exposure.clone().unwrap();
        assert_eq!((e.low, e.high), (0, 500), "85 days without a platform");

        // R005: category unknown (no emission line), contact opted out,
        // mandate and platform done: 30+60+30 (anomalies) = 120 of 270 = 44;
        // directory missing → late.
        let r005 = r("R005");
        assert_eq!((r005.state, r005.score), (State::Late, 44), "{r005:?}");
        assert_eq!(
            missing(&r005),
            vec![
                Item::CategoryKnown,
                Item::ContactReachable,
                Item::DirectoryRegistered,
                Item::ReceivedFlows
            ]
        );

        // Why its contact cannot be reached: it opted out. R004's address
        // bounces: that is said instead.
        let gap = |r: &Readiness| {
            r.lines
                .iter()
                .find(|l| l.item == Item::ContactReachable)
                .and_then(|l| l.gap.clone())
        };
        assert_eq!(gap(&r005), Some(Gap::ContactOptedOut));
        let mut conn = db.store.pool().acquire().await.unwrap();
        contacts::mark_bounced(
            &mut conn,
            firm,
            &Email::parse("r004@client.fr").unwrap(),
            "550 unknown user",
            &Actor::System,
            at(2026, 11, 20),
        )
        .await
        .unwrap();
        drop(conn);
        let bounced = load(&db, firm).await;
        assert_eq!(
            gap(&assess(of(&bounced, "R004"), &rules, today)),
            Some(Gap::ContactBounced)
        );

        let all: Vec<Readiness> = list.iter().map(|i| assess(i, &rules, today)).collect();
        let agg = aggregate(all.iter());
        assert_eq!(
            (agg.late, agg.at_risk, agg.on_track, agg.ready),
            (3, 1, 0, 1)
        );
        assert_eq!(agg.score, ((100 + 90 + 85 + 32 + 44) / 5) as u8);
        assert_eq!((agg.exposure_low, agg.exposure_high), (550, 20_000));
    }
);

both_backends!(time_travel_across_the_two_waves, |db: TestDb| async move {
    let firm = setup(&db).await;
    let list = load(&db, firm).await;
    let rules = CalendarRules::default();
    let state = |code: &str, d: NaiveDate| assess(of(&list, code), &rules, d).state;

    // R003 (micro, registered, no flows) before reception applies: the
    // test flow is far away → en bonne voie; once reception applies, no
    // received flow is late on its own only after the 30-day grace.
    assert_eq!(state("R003", day(2026, 3, 1)), State::OnTrack);
    assert_eq!(state("R003", day(2026, 8, 31)), State::OnTrack);
    assert_eq!(
        state("R003", day(2026, 9, 1)),
        State::AtRisk,
        "received flows due within 30 days"
    );
    // R004 (nothing done): on track far ahead, at risk within 30 days of
    // the mandate milestone (03/06/2026), late the day reception applies.
    assert_eq!(state("R004", day(2026, 3, 1)), State::OnTrack);
    assert_eq!(state("R004", day(2026, 5, 10)), State::AtRisk);
    assert_eq!(state("R004", day(2026, 8, 31)), State::AtRisk);
    assert_eq!(state("R004", day(2026, 9, 1)), State::Late);
    // R002 (GE): emission applies on 01/09/2026.
    assert_eq!(
        state("R002", day(2026, 8, 31)),
        State::Ready,
        "August emitted invoice counts as tested"
    );
    assert_eq!(state("R002", day(2026, 9, 1)), State::Late);
    // R001 (PME, test flow done): ready until emission applies on
    // 01/09/2027, then late until an emitted invoice is seen.
    assert_eq!(state("R001", day(2027, 8, 31)), State::Ready);
    assert_eq!(state("R001", day(2027, 9, 1)), State::Late);
    let r = assess(of(&list, "R001"), &rules, day(2027, 9, 1));
    assert_eq!(r.exposure.unwrap().low, 50);

    let mut conn = db.store.pool().acquire().await.unwrap();
    let r001 = of(&list, "R001").dossier_id;
    invoice(&mut conn, firm, r001, "emitted", at(2027, 9, 3)).await;
    let list = inputs::load(&mut conn, firm, Scope::Dossier(r001))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    let r = assess(&list[0], &rules, day(2027, 9, 10));
    assert_eq!((r.state, r.score), (State::Ready, 100));
});

both_backends!(
    the_daily_snapshot_is_idempotent_and_feeds_the_trend,
    |db: TestDb| async move {
        let firm = setup(&db).await;
        let rules = CalendarRules::default();
        let list = load(&db, firm).await;
        for (d, runs) in [(day(2026, 11, 24), 1), (day(2026, 11, 25), 2)] {
            let assessed = cabready_store::readiness::assess_all(list.clone(), &rules, d);
            for _ in 0..runs {
                let mut tx = db.store.begin_write().await.unwrap();
                snapshot::take(
                    &mut tx,
                    firm,
                    d,
                    &assessed,
                    &Actor::System,
                    at(2026, 11, 25),
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
        }
        let mut conn = db.store.pool().acquire().await.unwrap();
        let rows: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM readiness_snapshots WHERE firm_id = $1",
        )
        .bind(firm)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(rows, 10, "one row per dossier per day, even taken twice");
        let today = snapshot::of_day(&mut conn, firm, day(2026, 11, 25))
            .await
            .unwrap();
        let r003 = of(&list, "R003").dossier_id;
        assert_eq!(today[&r003].state, State::AtRisk);
        assert_eq!(
            today[&r003].missing,
            vec![Item::ReceivedFlows, Item::Emission]
        );
        let trend = snapshot::trend(&mut conn, firm, None, day(2026, 11, 1), day(2026, 11, 30))
            .await
            .unwrap();
        assert_eq!(trend.len(), 2);
        assert_eq!(trend[1].dossiers, 5);
        assert_eq!((trend[1].late, trend[1].at_risk, trend[1].ready), (3, 1, 1));
        assert_eq!(trend[1].score, ((100 + 90 + 85 + 32 + 44) / 5) as u8);
        let nord = snapshot::trend(
            &mut conn,
            firm,
            Some("Nord"),
            day(2026, 11, 1),
            day(2026, 11, 30),
        )
        .await
        .unwrap();
        assert_eq!(
            nord[1].dossiers, 2,
            "R002 and R004 (even seeds) are in Nord"
        );
        let journaled: i64 = sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM journal WHERE firm_id = $1 AND action = 'readiness.snapshot'",
        )
        .bind(firm)
        .fetch_one(&mut *conn)
        .await
        .unwrap();
        assert_eq!(journaled, 3);
    }
);
