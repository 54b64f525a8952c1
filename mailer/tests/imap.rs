//! The IMAP source against a real Dovecot started privately for each test
//! (the recipe of `../shared/DESIGN.md`: a temp dir, plain IMAP on a free
//! loopback port, a passwd-file user; as root, everything runs as
//! `nobody`). Replies appended to INBOX are processed once, filed into
//! `CabReady/Traité` or `CabReady/À trier`, never deleted; the same
//! message appended again changes nothing; the worker reconnects after the
//! server restarts.

mod common;

use cabready_mailer::inbound::sources::imap::{self, ImapConfig};
use cabready_mailer::inbound::{Inbox, Settings};
use cabready_mailer::token::Signer;
use cabready_mailer::PlanOptions;
use cabready_store::dossiers;
use cabready_store::journal::Actor;
use cabready_store::{firms, inbound, outbox, Clock, Lang, Store};
use cabready_testkit::dovecot::{self, PrivateDovecot};
use cabready_testkit::{both_backends, TestDb};
use chrono::{DateTime, Duration, TimeZone, Utc};
use futures_util::TryStreamExt;
use std::path::Path;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

use common::KEY;

/// The test's own Dovecot (it restarts it mid-test), and what the test does with it.
struct Dovecot(PrivateDovecot);

impl std::ops::Deref for Dovecot {
    type Target = PrivateDovecot;
    fn deref(&self) -> &PrivateDovecot {
        &self.0
    }
}

impl Dovecot {
    fn start() -> Dovecot {
        Dovecot(PrivateDovecot::start(""))
    }

    fn config(&self) -> ImapConfig {
        let mut config = ImapConfig::new("127.0.0.1", self.port, dovecot::USER, dovecot::PASSWORD);
        config.poll_seconds = 1;
        config
    }

    async fn session(&self) -> async_imap::Session<tokio::net::TcpStream> {
        let stream = tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .unwrap();
        let mut client = async_imap::Client::new(stream);
        client.read_response().await.unwrap();
        client
            .login(dovecot::USER, dovecot::PASSWORD)
            .await
            .map_err(|(e, _)| e)
            .unwrap()
    }

    async fn append(&self, raw: &str) {
        let mut session = self.session().await;
        session
            .append("INBOX", None, None, raw.as_bytes())
            .await
            .unwrap();
        session.logout().await.unwrap();
    }

    async fn count(&self, mailbox: &str) -> u32 {
        let mut session = self.session().await;
        let n = session.select(mailbox).await.unwrap().exists;
        session.logout().await.unwrap();
        n
    }
}

