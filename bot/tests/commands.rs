//! Every chat command, with its permission refusals and bad arguments,
//! against a real store (SQLite and PostgreSQL).

use cabready_bot::{console, Caller, Core, Reply, Tone};
use cabready_store::calendar::CalendarRules;
use cabready_store::domain::*;
use cabready_store::dossiers::{self, ActivityFlags, ContactRecord, DossierRecord};
use cabready_store::journal::{self, Actor};
use cabready_store::users::{self, UserRecord};
use cabready_store::{anomalies, firms, mandates, platforms, Clock, Lang};
use cabready_testkit::{both_backends, TestDb};
use chrono::{TimeZone, Utc};

fn clock() -> Clock {
    Clock::fixed(Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap())
}

fn user(email: &str, role: Role, portfolios: &[&str]) -> UserRecord {
    UserRecord {
        email: Email::parse(email).unwrap(),
        name: email.split('@').next().unwrap().into(),
        role,
        discord_id: None,
        portfolios: portfolios.iter().map(|p| p.to_string()).collect(),
    }
}

fn dossier(
    code: &str,
    name: &str,
    seed: u32,
    portfolio: &str,
    owner: &str,
    headcount: f64,
) -> DossierRecord {
    let financials = Financials {
        headcount: Some(headcount),
        turnover: Some(80_000_000),
        balance_sheet: None,
    };
    DossierRecord {
        code: code.into(),
        legal_name: name.into(),
        siren: Siren::with_check_digit(seed),
        legal_form: None,
        financials,
        category: SizeCategory::derive(&financials).map(|c| (c, CategorySource::Derived)),
        vat: Some(VatRegimeSchedule::for_declared(
            VatRegime::ReelNormalMensuel,
            None,
        )),
        flags: ActivityFlags::default(),
        owner: Some(Email::parse(owner).unwrap()),
        portfolio: Some(portfolio.into()),
        tags: vec![],
        contact: Some(ContactRecord {
            name: "Client".into(),
            email: Email::parse(&format!("{}@client.fr", code.to_lowercase())).unwrap(),
        }),
    }
}

/// A firm with a manager, two accountants (Nord, Sud), a viewer, and 14 dossiers.
async fn setup(db: &TestDb) -> Core {
    let mut tx = db.store.begin().await.unwrap();
    let now = clock().now();
    let (firm, _) = firms::ensure(
        &mut tx,
        "Cabinet Durand",
        &["Pennylane".into()],
        &Actor::System,
        now,
    )
    .await
    .unwrap();
    for u in [
        user("claire@durand.fr", Role::Manager, &["Nord", "Sud"]),
        user("anne@durand.fr", Role::Accountant, &["Nord"]),
        user("bruno@durand.fr", Role::Accountant, &["Sud"]),
        user("lea@durand.fr", Role::Viewer, &[]),
    ] {
        users::upsert(&mut tx, firm.id, &u, &Actor::System, now)
            .await
            .unwrap();
    }
    dossiers::upsert(
        &mut tx,
        firm.id,
        &dossier(
            "D001",
            "Boulangerie Lefèvre",
            1,
            "Nord",
            "anne@durand.fr",
            3.0,
        ),
        &Actor::System,
        now,
    )
    .await
    .unwrap();
    dossiers::upsert(
        &mut tx,
        firm.id,
        &dossier(
            "D002",
            "Garage des Tilleuls",
            2,
            "Sud",
            "bruno@durand.fr",
            3.0,
        ),
        &Actor::System,
        now,
    )
    .await
    .unwrap();
    dossiers::upsert(
        &mut tx,
        firm.id,
        &dossier(
            "D003",
            "Garage du Centre",
            3,
            "Sud",
            "bruno@durand.fr",
            40.0,
        ),
        &Actor::System,
        now,
    )
    .await
    .unwrap();
    for i in 4..=14 {
        let d = dossier(
            &format!("D{i:03}"),
            &format!("Société numéro {i}"),
            i,
            "Nord",
            "anne@durand.fr",
            5.0,
        );
        dossiers::upsert(&mut tx, firm.id, &d, &Actor::System, now)
            .await
            .unwrap();
    }
    // D001 is ready for reception: mandate signed, platform in the directory.
    let d001 = dossiers::find_by_code(&mut tx, firm.id, "D001")
        .await
        .unwrap()
        .unwrap();
    for to in [
        MandateStatus::Requested,
        MandateStatus::ReceivedToVerify,
        MandateStatus::Signed,
    ] {
        let t = mandates::Transition {
            kind: MandateKind::Delegation,
            to,
            note: None,
        };
        mandates::change_status(&mut tx, firm.id, d001.id, t, &Actor::System, now)
            .await
            .unwrap();
    }
    platforms::set_for_dossier(
        &mut tx,
        firm.id,
        d001.id,
        "Pennylane",
        PlatformState::DirectoryRegistered,
        &Actor::System,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    Core {
        store: db.store.clone(),
        clock: clock(),
        rules: CalendarRules::default(),
        lang: Lang::Fr,
        mailer: None,
    }
}

/// A mailer writing into a Maildir in `dir`.
fn mailer(dir: &std::path::Path) -> std::sync::Arc<cabready_mailer::Mailer> {
    use cabready_mailer::{config, templates::Templates, token::Signer, transport::Transport};
    std::sync::Arc::new(cabready_mailer::Mailer {
        mail: config::MailConfig::default(),
        cadence: config::CadenceConfig::default(),
        templates: Templates::load(None).unwrap(),
        signer: Signer::new(b"a test key of enough bytes").unwrap(),
        transport: Transport::maildir(dir).unwrap(),
        crash_after_send: false,
    })
}

async fn caller(core: &Core, email: &str) -> Caller {
    core.caller_by_email(None, email).await.expect("known user")
}

fn text(reply: &Reply) -> String {
    console::render(reply, Lang::Fr)
}

fn field<'a>(reply: &'a Reply, name: &str) -> &'a str {
    &reply
        .fields
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no field {name}: {reply:?}"))
        .value
}

both_backends!(
    pret_cabinet_scores_the_firm_and_lists_the_dossiers_most_at_risk,
    |db: TestDb| async move {
        let core = setup(&db).await;
        let claire = caller(&core, "claire@durand.fr").await;
        let reply = core.execute(&claire, "pret cabinet").await;
        assert_eq!(reply.tone, Tone::Info, "{}", text(&reply));
        assert_eq!(reply.title, "Préparation — Cabinet Durand");
        assert_eq!(field(&reply, "Dossiers"), "14");
        assert_eq!(
            field(&reply, "En retard"),
            "13",
            "reception is in force and only D001 is in the directory"
        );
        assert_eq!(field(&reply, "À risque"), "1");
        assert_eq!(field(&reply, "Prêts"), "0");
        // docs/READINESS.md: 13 dossiers at 90/280 = 32 (category, contact and
        // no anomaly met) and D001 at 240/280 = 85: (13*32 + 85)/14 = 35.
        assert_eq!(field(&reply, "Score"), "35/100");
        assert_eq!(
            field(&reply, "Exposition aux pénalités (dossiers en retard)"),
            "0 € à 6 500 € (estimation, pas un avis juridique)"
        );
        let risky = &reply.sections[0];
        assert_eq!(risky.items.len(), 10, "first page");
        assert!(risky.items[0].starts_with("D002 Garage des Tilleuls — en retard, 32/100 — manque : mandat de délégation signé"), "{}", risky.items[0]);
        assert!(
            !risky.items.iter().any(|i| i.starts_with("D001")),
            "the dossier only at risk comes after the late ones"
        );
        let page = reply.page.clone().unwrap();
        assert_eq!((page.current, page.total), (1, 2));
        assert_eq!(page.next.as_deref(), Some("pret cabinet page 2"));
        let rendered = cabready_bot::discord::render::render(&reply);
        assert!(
            rendered.embed_chars <= 6000 && !rendered.ephemeral,
            "the same reply fits a Discord embed"
        );
        let second = core.execute(&claire, "pret cabinet page 2").await;
        assert_eq!(second.sections[0].items.len(), 4);
        assert!(second.sections[0].items[3].starts_with(
            "D001 Boulangerie Lefèvre — à risque, 85/100 — manque : factures reçues vues"
        ));

        let one = core.execute(&claire, "pret D001").await;
        assert_eq!(field(&one, "Score"), "85/100");
        assert_eq!(field(&one, "État"), "à risque");
        assert_eq!(
            field(&one, "Prochaine échéance"),
            "01/09/2027 — émission des factures électroniques"
        );
    }
);

both_backends!(
    pret_explains_a_late_dossier_in_french_and_in_english,
    |db: TestDb| async move {
        let core = setup(&db).await;
        let claire = caller(&core, "claire@durand.fr").await;
        // D002: micro, nothing done but its contact (docs/READINESS.md, like R004).
        let fr = core.execute(&claire, "pret D002").await;
        assert_eq!(fr.title, "Préparation — D002 Garage des Tilleuls");
        assert_eq!(field(&fr, "Score"), "32/100");
        assert_eq!(field(&fr, "État"), "en retard");
        assert_eq!(
            fr.description.as_deref(),
            Some("Obligation en vigueur non respectée : réception des factures électroniques.")
        );
        assert_eq!(
            field(&fr, "Exposition aux pénalités"),
            "0 € à 500 € (estimation, pas un avis juridique)"
        );
        assert_eq!(
            fr.sections[0].items[0],
            "mandat de délégation signé — avant le 03/06/2026 (175 j de retard) — statut : non demandé"
        );
        assert!(fr.sections[0].items[2]
            .ends_with("— obligation en vigueur : réception des factures électroniques"));
        assert!(fr.sections[2].items[0]
            .starts_with("réception pas en place (aucune plateforme inscrite à l'annuaire) depuis 85 j : 0 € – 500 €"));

        let english = Core {
            lang: Lang::En,
            ..core.clone()
        };
        let en = english.execute(&claire, "pret D002").await;
        assert_eq!(en.title, "Readiness — D002 Garage des Tilleuls");
        assert_eq!(field(&en, "State"), "late");
        assert_eq!(
            field(&en, "Penalty exposure"),
            "€0 to €500 (estimate, not legal advice)"
        );
        assert_eq!(
            en.sections[0].items[0],
            "delegation mandate signed — by 3 Jun 2026 (175 days late) — status: not requested"
        );
        let firm = english.execute(&claire, "pret cabinet").await;
        assert_eq!(field(&firm, "Late"), "13");
        assert!(firm
            .sections
            .iter()
            .any(|s| s.title == "By portfolio" && s.items[0].starts_with("Nord: ")));
    }
);

