//! The readiness audit report, rendered by a real browser: `cabready demo`,
//! then `cabready report --out`, then headless Chromium dumps the DOM it
//! built and takes a screenshot, which must decode and not be blank.
//! (`scripts/test-env up` installs Debian's `chromium` when it is missing.)

use std::path::Path;
use std::process::{Command, Output};

const NOW: &str = "2026-11-25T09:00:00+01:00";

fn cabready(dir: &Path, args: &[&str]) -> Output {
    let mut command = cabready_testkit::cli::command(env!("CARGO_BIN_EXE_cabready"), dir);
    command.env("CABREADY_NOW", NOW);
    command.args(args).output().expect("run cabready")
}

fn chromium(dir: &Path, args: &[&str]) -> Output {
    let profile = dir.join("chromium-profile");
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            &format!("--user-data-dir={}", profile.display()),
        ])
        .args(args)
        .output()
        .expect("chromium must be installed (scripts/test-env up installs it)")
}

#[test]
fn the_audit_report_renders_in_a_browser() {
    let dir = tempfile::tempdir().unwrap();
    let demo = cabready(dir.path(), &["demo"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let demo_out = String::from_utf8_lossy(&demo.stdout);
    assert!(demo_out.contains("Préparation à la facturation électronique"));
    assert!(demo_out.contains("Aperçu de la synthèse quotidienne"));
    assert!(dir.path().join("cabready-data/digest-preview.eml").exists());

    let report = dir.path().join("report.html");
    let out = cabready(dir.path(), &["report", "--out", report.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "self-contained"
    );
    assert!(html.contains("data:image/png;base64,"));

    let url = format!("file://{}", report.display());
    let dom = chromium(dir.path(), &["--dump-dom", &url]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("Audit de préparation à la facturation électronique"));
    // The browser built the three tables: portfolios, plan and dossiers.
    for id in ["portfolios", "plan", "dossiers"] {
        assert!(dom.contains(&format!("<table id=\"{id}\">")), "table {id}");
    }
    let dossier_rows = dom.matches("<tr class=\"dossier\">").count();
    assert_eq!(dossier_rows, 40, "one row per demo dossier");
    assert!(dom.contains("D002 Garage des Tilleuls"));
    assert!(dom.contains("estimation, pas un avis juridique"));

    let shot = dir.path().join("report.png");
    let screenshot = chromium(
        dir.path(),
        &[
            "--window-size=1100,1600",
            &format!("--screenshot={}", shot.display()),
            &url,
        ],
    );
    assert!(
        screenshot.status.success(),
        "{}",
        String::from_utf8_lossy(&screenshot.stderr)
    );
    let bytes = std::fs::read(&shot).unwrap();
    let decoder = png::Decoder::new(bytes.as_slice());
    let mut reader = decoder.read_info().expect("the screenshot is a PNG");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!((info.width, info.height), (1100, 1600));
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let dark = pixels
        .chunks(channels)
        .filter(|p| p.iter().take(3).all(|c| *c < 128))
        .count();
    let share = dark as f64 / (pixels.len() / channels) as f64;
    assert!(share > 0.005, "text and charts are drawn: {share}");
    assert!(share < 0.5, "not a dark block: {share}");
}
