//! The reply worker end to end, on SQLite and PostgreSQL: reminders are
//! planned and sent through the Maildir transport, clients' answers are
//! dropped into the inbox Maildir, one pass processes them, and each one
//! changes exactly what it should (mandate, contact, holds, anomalies,
//! triage, journal). A second pass over the same messages changes nothing;
//! a stranger's reply never touches a mandate.

mod common;

use cabready_mailer::cadence::{Decision, Why};
use cabready_mailer::inbound::sources::maildir;
use cabready_mailer::inbound::{Inbox, Settings};
use cabready_mailer::token::Signer;
use cabready_mailer::PlanOptions;
use cabready_store::anomalies::{self, Filter};
use cabready_store::domain::*;
use cabready_store::dossiers;
use cabready_store::journal::Actor;
use cabready_store::users::{self, UserRecord};
use cabready_store::{contacts, firms, inbound, journal, outbox, Lang, Store};
use cabready_testkit::{both_backends, TestDb};
use chrono::{DateTime, Duration, TimeZone, Utc};
use std::path::Path;

/// Wednesday 25 November 2026, 10:00 in Paris.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

use common::KEY;
const DOMAIN: &str = "cabinet-durand.fr";
const OWNER: &str = "alice@cabinet-durand.fr";
const CODES: [&str; 8] = [
    "D001", "D002", "D003", "D004", "D005", "D006", "D007", "D008",
];

fn contact_of(code: &str) -> String {
    format!("{}@client.fr", code.to_lowercase())
}