both_backends!(
    an_accountant_sees_their_portfolio_by_default,
    |db: TestDb| async move {
        let core = setup(&db).await;
        let bruno = caller(&core, "bruno@durand.fr").await;
        let reply = core.execute(&bruno, "pret").await;
        assert_eq!(reply.title, "Préparation — mes dossiers");
        assert_eq!(field(&reply, "Dossiers"), "2");
        let portfolio = core.execute(&bruno, "pret portefeuille nord").await;
        assert_eq!(portfolio.title, "Préparation — portefeuille Nord");
        assert_eq!(field(&portfolio, "Dossiers"), "12");
        let unknown = core.execute(&bruno, "pret portefeuille Est").await;
        assert_eq!(unknown.tone, Tone::Error);
        assert_eq!(
            unknown.description.as_deref(),
            Some("Aucun portefeuille « Est ». Portefeuilles du cabinet : Nord, Sud.")
        );
    }
);

both_backends!(
    dossier_by_code_siren_or_name_with_suggestions,
    |db: TestDb| async move {
        let core = setup(&db).await;
        let lea = caller(&core, "lea@durand.fr").await;
        let by_code = core.execute(&lea, "dossier d002").await;
        assert_eq!(by_code.title, "D002 — Garage des Tilleuls");
        assert_eq!(field(&by_code, "Catégorie"), "TPE/micro (calculée)");
        let siren = Siren::with_check_digit(2).to_string();
        assert_eq!(
            core.execute(&lea, &format!("dossier {siren}")).await.title,
            "D002 — Garage des Tilleuls"
        );
        assert_eq!(
            core.execute(&lea, "fiche tilleuls").await.title,
            "D002 — Garage des Tilleuls"
        );

        let ambiguous = core.execute(&lea, "dossier garage").await;
        assert_eq!(ambiguous.tone, Tone::Error);
        assert_eq!(
            ambiguous.description.as_deref(),
            Some("2 dossiers correspondent à « garage » : précisez le code.")
        );
        assert_eq!(
            ambiguous.sections[0].items,
            vec!["D002 — Garage des Tilleuls", "D003 — Garage du Centre"]
        );

        let typo = core.execute(&lea, "dossier tileuls").await;
        assert_eq!(typo.title, "Dossier introuvable");
        assert_eq!(typo.sections[0].items, vec!["D002 — Garage des Tilleuls"]);
        assert_eq!(typo.actions[0].command, "dossier D002");
        // The suggestion runs the command typed, on the dossier it may have meant.
        let typo = core.execute(&lea, "mandat tileuls").await;
        assert_eq!(typo.title, "Dossier introuvable");
        assert_eq!(typo.actions[0].command, "mandat D002");
        let typo = core.execute(&lea, "journal tileuls 3").await;
        assert_eq!(typo.actions[0].command, "journal D002 3");
        let nothing = core.execute(&lea, "dossier zzzzzzzz").await;
        assert_eq!(nothing.tone, Tone::Error);
        assert!(nothing.sections.is_empty());
    }
);

both_backends!(
    mandate_changes_obey_roles_and_the_status_machine,
    |db: TestDb| async move {
        let core = setup(&db).await;
        let anne = caller(&core, "anne@durand.fr").await;
        let bruno = caller(&core, "bruno@durand.fr").await;
        let lea = caller(&core, "lea@durand.fr").await;
        let claire = caller(&core, "claire@durand.fr").await;

        let refused = core.execute(&anne, "mandat D002 demandé").await;
        assert_eq!(refused.tone, Tone::Refused);
        assert_eq!(
        refused.description.as_deref(),
        Some("le dossier D002 est dans le portefeuille « Sud », qui n'est pas l'un des vôtres (Nord) : seul un associé ou le collaborateur du portefeuille peut le modifier")
    );
        let viewer = core.execute(&lea, "mandat D002 demandé").await;
        assert_eq!(viewer.tone, Tone::Refused);
        assert!(viewer
            .description
            .unwrap()
            .starts_with("votre rôle « lecteur » permet de consulter"));

        let ok = core
            .execute(&bruno, "mandat Tilleuls demandé envoyé par courrier")
            .await;
        assert_eq!(ok.tone, Tone::Success, "{}", text(&ok));
        assert_eq!(
            ok.description.as_deref(),
            Some("mandat de délégation : non demandé → demandé (envoyé par courrier)")
        );
        let illegal = core.execute(&claire, "mandat D002 signé").await;
        assert_eq!(illegal.tone, Tone::Error);
        assert_eq!(
        illegal.description.as_deref(),
        Some("changement de statut refusé : un mandat « demandé » ne peut pas passer à « signé » (possible : relancé, reçu à vérifier, refusé, expiré)")
    );
        // Without a status: where the dossier's mandates stand, to anyone of the firm.
        let shown = core.execute(&lea, "mandat Tilleuls").await;
        assert_eq!(shown.title, "Mandats — D002 Garage des Tilleuls");
        assert_eq!(
            field(&shown, "mandat de délégation"),
            "demandé depuis le 25/11/2026"
        );
        assert_eq!(
            field(&shown, "Signature attendue"),
            "avant le 03/06/2026 (175 j de retard)"
        );
        for line in ["mandat D002 sgné", "mandat D002 délégation sgné"] {
            let typo = core.execute(&lea, line).await;
            assert_eq!(typo.tone, Tone::Error);
            assert!(
                typo.description.as_deref().unwrap().starts_with(
                    "« sgné » n'est pas un statut de mandat (vouliez-vous dire « signé » ?)"
                ),
                "{line}: {}",
                text(&typo)
            );
        }
        let same = core.execute(&claire, "mandat D002 demandé").await;
        assert_eq!(
            same.description.as_deref(),
            Some("le mandat est déjà « demandé » : rien à changer")
        );
        // An unknown reminder is said so, not taken for an internal error.
        let unknown = core.execute(&claire, "regler 999999 envoyee").await;
        assert_eq!(
            (unknown.title.as_str(), unknown.description.as_deref()),
            ("Impossible", Some("relance introuvable : 999999"))
        );

        let mut conn = db.store.pool().acquire().await.unwrap();
        let d002 = dossiers::find_by_code(&mut conn, anne.firm_id, "D002")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            d002.delegation,
            MandateStatus::Requested,
            "refused and illegal changes wrote nothing"
        );
        let last = &journal::for_dossier(&mut conn, anne.firm_id, d002.id, 1)
            .await
            .unwrap()[0];
        assert_eq!(
            (last.actor_kind.as_str(), last.actor.as_str()),
            ("user", "bruno@durand.fr")
        );
        assert_eq!(last.details["note"], "envoyé par courrier");

        let log = core.execute(&lea, "journal D002 3").await;
        assert!(log.sections[0].items[0].contains("bruno@durand.fr — mandat de délégation : non demandé → demandé (envoyé par courrier)"), "{}", text(&log));

        // Past the request, the first request's date is said too.
        let reminded = core.execute(&claire, "mandat D002 relancé").await;
        assert_eq!(reminded.tone, Tone::Success, "{}", text(&reminded));
        assert_eq!(
            field(
                &core.execute(&lea, "mandat D002").await,
                "mandat de délégation"
            ),
            "relancé depuis le 25/11/2026 (première demande le 25/11/2026)"
        );
    }
);

both_backends!(mandate_lists_and_calendar, |db: TestDb| async move {
    let core = setup(&db).await;
    let claire = caller(&core, "claire@durand.fr").await;
    let late = core
        .execute(&claire, "mandats en-retard portefeuille Sud")
        .await;
    assert_eq!(late.title, "Mandats de délégation — portefeuille Sud");
    assert_eq!(field(&late, "non demandé"), "2");
    assert_eq!(
        late.sections[0].items[0],
        "D002 Garage des Tilleuls — non demandé — en retard de 175 j"
    );
    let all = core.execute(&claire, "mandats").await;
    assert_eq!(all.sections[0].items.len(), 10);
    assert_eq!(
        all.page.as_ref().unwrap().total,
        2,
        "13 unsigned mandates, paginated"
    );

    let calendar = core.execute(&claire, "calendrier 400j").await;
    assert_eq!(
        calendar.title,
        "Calendrier — Cabinet Durand — au 25/11/2026"
    );
    assert_eq!(
        field(&calendar, "Dossiers avec une échéance dépassée"),
        "13"
    );
    let upcoming = &calendar.sections[1].items;
    assert_eq!(
        upcoming[1],
        "03/07/2027 — D002 Garage des Tilleuls — flux de test réussis",
        "{}",
        text(&calendar)
    );
    assert_eq!(
        upcoming.last().unwrap(),
        "… et 13 autre(s) : réduisez l'horizon ou utilisez `cabready calendar`"
    );
});

