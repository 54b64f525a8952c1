//! `aide [commande]`.

use crate::{Core, Reply};
use cabready_store::Lang;

/// (canonical name, French usage, English usage, French description, English
/// description). The English usage names the English alias and English
/// placeholders: an English reader types what they read.
type Entry = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const HELP: &[Entry] = &[
    (
        "pret",
        "pret [dossier | portefeuille P | cabinet | miens]",
        "ready [dossier | portfolio P | firm | mine]",
        "score de préparation, état, ce qui manque, prochaine échéance",
        "readiness score, state, what is missing, next deadline",
    ),
    (
        "dossier",
        "dossier D",
        "card D",
        "fiche du dossier (code, SIREN ou partie du nom)",
        "the dossier's card (code, SIREN or part of the name)",
    ),
    (
        "anomalies",
        "anomalies [ouvertes | closes | toutes | miennes | [dossier] D | portefeuille P | N]",
        "anomalies [open | closed | all | mine | [dossier] D | portfolio P | N]",
        "la file des anomalies, la plus grave et la plus ancienne d'abord (closes : celles closes d'elles-mêmes, résolues ou écartées) ; avec un numéro N, l'anomalie en détail et son historique",
        "the anomaly queue, most severe and oldest first (closed: those closed by themselves, resolved or dismissed); with a number N, that anomaly in full with its history",
    ),
    (
        "assigner",
        "assigner N @utilisateur|moi|personne",
        "assign N @user|me|nobody",
        "assigner l'anomalie N (ou la reprendre) : l'utilisateur par son e-mail, son nom ou sa mention Discord",
        "assign anomaly N (or take it back): the user by their email, name or Discord mention",
    ),
    (
        "commenter",
        "commenter N texte",
        "comment N text",
        "commenter l'anomalie N",
        "comment on anomaly N",
    ),
    (
        "resoudre",
        "resoudre N [note]",
        "resolve N [note]",
        "marquer l'anomalie N résolue, en disant ce qui a été fait",
        "mark anomaly N resolved, saying what was done",
    ),
    (
        "ignorer",
        "ignorer N raison",
        "dismiss N reason",
        "écarter l'anomalie N (ce n'est pas un problème), en disant pourquoi",
        "dismiss anomaly N (not a problem), saying why",
    ),
    (
        "mandats",
        "mandats [en-retard] [portefeuille P]",
        "mandates [late] [portfolio P]",
        "mandats de délégation non signés",
        "delegation mandates not yet signed",
    ),
    (
        "mandat",
        "mandat D [[délégation|désignation|facturation] statut [note]]",
        "mandate D [[delegation|designation|invoicing] status [note]]",
        "sans statut : où en sont les mandats du dossier (depuis quand, signature attendue avant le…) ; avec : changer le statut d'un mandat (demandé, relancé, reçu, signé, refusé, expiré)",
        "without a status: where the dossier's mandates stand (since when, signature due before…); with one: change a mandate's status (requested, reminded, received, signed, refused, expired)",
    ),
    (
        "plateforme",
        "plateforme D NOM [choisie|compte-ouvert|annuaire|production] [correction] | plateforme D aucune",
        "platform D NAME [chosen|account-open|directory|live] [correction] | platform D none",
        "enregistrer la plateforme agréée du dossier et où il en est (choisie par défaut ; annuaire = inscrit à l'annuaire, raccordé) ; un état ne revient en arrière qu'avec « correction » ; « aucune » (ou « retirer ») retire la plateforme enregistrée par erreur ; les anomalies « flux sur une autre plateforme » du dossier suivent aussitôt",
        "record the dossier's approved platform and how far it is (chosen by default; directory = in the directory, connected); a state only goes back with 'correction'; 'none' (or 'remove') removes a platform recorded by mistake; the dossier's 'flows on another platform' anomalies follow at once",
    ),
    (
        "relancer",
        "relancer D",
        "remind D",
        "relancer le client maintenant",
        "remind the client now",
    ),
    (
        "regler",
        "regler N envoyee|non-envoyee",
        "settle N sent|not-sent",
        "régler une relance « à vérifier » (envoi interrompu) : envoyée, ou à renvoyer au prochain créneau",
        "settle a reminder left \"to check\" (sending interrupted): sent, or to send at the next slot",
    ),
    (
        "atrier",
        "atrier",
        "triage",
        "les e-mails de clients que CabReady n'a pu rattacher à aucune relance",
        "clients' emails CabReady could not tie to a reminder",
    ),
    (
        "trier",
        "trier N D | trier N ignorer raison",
        "sort N D | sort N ignore reason",
        "rattacher l'e-mail N au dossier D, ou l'écarter en disant pourquoi",
        "tie email N to dossier D, or set it aside saying why",
    ),
    (
        "calendrier",
        "calendrier [90j]",
        "calendar [90d]",
        "échéances en retard et à venir",
        "overdue and upcoming deadlines",
    ),
    (
        "journal",
        "journal D [n]",
        "log D [n]",
        "les n dernières actions sur un dossier",
        "the latest n actions on a dossier",
    ),
    ("aide", "aide [commande]", "help [command]", "cette aide", "this help"),
];

/// The usage in `lang`.
fn usage(entry: &Entry, lang: Lang) -> &'static str {
    lang.pick(entry.1, entry.2)
}

/// The command's word in `lang`: the one its usage starts with.
fn word(entry: &Entry, lang: Lang) -> &'static str {
    let usage = usage(entry, lang);
    usage.split(' ').next().unwrap_or(usage)
}

