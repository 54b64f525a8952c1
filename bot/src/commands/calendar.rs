//! `calendrier [90j]`: what is overdue and what falls due, for the caller's scope.

use super::dossiers_in_scope;
use crate::error::CommandResult;
use crate::{Caller, Core, Reply};
use cabready_store::calendar::{agenda, overdue_by_dossier};
use cabready_store::clock::show_date;
use cabready_store::Lang;

pub async fn run(core: &Core, caller: &Caller, days: i64, page: usize) -> CommandResult {
    let lang = core.lang;
    let today = core.clock.today();
    let mut conn = core.store.pool().acquire().await?;
    let (list, label) = dossiers_in_scope(core, &mut conn, caller, None).await?;
    let agenda = agenda(&list, &core.rules, today, days);
    let in_force: Vec<String> = agenda
        .in_force
        .iter()
        .map(|f| match lang {
            Lang::Fr if !f.obligation.is_tracked() => format!(
                "{} depuis le {} : {} dossiers (mention sur les factures, non vérifiable ici)",
                f.obligation.label(lang),
                show_date(f.since, lang),
                f.dossiers
            ),
            Lang::En if !f.obligation.is_tracked() => format!(
                "{} since {}: {} dossiers (a mention on the invoices, not checked here)",
                f.obligation.label(lang),
                show_date(f.since, lang),
                f.dossiers
            ),
            Lang::Fr => format!(
                "{} depuis le {} : {}/{} dossiers en règle",
                f.obligation.label(lang),
                show_date(f.since, lang),
                f.met,
                f.dossiers
            ),
            Lang::En => format!(
                "{} since {}: {}/{} dossiers compliant",
                f.obligation.label(lang),
                show_date(f.since, lang),
                f.met,
                f.dossiers
            ),
        })
        .collect();
    let overdue: Vec<String> = overdue_by_dossier(&agenda.overdue)
        .into_iter()
        .map(|(code, name, items)| {
            let items: Vec<String> = items
                .iter()
                .map(|d| format!("{} ({})", d.item.label(lang), show_date(d.date, lang)))
                .collect();
            format!("{code} {name} — {}", items.join(", "))
        })
        .collect();
    let upcoming: Vec<String> = agenda
        .upcoming
        .iter()
        .map(|d| {
            format!(
                "{} — {} {} — {}",
                show_date(d.date, lang),
                d.dossier_code,
                d.dossier_name,
                d.item.label(lang)
            )
        })
        .collect();
    const SHOWN: usize = 15;
    let upcoming = match upcoming.len() {
        0 => vec![lang
            .pick("rien dans cette période", "nothing in this period")
            .to_string()],
        n if n > SHOWN => {
            let mut shown: Vec<String> = upcoming.into_iter().take(SHOWN).collect();
            shown.push(match lang {
                Lang::Fr => format!(
                    "… et {} autre(s) : réduisez l'horizon ou utilisez `cabready calendar`",
                    n - SHOWN
                ),
                Lang::En => format!(
                    "… and {} more: shorten the horizon or use `cabready calendar`",
                    n - SHOWN
                ),
            });
            shown
        }
        _ => upcoming,
    };
    let title = format!(
        "{} — {label} — {} {}",
        lang.pick("Calendrier", "Calendar"),
        lang.pick("au", "as of"),
        show_date(today, lang)
    );
    Ok(Reply::info(title)
        .field(
            lang.pick(
                "Dossiers avec une échéance dépassée",
                "Dossiers past a due date",
            ),
            overdue.len().to_string(),
        )
        .field(
            lang.pick("Échéances à venir", "Upcoming deadlines"),
            format!(
                "{} ({} {days} {})",
                agenda.upcoming.len(),
                lang.pick("sous", "within"),
                lang.pick("j", "days")
            ),
        )
        .section(lang.pick("En vigueur", "In force"), in_force)
        .section(
            format!(
                "{} {days} {}",
                lang.pick("À échéance sous", "Due within"),
                lang.pick("jours", "days")
            ),
            upcoming,
        )
        .paginated_section(
            lang.pick("Échéances dépassées", "Past due"),
            overdue,
            page,
            &format!("calendrier {days}j"),
        ))
}
