//! `cabready serve` runs the reply worker: a client's answer dropped in the
//! inbox Maildir (embedded default), or appended to the IMAP mailbox of
//! `[mail.imap]` (the shared Dovecot of `scripts/test-env up`), changes the
//! mandate while the console chat is open, the notice is printed on the
//! console, and serve stops cleanly when the chat ends.

use cabready_store::domain::{MandateKind, MandateStatus};
use cabready_store::{dossiers, firms, mandates, Store};
use cabready_testkit::cli::{header_of, unanswered_reminder};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const NOW: &str = "2026-11-25T10:00:00+01:00";
const MANAGER: &str = "bruno.petit@cabinet-durand.fr";

fn cabready(dir: &Path) -> Command {
    let mut command = cabready_testkit::cli::command(env!("CARGO_BIN_EXE_cabready"), dir);
    command.env("CABREADY_NOW", NOW);
    command
}

/// The demo's data, and a signed mandate sent back by the client of a
/// reminder nobody answered yet: (dossier code, raw reply).
fn demo_and_a_reply(dir: &Path) -> (String, String) {
    let demo = cabready(dir).arg("demo").output().unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let data = dir.join("cabready-data");
    let reminder = unanswered_reminder(&data, |raw| raw.contains("votre mandat"))
        .expect("a mandate reminder nobody answered");
    let code = header_of(&reminder, "Subject")
        .split_once("[CabReady ")
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(code, _)| code.to_string())
        .expect("the dossier code in the subject");
    let message_id = header_of(&reminder, "Message-ID");
    let reply_to = header_of(&reminder, "Reply-To");
    let reply_to = reply_to.rsplit('<').next().unwrap().trim_end_matches('>');
    let to = header_of(&reminder, "To");
    let to = to.rsplit('<').next().unwrap().trim_end_matches('>');
    let reply = format!(
        "From: <{to}>\r\nTo: <{reply_to}>\r\nSubject: Re: [CabReady {code}] votre mandat\r\nDate: Wed, 25 Nov 2026 11:00:00 +0100\r\nMessage-ID: <serve-test-{code}@client.example>\r\nIn-Reply-To: {message_id}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBonjour,\r\n\r\nVeuillez trouver ci-joint le mandat signé.\r\n\r\n--b\r\nContent-Type: application/pdf; name=\"mandat-signe.pdf\"\r\nContent-Disposition: attachment; filename=\"mandat-signe.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJSBNYW5kYXQgc2lnbsOpCiUlRU9GCg==\r\n--b--\r\n"
    );
    (code, reply)
}

async fn mandate_status(dir: &Path, code: &str) -> MandateStatus {
    let url = cabready_store::db::sqlite_url_for(&dir.join("cabready-data/cabready.db"));
    let store = Store::connect(&url).await.unwrap();
    let mut conn = store.pool().acquire().await.unwrap();
    let firm = firms::resolve(&mut conn, None).await.unwrap();
    let dossier = dossiers::find_by_code(&mut conn, firm.id, code)
        .await
        .unwrap()
        .unwrap();
    let status = mandates::status(&mut conn, firm.id, dossier.id, MandateKind::Delegation)
        .await
        .unwrap();
    drop(conn);
    store.close().await;
    status
}

