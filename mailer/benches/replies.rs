//! Benchmark of the reply worker against the real Dovecot of
//! `scripts/test-env up`: N client replies (default 10,000) answering N
//! real reminders are appended to a fresh mailbox (setup, not timed), then
//! ONE worker pass fetches, parses, matches, classifies and applies them
//! and files each into `CabReady/Traité` or `CabReady/À trier` (timed end
//! to end, login included). For the ratio, a bare `UID FETCH 1:*
//! BODY.PEEK[]` of the same mailbox by async-imap, just before the pass.
//! At the end, every message must have been processed exactly once (rows,
//! journal lines, mandates, folders are counted), so the figure is honest.
//!
//! The mix of replies: 25 % signed with a PDF attached (a different file
//! each), 20 % postponed ("on verra en janvier"), 15 % questions, 15 %
//! out-of-office auto-replies with a return date, 10 % hard bounces (a
//! Postfix DSN), 5 % signed elsewhere, 10 % from strangers about nothing
//! CabReady sent (triage).
//!
//! A program that prints figures, not a timed test:
//! `eval "$(scripts/test-env up)"; cargo bench -p cabready-mailer --bench replies -- [--count N] [--skip-sqlite] [--skip-postgres]`

use cabready_mailer::config::{CadenceConfig, MailConfig};
use cabready_mailer::inbound::sources::imap::{self, ImapConfig};
use cabready_mailer::inbound::{Inbox, Settings};
use cabready_mailer::templates::Templates;
use cabready_mailer::token::Signer;
use cabready_mailer::transport::Transport;
use cabready_mailer::{Mailer, PlanOptions};
use cabready_store::{Backend, Clock, Lang, Store};
use cabready_testkit::bench::{
    count_arg, load_average, peak_rss_mb, per_second, reset_peak_rss, run_id,
};
use cabready_testkit::clients::{
    firm_scalar, firm_with_small_clients, sent_reminders, SentReminder,
};
use cabready_testkit::mail::MailServers;
use chrono::{DateTime, Duration, TimeZone, Utc};
use futures_util::TryStreamExt;
use sqlx::Row;
use std::time::Instant;

const KEY: &[u8] = b"a benchmark key of enough bytes";
const FROM: &str = "relances@cabinet.test";

fn flag(name: &str) -> bool {
    std::env::args().any(|a| a == name)
}

/// Wednesday 25 November 2026, 10:00 in Paris.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

#[tokio::main]
async fn main() {
    let n = count_arg(10_000);
    let servers = MailServers::from_env();
    println!(
        "reply worker benchmark: {n} replies, load average {}",
        load_average()
    );
    if !flag("--skip-sqlite") {
        run(Backend::Sqlite, n, &servers).await;
    }
    if !flag("--skip-postgres") {
        run(Backend::Postgres, n, &servers).await;
    }
}

/// What one reminder's reply says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mix {
    Signed,
    Postponed,
    Question,
    OutOfOffice,
    Bounce,
    SignedElsewhere,
    Stranger,
}

fn mix(i: usize) -> Mix {
    match i % 20 {
        0..=4 => Mix::Signed,
        5..=8 => Mix::Postponed,
        9..=11 => Mix::Question,
        12..=14 => Mix::OutOfOffice,
        15..=16 => Mix::Bounce,
        17 => Mix::SignedElsewhere,
        _ => Mix::Stranger,
    }
}

