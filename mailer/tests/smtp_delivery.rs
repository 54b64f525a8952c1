//! Reminders through a real SMTP server into a real IMAP mailbox (the
//! aiosmtpd → Dovecot pair of `scripts/test-env up`), on SQLite and
//! PostgreSQL: what the client receives (headers, both parts), a relay that
//! is down then back (each reminder arrives once), and a sender that dies
//! between the server's answer and `sent` (nothing resent: the mailbox is
//! counted per token). Fails — never skips — without the servers.

use cabready_mailer::config::{CadenceConfig, MailConfig, Security, SmtpConfig};
use cabready_mailer::templates::Templates;
use cabready_mailer::token::Signer;
use cabready_mailer::transport::Transport;
use cabready_mailer::{Mailer, PlanOptions};
use cabready_store::dossiers;
use cabready_store::journal::Actor;
use cabready_store::outbox::{self, Reminder, State};
use cabready_store::{firms, Lang, Store};
use cabready_testkit::clients::small_client;
use cabready_testkit::mail::{header, unique_address, MailServers, SmtpGate};
use cabready_testkit::{both_backends, TestDb};
use chrono::{DateTime, Duration, TimeZone, Utc};

/// Wednesday 25 November 2026, 10:00 in Paris.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

const PLAN: PlanOptions = PlanOptions {
    dry_run: false,
    ahead_of_time: false,
    outside_hours: false,
};

/// A firm onboarded three weeks ago; each dossier's contact has a mailbox
/// of its own (tests share Dovecot). Returns the firm and the addresses.
async fn firm(store: &Store, count: u32) -> (i64, Vec<String>) {
    let onboarded = now() - Duration::days(21);
    let mut tx = store.begin().await.unwrap();
    let (firm, _) = firms::ensure(&mut tx, "Cabinet Durand", &[], &Actor::System, onboarded)
        .await
        .unwrap();
    let mut addresses = Vec::new();
    for seed in 1..=count {
        let code = format!("D{seed:03}");
        let address = unique_address(&code.to_lowercase(), "client.test");
        // Angle brackets in the name: the HTML part must escape them.
        let name = format!("Boulangerie <Lefèvre> n°{seed}");
        let record = small_client(&code, seed, &name, &address);
        dossiers::upsert(&mut tx, firm.id, &record, &Actor::System, onboarded)
            .await
            .unwrap();
        addresses.push(address);
    }
    tx.commit().await.unwrap();
    (firm.id, addresses)
}

fn mailer(host: &str, port: u16) -> Mailer {
    let smtp = SmtpConfig {
        host: host.into(),
        port: Some(port),
        security: Security::None,
        username: None,
        pool_size: 2,
        timeout_seconds: 5,
    };
    Mailer {
        mail: MailConfig {
            from_address: "relances@cabinet.test".into(),
            from_name: Some("Cabinet Durand".into()),
            ..MailConfig::default()
        },
        cadence: CadenceConfig::default(),
        templates: Templates::load(None).unwrap(),
        signer: Signer::new(b"a test key of enough bytes").unwrap(),
        transport: Transport::smtp(&smtp, None).unwrap(),
        crash_after_send: false,
    }
}

fn real_mailer(servers: &MailServers) -> Mailer {
    let (host, port) = servers.smtp_host_port();
    mailer(&host, port)
}

async fn reminders(store: &Store, firm: i64, code: &str) -> Vec<Reminder> {
    let mut conn = store.pool().acquire().await.unwrap();
    let d = dossiers::find_by_code(&mut conn, firm, code)
        .await
        .unwrap()
        .unwrap();
    outbox::for_dossier(&mut conn, firm, d.id, 10)
        .await
        .unwrap()
}

/// How many messages in the mailbox carry this token.
fn copies(inbox: &[String], token: &str) -> usize {
    inbox
        .iter()
        .filter(|m| header(m, "X-CabReady-Token").as_deref() == Some(token))
        .count()
}