both_backends!(remind_plans_a_reminder, |db: TestDb| async move {
    let core = setup(&db).await;
    let bruno = caller(&core, "bruno@durand.fr").await;
    // Without mail set up, the answer says plainly that nothing was sent.
    let reply = core.execute(&bruno, "relancer D002").await;
    assert_eq!(reply.title, "Relance non envoyée");

    let dir = tempfile::tempdir().unwrap();
    let core = Core {
        mailer: Some(mailer(dir.path())),
        ..core
    };
    let reply = core.execute(&bruno, "relancer D002").await;
    assert_eq!(reply.title, "Relance prévue", "{}", text(&reply));
    // Wednesday 25/11/2026 10:00 in Paris: within working hours, due now.
    assert_eq!(
        reply.description.as_deref(),
        Some("« demande de mandat » partira à d002@client.fr le 25/11/2026 à 10:00 (jours et heures ouvrés), avec la référence [CabReady D002].")
    );
    let again = core.execute(&bruno, "relancer D002").await;
    assert_eq!(again.title, "Pas de relance");
    assert_eq!(
        again.description.as_deref(),
        Some("une relance est déjà prévue ou en cours")
    );
    // Once it went, a new one asked by a person still waits for the
    // contact's rest (3 days, then the next working slot), and says so.
    let sent = core
        .mailer
        .as_ref()
        .unwrap()
        .send_due(&db.store, core.clock.now(), 10)
        .await
        .unwrap();
    assert_eq!(sent.sent, 1);
    let next = core.execute(&bruno, "relancer D002").await;
    assert_eq!(next.title, "Relance prévue", "{}", text(&next));
    let said = next.description.unwrap_or_default();
    assert!(said.contains("le 30/11/2026 à 09:00"), "{said}");
    assert!(said.contains("contact déjà écrit récemment"), "{said}");
    // The dossier's card names its reminders by number and in words.
    let card = core.execute(&bruno, "dossier D002").await;
    let reminders = &card
        .sections
        .iter()
        .find(|s| s.title == "Relances")
        .unwrap()
        .items;
    assert!(
        reminders
            .iter()
            .any(|r| r.contains(" — #") && r.ends_with(" demande de mandat (envoyée)")),
        "{reminders:?}"
    );
    // D001's mandate is signed and its platform chosen: nothing to chase.
    let claire = caller(&core, "claire@durand.fr").await;
    let done = core.execute(&claire, "relancer D001").await;
    assert_eq!(done.title, "Pas de relance");
    assert_eq!(done.description.as_deref(), Some("rien à relancer"));
    // The user is in the journal of the planned reminder.
    let mut conn = db.store.pool().acquire().await.unwrap();
    let firm = firms::resolve(&mut conn, None).await.unwrap();
    let d2 = dossiers::find_by_code(&mut conn, firm.id, "D002")
        .await
        .unwrap()
        .unwrap();
    let lines = journal::for_dossier(&mut conn, firm.id, d2.id, 1)
        .await
        .unwrap();
    assert_eq!(
        (lines[0].action.as_str(), lines[0].actor.as_str()),
        ("reminder.planned", "bruno@durand.fr")
    );
    drop(conn);
    let anne = caller(&core, "anne@durand.fr").await;
    assert_eq!(
        core.execute(&anne, "relancer D002").await.tone,
        Tone::Refused
    );
});

both_backends!(
    help_unknown_commands_and_bad_arguments,
    |db: TestDb| async move {
        let core = setup(&db).await;
        let lea = caller(&core, "lea@durand.fr").await;
        let help = core.execute(&lea, "aide").await;
        assert!(help.sections[0]
            .items
            .iter()
            .any(|i| i.starts_with("pret [dossier | portefeuille P | cabinet | miens]")));
        let unknown_topic = core.execute(&lea, "aide bidule").await;
        assert_eq!(
            unknown_topic.description.as_deref(),
            Some("« bidule » n'est pas une commande. Voici la liste.")
        );
        assert!(!unknown_topic.sections[0].items.is_empty());
        let typo = core.execute(&lea, "dosier D001").await;
        assert_eq!(
            typo.description.as_deref(),
            Some("« dosier » n'est pas une commande. Vouliez-vous dire « dossier » ?")
        );
        let usage = core.execute(&lea, "calendrier bientôt").await;
        assert_eq!(
            usage.description.as_deref(),
            Some("durée invalide « bientôt ». Usage : calendrier [90j]")
        );
        // A number typed wrong is said so, not looked up as a dossier's name.
        let count = core.execute(&lea, "journal D001 abc").await;
        assert_eq!(count.title, "Commande incomplète");
        assert_eq!(
            count.description.as_deref(),
            Some("« abc » : le nombre de lignes doit être un nombre entier ≥ 1. Usage : journal D [n]")
        );
        let page = core.execute(&lea, "pret cabinet page abc").await;
        assert_eq!(
            page.description.as_deref(),
            Some("« abc » : la page doit être un nombre entier ≥ 1. Usage : pret [dossier | portefeuille P | cabinet | miens]")
        );
        let by_name = core.execute(&lea, "journal Garage des Tilleuls 2").await;
        assert_eq!(by_name.tone, Tone::Info, "{}", text(&by_name));
        let english = Core {
            lang: Lang::En,
            ..core.clone()
        };
        let help = english.execute(&lea, "help").await;
        assert_eq!(help.title, "CabReady commands");
        assert!(
            help.sections[0]
                .items
                .iter()
                .any(|i| i.starts_with("ready [dossier | portfolio P | firm | mine] — ")),
            "{help:?}"
        );
        assert_eq!(
            english
                .execute(&lea, "calendrier bientôt")
                .await
                .description
                .as_deref(),
            Some("invalid period 'bientôt'. Usage: calendar [90d]")
        );
        let usage = english.execute(&lea, "regler 4 peut-être").await;
        assert_eq!(
            usage.description.as_deref(),
            Some("'peut-être': sent or not-sent. Usage: settle N sent|not-sent")
        );
        assert_eq!(usage.actions[0].command, "help settle");
    }
);

both_backends!(
    unknown_users_and_other_firms_see_nothing,
    |db: TestDb| async move {
        let core = setup(&db).await;
        let stranger = core
            .caller_by_email(None, "pirate@ailleurs.fr")
            .await
            .unwrap_err();
        assert_eq!(stranger.tone, Tone::Refused);
        assert!(stranger
            .description
            .unwrap()
            .starts_with("« pirate@ailleurs.fr » n'est pas un utilisateur de ce cabinet"));

        let mut conn = db.store.pool().acquire().await.unwrap();
        let (other, _) = firms::ensure(
            &mut conn,
            "Cabinet Martin",
            &[],
            &Actor::System,
            clock().now(),
        )
        .await
        .unwrap();
        users::upsert(
            &mut conn,
            other.id,
            &user("paul@martin.fr", Role::Manager, &[]),
            &Actor::System,
            clock().now(),
        )
        .await
        .unwrap();
        drop(conn);
        let paul = core
            .caller_by_email(Some("Cabinet Martin"), "paul@martin.fr")
            .await
            .unwrap();
        assert_eq!(
            core.execute(&paul, "dossier D001").await.title,
            "Dossier introuvable"
        );
        assert_eq!(
            core.execute(&paul, "mandat D001 demandé").await.title,
            "Dossier introuvable"
        );
        let firm = core.execute(&paul, "pret cabinet").await;
        assert_eq!(
            firm.description.as_deref(),
            Some("Aucun dossier dans ce périmètre.")
        );
    }
);

/// D015, an ETI of the Sud portfolio (owner bruno) that emitted nothing
/// since emission applies: the rules open one critical anomaly for it.
async fn eti_without_emission(db: &TestDb, firm_id: i64) {
    let mut conn = db.store.pool().acquire().await.unwrap();
    let mut eti = dossier(
        "D015",
        "Industries Alpines",
        15,
        "Sud",
        "bruno@durand.fr",
        300.0,
    );
    eti.financials.turnover = Some(10_000_000_000);
    eti.category = Some((SizeCategory::Eti, CategorySource::Override));
    dossiers::upsert(&mut conn, firm_id, &eti, &Actor::System, clock().now())
        .await
        .unwrap();
    let limits = anomalies::AnomalyLimits::default();
    anomalies::evaluate(&mut conn, firm_id, &limits, clock().now(), clock().today())
        .await
        .unwrap();
}

// A contact reminders cannot reach says why, on the card and in readiness.
both_backends!(an_unreachable_contact_says_why, |db: TestDb| async move {
    let core = setup(&db).await;
    let claire = caller(&core, "claire@durand.fr").await;
    let mut conn = db.store.pool().acquire().await.unwrap();
    let now = clock().now();
    let email = |e: &str| Email::parse(e).unwrap();
    cabready_store::contacts::mark_bounced(
        &mut conn,
        claire.firm_id,
        &email("d001@client.fr"),
        "550 unknown user",
        &Actor::System,
        now,
    )
    .await
    .unwrap();
    cabready_store::contacts::opt_out(
        &mut conn,
        claire.firm_id,
        &email("d002@client.fr"),
        "STOP",
        &Actor::System,
        now,
    )
    .await
    .unwrap();
    drop(conn);
    for (code, card_says, ready_says) in [
        (
            "D001",
            "Client <d001@client.fr> — adresse en erreur",
            "adresse e-mail en erreur (messages revenus) : en trouver une autre",
        ),
        (
            "D002",
            "Client <d002@client.fr> — ne veut plus de relances (STOP)",
            "le contact a demandé à ne plus recevoir de relances (STOP)",
        ),
    ] {
        let card = core.execute(&claire, &format!("dossier {code}")).await;
        assert_eq!(field(&card, "Contact"), card_says);
        let ready = core.execute(&claire, &format!("pret {code}")).await;
        assert!(text(&ready).contains(ready_says), "{}", text(&ready));
    }
});