/// Starts `serve` with `config`, delivers the reply with `deliver` once
/// serve runs, waits for the mandate to change, then ends the chat.
async fn serve_processes_a_reply(
    dir: &Path,
    config: &str,
    code: &str,
    envs: &[(&str, &str)],
    deliver: impl std::future::Future<Output = ()>,
) {
    std::fs::write(dir.join("cabready.toml"), config).unwrap();
    assert_eq!(
        mandate_status(dir, code).await,
        MandateStatus::Requested,
        "{code} before"
    );
    let mut child = cabready(dir)
        .args(["serve", "--as", MANAGER])
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Standard output read on its own thread (the notices come there).
    let stdout = child.stdout.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut out = String::new();
    let start = Instant::now();
    while !out.contains("Connecté en tant que") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "serve did not start: {out}"
        );
        if let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(100)) {
            out.push_str(&line);
            out.push('\n');
        }
        if let Some(status) = child.try_wait().unwrap() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("serve exited ({status}): {out}\n{err}");
        }
    }
    deliver.await;
    let start = Instant::now();
    let mut changed = false;
    while start.elapsed() < Duration::from_secs(30) {
        if mandate_status(dir, code).await == MandateStatus::ReceivedToVerify {
            changed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let latency = start.elapsed();
    // The notice reaches the console too.
    let start = Instant::now();
    let notice_done = |out: &str| {
        out.split("Mandat mis à jour par e-mail")
            .nth(1)
            .is_some_and(|n| n.contains("Actions"))
    };
    while changed && !notice_done(&out) && start.elapsed() < Duration::from_secs(10) {
        if let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(100)) {
            out.push_str(&line);
            out.push('\n');
        }
    }
    stdin.write_all(b"quitter\n").unwrap();
    drop(stdin);
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("serve did not stop when the chat ended");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(
        changed,
        "the mandate of {code} did not change\n{out}\n{err}"
    );
    println!("serve: mandate {code} changed {latency:?} after the reply arrived");
    assert!(status.success(), "{status}\n{err}");
    assert!(err.contains("Réponses des clients :"), "{err}");
    let notice = out
        .split("Mandat mis à jour par e-mail")
        .nth(1)
        .unwrap_or_else(|| panic!("the notice is printed on the console: {out}"));
    assert!(
        notice.contains(code) && notice.contains("Valider"),
        "{notice}"
    );
}

#[tokio::test]
async fn serve_reads_the_inbox_maildir_of_the_embedded_default() {
    let dir = tempfile::tempdir().unwrap();
    let (code, reply) = demo_and_a_reply(dir.path());
    let inbox = dir.path().join("cabready-data/inbox");
    serve_processes_a_reply(
        dir.path(),
        "[mail]\nsend_every_seconds = 0\nreplies_every_seconds = 1\n",
        &code,
        &[],
        async {
            // Written aside, then moved in: a reader never sees half a message.
            std::fs::write(inbox.join("tmp/serve-test.eml"), &reply).unwrap();
            std::fs::rename(
                inbox.join("tmp/serve-test.eml"),
                inbox.join("new/serve-test.eml"),
            )
            .unwrap();
        },
    )
    .await;
    assert!(!inbox.join("new/serve-test.eml").exists(), "filed away");
}

#[tokio::test]
async fn serve_reads_the_imap_mailbox_of_the_configuration() {
    let env = |var: &str| {
        std::env::var(var).unwrap_or_else(|_| {
            panic!("{var} is not set: run `eval \"$(scripts/test-env up)\"` first")
        })
    };
    let (host, port) = env("CABREADY_TEST_IMAPS")
        .rsplit_once(':')
        .map(|(h, p)| (h.to_string(), p.to_string()))
        .unwrap();
    let password = env("CABREADY_TEST_MAIL_PASSWORD");
    let user = cabready_testkit::mail::unique_address("serve", "cabinet.test");
    let dir = tempfile::tempdir().unwrap();
    let (code, reply) = demo_and_a_reply(dir.path());
    let config = format!(
        "[mail]\nsend_every_seconds = 0\n\n[mail.imap]\nhost = \"{host}\"\nport = {port}\nsecurity = \"tls\"\nca_file = \"{}\"\nusername = \"{user}\"\npassword_env = \"SERVE_TEST_IMAP_PASSWORD\"\npoll_seconds = 600\n",
        env("CABREADY_TEST_IMAP_CA")
    );
    serve_processes_a_reply(
        dir.path(),
        &config,
        &code,
        &[("SERVE_TEST_IMAP_PASSWORD", password.as_str())],
        async {
            let (host, port) = env("CABREADY_TEST_IMAP")
                .rsplit_once(':')
                .map(|(h, p)| (h.to_string(), p.parse().unwrap()))
                .unwrap();
            let config = cabready_mailer::inbound::sources::imap::ImapConfig::new(
                host,
                port,
                &user,
                password.as_str(),
            );
            // Give the worker time to connect and idle: only IDLE can
            // bring the reply in time (poll_seconds = 600).
            tokio::time::sleep(Duration::from_secs(2)).await;
            let mut session = cabready_mailer::inbound::sources::imap::connect(&config)
                .await
                .unwrap();
            session
                .append("INBOX", None, None, reply.as_bytes())
                .await
                .unwrap();
            session.logout().await.unwrap();
        },
    )
    .await;
}

