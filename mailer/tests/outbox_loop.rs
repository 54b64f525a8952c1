//! The outbox as `cabready serve` runs it (one tick, the loop and its
//! graceful stop), settling an `unknown` reminder by hand, and the
//! "relance sans réponse" anomaly — on SQLite and PostgreSQL.

mod common;

use cabready_mailer::config::{Security, SmtpConfig};
use cabready_mailer::transport::Transport;
use cabready_mailer::{Mailer, PlanOptions, TickReport};
use cabready_store::anomalies::{self, AnomalyLimits, AnomalyStatus, Filter, Severity};
use cabready_store::clock::Clock;
use cabready_store::domain::*;
use cabready_store::dossiers;
use cabready_store::journal::Actor;
use cabready_store::outbox::{self, State, Topic};
use cabready_store::users::{self, UserRecord};
use cabready_store::{firms, Lang, Store};
use cabready_testkit::{both_backends, TestDb};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::path::Path;
use std::sync::Arc;

/// Wednesday 25 November 2026, 10:00 in Paris.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

const OWNER: &str = "paul.leroy@cabinet-durand.fr";

/// A firm onboarded three weeks ago: an accountant owning two dossiers.
async fn firm(store: &Store) -> i64 {
    let onboarded = now() - Duration::days(21);
    let mut tx = store.begin().await.unwrap();
    let (firm, _) = firms::ensure(&mut tx, "Cabinet Durand", &[], &Actor::System, onboarded)
        .await
        .unwrap();
    let user = UserRecord {
        email: Email::parse(OWNER).unwrap(),
        name: "Paul Leroy".into(),
        role: Role::Accountant,
        discord_id: None,
        portfolios: vec![],
    };
    users::upsert(&mut tx, firm.id, &user, &Actor::System, onboarded)
        .await
        .unwrap();
    for (code, seed) in [("D001", 1), ("D002", 2)] {
        let record = common::client(code, seed, &format!("Client {code}"), Some(OWNER));
        dossiers::upsert(&mut tx, firm.id, &record, &Actor::System, onboarded)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    firm.id
}

fn eml_count(outbox: &Path) -> usize {
    std::fs::read_dir(outbox.join("new")).unwrap().count()
}

const LEASE: i64 = 5;

both_backends!(
    one_tick_sends_what_is_due_the_next_nothing,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().unwrap();
        let mailer = common::maildir_mailer(dir.path());
        let firm = firm(&db.store).await;
        let lease = Duration::minutes(LEASE);
        let first = mailer
            .tick(&db.store, firm, Lang::Fr, now(), lease)
            .await
            .unwrap();
        assert_eq!((first.planned, first.sent.sent), (2, 2), "{first:?}");
        assert_eq!(eml_count(dir.path()), 2);
        let second = mailer
            .tick(
                &db.store,
                firm,
                Lang::Fr,
                now() + Duration::minutes(1),
                lease,
            )
            .await
            .unwrap();
        assert!(second.is_empty(), "{second:?}");
        assert_eq!(eml_count(dir.path()), 2);
    }
);

both_backends!(the_loop_runs_until_told_to_stop, |db: TestDb| async move {
    let dir = tempfile::tempdir().unwrap();
    let mailer = Arc::new(common::maildir_mailer(dir.path()));
    let firm = firm(&db.store).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(cabready_mailer::run_outbox(
        mailer,
        db.store.clone(),
        firm,
        Lang::Fr,
        Duration::minutes(LEASE),
        std::time::Duration::from_millis(50),
        Clock::fixed(now()),
        stopped,
    ));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while eml_count(dir.path()) < 2 {
        assert!(
            std::time::Instant::now() < deadline,
            "the loop sent nothing"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // Several more passes: nothing more goes (the clock is fixed).
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(eml_count(dir.path()), 2);
    stop.send(true).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), task)
        .await
        .expect("the loop stops when told")
        .unwrap();
    let mut conn = db.store.pool().acquire().await.unwrap();
    let counts = outbox::counts(&mut conn, firm).await.unwrap();
    assert!(counts.contains(&(State::Sent, 2)), "{counts:?}");
    assert!(counts.contains(&(State::Sending, 0)), "{counts:?}");
});