// Two Annes: the one who can handle the anomaly is the one meant.
both_backends!(
    a_name_that_fits_two_users_means_the_one_who_can_act,
    |db: TestDb| async move {
        let core = setup(&db).await;
        let claire = caller(&core, "claire@durand.fr").await;
        eti_without_emission(&db, claire.firm_id).await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        for u in [
            user("anne.sud@durand.fr", Role::Accountant, &["Sud"]),
            user("anne.lecture@durand.fr", Role::Viewer, &[]),
        ] {
            users::upsert(&mut conn, claire.firm_id, &u, &Actor::System, clock().now())
                .await
                .unwrap();
        }
        drop(conn);
        let queue = core.execute(&claire, "anomalies dossier D015").await;
        let first = &queue.sections[0].items[0];
        let id = &first[1..first.find(' ').unwrap()];
        // anne@ works on Nord and anne.lecture@ only reads: D015 is in Sud.
        let given = core.execute(&claire, &format!("assigner {id} anne")).await;
        assert_eq!(given.tone, Tone::Success, "{}", text(&given));
        assert!(
            text(&given).contains("assignée à anne.sud@durand.fr"),
            "{}",
            text(&given)
        );
        // A manager named Anne could handle it too: the two who could are
        // named, not those who could not.
        let mut conn = db.store.pool().acquire().await.unwrap();
        users::upsert(
            &mut conn,
            claire.firm_id,
            &user("anne.associee@durand.fr", Role::Manager, &[]),
            &Actor::System,
            clock().now(),
        )
        .await
        .unwrap();
        drop(conn);
        let both = core.execute(&claire, &format!("assigner {id} anne")).await;
        assert_eq!(both.tone, Tone::Error, "{}", text(&both));
        assert!(
            text(&both).contains(
                "désigne plusieurs utilisateurs (anne.associee@durand.fr, anne.sud@durand.fr)"
            ),
            "{}",
            text(&both)
        );
    }
);

both_backends!(the_anomaly_queue_in_chat, |db: TestDb| async move {
    let core = setup(&db).await;
    let claire = caller(&core, "claire@durand.fr").await;
    // An ETI in Sud: emission applies since 1 Sept 2026 and nothing was emitted.
    eti_without_emission(&db, claire.firm_id).await;

    let queue = core.execute(&claire, "anomalies").await;
    assert_eq!(queue.title, "Anomalies — ouvertes");
    assert_eq!(field(&queue, "critique"), "1");
    let first = &queue.sections[0].items[0];
    assert!(
        first.contains("[critique] D015 Industries Alpines — Aucune facture émise"),
        "{first}"
    );
    let id: i64 = first[1..first.find(' ').unwrap()].parse().unwrap();
    assert_eq!(queue.actions[0].command, format!("assigner {id} moi"));

    let before = core.execute(&claire, "pret D015").await;
    assert!(
        before.sections[0].items.contains(
            &"aucune anomalie critique ouverte — dès que possible — 1 ouverte(s)".to_string()
        ),
        "{}",
        text(&before)
    );

    let anne = caller(&core, "anne@durand.fr").await;
    let refused = core.execute(&anne, &format!("resoudre {id}")).await;
    assert_eq!(refused.tone, Tone::Refused);
    assert!(refused
        .description
        .unwrap()
        .starts_with("le dossier D015 est dans le portefeuille « Sud »"));
    let lea = caller(&core, "lea@durand.fr").await;
    assert_eq!(
        core.execute(&lea, &format!("commenter {id} vu")).await.tone,
        Tone::Refused
    );
    // No one-click action is offered to whoever may not use it.
    assert!(core.execute(&lea, "anomalies").await.actions.is_empty());
    assert!(core
        .execute(&anne, &format!("anomalie {id}"))
        .await
        .actions
        .is_empty());
    let offered: Vec<String> = core
        .execute(&claire, &format!("anomalie {id}"))
        .await
        .actions
        .into_iter()
        .map(|a| a.command)
        .collect();
    assert_eq!(
        offered,
        vec![format!("assigner {id} moi"), format!("resoudre {id}")]
    );

    // Nobody gets an anomaly they could not handle: Anne is in Nord, Léa reads only.
    let given = core
        .execute(&claire, &format!("assigner {id} anne@durand.fr"))
        .await;
    assert_eq!(
        given.description.as_deref(),
        Some("anne@durand.fr ne pourrait pas traiter cette anomalie : son rôle ou ses portefeuilles ne couvrent pas le dossier D015 ; assignez-la à un collaborateur du portefeuille ou à un associé")
    );
    let given = core
        .execute(&claire, &format!("assigner {id} lea@durand.fr"))
        .await;
    assert_eq!(
        given.description.as_deref(),
        Some("lea@durand.fr ne pourrait pas traiter cette anomalie : son rôle « lecteur » permet de consulter, pas d'agir ; assignez-la à un collaborateur du portefeuille ou à un associé")
    );
    // New, it went to the dossier's accountant, Bruno; Claire takes it off
    // him, and he takes it again.
    let bruno = caller(&core, "bruno@durand.fr").await;
    let mine = core.execute(&bruno, "anomalies miennes").await;
    assert_eq!(field(&mine, "Ouvertes"), "4", "{}", text(&mine));
    let off = core
        .execute(&claire, &format!("assigner {id} personne"))
        .await;
    assert_eq!(off.tone, Tone::Success, "{}", text(&off));
    let assigned = core.execute(&bruno, &format!("assigner {id} moi")).await;
    assert_eq!(assigned.tone, Tone::Success, "{}", text(&assigned));
    let line = assigned.description.unwrap();
    assert!(line.ends_with("assignée à bruno@durand.fr"), "{line}");
    // Its age in the queue in words, not "depuis 0 j".
    assert!(line.contains(" — ouverte aujourd'hui — "), "{line}");
    let twice = core.execute(&bruno, &format!("assigner {id} moi")).await;
    assert_eq!(twice.tone, Tone::Info, "nothing to do is no failure");
    assert_eq!(
        twice.description.as_deref(),
        Some(format!("l'anomalie n°{id} est déjà assignée à bruno@durand.fr").as_str())
    );
    let mine = core.execute(&bruno, "anomalies miennes").await;
    assert_eq!(field(&mine, "Ouvertes"), "4");
    assert_eq!(
        core.execute(
            &bruno,
            &format!("commenter {id} client relancé par téléphone")
        )
        .await
        .tone,
        Tone::Success
    );
    let no_reason = core.execute(&bruno, &format!("ignorer {id}")).await;
    assert_eq!(no_reason.title, "Commande incomplète");
    let resolved = core
        .execute(
            &bruno,
            &format!("resoudre {id} première facture émise le 24/11"),
        )
        .await;
    assert_eq!(resolved.tone, Tone::Success, "{}", text(&resolved));
    // Said once, with its note.
    let said = resolved.description.clone().unwrap();
    assert_eq!(said.matches("résolue").count(), 1, "{said}");
    assert!(
        said.contains("— résolue le 25/11/2026 10:00 : première facture émise le 24/11 —"),
        "{said}"
    );
    let again = core.execute(&bruno, &format!("resoudre {id}")).await;
    assert_eq!(
        again.description.as_deref(),
        Some(format!("l'anomalie n°{id} n'est plus ouverte (résolue)").as_str())
    );
    // The queue's history: what became of the anomalies handled.
    let handled = core.execute(&bruno, "anomalies closes").await;
    let handled_text = text(&handled);
    assert!(
        handled_text.contains(&format!("#{id} ")) && handled_text.contains("— résolue le "),
        "{handled_text}"
    );
    assert_eq!(field(&handled, "En tout"), "1", "{handled_text}");
    let open = core.execute(&bruno, "anomalies").await;
    assert!(!text(&open).contains(&format!("#{id} ")), "{}", text(&open));
    let all = core.execute(&bruno, "anomalies toutes").await;
    assert!(text(&all).contains(&format!("#{id} ")), "{}", text(&all));
    let unknown = core.execute(&bruno, "resoudre 999999").await;
    assert_eq!(
        unknown.description.as_deref(),
        Some("aucune anomalie n°999999 dans ce cabinet (voir « anomalies »)")
    );
    let wrong_user = core
        .execute(&claire, "assigner 1 personne@ailleurs.fr")
        .await;
    assert!(wrong_user
        .description
        .unwrap()
        .starts_with("« personne@ailleurs.fr » n'est pas un utilisateur du cabinet"));
    // A user is also named by their name, without the email.
    let by_name = core.execute(&claire, "assigner 1 @Claire").await;
    assert_eq!(by_name.tone, Tone::Success, "{}", text(&by_name));
    assert!(
        text(&by_name).contains("assignée à claire@durand.fr"),
        "{}",
        text(&by_name)
    );

    let after = core.execute(&claire, "pret D015").await;
    assert!(
        after.sections[1]
            .items
            .contains(&"aucune anomalie critique ouverte".to_string()),
        "{}",
        text(&after)
    );
    let card = core.execute(&claire, "dossier D015").await;
    assert!(card
        .sections
        .iter()
        .any(|s| s.title == "Derniers flux" && s.items == vec!["aucun flux importé"]));

    let mut conn = db.store.pool().acquire().await.unwrap();
    let d015 = dossiers::find_by_code(&mut conn, claire.firm_id, "D015")
        .await
        .unwrap()
        .unwrap();
    let lines = journal::for_dossier(&mut conn, claire.firm_id, d015.id, 10)
        .await
        .unwrap();
    let by_bruno: Vec<&str> = lines
        .iter()
        .filter(|l| l.actor == "bruno@durand.fr")
        .map(|l| l.action.as_str())
        .collect();
    assert_eq!(
        by_bruno.len(),
        3,
        "assign, comment, resolve journaled with the chat user: {by_bruno:?}"
    );
    drop(conn);

    // The anomaly's card, read by a viewer: its state and its whole history.
    let shown = core.execute(&lea, &format!("anomalie #{id}")).await;
    assert_eq!(shown.tone, Tone::Info, "{}", text(&shown));
    assert_eq!(
        shown.title,
        format!("Anomalie #{id} — D015 Industries Alpines")
    );
    assert!(
        field(&shown, "Statut").starts_with("résolue ("),
        "{}",
        text(&shown)
    );
    assert_eq!(field(&shown, "Assignée à"), "bruno@durand.fr");
    assert_eq!(field(&shown, "Note"), "première facture émise le 24/11");
    assert_eq!(field(&shown, "Règle"), "dossiers sans émission");
    let history: Vec<String> = shown.sections[0]
        .items
        .iter()
        .map(|i| {
            i.split_once(" — ")
                .map_or(i.clone(), |(_at, rest)| rest.to_string())
        })
        .collect();
    assert_eq!(
        history,
        vec![
            format!("cabready — anomalie #{id} ouverte : Aucune facture émise alors que l'émission s'applique depuis le 01/09/2026 — assignée à bruno@durand.fr"),
            format!("claire@durand.fr — anomalie #{id} désassignée"),
            format!("bruno@durand.fr — anomalie #{id} assignée à bruno@durand.fr"),
            format!("bruno@durand.fr — anomalie #{id} commentée : « client relancé par téléphone »"),
            format!("bruno@durand.fr — anomalie #{id} résolue : première facture émise le 24/11"),
        ],
        "{}",
        text(&shown)
    );
    assert!(
        shown.actions.is_empty(),
        "a resolved anomaly offers nothing to do"
    );
    let missing = core.execute(&lea, "anomalie 999999").await;
    assert_eq!(
        missing.description.as_deref(),
        Some("aucune anomalie n°999999 dans ce cabinet (voir « anomalies »)")
    );
    // A PME in a VAT group issues e-invoices from 2026: the card says why.
    let mut conn = db.store.pool().acquire().await.unwrap();
    let mut grouped = dossier(
        "D016",
        "Filiale Groupée",
        16,
        "Sud",
        "bruno@durand.fr",
        20.0,
    );
    grouped.category = Some((SizeCategory::Pme, CategorySource::Override));
    grouped.flags.vat_group = true;
    dossiers::upsert(
        &mut conn,
        claire.firm_id,
        &grouped,
        &Actor::System,
        clock().now(),
    )
    .await
    .unwrap();
    drop(conn);
    let grouped_card = core.execute(&claire, "dossier D016").await;
    let obligations = &grouped_card
        .sections
        .iter()
        .find(|s| s.title == "Obligations")
        .unwrap()
        .items;
    assert!(
        obligations.contains(
            &"émission des factures électroniques : en vigueur depuis le 01/09/2026 (groupe TVA) — À RÉGULARISER : aucune facture émise depuis le 01/09/2026".to_string()
        ),
        "{obligations:?}"
    );
    // Met once an invoice was emitted since; but when the emissions stopped
    // and the queue says so, the card does not call it "en règle".
    flow(
        &db,
        &core,
        claire.firm_id,
        "D016",
        "Pennylane",
        Direction::Emitted,
        60,
    )
    .await;
    let stopped = core.execute(&claire, "anomalies dossier D016").await;
    let id = stopped.sections[0].items[0][1..]
        .split(' ')
        .next()
        .unwrap()
        .to_string();
    let card = core.execute(&claire, "dossier D016").await;
    let obligations = &card
        .sections
        .iter()
        .find(|s| s.title == "Obligations")
        .unwrap()
        .items;
    assert!(
        obligations.contains(&format!(
            "émission des factures électroniques : en vigueur depuis le 01/09/2026 (groupe TVA) — À VÉRIFIER : plus aucune facture émise (#{id})"
        )),
        "{obligations:?}\n{}",
        text(&stopped)
    );
    // It emits again: closed. Forty-five days of silence later, reopened:
    // its card is dated from the reopening and keeps the first time in view.
    flow(
        &db,
        &core,
        claire.firm_id,
        "D016",
        "Pennylane",
        Direction::Emitted,
        0,
    )
    .await;
    let later = Core {
        clock: Clock::fixed(core.clock.now() + chrono::Duration::days(45)),
        ..core.clone()
    };
    let mut conn = db.store.pool().acquire().await.unwrap();
    let back = anomalies::evaluate(
        &mut conn,
        claire.firm_id,
        &anomalies::AnomalyLimits::default(),
        later.clock.now(),
        later.clock.today(),
    )
    .await
    .unwrap();
    assert_eq!(back.reopened, 1, "{back:?}");
    drop(conn);
    let reopened = later.execute(&claire, &format!("anomalie {id}")).await;
    assert_eq!(
        field(&reopened, "Ouverte le"),
        "09/01/2027 10:00 (rouverte ; signalée la première fois le 25/11/2026 10:00)",
        "{}",
        text(&reopened)
    );
    // The dossier's journal says the same in words, no codes or raw details.
    let log = core.execute(&claire, "journal D015 4").await;
    assert_eq!(log.sections[0].items.len(), 4, "{}", text(&log));
    assert!(
        log.sections[0]
            .items
            .iter()
            .all(|i| !i.contains('{') && !i.contains("anomaly.")),
        "{}",
        text(&log)
    );
});

