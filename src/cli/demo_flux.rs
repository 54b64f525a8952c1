//! The demo's invoice flows: two sample exports from two platforms
//! (`tests/fixtures/flux/`), imported into the demo firm through the same
//! import as a real firm's, then the anomaly queue as an accountant sees it.

use super::anomalies::render_line;
use crate::AppContext;
use anyhow::{anyhow, Result};
use cabready_import::flux::{self, profile, FluxRequest, DEFAULT_BATCH};
use cabready_store::anomalies::{self, Filter};
use cabready_store::{Lang, Store};

/// (file name, profile, platform, contents).
const EXPORTS: &[(&str, &str, &str, &[u8])] = &[
    (
        "pennylane-statuts.csv",
        "fr-excel",
        "Pennylane",
        include_bytes!("../../tests/fixtures/flux/fr-excel-export.csv"),
    ),
    (
        "jefacture-lifecycle.csv",
        "iso-offset",
        "jefacture.com",
        include_bytes!("../../tests/fixtures/flux/iso-offset-export.csv"),
    ),
];

/// Imports the sample exports into the demo firm (idempotent: a second
/// demo imports nothing new) and prints the anomaly queue's summary.
pub async fn run(ctx: &AppContext, store: &Store, firm: &str) -> Result<()> {
    let lang = ctx.lang;
    let dir = ctx.config.data_dir.join("demo");
    std::fs::create_dir_all(&dir)?;
    println!();
    println!(
        "{}",
        lang.pick(
            "Flux de factures des plateformes agréées",
            "Invoice flows from the approved platforms"
        )
    );
    for (name, profile_name, platform, bytes) in EXPORTS {
        let path = dir.join(name);
        std::fs::write(&path, bytes)?;
        let request = FluxRequest {
            firm: Some(firm.to_string()),
            profile: profile::resolve(profile_name, None).map_err(|e| anyhow!(e.message(lang)))?,
            source: Some(platform.to_string()),
            files: vec![path],
            dry_run: false,
            limits: ctx.config.anomalies.clone(),
            progress: false,
            batch_size: DEFAULT_BATCH,
            evaluate: true,
        };
        let report = flux::run(store, &ctx.clock, &request, lang)
            .await
            .map_err(|e| anyhow!(e.message(lang)))?;
        println!(
            "$ cabready import flux --platform {profile_name} --source {platform} {}",
            name
        );
        for line in report.render(lang).lines().skip(1) {
            println!("  {line}");
        }
    }

    let mut conn = store.pool().acquire().await?;
    let firm_id = cabready_store::firms::resolve(&mut conn, Some(firm))
        .await?
        .id;
    let summary = anomalies::summary(&mut conn, firm_id).await?;
    let top = anomalies::list(
        &mut conn,
        firm_id,
        &Filter {
            limit: Some(10),
            ..Default::default()
        },
        ctx.clock.now(),
    )
    .await?;
    drop(conn);
    println!();
    println!(
        "{}{}{} ({} {}, {} {}, {} {})",
        lang.pick("File des anomalies", "Anomaly queue"),
        lang.colon(),
        summary.total(),
        summary.critical,
        lang.pick("critiques", "critical"),
        summary.warning,
        lang.pick("alertes", "warnings"),
        summary.info,
        lang.pick("infos", "info"),
    );
    for (rule, n) in &summary.by_rule {
        println!(
            "  {:>3}  {}",
            n,
            cabready_store::anomalies::rules::label(rule, lang)
        );
    }
    println!();
    println!("{}", lang.pick("Les plus urgentes :", "Most urgent:"));
    for a in &top {
        println!("  {}", render_line(a, lang));
    }
    println!();
    println!(
        "{}",
        match lang {
            Lang::Fr => "Pour aller plus loin : cabready anomalies list --severity critique ; cabready anomalies assign ID --to anne.martin@cabinet-durand.fr --as claire.durand@cabinet-durand.fr",
            Lang::En => "Next: cabready anomalies list --severity critical; cabready anomalies assign ID --to anne.martin@cabinet-durand.fr --as claire.durand@cabinet-durand.fr",
        }
    );
    Ok(())
}