both_backends!(
    unknown_reminders_are_settled_by_a_person,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().unwrap();
        let firm = firm(&db.store).await;
        // An SMTP relay: after a crash mid-send it cannot tell, so `unknown`.
        let smtp = SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(9),
            security: Security::None,
            username: None,
            pool_size: 1,
            timeout_seconds: 1,
        };
        let relay = Mailer {
            transport: Transport::smtp(&smtp, None).unwrap(),
            ..common::maildir_mailer(dir.path())
        };
        let plan = PlanOptions {
            dry_run: false,
            ahead_of_time: false,
            outside_hours: false,
        };
        relay
            .plan(&db.store, firm, Lang::Fr, now(), plan)
            .await
            .unwrap();
        outbox::claim_due(&db.store, now(), 10).await.unwrap();
        let later = now() + Duration::minutes(10);
        let report = relay
            .recover(&db.store, later, Duration::minutes(LEASE))
            .await
            .unwrap();
        assert_eq!(report.unknown, 2);
        let mut conn = db.store.pool().acquire().await.unwrap();
        let unknown = outbox::in_state(&mut conn, firm, State::Unknown)
            .await
            .unwrap();
        drop(conn);
        let (a, b) = (&unknown[0], &unknown[1]);
        let person = Actor::User(OWNER.into());
        let slot = later + Duration::hours(1);

        // The person found the first in the relay's sent messages: sent, mandate requested.
        let mut tx = db.store.begin().await.unwrap();
        assert!(
            outbox::settle(&mut tx, firm, a.id, true, slot, &person, later)
                .await
                .unwrap()
        );
        // Settling twice changes nothing.
        assert!(
            !outbox::settle(&mut tx, firm, a.id, false, slot, &person, later)
                .await
                .unwrap()
        );
        // The second never left: planned again for the slot.
        assert!(
            outbox::settle(&mut tx, firm, b.id, false, slot, &person, later)
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();

        let mut conn = db.store.pool().acquire().await.unwrap();
        let a_now = outbox::get(&mut conn, firm, a.id).await.unwrap();
        assert_eq!(a_now.state, State::Sent);
        let b_now = outbox::get(&mut conn, firm, b.id).await.unwrap();
        assert_eq!((b_now.state, b_now.due_at), (State::Planned, Some(slot)));
        let d_a = dossiers::find_by_id(&mut conn, firm, a.dossier_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(d_a.delegation, MandateStatus::Requested);
        let journal = cabready_store::journal::for_dossier(&mut conn, firm, a.dossier_id, 20)
            .await
            .unwrap();
        let settled = journal
            .iter()
            .find(|l| l.action == "reminder.settled")
            .expect("journaled");
        assert_eq!(settled.actor, OWNER);
        assert_eq!(settled.details["state"]["after"], "sent");
        drop(conn);

        // Not before its slot; then once, through a working transport.
        let working = common::maildir_mailer(dir.path());
        assert_eq!(
            working.send_due(&db.store, later, 10).await.unwrap().sent,
            0
        );
        assert_eq!(working.send_due(&db.store, slot, 10).await.unwrap().sent, 1);
        assert_eq!(working.send_due(&db.store, slot, 10).await.unwrap().sent, 0);
        assert_eq!(eml_count(dir.path()), 1);
    }
);

both_backends!(
    no_answer_opens_one_anomaly_for_the_accountant,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().unwrap();
        let mailer = common::maildir_mailer(dir.path());
        let firm = firm(&db.store).await;
        // Every working morning for two months, the outbox runs; nobody answers.
        let mut reports = Vec::new();
        for day in 0..60 {
            let at = now() + Duration::days(day);
            let report: TickReport = mailer
                .tick(&db.store, firm, Lang::Fr, at, Duration::minutes(LEASE))
                .await
                .unwrap();
            reports.push(report);
        }
        let sent: usize = reports.iter().map(|r| r.sent.sent).sum();
        assert_eq!(sent, 6, "request + 2 follow-ups for each of the 2 dossiers");

        let mut conn = db.store.pool().acquire().await.unwrap();
        let filter = Filter {
            rule: Some("reminder_no_answer".into()),
            ..Filter::default()
        };
        let open = anomalies::list(&mut conn, firm, &filter, now())
            .await
            .unwrap();
        assert_eq!(open.len(), 2, "one per dossier, not one per pass: {open:?}");
        for anomaly in &open {
            assert_eq!(anomaly.severity, Severity::Warning);
            assert_eq!(anomaly.assignee.as_deref(), Some(OWNER));
            assert!(anomaly.key.starts_with("reminder_no_answer:mandate:"));
            let text = anomaly.describe(Lang::Fr);
            assert!(
                text.starts_with("Relance sans réponse : 3 e-mail(s)"),
                "{text}"
            );
        }
        // In the accountant's own queue.
        let mine = Filter {
            assignee: Some(Some(Email::parse(OWNER).unwrap())),
            ..Filter::default()
        };
        assert_eq!(
            anomalies::list(&mut conn, firm, &mine, now())
                .await
                .unwrap()
                .len(),
            2
        );
        // The rules' evaluation leaves it open; escalating again opens nothing.
        anomalies::evaluate(
            &mut conn,
            firm,
            &AnomalyLimits::default(),
            now(),
            now().date_naive(),
        )
        .await
        .unwrap();
        let d1 = dossiers::find_by_code(&mut conn, firm, "D001")
            .await
            .unwrap()
            .unwrap();
        let again = outbox::escalate(&mut conn, firm, d1.id, Topic::Mandate, 4, now())
            .await
            .unwrap();
        assert!(again, "a new reminder count is a new task row");
        let after = anomalies::list(&mut conn, firm, &filter, now())
            .await
            .unwrap();
        assert_eq!(after.len(), 2);
        assert!(after.iter().all(|a| a.status == AnomalyStatus::Open));
    }
);