both_backends!(notices_follow_the_journal, |db: TestDb| async move {
    let core = setup(&db).await;
    let claire = caller(&core, "claire@durand.fr").await;
    // What an adapter (console, Discord) follows: from the journal's end when it starts.
    let mut follower = cabready_bot::notices::Follower::start(&core, claire.firm_id)
        .await
        .unwrap();
    let mut conn = db.store.pool().acquire().await.unwrap();
    let start = journal::last_id(&mut conn, claire.firm_id).await.unwrap();
    // A user's change is not a notice; a client's email that brings the mandate is.
    let d002 = dossiers::find_by_code(&mut conn, claire.firm_id, "D002")
        .await
        .unwrap()
        .unwrap();
    let requested = mandates::Transition {
        kind: MandateKind::Delegation,
        to: MandateStatus::Requested,
        note: None,
    };
    mandates::change_status(
        &mut conn,
        claire.firm_id,
        d002.id,
        requested,
        &Actor::User("bruno@durand.fr".into()),
        clock().now(),
    )
    .await
    .unwrap();
    let received = mandates::Transition {
        kind: MandateKind::Delegation,
        to: MandateStatus::ReceivedToVerify,
        note: Some("pièce jointe"),
    };
    let client = Actor::Client("d002@client.fr".into());
    mandates::change_status(
        &mut conn,
        claire.firm_id,
        d002.id,
        received,
        &client,
        clock().now(),
    )
    .await
    .unwrap();
    // A critical anomaly: an ETI that emitted nothing.
    let mut eti = dossier(
        "D015",
        "Industries Alpines",
        15,
        "Sud",
        "bruno@durand.fr",
        300.0,
    );
    eti.category = Some((SizeCategory::Eti, CategorySource::Override));
    dossiers::upsert(
        &mut conn,
        claire.firm_id,
        &eti,
        &Actor::System,
        clock().now(),
    )
    .await
    .unwrap();
    anomalies::evaluate(
        &mut conn,
        claire.firm_id,
        &anomalies::AnomalyLimits::default(),
        clock().now(),
        clock().today(),
    )
    .await
    .unwrap();
    drop(conn);

    let found = cabready_bot::notices::since(&core, claire.firm_id, start)
        .await
        .unwrap();
    let titles: Vec<&str> = found.replies.iter().map(|r| r.title.as_str()).collect();
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert_eq!(
        titles[0],
        "Mandat mis à jour par e-mail — D002 Garage des Tilleuls"
    );
    assert_eq!(
        found.replies[0].description.as_deref(),
        Some("mandat de délégation : demandé → reçu à vérifier (d002@client.fr)")
    );
    let buttons: Vec<&str> = found.replies[0]
        .actions
        .iter()
        .map(|a| a.command.as_str())
        .collect();
    assert_eq!(
        buttons,
        vec![
            "mandat D002 signé",
            "mandat D002 demandé document non conforme",
            "dossier D002"
        ]
    );
    assert!(
        titles[1].starts_with("Nouvelle anomalie critique #"),
        "{titles:?}"
    );
    assert!(found.replies[1].actions[0].command.starts_with("assigner "));
    assert!(found.last_id > start);

    let again = cabready_bot::notices::since(&core, claire.firm_id, found.last_id)
        .await
        .unwrap();
    assert!(again.replies.is_empty(), "each notice once");
    assert_eq!(again.last_id, found.last_id);
    let followed = follower.poll(&core).await.unwrap();
    assert_eq!(
        followed
            .iter()
            .map(|r| r.title.as_str())
            .collect::<Vec<_>>(),
        titles
    );
    assert!(
        follower.poll(&core).await.unwrap().is_empty(),
        "each notice once"
    );
    // The validate button works for the portfolio's accountant.
    let bruno = caller(&core, "bruno@durand.fr").await;
    assert_eq!(core.execute(&bruno, buttons[0]).await.tone, Tone::Success);
});

