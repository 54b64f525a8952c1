//! `aide [commande]`.

use crate::{Core, Reply};
use cabready_store::Lang;

/// (canonical name, usage, French description, English description)
const HELP: &[(&str, &str, &str, &str)] = &[
    (
        "pret",
        "pret [dossier | portefeuille P | cabinet | miens]",
        "score de préparation, état, ce qui manque, prochaine échéance",
        "readiness score, state, what is missing, next deadline",
    ),
    (
        "dossier",
        "dossier D",
        "fiche du dossier (code, SIREN ou partie du nom)",
        "the dossier's card (code, SIREN or part of the name)",
    ),
    (
        "anomalies",
        "anomalies [ouvertes | miennes | dossier D | portefeuille P | N]",
        "la file des anomalies, la plus grave et la plus ancienne d'abord ; avec un numéro N, l'anomalie en détail et son historique",
        "the anomaly queue, most severe and oldest first; with a number N, that anomaly in full with its history",
    ),
    (
        "assigner",
        "assigner N @utilisateur|moi|personne",
        "assigner l'anomalie N (ou la reprendre)",
        "assign anomaly N (or take it back)",
    ),
    (
        "commenter",
        "commenter N texte",
        "commenter l'anomalie N",
        "comment on anomaly N",
    ),
    (
        "resoudre",
        "resoudre N [note]",
        "marquer l'anomalie N résolue, en disant ce qui a été fait",
        "mark anomaly N resolved, saying what was done",
    ),
    (
        "ignorer",
        "ignorer N raison",
        "écarter l'anomalie N (ce n'est pas un problème), en disant pourquoi",
        "dismiss anomaly N (not a problem), saying why",
    ),
    (
        "mandats",
        "mandats [en-retard] [portefeuille P]",
        "mandats de délégation non signés",
        "delegation mandates not yet signed",
    ),
    (
        "mandat",
        "mandat D [délégation|désignation|facturation] statut [note]",
        "changer le statut d'un mandat (demandé, relancé, reçu, signé, refusé, expiré)",
        "change a mandate's status",
    ),
    (
        "relancer",
        "relancer D",
        "relancer le client maintenant",
        "remind the client now",
    ),
    (
        "regler",
        "regler N envoyee|non-envoyee",
        "régler une relance « à vérifier » (envoi interrompu) : envoyée, ou à renvoyer au prochain créneau",
        "settle a reminder left \"to check\" (sending interrupted): sent, or to send at the next slot",
    ),
    (
        "atrier",
        "atrier",
        "les e-mails de clients que CabReady n'a pu rattacher à aucune relance",
        "clients' emails CabReady could not tie to a reminder",
    ),
    (
        "trier",
        "trier N D | trier N ignorer raison",
        "rattacher l'e-mail N au dossier D, ou l'écarter en disant pourquoi",
        "tie email N to dossier D, or set it aside saying why",
    ),
    (
        "calendrier",
        "calendrier [90j]",
        "échéances en retard et à venir",
        "overdue and upcoming deadlines",
    ),
    (
        "journal",
        "journal D [n]",
        "les n dernières actions sur un dossier",
        "the latest n actions on a dossier",
    ),
    ("aide", "aide [commande]", "cette aide", "this help"),
];

pub fn run(core: &Core, topic: Option<&str>) -> Reply {
    let lang = core.lang;
    let describe =
        |(_, usage, fr, en): &(&str, &str, &str, &str)| format!("{usage} — {}", lang.pick(fr, en));
    if let Some(entry) = topic.and_then(|t| HELP.iter().find(|(name, ..)| *name == t)) {
        return Reply::info(format!(
            "{}{}{}",
            lang.pick("Aide", "Help"),
            lang.colon(),
            entry.0
        ))
        .with_description(describe(entry));
    }
    let intro = match topic {
        // Asked about something that is not a command: say so first.
        Some(unknown) => match lang {
            Lang::Fr => format!("« {unknown} » n'est pas une commande. Voici la liste."),
            Lang::En => format!("'{unknown}' is not a command. Here is the list."),
        },
        None => lang
            .pick(
                "Un dossier se désigne par son code, son SIREN ou une partie de son nom. Ajoutez « page 2 » pour la suite d'une longue liste.",
                "Name a dossier by its code, SIREN or part of its name. Add 'page 2' to see more of a long list.",
            )
            .to_string(),
    };
    Reply::info(lang.pick("Commandes CabReady", "CabReady commands"))
        .with_description(intro)
        .section(
            lang.pick("Commandes", "Commands"),
            HELP.iter().map(describe).collect(),
        )
}

pub fn usage_error(core: &Core, command: &str, problem: &str) -> Reply {
    let lang = core.lang;
    let usage = HELP
        .iter()
        .find(|(name, ..)| *name == command)
        .map(|(_, u, ..)| *u)
        .unwrap_or(command);
    Reply::error(
        lang.pick("Commande incomplète", "Incomplete command"),
        match lang {
            Lang::Fr => format!("{problem}. Usage : {usage}"),
            Lang::En => format!("{problem}. Usage: {usage}"),
        },
    )
    .action(lang.pick("Aide", "Help"), format!("aide {command}"))
}