/// A firm with D001..D003, a first reminder sent to each; their tokens.
async fn firm_with_reminders(store: &Store, outbox_dir: &Path) -> (i64, Vec<String>) {
    let onboarded = now() - Duration::days(21);
    let mut tx = store.begin().await.unwrap();
    let (firm, _) = firms::ensure(&mut tx, "Cabinet Durand", &[], &Actor::System, onboarded)
        .await
        .unwrap();
    for (i, code) in ["D001", "D002", "D003"].iter().enumerate() {
        dossiers::upsert(
            &mut tx,
            firm.id,
            &common::client(code, i as u32 + 1, &format!("Société {code}"), None),
            &Actor::System,
            onboarded,
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let mailer = common::maildir_mailer(outbox_dir);
    mailer
        .plan(
            store,
            firm.id,
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
    mailer.send_due(store, now(), 10).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let mut tokens = Vec::new();
    for code in ["D001", "D002", "D003"] {
        let d = dossiers::find_by_code(&mut conn, firm.id, code)
            .await
            .unwrap()
            .unwrap();
        tokens.push(
            outbox::for_dossier(&mut conn, firm.id, d.id, 1)
                .await
                .unwrap()
                .remove(0)
                .token,
        );
    }
    (firm.id, tokens)
}

fn reply(code: &str, token: &str, id: &str, body: &str) -> String {
    format!(
        "From: <{}@client.fr>\r\nTo: <relances+{token}@cabinet-durand.fr>\r\nSubject: Re: [CabReady {code}] Votre mandat\r\nDate: Wed, 25 Nov 2026 11:00:00 +0100\r\nMessage-ID: <{id}>\r\nIn-Reply-To: <{token}@cabinet-durand.fr>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
        code.to_lowercase()
    )
}

fn inbox_for(firm_id: i64, data: &Path) -> Inbox {
    Inbox {
        firm_id,
        signer: Signer::new(KEY).unwrap(),
        settings: Settings {
            own_domains: vec!["cabinet-durand.fr".into()],
            platforms: vec![],
        },
        attachments_dir: data.join("attachments"),
    }
}

both_backends!(
    imap_replies_are_processed_once_and_filed,
    |db: TestDb| async move {
        let dovecot = Dovecot::start();
        let data = tempfile::tempdir().unwrap();
        let (firm, tokens) = firm_with_reminders(&db.store, &data.path().join("outbox")).await;
        let inbox = inbox_for(firm, data.path());
        let config = dovecot.config();
        let clock = Clock::fixed(now() + Duration::hours(2));

        dovecot
            .append(&reply(
                "D001",
                &tokens[0],
                "r1@client.fr",
                "Je n'ai pas encore signé, on verra en janvier.",
            ))
            .await;
        dovecot
            .append(&reply(
                "D002",
                &tokens[1],
                "r2@client.fr",
                "Quel est le délai ?",
            ))
            .await;
        dovecot.append("From: <x@nulle-part.fr>\r\nTo: <relances@cabinet-durand.fr>\r\nSubject: hello\r\nMessage-ID: <r3@nulle-part.fr>\r\nDate: Wed, 25 Nov 2026 11:00:00 +0100\r\n\r\nBonjour ?\r\n").await;

        let report = imap::pass(&inbox, &db.store, &config, &clock)
            .await
            .unwrap();
        assert_eq!(
            (report.processed, report.triaged, report.duplicates),
            (3, 1, 0),
            "{report:?}\n{}",
            dovecot.log()
        );
        assert_eq!(dovecot.count("INBOX").await, 0);
        assert_eq!(dovecot.count("CabReady/Trait&AOk-").await, 2);
        assert_eq!(dovecot.count("CabReady/&AMA- trier").await, 1);
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert!(inbound::not_before(&mut conn, firm, 1)
            .await
            .unwrap()
            .is_some());
        let checkpoint = inbound::checkpoint(&mut conn, firm, &config.account_mailbox())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(checkpoint.1, 3);
        drop(conn);

        // Nothing new: nothing done. The same message again (new UID): a duplicate.
        let idle = imap::pass(&inbox, &db.store, &config, &clock)
            .await
            .unwrap();
        assert_eq!(idle, imap::ImapReport::default());
        dovecot
            .append(&reply(
                "D001",
                &tokens[0],
                "r1@client.fr",
                "Je n'ai pas encore signé, on verra en janvier.",
            ))
            .await;
        let again = imap::pass(&inbox, &db.store, &config, &clock)
            .await
            .unwrap();
        assert_eq!((again.processed, again.duplicates), (0, 1));
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert_eq!(inbound::list(&mut conn, firm).await.unwrap().len(), 3);
        drop(conn);

        // The worker keeps going across a server restart.
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let worker = {
            let store = db.store.clone();
            let inbox = inbox.clone();
            let config = config.clone();
            tokio::spawn(async move {
                imap::run(&inbox, &store, &config, &clock, async {
                    let _ = stop_rx.await;
                })
                .await
            })
        };
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        dovecot.restart();
        dovecot
            .append(&reply("D003", &tokens[2], "r4@client.fr", "STOP"))
            .await;
        let mut seen = false;
        for _ in 0..100 {
            let mut conn = db.store.pool().acquire().await.unwrap();
            if inbound::list(&mut conn, firm).await.unwrap().len() == 4 {
                seen = true;
                break;
            }
            drop(conn);
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        let _ = stop_tx.send(());
        worker.await.unwrap();
        assert!(seen, "the worker did not reconnect: {}", dovecot.log());
        let mut session = dovecot.session().await;
        let list: Vec<_> = session
            .list(Some(""), Some("*"))
            .await
            .unwrap()
            .try_collect()
            .await
            .unwrap();
        assert!(list.len() >= 3);
        session.logout().await.unwrap();
    }
);
