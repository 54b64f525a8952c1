//! The outbox on SQLite and PostgreSQL: planning is idempotent, a claim is
//! exclusive, sent moves the mandate and journals, failures retry with
//! backoff, stop rules cancel, and a sender that dies between the server's
//! answer and `sent` loses nothing and duplicates nothing.

mod common;

use cabready_mailer::cadence::Decision;
use cabready_mailer::transport::Transport;
use cabready_mailer::{Mailer, PlanOptions};
use cabready_store::domain::*;
use cabready_store::dossiers;
use cabready_store::journal::Actor;
use cabready_store::outbox::{self, State};
use cabready_store::{contacts, firms, mandates, Lang, Store};
use cabready_testkit::{both_backends, TestDb};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::path::Path;

/// Wednesday 25 November 2026, 10:00 in Paris.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

/// A firm onboarded three weeks ago with two dossiers, mandates not requested.
async fn firm(store: &Store) -> i64 {
    let onboarded = now() - Duration::days(21);
    let mut tx = store.begin().await.unwrap();
    let (firm, _) = firms::ensure(&mut tx, "Cabinet Durand", &[], &Actor::System, onboarded)
        .await
        .unwrap();
    for (code, seed, name) in [
        ("D001", 1, "Boulangerie <Lefèvre>"),
        ("D002", 2, "Garage des Tilleuls"),
    ] {
        dossiers::upsert(
            &mut tx,
            firm.id,
            &common::client(code, seed, name, None),
            &Actor::System,
            onboarded,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    firm.id
}

fn files(outbox: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(outbox.join("new"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

const PLAN: PlanOptions = PlanOptions {
    dry_run: false,
    ahead_of_time: false,
    outside_hours: false,
};

async fn state_of(store: &Store, firm: i64, dossier_code: &str) -> Vec<State> {
    let mut conn = store.pool().acquire().await.unwrap();
    let d = dossiers::find_by_code(&mut conn, firm, dossier_code)
        .await
        .unwrap()
        .unwrap();
    outbox::for_dossier(&mut conn, firm, d.id, 10)
        .await
        .unwrap()
        .iter()
        .map(|r| r.state)
        .collect()
}

both_backends!(plan_send_and_mark, |db: TestDb| async move {
    let dir = tempfile::tempdir().unwrap();
    let mailer = common::maildir_mailer(dir.path());
    let firm = firm(&db.store).await;

    // Dry run: decisions, nothing written.
    let dry = mailer
        .plan(
            &db.store,
            firm,
            Lang::Fr,
            now(),
            PlanOptions {
                dry_run: true,
                ..PLAN
            },
        )
        .await
        .unwrap();
    assert!(dry
        .iter()
        .all(|l| matches!(l.decision, Decision::Send { .. }) && l.planned.is_none()));
    assert!(state_of(&db.store, firm, "D001").await.is_empty());

    // Planning twice plans once.
    let lines = mailer
        .plan(&db.store, firm, Lang::Fr, now(), PLAN)
        .await
        .unwrap();
    assert_eq!(lines.iter().filter(|l| l.planned.is_some()).count(), 2);
    let again = mailer
        .plan(&db.store, firm, Lang::Fr, now(), PLAN)
        .await
        .unwrap();
    assert_eq!(again.iter().filter(|l| l.planned.is_some()).count(), 0);

    let report = mailer.send_due(&db.store, now(), 10).await.unwrap();
    assert_eq!(report.sent, 2);
    assert_eq!(files(dir.path()).len(), 2);
    assert_eq!(state_of(&db.store, firm, "D001").await, vec![State::Sent]);

    // The mandate moved, with its journal line; the row keeps the answer.
    let mut conn = db.store.pool().acquire().await.unwrap();
    let d1 = dossiers::find_by_code(&mut conn, firm, "D001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d1.delegation, MandateStatus::Requested);
    let reminder = &outbox::for_dossier(&mut conn, firm, d1.id, 1)
        .await
        .unwrap()[0];
    assert!(reminder
        .smtp_response
        .as_deref()
        .unwrap()
        .starts_with("250 "));
    assert_eq!(
        reminder.subject.as_deref(),
        Some(
            "[CabReady D001] Boulangerie <Lefèvre> : votre mandat pour la facturation électronique"
        )
    );
    assert!(mailer.signer.verify(&reminder.token));
    assert_eq!(
        reminder.message_id,
        format!("{}@cabinet-durand.fr", reminder.token)
    );
    let actions: Vec<String> = cabready_store::journal::for_dossier(&mut conn, firm, d1.id, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.action)
        .collect();
    for action in [
        "reminder.planned",
        "reminder.sending",
        "reminder.sent",
        "mandate.status_changed",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }
    drop(conn);

    // The .eml: headers, both parts, the name escaped in HTML.
    let eml = std::fs::read_to_string(
        dir.path().join("new").join(
            files(dir.path())
                .into_iter()
                .find(|f| f.contains(&reminder.token))
                .unwrap(),
        ),
    )
    .unwrap();
    assert!(eml.contains(&format!("Message-ID: <{}>", reminder.message_id)));
    assert!(eml.contains(&format!("relances+{}@cabinet-durand.fr", reminder.token)));
    assert!(eml.contains("text/plain") && eml.contains("text/html"));
    assert!(eml.contains("Boulangerie &lt;Lef"));

    // Nothing more today: one message per contact per 3 days, next follow-up later.
    let lines = mailer
        .plan(&db.store, firm, Lang::Fr, now(), PLAN)
        .await
        .unwrap();
    assert!(lines
        .iter()
        .all(|l| matches!(l.decision, Decision::Wait { .. })));
    // A week later (Wednesday 2 Dec): the follow-up, and the mandate is "reminded".
    let later = now() + Duration::days(7);
    mailer
        .plan(&db.store, firm, Lang::Fr, later, PLAN)
        .await
        .unwrap();
    assert_eq!(mailer.send_due(&db.store, later, 10).await.unwrap().sent, 2);
    let mut conn = db.store.pool().acquire().await.unwrap();
    let d1 = dossiers::find_by_code(&mut conn, firm, "D001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d1.delegation, MandateStatus::Reminded);
});

both_backends!(
    stop_rules_cancel_planned_reminders,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().unwrap();
        let mailer = common::maildir_mailer(dir.path());
        let firm = firm(&db.store).await;
        mailer
            .plan(&db.store, firm, Lang::Fr, now(), PLAN)
            .await
            .unwrap();
        let mut tx = db.store.begin().await.unwrap();
        // D001's client opted out; D002's mandate arrived before the send.
        let n = contacts::opt_out(
            &mut tx,
            firm,
            &Email::parse("d001@client.fr").unwrap(),
            "STOP",
            &Actor::Client("d001@client.fr".into()),
            now(),
        )
        .await
        .unwrap();
        assert_eq!(n, 1);
        let d2 = dossiers::find_by_code(&mut tx, firm, "D002")
            .await
            .unwrap()
            .unwrap();
        let t = mandates::Transition {
            kind: MandateKind::Delegation,
            to: MandateStatus::ReceivedToVerify,
            note: None,
        };
        mandates::change_status(&mut tx, firm, d2.id, t, &Actor::System, now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let report = mailer.send_due(&db.store, now(), 10).await.unwrap();
        assert_eq!((report.sent, report.cancelled), (0, 1));
        assert_eq!(
            state_of(&db.store, firm, "D001").await,
            vec![State::Cancelled]
        );
        assert_eq!(
            state_of(&db.store, firm, "D002").await,
            vec![State::Cancelled]
        );
        assert!(files(dir.path()).is_empty());
        let lines = mailer
            .plan(&db.store, firm, Lang::Fr, now(), PLAN)
            .await
            .unwrap();
        assert!(lines
            .iter()
            .all(|l| matches!(l.decision, Decision::Stop(_))));
    }
);

both_backends!(transport_down_then_back, |db: TestDb| async move {
    let dir = tempfile::tempdir().unwrap();
    let firm = firm(&db.store).await;
    // An SMTP relay that refuses connections (nothing listens on the port).
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let smtp = cabready_mailer::config::SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: cabready_mailer::config::Security::None,
        username: None,
        pool_size: 1,
        timeout_seconds: 2,
    };
    let down = Mailer {
        transport: Transport::smtp(&smtp, None).unwrap(),
        ..common::maildir_mailer(dir.path())
    };
    down.plan(&db.store, firm, Lang::Fr, now(), PLAN)
        .await
        .unwrap();
    let report = down.send_due(&db.store, now(), 10).await.unwrap();
    assert_eq!((report.sent, report.failed), (0, 2));
    assert_eq!(state_of(&db.store, firm, "D001").await, vec![State::Failed]);
    // Not before the backoff…
    assert_eq!(
        down.send_due(&db.store, now(), 10).await.unwrap(),
        Default::default()
    );
    // …then through the working transport: each goes once.
    let up = common::maildir_mailer(dir.path());
    let later = now() + Duration::minutes(2);
    assert_eq!(up.send_due(&db.store, later, 10).await.unwrap().sent, 2);
    assert_eq!(files(dir.path()).len(), 2);
    assert_eq!(state_of(&db.store, firm, "D001").await, vec![State::Sent]);
    let mut conn = db.store.pool().acquire().await.unwrap();
    let d1 = dossiers::find_by_code(&mut conn, firm, "D001")
        .await
        .unwrap()
        .unwrap();
    let r = &outbox::for_dossier(&mut conn, firm, d1.id, 1)
        .await
        .unwrap()[0];
    assert_eq!(r.attempts, 2);
});

both_backends!(a_claim_is_exclusive, |db: TestDb| async move {
    let dir = tempfile::tempdir().unwrap();
    let mailer = common::maildir_mailer(dir.path());
    let firm = firm(&db.store).await;
    mailer
        .plan(&db.store, firm, Lang::Fr, now(), PLAN)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        outbox::claim_due(&db.store, now(), 10),
        outbox::claim_due(&db.store, now(), 10)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len() + b.len(), 2, "{a:?} {b:?}");
    assert!(a.iter().all(|x| b.iter().all(|y| x.id != y.id)));
});

both_backends!(crash_between_sending_and_sent, |db: TestDb| async move {
    let dir = tempfile::tempdir().unwrap();
    let mailer = common::maildir_mailer(dir.path());
    let firm = firm(&db.store).await;
    mailer
        .plan(&db.store, firm, Lang::Fr, now(), PLAN)
        .await
        .unwrap();
    // A sender claims both, delivers D001's message and dies before `sent`;
    // D002's never left.
    let claimed = outbox::claim_due(&db.store, now(), 10).await.unwrap();
    assert_eq!(claimed.len(), 2);
    let first = claimed
        .iter()
        .find(|r| r.template == "mandate_request")
        .unwrap();
    let envelope = lettre::address::Envelope::new(
        Some("relances@cabinet-durand.fr".parse().unwrap()),
        vec!["d001@client.fr".parse().unwrap()],
    )
    .unwrap();
    mailer
        .transport
        .send(&envelope, b"Subject: x\r\n\r\nbody\r\n", &first.token)
        .await
        .unwrap();
    // Restart: within the lease nothing is touched (another sender may be alive)…
    let early = mailer
        .recover(&db.store, now(), Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(early, Default::default());
    // …after it, the delivered one is marked sent, the other planned again.
    let later = now() + Duration::minutes(10);
    let report = mailer
        .recover(&db.store, later, Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        (report.delivered, report.requeued, report.unknown),
        (1, 1, 0)
    );
    let sent = mailer.send_due(&db.store, later, 10).await.unwrap();
    assert_eq!(sent.sent, 1, "only the undelivered one goes");
    let names = files(dir.path());
    assert_eq!(names.len(), 2, "{names:?}");
    for r in &claimed {
        assert_eq!(names.iter().filter(|n| n.contains(&r.token)).count(), 1);
    }
    assert_eq!(state_of(&db.store, firm, "D001").await, vec![State::Sent]);
    assert_eq!(state_of(&db.store, firm, "D002").await, vec![State::Sent]);
});

both_backends!(
    smtp_cannot_tell_so_unknown_is_never_resent,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().unwrap();
        let firm = firm(&db.store).await;
        let smtp = cabready_mailer::config::SmtpConfig {
            host: "127.0.0.1".into(),
            port: Some(9),
            security: cabready_mailer::config::Security::None,
            username: None,
            pool_size: 1,
            timeout_seconds: 1,
        };
        let relay = Mailer {
            transport: Transport::smtp(&smtp, None).unwrap(),
            ..common::maildir_mailer(dir.path())
        };
        relay
            .plan(&db.store, firm, Lang::Fr, now(), PLAN)
            .await
            .unwrap();
        outbox::claim_due(&db.store, now(), 10).await.unwrap();
        let later = now() + Duration::minutes(10);
        let report = relay
            .recover(&db.store, later, Duration::minutes(5))
            .await
            .unwrap();
        assert_eq!(report.unknown, 2);
        assert_eq!(
            relay.send_due(&db.store, later, 10).await.unwrap(),
            Default::default()
        );
        assert_eq!(
            state_of(&db.store, firm, "D001").await,
            vec![State::Unknown]
        );
        // And nothing new is planned over it.
        let lines = relay
            .plan(&db.store, firm, Lang::Fr, later + Duration::days(30), PLAN)
            .await
            .unwrap();
        assert!(lines.iter().all(|l| l.planned.is_none()));
    }
);

both_backends!(
    one_address_in_two_dossiers_gets_one_email_at_a_time,
    |db: TestDb| async move {
        let dir = tempfile::tempdir().unwrap();
        let mailer = common::maildir_mailer(dir.path());
        let onboarded = now() - Duration::days(21);
        let mut tx = db.store.begin().await.unwrap();
        let (firm, _) = firms::ensure(&mut tx, "Cabinet Durand", &[], &Actor::System, onboarded)
            .await
            .unwrap();
        // Léa keeps the books of the town's two companies.
        for (code, seed, email) in [("D001", 1, "lea@commune.fr"), ("D002", 2, "Lea@Commune.fr")] {
            let record = cabready_testkit::clients::small_client(code, seed, code, email);
            dossiers::upsert(&mut tx, firm.id, &record, &Actor::System, onboarded)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let firm = firm.id;

        let lines = mailer
            .plan(&db.store, firm, Lang::Fr, now(), PLAN)
            .await
            .unwrap();
        assert_eq!(lines.iter().filter(|l| l.planned.is_some()).count(), 1);
        let waiting = lines.iter().find(|l| l.planned.is_none()).unwrap();
        match &waiting.decision {
            Decision::Wait { why, .. } => assert!(
                why.text(Lang::Fr).contains("contact déjà écrit récemment"),
                "{}",
                why.text(Lang::Fr)
            ),
            other => panic!("the second dossier waits: {other:?}"),
        }
        let report = mailer.send_due(&db.store, now(), 10).await.unwrap();
        assert_eq!(report.sent, 1);
        assert_eq!(files(dir.path()).len(), 1);
        // The day after, still one; after the rest (Monday 30), the other goes.
        let next_day = now() + Duration::days(1);
        mailer
            .plan(&db.store, firm, Lang::Fr, next_day, PLAN)
            .await
            .unwrap();
        assert_eq!(
            mailer.send_due(&db.store, next_day, 10).await.unwrap().sent,
            0
        );
        let later = now() + Duration::days(5);
        let lines = mailer
            .plan(&db.store, firm, Lang::Fr, later, PLAN)
            .await
            .unwrap();
        assert_eq!(lines.iter().filter(|l| l.planned.is_some()).count(), 1);
        assert_eq!(mailer.send_due(&db.store, later, 10).await.unwrap().sent, 1);
        assert_eq!(files(dir.path()).len(), 2);
    }
);
