//! The readiness audit report (the firm's "audit readiness" deliverable):
//! one self-contained HTML page — inline CSS, charts as `data:` URIs, no
//! external resource — with the firm's situation, each dossier's gaps and a
//! migration plan ordered by deadline; printable to PDF from a browser.

use crate::digest::chart;
use base64::Engine;
use cabready_store::clock::show_date;
use cabready_store::readiness::inputs::Inputs;
use cabready_store::readiness::text::{
    exposure_range, missing_line, NOT_LEGAL_ADVICE_EN, NOT_LEGAL_ADVICE_FR,
};
use cabready_store::readiness::{aggregate, by_portfolio, Readiness, State};
use cabready_store::Lang;
use chrono::NaiveDate;

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn data_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

const CSS: &str = "
body{font-family:'DejaVu Sans',Arial,Helvetica,sans-serif;color:#1b1b1b;margin:0;background:#f4f5f7}
main{max-width:980px;margin:0 auto;background:#fff;padding:32px 40px}
h1{color:#1f4e79;font-size:26px;margin:0 0 4px}
h2{color:#1f4e79;font-size:19px;border-bottom:2px solid #1f4e79;padding-bottom:4px;margin-top:32px}
h3{font-size:15px;margin:18px 0 6px}
.sub{color:#555;margin:0 0 20px}
.kpis{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.kpi{flex:1;min-width:120px;border:1px solid #dde3ea;border-radius:6px;padding:10px 12px}
.kpi b{display:block;font-size:24px;color:#1f4e79}
.late b{color:#a61b1b}.risk b{color:#b36b00}.ok b{color:#2e7d32}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{border:1px solid #dde3ea;padding:5px 7px;text-align:left;vertical-align:top}
th{background:#eef2f6}
.state-late{color:#a61b1b;font-weight:bold}.state-at_risk{color:#b36b00;font-weight:bold}
.state-on_track{color:#1f4e79}.state-ready{color:#2e7d32}
.charts img{width:100%;max-width:640px;display:block;margin:8px 0}
.note{font-size:12px;color:#555}
ul{margin:4px 0;padding-left:20px}
@media print{body{background:#fff}main{padding:0;max-width:none}h2{page-break-after:avoid}
 .dossier{page-break-inside:avoid}table{page-break-inside:auto}tr{page-break-inside:avoid}
 @page{size:A4;margin:15mm}}
";

/// The report's HTML.
pub fn render(
    firm: &str,
    portfolio: Option<&str>,
    today: NaiveDate,
    assessed: &[(Inputs, Readiness)],
    trend: &[(NaiveDate, u8)],
    lang: Lang,
) -> anyhow::Result<String> {
    let agg = aggregate(assessed.iter().map(|(_, r)| r));
    let t = |fr: &'static str, en: &'static str| lang.pick(fr, en);
    let scope = portfolio
        .map(|p| format!(" — {} {}", t("portefeuille", "portfolio"), esc(p)))
        .unwrap_or_default();
    let mut h = String::new();
    h.push_str(&format!(
        "<!DOCTYPE html><html lang=\"{}\"><head><meta charset=\"utf-8\"><title>{} — {}</title><style>{CSS}</style></head><body><main>",
        if lang == Lang::Fr { "fr" } else { "en" },
        t("Audit de préparation à la facturation électronique", "E-invoicing readiness audit"),
        esc(firm)
    ));
    h.push_str(&format!(
        "<h1>{}</h1><p class=\"sub\">{}{scope} — {} {}</p>",
        t(
            "Audit de préparation à la facturation électronique",
            "E-invoicing readiness audit"
        ),
        esc(firm),
        t("situation au", "as of"),
        show_date(today, lang)
    ));

    // 1. The situation.
    h.push_str(&format!("<h2>1. {}</h2>", t("Situation", "Situation")));
    h.push_str("<div class=\"kpis\">");
    for (class, label, value) in [
        ("", t("Score", "Score"), format!("{}/100", agg.score)),
        ("", t("Dossiers", "Dossiers"), agg.dossiers.to_string()),
        ("late", State::Late.label(lang), agg.late.to_string()),
        ("risk", State::AtRisk.label(lang), agg.at_risk.to_string()),
        ("", State::OnTrack.label(lang), agg.on_track.to_string()),
        ("ok", State::Ready.label(lang), agg.ready.to_string()),
    ] {
        h.push_str(&format!(
            "<div class=\"kpi {class}\"><b>{}</b>{}</div>",
            esc(&value),
            esc(label)
        ));
    }
    h.push_str("</div>");
    if agg.late > 0 {
        h.push_str(&format!(
            "<p><strong>{}</strong> : {}</p>",
            t(
                "Exposition aux pénalités des dossiers en retard",
                "Penalty exposure of the late dossiers"
            ),
            esc(&exposure_range(agg.exposure_low, agg.exposure_high, lang))
        ));
    }
    let states: Vec<(String, i64)> = State::ALL
        .iter()
        .map(|s| (s.label(lang).to_string(), agg.count(*s) as i64))
        .collect();
    h.push_str("<div class=\"charts\">");
    h.push_str(&format!(
        "<img alt=\"{}\" src=\"{}\">",
        t("Dossiers par état", "Dossiers by state"),
        data_uri(&chart::bars_png(
            t("Dossiers par état", "Dossiers by state"),
            &states
        )?)
    ));
    if trend.len() > 1 {
        h.push_str(&format!(
            "<img alt=\"{}\" src=\"{}\">",
            t("Évolution du score", "Score trend"),
            data_uri(&chart::trend_png(
                t("Évolution du score", "Score trend"),
                trend
            )?)
        ));
    }
    h.push_str("</div>");
    let portfolios = by_portfolio(assessed);
    if portfolios.len() > 1 {
        h.push_str(&format!(
            "<h3>{}</h3><table id=\"portfolios\"><tr><th>{}</th><th>Score</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            t("Par portefeuille", "By portfolio"),
            t("Portefeuille", "Portfolio"),
            t("Dossiers", "Dossiers"),
            State::Late.label(lang),
            State::AtRisk.label(lang),
            State::OnTrack.label(lang),
            State::Ready.label(lang)
        ));
        for (name, a) in &portfolios {
            h.push_str(&format!(
                "<tr><td>{}</td><td>{}/100</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(name.as_deref().unwrap_or("—")),
                a.score, a.dossiers, a.late, a.at_risk, a.on_track, a.ready
            ));
        }
        h.push_str("</table>");
    }

    // 2. The migration plan: every missing step, soonest (or most overdue) first.
    h.push_str(&format!(
        "<h2>2. {}</h2><p class=\"note\">{}</p>",
        t("Plan de migration", "Migration plan"),
        t(
            "Chaque étape manquante, de la plus en retard à la plus lointaine.",
            "Every missing step, most overdue first."
        )
    ));
    let mut plan: Vec<(Option<NaiveDate>, &Inputs, String)> = Vec::new();
    for (input, r) in assessed {
        for line in r.missing() {
            plan.push((
                line.due.or(Some(today)),
                input,
                missing_line(line, today, lang),
            ));
        }
    }
    plan.sort_by(|a, b| (a.0, &a.1.code).cmp(&(b.0, &b.1.code)));
    h.push_str(&format!(
        "<table id=\"plan\"><tr><th>{}</th><th>{}</th><th>{}</th></tr>",
        t("Échéance", "Due"),
        t("Dossier", "Dossier"),
        t("Étape", "Step")
    ));
    for (due, input, line) in &plan {
        h.push_str(&format!(
            "<tr><td>{}</td><td>{} {}</td><td>{}</td></tr>",
            due.map(|d| show_date(d, lang)).unwrap_or_default(),
            esc(&input.code),
            esc(&input.legal_name),
            esc(line)
        ));
    }
    h.push_str("</table>");

    // 3. Each dossier's gaps.
    h.push_str(&format!(
        "<h2>3. {}</h2>",
        t("Dossier par dossier", "Dossier by dossier")
    ));
    h.push_str(&format!(
        "<table id=\"dossiers\"><tr><th>{}</th><th>{}</th><th>Score</th><th>{}</th><th>{}</th></tr>",
        t("Dossier", "Dossier"),
        t("État", "State"),
        t("Ce qui manque", "What is missing"),
        t("Exposition", "Exposure")
    ));
    for (input, r) in assessed {
        let missing: Vec<String> = r
            .missing()
            .map(|l| format!("<li>{}</li>", esc(&missing_line(l, today, lang))))
            .collect();
        h.push_str(&format!(
            "<tr class=\"dossier\"><td>{} {}<br><span class=\"note\">{}</span></td><td class=\"state-{}\">{}</td><td>{}/100</td><td>{}</td><td>{}</td></tr>",
            esc(&input.code),
            esc(&input.legal_name),
            esc(input.portfolio.as_deref().unwrap_or("")),
            r.state.code(),
            esc(r.state.label(lang)),
            r.score,
            if missing.is_empty() { "—".to_string() } else { format!("<ul>{}</ul>", missing.join("")) },
            r.exposure
                .as_ref()
                .map(|e| esc(&exposure_range(e.low, e.high, lang)))
                .unwrap_or_default()
        ));
    }
    h.push_str("</table>");
    h.push_str(&format!(
        "<p class=\"note\">{} {} {}</p>",
        t(
            "Méthode : la grille de préparation de CabReady (liste pondérée, états, dates). Les montants de pénalités sont une",
            "Method: CabReady's readiness grid (weighted checklist, states, dates). Penalty amounts are an"
        ),
        lang.pick(NOT_LEGAL_ADVICE_FR, NOT_LEGAL_ADVICE_EN),
        t(
            "(CGI art. 1737, montants à confirmer).",
            "(CGI art. 1737, amounts to confirm)."
        )
    ));
    h.push_str("</main></body></html>\n");
    Ok(h)
}
