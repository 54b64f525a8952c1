//! The Discord adapter at its boundary, with serenity's own types and
//! without reaching Discord: interaction options → core command, core reply
//! → embeds and buttons within Discord's limits.

use cabready_bot::discord::commands::{definitions, to_line};
use cabready_bot::discord::handler::autocomplete_dossiers;
use cabready_bot::discord::render::{self, command_of_button, render};
use cabready_bot::parse::{parse, Command, SortTarget};
use cabready_bot::{Reply, Tone};
use cabready_store::domain::{MandateKind, MandateStatus};
use serde_json::{json, Value};
use serenity::all::CommandData;

fn command_data(name: &str, options: Value) -> CommandData {
    serde_json::from_value(json!({ "id": "1", "name": name, "type": 1, "options": options }))
        .expect("Discord-shaped command data")
}

fn chars(v: &Value) -> usize {
    v.as_str().map(|s| s.chars().count()).unwrap_or(0)
}

#[test]
fn slash_command_definitions_fit_discord_rules() {
    let commands: Vec<Value> = definitions()
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    assert!(commands.len() >= 8 && commands.len() <= 100);
    for command in &commands {
        let name = command["name"].as_str().unwrap();
        assert!(
            name.len() <= 32 && name.chars().all(|c| c.is_lowercase() || c == '-'),
            "{name}"
        );
        assert!(
            (1..=100).contains(&chars(&command["description"])),
            "{name}"
        );
        let options = command["options"].as_array().cloned().unwrap_or_default();
        assert!(options.len() <= 25);
        let mut seen_optional = false;
        for option in &options {
            assert!(
                chars(&option["description"]) <= 100,
                "{name}.{}",
                option["name"]
            );
            let required = option["required"].as_bool().unwrap_or(false);
            assert!(
                !(required && seen_optional),
                "{name}: required options come first"
            );
            seen_optional |= !required;
            assert!(option["choices"].as_array().map_or(0, Vec::len) <= 25);
        }
    }
    let dossier = &commands.iter().find(|c| c["name"] == "dossier").unwrap()["options"][0];
    assert_eq!(dossier["autocomplete"], true, "dossiers are autocompleted");
}

