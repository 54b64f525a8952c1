//! The reply worker under faults, as a real process against the real
//! Dovecot of `scripts/test-env up` (a fresh IMAP user per test, so tests
//! sharing the server do not meet), on SQLite and PostgreSQL:
//!
//! - killed (SIGKILL) again and again at varied moments while it works
//!   through a mailbox of a few hundred replies, then restarted until the
//!   mailbox is empty: every reply is applied exactly once — one record,
//!   one journal line, each mandate moved once, each hold once — and filed
//!   exactly once in `CabReady/Traité` or `CabReady/À trier`, none left in
//!   INBOX, none deleted;
//! - killed at exact points (after the fetch, after the commit, after the
//!   move: the `CABREADY_TEST_IMAP_CRASH` failpoint of debug builds), with
//!   the state in between checked, then run to the end: the same;
//! - a 25 MB attachment and malformed messages (garbage bytes without
//!   headers, a truncated MIME message) neither crash the worker nor block
//!   the mailbox: the replies after them are processed, the garbage goes
//!   to triage, the big attachment is kept; the worker's peak RSS is printed.
//!
//! Fails, never skips, without the servers.

use cabready_mailer::config::{CadenceConfig, MailConfig};
use cabready_mailer::templates::Templates;
use cabready_mailer::token::Signer;
use cabready_mailer::transport::Transport;
use cabready_mailer::{Mailer, PlanOptions};
use cabready_store::{Backend, Lang, Store};
use cabready_testkit::clients::{
    firm_scalar, firm_with_small_clients, sent_reminders, SentReminder,
};
use cabready_testkit::fresh_url;
use cabready_testkit::mail::{unique_address, MailServers};
use chrono::{DateTime, Duration, TimeZone, Utc};
use sqlx::Row;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const KEY: &str = "a fault-test key of enough bytes";
const FROM: &str = "relances@cabinet.test";

/// Wednesday 25 November 2026, 10:00 in Paris: reminders go out.
fn sent_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

/// What the worker's clock says (an hour later).
const NOW: &str = "2026-11-25T11:00:00+01:00";

/// What one reply says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mix {
    Signed,
    Postponed,
    Question,
    OutOfOffice,
    Stranger,
}

fn mix(i: usize) -> Mix {
    match i % 10 {
        0..=2 => Mix::Signed,
        3..=4 => Mix::Postponed,
        5..=6 => Mix::Question,
        7..=8 => Mix::OutOfOffice,
        _ => Mix::Stranger,
    }
}

/// A firm with `n` dossiers and a first reminder sent to each.
async fn firm_with_reminders(store: &Store, outbox: &Path, n: usize) -> (i64, Vec<SentReminder>) {
    let onboarded = sent_at() - Duration::days(21);
    let firm_id =
        firm_with_small_clients(store, n, onboarded, |i| format!("gerant{i}@client.fr")).await;
    let mailer = Mailer {
        mail: MailConfig {
            from_address: FROM.into(),
            ..MailConfig::default()
        },
        cadence: CadenceConfig::default(),
        templates: Templates::load(None).unwrap(),
        signer: Signer::new(KEY.as_bytes()).unwrap(),
        transport: Transport::maildir(outbox).unwrap(),
        crash_after_send: false,
    };
    let options = PlanOptions {
        dry_run: false,
        ahead_of_time: false,
        outside_hours: false,
    };
    mailer
        .plan(store, firm_id, Lang::Fr, sent_at(), options)
        .await
        .unwrap();
    let report = mailer.send_due(store, sent_at(), 100).await.unwrap();
    assert_eq!(report.sent, n, "{report:?}");
    (firm_id, sent_reminders(store, firm_id).await)
}