both_backends!(
    concurrent_chat_changes_wait_their_turn,
    |db: TestDb| async move {
        // Chat commands read, then write: on SQLite two such transactions
        // started together must queue for the write lock, not fail with
        // "database is locked" (a deferred BEGIN would make some fail here).
        let core = std::sync::Arc::new(setup(&db).await);
        let bruno = caller(&core, "bruno@durand.fr").await;
        eti_without_emission(&db, bruno.firm_id).await;
        let queue = core.execute(&bruno, "anomalies").await;
        let first = &queue.sections[0].items[0];
        let id: i64 = first[1..first.find(' ').unwrap()].parse().unwrap();

        let mut tasks = tokio::task::JoinSet::new();
        for n in 0..12 {
            let (core, bruno) = (core.clone(), bruno.clone());
            tasks.spawn(async move {
                core.execute(&bruno, &format!("commenter {id} appel n°{n}"))
                    .await
            });
        }
        while let Some(reply) = tasks.join_next().await {
            let reply = reply.unwrap();
            assert_eq!(reply.tone, Tone::Success, "{}", text(&reply));
        }
        let mut conn = db.store.pool().acquire().await.unwrap();
        let comments = anomalies::comments(&mut conn, bruno.firm_id, id)
            .await
            .unwrap();
        assert_eq!(comments.len(), 12);
    }
);

both_backends!(
    settle_an_interrupted_reminder_in_chat,
    |db: TestDb| async move {
        use cabready_store::outbox::{self, Resolution, State};
        let dir = tempfile::tempdir().unwrap();
        let core = Core {
            mailer: Some(mailer(dir.path())),
            ..setup(&db).await
        };
        let bruno = caller(&core, "bruno@durand.fr").await;
        let planned = core.execute(&bruno, "relancer D002").await;
        assert_eq!(planned.title, "Relance prévue", "{}", text(&planned));
        // A sender claimed it and died mid-send; nobody can tell: `unknown`.
        let claimed = outbox::claim_due(&db.store, clock().now(), 10)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        let id = claimed[0].id;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let firm = firms::resolve(&mut conn, None).await.unwrap();
        outbox::resolve_stuck(
            &mut conn,
            firm.id,
            id,
            Resolution::Unknown,
            &journal::Actor::System,
            clock().now(),
        )
        .await
        .unwrap();
        drop(conn);

        let bad = core
            .execute(&bruno, &format!("regler {id} peut-etre"))
            .await;
        assert_eq!(bad.tone, Tone::Error, "{}", text(&bad));
        let anne = caller(&core, "anne@durand.fr").await;
        let refused = core.execute(&anne, &format!("regler {id} envoyée")).await;
        assert_eq!(refused.tone, Tone::Refused, "{}", text(&refused));
        let settled = core.execute(&bruno, &format!("regler {id} envoyée")).await;
        assert_eq!(
            settled.title,
            "Relance réglée : envoyée",
            "{}",
            text(&settled)
        );
        let again = core
            .execute(&bruno, &format!("regler {id} non-envoyee"))
            .await;
        assert_eq!(again.title, "Rien à régler", "{}", text(&again));

        let mut conn = db.store.pool().acquire().await.unwrap();
        let reminder = outbox::get(&mut conn, firm.id, id).await.unwrap();
        assert_eq!(reminder.state, State::Sent);
        let lines = journal::for_dossier(&mut conn, firm.id, reminder.dossier_id, 5)
            .await
            .unwrap();
        assert!(
            lines
                .iter()
                .any(|l| l.action == "reminder.settled" && l.actor == "bruno@durand.fr"),
            "{lines:?}"
        );
        let d2 = dossiers::find_by_code(&mut conn, firm.id, "D002")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(d2.delegation, MandateStatus::Requested);
    }
);

both_backends!(
    notices_show_client_replies_and_triage,
    |db: TestDb| async move {
        use cabready_store::inbound::{self, NewInbound};
        let core = setup(&db).await;
        let claire = caller(&core, "claire@durand.fr").await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        let start = journal::last_id(&mut conn, claire.firm_id).await.unwrap();
        let d002 = dossiers::find_by_code(&mut conn, claire.firm_id, "D002")
            .await
            .unwrap()
            .unwrap();
        // What the reply worker writes for a client's question (a warning)
        // and for a message it could not tie to a reminder.
        anomalies::raise(
            &mut conn,
            claire.firm_id,
            "mail:q1@client.fr",
            "mail_reply",
            anomalies::Severity::Warning,
            d002.id,
            serde_json::json!({ "label_fr": "question", "from": "d***@client.fr", "text": "À quoi sert ce mandat ?" }),
            clock().now(),
        )
        .await
        .unwrap();
        let new = NewInbound {
            message_key: "lost@nulle-part.fr",
            place: None,
            sender: Some("inconnu@nulle-part.fr"),
            subject: "Bonjour",
            sent_at: None,
            kind: "reply",
            intent: Some("question"),
            reminder_id: None,
            dossier_id: None,
            contact_id: None,
            outcome: "à trier",
            visible_text: "Vous avez mon dossier ?",
        };
        let id = inbound::record(
            &mut conn,
            claire.firm_id,
            &new,
            &Actor::System,
            clock().now(),
        )
        .await
        .unwrap()
        .unwrap();
        inbound::triage(
            &mut conn,
            claire.firm_id,
            id,
            "aucune relance correspondante",
            clock().now(),
        )
        .await
        .unwrap();
        drop(conn);
        let found = cabready_bot::notices::since(&core, claire.firm_id, start)
            .await
            .unwrap();
        let titles: Vec<&str> = found.replies.iter().map(|r| r.title.as_str()).collect();
        assert_eq!(titles.len(), 2, "{titles:?}");
        assert!(
            titles[0].starts_with("Réponse d'un client à traiter #"),
            "{titles:?}"
        );
        assert!(
            found.replies[0]
                .description
                .as_deref()
                .unwrap()
                .contains("À quoi sert ce mandat ?"),
            "{:?}",
            found.replies[0].description
        );
        assert!(
            titles[1].starts_with("E-mail à trier #")
                && titles[1].ends_with(" — aucune relance correspondante"),
            "{titles:?}"
        );
        assert_eq!(found.replies[1].actions[0].command, "atrier");
        assert!(found.replies[1]
            .description
            .as_deref()
            .unwrap()
            .contains("inconnu@nulle-part.fr"));
    }
);

both_backends!(sorting_the_triage_queue_in_chat, |db: TestDb| async move {
    use cabready_store::inbound::{self, NewInbound};
    let core = setup(&db).await;
    let claire = caller(&core, "claire@durand.fr").await;
    let anne = caller(&core, "anne@durand.fr").await;
    let lea = caller(&core, "lea@durand.fr").await;
    let empty = core.execute(&anne, "atrier").await;
    assert_eq!(empty.title, "Aucun e-mail à trier");
    let mut conn = db.store.pool().acquire().await.unwrap();
    let mut triaged = Vec::new();
    for (key, sender, intent, text) in [
        (
            "m1@garage.fr",
            "compta@garage-tilleuls.fr",
            "signed_attached",
            "Voici le mandat signé.",
        ),
        (
            "m2@promo.example",
            "offres@promo.example",
            "unclear",
            "Découvrez nos offres",
        ),
    ] {
        let new = NewInbound {
            message_key: key,
            place: None,
            sender: Some(sender),
            subject: "Re: mandat",
            sent_at: None,
            kind: "reply",
            intent: Some(intent),
            reminder_id: None,
            dossier_id: None,
            contact_id: None,
            outcome: "à trier",
            visible_text: text,
        };
        let id = inbound::record(
            &mut conn,
            claire.firm_id,
            &new,
            &Actor::System,
            clock().now(),
        )
        .await
        .unwrap()
        .unwrap();
        triaged.push(
            inbound::triage(
                &mut conn,
                claire.firm_id,
                id,
                "expéditeur inconnu",
                clock().now(),
            )
            .await
            .unwrap(),
        );
    }
    drop(conn);
    let (garage, promo) = (triaged[0], triaged[1]);

    let list = core.execute(&lea, "atrier").await;
    assert_eq!(list.title, "2 e-mail(s) à trier", "{}", text(&list));
    let shown = text(&list);
    assert!(shown.contains(&format!("#{garage} ")), "{shown}");
    assert!(shown.contains("compta@garage-tilleuls.fr"), "{shown}");
    assert!(shown.contains("mandat signé joint"), "{shown}");

    // A viewer may read but not sort; an accountant only into their portfolios.
    let refused = core
        .execute(&lea, &format!("trier {promo} ignorer pub"))
        .await;
    assert!(refused.is_error(), "{}", text(&refused));
    let refused = core.execute(&anne, &format!("trier {garage} D002")).await;
    assert!(refused.is_error(), "{}", text(&refused));
    assert!(text(&refused).contains("Sud"), "{}", text(&refused));
    let by_role = core.execute(&lea, "trier 9999 D001").await;
    assert_eq!(
        by_role.tone,
        Tone::Refused,
        "the role first: {}",
        text(&by_role)
    );
    let unknown = core.execute(&anne, "trier 9999 D001").await;
    assert!(unknown.is_error());
    assert!(text(&unknown).contains("9999"), "{}", text(&unknown));

    // Claire ties the garage's email to D002: no mandate moves, the next step is offered.
    let mut conn = db.store.pool().acquire().await.unwrap();
    let before = dossiers::find_by_code(&mut conn, claire.firm_id, "D002")
        .await
        .unwrap()
        .unwrap()
        .delegation;
    drop(conn);
    let tied = core
        .execute(&claire, &format!("trier {garage} Tilleuls"))
        .await;
    assert!(!tied.is_error(), "{}", text(&tied));
    assert!(tied.title.contains("D002"), "{}", tied.title);
    assert!(
        tied.actions
            .iter()
            .any(|a| a.command == format!("mandat D002 recu \"e-mail n°{garage}\"")),
        "{:?}",
        tied.actions
    );
    let again = core.execute(&claire, &format!("trier {garage} D001")).await;
    assert_eq!(again.title, "Déjà trié");
    let mut conn = db.store.pool().acquire().await.unwrap();
    let d002 = dossiers::find_by_code(&mut conn, claire.firm_id, "D002")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d002.delegation, before);
    assert_eq!(
        mandates::status(&mut conn, claire.firm_id, d002.id, MandateKind::Delegation)
            .await
            .unwrap(),
        before
    );
    let item = inbound::get_triage(&mut conn, claire.firm_id, garage)
        .await
        .unwrap();
    assert!(!item.open);
    assert_eq!(item.message.dossier_id, Some(d002.id));
    drop(conn);
    let log = core.execute(&claire, "journal D002").await;
    assert!(
        text(&log).contains("e-mail trié et rattaché, de compta@garage-tilleuls.fr"),
        "{}",
        text(&log)
    );

    // The promotion is set aside by an accountant, with a reason in the journal.
    let aside = core
        .execute(&anne, &format!("trier {promo} ignorer publicité"))
        .await;
    assert!(!aside.is_error(), "{}", text(&aside));
    let left = core.execute(&anne, "atrier").await;
    assert_eq!(left.title, "Aucun e-mail à trier");
    let mut conn = db.store.pool().acquire().await.unwrap();
    let lines = journal::since(&mut conn, claire.firm_id, 0, 10_000)
        .await
        .unwrap();
    assert!(lines.iter().any(|l| l.action == "inbound.triage_closed"
        && l.actor == "anne@durand.fr"
        && l.details["reason"] == "publicité"));
});

