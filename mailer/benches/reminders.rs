//! Benchmark of the reminder outbox through a real SMTP server: N due
//! reminders (default 1,000) planned in a SQLite database, then claimed,
//! rendered, delivered through the SMTP transport to the aiosmtpd → Dovecot
//! pair of `scripts/test-env up`, and marked `sent`; then the same N
//! messages, pre-rendered, sent by a bare lettre client on one connection,
//! for the ratio (target: within 2×).
//!
//! A program that prints figures, not a timed test:
//! `eval "$(scripts/test-env up)"; cargo bench -p cabready-mailer --bench reminders -- [--count N]`

use cabready_mailer::config::{CadenceConfig, MailConfig, Security, SmtpConfig};
use cabready_mailer::templates::Templates;
use cabready_mailer::token::Signer;
use cabready_mailer::transport::Transport;
use cabready_mailer::{Mailer, PlanOptions};
use cabready_store::outbox::{self, State};
use cabready_store::{Lang, Store};
use cabready_testkit::bench::{count_arg, per_second, run_id};
use cabready_testkit::clients::firm_with_small_clients;
use cabready_testkit::mail::MailServers;
use chrono::{DateTime, Duration, TimeZone, Utc};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Instant;

/// Wednesday 25 November 2026, 10:00 in Paris.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

#[tokio::main]
async fn main() {
    let n = count_arg(1_000);
    let servers = MailServers::from_env();
    let (host, port) = servers.smtp_host_port();
    let run = format!("{:08x}", run_id());
    let mailbox = format!("bench-{run}@bench.test");
    let bare_mailbox = format!("bare-{run}@bench.test");

    // A firm onboarded three weeks ago: N dossiers, mandates not requested,
    // every contact a plus-address of one mailbox.
    let dir = tempfile::tempdir().unwrap();
    let url = cabready_store::db::sqlite_url_for(&dir.path().join("bench.db"));
    let store = Store::connect(&url).await.unwrap();
    let onboarded = now() - Duration::days(21);
    let setup = Instant::now();
    let (local, domain) = mailbox.split_once('@').unwrap();
    let firm_id =
        firm_with_small_clients(&store, n, onboarded, |i| format!("{local}+c{i}@{domain}")).await;
    println!(
        "{n} dossiers created in {:.2} s (SQLite, {})",
        setup.elapsed().as_secs_f64(),
        dir.path().display()
    );

    let smtp = SmtpConfig {
        host: host.clone(),
        port: Some(port),
        security: Security::None,
        username: None,
        pool_size: 1,
        timeout_seconds: 30,
    };
    let mailer = Mailer {
        mail: MailConfig {
            from_address: "relances@cabinet.test".into(),
            from_name: Some("Cabinet Durand".into()),
            ..MailConfig::default()
        },
        cadence: CadenceConfig::default(),
        templates: Templates::load(None).unwrap(),
        signer: Signer::new(b"a benchmark key of enough bytes").unwrap(),
        transport: Transport::smtp(&smtp, None).unwrap(),
        crash_after_send: false,
    };

    let plan_started = Instant::now();
    let options = PlanOptions {
        dry_run: false,
        ahead_of_time: false,
        outside_hours: false,
    };
    let lines = mailer
        .plan(&store, firm_id, Lang::Fr, now(), options)
        .await
        .unwrap();
    let plan_seconds = plan_started.elapsed().as_secs_f64();
    let planned = lines.iter().filter(|l| l.planned.is_some()).count();
    assert_eq!(planned, n, "every dossier has a reminder due");
    println!(
        "plan: {planned} reminders planned in {plan_seconds:.2} s ({:.0}/s)",
        per_second(planned, plan_seconds)
    );

    let send_started = Instant::now();
    let report = mailer.send_due(&store, now(), 50).await.unwrap();
    let send_seconds = send_started.elapsed().as_secs_f64();
    assert_eq!(report.sent, n, "{report:?}");
    let outbox_rate = per_second(n, send_seconds);
    println!(
        "outbox: {n} reminders claimed, rendered, sent through SMTP and marked in {send_seconds:.2} s — {outbox_rate:.0} messages/s"
    );

    // The same messages, rendered beforehand, through a bare client on one connection.
    let mut conn = store.pool().acquire().await.unwrap();
    let sent = outbox::in_state(&mut conn, firm_id, State::Sent)
        .await
        .unwrap();
    drop(conn);
    let (local, domain) = bare_mailbox.split_once('@').unwrap();
    let mut messages = Vec::with_capacity(n);
    for (i, reminder) in sent.iter().enumerate() {
        let message = mailer
            .render(&store, reminder, now())
            .await
            .unwrap()
            .expect("rendered");
        let envelope = lettre::address::Envelope::new(
            Some("relances@cabinet.test".parse().unwrap()),
            vec![format!("{local}+c{i}@{domain}").parse().unwrap()],
        )
        .unwrap();
        messages.push((envelope, message.formatted()));
    }
    let bare = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host)
        .port(port)
        .pool_config(PoolConfig::new().max_size(1))
        .build();
    let bare_started = Instant::now();
    for (envelope, bytes) in &messages {
        bare.send_raw(envelope, bytes).await.unwrap();
    }
    let bare_seconds = bare_started.elapsed().as_secs_f64();
    let bare_rate = per_second(n, bare_seconds);
    println!(
        "bare lettre client, one connection: {n} pre-rendered messages in {bare_seconds:.2} s — {bare_rate:.0} messages/s"
    );
    // And through a raw SMTP client (one write per command and per
    // message): the floor of this server.
    let raw_mailbox = format!("raw-{run}@bench.test");
    let (local, domain) = raw_mailbox.split_once('@').unwrap();
    let raw_messages: Vec<(String, &[u8])> = messages
        .iter()
        .enumerate()
        .map(|(i, (_, bytes))| (format!("{local}+c{i}@{domain}"), bytes.as_slice()))
        .collect();
    let raw_started = Instant::now();
    raw_smtp(&servers.smtp, &raw_messages).await.unwrap();
    let raw_seconds = raw_started.elapsed().as_secs_f64();
    let raw_rate = per_second(n, raw_seconds);
    println!(
        "raw SMTP client, one connection: {n} pre-rendered messages in {raw_seconds:.2} s — {raw_rate:.0} messages/s"
    );
    println!(
        "ratio: the outbox takes {:.2}× the bare lettre client's time (target ≤ 2×), {:.2}× the raw SMTP client's",
        send_seconds / bare_seconds.max(1e-9),
        send_seconds / raw_seconds.max(1e-9)
    );

    // Every mailbox holds every message once.
    let delivered = servers.inbox(&mailbox).len();
    let bare_delivered = servers.inbox(&bare_mailbox).len();
    let raw_delivered = servers.inbox(&raw_mailbox).len();
    println!(
        "delivered: {delivered} (outbox), {bare_delivered} (bare lettre), {raw_delivered} (raw SMTP)"
    );
    assert_eq!((delivered, bare_delivered, raw_delivered), (n, n, n));
    store.close().await;
}