/// The reply of dossier `i`; its Message-ID is `<r{i}-{run}@…>`.
fn reply(i: usize, s: &SentReminder, run: &str) -> Vec<u8> {
    let id = format!("<r{i}-{run}@client.fr>");
    let head = |subject: &str, extra: &str| {
        format!(
            "From: Jeanne Martin <{}>\r\nTo: Cabinet Durand <relances+{}@cabinet.test>\r\nSubject: {subject}\r\n\
             Date: Wed, 25 Nov 2026 10:30:00 +0100\r\nMessage-ID: {id}\r\nIn-Reply-To: <{}>\r\nMIME-Version: 1.0\r\n{extra}",
            s.contact, s.token, s.message_id
        )
    };
    let subject = format!("Re: [CabReady {}] Votre mandat", s.code);
    let text = |body: &str| {
        format!(
            "{}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}\r\n",
            head(&subject, "")
        )
    };
    match mix(i) {
        Mix::Signed => signed(&head(&subject, ""), &s.code, &small_pdf(i)),
        Mix::Postponed => text("Bonjour,\r\n\r\nJe n'ai pas encore signé, on verra en janvier.\r\n\r\nJeanne"),
        Mix::Question => text("Bonjour,\r\n\r\nQuel est le délai pour signer ?\r\n\r\nJeanne"),
        Mix::OutOfOffice => format!(
            "{}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
             Je suis absente du bureau jusqu'au 4 décembre 2026 inclus.\r\n",
            head(
                &format!("Réponse automatique : [CabReady {}] Votre mandat", s.code),
                "Auto-Submitted: auto-replied\r\n"
            )
        ),
        Mix::Stranger => format!(
            "From: <inconnu{i}@ailleurs.fr>\r\nTo: relances@cabinet.test\r\nSubject: Facture {i}\r\n\
             Date: Wed, 25 Nov 2026 10:30:00 +0100\r\nMessage-ID: {id}\r\n\r\nBonjour, ma facture ?\r\n"
        ),
    }
    .into_bytes()
}

fn small_pdf(i: usize) -> Vec<u8> {
    format!("%PDF-1.4\n% mandat signé du dossier {i}\n%%EOF\n").into_bytes()
}

/// A reply with `pdf` attached as `Mandat_signe_CODE.pdf`.
fn signed(head: &str, code: &str, pdf: &[u8]) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(pdf);
    let mut body = String::with_capacity(encoded.len() * 78 / 76 + 1024);
    for line in encoded.as_bytes().chunks(76) {
        body.push_str(std::str::from_utf8(line).unwrap());
        body.push_str("\r\n");
    }
    format!(
        "{head}Content-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n--XYZ\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Bonjour,\r\n\r\nVeuillez trouver ci-joint le mandat signé.\r\n\r\nJeanne\r\n--XYZ\r\n\
         Content-Type: application/pdf; name=\"Mandat_signe_{code}.pdf\"\r\n\
         Content-Disposition: attachment; filename=\"Mandat_signe_{code}.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{body}--XYZ--\r\n"
    )
}

// --- just enough IMAP to set up and look (blocking, one connection) ------

struct Imap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: usize,
}

