//! Golden files: every `tests/fixtures/replies/*.eml` is read by the pure
//! pipeline (parse → classify → keys → strip → intent) and compared with
//! its `*.expected.json` (only the fields the file lists). Prints a table
//! per label; fails on any difference, on a bounce or auto-reply not
//! recognised, and on any reply wrongly read as signed.

use cabready_mailer::inbound::{read, Settings};
use cabready_mailer::token::Signer;
use chrono::{TimeZone, Utc};
use std::collections::BTreeMap;
use std::path::Path;

fn settings() -> Settings {
    Settings {
        own_domains: vec!["cabinet.example".into()],
        platforms: [
            "Pennylane",
            "Qonto",
            "Sage",
            "Cegid",
            "Tiime",
            "jefacture.com",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
    }
}

#[test]
fn reply_fixtures_read_as_expected() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replies");
    let signer = Signer::new(b"cabready-fixtures-hmac-key").unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "only {} fixtures", files.len());
    let mut per_label: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut wrongly_signed = Vec::new();
    for path in &files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read(path).unwrap();
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(path.with_extension("expected.json")).unwrap(),
        )
        .unwrap();
        let got = match read(&raw, Some(&signer), &settings(), now) {
            Some(reading) => reading.to_json(&name, None),
            None => serde_json::json!({ "kind": null }),
        };
        let label = match (&expected["kind"], &expected["intent"]) {
            (serde_json::Value::String(k), serde_json::Value::String(i)) => format!("{k}/{i}"),
            (serde_json::Value::String(k), _) => k.clone(),
            _ => "unreadable".into(),
        };
        let mut ok = true;
        for (field, want) in expected.as_object().unwrap() {
            if got[field] != *want {
                ok = false;
                failures.push(format!(
                    "{name}: {field} expected {want}, got {} — visible text: {:?}",
                    got[field], got["visible_text"]
                ));
            }
        }
        let signed = |v: &serde_json::Value| {
            matches!(v.as_str(), Some("signed_attached" | "signed_elsewhere"))
        };
        if signed(&got["intent"]) && !signed(&expected["intent"]) {
            wrongly_signed.push(name.clone());
        }
        let slot = per_label.entry(label).or_default();
        slot.0 += 1;
        if ok {
            slot.1 += 1;
        }
    }
    println!(
        "{:<32} {:>5} {:>5} {:>7}",
        "label", "files", "right", "accuracy"
    );
    let (mut total, mut right) = (0, 0);
    for (label, (n, ok)) in &per_label {
        total += n;
        right += ok;
        println!(
            "{label:<32} {n:>5} {ok:>5} {:>6.0}%",
            100.0 * *ok as f64 / *n as f64
        );
    }
    println!(
        "{:<32} {total:>5} {right:>5} {:>6.0}%",
        "all",
        100.0 * right as f64 / total as f64
    );
    assert!(
        wrongly_signed.is_empty(),
        "read as signed: {wrongly_signed:?}"
    );
    assert!(
        failures.is_empty(),
        "{} difference(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