async fn run(backend: Backend, n: usize, servers: &MailServers) {
    let label = match backend {
        Backend::Sqlite => "SQLite",
        Backend::Postgres => "PostgreSQL",
    };
    println!("\n== {label} ==");
    let run = format!("{:08x}", run_id());
    let dir = tempfile::tempdir().unwrap();
    let (url, _sqlite_dir) = cabready_testkit::fresh_url(backend).await;
    let store = Store::connect(&url).await.unwrap();

    // A firm onboarded three weeks ago: N dossiers, a first reminder sent to each.
    let onboarded = now() - Duration::days(21);
    let setup = Instant::now();
    let firm_id = firm_with_small_clients(&store, n, onboarded, |i| {
        format!("gerant{i}@client{}.fr", i % 97)
    })
    .await;
    let mailer = Mailer {
        mail: MailConfig {
            from_address: FROM.into(),
            from_name: Some("Cabinet Durand".into()),
            ..MailConfig::default()
        },
        cadence: CadenceConfig::default(),
        templates: Templates::load(None).unwrap(),
        signer: Signer::new(KEY).unwrap(),
        transport: Transport::maildir(&dir.path().join("outbox")).unwrap(),
        crash_after_send: false,
    };
    let options = PlanOptions {
        dry_run: false,
        ahead_of_time: false,
        outside_hours: false,
    };
    mailer
        .plan(&store, firm_id, Lang::Fr, now(), options)
        .await
        .unwrap();
    let report = mailer.send_due(&store, now(), 500).await.unwrap();
    assert_eq!(report.sent, n, "{report:?}");
    let sent = sent_reminders(&store, firm_id).await;
    assert_eq!(sent.len(), n);
    println!(
        "setup: {n} dossiers, {n} reminders planned and sent (Maildir) in {:.1} s",
        setup.elapsed().as_secs_f64()
    );

    // The replies, appended to a mailbox nobody else uses.
    let user = format!("bench-replies-{run}@bench.test");
    let messages: Vec<Vec<u8>> = sent
        .iter()
        .enumerate()
        .map(|(i, s)| reply(i, s, &run))
        .collect();
    let bytes: usize = messages.iter().map(Vec::len).sum();
    let append_started = Instant::now();
    multiappend(&servers.imap, &user, &servers.password, &messages)
        .await
        .unwrap();
    println!(
        "setup: {n} replies ({:.1} MB) appended to {user} in {:.1} s",
        bytes as f64 / 1e6,
        append_started.elapsed().as_secs_f64()
    );
    drop(messages);

    if backend == Backend::Postgres {
        // The tables were filled seconds ago in one go: give the planner the
        // statistics autovacuum would have gathered by the time clients
        // answer (without them PostgreSQL may keep generic plans that read
        // every mandate of the firm through the (firm, kind, status) index).
        let mut conn = store.pool().acquire().await.unwrap();
        sqlx::query("ANALYZE firms, dossiers, contacts, mandates, outbox")
            .execute(&mut *conn)
            .await
            .unwrap();
        println!("setup: ANALYZE of the tables the setup filled (PostgreSQL)");
    }

    // The bare fetch of the same mailbox.
    let (host, port) = servers.imap.rsplit_once(':').unwrap();
    let port: u16 = port.parse().unwrap();
    let bare_started = Instant::now();
    let (fetched, fetched_bytes) = bare_fetch(host, port, &user, &servers.password).await;
    let bare_seconds = bare_started.elapsed().as_secs_f64();
    assert_eq!(fetched, n, "the bare fetch sees every message");
    println!(
        "bare UID FETCH 1:* BODY.PEEK[] (async-imap): {fetched} messages, {:.1} MB in {bare_seconds:.2} s",
        fetched_bytes as f64 / 1e6
    );

    // The worker: one pass, end to end.
    let inbox = Inbox {
        firm_id,
        signer: Signer::new(KEY).unwrap(),
        settings: Settings {
            own_domains: vec!["cabinet.test".into()],
            platforms: vec![],
        },
        attachments_dir: dir.path().join("attachments"),
    };
    let config = ImapConfig::new(host, port, user.clone(), servers.password.clone());
    let clock = Clock::fixed(now() + Duration::hours(2));
    if backend == Backend::Postgres {
        // Count the pass's reads only (printed after it).
        let mut conn = store.pool().acquire().await.unwrap();
        sqlx::query("SELECT pg_stat_reset()")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    reset_peak_rss();
    let load = load_average();
    let started = Instant::now();
    let report = imap::pass(&inbox, &store, &config, &clock).await.unwrap();
    let seconds = started.elapsed().as_secs_f64();
    let peak = peak_rss_mb();
    println!(
        "worker pass: {} processed ({} to sort), {} duplicates in {seconds:.2} s — {:.0} messages/s; {:.1}× the bare fetch; peak RSS {peak:.0} MB (load average before: {load})",
        report.processed,
        report.triaged,
        report.duplicates,
        per_second(n, seconds),
        seconds / bare_seconds.max(1e-9),
    );
    println!(
        "target: {n} replies in under {:.0} s — {}",
        10.0 * n as f64 / 10_000.0,
        if seconds < 10.0 * n as f64 / 10_000.0 {
            "met"
        } else {
            "MISSED"
        }
    );

    if backend == Backend::Postgres {
        // Which tables PostgreSQL read most (a bad plan shows here).
        let mut conn = store.pool().acquire().await.unwrap();
        let rows = sqlx::query(
            "SELECT CAST(relname AS TEXT), CAST(seq_tup_read AS BIGINT),
                    CAST(COALESCE(idx_tup_fetch, 0) AS BIGINT)
             FROM pg_stat_user_tables ORDER BY seq_tup_read + COALESCE(idx_tup_fetch, 0) DESC LIMIT 4",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let tables: Vec<String> = rows
            .iter()
            .map(|r| {
                let (name, seq, index): (String, i64, i64) = (r.get(0), r.get(1), r.get(2));
                format!("{name} {seq} by sequential scans + {index} through indexes")
            })
            .collect();
        println!(
            "PostgreSQL, rows read per table during the pass: {}",
            tables.join("; ")
        );
        let rows = sqlx::query(
            "SELECT CAST(indexrelname AS TEXT), CAST(idx_tup_read AS BIGINT)
             FROM pg_stat_user_indexes ORDER BY idx_tup_read DESC LIMIT 3",
        )
        .fetch_all(&mut *conn)
        .await
        .unwrap();
        let indexes: Vec<String> = rows
            .iter()
            .map(|r| format!("{} {}", r.get::<String, _>(0), r.get::<i64, _>(1)))
            .collect();
        println!(
            "PostgreSQL, index entries read during the pass: {}",
            indexes.join("; ")
        );
    }

    // Exactly once, counted.
    check_exactly_once(&store, firm_id, n, &report, &config, servers, &user).await;
    store.close().await;
}

async fn check_exactly_once(
    store: &Store,
    firm_id: i64,
    n: usize,
    report: &imap::ImapReport,
    config: &ImapConfig,
    servers: &MailServers,
    user: &str,
) {
    let n = n as i64;
    let expected = |m: Mix| (0..n as usize).filter(|i| mix(*i) == m).count() as i64;
    let recorded = firm_scalar(
        store,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM inbound_messages WHERE firm_id = $1",
        firm_id,
    )
    .await;
    let distinct_uids = firm_scalar(
        store,
        "SELECT CAST(COUNT(DISTINCT uid) AS BIGINT) FROM inbound_messages WHERE firm_id = $1",
        firm_id,
    )
    .await;
    let journal = firm_scalar(
        store,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM journal WHERE firm_id = $1 AND action = 'inbound.received'",
        firm_id,
    )
    .await;
    let received = firm_scalar(
        store,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM journal WHERE firm_id = $1 AND action = 'mandate.status_changed' AND actor_kind = 'client'",
        firm_id,
    )
    .await;
    let to_verify = firm_scalar(
        store,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM mandates WHERE firm_id = $1 AND status = 'received_to_verify'",
        firm_id,
    )
    .await;
    let triaged = firm_scalar(
        store,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM inbound_triage WHERE firm_id = $1",
        firm_id,
    )
    .await;
    let held = firm_scalar(
        store,
        "SELECT CAST(COUNT(DISTINCT dossier_id) AS BIGINT) FROM reminder_holds WHERE firm_id = $1",
        firm_id,
    )
    .await;
    let attachments = firm_scalar(
        store,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM inbound_attachments WHERE firm_id = $1",
        firm_id,
    )
    .await;
    let mut conn = store.pool().acquire().await.unwrap();
    let kinds: Vec<(String, String, i64)> = sqlx::query(
        "SELECT kind, COALESCE(intent, '-'), CAST(COUNT(*) AS BIGINT) FROM inbound_messages
         WHERE firm_id = $1 GROUP BY kind, COALESCE(intent, '-') ORDER BY 1, 2",
    )
    .bind(firm_id)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect();
    drop(conn);
    println!(
        "recorded: {recorded} messages ({distinct_uids} distinct UIDs), {journal} 'inbound.received' journal lines, {to_verify} mandates received to verify ({received} status changes), {held} dossiers held, {attachments} attachments, {triaged} to sort"
    );
    println!(
        "by kind/intent: {}",
        kinds
            .iter()
            .map(|(k, i, c)| format!("{k}/{i} {c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let folders = folder_counts(servers, user, config).await;
    println!(
        "mailbox: INBOX {}, Traité {}, À trier {}",
        folders.0, folders.1, folders.2
    );
    assert_eq!(report.processed as i64, n, "{report:?}");
    assert_eq!(report.duplicates, 0);
    assert_eq!(recorded, n);
    assert_eq!(distinct_uids, n);
    assert_eq!(journal, n);
    assert_eq!(
        to_verify,
        expected(Mix::Signed) + expected(Mix::SignedElsewhere)
    );
    assert_eq!(received, to_verify, "each mandate moved once");
    assert_eq!(attachments, expected(Mix::Signed));
    assert_eq!(triaged, expected(Mix::Stranger));
    assert_eq!(report.triaged as i64, triaged);
    assert_eq!(folders.0, 0, "INBOX is empty");
    assert_eq!(folders.1 + folders.2, n as u32, "every message filed once");
    assert_eq!(folders.2 as i64, triaged);
    println!("exactly once: checked");
}

async fn session(
    host: &str,
    port: u16,
    user: &str,
    password: &str,
) -> async_imap::Session<tokio::net::TcpStream> {
    let stream = tokio::net::TcpStream::connect((host, port)).await.unwrap();
    let mut client = async_imap::Client::new(stream);
    client.read_response().await.unwrap();
    client
        .login(user, password)
        .await
        .map_err(|(e, _)| e)
        .unwrap()
}

async fn folder_counts(servers: &MailServers, user: &str, config: &ImapConfig) -> (u32, u32, u32) {
    let (host, port) = servers.imap.rsplit_once(':').unwrap();
    let mut s = session(host, port.parse().unwrap(), user, config.password.expose()).await;
    // The folders under the server's own hierarchy delimiter.
    let names: Vec<String> = s
        .list(Some(""), Some("*"))
        .await
        .unwrap()
        .map_ok(|n| n.name().to_string())
        .try_collect()
        .await
        .unwrap();
    let find = |suffix: &str| {
        names
            .iter()
            .find(|n| n.ends_with(&imap::utf7_imap(suffix)))
            .cloned()
            .unwrap_or_else(|| panic!("no folder {suffix} in {names:?}"))
    };
    let (done, triage) = (find("Traité"), find("À trier"));
    let inbox = s.select("INBOX").await.unwrap().exists;
    let done = s.select(&done).await.unwrap().exists;
    let triage = s.select(&triage).await.unwrap().exists;
    s.logout().await.unwrap();
    (inbox, done, triage)
}

/// `UID FETCH 1:* BODY.PEEK[]`, streamed: (messages, bytes).
async fn bare_fetch(host: &str, port: u16, user: &str, password: &str) -> (usize, usize) {
    let mut s = session(host, port, user, password).await;
    s.select("INBOX").await.unwrap();
    let mut stream = s.uid_fetch("1:*", "BODY.PEEK[]").await.unwrap();
    let (mut count, mut bytes) = (0, 0);
    while let Some(fetch) = stream.try_next().await.unwrap() {
        if let Some(body) = fetch.body() {
            count += 1;
            bytes += body.len();
        }
    }
    drop(stream);
    s.logout().await.unwrap();
    (count, bytes)
}

/// Appends every message with MULTIAPPEND and LITERAL+ (RFC 3502, RFC
/// 7888: Dovecot has both), 500 messages per command: one round trip each.
async fn multiappend(
    addr: &str,
    user: &str,
    password: &str,
    messages: &[Vec<u8>],
) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    async fn tagged(
        read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
        tag: &str,
    ) -> std::io::Result<()> {
        loop {
            let mut line = String::new();
            if read.read_line(&mut line).await? == 0 {
                return Err(std::io::Error::other("IMAP server closed the connection"));
            }
            if let Some(status) = line.strip_prefix(&format!("{tag} ")) {
                if status.starts_with("OK") {
                    return Ok(());
                }
                return Err(std::io::Error::other(format!("{tag}: {status}")));
            }
        }
    }
    let mut greeting = String::new();
    read.read_line(&mut greeting).await?;
    write
        .write_all(format!("a0 LOGIN \"{user}\" \"{password}\"\r\n").as_bytes())
        .await?;
    tagged(&mut read, "a0").await?;
    for (k, chunk) in messages.chunks(500).enumerate() {
        let tag = format!("a{}", k + 1);
        let mut command = format!("{tag} APPEND INBOX").into_bytes();
        for message in chunk {
            command.extend_from_slice(format!(" {{{}+}}\r\n", message.len()).as_bytes());
            command.extend_from_slice(message);
        }
        command.extend_from_slice(b"\r\n");
        write.write_all(&command).await?;
        tagged(&mut read, &tag).await?;
    }
    write.write_all(b"z LOGOUT\r\n").await?;
    Ok(())
}

/// A small PDF that differs for each dossier (about 6 kB).
fn pdf(i: usize) -> Vec<u8> {
    let mut pdf = format!(
        "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n\
         3 0 obj<</Type/Page/MediaBox[0 0 595 842]/Parent 2 0 R>>endobj\n% mandat de délégation, dossier {i}\n"
    )
    .into_bytes();
    let mut x = i as u64 ^ 0x9e37_79b9_7f4a_7c15;
    while pdf.len() < 6_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pdf.extend_from_slice(&x.to_le_bytes());
    }
    pdf.extend_from_slice(b"\ntrailer<</Root 1 0 R>>\n%%EOF\n");
    pdf
}

fn base64_lines(bytes: &[u8]) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    encoded
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// The reply of dossier `i` to its reminder.
fn reply(i: usize, s: &SentReminder, run: &str) -> Vec<u8> {
    let to = format!("Cabinet Durand <relances+{}@cabinet.test>", s.token);
    let subject = format!("[CabReady {}] Votre mandat de délégation", s.code);
    let id = format!("<r{i}-{run}@client.fr>");
    let quoted = format!(
        "Le mar. 24 nov. 2026 à 10:02, Cabinet Durand <relances+{}@cabinet.test> a écrit :\r\n\
         > Bonjour Jeanne,\r\n> Pour vous inscrire à l'annuaire de la facturation électronique, nous avons besoin\r\n\
         > de votre mandat de délégation signé. Merci de nous le retourner signé par retour de mail.\r\n> Cabinet Durand\r\n",
        s.token
    );
    let head = |subject: &str, extra: &str| {
        format!(
            "From: Jeanne Martin <{}>\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Wed, 25 Nov 2026 10:{:02}:{:02} +0100\r\n\
             Message-ID: {id}\r\nIn-Reply-To: <{}>\r\nReferences: <{}>\r\nMIME-Version: 1.0\r\n{extra}",
            s.contact,
            (i / 60) % 60,
            i % 60,
            s.message_id,
            s.message_id
        )
    };
    let text = |body: &str| {
        format!(
            "{}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n\r\n{quoted}",
            head(&format!("Re: {subject}"), "")
        )
    };
    let message = match mix(i) {
        Mix::Signed => {
            let boundary = format!("=_b{i}_{run}");
            format!(
                "{}Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n\
                 Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
                 Bonjour,\r\n\r\nVeuillez trouver ci-joint le mandat signé.\r\n\r\nCordialement,\r\nJeanne Martin\r\n\r\n{quoted}\r\n\
                 --{boundary}\r\nContent-Type: application/pdf; name=\"Mandat_signe_{}.pdf\"\r\n\
                 Content-Disposition: attachment; filename=\"Mandat_signe_{}.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--{boundary}--\r\n",
                head(&format!("RE: {subject}"), ""),
                s.code,
                s.code,
                base64_lines(&pdf(i))
            )
        }
        Mix::Postponed => text(
            "Bonjour,\r\n\r\nJe n'ai pas encore eu le temps de m'en occuper, on verra en janvier.\r\n\r\nBonne journée,\r\nJeanne",
        ),
        Mix::Question => text(
            "Bonjour,\r\n\r\nQuel est le délai pour vous retourner ce mandat ? Est-ce obligatoire pour une petite entreprise ?\r\n\r\nMerci,\r\nJeanne Martin",
        ),
        Mix::SignedElsewhere => text(
            "Bonjour,\r\n\r\nJe vous ai renvoyé le mandat signé par courrier hier.\r\n\r\nCordialement,\r\nJeanne Martin",
        ),
        Mix::OutOfOffice => format!(
            "{}Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\nBonjour,\r\n\r\nJe suis absente du bureau jusqu'au 4 décembre 2026 inclus, sans accès à mes e-mails.\r\n\
             En cas d'urgence : 01 23 45 67 89.\r\n\r\nJeanne Martin\r\n",
            head(&format!("Réponse automatique : {subject}"), "")
        ),
        Mix::Bounce => {
            let boundary = format!("{i}.{run}/mx.cabinet.test");
            format!(
                "Return-Path: <>\r\nDate: Wed, 25 Nov 2026 10:02:05 +0100 (CET)\r\nFrom: MAILER-DAEMON@mx.cabinet.test (Mail Delivery System)\r\n\
                 Subject: Undelivered Mail Returned to Sender\r\nTo: relances@cabinet.test\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n\
                 Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary=\"{boundary}\"\r\nMessage-Id: {id}\r\n\r\n\
                 This is a MIME-encapsulated message.\r\n\r\n--{boundary}\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
                 This is the mail system at host mx.cabinet.test.\r\n\r\nI'm sorry to have to inform you that your message could not\r\n\
                 be delivered to one or more recipients. It's attached below.\r\n\r\n<{c}>: host mx.client.fr[192.0.2.10]\r\n    said: 550 5.1.1 <{c}>: Recipient address\r\n\
                 \x20   rejected: User unknown in virtual mailbox table (in reply to RCPT TO command)\r\n\r\n\
                 --{boundary}\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n\
                 Reporting-MTA: dns; mx.cabinet.test\r\nArrival-Date: Wed, 25 Nov 2026 10:02:04 +0100 (CET)\r\n\r\n\
                 Final-Recipient: rfc822; {c}\r\nOriginal-Recipient: rfc822;{c}\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.client.fr\r\n\
                 Diagnostic-Code: smtp; 550 5.1.1 <{c}>:\r\n    Recipient address rejected: User unknown in virtual mailbox table\r\n\r\n\
                 --{boundary}\r\nContent-Description: Undelivered Message Headers\r\nContent-Type: text/rfc822-headers\r\n\r\n\
                 From: Cabinet Durand <relances@cabinet.test>\r\nReply-To: Cabinet Durand <relances+{t}@cabinet.test>\r\nTo: Jeanne Martin <{c}>\r\n\
                 Subject: [CabReady {code}] Votre mandat\r\nMessage-ID: <{mid}>\r\nX-CabReady-Token: {t}\r\nAuto-Submitted: auto-generated\r\n\r\n--{boundary}--\r\n",
                c = s.contact,
                t = s.token,
                code = s.code,
                mid = s.message_id,
            )
        }
        Mix::Stranger => format!(
            "From: Marc Petit <marc.petit{i}@ailleurs.fr>\r\nTo: relances@cabinet.test\r\nSubject: Question sur ma facture n°{i}\r\n\
             Date: Wed, 25 Nov 2026 10:00:00 +0100\r\nMessage-ID: {id}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
             Content-Transfer-Encoding: 8bit\r\n\r\nBonjour,\r\n\r\nPouvez-vous me renvoyer ma facture du mois dernier ?\r\n\r\nMarc Petit\r\n"
        ),
    };
    message.into_bytes()
}
