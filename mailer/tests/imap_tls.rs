//! The IMAP worker's transport and waiting, against the shared Dovecot of
//! `scripts/test-env up` (IMAP with STARTTLS on `CABREADY_TEST_IMAP`, IMAP
//! over TLS on `CABREADY_TEST_IMAPS`, certificates from the throwaway CA
//! `CABREADY_TEST_IMAP_CA`). Each test reads its own mailbox (a unique
//! address: any address logs in with the shared password).
//!
//! - a pass over TLS and over STARTTLS processes a message and files it;
//! - a server whose CA is not trusted is refused at once with a clear error;
//! - plain IMAP to a host on the network is refused before connecting;
//! - the worker idles (poll_seconds = 600) and still processes a message
//!   appended meanwhile within seconds; with `idle = false` it polls;
//! - a stop ends the wait at once.

use cabready_mailer::config::ImapSecurity;
use cabready_mailer::inbound::sources::imap::{self, ImapConfig};
use cabready_mailer::inbound::{Inbox, Settings};
use cabready_mailer::token::Signer;
use cabready_store::journal::Actor;
use cabready_store::{firms, inbound, Backend, Clock, Store};
use cabready_testkit::mail::unique_address;
use cabready_testkit::TestDb;
use chrono::{TimeZone, Utc};
use std::path::PathBuf;
use std::time::{Duration, Instant};

const KEY: &[u8] = b"a test key of enough bytes";

fn env(var: &str) -> String {
    std::env::var(var).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!("{var} is not set: run the tests with `scripts/test` or `eval \"$(scripts/test-env up)\"` first")
    })
}

fn host_port(var: &str) -> (String, u16) {
    let value = env(var);
    let (host, port) = value.rsplit_once(':').expect("host:port");
    (host.to_string(), port.parse().expect("port"))
}

/// A mailbox of its own on the shared Dovecot, read with `security`.
fn config(user: &str, security: ImapSecurity, ca: bool) -> ImapConfig {
    let (host, port) = match security {
        ImapSecurity::Tls => host_port("CABREADY_TEST_IMAPS"),
        _ => host_port("CABREADY_TEST_IMAP"),
    };
    ImapConfig {
        security,
        ca_file: ca.then(|| PathBuf::from(env("CABREADY_TEST_IMAP_CA"))),
        poll_seconds: 600,
        ..ImapConfig::new(host, port, user, env("CABREADY_TEST_MAIL_PASSWORD"))
    }
}

/// Appends a message to the user's INBOX (plain IMAP on loopback).
async fn append(user: &str, id: &str) {
    let mut session = imap::connect(&config(user, ImapSecurity::Plain, false))
        .await
        .unwrap();
    let raw = format!(
        "From: <client@exemple.fr>\r\nTo: <{user}>\r\nSubject: Une question\r\nDate: Wed, 25 Nov 2026 11:00:00 +0100\r\nMessage-ID: <{id}>\r\n\r\nBonjour, une question sur la facture.\r\n"
    );
    session
        .append("INBOX", None, None, raw.as_bytes())
        .await
        .unwrap();
    session.logout().await.unwrap();
}

/// The triage folder on the shared Dovecot, whose hierarchy delimiter is
/// `.` (the worker asks the server and writes `CabReady/À trier` so).
const TRIAGE: &str = "CabReady.&AMA- trier";

/// How many messages are in a folder of the user's mailbox.
async fn count(user: &str, folder: &str) -> u32 {
    let mut session = imap::connect(&config(user, ImapSecurity::Plain, false))
        .await
        .unwrap();
    let n = session.select(folder).await.unwrap().exists;
    session.logout().await.unwrap();
    n
}

/// A firm and its reply worker (one firm, one mailbox: the checkpoint is per firm and mailbox name).
async fn firm_inbox(store: &Store, data: &std::path::Path) -> Inbox {
    named_firm_inbox(store, data, "Cabinet Durand").await
}