/// Whether `pret D` still lists the item among what is missing.
fn missing(reply: &Reply, item: &str) -> bool {
    reply
        .sections
        .iter()
        .filter(|s| s.title == "Ce qui manque")
        .flat_map(|s| &s.items)
        .any(|i| i.starts_with(item))
}

both_backends!(
    recording_a_dossiers_platform_in_chat,
    |db: TestDb| async move {
        let core = setup(&db).await;
        let anne = caller(&core, "anne@durand.fr").await;
        let lea = caller(&core, "lea@durand.fr").await;
        let firm_id = anne.firm_id;
        {
            let mut conn = db.store.pool().acquire().await.unwrap();
            platforms::ensure(&mut conn, firm_id, "Qonto")
                .await
                .unwrap();
        }
        // Before: no platform, and readiness says it is missing.
        let card = core.execute(&anne, "dossier D004").await;
        assert_eq!(
            field(&card, "Plateforme"),
            "aucune plateforme choisie (à enregistrer : plateforme D004 NOM)"
        );
        let before = core.execute(&anne, "pret D004").await;
        assert!(
            missing(&before, "plateforme agréée choisie — avant le"),
            "{}",
            text(&before)
        );

        // A viewer reads but may not change; an accountant only their portfolios.
        let viewer = core.execute(&lea, "plateforme D004 Pennylane").await;
        assert_eq!(viewer.tone, Tone::Refused, "{}", text(&viewer));
        assert!(viewer
            .description
            .unwrap()
            .starts_with("votre rôle « lecteur » permet de consulter"));
        let other = core.execute(&anne, "plateforme D002 Pennylane").await;
        assert_eq!(other.tone, Tone::Refused, "{}", text(&other));

        // A name the firm does not know gets the firm's list.
        let unknown = core.execute(&anne, "plateforme D004 Chorus").await;
        assert_eq!(unknown.tone, Tone::Error);
        assert_eq!(unknown.title, "Plateforme inconnue");
        assert!(unknown
            .description
            .as_deref()
            .unwrap()
            .starts_with("« Chorus » n'est pas une plateforme agréée connue du cabinet."));
        assert_eq!(unknown.sections[0].items, vec!["Pennylane, Qonto"]);

        // Recorded, "choisie" by default, whatever the case typed.
        let set = core.execute(&anne, "plateforme D004 pennylane").await;
        assert_eq!(set.tone, Tone::Success, "{}", text(&set));
        assert_eq!(set.title, "Plateforme enregistrée — D004 Société numéro 4");
        assert_eq!(set.description.as_deref(), Some("Pennylane — choisie"));
        assert!(set.actions.iter().any(|a| a.command == "pret D004"));
        let card = core.execute(&lea, "dossier D004").await;
        assert_eq!(field(&card, "Plateforme"), "Pennylane — choisie");
        let after = core.execute(&lea, "pret D004").await;
        assert!(
            !missing(&after, "plateforme agréée choisie"),
            "{}",
            text(&after)
        );
        assert!(
            missing(
                &after,
                "compte actif sur la plateforme et inscription à l'annuaire"
            ),
            "{}",
            text(&after)
        );

        // The same again: "déjà", nothing written.
        let again = core
            .execute(&anne, "plateforme D004 Pennylane choisie")
            .await;
        assert_eq!(again.tone, Tone::Info, "{}", text(&again));
        assert_eq!(
            again.description.as_deref(),
            Some("le dossier D004 a déjà la plateforme Pennylane, « choisie » : rien à changer")
        );

        // Forward, several words for the state.
        let open = core
            .execute(&anne, "plateforme Société numéro 4 Pennylane compte ouvert")
            .await;
        assert_eq!(open.tone, Tone::Success, "{}", text(&open));
        assert_eq!(
            open.description.as_deref(),
            Some("Pennylane : choisie → compte ouvert")
        );
        // Back is refused, with the way to correct a mistake; no state said
        // while further is "déjà".
        let back = core
            .execute(&anne, "plateforme D004 Pennylane choisie")
            .await;
        assert_eq!(back.tone, Tone::Error, "{}", text(&back));
        assert_eq!(
            back.description.as_deref(),
            Some("le dossier D004 est déjà « compte ouvert » sur Pennylane : un état ne revient pas en arrière (vers « choisie »). S'il s'agit d'une erreur de saisie : plateforme D004 Pennylane choisie correction")
        );
        let plain = core.execute(&anne, "plateforme D004 Pennylane").await;
        assert_eq!(
            plain.description.as_deref(),
            Some("le dossier D004 a déjà la plateforme Pennylane, « compte ouvert » : rien à changer")
        );
        let corrected = core
            .execute(&anne, "plateforme D004 Pennylane choisie correction")
            .await;
        assert_eq!(corrected.tone, Tone::Success, "{}", text(&corrected));
        assert_eq!(
            corrected.description.as_deref(),
            Some("Pennylane : compte ouvert → choisie (correction)")
        );
        // Another platform replaces it.
        let switched = core.execute(&anne, "plateforme D004 qonto raccordée").await;
        assert_eq!(
            switched.description.as_deref(),
            Some("Pennylane (choisie) → Qonto (inscrit à l'annuaire)")
        );
        let ready = core.execute(&anne, "pret D004").await;
        assert!(
            !missing(
                &ready,
                "compte actif sur la plateforme et inscription à l'annuaire"
            ),
            "{}",
            text(&ready)
        );

        // English: alias and words.
        let english = Core {
            lang: Lang::En,
            ..core.clone()
        };
        let live = english.execute(&anne, "platform D004 Qonto live").await;
        assert_eq!(live.title, "Platform recorded — D004 Société numéro 4");
        assert_eq!(
            live.description.as_deref(),
            Some("Qonto: in the directory → live")
        );
        let unknown_en = english.execute(&anne, "platform D004 Chorus").await;
        assert_eq!(unknown_en.title, "Unknown platform");

        // The journal says each change in words, with its author.
        let log = core.execute(&lea, "journal D004 20").await;
        let items = &log.sections[0].items;
        for expected in [
            "anne@durand.fr — plateforme : Qonto (inscrit à l'annuaire → en production)",
            "anne@durand.fr — plateforme : Pennylane (choisie) → Qonto (inscrit à l'annuaire)",
            "anne@durand.fr — plateforme : Pennylane (compte ouvert → choisie) (correction)",
            "anne@durand.fr — plateforme : Pennylane (choisie → compte ouvert)",
            "anne@durand.fr — plateforme : Pennylane (choisie)",
        ] {
            assert!(
                items.iter().any(|i| i.ends_with(expected)),
                "{expected}: {items:?}"
            );
        }
        assert_eq!(
            items
                .iter()
                .filter(|i| i.contains(" — plateforme : "))
                .count(),
            5,
            "refused and repeated changes wrote nothing: {items:?}"
        );

        // An anomaly about flows through a platform offers to record it,
        // and recording it closes it at once (no flow through any other
        // platform remains), and says so.
        let d005 = {
            let mut conn = db.store.pool().acquire().await.unwrap();
            let d005 = dossiers::find_by_code(&mut conn, firm_id, "D005")
                .await
                .unwrap()
                .unwrap();
            anomalies::raise(
                &mut conn,
                firm_id,
                &format!("other_platform:{}:pennylane", d005.id),
                "other_platform",
                anomalies::Severity::Info,
                d005.id,
                serde_json::json!({ "platform": "Pennylane", "recorded": null }),
                core.clock.now(),
            )
            .await
            .unwrap()
            .unwrap()
        };
        let shown = core.execute(&anne, &format!("anomalies {d005}")).await;
        assert!(
            shown
                .description
                .as_deref()
                .unwrap()
                .ends_with("enregistrez-la (commande « plateforme »)"),
            "{}",
            text(&shown)
        );
        let offer = shown
            .actions
            .iter()
            .find(|a| a.label == "enregistrer la plateforme Pennylane")
            .unwrap_or_else(|| panic!("{}", text(&shown)));
        assert_eq!(offer.command, "plateforme D005 Pennylane");
        let settled = core.execute(&anne, &offer.command).await;
        assert_eq!(settled.tone, Tone::Success, "{}", text(&settled));
        assert_eq!(
            settled.sections[0].title,
            "Anomalies closes par ce changement"
        );
        assert!(settled.sections[0].items[0]
            .starts_with(&format!("#{d005} — Factures reçues via Pennylane")));
        assert!(!text(&settled).contains("prochaine évaluation"));
        let mut conn = db.store.pool().acquire().await.unwrap();
        assert_eq!(
            anomalies::get(&mut conn, firm_id, d005)
                .await
                .unwrap()
                .status,
            anomalies::AnomalyStatus::Closed
        );
    }
);

