//! `cabready remind` through a real SMTP server into real mailboxes (the
//! aiosmtpd → Dovecot pair of `scripts/test-env up`), with a real process
//! dying between the server's answer and `sent`
//! (`CABREADY_TEST_CRASH_AFTER_SEND=1`): after a restart nothing is lost
//! and nothing is duplicated — each client's mailbox is counted — and the
//! interrupted reminder is settled by a person with `remind settle`.
//! On SQLite and PostgreSQL; fails, never skips, without the servers.

use cabready_store::Backend;
use cabready_testkit::fresh_url;
use cabready_testkit::mail::{header, unique_address, MailServers};
use std::path::Path;
use std::process::Output;

const OWNER: &str = "sarah.benali@cabinet-leroy.fr";

fn cabready(dir: &Path, url: &str, now: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = cabready_testkit::cli::command(env!("CARGO_BIN_EXE_cabready"), dir);
    command.env("CABREADY_NOW", now);
    command.env("CABREADY_DATABASE_URL", url);
    for (k, v) in env {
        command.env(k, v);
    }
    command.args(args).output().expect("run cabready")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn crash_restart_settle(backend: Backend) {
    let servers = MailServers::from_env();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (url, _sqlite_dir) = runtime.block_on(fresh_url(backend));
    let dir = tempfile::tempdir().unwrap();
    let (host, port) = servers.smtp_host_port();
    std::fs::write(
        dir.path().join("cabready.toml"),
        format!(
            "[mail]\ntransport = \"smtp\"\nfrom_address = \"relances@cabinet.test\"\n\
             [mail.smtp]\nhost = \"{host}\"\nport = {port}\nsecurity = \"none\"\ntimeout_seconds = 5\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("users.csv"),
        format!("email,nom,role\n{OWNER},Sarah Benali,collaborateur\n"),
    )
    .unwrap();
    let contacts: Vec<String> = (1..=3)
        .map(|i| unique_address(&format!("c00{i}"), "client.test"))
        .collect();
    let mut clients = String::from("code_dossier;raison_sociale;siren;effectif;chiffre_affaires;contact_nom;contact_email;collaborateur\n");
    for (i, siren) in ["400000006", "400012373", "400024741"].iter().enumerate() {
        clients.push_str(&format!(
            "C00{};Client {};{siren};3;30000000;Jeanne Martin;{};{OWNER}\n",
            i + 1,
            i + 1,
            contacts[i]
        ));
    }
    std::fs::write(dir.path().join("clients.csv"), clients).unwrap();
    let onboarding = "2026-11-25T10:00:00+01:00";
    let out = cabready(
        dir.path(),
        &url,
        onboarding,
        &[],
        &[
            "onboard",
            "--firm",
            "Cabinet Leroy",
            "--users",
            "users.csv",
            "--clients",
            "clients.csv",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));

    // Friday 27 November: the first requests are due. The sender dies right
    // after the server accepted the first message.
    let friday = "2026-11-27T10:00:00+01:00";
    let crashed = cabready(
        dir.path(),
        &url,
        friday,
        &[("CABREADY_TEST_CRASH_AFTER_SEND", "1")],
        &["remind"],
    );
    assert_eq!(crashed.status.code(), Some(86), "{}", text(&crashed));
    let delivered: Vec<usize> = contacts.iter().map(|c| servers.inbox(c).len()).collect();
    assert_eq!(delivered.iter().sum::<usize>(), 1, "{delivered:?}");

    // Restart after the lease: the others go, the interrupted one is listed
    // "to check" and not resent.
    let restart = "2026-11-27T10:10:00+01:00";
    let out = cabready(dir.path(), &url, restart, &[], &["remind"]);
    let listing = text(&out);
    assert!(out.status.success(), "{listing}");
    assert!(listing.contains("2 envoyée(s)"), "{listing}");
    assert!(listing.contains("1 à vérifier"), "{listing}");
    let line = listing
        .lines()
        .find(|l| l.contains("À vérifier : relance"))
        .unwrap_or_else(|| panic!("{listing}"));
    let id = line
        .split("relance ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .unwrap()
        .to_string();
    // The line names the dossier and the exact command that settles it.
    assert!(
        line.contains(&format!("cabready remind settle {id} --sent")),
        "{line}"
    );
    assert!(line.contains(&format!("relance {id} — C")), "{line}");
    let token = line
        .split('(')
        .nth(1)
        .and_then(|rest| rest.split('@').next())
        .unwrap()
        .to_string();
    for contact in &contacts {
        let inbox = servers.inbox(contact);
        assert_eq!(inbox.len(), 1, "{contact}: exactly one message");
    }
    let interrupted = contacts
        .iter()
        .find(|c| {
            servers
                .inbox(c)
                .iter()
                .any(|m| header(m, "X-CabReady-Token").as_deref() == Some(token.as_str()))
        })
        .expect("the interrupted reminder reached its mailbox once");
    // Running again sends nothing and still lists it.
    let again = cabready(dir.path(), &url, restart, &[], &["remind"]);
    assert!(text(&again).contains("0 envoyée(s)"), "{}", text(&again));
    assert!(text(&again).contains(&format!("relance {id} ")));

    // Someone who is not a user of the firm cannot settle it; the accountant can.
    let refused = cabready(
        dir.path(),
        &url,
        restart,
        &[],
        &[
            "remind",
            "settle",
            &id,
            "--sent",
            "--as",
            "nobody@cabinet-leroy.fr",
        ],
    );
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    let settled = cabready(
        dir.path(),
        &url,
        restart,
        &[],
        &["remind", "settle", &id, "--sent", "--as", OWNER],
    );
    assert!(settled.status.success(), "{}", text(&settled));
    assert!(
        text(&settled).contains("marquée envoyée"),
        "{}",
        text(&settled)
    );
    let twice = cabready(
        dir.path(),
        &url,
        restart,
        &[],
        &["remind", "settle", &id, "--not-sent", "--as", OWNER],
    );
    assert_eq!(twice.status.code(), Some(1), "{}", text(&twice));
    let after = cabready(dir.path(), &url, restart, &[], &["remind"]);
    assert!(!text(&after).contains("À vérifier"), "{}", text(&after));
    assert!(text(&after).contains("0 envoyée(s)"), "{}", text(&after));
    assert_eq!(servers.inbox(interrupted).len(), 1);
    // The journal says who settled it.
    let code = contacts.iter().position(|c| c == interrupted).unwrap() + 1;
    let journal = cabready(
        dir.path(),
        &url,
        restart,
        &[],
        &["chat", "--as", OWNER, &format!("journal C00{code} 10")],
    );
    let lines = text(&journal);
    assert!(
        lines
            .lines()
            .any(|l| l.contains("interrompue : elle était partie") && l.contains(OWNER)),
        "{lines}"
    );
}

#[test]
fn crash_after_send_restart_and_settle_on_sqlite() {
    crash_restart_settle(Backend::Sqlite);
}

#[test]
fn crash_after_send_restart_and_settle_on_postgres() {
    crash_restart_settle(Backend::Postgres);
}