impl Imap {
    fn login(addr: &str, user: &str, password: &str) -> Imap {
        let stream = TcpStream::connect(addr).unwrap();
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(120)))
            .unwrap();
        let writer = stream.try_clone().unwrap();
        let mut imap = Imap {
            reader: BufReader::new(stream),
            writer,
            tag: 0,
        };
        let mut greeting = String::new();
        imap.reader.read_line(&mut greeting).unwrap();
        imap.run(format!("LOGIN \"{user}\" \"{password}\"").as_bytes());
        imap
    }

    /// Runs a command; the untagged lines and the literals that came back.
    fn run(&mut self, command: &[u8]) -> (Vec<String>, Vec<Vec<u8>>) {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        let mut line = format!("{tag} ").into_bytes();
        line.extend_from_slice(command);
        line.extend_from_slice(b"\r\n");
        self.writer.write_all(&line).unwrap();
        let (mut lines, mut literals) = (Vec::new(), Vec::new());
        loop {
            let mut raw = Vec::new();
            assert!(
                self.reader.read_until(b'\n', &mut raw).unwrap() > 0,
                "IMAP closed"
            );
            let text = String::from_utf8_lossy(&raw).trim_end().to_string();
            if let Some(size) = text
                .strip_suffix('}')
                .and_then(|t| t.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<usize>().ok())
            {
                let mut body = vec![0; size];
                self.reader.read_exact(&mut body).unwrap();
                literals.push(body);
                continue;
            }
            if let Some(status) = text.strip_prefix(&format!("{tag} ")) {
                assert!(
                    status.starts_with("OK"),
                    "{}: {status}",
                    String::from_utf8_lossy(command)
                );
                return (lines, literals);
            }
            lines.push(text);
        }
    }

    /// MULTIAPPEND with LITERAL+ (Dovecot has both), 100 messages a command.
    fn append(&mut self, messages: &[Vec<u8>]) {
        for chunk in messages.chunks(100) {
            let mut command = b"APPEND INBOX".to_vec();
            for message in chunk {
                command.extend_from_slice(format!(" {{{}+}}\r\n", message.len()).as_bytes());
                command.extend_from_slice(message);
            }
            self.run(&command);
        }
    }

    /// The server's name of a folder written `A/B`.
    fn folder(&mut self, path: &str) -> String {
        let (lines, _) = self.run(b"LIST \"\" \"\"");
        let delimiter = lines
            .iter()
            .find_map(|l| l.split('"').nth(1).map(str::to_string))
            .unwrap_or_else(|| "/".into());
        cabready_mailer::inbound::sources::imap::utf7_imap(&path.replace('/', &delimiter))
    }

    /// How many messages a folder holds (0 when it does not exist).
    fn count(&mut self, folder: &str) -> usize {
        let (lines, _) = self.run(format!("STATUS \"{folder}\" (MESSAGES)").as_bytes());
        lines
            .iter()
            .find_map(|l| {
                l.split("MESSAGES ")
                    .nth(1)?
                    .trim_end_matches(')')
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    }

    /// The Message-IDs of every message of a folder.
    fn message_ids(&mut self, folder: &str) -> Vec<String> {
        let (_, literals) = self.run(format!("EXAMINE \"{folder}\"").as_bytes());
        drop(literals);
        if self.count(folder) == 0 {
            return Vec::new();
        }
        let (_, literals) = self.run(b"FETCH 1:* (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])");
        literals
            .iter()
            .map(|h| {
                String::from_utf8_lossy(h)
                    .trim()
                    .trim_start_matches("Message-ID:")
                    .trim_start_matches("Message-Id:")
                    .trim()
                    .to_string()
            })
            .collect()
    }
}

// --- the worker, as a process -------------------------------------------

struct World {
    dir: tempfile::TempDir,
    url: String,
    user: String,
    servers: MailServers,
}

impl World {
    fn command(&self, watch: bool, crash: Option<&str>) -> Command {
        let (host, port) = self.servers.imap.rsplit_once(':').unwrap();
        let mut command =
            cabready_testkit::cli::command(env!("CARGO_BIN_EXE_cabready"), self.dir.path());
        command
            .env("CABREADY_DATABASE_URL", &self.url)
            .env("CABREADY_NOW", NOW)
            .env("CABREADY_MAIL_HMAC_KEY", KEY)
            .env("CABREADY_IMAP_PASSWORD", &self.servers.password)
            .args(["replies", "--imap-host", host, "--imap-port", port])
            .args(["--imap-user", &self.user]);
        if watch {
            command.args(["--watch", "1"]);
        }
        if let Some(crash) = crash {
            command.env("CABREADY_TEST_IMAP_CRASH", crash);
        }
        command
    }

    fn spawn(&self) -> Child {
        self.command(true, None)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start cabready replies --watch")
    }

    fn imap(&self) -> Imap {
        Imap::login(&self.servers.imap, &self.user, &self.servers.password)
    }
}

async fn setup(
    backend: Backend,
    n: usize,
) -> (
    World,
    Store,
    i64,
    Vec<SentReminder>,
    Option<tempfile::TempDir>,
) {
    let servers = MailServers::from_env();
    let (url, sqlite_dir) = fresh_url(backend).await;
    let store = Store::connect(&url).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("cabready.toml"),
        format!("[mail]\nfrom_address = \"{FROM}\"\n"),
    )
    .unwrap();
    let (firm, sent) = firm_with_reminders(&store, &dir.path().join("sent"), n).await;
    let user = unique_address("faults", "bench.test");
    let world = World {
        dir,
        url,
        user,
        servers,
    };
    (world, store, firm, sent, sqlite_dir)
}

async fn recorded(store: &Store, firm_id: i64) -> i64 {
    firm_scalar(
        store,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM inbound_messages WHERE firm_id = $1",
        firm_id,
    )
    .await
}