#[test]
fn interaction_options_become_core_commands() {
    let data = command_data(
        "mandat",
        json!([
            { "name": "dossier", "type": 3, "value": "Garage des Tilleuls" },
            { "name": "statut", "type": 3, "value": "signe" },
            { "name": "type", "type": 3, "value": "facturation" },
            { "name": "note", "type": 3, "value": "reçu par courrier\nsigné" }
        ]),
    );
    let line = to_line(&data).unwrap();
    assert_eq!(
        line,
        "mandat \"Garage des Tilleuls\" facturation signe reçu par courrier signé"
    );
    assert_eq!(
        parse(&line).unwrap().command,
        Command::Mandate {
            dossier: "Garage des Tilleuls".into(),
            kind: MandateKind::Invoicing,
            status: MandateStatus::Signed,
            note: Some("reçu par courrier signé".into()),
        }
    );

    // Without a status: the dossier's mandates (the type alone is not a change).
    let show = command_data(
        "mandat",
        json!([
            { "name": "dossier", "type": 3, "value": "Garage des Tilleuls" },
            { "name": "type", "type": 3, "value": "facturation" }
        ]),
    );
    let line = to_line(&show).unwrap();
    assert_eq!(line, "mandat \"Garage des Tilleuls\"");
    assert_eq!(
        parse(&line).unwrap().command,
        Command::MandateShow("Garage des Tilleuls".into())
    );

    let platform = command_data(
        "plateforme",
        json!([
            { "name": "dossier", "type": 3, "value": "Garage des Tilleuls" },
            { "name": "nom", "type": 3, "value": "jefacture.com" },
            { "name": "etat", "type": 3, "value": "compte-ouvert" },
            { "name": "correction", "type": 5, "value": true }
        ]),
    );
    let line = to_line(&platform).unwrap();
    assert_eq!(
        line,
        "plateforme \"Garage des Tilleuls\" jefacture.com compte-ouvert correction"
    );
    assert_eq!(
        parse(&line).unwrap().command,
        Command::Platform {
            dossier: "Garage des Tilleuls".into(),
            platform: "jefacture.com".into(),
            state: Some(cabready_store::domain::PlatformState::AccountOpen),
            correction: true,
        }
    );
    let chosen = command_data(
        "plateforme",
        json!([
            { "name": "dossier", "type": 3, "value": "D002" },
            { "name": "nom", "type": 3, "value": "Pennylane" }
        ]),
    );
    assert_eq!(to_line(&chosen).unwrap(), "plateforme D002 Pennylane");
    // "aucune", offered by the autocomplete, removes the dossier's platform.
    let removal = command_data(
        "plateforme",
        json!([
            { "name": "dossier", "type": 3, "value": "Garage des Tilleuls" },
            { "name": "nom", "type": 3, "value": "aucune" }
        ]),
    );
    assert_eq!(
        parse(&to_line(&removal).unwrap()).unwrap().command,
        Command::PlatformRemoval {
            dossier: "Garage des Tilleuls".into()
        }
    );

    let pret = command_data(
        "pret",
        json!([{ "name": "portefeuille", "type": 3, "value": "Nord Est" }, { "name": "page", "type": 4, "value": 2 }]),
    );
    assert_eq!(
        to_line(&pret).unwrap(),
        "pret portefeuille \"Nord Est\" page 2"
    );
    let mandats = command_data(
        "mandats",
        json!([{ "name": "en-retard", "type": 5, "value": true }]),
    );
    assert_eq!(to_line(&mandats).unwrap(), "mandats en-retard");
    let journal = command_data(
        "journal",
        json!([{ "name": "dossier", "type": 3, "value": "D002" }, { "name": "n", "type": 4, "value": 5 }]),
    );
    assert_eq!(
        parse(&to_line(&journal).unwrap()).unwrap().command,
        Command::Journal {
            dossier: "D002".into(),
            count: 5
        }
    );
    assert_eq!(
        to_line(&command_data("calendrier", json!([]))).unwrap(),
        "calendrier"
    );

    let card = command_data(
        "anomalies",
        json!([{ "name": "numero", "type": 4, "value": 7 }]),
    );
    assert_eq!(
        parse(&to_line(&card).unwrap()).unwrap().command,
        Command::AnomalyCard(7)
    );

    let assign = command_data(
        "assigner",
        json!([{ "name": "numero", "type": 4, "value": 12 }, { "name": "utilisateur", "type": 6, "value": "123456789012345678" }]),
    );
    let line = to_line(&assign).unwrap();
    assert_eq!(line, "assigner 12 <@123456789012345678>");
    assert!(matches!(
        parse(&line).unwrap().command,
        Command::Anomaly { id: 12, .. }
    ));
    let me = command_data(
        "assigner",
        json!([{ "name": "numero", "type": 4, "value": 12 }]),
    );
    assert_eq!(to_line(&me).unwrap(), "assigner 12 moi");
    let dismiss = command_data(
        "ignorer",
        json!([{ "name": "numero", "type": 4, "value": 3 }, { "name": "raison", "type": 3, "value": "doublon\nconnu" }]),
    );
    assert_eq!(to_line(&dismiss).unwrap(), "ignorer 3 doublon connu");
    let tie = command_data(
        "trier",
        json!([{ "name": "numero", "type": 4, "value": 5 }, { "name": "dossier", "type": 3, "value": "Garage des Tilleuls" }]),
    );
    let line = to_line(&tie).unwrap();
    assert_eq!(line, "trier 5 \"Garage des Tilleuls\"");
    assert!(matches!(
        parse(&line).unwrap().command,
        Command::Sort { id: 5, target: SortTarget::Dossier(ref d) } if d == "Garage des Tilleuls"
    ));
    let aside = command_data(
        "trier",
        json!([{ "name": "numero", "type": 4, "value": 6 }, { "name": "ignorer", "type": 3, "value": "publicité" }]),
    );
    assert_eq!(to_line(&aside).unwrap(), "trier 6 ignorer publicité");
    let settle = command_data(
        "regler",
        json!([{ "name": "numero", "type": 4, "value": 8 }, { "name": "issue", "type": 3, "value": "non-envoyee" }]),
    );
    assert_eq!(
        parse(&to_line(&settle).unwrap()).unwrap().command,
        Command::Settle { id: 8, sent: false }
    );
    let neither = command_data(
        "trier",
        json!([{ "name": "numero", "type": 4, "value": 6 }]),
    );
    assert!(to_line(&neither).is_err());

    let missing = command_data("dossier", json!([]));
    assert_eq!(
        to_line(&missing),
        Err("option « dossier » manquante".to_string())
    );
    // A value cannot smuggle a second command or break the quoting.
    let sneaky = command_data(
        "dossier",
        json!([{ "name": "dossier", "type": 3, "value": "D001\" page 9 \"x" }]),
    );
    assert_eq!(to_line(&sneaky).unwrap(), "dossier \"D001  page 9  x\"");
}