both_backends!(
    a_reminder_arrives_with_its_headers_and_both_parts,
    |db: TestDb| async move {
        let servers = MailServers::from_env();
        let mailer = real_mailer(&servers);
        let (firm, addresses) = firm(&db.store, 2).await;
        mailer
            .plan(&db.store, firm, Lang::Fr, now(), PLAN)
            .await
            .unwrap();
        let report = mailer.send_due(&db.store, now(), 10).await.unwrap();
        assert_eq!(report.sent, 2, "{report:?}");

        // In the mailbox as soon as the send returned: the server delivers before 250.
        let reminder = reminders(&db.store, firm, "D001").await.remove(0);
        assert_eq!(reminder.state, State::Sent);
        assert!(reminder
            .smtp_response
            .as_deref()
            .unwrap()
            .starts_with("250 "));
        let inbox = servers.inbox(&addresses[0]);
        assert_eq!(inbox.len(), 1, "one message for D001's contact");
        let message = &inbox[0];
        let token = &reminder.token;
        assert_eq!(
            header(message, "Message-ID").as_deref(),
            Some(format!("<{token}@cabinet.test>").as_str())
        );
        let reply_to = header(message, "Reply-To").unwrap();
        assert!(
            reply_to.contains(&format!("<relances+{token}@cabinet.test>")),
            "{reply_to}"
        );
        assert_eq!(
        header(message, "Subject").as_deref(),
        Some("[CabReady D001] Boulangerie <Lefèvre> n°1 : votre mandat pour la facturation électronique")
    );
        assert_eq!(
            header(message, "X-CabReady-Token").as_deref(),
            Some(token.as_str())
        );
        assert_eq!(
            header(message, "Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        let unsubscribe = header(message, "List-Unsubscribe").unwrap();
        assert!(
            unsubscribe.starts_with("<mailto:relances+") && unsubscribe.contains("subject=STOP"),
            "{unsubscribe}"
        );
        assert!(header(message, "To").unwrap().contains(&addresses[0]));
        assert!(header(message, "From")
            .unwrap()
            .contains("<relances@cabinet.test>"));
        // Both parts, the HTML one with the client's name escaped.
        let content_type = header(message, "Content-Type").unwrap();
        assert!(
            content_type.starts_with("multipart/alternative"),
            "{content_type}"
        );
        let lower = message.to_ascii_lowercase();
        assert!(
            lower.contains("content-type: text/plain; charset=utf-8"),
            "{message}"
        );
        assert!(
            lower.contains("content-type: text/html; charset=utf-8"),
            "{message}"
        );
        let decoded = decode_bodies(message);
        assert!(decoded.contains("Boulangerie &lt;Lefèvre&gt;"), "{decoded}");
        assert!(decoded.contains("Jeanne Martin"), "{decoded}");
        // The other dossier's contact got exactly its own.
        let other = servers.inbox(&addresses[1]);
        let d2 = reminders(&db.store, firm, "D002").await.remove(0);
        assert_eq!((other.len(), copies(&other, &d2.token)), (1, 1));
    }
);

/// The message's parts, decoded (quoted-printable or base64), concatenated.
fn decode_bodies(message: &str) -> String {
    let mut out = String::new();
    for part in message.split("\r\n--").skip(1) {
        let Some((head, body)) = part.split_once("\r\n\r\n") else {
            continue;
        };
        let head = head.to_ascii_lowercase();
        let bytes = if head.contains("content-transfer-encoding: base64") {
            cabready_testkit::mail::base64(body)
        } else if head.contains("content-transfer-encoding: quoted-printable") {
            cabready_testkit::mail::quoted_printable(body)
        } else {
            body.as_bytes().to_vec()
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
    }
    out
}

both_backends!(
    relay_down_then_back_each_reminder_arrives_once,
    |db: TestDb| async move {
        let servers = MailServers::from_env();
        let (firm, addresses) = firm(&db.store, 3).await;
        // The relay is down: its port refuses connections.
        let mut gate = SmtpGate::closed(&servers.smtp);
        let mailer = mailer("127.0.0.1", gate.port);
        mailer
            .plan(&db.store, firm, Lang::Fr, now(), PLAN)
            .await
            .unwrap();
        let report = mailer.send_due(&db.store, now(), 10).await.unwrap();
        assert_eq!((report.sent, report.failed), (0, 3), "{report:?}");
        for code in ["D001", "D002", "D003"] {
            let r = reminders(&db.store, firm, code).await;
            assert_eq!(r.len(), 1);
            assert_eq!(r[0].state, State::Failed);
            assert!(r[0].last_error.is_some());
        }
        // Still down a minute later: failed again, nothing lost.
        let retry = now() + Duration::minutes(1);
        let report = mailer.send_due(&db.store, retry, 10).await.unwrap();
        assert_eq!((report.sent, report.failed), (0, 3), "{report:?}");
        for address in &addresses {
            assert!(servers.inbox(address).is_empty());
        }

        // Back up: after the backoff, each goes once; later passes send nothing.
        gate.open().await;
        let later = now() + Duration::minutes(10);
        let report = mailer.send_due(&db.store, later, 10).await.unwrap();
        assert_eq!((report.sent, report.failed), (3, 0), "{report:?}");
        assert_eq!(
            mailer.send_due(&db.store, later, 10).await.unwrap(),
            Default::default()
        );
        mailer
            .plan(&db.store, firm, Lang::Fr, later, PLAN)
            .await
            .unwrap();
        assert_eq!(mailer.send_due(&db.store, later, 10).await.unwrap().sent, 0);
        for (code, address) in ["D001", "D002", "D003"].iter().zip(&addresses) {
            let r = reminders(&db.store, firm, code).await;
            assert_eq!(r.len(), 1, "{code}: no second reminder planned");
            assert_eq!((r[0].state, r[0].attempts), (State::Sent, 3));
            let inbox = servers.inbox(address);
            assert_eq!((inbox.len(), copies(&inbox, &r[0].token)), (1, 1), "{code}");
        }
        gate.close();
    }
);

both_backends!(
    sender_dies_after_the_servers_answer,
    |db: TestDb| async move {
        let servers = MailServers::from_env();
        let mailer = real_mailer(&servers);
        let (firm, addresses) = firm(&db.store, 3).await;
        mailer
            .plan(&db.store, firm, Lang::Fr, now(), PLAN)
            .await
            .unwrap();
        // A sender claims D001's reminder, the server accepts it (250), and the
        // sender dies before `sent`: the message is in the mailbox, the row in `sending`.
        let claimed = outbox::claim_due(&db.store, now(), 1).await.unwrap();
        assert_eq!(claimed.len(), 1);
        let lost = &claimed[0];
        let mut conn = db.store.pool().acquire().await.unwrap();
        let lost_code = dossiers::find_by_id(&mut conn, firm, lost.dossier_id)
            .await
            .unwrap()
            .unwrap()
            .record
            .code;
        drop(conn);
        let index: usize = lost_code[1..].parse::<usize>().unwrap() - 1;
        let envelope = lettre::address::Envelope::new(
            Some("relances@cabinet.test".parse().unwrap()),
            vec![addresses[index].parse().unwrap()],
        )
        .unwrap();
        let raw = format!(
        "From: relances@cabinet.test\r\nTo: {}\r\nSubject: x\r\nMessage-ID: <{}>\r\nX-CabReady-Token: {}\r\n\r\nbody\r\n",
        addresses[index], lost.message_id, lost.token
    );
        let answer = mailer
            .transport
            .send(&envelope, raw.as_bytes(), &lost.token)
            .await
            .unwrap();
        assert!(answer.starts_with("250"), "{answer}");

        // Restart within the lease: the row is left alone, the others go.
        let early = mailer
            .recover(&db.store, now(), Duration::minutes(5))
            .await
            .unwrap();
        assert_eq!(early, Default::default());
        assert_eq!(mailer.send_due(&db.store, now(), 10).await.unwrap().sent, 2);
        // After the lease: SMTP cannot tell, so `unknown`, never resent.
        let later = now() + Duration::minutes(10);
        let report = mailer
            .recover(&db.store, later, Duration::minutes(5))
            .await
            .unwrap();
        assert_eq!(
            (report.delivered, report.requeued, report.unknown),
            (0, 0, 1)
        );
        assert_eq!(
            mailer.send_due(&db.store, later, 10).await.unwrap(),
            Default::default()
        );
        // Tuesday 22 December: the others get their follow-up; the lost one's
        // dossier waits for a person.
        let follow_up = later + Duration::days(27);
        mailer
            .plan(&db.store, firm, Lang::Fr, follow_up, PLAN)
            .await
            .unwrap();
        assert_eq!(
            mailer
                .send_due(&db.store, follow_up, 10)
                .await
                .unwrap()
                .sent,
            2
        );
        let stuck = reminders(&db.store, firm, &lost_code).await;
        assert_eq!(
            stuck.iter().map(|r| r.state).collect::<Vec<_>>(),
            vec![State::Unknown]
        );
        // Every reminder is in its mailbox exactly once.
        let inbox = servers.inbox(&addresses[index]);
        assert_eq!((inbox.len(), copies(&inbox, &lost.token)), (1, 1));
        for (i, address) in addresses.iter().enumerate().filter(|(i, _)| *i != index) {
            let code = format!("D{:03}", i + 1);
            let code = code.as_str();
            let inbox = servers.inbox(address);
            let rows = reminders(&db.store, firm, code).await;
            assert_eq!(inbox.len(), rows.len(), "{code}");
            for r in rows {
                assert_eq!(r.state, State::Sent);
                assert_eq!(copies(&inbox, &r.token), 1, "{code} {}", r.template);
            }
        }
    }
);