/// Every reply applied once and filed once: the database and the mailbox.
async fn assert_exactly_once(world: &World, store: &Store, firm: i64, n: usize, run: &str) {
    let expected = |m: Mix| (0..n).filter(|i| mix(*i) == m).count() as i64;
    let n = n as i64;
    let count = |sql| firm_scalar(store, sql, firm);
    assert_eq!(recorded(store, firm).await, n, "one record per reply");
    assert_eq!(
        count("SELECT CAST(COUNT(DISTINCT message_key) AS BIGINT) FROM inbound_messages WHERE firm_id = $1").await,
        n
    );
    assert_eq!(
        count(
            "SELECT CAST(COUNT(DISTINCT uid) AS BIGINT) FROM inbound_messages WHERE firm_id = $1"
        )
        .await,
        n
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM journal WHERE firm_id = $1 AND action = 'inbound.received'").await,
        n,
        "one journal line per reply"
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM journal WHERE firm_id = $1 AND action = 'mandate.status_changed' AND actor_kind = 'client'").await,
        expected(Mix::Signed),
        "each mandate moved once"
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM mandates WHERE firm_id = $1 AND status = 'received_to_verify'").await,
        expected(Mix::Signed)
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM reminder_holds WHERE firm_id = $1").await,
        expected(Mix::Postponed) + expected(Mix::OutOfOffice),
        "one hold per postponement and per absence"
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM inbound_attachments WHERE firm_id = $1").await,
        expected(Mix::Signed)
    );
    assert_eq!(
        count("SELECT CAST(COUNT(*) AS BIGINT) FROM inbound_triage WHERE firm_id = $1").await,
        expected(Mix::Stranger)
    );
    // The mailbox: nothing left, nothing lost, nothing twice, each in its place.
    let mut imap = world.imap();
    let done = imap.folder("CabReady/Traité");
    let triage = imap.folder("CabReady/À trier");
    assert_eq!(imap.count("INBOX"), 0, "INBOX is empty");
    let mut filed = imap.message_ids(&done);
    let sorted = imap.message_ids(&triage);
    assert_eq!(sorted.len() as i64, expected(Mix::Stranger), "{sorted:?}");
    for id in &sorted {
        let i: usize = id
            .trim_start_matches("<r")
            .split('-')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(mix(i), Mix::Stranger, "{id} filed to sort");
    }
    filed.extend(sorted);
    filed.sort();
    let mut wanted: Vec<String> = (0..n as usize)
        .map(|i| format!("<r{i}-{run}@client.fr>"))
        .collect();
    wanted.sort();
    assert_eq!(filed, wanted, "every reply filed exactly once, none lost");
}