fn huge_reply() -> Reply {
    let mut reply = Reply::new(Tone::Info, "T".repeat(400)).with_description("d".repeat(5000));
    for i in 0..30 {
        reply = reply.field(format!("champ {i} {}", "n".repeat(300)), "v".repeat(2000));
    }
    for s in 0..5 {
        reply = reply.section(
            format!("section {s}"),
            (0..200)
                .map(|i| format!("élément {i} {}", "x".repeat(40)))
                .collect(),
        );
    }
    for a in 0..40 {
        reply = reply.action(
            format!("action {a} {}", "l".repeat(100)),
            format!("dossier D{a:03}"),
        );
    }
    reply.action("trop long", "x".repeat(200))
}

#[test]
fn replies_are_rendered_within_discord_limits() {
    let rendered = render(&huge_reply());
    let embed = serde_json::to_value(&rendered.embed).unwrap();
    assert!(chars(&embed["title"]) <= render::TITLE_MAX);
    assert!(chars(&embed["description"]) <= render::DESCRIPTION_MAX);
    let fields = embed["fields"].as_array().unwrap();
    assert!(fields.len() <= render::FIELDS_MAX);
    let mut total =
        chars(&embed["title"]) + chars(&embed["description"]) + chars(&embed["footer"]["text"]);
    for field in fields {
        assert!(chars(&field["name"]) <= render::FIELD_NAME_MAX);
        assert!(chars(&field["value"]) <= render::FIELD_VALUE_MAX);
        assert!(
            chars(&field["value"]) > 0,
            "Discord refuses empty field values"
        );
        total += chars(&field["name"]) + chars(&field["value"]);
    }
    assert!(total <= render::EMBED_TOTAL_MAX, "{total} characters");
    assert_eq!(total, rendered.embed_chars);
    assert!(
        chars(&embed["title"]) == render::TITLE_MAX
            && embed["title"].as_str().unwrap().ends_with('…'),
        "cuts are marked"
    );

    let rows: Vec<Value> = rendered
        .components
        .iter()
        .map(|r| serde_json::to_value(r).unwrap())
        .collect();
    assert!(rows.len() <= render::ROWS_MAX);
    let mut ids = Vec::new();
    for row in &rows {
        let buttons = row["components"].as_array().unwrap();
        assert!(buttons.len() <= render::BUTTONS_PER_ROW);
        for b in buttons {
            let id = b["custom_id"].as_str().unwrap();
            assert!(id.len() <= render::CUSTOM_ID_MAX);
            assert!(chars(&b["label"]) <= render::BUTTON_LABEL_MAX);
            ids.push(id.to_string());
        }
    }
    assert_eq!(
        ids.len(),
        25,
        "5 rows of 5; the action too long for a custom id is dropped"
    );
    assert_eq!(command_of_button(&ids[0]), Some("dossier D000"));
    assert_eq!(command_of_button("other|x"), None);
    assert!(!rendered.ephemeral);
}

#[test]
fn errors_and_refusals_are_ephemeral() {
    assert!(render(&Reply::error("Dossier introuvable", "…")).ephemeral);
    assert!(render(&Reply::new(Tone::Refused, "Action refusée")).ephemeral);
    assert!(!render(&Reply::success("Mandat mis à jour")).ephemeral);
}

#[test]
fn autocomplete_offers_at_most_25_dossiers() {
    let all: Vec<(String, String)> = (0..100)
        .map(|i| (format!("D{i:03}"), format!("Société {i}")))
        .collect();
    assert_eq!(autocomplete_dossiers(&all, "").len(), 25);
    let garage = vec![
        ("D002".to_string(), "Garage des Tilleuls".to_string()),
        ("D003".into(), "Boulangerie".into()),
    ];
    assert_eq!(
        autocomplete_dossiers(&garage, "tilleul"),
        vec![("D002 — Garage des Tilleuls".to_string(), "D002".to_string())]
    );
}
