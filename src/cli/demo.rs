//! `cabready demo`: a fictional firm on the embedded default, built through
//! the same onboarding as a real firm (from the sample files of
//! `config/demo/`), with mandates and platforms in every state.

use crate::AppContext;
use anyhow::{anyhow, Result};
use cabready_import::onboard::{self, OnboardRequest};
use cabready_store::calendar;
use cabready_store::domain::{MandateKind, MandateStatus, PlatformState, SizeCategory};
use cabready_store::journal::Actor;
use cabready_store::mandates::Transition;
use cabready_store::{dossiers, firms, mandates, platforms, users};
use chrono::{DateTime, Utc};
use std::process::ExitCode;

const DEMO_FIRM: &str = "Cabinet Durand & Associés (démo)";
const DEMO_USERS: &[u8] = include_bytes!("../../config/demo/users.csv");
const DEMO_CLIENTS: &[u8] = include_bytes!("../../config/demo/clients.csv");

#[derive(clap::Args, Debug)]
pub struct Args {}

/// Where each demo dossier stands: its delegation mandate and platform.
/// Cycled over the dossiers, so that every state is shown.
const SCENARIOS: &[(MandateStatus, Option<(&str, PlatformState)>)] = &[
    (
        MandateStatus::Signed,
        Some(("Pennylane", PlatformState::Live)),
    ),
    (MandateStatus::Reminded, None),
    (
        MandateStatus::Signed,
        Some(("jefacture.com", PlatformState::DirectoryRegistered)),
    ),
    (MandateStatus::Requested, None),
    (
        MandateStatus::ReceivedToVerify,
        Some(("Tiime", PlatformState::Chosen)),
    ),
    (MandateStatus::NotRequested, None),
    (
        MandateStatus::Signed,
        Some(("Qonto", PlatformState::AccountOpen)),
    ),
    (MandateStatus::Reminded, None),
    (MandateStatus::Refused, None),
    (MandateStatus::Signed, Some(("Sage", PlatformState::Live))),
    (MandateStatus::Requested, None),
    (MandateStatus::Expired, None),
];

/// The legal path from `not_requested` to a status, through the status machine.
fn path_to(target: MandateStatus) -> &'static [MandateStatus] {
    use MandateStatus::*;
    match target {
        NotRequested => &[],
        Requested => &[Requested],
        Reminded => &[Requested, Reminded],
        ReceivedToVerify => &[Requested, Reminded, ReceivedToVerify],
        Signed => &[Requested, Reminded, ReceivedToVerify, Signed],
        Refused => &[Requested, Refused],
        Expired => &[Requested, Reminded, Expired],
    }
}

