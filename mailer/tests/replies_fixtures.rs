//! The reply corpus and its accuracy: every `tests/fixtures/mail/*.eml`
//! (at the repository root) is read by the pure pipeline (parse → classify
//! → keys → strip → intent) and compared with its `*.expected.json` (only
//! the fields the file lists; `SOURCES.md` says where each message comes
//! from). The test prints a table (per expected label: files and right;
//! then kind, bounce type, intent and postponed-date accuracy) and the
//! list of mismatches, and fails only under the floors of issue 6:
//!
//! - every bounce and every auto-reply recognised as such (kind);
//! - no reply read as signed (`signed_attached`, `signed_elsewhere`) when it is not;
//! - at least 90 % of the human replies' intents right.
//!
//! Run with `--nocapture` to see the table; it is also in the failure message.

use cabready_mailer::inbound::{read, Settings};
use cabready_mailer::token::Signer;
use chrono::{TimeZone, Utc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The floors.
const MIN_INTENT_ACCURACY: f64 = 0.90;
const MIN_FILES: usize = 80;

fn settings() -> Settings {
    Settings {
        own_domains: vec!["cabinet.example".into()],
        platforms: cabready_store::platforms::DEFAULT_PLATFORMS
            .iter()
            .map(|s| s.to_string())
            .collect(),
    }
}

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/mail")
}

/// Right / total, counted per key.
#[derive(Default)]
struct Tally(BTreeMap<String, (usize, usize)>);

impl Tally {
    fn add(&mut self, key: &str, right: bool) {
        let slot = self.0.entry(key.to_string()).or_default();
        slot.0 += 1;
        if right {
            slot.1 += 1;
        }
    }

    fn totals(&self) -> (usize, usize) {
        self.0
            .values()
            .fold((0, 0), |(n, r), (a, b)| (n + a, r + b))
    }
}

fn ratio(right: usize, total: usize) -> f64 {
    if total == 0 {
        1.0
    } else {
        right as f64 / total as f64
    }
}

fn row(out: &mut String, label: &str, total: usize, right: usize) {
    let _ = writeln!(
        out,
        "{label:<34} {total:>5} {right:>5} {:>8.1}%",
        100.0 * ratio(right, total)
    );
}

fn as_label(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

#[test]
fn reply_corpus_accuracy() {
    let dir = corpus_dir();
    let signer = Signer::new(b"cabready-fixtures-hmac-key").unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= MIN_FILES,
        "only {} messages in {}",
        files.len(),
        dir.display()
    );

    let mut per_label = Tally::default();
    let mut kind = Tally::default();
    let mut bounce_type = Tally::default();
    let mut intent = Tally::default();
    let mut postponed = Tally::default();
    let mut other_fields = Tally::default();
    let mut mismatches = Vec::new();
    let mut missed_automatic = Vec::new();
    let mut wrongly_signed = Vec::new();

    for path in &files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let raw = std::fs::read(path).unwrap();
        let expected_path = path.with_extension("expected.json");
        let expected: Value = serde_json::from_str(
            &std::fs::read_to_string(&expected_path)
                .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", expected_path.display()));
        let expected = expected
            .as_object()
            .unwrap_or_else(|| panic!("{name}: the expected file is not an object"));
        let got = match read(&raw, Some(&signer), &settings(), now) {
            Some(reading) => reading.to_json(&name, None),
            None => serde_json::json!({ "kind": null }),
        };

        let want_kind = expected.get("kind").cloned().unwrap_or(Value::Null);
        let label = match (want_kind.as_str(), expected.get("intent")) {
            (Some(k), Some(Value::String(i))) => format!("{k}/{i}"),
            (Some("bounce"), _) => format!(
                "bounce/{}",
                as_label(expected.get("bounce_type").unwrap_or(&Value::Null))
            ),
            (Some(k), _) => k.to_string(),
            (None, _) => "unreadable".into(),
        };

        let mut all_right = true;
        for (field, want) in expected {
            let right = got[field] == *want;
            all_right &= right;
            if !right {
                mismatches.push(format!(
                    "{name}: {field} expected {want}, got {} | visible text: {:?}",
                    got[field],
                    got["visible_text"]
                        .as_str()
                        .unwrap_or_default()
                        .chars()
                        .take(160)
                        .collect::<String>()
                ));
            }
            let key = match field.as_str() {
                "kind" => {
                    kind.add(&as_label(want), right);
                    continue;
                }
                "bounce_type" if want_kind == "bounce" => {
                    bounce_type.add(&as_label(want), right);
                    continue;
                }
                "intent" if want_kind == "reply" => {
                    intent.add(&as_label(want), right);
                    continue;
                }
                "postponed_until" if !want.is_null() => {
                    postponed.add(want_kind.as_str().unwrap_or("?"), right);
                    continue;
                }
                other => other,
            };
            other_fields.add(key, right);
        }
        per_label.add(&label, all_right);

        if matches!(want_kind.as_str(), Some("bounce" | "autoreply")) && got["kind"] != want_kind {
            missed_automatic.push(format!("{name} ({want_kind} read as {})", got["kind"]));
        }
        let signed = |v: &Value| matches!(v.as_str(), Some("signed_attached" | "signed_elsewhere"));
        if signed(&got["intent"]) && !expected.get("intent").is_some_and(signed) {
            wrongly_signed.push(format!(
                "{name} (expected {}, read {})",
                as_label(expected.get("intent").unwrap_or(&Value::Null)),
                got["intent"]
            ));
        }
    }

    let mut table = String::new();
    let _ = writeln!(
        table,
        "{:<34} {:>5} {:>5} {:>9}",
        "expected label (all fields)", "files", "right", "accuracy"
    );
    for (label, (n, ok)) in &per_label.0 {
        row(&mut table, label, *n, *ok);
    }
    let (n, ok) = per_label.totals();
    row(&mut table, "all messages", n, ok);
    for (title, tally) in [
        ("kind", &kind),
        ("bounce type", &bounce_type),
        ("intent (human replies)", &intent),
        ("postponed / return date", &postponed),
        ("other fields", &other_fields),
    ] {
        let _ = writeln!(table, "\n{title}");
        for (label, (n, ok)) in &tally.0 {
            row(&mut table, &format!("  {label}"), *n, *ok);
        }
        let (n, ok) = tally.totals();
        row(&mut table, "  all", n, ok);
    }
    let (intents, intents_right) = intent.totals();
    let intent_accuracy = ratio(intents_right, intents);
    let _ = writeln!(
        table,
        "\nfloors: bounces and auto-replies missed {} (0 allowed); read as signed wrongly {} (0 allowed); intents {:.1}% ({:.0}% needed)",
        missed_automatic.len(),
        wrongly_signed.len(),
        100.0 * intent_accuracy,
        100.0 * MIN_INTENT_ACCURACY
    );
    if !mismatches.is_empty() {
        let _ = writeln!(table, "\n{} mismatch(es):", mismatches.len());
        for m in &mismatches {
            let _ = writeln!(table, "  {m}");
        }
    }
    println!("{table}");

    assert!(
        missed_automatic.is_empty(),
        "bounces or auto-replies not recognised: {missed_automatic:?}\n\n{table}"
    );
    assert!(
        wrongly_signed.is_empty(),
        "replies wrongly read as signed: {wrongly_signed:?}\n\n{table}"
    );
    assert!(
        intent_accuracy >= MIN_INTENT_ACCURACY,
        "intent accuracy {:.1}% is under {:.0}%\n\n{table}",
        100.0 * intent_accuracy,
        100.0 * MIN_INTENT_ACCURACY
    );
}