async fn firm(store: &Store) -> i64 {
    let onboarded = now() - Duration::days(21);
    let mut tx = store.begin().await.unwrap();
    let platforms = vec!["Pennylane".to_string(), "Qonto".to_string()];
    let (firm, _) = firms::ensure(
        &mut tx,
        "Cabinet Durand",
        &platforms,
        &Actor::System,
        onboarded,
    )
    .await
    .unwrap();
    let owner = UserRecord {
        email: Email::parse(OWNER).unwrap(),
        name: "Alice".into(),
        role: Role::Accountant,
        discord_id: None,
        portfolios: vec![],
    };
    users::upsert(&mut tx, firm.id, &owner, &Actor::System, onboarded)
        .await
        .unwrap();
    for (i, code) in CODES.iter().enumerate() {
        dossiers::upsert(
            &mut tx,
            firm.id,
            &common::client(code, i as u32 + 1, &format!("Société {code}"), Some(OWNER)),
            &Actor::System,
            onboarded,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    firm.id
}

fn inbox(firm_id: i64, data: &Path) -> Inbox {
    Inbox {
        firm_id,
        signer: Signer::new(KEY).unwrap(),
        settings: Settings {
            own_domains: vec![DOMAIN.into()],
            platforms: vec!["Pennylane".into(), "Qonto".into()],
        },
        attachments_dir: data.join("attachments"),
    }
}

/// A reply as a mail client writes it: to the plus-address, In-Reply-To
/// the reminder, with our reminder quoted below (which says "signé").
fn reply(from: &str, token: &str, code: &str, body: &str, pdf: bool) -> String {
    let quoted = format!(
        "\r\n\r\nLe mar. 24 nov. 2026 à 10:02, Cabinet Durand <relances+{token}@{DOMAIN}> a écrit :\r\n> Merci de nous retourner le mandat signé, ci-joint.\r\n"
    );
    let head = format!(
        "From: Client <{from}>\r\nTo: Cabinet Durand <relances+{token}@{DOMAIN}>\r\nSubject: Re: [CabReady {code}] Votre mandat\r\nDate: Wed, 25 Nov 2026 11:00:00 +0100\r\nMessage-ID: <reply-{code}-{from}>\r\nIn-Reply-To: <{token}@{DOMAIN}>\r\nMIME-Version: 1.0\r\n"
    );
    if !pdf {
        return format!(
            "{head}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}{quoted}"
        );
    }
    format!(
        "{head}Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}{quoted}\r\n--b\r\nContent-Type: application/pdf; name=\"mandat.pdf\"\r\nContent-Disposition: attachment; filename=\"mandat.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJSBtYW5kYXQgc2lnbmUK\r\n--b--\r\n"
    )
}

fn bounce(token: &str, address: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.{DOMAIN} (Mail Delivery System)\r\nTo: relances@{DOMAIN}\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: Wed, 25 Nov 2026 10:00:00 +0100\r\nMessage-ID: <bounce-{token}@mx.{DOMAIN}>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.{DOMAIN}\r\n\r\nFinal-Recipient: rfc822; {address}\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{token}@{DOMAIN}>\r\nSubject: [CabReady D005] Votre mandat\r\n--r--\r\n"
    )
}

fn out_of_office(from: &str, token: &str) -> String {
    format!(
        "From: <{from}>\r\nTo: relances+{token}@{DOMAIN}\r\nSubject: =?utf-8?Q?R=C3=A9ponse_automatique_:_[CabReady_D007]?=\r\nDate: Wed, 25 Nov 2026 10:01:00 +0100\r\nMessage-ID: <oof-{token}>\r\nAuto-Submitted: auto-replied\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nJe suis absente, de retour le 7 décembre.\r\n"
    )
}

fn deliver(inbox_dir: &Path, name: &str, raw: &str) {
    std::fs::create_dir_all(inbox_dir.join("new")).unwrap();
    std::fs::write(inbox_dir.join("new").join(name), raw).unwrap();
}

fn count(dir: &Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

async fn status(store: &Store, firm: i64, code: &str) -> MandateStatus {
    let mut conn = store.pool().acquire().await.unwrap();
    dossiers::find_by_code(&mut conn, firm, code)
        .await
        .unwrap()
        .unwrap()
        .delegation
}

both_backends!(replies_change_what_they_should, |db: TestDb| async move {
    let data = tempfile::tempdir().unwrap();
    let mailer = common::maildir_mailer(&data.path().join("outbox"));
    let firm = firm(&db.store).await;
    let inbox = inbox(firm, data.path());
    let inbox_dir = data.path().join("inbox");

    // A first request to every dossier, through the Maildir transport.
    let lines = mailer
        .plan(
            &db.store,
            firm,
            Lang::Fr,
            now(),
            PlanOptions {
                dry_run: false,
                ahead_of_time: false,
                outside_hours: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        lines.iter().filter(|l| l.planned.is_some()).count(),
        CODES.len()
    );
    let sent = mailer.send_due(&db.store, now(), 20).await.unwrap();
    assert_eq!(sent.sent, CODES.len());
    let mut conn = db.store.pool().acquire().await.unwrap();
    let mut token = std::collections::HashMap::new();
    let mut dossier_id = std::collections::HashMap::new();
    for code in CODES {
        let d = dossiers::find_by_code(&mut conn, firm, code)
            .await
            .unwrap()
            .unwrap();
        let r = outbox::for_dossier(&mut conn, firm, d.id, 1)
            .await
            .unwrap()
            .remove(0);
        token.insert(code, r.token);
        dossier_id.insert(code, d.id);
    }
    drop(conn);
    let later = now() + Duration::hours(2);

    // D004 went unanswered before: a "relance sans réponse" anomaly is open.
    let mut conn = db.store.pool().acquire().await.unwrap();
    anomalies::raise(
        &mut conn,
        firm,
        "reminder_no_answer:test",
        "reminder_no_answer",
        anomalies::Severity::Warning,
        dossier_id["D004"],
        serde_json::json!({ "reminders": 3 }),
        now(),
    )
    .await
    .unwrap();
    drop(conn);

    // The clients answer.
    deliver(
        &inbox_dir,
        "01.eml",
        &reply(
            &contact_of("D001"),
            &token["D001"],
            "D001",
            "Bonjour,\r\n\r\nCi-joint le mandat signé.\r\n\r\nCordialement,\r\nJeanne",
            true,
        ),
    );
    deliver(
        &inbox_dir,
        "02.eml",
        &reply(
            "patron@ailleurs.fr",
            &token["D002"],
            "D002",
            "Voici le mandat signé.",
            true,
        ),
    );
    deliver(
        &inbox_dir,
        "03.eml",
        &reply(
            &contact_of("D003"),
            &token["D003"],
            "D003",
            "On verra ça en janvier.",
            false,
        ),
    );
    deliver(
        &inbox_dir,
        "04.eml",
        &reply(
            &contact_of("D004"),
            &token["D004"],
            "D004",
            "À quoi sert ce mandat ?",
            false,
        ),
    );
    deliver(
        &inbox_dir,
        "05.eml",
        &bounce(&token["D005"], &contact_of("D005")),
    );
    deliver(
        &inbox_dir,
        "06.eml",
        &reply(&contact_of("D006"), &token["D006"], "D006", "STOP", false),
    );
    deliver(
        &inbox_dir,
        "07.eml",
        &out_of_office(&contact_of("D007"), &token["D007"]),
    );
    deliver(&inbox_dir, "08.eml", "From: inconnu@nulle-part.fr\r\nTo: relances@cabinet-durand.fr\r\nSubject: Bonjour\r\nMessage-ID: <lost@nulle-part.fr>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0100\r\n\r\nVous avez mon dossier ?\r\n");
    deliver(&inbox_dir, "09.eml", "\u{0}\u{1} pas un message");

    // A dry run reads and decides, writes and moves nothing.
    let mut conn = db.store.pool().acquire().await.unwrap();
    let journal_before = journal::count(&mut conn, firm).await.unwrap();
    drop(conn);
    let dry = maildir::pass(&inbox, &db.store, &inbox_dir, later, true)
        .await
        .unwrap();
    assert_eq!(dry.processed, 9, "{dry:#?}");
    let mut conn = db.store.pool().acquire().await.unwrap();
    assert_eq!(
        journal::count(&mut conn, firm).await.unwrap(),
        journal_before
    );
    drop(conn);
    assert_eq!(count(&inbox_dir.join("new")), 9);
    assert_eq!(
        status(&db.store, firm, "D001").await,
        MandateStatus::Requested
    );

    let pass = maildir::pass(&inbox, &db.store, &inbox_dir, later, false)
        .await
        .unwrap();
    assert_eq!(
        (pass.processed, pass.duplicates, pass.failed),
        (9, 0, 0),
        "{pass:#?}"
    );
    assert_eq!(pass.triaged, 2, "{pass:#?}");
    assert_eq!(count(&inbox_dir.join("new")), 0);
    assert_eq!(count(&inbox_dir.join("cur")), 9);
    let flagged = std::fs::read_dir(inbox_dir.join("cur"))
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(":2,FS"))
        .count();
    assert_eq!(flagged, 2);

    // D001: the contact sent the signed mandate → received, to verify; attachment kept.
    assert_eq!(
        status(&db.store, firm, "D001").await,
        MandateStatus::ReceivedToVerify
    );
    let mut conn = db.store.pool().acquire().await.unwrap();
    let messages = inbound::list(&mut conn, firm).await.unwrap();
    assert_eq!(messages.len(), 9);
    let m1 = messages
        .iter()
        .find(|m| m.dossier_id == Some(dossier_id["D001"]))
        .unwrap();
    assert_eq!(m1.intent.as_deref(), Some("signed_attached"));
    assert_eq!(m1.visible_text, "Bonjour,\n\nCi-joint le mandat signé.");
    let files = inbound::attachments(&mut conn, firm, m1.id).await.unwrap();
    assert_eq!(files.len(), 1);
    let stored = data
        .path()
        .join("attachments")
        .join(&files[0].sha256[..2])
        .join(&files[0].sha256);
    assert_eq!(
        std::fs::metadata(&stored).unwrap().len() as i64,
        files[0].size
    );
    let lines = journal::for_dossier(&mut conn, firm, dossier_id["D001"], 50)
        .await
        .unwrap();
    let change = lines
        .iter()
        .find(|l| l.action == "mandate.status_changed" && l.actor_kind == "client")
        .unwrap();
    assert_eq!(change.details["after"], "received_to_verify");
    assert_eq!(change.actor, contact_of("D001"));

    // D002: a stranger's "signed mandate" changes nothing; an anomaly to check.
    assert_eq!(
        status(&db.store, firm, "D002").await,
        MandateStatus::Requested
    );
    let open = anomalies::list(&mut conn, firm, &Filter::default(), later)
        .await
        .unwrap();
    let rule_for = |code: &str| -> Vec<String> {
        open.iter()
            .filter(|a| a.dossier_code.as_deref() == Some(code))
            .map(|a| a.rule.clone())
            .collect()
    };
    assert_eq!(rule_for("D002"), vec!["mail_unknown_sender"]);

    // D003: postponed to January → a hold; the cadence waits for it.
    let held = inbound::not_before(&mut conn, firm, dossier_id["D003"])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held, Utc.with_ymd_and_hms(2027, 1, 1, 8, 0, 0).unwrap());

    // D004: a question → an anomaly for the accountant, with the text.
    let question = open
        .iter()
        .find(|a| a.dossier_code.as_deref() == Some("D004"))
        .unwrap();
    assert_eq!(question.rule, "mail_reply");
    assert_eq!(question.assignee.as_deref(), Some(OWNER));
    assert_eq!(question.details["text"], "À quoi sert ce mandat ?");
    assert_eq!(question.details["intent"], "question");
    // …and the client answered: the "relance sans réponse" is resolved.
    assert!(!open.iter().any(|a| a.rule == "reminder_no_answer"));

    // D005: hard bounce → address invalid, critical anomaly.
    let c5 = contacts::for_dossier(&mut conn, firm, dossier_id["D005"])
        .await
        .unwrap();
    assert!(c5[0].bounced_at.is_some());
    assert_eq!(rule_for("D005"), vec!["mail_bounce"]);

    // D006: STOP → opted out.
    let c6 = contacts::for_dossier(&mut conn, firm, dossier_id["D006"])
        .await
        .unwrap();
    assert!(c6[0].opted_out_at.is_some());

    // D007: out of office until 7 December → hold.
    let held7 = inbound::not_before(&mut conn, firm, dossier_id["D007"])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(held7, Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap());

    // D008 said nothing: unchanged. The stranger and the garbage are in triage.
    assert_eq!(
        status(&db.store, firm, "D008").await,
        MandateStatus::Requested
    );
    let triage = inbound::open_triage(&mut conn, firm).await.unwrap();
    assert_eq!(triage.len(), 2);
    assert!(triage
        .iter()
        .any(|t| t.message.sender.as_deref() == Some("inconnu@nulle-part.fr")));
    assert!(triage.iter().any(|t| t.message.kind == "unreadable"));
    drop(conn);

    // Follow-ups a week later: D003 and D007 wait for their dates; D001, D005, D006 stop.
    let week = now() + Duration::days(8);
    let plan = mailer
        .plan(
            &db.store,
            firm,
            Lang::Fr,
            week,
            PlanOptions {
                dry_run: true,
                ahead_of_time: false,
                outside_hours: false,
            },
        )
        .await
        .unwrap();
    let decision = |code: &str| {
        plan.iter()
            .find(|l| l.dossier_code == code)
            .unwrap()
            .decision
            .clone()
    };
    assert!(
        matches!(
            decision("D003"),
            Decision::Wait {
                why: Why::Held(_),
                ..
            }
        ),
        "{:?}",
        decision("D003")
    );
    assert!(matches!(decision("D001"), Decision::Stop(_)));
    assert!(matches!(decision("D005"), Decision::Stop(Why::Bounced)));
    assert!(matches!(decision("D006"), Decision::Stop(Why::OptedOut)));
    assert!(matches!(decision("D008"), Decision::Send { .. }));

    // The same messages again (a crash after the commit, before the move; or
    // the server redelivering): nothing changes.
    let mut conn = db.store.pool().acquire().await.unwrap();
    let journal_after = journal::count(&mut conn, firm).await.unwrap();
    let anomalies_after = anomalies::list(&mut conn, firm, &Filter::default(), later)
        .await
        .unwrap()
        .len();
    drop(conn);
    for entry in std::fs::read_dir(inbox_dir.join("cur")).unwrap().flatten() {
        let name = entry
            .file_name()
            .to_string_lossy()
            .replace(":2,FS", "")
            .replace(":2,S", "");
        std::fs::copy(
            entry.path(),
            inbox_dir.join("new").join(format!("again-{name}")),
        )
        .unwrap();
    }
    let again = maildir::pass(&inbox, &db.store, &inbox_dir, later, false)
        .await
        .unwrap();
    assert_eq!((again.processed, again.duplicates), (0, 9), "{again:#?}");
    let mut conn = db.store.pool().acquire().await.unwrap();
    assert_eq!(
        journal::count(&mut conn, firm).await.unwrap(),
        journal_after
    );
    assert_eq!(
        anomalies::list(&mut conn, firm, &Filter::default(), later)
            .await
            .unwrap()
            .len(),
        anomalies_after
    );
    assert_eq!(inbound::list(&mut conn, firm).await.unwrap().len(), 9);
    assert_eq!(
        status(&db.store, firm, "D001").await,
        MandateStatus::ReceivedToVerify
    );
});

both_backends!(
    a_reply_settles_an_unknown_reminder_and_holds_the_next,
    |db: TestDb| async move {
        let data = tempfile::tempdir().unwrap();
        let mailer = common::maildir_mailer(&data.path().join("outbox"));
        let firm = firm(&db.store).await;
        let inbox = inbox(firm, data.path());
        let inbox_dir = data.path().join("inbox");
        mailer
            .plan(
                &db.store,
                firm,
                Lang::Fr,
                now(),
                PlanOptions {
                    dry_run: false,
                    ahead_of_time: false,
                    outside_hours: false,
                },
            )
            .await
            .unwrap();
        // The sender died mid-send on an SMTP relay: every reminder is `unknown`.
        let claimed = outbox::claim_due(&db.store, now(), 50).await.unwrap();
        assert_eq!(claimed.len(), CODES.len());
        let mut tx = db.store.begin().await.unwrap();
        for r in &claimed {
            outbox::resolve_stuck(
                &mut tx,
                firm,
                r.id,
                outbox::Resolution::Unknown,
                &Actor::System,
                now(),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let d001 = claimed.iter().find(|r| r.dossier_id == 1).unwrap().clone();
        let code = "D001";
        deliver(
            &inbox_dir,
            "reply.eml",
            &reply(
                &contact_of(code),
                &d001.token,
                code,
                "Je vous l'envoie la semaine prochaine.",
                false,
            ),
        );
        let later = now() + Duration::hours(1);
        let pass = maildir::pass(&inbox, &db.store, &inbox_dir, later, false)
            .await
            .unwrap();
        assert_eq!(pass.processed, 1, "{pass:#?}");
        let mut conn = db.store.pool().acquire().await.unwrap();
        // The answer proves the reminder arrived: `sent`, and the mandate is requested.
        let after = outbox::get(&mut conn, firm, d001.id).await.unwrap();
        assert_eq!(after.state, outbox::State::Sent);
        drop(conn);
        assert_eq!(
            status(&db.store, firm, code).await,
            MandateStatus::Requested
        );
        // "La semaine prochaine" (written Wednesday 25 November): the client
        // has that whole week; not before Monday 7 December, 09:00.
        let plan_at = |at: DateTime<Utc>| {
            let mailer = &mailer;
            let store = db.store.clone();
            async move {
                mailer
                    .plan(
                        &store,
                        firm,
                        Lang::Fr,
                        at,
                        PlanOptions {
                            dry_run: true,
                            ahead_of_time: true,
                            outside_hours: false,
                        },
                    )
                    .await
                    .unwrap()
                    .into_iter()
                    .find(|l| l.dossier_code == "D001")
                    .unwrap()
                    .decision
            }
        };
        match plan_at(now() + Duration::days(2)).await {
            Decision::Wait {
                why: Why::Held(_), ..
            } => {}
            other => panic!("the hold wins, even ahead of time: {other:?}"),
        }
        match plan_at(now() + Duration::days(9)).await {
            Decision::Wait {
                why: Why::Held(_), ..
            } => {}
            other => panic!("nothing during the week the client asked for: {other:?}"),
        }
        match plan_at(now() + Duration::days(12)).await {
            Decision::Send { .. } => {}
            other => panic!("the follow-up goes after the hold and the gap: {other:?}"),
        }
        let mut conn = db.store.pool().acquire().await.unwrap();
        let held = inbound::not_before(&mut conn, firm, 1)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(held, Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap());
    }
);

both_backends!(
    two_passes_at_once_process_each_message_once,
    |db: TestDb| async move {
        let data = tempfile::tempdir().unwrap();
        let mailer = common::maildir_mailer(&data.path().join("outbox"));
        let firm = firm(&db.store).await;
        let inbox = inbox(firm, data.path());
        let inbox_dir = data.path().join("inbox");
        mailer
            .plan(
                &db.store,
                firm,
                Lang::Fr,
                now(),
                PlanOptions {
                    dry_run: false,
                    ahead_of_time: false,
                    outside_hours: false,
                },
            )
            .await
            .unwrap();
        mailer.send_due(&db.store, now(), 20).await.unwrap();
        let mut conn = db.store.pool().acquire().await.unwrap();
        for code in CODES {
            let d = dossiers::find_by_code(&mut conn, firm, code)
                .await
                .unwrap()
                .unwrap();
            let r = outbox::for_dossier(&mut conn, firm, d.id, 1)
                .await
                .unwrap()
                .remove(0);
            deliver(
                &inbox_dir,
                &format!("{code}.eml"),
                &reply(
                    &contact_of(code),
                    &r.token,
                    code,
                    "Ci-joint le mandat signé.",
                    true,
                ),
            );
        }
        drop(conn);
        let later = now() + Duration::hours(1);
        let (a, b) = tokio::join!(
            maildir::pass(&inbox, &db.store, &inbox_dir, later, false),
            maildir::pass(&inbox, &db.store, &inbox_dir, later, false)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert_eq!((a.failed, b.failed), (0, 0), "{a:#?} {b:#?}");
        assert_eq!(a.processed + b.processed, CODES.len(), "{a:#?} {b:#?}");
        assert_eq!(count(&inbox_dir.join("new")), 0);
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert_eq!(
            inbound::list(&mut conn, firm).await.unwrap().len(),
            CODES.len()
        );
        for code in CODES {
            assert_eq!(
                status(&db.store, firm, code).await,
                MandateStatus::ReceivedToVerify
            );
        }
        let changes = journal::since(&mut conn, firm, 0, 10_000)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.action == "mandate.status_changed" && l.actor_kind == "client")
            .count();
        assert_eq!(changes, CODES.len(), "one mandate change per message");
    }
);

/// Plans (for real, or only saying it) at `at` and returns each dossier's decision.
async fn plan_decisions(
    mailer: &cabready_mailer::Mailer,
    store: &Store,
    firm: i64,
    at: DateTime<Utc>,
    dry_run: bool,
) -> std::collections::HashMap<String, Decision> {
    mailer
        .plan(
            store,
            firm,
            Lang::Fr,
            at,
            PlanOptions {
                dry_run,
                ahead_of_time: false,
                outside_hours: false,
            },
        )
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.dossier_code, l.decision))
        .collect()
}

both_backends!(
    a_reply_for_a_person_stops_the_reminders_until_handled,
    |db: TestDb| async move {
        let data = tempfile::tempdir().unwrap();
        let mailer = common::maildir_mailer(&data.path().join("outbox"));
        let firm = firm(&db.store).await;
        let inbox = inbox(firm, data.path());
        let inbox_dir = data.path().join("inbox");
        plan_decisions(&mailer, &db.store, firm, now(), false).await;
        assert_eq!(
            mailer.send_due(&db.store, now(), 20).await.unwrap().sent,
            CODES.len()
        );
        // A week later the follow-ups are planned, not sent yet.
        let week = now() + Duration::days(8);
        let planned = plan_decisions(&mailer, &db.store, firm, week, false).await;
        assert!(matches!(planned["D004"], Decision::Send { .. }));
        let mut conn = db.store.pool().acquire().await.unwrap();
        let mut id = std::collections::HashMap::new();
        let mut token = std::collections::HashMap::new();
        for code in ["D002", "D003", "D004", "D008"] {
            let d = dossiers::find_by_code(&mut conn, firm, code)
                .await
                .unwrap()
                .unwrap();
            let history = outbox::for_dossier(&mut conn, firm, d.id, 10)
                .await
                .unwrap();
            assert_eq!(history[0].state, outbox::State::Planned, "{code}");
            token.insert(code, history[1].token.clone());
            id.insert(code, d.id);
        }
        drop(conn);

        // D004 refuses, D003 is not the right person, D002's reply comes
        // from someone else; D008 says nothing.
        let answers = [
            ("D004", contact_of("D004"), "Nous refusons de signer un mandat de ce type."),
            ("D003", contact_of("D003"), "J'ai vendu la société en juin dernier. Le nouveau gérant est M. Thierry Lambert, vous pouvez le joindre à t.lambert@client.fr"),
            ("D002", "associe@ailleurs.fr".to_string(), "Je transmets à mon associé."),
        ];
        for (code, from, body) in &answers {
            deliver(
                &inbox_dir,
                &format!("{code}.eml"),
                &reply(from, &token[code], code, body, false),
            );
        }
        let pass = maildir::pass(&inbox, &db.store, &inbox_dir, week, false)
            .await
            .unwrap();
        assert_eq!(pass.processed, 3, "{pass:#?}");
        let mut conn = db.store.pool().acquire().await.unwrap();
        let open = anomalies::list(&mut conn, firm, &Filter::default(), week)
            .await
            .unwrap();
        let anomaly = |code: &str| {
            open.iter()
                .find(|a| a.dossier_code.as_deref() == Some(code))
                .unwrap_or_else(|| panic!("no anomaly for {code}"))
                .clone()
        };
        assert_eq!(anomaly("D004").details["intent"], "refused");
        assert_eq!(anomaly("D003").details["intent"], "wrong_person");
        assert_eq!(anomaly("D002").rule, "mail_unknown_sender");
        // The follow-up planned before the reply is cancelled, saying why.
        for code in ["D002", "D003", "D004"] {
            let last = outbox::for_dossier(&mut conn, firm, id[code], 1)
                .await
                .unwrap()
                .remove(0);
            assert_eq!(last.state, outbox::State::Cancelled, "{code}");
            let reason = cabready_store::Said::show(last.last_error.as_deref().unwrap(), Lang::Fr);
            assert!(
                reason.contains(&format!("anomalie #{}", anomaly(code).id)),
                "{reason}"
            );
        }
        let d008 = outbox::for_dossier(&mut conn, firm, id["D008"], 1)
            .await
            .unwrap()
            .remove(0);
        assert_eq!(d008.state, outbox::State::Planned);
        drop(conn);

        // Days later the cadence still writes to none of them, and says why.
        let later = week + Duration::days(10);
        let decisions = plan_decisions(&mailer, &db.store, firm, later, true).await;
        for code in ["D002", "D003", "D004"] {
            assert_eq!(
                decisions[code],
                Decision::Stop(Why::ReplyPending(anomaly(code).id)),
                "{code}"
            );
        }
        assert!(Why::ReplyPending(anomaly("D004").id)
            .text(Lang::En)
            .contains("client's reply to be handled by the accountant"));

        // A person's `relancer D003` still plans one: it is their decision.
        let mut conn = db.store.pool().acquire().await.unwrap();
        let d003 = dossiers::find_by_code(&mut conn, firm, "D003")
            .await
            .unwrap()
            .unwrap();
        drop(conn);
        let asked = mailer
            .plan_now(
                &db.store,
                firm,
                &d003,
                Lang::Fr,
                &Actor::User(OWNER.into()),
                later,
            )
            .await
            .unwrap();
        assert!(asked.planned.is_some(), "{:?}", asked.decision);

        // The accountant handles D004's reply, dismisses D002's: the cadence resumes.
        let mut conn = db.store.pool().acquire().await.unwrap();
        let who = Actor::User(OWNER.into());
        anomalies::resolve(
            &mut conn,
            firm,
            anomaly("D004").id,
            "appelé le client",
            &who,
            later,
        )
        .await
        .unwrap();
        anomalies::dismiss(
            &mut conn,
            firm,
            anomaly("D002").id,
            "son associé",
            &who,
            later,
        )
        .await
        .unwrap();
        drop(conn);
        let decisions = plan_decisions(&mailer, &db.store, firm, later, true).await;
        for code in ["D002", "D004"] {
            assert!(
                matches!(decisions[code], Decision::Send { .. }),
                "{code}: {:?}",
                decisions[code]
            );
        }
    }
);

both_backends!(
    an_answer_or_a_closed_task_lets_the_cadence_start_again,
    |db: TestDb| async move {
        let data = tempfile::tempdir().unwrap();
        let mut mailer = common::maildir_mailer(&data.path().join("outbox"));
        // The deadline is past for these dossiers: keep the plain weekly gaps.
        mailer.cadence.near_deadline_gap_days = 7;
        let firm = firm(&db.store).await;
        let inbox = inbox(firm, data.path());
        let inbox_dir = data.path().join("inbox");
        let day = |n: i64| now() + Duration::days(n);
        let tick = |n: i64| {
            let mailer = &mailer;
            let store = db.store.clone();
            async move {
                mailer
                    .tick(&store, firm, Lang::Fr, day(n), Duration::minutes(5))
                    .await
                    .unwrap();
            }
        };
        let id_of = |code: &'static str| {
            let store = db.store.clone();
            async move {
                let mut conn = store.pool().acquire().await.unwrap();
                dossiers::find_by_code(&mut conn, firm, code)
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            }
        };
        let sent_to = |code: &'static str, from: i64| {
            let store = db.store.clone();
            async move {
                let mut conn = store.pool().acquire().await.unwrap();
                let id = dossiers::find_by_code(&mut conn, firm, code)
                    .await
                    .unwrap()
                    .unwrap()
                    .id;
                outbox::for_dossier(&mut conn, firm, id, 100)
                    .await
                    .unwrap()
                    .into_iter()
                    .filter(|r| r.state == outbox::State::Sent && r.sent_at.unwrap() >= day(from))
                    .count()
            }
        };
        let answer = |code: &'static str, n: i64| {
            let store = db.store.clone();
            let inbox = &inbox;
            let inbox_dir = &inbox_dir;
            async move {
                let mut conn = store.pool().acquire().await.unwrap();
                let id = dossiers::find_by_code(&mut conn, firm, code)
                    .await
                    .unwrap()
                    .unwrap()
                    .id;
                let last = outbox::for_dossier(&mut conn, firm, id, 1).await.unwrap();
                drop(conn);
                let text = "Nous avons choisi Pennylane comme plateforme.";
                deliver(
                    inbox_dir,
                    &format!("{code}-{n}.eml"),
                    &reply(&contact_of(code), &last[0].token, code, text, false),
                );
                let pass = maildir::pass(inbox, &store, inbox_dir, day(n), false)
                    .await
                    .unwrap();
                assert_eq!(pass.processed, 1, "{pass:#?}");
            }
        };

        // Request on day 0, follow-ups on days 7 and 14; D005 answers on day 10.
        for n in 0..=9 {
            tick(n).await;
        }
        answer("D005", 10).await;
        for n in 10..=15 {
            tick(n).await;
        }
        let plan = plan_decisions(&mailer, &db.store, firm, day(15), true).await;
        // The last follow-up went: no reminder will follow, the accountant takes over.
        assert_eq!(
            plan["D001"],
            Decision::Wait {
                until: day(21),
                next: None,
                why: Why::Unanswered(day(21))
            }
        );
        for n in 16..=22 {
            tick(n).await;
        }
        let plan = plan_decisions(&mailer, &db.store, firm, day(22), true).await;
        assert_eq!(plan["D001"], Decision::Stop(Why::Escalated));
        assert_eq!(plan["D004"], Decision::Stop(Why::Escalated));
        // D005's answer counts: only the follow-up sent after it (Monday,
        // day 19) is unanswered; not escalated, its next follow-up on day 26.
        assert_eq!(sent_to("D005", 0).await, 3);
        assert!(
            matches!(
                plan["D005"],
                Decision::Wait {
                    next: Some((_, 2)),
                    ..
                }
            ),
            "{:?}",
            plan["D005"]
        );

        // The accountant closes D001's task; D004's client answers.
        let mut conn = db.store.pool().acquire().await.unwrap();
        let open = anomalies::list(&mut conn, firm, &Filter::default(), day(22))
            .await
            .unwrap();
        let task = open
            .iter()
            .find(|a| a.dossier_code.as_deref() == Some("D001") && a.rule == "reminder_no_answer")
            .unwrap();
        anomalies::resolve(
            &mut conn,
            firm,
            task.id,
            "appelé : il signe cette semaine",
            &Actor::User(OWNER.into()),
            day(22),
        )
        .await
        .unwrap();
        drop(conn);
        answer("D004", 22).await;
        for n in 23..=50 {
            tick(n).await;
        }
        // Chased again from then: two follow-ups each, then a new task each;
        // D002 (nobody did anything) was not written to again.
        assert_eq!(sent_to("D001", 23).await, 2);
        assert_eq!(sent_to("D004", 23).await, 2);
        assert_eq!(sent_to("D002", 23).await, 0);
        let mut conn = db.store.pool().acquire().await.unwrap();
        let open = anomalies::list(&mut conn, firm, &Filter::default(), day(50))
            .await
            .unwrap();
        for code in ["D001", "D004"] {
            let id = id_of(code).await;
            let tasks: Vec<_> = open
                .iter()
                .filter(|a| {
                    a.dossier_code.as_deref() == Some(code) && a.rule == "reminder_no_answer"
                })
                .collect();
            assert_eq!(tasks.len(), 1, "{code}: {tasks:?}");
            assert_eq!(tasks[0].key, format!("reminder_no_answer:mandate:{id}:2"));
            let text = tasks[0].describe(Lang::Fr);
            assert!(
                text.starts_with("Relance sans réponse : 2 e-mail(s)"),
                "{text}"
            );
        }
    }
);
