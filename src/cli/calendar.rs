use crate::AppContext;
use anyhow::{anyhow, Result};
use cabready_store::calendar::{self, parse_horizon, Agenda, Due};
use cabready_store::clock::show_date;
use cabready_store::{dossiers, Lang};
use chrono::NaiveDate;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// Only this portfolio (portefeuille).
    #[arg(long)]
    portfolio: Option<String>,
    /// Horizon for what falls due: 90d (default), 90j, 12w, 6m.
    #[arg(long, default_value = "90d")]
    within: String,
    /// The firm, when the database holds several.
    #[arg(long, env = "CABREADY_FIRM")]
    firm: Option<String>,
}

pub async fn run(ctx: &AppContext, args: Args) -> Result<ExitCode> {
    let lang = ctx.lang;
    let horizon = parse_horizon(&args.within).ok_or_else(|| {
        anyhow!(
            "{}",
            match lang {
                Lang::Fr => format!(
                    "--within : durée invalide « {} » (exemples : 90d, 90j, 12w, 6m)",
                    args.within
                ),
                Lang::En => format!(
                    "--within: invalid duration '{}' (examples: 90d, 12w, 6m)",
                    args.within
                ),
            }
        )
    })?;
    let store = ctx.store().await?;
    let mut conn = store.pool().acquire().await?;
    let firm = super::firm_named(&mut conn, ctx, args.firm.as_deref()).await?;
    let portfolio =
        super::portfolio_named(&mut conn, firm.id, args.portfolio.as_deref(), lang).await?;
    let list = dossiers::list(&mut conn, firm.id, portfolio.as_deref()).await?;
    if list.is_empty() {
        return Err(super::no_dossier(&mut conn, firm.id, portfolio.as_deref(), lang).await);
    }
    let today = ctx.clock.today();
    let agenda = calendar::agenda(&list, &ctx.config.calendar, today, horizon);
    print!(
        "{}",
        render(
            &firm.name,
            portfolio.as_deref(),
            today,
            horizon,
            &agenda,
            lang,
            None
        )
    );
    Ok(ExitCode::SUCCESS)
}

/// `text` in a column of `width` characters: padded, or cut with `…` (a
/// name cut without a mark reads as a misspelt one).
fn pad(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count > width {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    } else {
        format!("{text}{}", " ".repeat(width - count))
    }
}

fn due_line(due: &Due, today: NaiveDate, lang: Lang) -> String {
    let days = (due.date - today).num_days();
    let when = match (days.signum(), lang) {
        (-1, Lang::Fr) => format!("{} j de retard", -days),
        (-1, Lang::En) => format!("{} days late", -days),
        (0, Lang::Fr) => "aujourd'hui".to_string(),
        (0, Lang::En) => "today".to_string(),
        (_, Lang::Fr) => format!("dans {days} j"),
        (_, Lang::En) => format!("in {days} days"),
    };
    format!(
        "  {}  {}  {}  {}  ({when})\n",
        show_date(due.date, lang),
        pad(&due.dossier_code, 8),
        pad(&due.dossier_name, 28),
        due.item.label(lang)
    )
}

/// The calendar as text; `limit` caps the overdue dossiers shown.
pub fn render(
    firm: &str,
    portfolio: Option<&str>,
    today: NaiveDate,
    horizon: i64,
    agenda: &Agenda,
    lang: Lang,
    limit: Option<usize>,
) -> String {
    let mut out = String::new();
    let scope = portfolio
        .map(|p| format!(" — {} {p}", lang.pick("portefeuille", "portfolio")))
        .unwrap_or_default();
    out.push_str(&format!(
        "{} — {firm}{scope} — {} {}\n\n",
        lang.pick("Calendrier des obligations", "Obligations calendar"),
        lang.pick("au", "as of"),
        show_date(today, lang)
    ));
    out.push_str(lang.pick("Obligations en vigueur\n", "Obligations in force\n"));
    if agenda.in_force.is_empty() {
        out.push_str(lang.pick("  aucune\n", "  none\n"));
    }
    for f in &agenda.in_force {
        out.push_str(&match lang {
            Lang::Fr if !f.obligation.is_tracked() => format!(
                "  depuis le {}  {} : {} dossier(s) — une mention à porter sur les factures, que CabReady ne voit pas\n",
                show_date(f.since, lang),
                f.obligation.label(lang),
                f.dossiers
            ),
            Lang::En if !f.obligation.is_tracked() => format!(
                "  since {}  {}: {} dossier(s) — a mention on the invoices, which CabReady does not see\n",
                show_date(f.since, lang),
                f.obligation.label(lang),
                f.dossiers
            ),
            Lang::Fr => format!(
                "  depuis le {}  {} : {} dossier(s), {} en règle, {} à régulariser\n",
                show_date(f.since, lang),
                f.obligation.label(lang),
                f.dossiers,
                f.met,
                f.dossiers - f.met
            ),
            Lang::En => format!(
                "  since {}  {}: {} dossier(s), {} compliant, {} to fix\n",
                show_date(f.since, lang),
                f.obligation.label(lang),
                f.dossiers,
                f.met,
                f.dossiers - f.met
            ),
        });
    }
    let late = calendar::overdue_by_dossier(&agenda.overdue);
    out.push_str(&format!(
        "\n{}{}{} {}\n",
        lang.pick("Échéances dépassées", "Past due"),
        lang.colon(),
        late.len(),
        lang.pick(
            "dossier(s), du plus ancien retard au plus récent",
            "dossier(s), oldest first"
        )
    ));
    for (code, name, items) in late.iter().take(limit.unwrap_or(usize::MAX)) {
        let items: Vec<String> = items
            .iter()
            .map(|d| format!("{} ({})", d.item.label(lang), show_date(d.date, lang)))
            .collect();
        out.push_str(&format!(
            "  {}  {}  {}\n",
            pad(code, 8),
            pad(name, 28),
            items.join(", ")
        ));
    }
    if let Some(limit) = limit.filter(|l| late.len() > *l) {
        out.push_str(&format!(
            "  … {} {}\n",
            late.len() - limit,
            lang.pick(
                "autre(s) : voir `cabready calendar`",
                "more: see `cabready calendar`"
            )
        ));
    }
    out.push_str(&format!(
        "\n{} {horizon} {} ({})\n",
        lang.pick("À échéance dans les", "Due within"),
        lang.pick("jours", "days"),
        agenda.upcoming.len()
    ));
    if agenda.upcoming.is_empty() {
        out.push_str(lang.pick("  rien dans cette période\n", "  nothing in this period\n"));
    }
    for due in &agenda.upcoming {
        out.push_str(&due_line(due, today, lang));
    }
    if !agenda.undetermined.is_empty() {
        out.push_str(&format!(
            "\n{}{}{}\n",
            lang.pick(
                "Catégorie inconnue, date d'émission indéterminée (renseignez effectif et chiffre d'affaires ou la catégorie)",
                "Unknown category, emission date undetermined (fill in headcount and turnover, or the category)"
            ),
            lang.colon(),
            agenda.undetermined.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_long_name_is_cut_with_a_mark() {
        assert_eq!(
            super::pad("Holding Durand Participations", 28),
            "Holding Durand Participatio…"
        );
        assert_eq!(super::pad("D001", 6), "D001  ");
        assert_eq!(super::pad("ABCDEF", 6), "ABCDEF");
    }
}