/// A command line as CabReady offers it (an action, the next page: its
/// canonical French word first), with the reader's word for the command:
/// `journal C004` is `log C004` to an English reader. The parser takes both.
pub fn in_readers_words(line: &str, lang: Lang) -> String {
    let (first, rest) = line.split_once(' ').unwrap_or((line, ""));
    // The scope words the parser takes in English too.
    let rest = match lang {
        Lang::Fr => rest.to_string(),
        Lang::En => rest
            .split(' ')
            .map(|w| match w {
                "cabinet" => "firm".to_string(),
                "miens" | "miennes" => "mine".to_string(),
                "portefeuille" => "portfolio".to_string(),
                "ouvertes" => "open".to_string(),
                "closes" => "closed".to_string(),
                "toutes" => "all".to_string(),
                "moi" => "me".to_string(),
                "ignorer" => "ignore".to_string(),
                "envoyee" => "sent".to_string(),
                "non-envoyee" => "not-sent".to_string(),
                "demandé" => "requested".to_string(),
                "signé" => "signed".to_string(),
                "reçu" | "recu" => "received".to_string(),
                "refusé" => "refused".to_string(),
                // A horizon in days: "90j" is "90d".
                w if w.ends_with('j') && w[..w.len() - 1].parse::<u32>().is_ok() => {
                    format!("{}d", &w[..w.len() - 1])
                }
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
    };
    match entry(first) {
        Some(e) if rest.is_empty() => word(e, lang).to_string(),
        Some(e) => format!("{} {rest}", word(e, lang)),
        None => line.to_string(),
    }
}

fn entry(command: &str) -> Option<&'static Entry> {
    HELP.iter().find(|(name, ..)| *name == command)
}

pub fn run(core: &Core, topic: Option<&str>) -> Reply {
    let lang = core.lang;
    let describe =
        |entry: &Entry| format!("{} — {}", usage(entry, lang), lang.pick(entry.3, entry.4));
    if let Some(entry) = topic.and_then(entry) {
        return Reply::info(format!(
            "{}{}{}",
            lang.pick("Aide", "Help"),
            lang.colon(),
            word(entry, lang)
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
    let (usage, word) = entry(command)
        .map(|e| (usage(e, lang), word(e, lang)))
        .unwrap_or((command, command));
    Reply::error(
        lang.pick("Commande incomplète", "Incomplete command"),
        match lang {
            Lang::Fr => format!("{problem}. Usage : {usage}"),
            Lang::En => format!("{problem}. Usage: {usage}"),
        },
    )
    .action(
        lang.pick("Aide", "Help"),
        format!("{} {word}", lang.pick("aide", "help")),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::canonical;

    #[test]
    fn offered_commands_in_the_readers_words_parse_the_same() {
        for line in [
            "pret cabinet page 2",
            "journal C004",
            "anomalies miennes",
            "anomalies ouvertes page 2",
            "pret portefeuille Nord",
            "calendrier 90j page 2",
            "mandat D002 signé",
            "mandat D002 demandé document non conforme",
            "regler 3 non-envoyee",
            "trier 4 ignorer publicité",
            "aide",
        ] {
            let english = in_readers_words(line, Lang::En);
            assert_eq!(in_readers_words(line, Lang::Fr), line);
            assert_eq!(
                crate::parse::parse(&english).unwrap(),
                crate::parse::parse(line).unwrap(),
                "{line} / {english}"
            );
        }
        assert_eq!(
            in_readers_words("pret cabinet page 2", Lang::En),
            "ready firm page 2"
        );
        assert_eq!(in_readers_words("journal C004", Lang::En), "log C004");
        // The assignee is read when the command runs, "me" as "moi".
        assert_eq!(in_readers_words("assigner 5 moi", Lang::En), "assign 5 me");
    }

    #[test]
    fn english_help_in_english_words_the_parser_takes() {
        // The French placeholders and arguments an English reader once saw.
        let french = [
            "portefeuille",
            "cabinet",
            "miens",
            "ouvertes",
            "miennes",
            "utilisateur",
            "moi",
            "personne",
            "texte",
            "raison",
            "en-retard",
            "délégation",
            "désignation",
            "facturation",
            "statut",
            "envoyee",
            "non-envoyee",
            "ignorer",
            "90j",
            "commande",
            "choisie",
            "annuaire",
            "compte-ouvert",
            "aucune",
            "retirer",
        ];
        for entry in HELP {
            let english = format!("{} {}", usage(entry, Lang::En), entry.4);
            let words: Vec<&str> = english
                .split(|c: char| !(c.is_alphanumeric() || c == '-'))
                .collect();
            for w in french {
                assert!(!words.contains(&w), "« {w} » in English help: {english}");
            }
            for lang in [Lang::Fr, Lang::En] {
                assert_eq!(canonical(word(entry, lang)), Some(entry.0), "{entry:?}");
            }
        }
        assert_eq!(
            usage(entry("pret").unwrap(), Lang::En),
            "ready [dossier | portfolio P | firm | mine]"
        );
        // What the English help shows is taken as shown.
        for line in [
            "ready portfolio Nord",
            "ready firm",
            "anomalies open",
            "anomalies portfolio Nord",
            "assign 3 nobody",
            "mandates late portfolio Nord",
            "mandate D001 invoicing signed",
            "settle 4 not-sent",
            "sort 5 ignore spam",
            "calendar 90d",
            "log D001 5",
            "help calendar",
            "platform D001 Pennylane account-open",
            "platform D001 Pennylane chosen correction",
            "platform D001 none",
            "help platform",
        ] {
            assert!(crate::parse::parse(line).is_ok(), "{line}");
        }
    }
}