async fn named_firm_inbox(store: &Store, data: &std::path::Path, name: &str) -> Inbox {
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap();
    let mut tx = store.begin().await.unwrap();
    let (firm, _) = firms::ensure(&mut tx, name, &[], &Actor::System, now)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    Inbox {
        firm_id: firm.id,
        signer: Signer::new(KEY).unwrap(),
        settings: Settings {
            own_domains: vec!["cabinet-durand.fr".into()],
            platforms: vec![],
        },
        attachments_dir: data.join("attachments"),
    }
}

async fn recorded(store: &Store, firm_id: i64) -> usize {
    let mut conn = store.pool().acquire().await.unwrap();
    inbound::list(&mut conn, firm_id).await.unwrap().len()
}

/// Waits (at most `limit`) until `n` messages are recorded; the time it took.
async fn until_recorded(store: &Store, firm_id: i64, n: usize, limit: Duration) -> Duration {
    let start = Instant::now();
    while recorded(store, firm_id).await < n {
        assert!(
            start.elapsed() < limit,
            "{n} message(s) not processed within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    start.elapsed()
}

#[tokio::test]
async fn a_pass_over_tls_and_over_starttls_processes_and_files_a_message() {
    let db = TestDb::new(Backend::Sqlite).await;
    let _keep = db.keep_alive();
    let data = tempfile::tempdir().unwrap();
    let clock = Clock::fixed(Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap());
    for security in [ImapSecurity::Tls, ImapSecurity::Starttls] {
        let inbox =
            named_firm_inbox(&db.store, data.path(), &format!("Cabinet {security:?}")).await;
        let user = unique_address("imaptls", "cabinet.test");
        append(&user, &format!("tls-{security:?}-{user}")).await;
        let config = config(&user, security, true);
        let report = imap::pass(&inbox, &db.store, &config, &clock)
            .await
            .unwrap_or_else(|e| panic!("{security:?}: {e:#}"));
        assert_eq!((report.processed, report.triaged), (1, 1), "{security:?}");
        assert_eq!(recorded(&db.store, inbox.firm_id).await, 1);
        assert_eq!(count(&user, "INBOX").await, 0, "{security:?}");
        assert_eq!(count(&user, TRIAGE).await, 1, "{security:?}");
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_at_once_with_a_clear_error() {
    let db = TestDb::new(Backend::Sqlite).await;
    let _keep = db.keep_alive();
    let data = tempfile::tempdir().unwrap();
    let inbox = firm_inbox(&db.store, data.path()).await;
    let clock = Clock::system();
    let user = unique_address("imaptls", "cabinet.test");
    for security in [ImapSecurity::Tls, ImapSecurity::Starttls] {
        // Only the public CAs: the test CA is not among them.
        let config = config(&user, security, false);
        let start = Instant::now();
        let error = tokio::time::timeout(
            Duration::from_secs(20),
            imap::pass(&inbox, &db.store, &config, &clock),
        )
        .await
        .expect("a refused certificate must not hang")
        .expect_err("an untrusted certificate must be refused");
        let text = format!("{error:#}");
        assert!(
            text.contains("certificat du serveur IMAP non reconnu")
                && text.contains("mail.imap.ca_file")
                && text.contains("certificate not trusted"),
            "{security:?}: {text}"
        );
        println!("{security:?}: refused in {:?}: {text}", start.elapsed());
    }
    // A CA file that is not one is named as such.
    let bad = data.path().join("ca.pem");
    std::fs::write(&bad, "pas un certificat").unwrap();
    let mut config = config(&user, ImapSecurity::Tls, false);
    config.ca_file = Some(bad);
    let error = imap::pass(&inbox, &db.store, &config, &clock)
        .await
        .unwrap_err();
    assert!(
        format!("{error:#}").contains("mail.imap.ca_file"),
        "{error:#}"
    );
}

#[tokio::test]
async fn plain_imap_to_a_network_host_is_refused_before_connecting() {
    let user = unique_address("imaptls", "cabinet.test");
    let mut config = config(&user, ImapSecurity::Plain, false);
    // A documentation address (TEST-NET-3): nothing would answer there.
    config.host = "203.0.113.7".into();
    let start = Instant::now();
    let error = imap::connect(&config).await.expect_err("refused");
    assert!(start.elapsed() < Duration::from_secs(1));
    let text = format!("{error:#}");
    assert!(
        text.contains("IMAP en clair") && text.contains("allow_plain_over_network"),
        "{text}"
    );
}

/// Starts the worker; the stop switch and its task.
fn spawn_worker(
    store: &Store,
    inbox: &Inbox,
    config: ImapConfig,
) -> (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<()>,
) {
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let store = store.clone();
    let inbox = inbox.clone();
    let task = tokio::spawn(async move {
        imap::run(&inbox, &store, &config, &Clock::system(), async {
            let _ = stop_rx.await;
        })
        .await
    });
    (stop_tx, task)
}

#[tokio::test]
async fn the_worker_idles_and_wakes_up_for_new_mail_then_stops_at_once() {
    let db = TestDb::new(Backend::Sqlite).await;
    let _keep = db.keep_alive();
    let data = tempfile::tempdir().unwrap();
    let inbox = firm_inbox(&db.store, data.path()).await;
    let user = unique_address("imapidle", "cabinet.test");
    append(&user, &format!("idle-1-{user}")).await;
    // poll_seconds = 600: only IDLE can bring the second message in time.
    let (stop, task) = spawn_worker(&db.store, &inbox, config(&user, ImapSecurity::Tls, true));
    until_recorded(&db.store, inbox.firm_id, 1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    append(&user, &format!("idle-2-{user}")).await;
    let latency = until_recorded(&db.store, inbox.firm_id, 2, Duration::from_secs(10)).await;
    println!("IDLE: a message appended while idling was processed in {latency:?}");
    // And again, on the same session.
    tokio::time::sleep(Duration::from_millis(300)).await;
    append(&user, &format!("idle-3-{user}")).await;
    until_recorded(&db.store, inbox.firm_id, 3, Duration::from_secs(10)).await;
    let start = Instant::now();
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the worker stops promptly while idling")
        .unwrap();
    println!("IDLE: stopped in {:?}", start.elapsed());
    assert_eq!(count(&user, TRIAGE).await, 3);
}

#[tokio::test]
async fn without_idle_the_worker_polls() {
    let db = TestDb::new(Backend::Sqlite).await;
    let _keep = db.keep_alive();
    let data = tempfile::tempdir().unwrap();
    let inbox = firm_inbox(&db.store, data.path()).await;
    let user = unique_address("imappoll", "cabinet.test");
    let mut config = config(&user, ImapSecurity::Starttls, true);
    config.idle = false;
    config.poll_seconds = 1;
    let (stop, task) = spawn_worker(&db.store, &inbox, config);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    append(&user, &format!("poll-1-{user}")).await;
    let latency = until_recorded(&db.store, inbox.firm_id, 1, Duration::from_secs(10)).await;
    println!("polling every second: processed in {latency:?}");
    append(&user, &format!("poll-2-{user}")).await;
    until_recorded(&db.store, inbox.firm_id, 2, Duration::from_secs(10)).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("the worker stops promptly while polling")
        .unwrap();
}

#[tokio::test]
async fn the_password_never_shows_in_debug_output() {
    let config = config("someone@cabinet.test", ImapSecurity::Tls, false);
    let shown = format!("{config:?}");
    assert!(
        !shown.contains(&env("CABREADY_TEST_MAIL_PASSWORD")),
        "{shown}"
    );
    assert!(shown.contains("password: ***"), "{shown}");
}

/// A server that does not offer IDLE (a private Dovecot whose CAPABILITY
/// leaves it out): the worker does not idle, it polls every `poll_seconds`.
#[tokio::test]
async fn a_server_without_idle_is_polled() {
    use cabready_testkit::dovecot::{PrivateDovecot, PASSWORD, USER};
    let dovecot = PrivateDovecot::start(
        "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE LITERAL+ UIDPLUS MOVE NAMESPACE CHILDREN",
    );
    let mut config = ImapConfig {
        host: "127.0.0.1".into(),
        port: dovecot.port,
        security: ImapSecurity::Plain,
        username: USER.into(),
        password: PASSWORD.into(),
        ..config("unused", ImapSecurity::Plain, false)
    };
    let appender = config.clone();
    let append_to = |id: String| {
        let config = appender.clone();
        async move {
            let mut session = imap::connect(&config).await.unwrap();
            let raw = format!("From: <client@exemple.fr>\r\nSubject: Une question\r\nMessage-ID: <{id}>\r\n\r\nBonjour ?\r\n");
            session
                .append("INBOX", None, None, raw.as_bytes())
                .await
                .unwrap();
            session.logout().await.unwrap();
        }
    };
    let mut session = imap::connect(&config).await.unwrap();
    assert!(!session.capabilities().await.unwrap().has_str("IDLE"));
    session.logout().await.unwrap();

    let db = TestDb::new(Backend::Sqlite).await;
    let _keep = db.keep_alive();
    let data = tempfile::tempdir().unwrap();
    let inbox = firm_inbox(&db.store, data.path()).await;
    append_to("noidle-1@exemple.fr".into()).await;
    // idle = true but not offered, poll_seconds = 600: nothing new before the next poll.
    config.poll_seconds = 600;
    let (stop, task) = spawn_worker(&db.store, &inbox, config.clone());
    until_recorded(&db.store, inbox.firm_id, 1, Duration::from_secs(20)).await;
    append_to("noidle-2@exemple.fr".into()).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        recorded(&db.store, inbox.firm_id).await,
        1,
        "the worker must not idle on a server without IDLE\n{}",
        dovecot.log()
    );
    stop.send(()).unwrap();
    task.await.unwrap();
    // Polling every 2 s: the waiting message, then a new one, come in.
    config.poll_seconds = 2;
    let (stop, task) = spawn_worker(&db.store, &inbox, config.clone());
    until_recorded(&db.store, inbox.firm_id, 2, Duration::from_secs(20)).await;
    append_to("noidle-3@exemple.fr".into()).await;
    let latency = until_recorded(&db.store, inbox.firm_id, 3, Duration::from_secs(10)).await;
    println!("no IDLE, polling every 2 s: processed in {latency:?}");
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops promptly")
        .unwrap();
}

/// The server restarts while the worker idles (poll_seconds = 600, so only
/// noticing the lost connection can bring it back): it reconnects with
/// backoff and processes what arrived meanwhile and after.
#[tokio::test]
async fn the_worker_reconnects_when_the_server_restarts_while_idling() {
    use cabready_testkit::dovecot::{PrivateDovecot, PASSWORD, USER};
    let dovecot = PrivateDovecot::start("");
    let config = ImapConfig {
        host: "127.0.0.1".into(),
        port: dovecot.port,
        security: ImapSecurity::Plain,
        username: USER.into(),
        password: PASSWORD.into(),
        ..config("unused", ImapSecurity::Plain, false)
    };
    let append_to = |id: &'static str| {
        let config = config.clone();
        async move {
            let mut session = imap::connect(&config).await.unwrap();
            let raw = format!(
                "From: <client@exemple.fr>\r\nSubject: Une question\r\nMessage-ID: <{id}>\r\n\r\nBonjour ?\r\n"
            );
            session
                .append("INBOX", None, None, raw.as_bytes())
                .await
                .unwrap();
            session.logout().await.unwrap();
        }
    };
    let db = TestDb::new(Backend::Sqlite).await;
    let _keep = db.keep_alive();
    let data = tempfile::tempdir().unwrap();
    let inbox = firm_inbox(&db.store, data.path()).await;
    append_to("restart-1@exemple.fr").await;
    let (stop, task) = spawn_worker(&db.store, &inbox, config.clone());
    until_recorded(&db.store, inbox.firm_id, 1, Duration::from_secs(20)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    dovecot.restart();
    append_to("restart-2@exemple.fr").await;
    let latency = until_recorded(&db.store, inbox.firm_id, 2, Duration::from_secs(20)).await;
    println!("server restarted while idling: the next message processed {latency:?} after");
    append_to("restart-3@exemple.fr").await;
    until_recorded(&db.store, inbox.firm_id, 3, Duration::from_secs(10)).await;
    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops promptly")
        .unwrap();
}