async fn seed_states(
    ctx: &AppContext,
    store: &cabready_store::Store,
    firm_id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let list = dossiers::list(&mut tx, firm_id, None).await?;
    // The demo's own setting, not a person's action (it used to be
    // journaled as the firm's partner's).
    let actor = Actor::System;
    for (index, dossier) in list.iter().enumerate() {
        let (status, platform) = SCENARIOS[index % SCENARIOS.len()];
        for step in path_to(status) {
            let transition = Transition {
                kind: MandateKind::Delegation,
                to: *step,
                note: None,
            };
            mandates::change_status(&mut tx, firm_id, dossier.id, transition, &actor, now).await?;
        }
        if let Some((name, state)) = platform {
            if ctx.config.platforms.iter().any(|p| p == name) {
                platforms::set_for_dossier(&mut tx, firm_id, dossier.id, name, state, &actor, now)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(())
}

pub async fn run(ctx: &AppContext, _args: Args) -> Result<ExitCode> {
    let lang = ctx.lang;
    let demo_dir = ctx.config.data_dir.join("demo");
    std::fs::create_dir_all(&demo_dir)?;
    let (users_path, clients_path) = (demo_dir.join("users.csv"), demo_dir.join("clients.csv"));
    std::fs::write(&users_path, DEMO_USERS)?;
    std::fs::write(&clients_path, DEMO_CLIENTS)?;

    let store = ctx.store().await?;
    let request = OnboardRequest {
        firm: DEMO_FIRM.to_string(),
        users: Some(users_path),
        clients: Some(clients_path.clone()),
        dry_run: false,
        skip_invalid: false,
        platforms: ctx.config.platforms.clone(),
    };
    let report = onboard::run(&store, &ctx.clock, &request, lang)
        .await
        .map_err(|e| anyhow!(e.message(lang)))?;
    if report.refused() {
        return Err(anyhow!("{}", report.render(lang, false)));
    }
    let mut conn = store.pool().acquire().await?;
    let firm = firms::find_by_name(&mut conn, DEMO_FIRM)
        .await?
        .ok_or_else(|| anyhow!("demo firm missing"))?;
    drop(conn);
    if report.firm_created {
        seed_states(ctx, &store, firm.id, ctx.clock.now()).await?;
    }

    let mut conn = store.pool().acquire().await?;
    let list = dossiers::list(&mut conn, firm.id, None).await?;
    let user_count = users::list(&mut conn, firm.id).await?.len();
    let counts = mandates::counts_by_status(&mut conn, firm.id, MandateKind::Delegation).await?;
    drop(conn);

    let today = ctx.clock.today();
    let agenda = calendar::agenda(&list, &ctx.config.calendar, today, 90);
    println!(
        "{}",
        lang.pick("CabReady — démonstration", "CabReady — demo")
    );
    println!(
        "{} {}{}{user_count} {}, {} {} ({} {})",
        lang.pick("Cabinet", "Firm"),
        lang.quote(&firm.name),
        lang.colon(),
        lang.pick("utilisateurs", "users"),
        list.len(),
        lang.pick("dossiers", "dossiers"),
        lang.pick("importés de", "imported from"),
        demo_dir.display()
    );
    if !report.firm_created {
        println!(
            "{}",
            lang.pick(
                "(cabinet de démonstration déjà créé : données conservées)",
                "(demo firm already there: data kept)"
            )
        );
    }
    let by_category: Vec<String> = SizeCategory::ALL
        .iter()
        .rev()
        .map(|c| {
            format!(
                "{} {}",
                c.label(),
                list.iter()
                    .filter(|d| d.record.category.map(|x| x.0) == Some(*c))
                    .count()
            )
        })
        .chain(std::iter::once(format!(
            "{} {}",
            lang.pick("inconnue", "unknown"),
            list.iter().filter(|d| d.record.category.is_none()).count()
        )))
        .collect();
    println!(
        "{}{}{}",
        lang.pick("Dossiers par catégorie", "Dossiers by category"),
        lang.colon(),
        by_category.join(", ")
    );
    let mandates_line: Vec<String> = counts
        .iter()
        .map(|(s, n)| format!("{} {n}", s.label(lang)))
        .collect();
    println!(
        "{}{}{}",
        lang.pick("Mandats de délégation", "Delegation mandates"),
        lang.colon(),
        mandates_line.join(", ")
    );
    let with_platform = list.iter().filter(|d| d.platform.is_some()).count();
    let platform_states: Vec<String> = PlatformState::ALL
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s.label(lang),
                list.iter()
                    .filter(|d| d.platform.as_ref().map(|p| p.1) == Some(*s))
                    .count()
            )
        })
        .collect();
    println!(
        "{}{}{with_platform}/{} ({})",
        lang.pick("Plateforme agréée choisie", "Approved platform chosen"),
        lang.colon(),
        list.len(),
        platform_states.join(", ")
    );
    if report.firm_created {
        // These figures and the calendar below are the firm's before the
        // demo's reminders, replies and imports, which change them.
        println!(
            "{}",
            lang.pick(
                "(état du cabinet au départ : la première vague de relances, les réponses \
                 simulées et l'import des flux ci-dessous le font évoluer)",
                "(the firm as it starts: the first wave of reminders, the simulated replies \
                 and the flow import below change it)"
            )
        );
    }
    println!();
    print!(
        "{}",
        super::calendar::render(&firm.name, None, today, 90, &agenda, lang, Some(8))
    );
    if report.firm_created {
        // The first wave of reminders, once, when the demo firm is created.
        let store = ctx.store().await?;
        super::remind::demo_first_wave(ctx, &store, firm.id).await?;
        super::demo_replies::run(ctx, &store, firm.id).await?;
        store.close().await;
    }
    println!();
    println!(
        "{}",
        lang.pick(
            "Pour aller plus loin : cabready calendar --portfolio Nord --within 365d",
            "Next: cabready calendar --portfolio Nord --within 365d"
        )
    );
    super::demo_flux::run(ctx, &store, &firm.name).await?;
    readiness_and_digest(ctx, &store, &firm).await?;
    store.close().await;
    Ok(ExitCode::SUCCESS)
}

/// The demo's end: the firm's readiness, then a preview of the manager's daily digest.
async fn readiness_and_digest(
    ctx: &AppContext,
    store: &cabready_store::Store,
    firm: &firms::Firm,
) -> Result<()> {
    use cabready_store::readiness::{assess_all, inputs};
    let lang = ctx.lang;
    let today = ctx.clock.today();
    let mut conn = store.pool().acquire().await?;
    let list = inputs::load(&mut conn, firm.id, inputs::Scope::Firm).await?;
    let assessed = assess_all(list, &ctx.config.calendar, today);
    println!();
    print!(
        "{}",
        super::readiness::render(&firm.name, None, today, &assessed, lang, Some(5))
    );
    let people = users::list(&mut conn, firm.id).await?;
    let Some(manager) = crate::digest::recipients(&people, &ctx.config.digest.accountants)
        .into_iter()
        .next()
    else {
        return Ok(());
    };
    let now = ctx.clock.now();
    let digest = crate::digest::gather(
        &mut conn,
        firm.id,
        &firm.name,
        &manager,
        &ctx.config.calendar,
        now.with_timezone(&chrono_tz::Europe::Paris).date_naive(),
        now,
        lang,
    )
    .await?;
    let mail = crate::digest::email(&digest, lang)?;
    let msg = crate::digest::message(
        &mail,
        &ctx.config.mail.from_address,
        ctx.config.mail.from_name.as_deref(),
        manager.record.email.as_str(),
        "<digest-demo@cabready.invalid>",
        now,
    )?;
    std::fs::create_dir_all(&ctx.config.data_dir)?;
    let path = ctx.config.data_dir.join("digest-preview.eml");
    std::fs::write(&path, msg.formatted())?;
    println!();
    println!(
        "{}",
        lang.pick(
            "Aperçu de la synthèse quotidienne (chat) :",
            "Daily digest preview (chat):"
        )
    );
    print!(
        "{}",
        cabready_bot::console::render(&digest.reply(lang), lang)
    );
    println!(
        "{} {} — cabready digest --preview",
        lang.pick("Courriel de la synthèse :", "Digest email:"),
        path.display()
    );
    Ok(())
}
