//! From the text a user typed to a [`Command`]: French names first, English
//! aliases, arguments in any reasonable spelling. A trailing `page N`
//! selects a page of a long answer.

use cabready_store::calendar::parse_horizon;
use cabready_store::domain::{fold, MandateKind, MandateStatus};

/// What `pret` / `anomalies` / `mandats` look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// The whole firm (`cabinet`).
    Firm,
    /// The caller's own portfolios (`miens`).
    Mine,
    Portfolio(String),
    Dossier(String),
}

/// Which anomalies `anomalies` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnomalyScope {
    Open,
    Mine,
    Dossier(String),
    Portfolio(String),
}

/// What to do with one anomaly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnomalyAction {
    /// `moi`, an email or a Discord mention.
    Assign(String),
    Comment(String),
    Resolve(Option<String>),
    Dismiss(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Anomalies(AnomalyScope),
    /// `anomalies N` (or `anomalie #N`): one anomaly in full.
    AnomalyCard(i64),
    Anomaly {
        id: i64,
        action: AnomalyAction,
    },
    Ready(Option<Scope>),
    Dossier(String),
    Mandates {
        late_only: bool,
        portfolio: Option<String>,
    },
    Mandate {
        dossier: String,
        kind: MandateKind,
        status: MandateStatus,
        note: Option<String>,
    },
    Remind(String),
    /// `regler N envoyee|non-envoyee`: a reminder left "to check".
    Settle {
        id: i64,
        sent: bool,
    },
    /// `atrier`: the messages the reply worker could not tie to a reminder.
    Triage,
    /// `trier N D` / `trier N ignorer raison`.
    Sort {
        id: i64,
        target: SortTarget,
    },
    Calendar {
        days: i64,
    },
    Journal {
        dossier: String,
        count: i64,
    },
    Help(Option<String>),
}

/// Where `trier` puts a message of the triage queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SortTarget {
    /// The dossier it belongs to (as the user named it).
    Dossier(String),
    /// Not for any dossier, and why.
    Ignore(String),
}

/// A parsed line: the command and the page asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub command: Command,
    pub page: usize,
}

/// Why a line is not a command; rendered with the command's help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    Empty,
    UnknownCommand {
        word: String,
        suggestion: Option<&'static str>,
    },
    /// Bad or missing arguments: the command's canonical name and what is wrong.
    /// What is wrong, in both languages: the core answers in the firm's.
    Usage {
        command: &'static str,
        fr: String,
        en: String,
    },
}

/// The commands, canonical French name first, then aliases.
pub const COMMANDS: &[(&str, &[&str])] = &[
    ("pret", &["prêt", "ready", "readiness"]),
    ("dossier", &["fiche", "client", "card"]),
    ("anomalies", &["anomalie", "anomalies"]),
    ("assigner", &["assign", "attribuer"]),
    ("commenter", &["comment", "commentaire"]),
    ("resoudre", &["résoudre", "resolve", "resolu"]),
    ("ignorer", &["dismiss", "ecarter", "écarter"]),
    ("mandats", &["mandates"]),
    ("mandat", &["mandate"]),
    ("relancer", &["relance", "remind"]),
    ("regler", &["régler", "settle"]),
    ("atrier", &["à-trier", "a-trier", "triage", "inbox"]),
    ("trier", &["sort", "rattacher"]),
    ("calendrier", &["calendar", "echeances"]),
    ("journal", &["log", "history", "historique"]),
    ("aide", &["help", "?"]),
];

/// Splits on spaces, keeping "quoted text" together.
pub fn tokenize(input: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    for c in input.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => current.push(c),
            (None, '"' | '«' | '“') => {
                quote = Some(if c == '«' {
                    '»'
                } else if c == '“' {
                    '”'
                } else {
                    '"'
                })
            }
            (None, c) if c.is_whitespace() => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            (None, c) => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        tokens.push(current.trim().to_string());
    }
    tokens
}

pub fn canonical(word: &str) -> Option<&'static str> {
    let key = fold(word.trim_start_matches('/'));
    COMMANDS
        .iter()
        .find(|(name, aliases)| fold(name) == key || aliases.iter().any(|a| fold(a) == key))
        .map(|(n, _)| *n)
}