/// Minimal SMTP on one connection: EHLO, then MAIL/RCPT/DATA per message,
/// the dot-stuffed message and its final dot in a single write.
async fn raw_smtp(addr: &str, messages: &[(String, &[u8])]) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    async fn answer(
        read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
        expect: &str,
    ) -> std::io::Result<()> {
        loop {
            let mut line = String::new();
            if read.read_line(&mut line).await? == 0 {
                return Err(std::io::Error::other("connection closed"));
            }
            if line.len() >= 4 && &line[3..4] == "-" {
                continue;
            }
            if line.starts_with(expect) {
                return Ok(());
            }
            return Err(std::io::Error::other(format!("expected {expect}: {line}")));
        }
    }
    answer(&mut read, "220").await?;
    write.write_all(b"EHLO bench\r\n").await?;
    answer(&mut read, "250").await?;
    for (rcpt, bytes) in messages {
        write
            .write_all(b"MAIL FROM:<relances@cabinet.test>\r\n")
            .await?;
        answer(&mut read, "250").await?;
        write
            .write_all(format!("RCPT TO:<{rcpt}>\r\n").as_bytes())
            .await?;
        answer(&mut read, "250").await?;
        write.write_all(b"DATA\r\n").await?;
        answer(&mut read, "354").await?;
        let text = String::from_utf8_lossy(bytes);
        let mut data = String::with_capacity(bytes.len() + 16);
        for line in text.split_inclusive("\r\n") {
            if line.starts_with('.') {
                data.push('.');
            }
            data.push_str(line);
        }
        if !data.ends_with("\r\n") {
            data.push_str("\r\n");
        }
        data.push_str(".\r\n");
        write.write_all(data.as_bytes()).await?;
        answer(&mut read, "250").await?;
    }
    write.write_all(b"QUIT\r\n").await?;
    Ok(())
}