/// `cabready check-config` on `[mail.imap]`: each mistake is refused with
/// the key to fix; a good section logs in to the shared Dovecot over TLS.
#[test]
fn check_config_validates_the_imap_section() {
    let dir = tempfile::tempdir().unwrap();
    let check = |config: &str, envs: &[(&str, &str)]| {
        std::fs::write(dir.path().join("cabready.toml"), config).unwrap();
        let output = cabready(dir.path())
            .arg("check-config")
            .envs(envs.iter().copied())
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    for (config, key) in [
        ("[mail.imap]\nhost = \"imap.cabinet.fr\"\n", "mail.imap.username"),
        (
            "[mail.imap]\nhost = \"imap.cabinet.fr\"\nsecurity = \"plain\"\nusername = \"u\"\n",
            "mail.imap.security : IMAP en clair (security = \"plain\") refusé vers imap.cabinet.fr",
        ),
        (
            "[mail.imap]\nhost = \"imap.cabinet.fr\"\nusername = \"u\"\npassword = \"x\"\n",
            "mail.imap.password : le mot de passe ne s'écrit jamais dans le fichier",
        ),
        (
            "[mail.imap]\nhost = \"imap.cabinet.fr\"\nusername = \"u\"\npassword_env = \"CHECK_CONFIG_NO_SUCH_VAR\"\n",
            "mail.imap.password_env : la variable d'environnement CHECK_CONFIG_NO_SUCH_VAR",
        ),
    ] {
        let (code, _, err) = check(config, &[]);
        assert_eq!(code, Some(1), "{config}: {err}");
        assert!(err.contains(key), "{config}: {err}");
    }
    let (code, _, err) = check(
        "[mail.imap]\nhost = \"imap.cabinet.fr\"\nusername = \"u\"\nca_file = \"/nonexistent/ca.pem\"\n",
        &[("CABREADY_IMAP_PASSWORD", "x")],
    );
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("mail.imap.ca_file : impossible de lire /nonexistent/ca.pem"),
        "{err}"
    );

    let env = |var: &str| std::env::var(var).unwrap_or_else(|_| panic!("{var} is not set"));
    let (host, port) = env("CABREADY_TEST_IMAPS")
        .rsplit_once(':')
        .map(|(h, p)| (h.to_string(), p.to_string()))
        .unwrap();
    let user = cabready_testkit::mail::unique_address("checkconfig", "cabinet.test");
    let password = env("CABREADY_TEST_MAIL_PASSWORD");
    let good = format!(
        "[mail.imap]\nhost = \"{host}\"\nport = {port}\nsecurity = \"tls\"\nca_file = \"{}\"\nusername = \"{user}\"\n",
        env("CABREADY_TEST_IMAP_CA")
    );
    let (code, out, err) = check(&good, &[("CABREADY_IMAP_PASSWORD", password.as_str())]);
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains(&format!("imaps://{host}:{port}/INBOX"))
            && out.contains("connexion et identification — OK"),
        "{out}"
    );
    assert!(!out.contains(&password) && !err.contains(&password));
    // Wrong password: refused by the server, said so.
    let (code, _, err) = check(&good, &[("CABREADY_IMAP_PASSWORD", "not-the-password")]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("connexion IMAP refusée pour"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
}

/// `cabready replies --watch 1` keeps reading the inbox Maildir until
/// Ctrl-C (SIGINT), printing what each pass found.
#[tokio::test]
async fn replies_watch_reads_the_inbox_maildir_until_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let (code, reply) = demo_and_a_reply(dir.path());
    let inbox = dir.path().join("cabready-data/inbox");
    let child = cabready(dir.path())
        .args(["replies", "--watch", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    std::fs::write(inbox.join("tmp/watch-test.eml"), &reply).unwrap();
    std::fs::rename(
        inbox.join("tmp/watch-test.eml"),
        inbox.join("new/watch-test.eml"),
    )
    .unwrap();
    let start = Instant::now();
    while mandate_status(dir.path(), &code).await != MandateStatus::ReceivedToVerify {
        assert!(start.elapsed() < Duration::from_secs(20), "not processed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let out = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(out.contains("Lecture continue de"), "{out}");
    assert!(
        out.contains(&format!("watch-test.eml — {code} mandat signé joint")),
        "{out}"
    );
}