fn closest_command(word: &str) -> Option<&'static str> {
    let key = fold(word);
    let key = key.as_str();
    // Aliases too, and the word itself is suggested: "hepl" gets "help",
    // not "aide". Short aliases ("?") would be close to any short typo.
    COMMANDS
        .iter()
        .flat_map(|(name, aliases)| std::iter::once(name).chain(aliases.iter()))
        .filter(|word| word.chars().count() >= 3)
        .map(|word| (crate::lookup::distance(key, &fold(word)), *word))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, n)| n)
}

fn usage(command: &'static str, fr: impl Into<String>, en: impl Into<String>) -> ParseError {
    ParseError::Usage {
        command,
        fr: fr.into(),
        en: en.into(),
    }
}

fn is_word(token: &str, words: &[&str]) -> bool {
    let key = fold(token);
    words.iter().any(|w| fold(w) == key)
}

pub fn parse(input: &str) -> Result<Parsed, ParseError> {
    let mut tokens = tokenize(input);
    let mut page = 1;
    if tokens.len() >= 3 && is_word(&tokens[tokens.len() - 2], &["page", "p"]) {
        if let Ok(n) = tokens[tokens.len() - 1].parse::<usize>() {
            page = n.max(1);
            tokens.truncate(tokens.len() - 2);
        }
    }
    let Some(first) = tokens.first() else {
        return Err(ParseError::Empty);
    };
    let name = canonical(first).ok_or_else(|| ParseError::UnknownCommand {
        word: first.clone(),
        suggestion: closest_command(first),
    })?;
    let args = &tokens[1..];
    let rest = |from: usize| Some(args[from..].join(" ")).filter(|s| !s.is_empty());
    let command = match name {
        "pret" => Command::Ready(match args {
            [] => None,
            [w] if is_word(w, &["cabinet", "firm", "tout", "all"]) => Some(Scope::Firm),
            [w] if is_word(w, &["miens", "mes", "mine", "moi"]) => Some(Scope::Mine),
            [w, p @ ..] if is_word(w, &["portefeuille", "portfolio", "pf"]) && !p.is_empty() => {
                Some(Scope::Portfolio(p.join(" ")))
            }
            [w] if is_word(w, &["portefeuille", "portfolio"]) => {
                return Err(usage(
                    "pret",
                    "nom du portefeuille manquant",
                    "portfolio name missing",
                ));
            }
            _ => Some(Scope::Dossier(args.join(" "))),
        }),
        "dossier" => Command::Dossier(
            rest(0).ok_or_else(|| usage("dossier", "dossier manquant", "dossier missing"))?,
        ),
        "anomalies" => match args {
            [n] if n.trim_start_matches('#').parse::<i64>().is_ok() => {
                Command::AnomalyCard(n.trim_start_matches('#').parse().unwrap_or_default())
            }
            _ => Command::Anomalies(match args {
                [] => AnomalyScope::Open,
                [w] if is_word(w, &["ouvertes", "open", "toutes", "all"]) => AnomalyScope::Open,
                [w] if is_word(w, &["miennes", "mine", "mes"]) => AnomalyScope::Mine,
                [w, d @ ..] if is_word(w, &["dossier"]) && !d.is_empty() => {
                    AnomalyScope::Dossier(d.join(" "))
                }
                [w, p @ ..] if is_word(w, &["portefeuille", "portfolio"]) && !p.is_empty() => {
                    AnomalyScope::Portfolio(p.join(" "))
                }
                _ => {
                    return Err(usage(
                        "anomalies",
                        format!("argument inconnu « {} »", args.join(" ")),
                        format!("unknown argument '{}'", args.join(" ")),
                    ))
                }
            }),
        },
        "assigner" | "commenter" | "resoudre" | "ignorer" => {
            let id = args
                .first()
                .and_then(|a| a.trim_start_matches('#').parse::<i64>().ok())
                .ok_or_else(|| {
                    usage(
                        name,
                        "numéro d'anomalie manquant (par exemple 12)",
                        "anomaly number missing (for instance 12)",
                    )
                })?;
            let text = rest(1);
            let action = match name {
                "assigner" => AnomalyAction::Assign(text.ok_or_else(|| {
                    usage(
                        "assigner",
                        "à qui ? (un e-mail, @mention ou « moi »)",
                        "to whom? (an email, @mention or 'me')",
                    )
                })?),
                "commenter" => AnomalyAction::Comment(text.ok_or_else(|| {
                    usage(
                        "commenter",
                        "texte du commentaire manquant",
                        "comment text missing",
                    )
                })?),
                "resoudre" => AnomalyAction::Resolve(text),
                _ => AnomalyAction::Dismiss(text.ok_or_else(|| {
                    usage(
                        "ignorer",
                        "raison manquante : dites pourquoi ce n'est pas un problème",
                        "reason missing: say why it is not a problem",
                    )
                })?),
            };
            Command::Anomaly { id, action }
        }
        "mandats" => {
            let mut late_only = false;
            let mut portfolio = None;
            let mut i = 0;
            while i < args.len() {
                if is_word(
                    &args[i],
                    &["en-retard", "retard", "late", "overdue", "en_retard"],
                ) {
                    late_only = true;
                    i += 1;
                } else if is_word(&args[i], &["portefeuille", "portfolio"]) && i + 1 < args.len() {
                    portfolio = Some(args[i + 1..].join(" "));
                    break;
                } else {
                    return Err(usage(
                        "mandats",
                        format!("argument inconnu « {} »", args[i]),
                        format!("unknown argument '{}'", args[i]),
                    ));
                }
            }
            Command::Mandates {
                late_only,
                portfolio,
            }
        }
        "mandat" => {
            // mandat D [kind] status [note…]; D may be several words: the status word ends it.
            let status_at = args
                .iter()
                .enumerate()
                .skip(1)
                .find(|(_, t)| MandateStatus::parse(t).is_ok())
                .map(|(i, _)| i)
                .ok_or_else(|| {
                    usage(
                        "mandat",
                        "statut manquant ou inconnu",
                        "status missing or unknown",
                    )
                })?;
            let (mut dossier_words, mut kind) = (&args[..status_at], MandateKind::Delegation);
            if let Some((last, before)) = dossier_words.split_last() {
                if let Ok(k) = MandateKind::parse(last) {
                    if !before.is_empty() {
                        kind = k;
                        dossier_words = before;
                    }
                }
            }
            let status = MandateStatus::parse(&args[status_at])
                .map_err(|_| usage("mandat", "statut inconnu", "unknown status"))?;
            Command::Mandate {
                dossier: dossier_words.join(" "),
                kind,
                status,
                note: rest(status_at + 1),
            }
        }
        "relancer" => Command::Remind(
            rest(0).ok_or_else(|| usage("relancer", "dossier manquant", "dossier missing"))?,
        ),
        "regler" => match args {
            [id, outcome] => {
                let id = id.trim_start_matches('#').parse::<i64>().map_err(|_| {
                    usage(
                        "regler",
                        format!("numéro de relance invalide « {id} »"),
                        format!("invalid reminder number '{id}'"),
                    )
                })?;
                let sent = if is_word(outcome, &["envoyee", "envoye", "sent", "partie", "oui"]) {
                    true
                } else if is_word(
                    outcome,
                    &[
                        "non-envoyee",
                        "non-envoye",
                        "not-sent",
                        "pas-envoyee",
                        "non",
                    ],
                ) {
                    false
                } else {
                    return Err(usage(
                        "regler",
                        format!("« {outcome} » : envoyee ou non-envoyee"),
                        format!("'{outcome}': envoyee (sent) or non-envoyee (not sent)"),
                    ));
                };
                Command::Settle { id, sent }
            }
            _ => {
                return Err(usage(
                    "regler",
                    "regler N envoyee|non-envoyee",
                    "regler N envoyee|non-envoyee",
                ))
            }
        },
        "atrier" => match args {
            [] => Command::Triage,
            _ => {
                return Err(usage(
                    "atrier",
                    "pas d'argument attendu",
                    "no argument expected",
                ))
            }
        },
        "trier" => {
            let id = args
                .first()
                .and_then(|a| a.trim_start_matches('#').parse::<i64>().ok())
                .ok_or_else(|| {
                    usage(
                        "trier",
                        "numéro de l'e-mail à trier manquant (voir atrier)",
                        "number of the email to sort missing (see atrier)",
                    )
                })?;
            let target = match &args[1..] {
                [] => {
                    return Err(usage(
                        "trier",
                        "dossier manquant, ou « ignorer » et la raison",
                        "dossier missing, or 'ignorer' and the reason",
                    ))
                }
                [w, reason @ ..] if is_word(w, &["ignorer", "ignore", "dismiss", "ecarter"]) => {
                    if reason.is_empty() {
                        return Err(usage(
                            "trier",
                            "raison manquante : dites pourquoi ce message ne concerne aucun dossier",
                            "reason missing: say why this message concerns no dossier",
                        ));
                    }
                    SortTarget::Ignore(reason.join(" "))
                }
                [w, dossier @ ..] if is_word(w, &["dossier"]) && !dossier.is_empty() => {
                    SortTarget::Dossier(dossier.join(" "))
                }
                dossier => SortTarget::Dossier(dossier.join(" ")),
            };
            Command::Sort { id, target }
        }
        "calendrier" => Command::Calendar {
            days: match args {
                [] => 90,
                [h] => parse_horizon(h).ok_or_else(|| {
                    usage(
                        "calendrier",
                        format!("durée invalide « {h} »"),
                        format!("invalid period '{h}'"),
                    )
                })?,
                _ => {
                    return Err(usage(
                        "calendrier",
                        "un seul argument attendu, par exemple 90j",
                        "one argument expected, for instance 90d",
                    ))
                }
            },
        },
        "journal" => {
            let (dossier, count) = match args.split_last() {
                Some((n, before)) if !before.is_empty() && n.parse::<i64>().is_ok() => {
                    (before.join(" "), n.parse::<i64>().unwrap_or(10))
                }
                _ => (args.join(" "), 10),
            };
            if dossier.is_empty() {
                return Err(usage("journal", "dossier manquant", "dossier missing"));
            }
            if count < 1 {
                return Err(usage(
                    "journal",
                    format!("nombre de lignes invalide « {count} » (1 à 200)"),
                    format!("invalid number of lines '{count}' (1 to 200)"),
                ));
            }
            Command::Journal {
                dossier,
                count: count.clamp(1, 200),
            }
        }
        "aide" => Command::Help(args.first().map(|a| {
            canonical(a)
                .map(str::to_string)
                .unwrap_or_else(|| a.clone())
        })),
        _ => {
            return Err(ParseError::UnknownCommand {
                word: first.clone(),
                suggestion: None,
            })
        }
    };
    Ok(Parsed { command, page })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(s: &str) -> Command {
        parse(s).unwrap().command
    }

    #[test]
    fn french_names_english_aliases_and_quotes() {
        assert_eq!(cmd("pret cabinet"), Command::Ready(Some(Scope::Firm)));
        assert_eq!(
            cmd("ready portfolio Nord Est"),
            Command::Ready(Some(Scope::Portfolio("Nord Est".into())))
        );
        assert_eq!(
            cmd("prêt \"Garage des Tilleuls\""),
            Command::Ready(Some(Scope::Dossier("Garage des Tilleuls".into())))
        );
        assert_eq!(cmd("/dossier D001"), Command::Dossier("D001".into()));
        assert_eq!(cmd("calendrier 30j"), Command::Calendar { days: 30 });
        assert_eq!(
            cmd("journal D001 5"),
            Command::Journal {
                dossier: "D001".into(),
                count: 5
            }
        );
        assert_eq!(
            cmd("mandats en-retard portefeuille Sud"),
            Command::Mandates {
                late_only: true,
                portfolio: Some("Sud".into())
            }
        );
    }

    #[test]
    fn triage_and_sort() {
        assert_eq!(cmd("atrier"), Command::Triage);
        assert_eq!(cmd("à-trier"), Command::Triage);
        assert_eq!(
            cmd("trier 12 D001"),
            Command::Sort {
                id: 12,
                target: SortTarget::Dossier("D001".into())
            }
        );
        assert_eq!(
            cmd("sort #4 dossier Garage des Tilleuls"),
            Command::Sort {
                id: 4,
                target: SortTarget::Dossier("Garage des Tilleuls".into())
            }
        );
        assert_eq!(
            cmd("trier 7 ignorer publicité"),
            Command::Sort {
                id: 7,
                target: SortTarget::Ignore("publicité".into())
            }
        );
        for bad in [
            "trier",
            "trier x D001",
            "trier 7",
            "trier 7 ignorer",
            "atrier tout",
        ] {
            assert!(
                matches!(parse(bad), Err(ParseError::Usage { .. })),
                "{bad}: {:?}",
                parse(bad)
            );
        }
    }

    #[test]
    fn mandate_change_with_kind_and_note() {
        assert_eq!(
            cmd("mandat D001 signé reçu par courrier"),
            Command::Mandate {
                dossier: "D001".into(),
                kind: MandateKind::Delegation,
                status: MandateStatus::Signed,
                note: Some("reçu par courrier".into())
            }
        );
        assert_eq!(
            cmd("mandat Garage des Tilleuls facturation demandé"),
            Command::Mandate {
                dossier: "Garage des Tilleuls".into(),
                kind: MandateKind::Invoicing,
                status: MandateStatus::Requested,
                note: None
            }
        );
    }

    #[test]
    fn anomaly_commands() {
        assert_eq!(cmd("anomalies"), Command::Anomalies(AnomalyScope::Open));
        assert_eq!(cmd("anomalie #12"), Command::AnomalyCard(12));
        assert_eq!(cmd("anomalies 3"), Command::AnomalyCard(3));
        assert_eq!(
            cmd("anomalies miennes"),
            Command::Anomalies(AnomalyScope::Mine)
        );
        assert_eq!(
            cmd("anomalies dossier Garage des Tilleuls"),
            Command::Anomalies(AnomalyScope::Dossier("Garage des Tilleuls".into()))
        );
        assert_eq!(
            cmd("assigner #12 @moi"),
            Command::Anomaly {
                id: 12,
                action: AnomalyAction::Assign("@moi".into())
            }
        );
        assert_eq!(
            cmd("résoudre 12"),
            Command::Anomaly {
                id: 12,
                action: AnomalyAction::Resolve(None)
            }
        );
        assert_eq!(
            cmd("ignorer 3 doublon connu"),
            Command::Anomaly {
                id: 3,
                action: AnomalyAction::Dismiss("doublon connu".into())
            }
        );
        assert!(matches!(
            parse("ignorer 3"),
            Err(ParseError::Usage {
                command: "ignorer",
                ..
            })
        ));
        assert!(matches!(
            parse("assigner douze moi"),
            Err(ParseError::Usage {
                command: "assigner",
                ..
            })
        ));
    }

    #[test]
    fn page_and_errors() {
        assert_eq!(parse("mandats page 3").unwrap().page, 3);
        assert_eq!(parse(""), Err(ParseError::Empty));
        assert_eq!(
            parse("pert cabinet"),
            Err(ParseError::UnknownCommand {
                word: "pert".into(),
                suggestion: Some("pret")
            })
        );
        assert_eq!(
            parse("hepl"),
            Err(ParseError::UnknownCommand {
                word: "hepl".into(),
                suggestion: Some("help")
            })
        );
        assert!(matches!(
            parse("mandat D001 peut-être"),
            Err(ParseError::Usage {
                command: "mandat",
                ..
            })
        ));
        assert!(matches!(
            parse("calendrier bientôt"),
            Err(ParseError::Usage {
                command: "calendrier",
                ..
            })
        ));
        assert!(matches!(
            parse("dossier"),
            Err(ParseError::Usage {
                command: "dossier",
                ..
            })
        ));
        for zero in ["journal D001 0", "journal D001 -3"] {
            assert!(
                matches!(
                    parse(zero),
                    Err(ParseError::Usage {
                        command: "journal",
                        ..
                    })
                ),
                "{zero}"
            );
        }
        assert!(matches!(
            parse("journal D001 500").map(|p| p.command),
            Ok(Command::Journal { count: 200, .. })
        ));
    }
}