/// Records a flow received by dossier `code` through `platform`, then runs the firm's rules.
async fn received_through(db: &TestDb, core: &Core, firm_id: i64, code: &str, platform: &str) {
    flow(db, core, firm_id, code, platform, Direction::Received, 1).await
}

/// Records a flow of dossier `code` through `platform`, its status `days_ago`,
/// then runs the firm's rules.
async fn flow(
    db: &TestDb,
    core: &Core,
    firm_id: i64,
    code: &str,
    platform: &str,
    direction: Direction,
    days_ago: i64,
) {
    use cabready_store::invoices::{self, FlowEvent};
    let mut conn = db.store.pool().acquire().await.unwrap();
    let dossier = dossiers::find_by_code(&mut conn, firm_id, code)
        .await
        .unwrap()
        .unwrap();
    let now = core.clock.now();
    let event = FlowEvent {
        dossier_id: dossier.id,
        platform: platform.into(),
        platform_invoice_id: format!("{code}-R{days_ago}"),
        invoice_number: format!("F-{code}-{days_ago}"),
        issue_date: Some(now.date_naive() - chrono::Duration::days(days_ago + 1)),
        direction,
        seller_siren: match direction {
            Direction::Received => "732829320".into(),
            Direction::Emitted => dossier.record.siren.to_string(),
        },
        buyer_siren: match direction {
            Direction::Received => dossier.record.siren.to_string(),
            Direction::Emitted => "732829320".into(),
        },
        siren_problem: None,
        amount_ht: Some(10_000),
        amount_ttc: Some(12_000),
        currency: "EUR".into(),
        code: LifecycleCode::parse("205").unwrap(),
        status_at: now - chrono::Duration::days(days_ago),
        label: "205".into(),
        reason: None,
    };
    invoices::record_batch(&mut conn, firm_id, &[event], "r.csv", &Actor::System, now)
        .await
        .unwrap();
    anomalies::evaluate(
        &mut conn,
        firm_id,
        &anomalies::AnomalyLimits::default(),
        now,
        now.date_naive(),
    )
    .await
    .unwrap();
}

both_backends!(
    platform_changes_settle_flows_on_another_platform_in_chat,
    |db: TestDb| async move {
        let core = setup(&db).await;
        let anne = caller(&core, "anne@durand.fr").await;
        let bruno = caller(&core, "bruno@durand.fr").await;
        let lea = caller(&core, "lea@durand.fr").await;
        let firm_id = anne.firm_id;
        {
            let mut conn = db.store.pool().acquire().await.unwrap();
            platforms::ensure(&mut conn, firm_id, "Qonto")
                .await
                .unwrap();
        }
        // D004 receives through Pennylane, with no platform recorded.
        received_through(&db, &core, firm_id, "D004", "Pennylane").await;
        let queue = core.execute(&anne, "anomalies dossier D004").await;
        let id: i64 = {
            let mut conn = db.store.pool().acquire().await.unwrap();
            anomalies::list(
                &mut conn,
                firm_id,
                &anomalies::Filter {
                    dossier_code: Some("D004".into()),
                    rule: Some("other_platform".into()),
                    ..Default::default()
                },
                core.clock.now(),
            )
            .await
            .unwrap()
            .first()
            .unwrap_or_else(|| panic!("{}", text(&queue)))
            .id
        };
        let status = |id: i64| {
            let store = db.store.clone();
            async move {
                let mut conn = store.pool().acquire().await.unwrap();
                let a = anomalies::get(&mut conn, firm_id, id).await.unwrap();
                (a.status, a.severity)
            }
        };

        // The wrong platform: the anomaly stays open, now a warning naming
        // the platform recorded, and the reply says so.
        let wrong = core.execute(&anne, "plateforme D004 Qonto").await;
        assert_eq!(wrong.tone, Tone::Success, "{}", text(&wrong));
        assert_eq!(
            wrong.sections[0].title,
            "Toujours ouvertes (flux reçus via une autre plateforme)"
        );
        assert_eq!(
            wrong.sections[0].items,
            vec![format!("#{id} — Factures reçues via Pennylane alors que la plateforme de réception enregistrée est Qonto : vérifier l'annuaire (ou, si le client a changé de plateforme, l'enregistrer avec la commande « plateforme »)")]
        );
        assert_eq!(
            status(id).await,
            (anomalies::AnomalyStatus::Open, anomalies::Severity::Warning)
        );
        assert!(wrong
            .actions
            .iter()
            .any(|a| a.command == "anomalies dossier D004"));

        // The right one: closed at once, journaled.
        let right = core.execute(&anne, "plateforme D004 Pennylane").await;
        assert_eq!(right.tone, Tone::Success, "{}", text(&right));
        assert_eq!(right.sections.len(), 1, "{}", text(&right));
        assert_eq!(
            right.sections[0].title,
            "Anomalies closes par ce changement"
        );
        assert!(right.sections[0].items[0]
            .starts_with(&format!("#{id} — Factures reçues via Pennylane")));
        assert_eq!(status(id).await.0, anomalies::AnomalyStatus::Closed);
        let ready = core.execute(&anne, "pret D004").await;
        assert!(
            !missing(&ready, "plateforme agréée choisie"),
            "{}",
            text(&ready)
        );

        // Removal: refused to a viewer and to an accountant of another
        // portfolio (nothing changes), allowed to the dossier's accountant.
        let viewer = core.execute(&lea, "plateforme D004 aucune").await;
        assert_eq!(viewer.tone, Tone::Refused, "{}", text(&viewer));
        let other = core.execute(&bruno, "plateforme D004 retirer").await;
        assert_eq!(other.tone, Tone::Refused, "{}", text(&other));
        let card = core.execute(&lea, "dossier D004").await;
        assert_eq!(field(&card, "Plateforme"), "Pennylane — choisie");

        let removed = core.execute(&anne, "plateforme D004 aucune").await;
        assert_eq!(removed.tone, Tone::Success, "{}", text(&removed));
        assert_eq!(removed.title, "Plateforme retirée — D004 Société numéro 4");
        assert_eq!(
            removed.description.as_deref(),
            Some("Pennylane (choisie) n'est plus la plateforme du dossier D004")
        );
        // Flows through Pennylane with no platform recorded: open again.
        assert_eq!(
            removed.sections[0].title,
            "Anomalies ouvertes par ce changement"
        );
        assert!(
            removed.sections[0].items[0].starts_with(&format!(
                "#{id} — Factures reçues via Pennylane alors qu'aucune plateforme n'est enregistrée"
            )) && removed.sections[0].items[0].ends_with("(rouverte)"),
            "{}",
            text(&removed)
        );
        assert_eq!(
            status(id).await,
            (anomalies::AnomalyStatus::Open, anomalies::Severity::Info)
        );
        let card = core.execute(&lea, "dossier D004").await;
        assert_eq!(
            field(&card, "Plateforme"),
            "aucune plateforme choisie (à enregistrer : plateforme D004 NOM)"
        );
        let ready = core.execute(&anne, "pret D004").await;
        assert!(
            missing(&ready, "plateforme agréée choisie — avant le"),
            "{}",
            text(&ready)
        );
        let again = core.execute(&anne, "plateforme D004 retirer").await;
        assert_eq!(again.tone, Tone::Info, "{}", text(&again));
        assert_eq!(
            again.description.as_deref(),
            Some("le dossier D004 n'a pas de plateforme enregistrée : rien à retirer")
        );

        // The journal: who removed what, and the anomaly's moves.
        let log = core.execute(&lea, "journal D004 20").await;
        let items = &log.sections[0].items;
        for expected in [
            "anne@durand.fr — plateforme retirée : Pennylane (choisie)".to_string(),
            format!("cabready — anomalie #{id} rouverte : la condition est revenue"),
            format!("cabready — anomalie #{id} close d'elle-même : la condition a disparu (plateforme du dossier enregistrée : Pennylane)"),
            format!("cabready — anomalie #{id} mise à jour : Factures reçues via Pennylane alors que la plateforme de réception enregistrée est Qonto"),
        ] {
            assert!(
                items.iter().any(|i| i.contains(&expected)),
                "{expected}: {items:?}"
            );
        }
        assert_eq!(
            items
                .iter()
                .filter(|i| i.contains("plateforme retirée"))
                .count(),
            1,
            "refused and empty removals wrote nothing: {items:?}"
        );

        // English words.
        let english = Core {
            lang: Lang::En,
            ..core.clone()
        };
        core.execute(&anne, "plateforme D004 Qonto").await;
        let en = english.execute(&anne, "platform D004 remove").await;
        assert_eq!(en.title, "Platform removed — D004 Société numéro 4");
        assert_eq!(
            en.description.as_deref(),
            Some("Qonto (chosen) is no longer dossier D004's platform")
        );
        assert_eq!(
            en.sections[0].title,
            "Still open (flows received through another platform)"
        );
    }
);