/// Waits for the worker to have emptied INBOX and recorded `n` messages.
async fn wait_done(world: &World, store: &Store, firm: i64, n: usize, seconds: u64) -> bool {
    let started = Instant::now();
    while started.elapsed().as_secs() < seconds {
        if recorded(store, firm).await == n as i64 && world.imap().count("INBOX") == 0 {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    false
}

fn kill(child: &mut Child) {
    child.kill().expect("SIGKILL the worker");
    child.wait().unwrap();
}

async fn killed_at_random_moments(backend: Backend) {
    const N: usize = 1_000;
    let (world, store, firm, sent, _sqlite) = setup(backend, N).await;
    let run = format!("{:x}", rand::random::<u32>());
    let messages: Vec<Vec<u8>> = sent
        .iter()
        .enumerate()
        .map(|(i, s)| reply(i, s, &run))
        .collect();
    world.imap().append(&messages);
    assert_eq!(world.imap().count("INBOX"), N);

    // Kill it while it works, at varied moments: every other time blindly,
    // a little later each time (startup, fetch, reading, commit, moves),
    // and in between right after seeing a commit land in the database.
    let mut midway_kills = 0;
    for k in 0..16u64 {
        let before = recorded(&store, firm).await;
        if before == N as i64 {
            break;
        }
        let mut child = world.spawn();
        if k % 2 == 0 {
            tokio::time::sleep(std::time::Duration::from_millis(120 + 70 * k)).await;
        } else {
            let started = Instant::now();
            while recorded(&store, firm).await == before && started.elapsed().as_secs() < 30 {
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        }
        kill(&mut child);
        let after = recorded(&store, firm).await;
        if after > 0 && after < N as i64 {
            midway_kills += 1;
        }
        println!("kill {k}: {before} → {after} recorded");
    }
    assert!(
        midway_kills >= 2,
        "the kills did not land while the worker was working"
    );

    // Restarted, it finishes; nothing twice, nothing lost.
    let mut child = world.spawn();
    let done = wait_done(&world, &store, firm, N, 180).await;
    kill(&mut child);
    assert!(done, "the worker did not finish after its restarts");
    assert_exactly_once(&world, &store, firm, N, &run).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_sqlite() {
    killed_at_random_moments(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_random_moments_postgres() {
    killed_at_random_moments(Backend::Postgres).await;
}

/// A move cut short: Dovecot moves by a copy then an expunge, and a worker
/// killed in between leaves replies both filed and in INBOX (here, filed
/// replies appended to INBOX again). The next pass finds them recorded,
/// sees them in their folder, and only takes them out of INBOX.
async fn a_move_cut_short_is_not_filed_twice(backend: Backend) {
    const N: usize = 40;
    let (world, store, firm, sent, _sqlite) = setup(backend, N).await;
    let run = format!("{:x}", rand::random::<u32>());
    let messages: Vec<Vec<u8>> = sent
        .iter()
        .enumerate()
        .map(|(i, s)| reply(i, s, &run))
        .collect();
    world.imap().append(&messages);
    let pass = || {
        let out = world.command(false, None).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        text
    };
    pass();
    assert_exactly_once(&world, &store, firm, N, &run).await;
    // Strangers among them: both folders hold copies left behind.
    world.imap().append(&messages[..30]);
    assert_eq!(world.imap().count("INBOX"), 30);
    let text = pass();
    assert!(text.contains("0 message(s) traité(s)"), "{text}");
    assert_exactly_once(&world, &store, firm, N, &run).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_cut_short_is_not_filed_twice_sqlite() {
    a_move_cut_short_is_not_filed_twice(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_cut_short_is_not_filed_twice_postgres() {
    a_move_cut_short_is_not_filed_twice(Backend::Postgres).await;
}

async fn killed_at_exact_points(backend: Backend) {
    // 450 replies: three batches (200, 200, 50).
    const N: usize = 450;
    let (world, store, firm, sent, _sqlite) = setup(backend, N).await;
    let run = format!("{:x}", rand::random::<u32>());
    let messages: Vec<Vec<u8>> = sent
        .iter()
        .enumerate()
        .map(|(i, s)| reply(i, s, &run))
        .collect();
    world.imap().append(&messages);

    let crash = |point: &str| {
        let out = world.command(false, Some(point)).output().unwrap();
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&out.status),
            Some(9),
            "{point}: killed by SIGKILL: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // Killed with the first batch fetched, nothing committed.
    crash("after_fetch:1");
    assert_eq!(recorded(&store, firm).await, 0);
    assert_eq!(world.imap().count("INBOX"), N);
    // Killed with the first batch committed, not moved: recorded, still there.
    crash("after_commit:1");
    assert_eq!(recorded(&store, firm).await, 200);
    assert_eq!(world.imap().count("INBOX"), N);
    // Restarted: the first batch is found recorded and only filed; killed
    // with the second batch moved, its checkpoint not written. The third
    // batch's transaction runs while the second is moved (the pass is
    // pipelined): it may have committed or not, never half.
    crash("after_move:2");
    let third = recorded(&store, firm).await;
    assert!(third == 400 || third == 450, "recorded: {third}");
    assert_eq!(world.imap().count("INBOX"), N - 400);
    // Killed after the fetch of the last batch, then run to the end.
    crash("after_fetch:1");
    assert_eq!(recorded(&store, firm).await, third);
    let out = world.command(false, None).output().unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    let processed = 450 - third;
    assert!(
        text.contains(&format!("{processed} message(s) traité(s)")),
        "{text}"
    );
    assert_exactly_once(&world, &store, firm, N, &run).await;
    // A pass more: nothing to do.
    let out = world.command(false, None).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("0 message(s) traité(s)"), "{text}");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_exact_points_sqlite() {
    killed_at_exact_points(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_exact_points_postgres() {
    killed_at_exact_points(Backend::Postgres).await;
}

/// The worker's peak RSS in MB, sampled until it exits.
fn run_sampling_rss(mut command: Command) -> (std::process::ExitStatus, String, f64) {
    let out_path = tempfile::NamedTempFile::new().unwrap();
    let mut child = command
        .stdout(Stdio::from(out_path.reopen().unwrap()))
        .stderr(Stdio::from(out_path.reopen().unwrap()))
        .spawn()
        .unwrap();
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0f64;
    let status = loop {
        if let Some(kb) = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        }) {
            peak_kb = peak_kb.max(kb);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let text = std::fs::read_to_string(out_path.path()).unwrap_or_default();
    (status, text, peak_kb / 1024.0)
}

async fn big_and_malformed_messages(backend: Backend) {
    const N: usize = 4;
    let (world, store, firm, sent, _sqlite) = setup(backend, N).await;
    let run = format!("{:x}", rand::random::<u32>());
    // A question, a signed mandate of 25 MB, garbage, a truncated MIME
    // message, a postponement: the last one must be processed too.
    let big_pdf: Vec<u8> = {
        let mut pdf = b"%PDF-1.4\n% mandat scanne\n".to_vec();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        while pdf.len() < 25_000_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            pdf.extend_from_slice(&x.to_le_bytes());
        }
        pdf.truncate(25_000_000);
        pdf
    };
    let big_head = format!(
        "From: Jeanne Martin <{}>\r\nTo: Cabinet Durand <relances+{}@cabinet.test>\r\nSubject: Re: [CabReady {}] Votre mandat\r\n\
         Date: Wed, 25 Nov 2026 10:30:00 +0100\r\nMessage-ID: <big-{run}@client.fr>\r\nMIME-Version: 1.0\r\n",
        sent[1].contact, sent[1].token, sent[1].code
    );
    let big = signed(&big_head, &sent[1].code, &big_pdf).into_bytes();
    drop(big_pdf);
    let mut garbage: Vec<u8> = (0..20_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    garbage.retain(|b| ![0, b'\r', b'\n', b':'].contains(b));
    garbage.extend_from_slice(b"\r\n");
    let truncated = format!(
        "From: Jeanne Martin <{}>\r\nTo: Cabinet Durand <relances+{}@cabinet.test>\r\nSubject: Re: [CabReady {}] Votre mandat\r\n\
         Date: Wed, 25 Nov 2026 10:30:00 +0100\r\nMessage-ID: <cut-{run}@client.fr>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"never-closed\"\r\n\r\n--never-closed\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Ci-joint le mandat.\r\n--never-closed\r\nContent-Type: application/pdf; name=\"m.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJ",
        sent[2].contact, sent[2].token, sent[2].code
    )
    .into_bytes();
    let messages = vec![
        reply(5, &sent[0], &run), // a question
        big,
        garbage,
        truncated,
        reply(3, &sent[3], &run), // a postponement
    ];
    world.imap().append(&messages);
    drop(messages);

    let started = Instant::now();
    let (status, text, peak) = run_sampling_rss(world.command(false, None));
    println!(
        "worker with a 25 MB attachment and two malformed messages: {:.1} s, peak RSS {peak:.0} MB",
        started.elapsed().as_secs_f64()
    );
    assert!(status.success(), "{text}");
    assert!(
        text.contains("5 message(s) traité(s), dont 1 à trier"),
        "{text}"
    );
    assert!(peak < 400.0, "peak RSS {peak:.0} MB");

    let mut conn = store.pool().acquire().await.unwrap();
    let rows: Vec<(String, String, Option<String>)> = sqlx::query(
        "SELECT message_key, kind, intent FROM inbound_messages WHERE firm_id = $1 ORDER BY uid",
    )
    .bind(firm)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect();
    drop(conn);
    assert_eq!(rows.len(), 5, "{rows:?}");
    assert_eq!(rows[0].2.as_deref(), Some("question"), "{rows:?}");
    assert_eq!(
        rows[1].0,
        format!("<big-{run}@client.fr>").trim_matches(|c| c == '<' || c == '>'),
        "{rows:?}"
    );
    assert_eq!(rows[1].2.as_deref(), Some("signed_attached"), "{rows:?}");
    assert_eq!(rows[2].1, "unreadable", "{rows:?}");
    assert_eq!(rows[4].2.as_deref(), Some("postponed"), "{rows:?}");
    let size = firm_scalar(
        &store,
        "SELECT CAST(MAX(size) AS BIGINT) FROM inbound_attachments WHERE firm_id = $1",
        firm,
    )
    .await;
    assert_eq!(size, 25_000_000);
    let mut imap = world.imap();
    assert_eq!(imap.count("INBOX"), 0);
    let triage = imap.folder("CabReady/À trier");
    assert_eq!(imap.count(&triage), 1, "the garbage is to sort");
    let done = imap.folder("CabReady/Traité");
    assert_eq!(imap.count(&done), 4);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_and_malformed_messages_sqlite() {
    big_and_malformed_messages(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn big_and_malformed_messages_postgres() {
    big_and_malformed_messages(Backend::Postgres).await;
}
