//! From the text a user typed to a [`Command`]: French names first, English
//! aliases, arguments in any reasonable spelling. A trailing `page N`
//! selects a page of a long answer. A number typed wrong (`page 0`,
//! `journal D001 abc`) is said so rather than read as part of a name.

use cabready_store::calendar::parse_horizon;
use cabready_store::domain::{fold, MandateKind, MandateStatus, PlatformState};

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
    /// Closed by themselves, resolved or dismissed: the queue's history.
    Closed,
    /// Every status.
    All,
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
    /// `mandat D`: the dossier's mandates, where each stands.
    MandateShow(String),
    /// `plateforme D NOM [état] [correction]`: the dossier's reception
    /// platform and its state (`None`: not said, "choisie" for a new one).
    Platform {
        dossier: String,
        platform: String,
        state: Option<PlatformState>,
        /// Moving the state back on the same platform (a mistake corrected).
        correction: bool,
    },
    /// `plateforme D aucune` (or `retirer`): the dossier's platform removed.
    PlatformRemoval {
        dossier: String,
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
    ("anomalies", &["anomalie", "anomalies", "anomaly"]),
    ("assigner", &["assign", "attribuer"]),
    ("commenter", &["comment", "commentaire"]),
    ("resoudre", &["résoudre", "resolve", "resolu"]),
    ("ignorer", &["dismiss", "ignore", "ecarter", "écarter"]),
    ("mandats", &["mandates"]),
    ("mandat", &["mandate"]),
    ("plateforme", &["platform", "pdp", "plateforme-agreee"]),
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
    // Aliases too, and the word itself is suggested: "hepl" gets "help",
    // not "aide". Short aliases ("?") would be close to any short typo.
    crate::lookup::closest(
        word,
        COMMANDS
            .iter()
            .flat_map(|(name, aliases)| std::iter::once(*name).chain(aliases.iter().copied()))
            .filter(|word| word.chars().count() >= 3),
    )
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

/// A whole number ≥ 1 as typed (`3`, `+3`); one too large reads as the largest.
fn positive(token: &str) -> Option<i64> {
    let digits = token.strip_prefix('+').unwrap_or(token);
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(digits.parse::<i64>().unwrap_or(i64::MAX)).filter(|n| *n >= 1)
}

/// A number typed, whole or not, signed or not (`0`, `-1`, `2,5`): meant as
/// a number, never a word of a name.
fn looks_numeric(token: &str) -> bool {
    let digits = token.strip_prefix(['-', '+']).unwrap_or(token);
    digits.starts_with(|c: char| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
}

/// The number of an anomaly, a reminder or an email: `12` or `#12`.
fn number(token: &str) -> Option<i64> {
    positive(token.trim_start_matches('#'))
}

fn bad_anomaly_number(command: &'static str, token: &str) -> ParseError {
    usage(
        command,
        format!(
            "« {token} » : le numéro d'anomalie doit être un nombre entier ≥ 1 (par exemple 12)"
        ),
        format!("'{token}': the anomaly number must be a whole number ≥ 1 (for instance 12)"),
    )
}

/// One word with a digit (`D001`, a SIREN): a dossier's code, complete in
/// itself, so the words after it are not the rest of a name.
fn looks_like_code(name: &str) -> bool {
    !name.contains(char::is_whitespace) && name.contains(|c: char| c.is_ascii_digit())
}

/// A comment, a reason or a note ends the command: its words are kept as
/// typed ("voir page 3" is not a page).
fn ends_in_free_text(command: &Command) -> bool {
    matches!(
        command,
        Command::Anomaly {
            action: AnomalyAction::Comment(_)
                | AnomalyAction::Dismiss(_)
                | AnomalyAction::Resolve(Some(_)),
            ..
        } | Command::Mandate { note: Some(_), .. }
            | Command::Sort {
                target: SortTarget::Ignore(_),
                ..
            }
    )
}

/// Whether `page X` after `before` (parsed as `prefix`) may be the end of a
/// dossier or portfolio name ("pret La Page Blanche"): `before` ends in such
/// a name (not a code), or does not parse, or a name may still come.
fn name_may_go_on(prefix: &Result<Command, ParseError>, before: &[String]) -> bool {
    let ends_before = |n: &str| !looks_like_code(n) && before.join(" ").ends_with(n);
    match prefix {
        Err(_) | Ok(Command::Ready(None)) => true,
        Ok(
            Command::Ready(Some(Scope::Dossier(n) | Scope::Portfolio(n)))
            | Command::Anomalies(AnomalyScope::Dossier(n) | AnomalyScope::Portfolio(n))
            | Command::Dossier(n)
            | Command::Remind(n)
            | Command::MandateShow(n)
            | Command::Journal { dossier: n, .. }
            | Command::Mandates {
                portfolio: Some(n), ..
            },
        ) => ends_before(n),
        Ok(_) => false,
    }
}

pub fn parse(input: &str) -> Result<Parsed, ParseError> {
    let tokens = tokenize(input);
    let Some(first) = tokens.first() else {
        return Err(ParseError::Empty);
    };
    let name = canonical(first).ok_or_else(|| ParseError::UnknownCommand {
        word: first.clone(),
        suggestion: closest_command(first),
    })?;
    let args = &tokens[1..];
    if let [before @ .., word, n] = args {
        let prefix = is_word(word, &["page", "p"]).then(|| command(name, before));
        match prefix {
            Some(Ok(c)) if ends_in_free_text(&c) => {}
            Some(prefix) => {
                if let Some(page) = positive(n) {
                    let page = usize::try_from(page).unwrap_or(usize::MAX);
                    return prefix.map(|command| Parsed { command, page });
                }
                // "page abc" after a dossier code or "cabinet" is a page
                // mistyped; "p" is too short to say so unless a number follows.
                if looks_numeric(n)
                    || (is_word(word, &["page"]) && !name_may_go_on(&prefix, before))
                {
                    return Err(usage(
                        name,
                        format!("« {n} » : la page doit être un nombre entier ≥ 1"),
                        format!("'{n}': the page must be a whole number ≥ 1"),
                    ));
                }
            }
            None => {}
        }
    }
    Ok(Parsed {
        command: command(name, args)?,
        page: 1,
    })
}

/// The command `name` (canonical) with its arguments, the page taken off.
fn command(name: &'static str, args: &[String]) -> Result<Command, ParseError> {
    let rest = |from: usize| Some(args[from..].join(" ")).filter(|s| !s.is_empty());
    Ok(match name {
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
            [n] if looks_numeric(n.trim_start_matches('#')) => {
                Command::AnomalyCard(number(n).ok_or_else(|| bad_anomaly_number("anomalies", n))?)
            }
            _ => Command::Anomalies(match args {
                [] => AnomalyScope::Open,
                [w] if is_word(w, &["ouvertes", "open"]) => AnomalyScope::Open,
                [w] if is_word(
                    w,
                    &[
                        "closes", "fermees", "closed", "traitees", "handled", "resolues",
                        "resolved",
                    ],
                ) =>
                {
                    AnomalyScope::Closed
                }
                [w] if is_word(w, &["toutes", "all"]) => AnomalyScope::All,
                [w] if is_word(w, &["miennes", "mine", "mes"]) => AnomalyScope::Mine,
                [w, d @ ..] if is_word(w, &["dossier"]) && !d.is_empty() => {
                    AnomalyScope::Dossier(d.join(" "))
                }
                [w, p @ ..] if is_word(w, &["portefeuille", "portfolio"]) && !p.is_empty() => {
                    AnomalyScope::Portfolio(p.join(" "))
                }
                // A dossier named alone, as `pret D001` takes it.
                _ => AnomalyScope::Dossier(args.join(" ")),
            }),
        },
        "assigner" | "commenter" | "resoudre" | "ignorer" => {
            let id = match args.first() {
                Some(a) => number(a).ok_or_else(|| bad_anomaly_number(name, a))?,
                None => {
                    return Err(usage(
                        name,
                        "numéro d'anomalie manquant (par exemple 12)",
                        "anomaly number missing (for instance 12)",
                    ))
                }
            };
            let text = rest(1);
            let action = match name {
                "assigner" => AnomalyAction::Assign(text.ok_or_else(|| {
                    usage(
                        "assigner",
                        "à qui ? (un e-mail, un nom, @mention, « moi » ou « personne »)",
                        "to whom? (an email, a name, @mention, 'me' or 'nobody')",
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
            // mandat D [kind] status [note…]; D may be several words: the
            // status ends it, itself up to three words ("non demandé",
            // "reçu à vérifier"), the longest read first. Without a status:
            // the dossier's mandates (`mandat D`).
            let found = (1..args.len()).find_map(|i| {
                (1..=3)
                    .rev()
                    .filter(|n| i + n <= args.len())
                    .find(|n| MandateStatus::parse(&args[i..i + n].join(" ")).is_ok())
                    .map(|n| (i, n))
            });
            let Some((status_at, status_len)) = found else {
                // (A kind after the dossier shows them all: "mandat D facturation".)
                let dossier = match args.split_last() {
                    Some((last, before))
                        if !before.is_empty() && MandateKind::parse(last).is_ok() =>
                    {
                        before
                    }
                    _ => args,
                };
                return match dossier.join(" ") {
                    d if d.is_empty() => {
                        Err(usage("mandat", "dossier manquant", "dossier missing"))
                    }
                    d => Ok(Command::MandateShow(d)),
                };
            };
            let (mut dossier_words, mut kind) = (&args[..status_at], MandateKind::Delegation);
            if let Some((last, before)) = dossier_words.split_last() {
                if let Ok(k) = MandateKind::parse(last) {
                    if !before.is_empty() {
                        kind = k;
                        dossier_words = before;
                    }
                }
            }
            let status = MandateStatus::parse(&args[status_at..status_at + status_len].join(" "))
                .map_err(|_| usage("mandat", "statut inconnu", "unknown status"))?;
            Command::Mandate {
                dossier: dossier_words.join(" "),
                kind,
                status,
                note: rest(status_at + status_len),
            }
        }
        "plateforme" => platform(args)?,
        "relancer" => Command::Remind(
            rest(0).ok_or_else(|| usage("relancer", "dossier manquant", "dossier missing"))?,
        ),
        "regler" => match args {
            [id, outcome] => {
                let id = number(id).ok_or_else(|| {
                    usage(
                        "regler",
                        format!("« {id} » : le numéro de relance doit être un nombre entier ≥ 1"),
                        format!("'{id}': the reminder number must be a whole number ≥ 1"),
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
                        format!("'{outcome}': sent or not-sent"),
                    ));
                };
                Command::Settle { id, sent }
            }
            _ => {
                return Err(usage(
                    "regler",
                    "numéro de relance et « envoyee » ou « non-envoyee » attendus",
                    "a reminder number and 'sent' or 'not-sent' expected",
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
            let id = match args.first() {
                Some(a) => number(a).ok_or_else(|| {
                    usage(
                        "trier",
                        format!("« {a} » : le numéro de l'e-mail doit être un nombre entier ≥ 1 (voir atrier)"),
                        format!("'{a}': the email's number must be a whole number ≥ 1 (see triage)"),
                    )
                })?,
                None => {
                    return Err(usage(
                        "trier",
                        "numéro de l'e-mail à trier manquant (voir atrier)",
                        "number of the email to sort missing (see triage)",
                    ))
                }
            };
            let target = match &args[1..] {
                [] => {
                    return Err(usage(
                        "trier",
                        "dossier manquant, ou « ignorer » et la raison",
                        "dossier missing, or 'ignore' and the reason",
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
            // A last word is the count when it is a number, or when a dossier
            // code comes before it ("journal D001 abc"); else it ends a name.
            let (dossier, count) = match args.split_last() {
                Some((n, before))
                    if !before.is_empty()
                        && (looks_numeric(n) || matches!(before, [d] if looks_like_code(d))) =>
                {
                    let count = positive(n).ok_or_else(|| {
                        usage(
                            "journal",
                            format!("« {n} » : le nombre de lignes doit être un nombre entier ≥ 1"),
                            format!("'{n}': the number of lines must be a whole number ≥ 1"),
                        )
                    })?;
                    (before.join(" "), count)
                }
                _ => (args.join(" "), 10),
            };
            if dossier.is_empty() {
                return Err(usage("journal", "dossier manquant", "dossier missing"));
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
        other => {
            return Err(ParseError::UnknownCommand {
                word: other.to_string(),
                suggestion: None,
            })
        }
    })
}

/// The words that stand for "no platform" in place of a platform's name:
/// `plateforme D aucune` removes the dossier's platform.
const NO_PLATFORM: &[&str] = &["aucune", "aucun", "retirer", "none", "remove"];

/// `plateforme D NOM [état] [correction]`, or `plateforme D aucune`. The
/// dossier may be several words and the state too ("compte ouvert",
/// "inscrite à l'annuaire"): the state is read from the end, the platform
/// is the word before it (quoted when it has spaces), the dossier the rest.
fn platform(args: &[String]) -> Result<Command, ParseError> {
    let mut words = args;
    let mut correction = false;
    if let Some((last, before)) = words.split_last() {
        if is_word(last, &["correction", "corriger", "fix", "correct"]) {
            correction = true;
            words = before;
        }
    }
    let mut state = None;
    // A state of one to three words, never eating the platform or the dossier.
    for len in (1..=3).rev() {
        if words.len() < len + 2 {
            continue;
        }
        let (rest, tail) = words.split_at(words.len() - len);
        if let Ok(s) = PlatformState::parse(&tail.join(" ")) {
            state = Some(s);
            words = rest;
            break;
        }
    }
    let Some((platform, dossier)) = words.split_last().filter(|(_, d)| !d.is_empty()) else {
        return Err(usage(
            "plateforme",
            "dossier et plateforme attendus, par exemple : plateforme D001 Pennylane",
            "a dossier and a platform expected, for instance: platform D001 Pennylane",
        ));
    };
    if is_word(platform, NO_PLATFORM) {
        if state.is_some() || correction {
            return Err(usage(
                "plateforme",
                format!("« {platform} » retire la plateforme du dossier : ni état ni correction après, par exemple : plateforme D001 aucune"),
                format!("'{platform}' removes the dossier's platform: no state or correction after it, for instance: platform D001 none"),
            ));
        }
        return Ok(Command::PlatformRemoval {
            dossier: dossier.join(" "),
        });
    }
    if PlatformState::parse(platform).is_ok() && state.is_none() {
        return Err(usage(
            "plateforme",
            format!("« {platform} » est un état : le nom de la plateforme manque"),
            format!("'{platform}' is a state: the platform's name is missing"),
        ));
    }
    if correction && state.is_none() {
        return Err(usage(
            "plateforme",
            "une correction dit l'état à retrouver, par exemple : plateforme D001 Pennylane choisie correction",
            "a correction says the state to go back to, for instance: platform D001 Pennylane chosen correction",
        ));
    }
    Ok(Command::Platform {
        dossier: dossier.join(" "),
        platform: platform.clone(),
        state,
        correction,
    })
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
    fn mandate_statuses_of_several_words() {
        for (line, dossier, status, note) in [
            (
                "mandat D030 non demandé",
                "D030",
                MandateStatus::NotRequested,
                None,
            ),
            (
                "mandat Garage Martin reçu à vérifier",
                "Garage Martin",
                MandateStatus::ReceivedToVerify,
                None,
            ),
            (
                "mandat D002 not requested",
                "D002",
                MandateStatus::NotRequested,
                None,
            ),
            (
                "mandat D002 reçu par courrier",
                "D002",
                MandateStatus::ReceivedToVerify,
                Some("par courrier"),
            ),
        ] {
            assert_eq!(
                cmd(line),
                Command::Mandate {
                    dossier: dossier.into(),
                    kind: MandateKind::Delegation,
                    status,
                    note: note.map(String::from),
                },
                "{line}"
            );
        }
    }

    #[test]
    fn a_mandate_without_a_status_is_shown() {
        assert_eq!(cmd("mandat D002"), Command::MandateShow("D002".into()));
        assert_eq!(
            cmd("mandat Garage des Tilleuls"),
            Command::MandateShow("Garage des Tilleuls".into())
        );
        assert_eq!(
            cmd("mandat D002 facturation"),
            Command::MandateShow("D002".into())
        );
        assert!(matches!(
            parse("mandat"),
            Err(ParseError::Usage {
                command: "mandat",
                ..
            })
        ));
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
    fn platform_with_a_state_in_french_or_english() {
        let platform = |dossier: &str, name: &str, state, correction| Command::Platform {
            dossier: dossier.into(),
            platform: name.into(),
            state,
            correction,
        };
        assert_eq!(
            cmd("plateforme D001 Pennylane"),
            platform("D001", "Pennylane", None, false)
        );
        assert_eq!(
            cmd("plateforme Garage des Tilleuls Pennylane compte ouvert"),
            platform(
                "Garage des Tilleuls",
                "Pennylane",
                Some(PlatformState::AccountOpen),
                false
            )
        );
        assert_eq!(
            cmd("platform D001 \"jefacture.com\" in the directory"),
            platform(
                "D001",
                "jefacture.com",
                Some(PlatformState::DirectoryRegistered),
                false
            )
        );
        assert_eq!(
            cmd("plateforme D001 Qonto raccordée"),
            platform(
                "D001",
                "Qonto",
                Some(PlatformState::DirectoryRegistered),
                false
            )
        );
        assert_eq!(
            cmd("plateforme D001 Qonto inscrite à l'annuaire"),
            platform(
                "D001",
                "Qonto",
                Some(PlatformState::DirectoryRegistered),
                false
            )
        );
        assert_eq!(
            cmd("platform D001 Qonto chosen correction"),
            platform("D001", "Qonto", Some(PlatformState::Chosen), true)
        );
        for (line, dossier) in [
            ("plateforme D001 aucune", "D001"),
            (
                "plateforme Garage des Tilleuls retirer",
                "Garage des Tilleuls",
            ),
            ("platform D001 none", "D001"),
            ("platform D001 REMOVE", "D001"),
        ] {
            assert_eq!(
                cmd(line),
                Command::PlatformRemoval {
                    dossier: dossier.into()
                },
                "{line}"
            );
        }
        for (bad, said) in [
            ("plateforme", "dossier et plateforme attendus"),
            ("plateforme D001", "dossier et plateforme attendus"),
            ("plateforme D001 choisie", "« choisie » est un état"),
            (
                "plateforme D001 Qonto correction",
                "une correction dit l'état",
            ),
            ("plateforme aucune", "dossier et plateforme attendus"),
            (
                "plateforme D001 aucune choisie",
                "« aucune » retire la plateforme",
            ),
            (
                "plateforme D001 retirer correction",
                "« retirer » retire la plateforme",
            ),
        ] {
            let (command, fr) = problem(bad);
            assert_eq!(command, "plateforme", "{bad}");
            assert!(fr.starts_with(said), "{bad}: {fr}");
        }
    }

    #[test]
    fn anomaly_commands() {
        assert_eq!(cmd("anomalies"), Command::Anomalies(AnomalyScope::Open));
        assert_eq!(cmd("anomalie #12"), Command::AnomalyCard(12));
        assert_eq!(cmd("anomaly 12"), Command::AnomalyCard(12));
        assert!(matches!(
            cmd("ignore 12 not ours"),
            Command::Anomaly {
                id: 12,
                action: AnomalyAction::Dismiss(_)
            }
        ));
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
            cmd("anomalies D001"),
            Command::Anomalies(AnomalyScope::Dossier("D001".into()))
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

    /// The problem a usage error tells, in French.
    fn problem(s: &str) -> (&'static str, String) {
        match parse(s) {
            Err(ParseError::Usage { command, fr, .. }) => (command, fr),
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn numbers_typed_wrong_are_said_so() {
        for (line, command, said) in [
            (
                "journal D001 abc",
                "journal",
                "« abc » : le nombre de lignes doit être un nombre entier ≥ 1",
            ),
            (
                "journal D001 1,5",
                "journal",
                "« 1,5 » : le nombre de lignes",
            ),
            (
                "pret cabinet page abc",
                "pret",
                "« abc » : la page doit être un nombre entier ≥ 1",
            ),
            ("pret cabinet page 0", "pret", "« 0 » : la page doit"),
            ("pret cabinet page -1", "pret", "« -1 » : la page doit"),
            ("pret D001 page deux", "pret", "« deux » : la page doit"),
            (
                "pret Garage des Tilleuls p 0",
                "pret",
                "« 0 » : la page doit",
            ),
            (
                "mandats en-retard page abc",
                "mandats",
                "« abc » : la page doit",
            ),
            (
                "calendrier 30j page x",
                "calendrier",
                "« x » : la page doit",
            ),
            (
                "journal D001 5 page abc",
                "journal",
                "« abc » : la page doit",
            ),
            (
                "anomalies 0",
                "anomalies",
                "« 0 » : le numéro d'anomalie doit être un nombre entier ≥ 1",
            ),
            (
                "anomalies #-2",
                "anomalies",
                "« #-2 » : le numéro d'anomalie",
            ),
            (
                "assigner douze moi",
                "assigner",
                "« douze » : le numéro d'anomalie",
            ),
            ("resoudre 0", "resoudre", "« 0 » : le numéro d'anomalie"),
            (
                "regler -1 envoyee",
                "regler",
                "« -1 » : le numéro de relance doit être un nombre entier ≥ 1",
            ),
            (
                "trier 0 D001",
                "trier",
                "« 0 » : le numéro de l'e-mail doit",
            ),
        ] {
            let (c, fr) = problem(line);
            assert_eq!(c, command, "{line}");
            assert!(fr.starts_with(said), "{line}: {fr}");
        }
        // English too.
        assert!(matches!(
            parse("journal D001 abc"),
            Err(ParseError::Usage { en, .. }) if en == "'abc': the number of lines must be a whole number ≥ 1"
        ));
    }

    #[test]
    fn names_keep_their_words() {
        let journal = |dossier: &str, count| Command::Journal {
            dossier: dossier.into(),
            count,
        };
        assert_eq!(
            cmd("journal Boulangerie Martin"),
            journal("Boulangerie Martin", 10)
        );
        assert_eq!(
            cmd("journal Boulangerie Martin 5"),
            journal("Boulangerie Martin", 5)
        );
        assert_eq!(cmd("journal D001"), journal("D001", 10));
        assert_eq!(cmd("journal D001 +7"), journal("D001", 7));
        assert_eq!(
            cmd("journal D001 99999999999999999999"),
            journal("D001", 200)
        );
        assert_eq!(
            cmd("pret Boulangerie Martin"),
            Command::Ready(Some(Scope::Dossier("Boulangerie Martin".into())))
        );
        // "page" and "p" may be words of a name, unless a number follows.
        for name in ["La Page Blanche", "page blanche", "Jean P Dupont"] {
            assert_eq!(
                parse(&format!("pret {name}")).unwrap(),
                Parsed {
                    command: Command::Ready(Some(Scope::Dossier(name.into()))),
                    page: 1
                }
            );
        }
        assert_eq!(
            cmd("journal La Page Blanche"),
            journal("La Page Blanche", 10)
        );
        assert_eq!(
            parse("pret cabinet page 99999999999999999999")
                .unwrap()
                .page,
            i64::MAX as usize,
            "the last page"
        );
        // A comment, a reason or a note keeps "page 3": it is not a page.
        assert_eq!(
            parse("commenter 12 voir page 3").unwrap(),
            Parsed {
                command: Command::Anomaly {
                    id: 12,
                    action: AnomalyAction::Comment("voir page 3".into())
                },
                page: 1
            }
        );
        assert_eq!(
            cmd("trier 7 ignorer publicité page abc"),
            Command::Sort {
                id: 7,
                target: SortTarget::Ignore("publicité page abc".into())
            }
        );
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
        // (Read as a dossier's name; the command says the status is unknown
        // when "D001" alone is a dossier: bot/tests/commands.rs.)
        assert_eq!(
            cmd("mandat D001 peut-être"),
            Command::MandateShow("D001 peut-être".into())
        );
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
