//! The `cabready` binary end to end, as a user runs it, on SQLite and PostgreSQL.

use cabready_store::Backend;
use cabready_testkit::cli::{self, header_of};
use cabready_testkit::fresh_url;
use std::path::{Path, PathBuf};
use std::process::Output;

const NOW: &str = "2026-11-25T10:00:00+01:00";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/onboard")
        .join(name)
}

/// Runs the binary in `dir` with a fixed clock and no inherited CabReady settings.
fn cabready(dir: &Path, database_url: Option<&str>, args: &[&str]) -> Output {
    let mut command = cli::command(env!("CARGO_BIN_EXE_cabready"), dir);
    command.env("CABREADY_NOW", NOW);
    if let Some(url) = database_url {
        command.env("CABREADY_DATABASE_URL", url);
    }
    command.args(args).output().expect("run cabready")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn demo_runs_on_the_embedded_default_and_is_repeatable() {
    let dir = tempfile::tempdir().unwrap();
    let first = cabready(dir.path(), None, &["demo"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let out = stdout(&first);
    assert!(
        out.contains("Cabinet « Cabinet Durand & Associés (démo) » : 3 utilisateurs, 40 dossiers"),
        "{out}"
    );
    assert!(
        out.contains("réception des factures électroniques : 40 dossier(s)"),
        "{out}"
    );
    assert!(out.contains("Échéances dépassées :"), "{out}");
    // The digest preview is taken after the demo's sends and simulated
    // answers, and says what they did in words.
    assert!(out.contains("  • 6 e-mail(s) de client lu(s)\n"), "{out}");
    // The first digest has no day before to compare with: every dossier at
    // risk or late is news, the worst first (it used to say "rien à signaler").
    assert!(
        out.contains("Nouveaux dossiers à risque ou en retard\n  • (premier résumé, sans la veille pour comparer : tous les dossiers à risque ou en retard)\n  • D011 Fleurs & Saisons — en retard (10/100)\n"),
        "{out}"
    );
    // The simulated answers and what the team's chat shows for them: the
    // mandate received (validate / reject), the question, the bounce, and
    // the stranger's email to sort.
    assert!(out.contains("6 message(s) lu(s) et traité(s)"), "{out}");
    assert!(out.contains("Dans le chat de l'équipe,"), "{out}");
    assert!(out.contains("Mandat mis à jour par e-mail — "), "{out}");
    assert!(out.contains("Réponse d'un client à traiter #"), "{out}");
    assert!(out.contains("E-mail à trier #"), "{out}");
    assert!(out.contains("s.marchand@nouvelle-compta.example"), "{out}");
    assert!(out.contains("  • 17 relance(s) envoyée(s)\n"), "{out}");
    assert!(
        dir.path().join("cabready-data/cabready.db").exists(),
        "SQLite file in ./cabready-data"
    );
    assert!(dir.path().join("cabready-data/demo/clients.csv").exists());
    // Every mandate state is represented.
    for state in [
        "non demandé",
        "demandé",
        "relancé",
        "reçu à vérifier",
        "signé",
        "refusé",
        "expiré",
    ] {
        let counted = out.lines().any(|l| {
            l.starts_with("Mandats de délégation")
                && l.split(", ")
                    .any(|part| part.contains(state) && !part.ends_with(" 0"))
        });
        assert!(counted, "no mandate {state}: {out}");
    }

    let second = cabready(dir.path(), None, &["demo"]);
    assert!(second.status.success());
    let out2 = stdout(&second);
    assert!(out2.contains("déjà créé"), "{out2}");
    let mandates = |o: &str| {
        o.lines()
            .find(|l| l.starts_with("Mandats"))
            .unwrap()
            .to_string()
    };
    // The first run shows the firm before its first wave of reminders
    // (which moves mandates to "demandé"); later runs change nothing.
    assert!(
        out.contains("e-mail(s) de la première vague déposé(s)"),
        "{out}"
    );
    assert!(!out2.contains("première vague"), "{out2}");
    let third = cabready(dir.path(), None, &["demo"]);
    assert_eq!(
        mandates(&out2),
        mandates(&stdout(&third)),
        "a second demo changes nothing"
    );
    let eml = std::fs::read_dir(dir.path().join("cabready-data/outbox/new"))
        .unwrap()
        .count();
    assert!(eml > 0, "the first wave is in the outbox Maildir");
}

// At night, or on a weekend, the demo does not send at the next working
// slot: nothing it records is dated after its clock (its anomalies, their
// journal lines and the reminders were dated 09:00 while it was 01:00, and
// the age filter and the queue's order went wrong after it).
#[test]
fn the_demo_records_nothing_after_its_clock() {
    let dir = tempfile::tempdir().unwrap();
    let night = "2026-11-28T01:06:00+01:00"; // a Saturday
    let mut command = cli::command(env!("CARGO_BIN_EXE_cabready"), dir.path());
    let run = command
        .env("CABREADY_NOW", night)
        .arg("demo")
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(stdout(&run).contains("  • 17 relance(s) envoyée(s)\n"));
    let db = dir.path().join("cabready-data/cabready.db");
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let latest: Vec<Option<String>> = runtime.block_on(async {
        let store = cabready_store::Store::connect(&format!("sqlite://{}", db.display()))
            .await
            .unwrap();
        let mut latest = Vec::new();
        for sql in [
            "SELECT MAX(at) FROM journal",
            "SELECT MAX(opened_at) FROM anomalies",
            "SELECT MAX(sent_at) FROM outbox",
        ] {
            let at: Option<String> = sqlx::query_scalar(sql)
                .fetch_one(store.pool())
                .await
                .unwrap();
            latest.push(at);
        }
        // The demo's own setting is not journaled as a person's action.
        let by_people: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM journal WHERE actor_kind = 'user'")
                .fetch_one(store.pool())
                .await
                .unwrap();
        assert_eq!(by_people, 0);
        store.close().await;
        latest
    });
    for at in latest {
        let at = at.expect("the demo recorded something");
        assert!(
            at.as_str() <= "2026-11-28T00:06:00Z",
            "{at} is after the clock"
        );
    }
}

fn onboard_then_calendar(backend: Backend) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (url, _sqlite_dir) = runtime.block_on(fresh_url(backend));
    let dir = tempfile::tempdir().unwrap();
    let users = fixture("users.csv");
    let bad = fixture("clients_invalid.csv");
    let good = fixture("clients_win1252.csv");
    let (users, bad, good) = (
        users.to_str().unwrap(),
        bad.to_str().unwrap(),
        good.to_str().unwrap(),
    );

    let refused = cabready(
        dir.path(),
        Some(&url),
        &[
            "onboard",
            "--firm",
            "Cabinet Leroy",
            "--users",
            users,
            "--clients",
            bad,
        ],
    );
    assert_eq!(
        refused.status.code(),
        Some(1),
        "a file with errors fails the command"
    );
    let out = stdout(&refused);
    assert!(
        out.contains("clients_invalid.csv: ligne 3, colonne siren : SIREN invalide"),
        "{out}"
    );
    assert!(out.contains("Rien n'a été importé"), "{out}");
    // Lines left out are never a success, dry run or not.
    let onboard_bad = |extra: &[&str]| {
        let mut args = vec![
            "onboard",
            "--firm",
            "Cabinet Leroy",
            "--users",
            users,
            "--clients",
            bad,
        ];
        args.extend_from_slice(extra);
        cabready(dir.path(), Some(&url), &args).status.code()
    };
    assert_eq!(onboard_bad(&["--dry-run"]), Some(1), "would be refused");
    assert_eq!(onboard_bad(&["--dry-run", "--skip-invalid"]), Some(3));
    let nameless = cabready(
        dir.path(),
        Some(&url),
        &["onboard", "--firm", " ", "--users", users],
    );
    assert_eq!(nameless.status.code(), Some(2));
    assert!(
        stderr(&nameless).contains("le nom du cabinet est vide"),
        "{}",
        stderr(&nameless)
    );

    let ok = cabready(
        dir.path(),
        Some(&url),
        &[
            "onboard",
            "--firm",
            "Cabinet Leroy",
            "--users",
            users,
            "--clients",
            good,
        ],
    );
    assert!(ok.status.success(), "{}{}", stdout(&ok), stderr(&ok));
    assert!(
        stdout(&ok).contains("4 créé(s), 0 mis à jour, 0 inchangé(s)"),
        "{}",
        stdout(&ok)
    );
    let again = cabready(
        dir.path(),
        Some(&url),
        &[
            "onboard",
            "--firm",
            "Cabinet Leroy",
            "--users",
            users,
            "--clients",
            good,
        ],
    );
    assert!(
        stdout(&again).contains("0 changement(s) appliqué(s)."),
        "{}",
        stdout(&again)
    );

    // The delivery address is a mention on invoices: counted, never "en règle".
    let later = cabready(
        dir.path(),
        Some(&url),
        &["--now", "2027-09-02T10:00:00+02:00", "calendar"],
    );
    assert!(
        stdout(&later).contains("mention de l'adresse de livraison : 4 dossier(s) — une mention à porter sur les factures, que CabReady ne voit pas"),
        "{}",
        stdout(&later)
    );
    let calendar = cabready(dir.path(), Some(&url), &["calendar", "--within", "400j"]);
    assert!(calendar.status.success(), "{}", stderr(&calendar));
    let out = stdout(&calendar);
    assert!(
        out.contains("Calendrier des obligations — Cabinet Leroy — au 25/11/2026"),
        "{out}"
    );
    assert!(
        out.contains(
            "depuis le 01/09/2026  réception des factures électroniques : 4 dossier(s), 0 en règle"
        ),
        "{out}"
    );
    // Only the ETI (C004) must already issue e-invoices; the others from 1 Sept 2027.
    assert!(
        out.contains("depuis le 01/09/2026  émission des factures électroniques : 1 dossier(s)"),
        "{out}"
    );
    assert!(out.contains("01/09/2027  C001"), "{out}");
    let upcoming = out.split("À échéance").nth(1).unwrap();
    let dates: Vec<&str> = upcoming
        .lines()
        .filter_map(|l| l.trim().get(..10))
        .filter(|d| d.contains('/'))
        .collect();
    let mut sorted = dates.clone();
    sorted.sort_by_key(|d| (d[6..].to_string(), d[3..5].to_string(), d[..2].to_string()));
    assert_eq!(dates, sorted, "soonest first");

    let portfolio = stdout(&cabready(
        dir.path(),
        Some(&url),
        &["calendar", "--portfolio", "Grenoble", "--within", "400d"],
    ));
    assert!(
        portfolio.contains("C004") && !portfolio.contains("C001"),
        "{portfolio}"
    );

    let bad_horizon = cabready(dir.path(), Some(&url), &["calendar", "--within", "bientôt"]);
    assert_eq!(bad_horizon.status.code(), Some(1));
    assert!(
        stderr(&bad_horizon).contains("--within : durée invalide « bientôt »"),
        "{}",
        stderr(&bad_horizon)
    );
}

#[test]
fn onboard_then_calendar_on_sqlite() {
    onboard_then_calendar(Backend::Sqlite);
}

#[test]
fn onboard_then_calendar_on_postgres() {
    onboard_then_calendar(Backend::Postgres);
}

#[test]
fn check_config_explains_and_refuses_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let ok = cabready(dir.path(), None, &["check-config"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stdout(&ok).contains("configuration embarquée par défaut"),
        "{}",
        stdout(&ok)
    );
    assert!(stdout(&ok).contains("Configuration valide."));
    // Words, not the program's debug names ("(Sqlite)", "Fr", "(None)").
    assert!(stdout(&ok).contains("(SQLite) — OK"), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("langue : français"), "{}", stdout(&ok));
    std::fs::write(
        dir.path().join("cabready.toml"),
        "[mail]\ntransport = \"smtp\"\n[mail.smtp]\nhost = \"127.0.0.1\"\nport = 2525\nsecurity = \"none\"\n",
    )
    .unwrap();
    let smtp = cabready(dir.path(), None, &["check-config"]);
    assert!(
        stdout(&smtp).contains("SMTP 127.0.0.1:2525 (sans chiffrement)"),
        "{}",
        stdout(&smtp)
    );

    std::fs::write(dir.path().join("cabready.toml"), "langage = \"fr\"\n").unwrap();
    let bad = cabready(dir.path(), None, &["check-config"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("fichier de configuration invalide : cabready.toml"),
        "{}",
        stderr(&bad)
    );
    assert!(
        stderr(&bad)
            .contains("ligne 1, colonne 1 : clé inconnue « langage » (clés possibles : language,"),
        "{}",
        stderr(&bad)
    );

    std::fs::write(
        dir.path().join("cabready.toml"),
        "language = \"en\"\n[calendar]\nmilestones = [{ milestone = \"mandate_signed\", before = \"emission\", days = 120 }]\n",
    )
    .unwrap();
    let custom = cabready(dir.path(), None, &["check-config"]);
    assert!(custom.status.success(), "{}", stderr(&custom));
    assert!(
        stdout(&custom).contains("delegation mandate signed: 120 days before issuing e-invoices"),
        "{}",
        stdout(&custom)
    );

    // The firm's platform profiles are read as an import would read them:
    // a missing directory, or a broken profile, is found here.
    std::fs::write(
        dir.path().join("cabready.toml"),
        "profiles_dir = \"profils\"\n",
    )
    .unwrap();
    let missing = cabready(dir.path(), None, &["check-config"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stdout(&missing).contains(
            "profils de plateforme (profiles_dir) : ERREUR : dossier introuvable profils"
        ),
        "{}",
        stdout(&missing)
    );
    std::fs::create_dir(dir.path().join("profils")).unwrap();
    let empty = cabready(dir.path(), None, &["check-config"]);
    assert!(empty.status.success(), "{}", stderr(&empty));
    assert!(
        stdout(&empty)
            .contains("(aucun profil du cabinet dans ce dossier : les profils livrés seulement)"),
        "{}",
        stdout(&empty)
    );
    // The firm's generic.toml replaces the shipped one: said.
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("config/platforms/generic.toml"),
        dir.path().join("profils/generic.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("profils/casse.toml"),
        "name = \"casse\"\n[columns\n",
    )
    .unwrap();
    let broken = cabready(dir.path(), None, &["check-config"]);
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        stdout(&broken).contains("    casse : ERREUR "),
        "{}",
        stdout(&broken)
    );
    assert!(
        stdout(&broken).contains("    generic (du cabinet, remplace le profil livré) — OK"),
        "{}",
        stdout(&broken)
    );
    assert!(
        stderr(&broken).contains("1 profil(s) de plateforme invalide(s) ou introuvable(s)"),
        "{}",
        stderr(&broken)
    );

    std::fs::write(dir.path().join("cabready.toml"), "[digest]\nat = \"8h\"\n").unwrap();
    let bad_time = cabready(dir.path(), None, &["check-config"]);
    assert_eq!(bad_time.status.code(), Some(1));
    assert!(
        stderr(&bad_time).contains("digest.at : heure invalide « 8h » (attendu HH:MM"),
        "{}",
        stderr(&bad_time)
    );
}

#[test]
fn output_to_a_closed_pipe_ends_quietly() {
    // `cabready check-config | true`: the reader is gone before anything is printed.
    let dir = tempfile::tempdir().unwrap();
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = cli::command(env!("CARGO_BIN_EXE_cabready"), dir.path())
        .env("CABREADY_NOW", NOW)
        .env("RUST_BACKTRACE", "1")
        .arg("check-config")
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(141), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn bad_now_and_bad_database_url_are_explained() {
    let dir = tempfile::tempdir().unwrap();
    let bad_now = cabready(dir.path(), None, &["--now", "demain", "calendar"]);
    assert_eq!(bad_now.status.code(), Some(1));
    assert!(
        stderr(&bad_now).contains("--now / CABREADY_NOW : date invalide « demain »"),
        "{}",
        stderr(&bad_now)
    );
    let bad_url = cabready(dir.path(), Some("mysql://u:secret@h/db"), &["calendar"]);
    assert_eq!(bad_url.status.code(), Some(1));
    let err = stderr(&bad_url);
    assert!(
        err.contains("connexion à la base impossible : mysql://u:***@h/db"),
        "{err}"
    );
    assert!(!err.contains("secret"), "passwords never printed: {err}");
    assert!(
        !stderr(&bad_now).contains("premature"),
        "{}",
        stderr(&bad_now)
    );
    let english = cabready(
        dir.path(),
        None,
        &["--lang", "en", "--now", "tomorrow", "calendar"],
    );
    assert!(
        stderr(&english).starts_with("error: --now / CABREADY_NOW: invalid date \"tomorrow\""),
        "{}",
        stderr(&english)
    );

    // What the system says about a file, said in French.
    let folder = dir.path().to_str().unwrap();
    let not_a_file = cabready(
        dir.path(),
        None,
        &["onboard", "--firm", "X", "--clients", folder],
    );
    assert_eq!(not_a_file.status.code(), Some(1));
    assert!(
        stderr(&not_a_file)
            .contains("impossible de lire le fichier : c'est un dossier, pas un fichier"),
        "{}",
        stderr(&not_a_file)
    );
    assert!(
        !stderr(&not_a_file).contains("os error"),
        "{}",
        stderr(&not_a_file)
    );
}

#[test]
fn command_line_mistakes_are_said_in_french_with_clap_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let typo = cabready(dir.path(), None, &["import", "flux", "--dry-rn", "x.csv"]);
    assert_eq!(typo.status.code(), Some(2));
    assert_eq!(
        stderr(&typo),
        "erreur : argument inconnu « --dry-rn » (vouliez-vous dire « --dry-run » ?)\nAide : cabready import flux --help\n"
    );
    let missing = cabready(dir.path(), None, &["import", "flux", "x.csv"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).starts_with(
            "erreur : argument obligatoire manquant : « --platform <NAME|PROFILE.toml> »\n"
        ),
        "{}",
        stderr(&missing)
    );
    let subcommand = cabready(dir.path(), None, &["calendrier"]);
    assert_eq!(subcommand.status.code(), Some(2));
    assert!(
        stderr(&subcommand).starts_with("erreur : sous-commande inconnue « calendrier » (vouliez-vous dire « calendar » ?)\nAide : cabready --help"),
        "{}",
        stderr(&subcommand)
    );
    let number = cabready(dir.path(), None, &["anomalies", "list", "--limit", "dix"]);
    assert!(
        stderr(&number).starts_with(
            "erreur : valeur invalide « dix » pour « --limit <LIMIT> » (un nombre entier est attendu)"
        ),
        "{}",
        stderr(&number)
    );
    // English keeps clap's message; --lang may come after the mistake.
    let english = cabready(
        dir.path(),
        None,
        &["import", "flux", "--dry-rn", "--lang", "en"],
    );
    assert_eq!(english.status.code(), Some(2));
    assert!(
        stderr(&english).starts_with("error: unexpected argument '--dry-rn' found"),
        "{}",
        stderr(&english)
    );
    // Help and version are clap's, on stdout, exit 0.
    let help = cabready(dir.path(), None, &["import", "flux", "--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(
        stdout(&help).contains("Usage: cabready import flux"),
        "{}",
        stdout(&help)
    );
    let version = cabready(dir.path(), None, &["--version"]);
    assert_eq!(version.status.code(), Some(0));
    assert!(stdout(&version).starts_with("cabready "));
}

#[test]
fn chat_on_the_demo_data_answers_in_french_and_refuses_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    assert!(cabready(dir.path(), None, &["demo"]).status.success());
    // The digest's email in English is written the English way.
    let eml = dir.path().join("digest-en.eml");
    let digest = cabready(
        dir.path(),
        None,
        &[
            "--lang",
            "en",
            "digest",
            "--preview",
            "--out",
            eml.to_str().unwrap(),
        ],
    );
    assert!(digest.status.success(), "{}", stderr(&digest));
    let raw = String::from_utf8_lossy(&std::fs::read(&eml).unwrap()).into_owned();
    assert!(
        raw.contains("Penalty exposure (late dossiers): =E2=82=AC600"),
        "{raw}"
    );
    assert!(!raw.contains("dossiers) :"), "{raw}");
    // The start of a code names the dossiers it matches; nothing close, nothing listed.
    let several = cabready(dir.path(), None, &["readiness", "--dossier", "D00"]);
    assert!(
        stderr(&several).contains(
            "plusieurs dossiers correspondent à « D00 » : D001 Boulangerie Lefèvre, D002"
        ),
        "{}",
        stderr(&several)
    );
    let none = cabready(dir.path(), None, &["readiness", "--dossier", "ZZZ"]);
    assert!(
        stderr(&none).ends_with("dossier introuvable « ZZZ »\n"),
        "{}",
        stderr(&none)
    );
    let firm = cabready(
        dir.path(),
        None,
        &[
            "chat",
            "--as",
            "claire.durand@cabinet-durand.fr",
            "pret",
            "cabinet",
        ],
    );
    assert!(firm.status.success(), "{}", stderr(&firm));
    let out = stdout(&firm);
    assert!(
        out.starts_with("Préparation — Cabinet Durand & Associés (démo)\n  Score"),
        "{out}"
    );
    assert!(out.contains("Dossiers les plus à risque\n  • "), "{out}");

    // Anne (portfolio Nord) may not change a Sud dossier: exit status 1 and the reason.
    let refused = cabready(
        dir.path(),
        None,
        &[
            "chat",
            "--as",
            "anne.martin@cabinet-durand.fr",
            "mandat",
            "D002",
            "demandé",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused)
            .contains("⛔ Action refusée\nle dossier D002 est dans le portefeuille « Sud »"),
        "{}",
        stderr(&refused)
    );

    let unknown = cabready(
        dir.path(),
        None,
        &["chat", "--as", "nobody@example.fr", "aide"],
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("n'est pas un utilisateur de ce cabinet"),
        "{}",
        stderr(&unknown)
    );

    // The interactive console reads commands from standard input.
    let mut child = cli::command(env!("CARGO_BIN_EXE_cabready"), dir.path())
        .env("CABREADY_NOW", NOW)
        .args(["chat", "--as", "bruno.petit@cabinet-durand.fr"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all("dossier D002\n!!\nhistorique\nquitter\n".as_bytes())
        .unwrap();
    let out = String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap();
    assert_eq!(
        out.matches("D002 — Garage des Tilleuls").count(),
        2,
        "{out}"
    );
    assert!(
        out.contains("  1  dossier D002\n  2  dossier D002\n"),
        "{out}"
    );
}

#[test]
fn replies_are_read_from_the_inbox_maildir_once() {
    let dir = tempfile::tempdir().unwrap();
    let demo = cabready(dir.path(), None, &["demo"]);
    assert!(demo.status.success(), "{}", stderr(&demo));
    let out = stdout(&demo);
    assert!(out.contains("Réponses des clients (simulées"), "{out}");
    assert!(
        out.contains(
            "D002 mandat signé joint : pièces jointes conservées ; mandat reçu, à vérifier"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "non-remise : adresse marquée invalide ; anomalie ouverte (adresses e-mail en erreur)"
        ),
        "{out}"
    );

    // What the reply worker wrote is read in the reader's language, not in
    // the one the worker ran in.
    let chat = |lang: &str, line: &str| {
        let out = cabready(
            dir.path(),
            None,
            &[
                "--lang",
                lang,
                "chat",
                "--as",
                "anne.martin@cabinet-durand.fr",
                line,
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    let english = chat("en", "journal D004");
    for said in [
        "reminders held until 1 Jan 2027 09:00: the client asked to wait",
        "reply read: no reminder before 1 Jan 2027",
        "planned for 25 Nov 2026 10:00: deadline near or past (1 Sep 2026)",
        "requested → reminded (reminder #2 sent)",
    ] {
        assert!(english.contains(said), "{said}\n{english}");
    }
    assert!(!english.contains("report demandé"), "{english}");
    let french = chat("fr", "journal D004");
    assert!(
        french.contains(
            "relances suspendues jusqu'au 01/01/2027 09:00 : report demandé par le client"
        ),
        "{french}"
    );
    assert!(french.contains("(relance #2 envoyée)"), "{french}");
    // An anomaly given to the dossier's accountant says so in its history.
    let question = chat("fr", "journal D006");
    assert!(
        question.contains("» — assignée à bruno.petit@cabinet-durand.fr"),
        "{question}"
    );
    // A bounce is not the client's email.
    let bounce = chat("fr", "journal D011");
    assert!(
        bounce.contains("retour en erreur lu : adresse marquée invalide"),
        "{bounce}"
    );
    let to_sort = chat("en", "atrier");
    assert!(to_sort.contains("— matching no reminder —"), "{to_sort}");

    // A client answers one of the reminders the demo sent (one nobody answered yet).
    let data = dir.path().join("cabready-data");
    let reminder = cli::unanswered_reminder(&data, |_| true).expect("a reminder nobody answered");
    let message_id = header_of(&reminder, "Message-ID");
    let reply_to = header_of(&reminder, "Reply-To");
    let reply_to = reply_to.rsplit('<').next().unwrap().trim_end_matches('>');
    let to = header_of(&reminder, "To");
    let to = to.rsplit('<').next().unwrap().trim_end_matches('>');
    let reply = format!(
        "From: <{to}>\r\nTo: <{reply_to}>\r\nSubject: Re: votre mandat\r\nDate: Wed, 25 Nov 2026 11:00:00 +0100\r\nMessage-ID: <cli-test-reply@client.example>\r\nIn-Reply-To: {message_id}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nJe n'ai pas encore signé, je vous l'envoie la semaine prochaine.\r\n\r\nLe mar. 24 nov. 2026 à 10:02, Cabinet a écrit :\r\n> Merci de nous retourner le mandat signé.\r\n"
    );
    let file = data.join("inbox/new/cli-test.eml");
    std::fs::write(&file, reply).unwrap();

    let classify = cabready(
        dir.path(),
        None,
        &["mail", "classify", "--json", file.to_str().unwrap()],
    );
    assert!(classify.status.success(), "{}", stderr(&classify));
    let json = stdout(&classify);
    assert!(json.contains("\"intent\":\"postponed\""), "{json}");
    assert!(
        json.contains("\"postponed_until\":\"2026-12-07\""),
        "{json}"
    );

    let dry = cabready(dir.path(), None, &["replies", "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).contains("répondra plus tard : pas de relance avant le 07/12/2026"),
        "{}",
        stdout(&dry)
    );
    assert!(file.exists(), "a dry run moves nothing");

    let run = cabready(dir.path(), None, &["replies"]);
    assert!(run.status.success(), "{}", stderr(&run));
    assert!(
        stdout(&run).contains("1 message(s) traité(s), dont 0 à trier"),
        "{}",
        stdout(&run)
    );
    assert!(!file.exists());
    let again = cabready(dir.path(), None, &["replies"]);
    assert!(
        stdout(&again).contains("0 message(s) traité(s)"),
        "{}",
        stdout(&again)
    );
}

#[test]
fn flux_import_exit_status_tells_what_was_left_out() {
    let dir = tempfile::tempdir().unwrap();
    assert!(cabready(dir.path(), None, &["demo"]).status.success());
    // The demo's Pennylane export has five bad lines: imported, the rest reported.
    let demo_export = "cabready-data/demo/pennylane-statuts.csv";
    let partial = cabready(
        dir.path(),
        None,
        &["import", "flux", "--platform", "fr-excel", demo_export],
    );
    assert_eq!(partial.status.code(), Some(3), "{}", stderr(&partial));
    assert!(
        stdout(&partial).contains("5 rejetée(s)"),
        "{}",
        stdout(&partial)
    );
    // A clean file (D001 Boulangerie Lefèvre's SIREN) imports with 0.
    std::fs::write(
        dir.path().join("clean.csv"),
        "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n\
         X-1,F-1,2026-11-02,310079199,732829320,emitted,\"1,234.50\",1481.40,EUR,200,Déposée,2026-11-02T10:00:00Z,,\n",
    )
    .unwrap();
    let clean = cabready(
        dir.path(),
        None,
        &["import", "flux", "--platform", "generic", "clean.csv"],
    );
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}{}",
        stdout(&clean),
        stderr(&clean)
    );
    assert!(
        stdout(&clean).contains("1 importée(s)"),
        "{}",
        stdout(&clean)
    );
    // Two files at once: each says its dossiers, then both together.
    let clean = std::fs::read_to_string(dir.path().join("clean.csv")).unwrap();
    std::fs::write(
        dir.path().join("clean2.csv"),
        clean.replace("X-1,F-1", "X-2,F-2"),
    )
    .unwrap();
    let both = cabready(
        dir.path(),
        None,
        &[
            "import",
            "flux",
            "--platform",
            "generic",
            "clean.csv",
            "clean2.csv",
        ],
    );
    assert_eq!(both.status.code(), Some(0), "{}", stderr(&both));
    assert!(
        stdout(&both).contains("2 fichiers : 2 ligne(s) lue(s), 1 importée(s) (1 nouvelle(s) facture(s)), 1 déjà connue(s), 0 rejetée(s), 1 dossier(s) touché(s) en tout"),
        "{}",
        stdout(&both)
    );
    let missing = cabready(
        dir.path(),
        None,
        &["import", "flux", "--platform", "generic", "nowhere.csv"],
    );
    assert_eq!(missing.status.code(), Some(1));
    // Nothing read, no anomaly figures.
    assert!(
        !stdout(&missing).contains("Anomalies"),
        "{}",
        stdout(&missing)
    );
    let no_profile = cabready(
        dir.path(),
        None,
        &["import", "flux", "--platform", "nope", "clean.csv"],
    );
    assert_eq!(no_profile.status.code(), Some(2));
}

#[test]
fn anomaly_changes_on_the_command_line_follow_the_chat_rights() {
    let dir = tempfile::tempdir().unwrap();
    assert!(cabready(dir.path(), None, &["demo"]).status.success());
    // A portfolio the firm does not have is named, with those it has.
    let unknown = cabready(dir.path(), None, &["readiness", "--portfolio", "Est"]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown)
            .contains("aucun portefeuille « Est » ; portefeuilles du cabinet : Nord, Sud"),
        "{}",
        stderr(&unknown)
    );
    // A filter that names nothing of the firm's is said, not shown as an empty queue.
    for (filter, said) in [
        (["--portfolio", "Est"], "aucun portefeuille « Est »"),
        (["--dossier", "D999"], "dossier introuvable « D999 »"),
        (["--rule", "bogus"], "--rule : règle inconnue « bogus » ; règles : invoice_rejected (factures rejetées (213))"),
        (["--assigned", "nobody@x.fr"], "--assigned : pas un utilisateur du cabinet"),
        (["--limit", "0"], "--limit : un nombre entier ≥ 1 est attendu"),
    ] {
        let mut args = vec!["anomalies", "list"];
        args.extend(filter);
        let out = cabready(dir.path(), None, &args);
        assert_eq!(out.status.code(), Some(1), "{filter:?}");
        assert!(stderr(&out).contains(said), "{filter:?}: {}", stderr(&out));
    }
    // A rule by the label the lists show works as its name.
    let by_label = cabready(
        dir.path(),
        None,
        &["anomalies", "list", "--rule", "adresses e-mail en erreur"],
    );
    assert!(
        stdout(&by_label).contains("Adresse e-mail en erreur"),
        "{}",
        stdout(&by_label)
    );
    let list = cabready(
        dir.path(),
        None,
        &["anomalies", "list", "--portfolio", "Sud"],
    );
    assert!(list.status.success(), "{}", stderr(&list));
    let out = stdout(&list);
    // A portfolio is named as in the chat, case and accents ignored: the
    // same queue, not an empty one.
    let folded = cabready(
        dir.path(),
        None,
        &["anomalies", "list", "--portfolio", "sud"],
    );
    assert_eq!(stdout(&folded), out);
    // The assignee by name, as in the chat.
    let by_email = cabready(
        dir.path(),
        None,
        &[
            "anomalies",
            "list",
            "--assigned",
            "bruno.petit@cabinet-durand.fr",
        ],
    );
    assert!(
        stdout(&by_email).contains("bruno.petit@cabinet-durand.fr"),
        "{}",
        stdout(&by_email)
    );
    let by_name = cabready(
        dir.path(),
        None,
        &["anomalies", "list", "--assigned", "Petit"],
    );
    assert!(by_name.status.success(), "{}", stderr(&by_name));
    assert_eq!(stdout(&by_name), stdout(&by_email));
    let ready = cabready(dir.path(), None, &["readiness", "--portfolio", "SUD"]);
    assert!(ready.status.success(), "{}", stderr(&ready));
    assert!(
        stdout(&ready).contains("portefeuille Sud"),
        "{}",
        stdout(&ready)
    );
    let first = out.lines().next().expect("the demo has anomalies in Sud");
    let id = first[1..].split_whitespace().next().unwrap().to_string();
    // A number as the lists show it (#12) is one; a negative one is said
    // to be a bad number, not an unknown option.
    let shown = cabready(dir.path(), None, &["anomalies", "show", &format!("#{id}")]);
    assert!(
        stdout(&shown).starts_with(&format!("Anomalie #{id} — ")),
        "{}",
        stderr(&shown)
    );
    let negative = cabready(dir.path(), None, &["anomalies", "show", "-5"]);
    assert_eq!(negative.status.code(), Some(2));
    assert!(
        stderr(&negative).contains("« -5 » : un numéro d'anomalie est attendu"),
        "{}",
        stderr(&negative)
    );
    // An unknown number points to the command line's list, not the chat's.
    for args in [
        &["anomalies", "show", "999999"][..],
        &[
            "anomalies",
            "comment",
            "999999",
            "vu",
            "--as",
            "claire.durand@cabinet-durand.fr",
        ],
    ] {
        let unknown = cabready(dir.path(), None, args);
        assert_eq!(unknown.status.code(), Some(1), "{args:?}");
        assert_eq!(
            stderr(&unknown).trim(),
            "aucune anomalie n°999999 dans ce cabinet (la liste : « cabready anomalies list --status toutes »)",
            "{args:?}"
        );
    }

    // Anne works on Nord: refused, with the chat's reason, and nothing changes.
    let refused = cabready(
        dir.path(),
        None,
        &[
            "anomalies",
            "resolve",
            &id,
            "--note",
            "vu",
            "--as",
            "anne.martin@cabinet-durand.fr",
        ],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("⛔ Action refusée\nle dossier D0"),
        "{}",
        stderr(&refused)
    );
    assert!(
        stderr(&refused).contains("portefeuille « Sud »"),
        "{}",
        stderr(&refused)
    );

    // New, it went to the dossier's accountant, Bruno (Sud): he gives it
    // back, then takes it again; Claire (manager) resolves it.
    let unassigned = cabready(
        dir.path(),
        None,
        &[
            "anomalies",
            "assign",
            &id,
            "--to",
            "personne",
            "--as",
            "bruno.petit@cabinet-durand.fr",
        ],
    );
    assert!(
        stdout(&unassigned).contains("— non assignée"),
        "{}",
        stdout(&unassigned)
    );
    let assigned = cabready(
        dir.path(),
        None,
        &[
            "anomalies",
            "assign",
            &id,
            "--to",
            "moi",
            "--as",
            "bruno.petit@cabinet-durand.fr",
        ],
    );
    assert!(assigned.status.success(), "{}", stderr(&assigned));
    assert!(
        stdout(&assigned).contains("assignée à bruno.petit@cabinet-durand.fr"),
        "{}",
        stdout(&assigned)
    );
    let resolved = cabready(
        dir.path(),
        None,
        &[
            "anomalies",
            "resolve",
            &id,
            "--note",
            "client rappelé",
            "--as",
            "claire.durand@cabinet-durand.fr",
        ],
    );
    assert!(resolved.status.success(), "{}", stderr(&resolved));
    let shown = cabready(dir.path(), None, &["anomalies", "show", &id]);
    assert!(stdout(&shown).contains("résolue"), "{}", stdout(&shown));
    // A list of handled anomalies says when each ended and with what note.
    let handled = cabready(
        dir.path(),
        None,
        &["anomalies", "list", "--status", "resolue"],
    );
    let line = stdout(&handled)
        .lines()
        .find(|l| l.starts_with(&format!("#{id} ")))
        .map(str::to_string)
        .unwrap_or_else(|| panic!("#{id} in {}", stdout(&handled)));
    assert!(
        line.ends_with("(résolue le 25/11/2026 10:00 : client rappelé)"),
        "{line}"
    );
    let unknown = cabready(
        dir.path(),
        None,
        &[
            "anomalies",
            "comment",
            &id,
            "vu",
            "--as",
            "nobody@example.fr",
        ],
    );
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        stderr(&unknown).contains("n'est pas un utilisateur de ce cabinet"),
        "{}",
        stderr(&unknown)
    );

    // The journal says who closed it, by name as in the chat, on the
    // console and as CSV for an audit; a bad date is said.
    let by_claire = cabready(
        dir.path(),
        None,
        &["journal", "--by", "claire", "--limit", "1"],
    );
    assert!(by_claire.status.success(), "{}", stderr(&by_claire));
    let said = stdout(&by_claire);
    assert!(
        said.starts_with("25/11/2026 10:00 — claire.durand@cabinet-durand.fr — D0")
            && said.contains(&format!("anomalie #{id} résolue : client rappelé\n")),
        "{said}"
    );
    // Her only line: nothing older to point to. The firm's journal has.
    assert!(!said.contains("il y en a d'autres"), "{said}");
    let latest = stdout(&cabready(dir.path(), None, &["journal", "--limit", "1"]));
    assert!(
        latest.ends_with("… la dernière ; il y en a d'autres avant : --limit pour en voir plus\n"),
        "{latest}"
    );
    let csv = cabready(
        dir.path(),
        None,
        &[
            "journal",
            "--csv",
            "--by",
            "claire.durand@cabinet-durand.fr",
            "--since",
            "25/11/2026",
        ],
    );
    let csv = stdout(&csv);
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some("at,actor,dossier,action,text,details"));
    let last = rows.last().unwrap_or_default();
    assert!(
        last.starts_with("2026-11-25T09:00:00") && last.contains(",anomaly.resolved,"),
        "{csv}"
    );
    let backwards = cabready(
        dir.path(),
        None,
        &["journal", "--since", "2026-11-25", "--until", "2026-11-24"],
    );
    assert_eq!(backwards.status.code(), Some(1));
    assert!(
        stderr(&backwards).contains("--since est après --until"),
        "{}",
        stderr(&backwards)
    );
    let bad = cabready(dir.path(), None, &["journal", "--since", "hier"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad)
            .contains("--since : date illisible « hier » (attendu : 2026-11-01 ou 01/11/2026)"),
        "{}",
        stderr(&bad)
    );
}

/// What a user sees on stderr: words, not a log line ("ERROR
/// cabready::cli::import: … error=Store(…)") nor terminal colours.
fn assert_no_log_line(stderr: &str) {
    for technical in ["ERROR", "WARN", "cabready::", "error=", "\u{1b}["] {
        assert!(
            !stderr.contains(technical),
            "{technical:?} on stderr: {stderr}"
        );
    }
}

#[test]
fn an_unknown_firm_is_said_in_words_with_the_firms_there_are() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.csv"), "platform_invoice_id\n").unwrap();
    // No database yet: how to create a firm, and no log line.
    let empty = cabready(
        dir.path(),
        None,
        &["import", "flux", "--platform", "generic", "x.csv"],
    );
    assert_eq!(empty.status.code(), Some(1));
    let err = stderr(&empty);
    assert_no_log_line(&err);
    assert!(
        err.contains("aucun cabinet dans la base : créez-le avec `cabready onboard --firm NOM"),
        "{err}"
    );
    assert!(!err.contains(": (aucun"), "{err}");

    assert!(cabready(dir.path(), None, &["demo"]).status.success());
    let nope = cabready(
        dir.path(),
        None,
        &[
            "import",
            "flux",
            "--firm",
            "Nope",
            "--platform",
            "generic",
            "x.csv",
        ],
    );
    assert_eq!(nope.status.code(), Some(1));
    let err = stderr(&nope);
    assert_no_log_line(&err);
    assert_eq!(
        err,
        "cabinet « Nope » introuvable ; cabinets de la base : Cabinet Durand & Associés (démo)\n"
    );
    // The same for the other commands, and in English.
    let calendar = cabready(
        dir.path(),
        None,
        &["calendar", "--firm", "Nope", "--lang", "en"],
    );
    assert_eq!(calendar.status.code(), Some(1));
    let err = stderr(&calendar);
    assert_no_log_line(&err);
    assert!(
        err.contains(
            "firm \"Nope\" not found; firms in the database: Cabinet Durand & Associés (démo)"
        ),
        "{err}"
    );
}

#[test]
fn bad_profiles_are_refused_before_any_line_is_read() {
    let dir = tempfile::tempdir().unwrap();
    assert!(cabready(dir.path(), None, &["demo"]).status.success());
    std::fs::write(
        dir.path().join("clean.csv"),
        "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n\
         X-1,F-1,02/11/2026,310079199,732829320,emitted,100.00,120.00,EUR,Paid,,2026-11-02T10:00:00Z,,\n",
    )
    .unwrap();
    let generic = include_str!("../config/platforms/generic.toml");
    for (change, said) in [
        // Used to panic (exit 101) on the first date that did not match.
        (
            ("date_format = \"%Y-%m-%d\"", "date_format = \"%Y-%m-%d %H:%M\""),
            "date_format : « %Y-%m-%d %H:%M » contient une heure ou un fuseau",
        ),
        (
            ("date_format = \"%Y-%m-%d\"", "date_format = \"%Y-%m-%dT%H:%M:%S%:z\""),
            "date_format : « %Y-%m-%dT%H:%M:%S%:z » contient une heure ou un fuseau",
        ),
        (
            ("status = \"status_code\"", "status = \"\""),
            "columns.status : nom de colonne vide",
        ),
        (
            ("", "\n[statuses]\n\"Paid\" = 212\n\"paid\" = 211\n"),
            "clé en double dans [statuses] : « Paid » = 212 et « paid » = 211 (les mots sont comparés sans tenir compte de la casse ni des accents)",
        ),
        (
            ("", "\n[statuses]\n\"Paid\" = \"212\"\n"),
            "alors qu'il faut un code de statut à trois chiffres, de 100 à 999, écrit sans guillemets",
        ),
        // Found as bad.toml, it would be shown as generic.
        (
            ("", ""),
            "name = \"generic\" n'est pas le nom du fichier (bad.toml) : un profil porte le nom de son fichier ; mettez name = \"bad\"",
        ),
        // Would import the seller's SIREN as the buyer's, silently.
        (
            ("buyer_siren = \"buyer_siren\"", "buyer_siren = \"Seller_SIREN\""),
            "seller_siren et buyer_siren désignent la même colonne « seller_siren » : chacun doit avoir la sienne",
        ),
    ] {
        // A key replaced, or (from "") a table added at the end.
        let text = match change {
            ("", table) => format!("{generic}{table}"),
            (from, to) => {
                assert!(generic.contains(from), "{from}");
                generic.replacen(from, to, 1)
            }
        };
        let to = change.1;
        std::fs::write(dir.path().join("bad.toml"), &text).unwrap();
        let out = cabready(
            dir.path(),
            None,
            &["import", "flux", "--platform", "bad.toml", "clean.csv"],
        );
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{to}: {err}");
        assert!(err.starts_with("profil invalide (bad.toml) : "), "{err}");
        assert!(err.contains(said), "{to}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn one_stuck_days_entry_keeps_the_defaults_of_the_other_statuses() {
    let dir = tempfile::tempdir().unwrap();
    assert!(cabready(dir.path(), None, &["demo"]).status.success());
    // Only 200 changes (2 days by default, 30 here): 204 keeps its 15 days.
    std::fs::write(
        dir.path().join("cabready.toml"),
        "[anomalies.stuck_days]\n\"200\" = 30\n",
    )
    .unwrap();
    let shown = cabready(dir.path(), None, &["check-config"]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let out = stdout(&shown);
    assert!(
        out.contains("      200 Déposée : 30 jours (défaut : 2)\n"),
        "{out}"
    );
    assert!(
        out.contains("      204 Prise en charge : 15 jours\n"),
        "{out}"
    );
    assert!(
        out.contains("    factures reçues non prises en charge : 7 jours — not_taken_days\n"),
        "{out}"
    );
    // D001's invoices, 20 days in a status (the clock is 2026-11-25).
    std::fs::write(
        dir.path().join("stuck.csv"),
        "platform_invoice_id,invoice_number,issue_date,seller_siren,buyer_siren,direction,amount_ht,amount_ttc,currency,status_code,status_label,status_at,status_reason,dossier_ref\n\
         S-1,F-STUCK-204,2026-11-02,310079199,732829320,emitted,100.00,120.00,EUR,204,,2026-11-05T10:00:00Z,,\n\
         S-2,F-STUCK-200,2026-11-02,310079199,732829320,emitted,100.00,120.00,EUR,200,,2026-11-05T10:00:00Z,,\n",
    )
    .unwrap();
    let import = cabready(
        dir.path(),
        None,
        &["import", "flux", "--platform", "generic", "stuck.csv"],
    );
    assert_eq!(import.status.code(), Some(0), "{}", stderr(&import));
    let list = cabready(
        dir.path(),
        None,
        &["anomalies", "list", "--rule", "invoice_stuck"],
    );
    assert!(list.status.success(), "{}", stderr(&list));
    let out = stdout(&list);
    assert!(
        out.contains("Facture F-STUCK-204 bloquée au statut 204 Prise en charge"),
        "{out}"
    );
    assert!(out.contains("(limite 15 j)"), "{out}");
    assert!(!out.contains("F-STUCK-200"), "{out}");
}

#[test]
fn a_platform_the_firm_does_not_know_is_a_wrong_argument() {
    let dir = tempfile::tempdir().unwrap();
    assert!(cabready(dir.path(), None, &["demo"]).status.success());
    let export =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/flux/generic-export.csv");
    let args = ["import", "flux", "--platform", "generic", "--source"];
    let typo = cabready(
        dir.path(),
        None,
        &[&args[..], &["Penylane", export.to_str().unwrap()]].concat(),
    );
    assert_eq!(typo.status.code(), Some(2), "{}", stderr(&typo));
    assert!(
        stderr(&typo).contains("« Penylane » (--source) n'est pas une plateforme agréée connue du cabinet ; vouliez-vous dire « Pennylane » ? Plateformes du cabinet : "),
        "{}",
        stderr(&typo)
    );
    let known = cabready(
        dir.path(),
        None,
        &[&args[..], &["pennylane", export.to_str().unwrap()]].concat(),
    );
    // Imported, with the fixture's bad lines left out.
    assert_eq!(known.status.code(), Some(3), "{}", stderr(&known));
}

#[test]
fn closed_anomalies_on_the_command_line_are_those_the_chat_calls_closed() {
    let dir = tempfile::tempdir().unwrap();
    assert!(cabready(dir.path(), None, &["demo"]).status.success());
    let first = stdout(&cabready(
        dir.path(),
        None,
        &["anomalies", "list", "--limit", "1"],
    ));
    let id = first
        .split_whitespace()
        .next()
        .and_then(|w| w.strip_prefix('#'))
        .expect("an anomaly")
        .to_string();
    let resolved = cabready(
        dir.path(),
        None,
        &[
            "anomalies",
            "resolve",
            &id,
            "--note",
            "vu",
            "--as",
            "claire.durand@cabinet-durand.fr",
        ],
    );
    assert!(resolved.status.success(), "{}", stderr(&resolved));
    // Resolved by a person: closed, as the chat's `anomalies closes` says,
    // but not closed by CabReady itself.
    let closed = stdout(&cabready(
        dir.path(),
        None,
        &["anomalies", "list", "--status", "fermee"],
    ));
    assert!(
        closed.contains(&format!("#{id} "))
            && closed.contains("(résolue le 25/11/2026 10:00 : vu)"),
        "{closed}"
    );
    let auto = stdout(&cabready(
        dir.path(),
        None,
        &["anomalies", "list", "--status", "fermee-auto"],
    ));
    assert!(!auto.contains(&format!("#{id} ")), "{auto}");
    // Ages take the calendar's units.
    let old = cabready(
        dir.path(),
        None,
        &["anomalies", "list", "--older-than", "3j"],
    );
    assert!(old.status.success(), "{}", stderr(&old));
    let bad = cabready(
        dir.path(),
        None,
        &["anomalies", "list", "--older-than", "trois"],
    );
    assert!(
        stderr(&bad).contains("--older-than : une durée est attendue (30, 30j, 4s, 2m) (trois)"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn an_import_is_undone_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    assert!(cabready(dir.path(), None, &["demo"]).status.success());
    let dry = cabready(
        dir.path(),
        None,
        &["import", "undo", "pennylane-statuts.csv", "--dry-run"],
    );
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(
        stdout(&dry).starts_with(
            "Simulation, rien n'est changé. Annuler l'import de pennylane-statuts.csv du "
        ),
        "{}",
        stdout(&dry)
    );
    let stranger = cabready(
        dir.path(),
        None,
        &[
            "import",
            "undo",
            "pennylane-statuts.csv",
            "--as",
            "nobody@x.fr",
        ],
    );
    assert_eq!(stranger.status.code(), Some(1));
    let undone = cabready(
        dir.path(),
        None,
        &[
            "import",
            "undo",
            "pennylane-statuts.csv",
            "--as",
            "claire.durand@cabinet-durand.fr",
        ],
    );
    assert!(undone.status.success(), "{}", stderr(&undone));
    let said = stdout(&undone);
    assert!(
        said.starts_with("Import de pennylane-statuts.csv du "),
        "{said}"
    );
    assert!(said.contains(" annulé : "), "{said}");
    assert!(said.contains("close(s) automatiquement"), "{said}");
    // The other sample export, imported in the same run, is no concern of it.
    assert!(!said.contains("gardée"), "{said}");
    // Nothing of it is left: said so; a file never imported gets the others named.
    let again = cabready(
        dir.path(),
        None,
        &["import", "undo", "pennylane-statuts.csv"],
    );
    assert_eq!(again.status.code(), Some(1));
    assert_eq!(
        stderr(&again).trim(),
        "l'import de « pennylane-statuts.csv » a déjà été annulé le 25/11/2026 10:00 : rien d'autre à annuler"
    );
    let never = cabready(dir.path(), None, &["import", "undo", "autre.csv"]);
    assert_eq!(
        stderr(&never).trim(),
        "aucun import de « autre.csv » ; derniers fichiers importés : jefacture-lifecycle.csv"
    );
    let log = stdout(&cabready(dir.path(), None, &["journal", "--limit", "200"]));
    assert!(
        log.contains(
            "— claire.durand@cabinet-durand.fr — import annulé : pennylane-statuts.csv : "
        ),
        "{log}"
    );
}
