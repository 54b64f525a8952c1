//! What the client means, read from the visible text only (quotes and
//! signature already stripped), French first, English too. Deliberately
//! cautious: a statement counts only when it is not negated ("je n'ai pas
//! encore signé" is not signed), and anything unsure is `Unclear`, which
//! goes to a person. Nothing here ever concludes "signed": at best the
//! mandate is *received, to verify*.
//!
//! Order of precedence: unsubscribe, wrong person, refusal, a document or
//! a signature (attached, or made elsewhere), a platform chosen, a date
//! to come back to, a question, unclear.

use super::dates;
use super::text::{emails, normalize};
use chrono::NaiveDate;
use regex::Regex;
use std::sync::LazyLock;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    SignedAttached,
    SignedElsewhere,
    /// An attachment that is not said to be the mandate.
    AttachmentUnclear,
    PlatformChosen(String),
    Postponed(NaiveDate),
    Refused,
    WrongPerson(Option<String>),
    Unsubscribe,
    Question,
    Unclear,
}

impl Intent {
    pub fn code(&self) -> &'static str {
        match self {
            Intent::SignedAttached => "signed_attached",
            Intent::SignedElsewhere => "signed_elsewhere",
            Intent::AttachmentUnclear => "attachment_unclear",
            Intent::PlatformChosen(_) => "platform_chosen",
            Intent::Postponed(_) => "postponed",
            Intent::Refused => "refused",
            Intent::WrongPerson(_) => "wrong_person",
            Intent::Unsubscribe => "unsubscribe",
            Intent::Question => "question",
            Intent::Unclear => "unclear",
        }
    }

    /// The intent in words, for the accountant.
    pub fn label(&self, lang: cabready_store::Lang) -> &'static str {
        match self {
            Intent::SignedAttached => lang.pick("mandat signé joint", "signed mandate attached"),
            Intent::SignedElsewhere => lang.pick("signé par un autre moyen", "signed elsewhere"),
            Intent::AttachmentUnclear => {
                lang.pick("pièce jointe à vérifier", "attachment to check")
            }
            Intent::PlatformChosen(_) => lang.pick("plateforme choisie", "platform chosen"),
            Intent::Postponed(_) => lang.pick("report", "postponed"),
            Intent::Refused => lang.pick("refus", "refusal"),
            Intent::WrongPerson(_) => lang.pick("mauvais interlocuteur", "wrong person"),
            Intent::Unsubscribe => lang.pick("désinscription", "unsubscribe"),
            Intent::Question => lang.pick("question", "question"),
            Intent::Unclear => lang.pick("à lire", "to read"),
        }
    }
}

/// What the reader needs besides the text.
#[derive(Debug, Clone)]
pub struct Context<'a> {
    pub subject: &'a str,
    /// Attachments that are documents (not signature logos).
    pub documents: usize,
    /// Whether one of them is named after the mandate ("Mandat_signe.pdf").
    pub mandate_document: bool,
    /// The message's other recipients (To, Cc…): where a new contact put
    /// in copy is found when the text names no address.
    pub copied: &'a [String],
    pub sender: Option<&'a str>,
    pub own_domains: &'a [String],
    pub platforms: &'a [String],
    /// The day the message was written (Paris).
    pub today: NaiveDate,
}

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static pattern")
}

static NEGATION: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b(?:pas|jamais|toujours pas|not|never|n't|no|non|aucun|aucune|rien|ni)\b|n't\b")
});
static SIGNED: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?x)
        \b(?:ai|avons|a|ont|as|avez|est|sont|c'est|bien|deja|mandat|document|exemplaire|copie|version|formulaire|pdf|scan|ci-joint|ci-jointe|joint|jointe|voici|voila|dument|et)\s+(?:bien\s+|deja\s+|dument\s+|ete\s+)?sign(?:e|ee|es|ees)\b
      | \bsign(?:e|ee|es|ees)\s+(?:et|par\s+(?:nos|notre|le|la|mon|ma|moi|nous|lui)|electroniquement|via|sur|en\s+ligne|ce\s+matin|hier|aujourd'hui|ce\s+jour)\b
      | \b(?:have|has|had|i|we|just|already|been|was|is|are|the|a|it's|it\s+is)\s+(?:just\s+|already\s+|been\s+|now\s+)?signed\b
      | \bsigned\s+(?:mandate|copy|document|form|version|it|the|and|electronically|via|online)\b
      | \b(?:viens|venons|vient|venez)\s+de\s+(?:le\s+|la\s+|les\s+)?signer\b
      | \bsigned\s*[.!]?$
    ")
});
static SIGN_WORD: LazyLock<Regex> =
    LazyLock::new(|| re(r"\bsign(?:e|ee|es|ees|ed|er|erai|erons|ature)\b"));
static ATTACHED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:ci-joint|ci-jointe|ci joint|ci jointe|en piece jointe|en pj|p\.j\.|pj|vous trouverez|joint|jointe|attached|attachment|enclosed|please find|here is|voici|voila)\b",
    )
});
static MANDATE_WORD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:mandat|mandate|document|formulaire|form|autorisation|authorization|delegation|contrat|pdf|scan)\b",
    )
});
static ELSEWHERE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:electroniquement|signature electronique|docusign|yousign|universign|docage|adobe sign|e-signature|esignature|electronically|par courrier|par la poste|courrier postal|par voie postale|en main propre|en mains propres|depose a votre cabinet|depose au cabinet|by post|by courier|by mail|via le lien|via the link|via votre lien|sur votre plateforme|en ligne|online|par lettre|recommande)\b",
    )
});
static SENT_BY_POST: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:envoye|envoyee|poste|postee|expedie|expediee|depose|deposee|remis|remise|sent|mailed|posted|dropped)\b.*\b(?:courrier|poste|postal|main propre|mains propres|cabinet|post|courier|recommande)\b",
    )
});
/// Handing the mandate over later, said without a date: not received yet.
static DELIVERY_FUTURE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:enverrai|enverrons|renverrai|renverrons|retournerai|retournerons|deposerai|deposerons|apporterai|apporterons|remettrai|remettrons|posterai|posterons|ferai\s+parvenir|ferons\s+parvenir|vous\s+(?:le\s+|la\s+|les\s+|l')?(?:renvoie|renvoyons|retourne|retournons|envoie|envoyons)|will\s+(?:send|return|bring|post|mail))\b",
    )
});
/// Handing the mandate over later ("je vous le dépose vendredi", "I'll send it Monday").
static DELIVERY_TO_COME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:depose|deposerai|deposerons|envoie|enverrai|enverrons|renvoie|renverrai|retourne|retournerai|parviendra|parviendront|arrivera|arriveront|recevrez|will\s+reach|will\s+arrive|will\s+get|you'll\s+get|apporte|apporterai|apporterons|remets|remettrai|passe|passerai|poste|posterai|transmets|transmettrai|ramene|ramenerai|will\s+send|will\s+bring|will\s+drop|send\s+it|bring\s+it|drop\s+it)\b",
    )
});
static UNSUBSCRIBE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:desinscri\w*|desabonn\w*|ne plus recevoir|ne plus etre relance\w*|ne plus m'ecrire|ne m'ecrivez plus|rayez-moi|rayez moi|de votre liste|de vos listes|take me off|ne veux plus (?:entendre parler|recevoir|etre contacte|etre relance)|ne plus me contacter|ne me contactez plus|ne plus me solliciter|ne me relancez plus|ne plus me relancer|arretez de m'envoyer|arretez vos relances|arretez les relances|arreter les relances|cessez de m'ecrire|cessez vos|retirez-moi|retirez moi|supprimez-moi|supprimez moi|unsubscribe|stop sending|remove me|stop emailing|stop contacting|do not contact me|don't contact me|no more emails)\b",
    )
});
static WRONG_PERSON: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?x)\b(?:
        pas\s+la\s+bonne\s+personne | pas\s+le\s+bon\s+(?:interlocuteur|contact|destinataire) | mauvaise\s+personne
      | mauvais\s+(?:destinataire|interlocuteur|contact) | erreur\s+de\s+destinataire
      | ne\s+m'occupe\s+(?:pas|plus) | ne\s+gere\s+(?:pas|plus) | ne\s+travaille\s+plus | ne\s+fait\s+plus\s+partie
      | ne\s+fais\s+plus\s+partie | a\s+quitte\s+(?:la|l'|le|notre) | n'est\s+plus\s+(?:dans|chez|en\s+charge|salarie)
      | ne\s+suis\s+plus\s+(?:dans|chez|en\s+charge|le\s+gerant|la\s+gerante|responsable)
      | s'en\s+occupe\s+desormais | c'est\s+(?:[\w'-]+\s+){0,4}qui\s+(?:gere|s'occupe|traite)
      | (?:je|nous)\s+(?:lui|leur)\s+(?:transmets|transmettons|transfere|transferons|fais\s+suivre|faisons\s+suivre)
      | (?:je|nous)\s+(?:transfere|transferons|transmets|transmettons)\s+(?:a|au|aux)\s | qui\s+s'occupe\s+(?:desormais|maintenant|de\s+ce\s+sujet|de\s+la\s+compta)
      | wrong\s+person | not\s+the\s+right\s+(?:person|contact) | no\s+longer\s+(?:with|work|in\s+charge|at|handle)
      | has\s+left\s+the | left\s+the\s+company | not\s+in\s+charge | wrong\s+(?:address|recipient|contact)
      | (?:vendu|cede|revendu)\s+(?:la|ma|notre|l')\s*(?:societe|entreprise|affaire|boutique|fonds|activite)
      | (?:nouveau|nouvelle)\s+(?:gerant|gerante|dirigeant|dirigeante|proprietaire|president|presidente)
      | new\s+(?:owner|manager|director) | sold\s+the\s+(?:company|business)
      | (?:voir|voyez|voyer|contacter|contactez|appeler|appelez|adressez-vous\s+a|vous\s+adresser\s+a|ecrire\s+a|ecrivez\s+a)\s+(?:avec\s+)?(?:mon|ma|notre|nos|mes)\s+(?:comptable|expert|expert-comptable|associe|associee|femme|mari|epouse|conjoint|conjointe|assistante|assistant|secretaire|gerant|gerante|daf|collegue|fils|fille|service)
      | (?:talk\s+to|contact|speak\s+to|write\s+to|email)\s+(?:my|our)\s+(?:accountant|partner|wife|husband|assistant|secretary|colleague|manager|cfo|office)
    )")
});
static CONTACT_INSTEAD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:forwarded(?:\s+\w+){0,3}\s+to|transfere(?:\s+\w+){0,3}\s+a|who\s+handles|qui\s+(?:gere|traite)|veuillez contacter|merci de contacter|merci de vous adresser|adressez-vous|adressez vous|voir avec|ecrire a|ecrivez a|contacter plutot|contactez plutot|please contact|please write to|reach out to|contact instead|en copie|nouvelle adresse|new address|nouveau contact|new contact|transmets a|transfere a|forwarded to|le joindre|la joindre|les joindre|joignable)\b",
    )
});
static REFUSED: LazyLock<Regex> = LazyLock::new(|| {
    re(r"(?x)\b(?:
        refus\w* | ne\s+(?:souhaite|souhaitons|desire|desirons|voulons|veux|signerai|signerons|signera)\s+(?:pas|rien|jamais)
      | pas\s+interesse\w* | non\s+merci | pas\s+question | hors\s+de\s+question | ne\s+donnerons\s+pas\s+suite
      | ne\s+pas\s+donner\s+suite | mettre\s+fin | resilier | resilions | autre\s+cabinet
      | chang\w*\s+(?:de\s+cabinet|d'expert|d'expert-comptable|de\s+comptable) | quitt\w*\s+(?:le|votre)\s+cabinet
      | changed\s+(?:our\s+)?accountants? | (?:a|our)\s+new\s+accountant
      | (?:pas|non)\s+concerne\w* | ne\s+(?:nous|me)\s+concerne\s+pas | not\s+concerned | (?:does|do)\s+not\s+apply\s+to\s+(?:us|me)
      | not\s+interested | declin\w* | we\s+refuse | will\s+not\s+sign | won't\s+sign | do\s+not\s+want
      | not\s+going\s+to\s+(?:use|sign|proceed|go\s+ahead|work\s+with) | won't\s+be\s+(?:using|signing|proceeding)
      | (?:n'allons|ne\s+vais|ne\s+va)\s+pas\s+(?:signer|vous\s+confier|donner\s+suite|utiliser|proceder)
      | don't\s+want | do\s+not\s+wish | no\s+thanks | no\s+thank\s+you
    )\b")
});
static QUESTION_START: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(?:pourquoi|comment|combien|quand|quel|quelle|quels|quelles|lequel|laquelle|est-ce|est ce que|qu'est-ce|qu'est ce que|pouvez-vous|pouvez vous|pourriez-vous|pourriez vous|vous pouvez|vous pourriez|pourrais-je|puis-je|puis je|dois-je|dois je|faut-il|je voudrais savoir|j'aimerais savoir|je ne comprends pas|rappelez-moi|appelez-moi|merci de me rappeler|what|why|how|when|which|can you|could you|do i|should i|is it|is there|i don't understand|please call me|call me)\b",
    )
});
/// A question anywhere in a sentence: French inversion ("lequel nous
/// conseillez-vous", "avez-vous reçu") or an interrogative pronoun.
static QUESTION_INSIDE: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:lequel|laquelle|lesquels|lesquelles)\b|\b[a-z]{3,}-(?:vous|tu|t-il|t-elle|il|elle|on|nous)\b|\bvous\s+(?:pouvez|pourriez)\s+(?:me|nous|m'|verifier|confirmer|regarder|renvoyer|envoyer|rappeler|appeler|expliquer|dire|preciser|indiquer)\b",
    )
});
/// Words of someone who has not decided yet: a platform named there is not chosen.
static UNDECIDED: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"\b(?:hesit\w*|compar\w*|entre\s+\w+(?:\.\w+)?\s+(?:et|ou)\b|pas\s+encore\s+(?:choisi|decide|tranche)|pas\s+sur|not\s+sure|undecided|between)\b",
    )
});

fn asks(sentence: &str) -> bool {
    QUESTION_START.is_match(sentence)
        || QUESTION_INSIDE
            .find_iter(sentence)
            .any(|m| m.as_str() != "rendez-vous")
}

/// A sentence of the (normalized) text and whether it asks something.
struct Sentence<'a> {
    text: &'a str,
    question: bool,
}

fn sentences(text: &str) -> Vec<Sentence<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if matches!(b, b'.' | b'!' | b'?' | b'\n' | b';') {
            let piece = text[start..i].trim();
            // "p.j." and decimals are not the end of a sentence.
            let next_is_word = bytes.get(i + 1).is_some_and(|c| c.is_ascii_alphanumeric());
            if *b == b'.' && next_is_word {
                continue;
            }
            if !piece.is_empty() {
                // A statement ending in a short tag question ("le mandat a
                // déjà été signé le mois dernier, vous ne l'avez pas reçu ?")
                // states its first part.
                let tagged = (*b == b'?')
                    .then(|| piece.rsplit_once(", "))
                    .flatten()
                    .filter(|(head, tail)| {
                        !asks(head) && head.split(' ').count() >= 4 && tail.split(' ').count() <= 6
                    });
                match tagged {
                    Some((head, tail)) => {
                        out.push(Sentence {
                            text: head,
                            question: false,
                        });
                        out.push(Sentence {
                            text: tail,
                            question: true,
                        });
                    }
                    None => out.push(Sentence {
                        text: piece,
                        question: *b == b'?' || asks(piece),
                    }),
                }
            }
            start = i + 1;
        }
    }
    let piece = text[start..].trim();
    if !piece.is_empty() {
        out.push(Sentence {
            text: piece,
            question: asks(piece),
        });
    }
    out
}

/// Whether a negation comes before the match in its sentence.
/// Whether a negation comes before `at` in the same clause: "nous n'avons
/// pas choisi Pennylane, ce sera Tiime" negates Pennylane, not Tiime.
fn negated(sentence: &str, at: usize) -> bool {
    let before = &sentence[..at];
    let clause_start = [",", " mais ", " but ", " puis ", " then "]
        .iter()
        .filter_map(|sep| before.rfind(sep).map(|i| i + sep.len()))
        .max()
        .unwrap_or(0);
    NEGATION.is_match(&before[clause_start..])
}

/// The first non-negated match of `pattern` in a sentence that is not a question.
fn affirmed(sentences: &[Sentence<'_>], pattern: &Regex) -> bool {
    sentences.iter().filter(|s| !s.question).any(|s| {
        pattern
            .find_iter(s.text)
            .any(|m| !negated(s.text, m.start()))
    })
}

fn mentions(sentences: &[Sentence<'_>], pattern: &Regex) -> bool {
    sentences.iter().any(|s| pattern.is_match(s.text))
}

/// A known platform named in a sentence that affirms (not a question, not negated).
fn platform_chosen(sentences: &[Sentence<'_>], platforms: &[String]) -> Option<String> {
    for s in sentences
        .iter()
        .filter(|s| !s.question && !UNDECIDED.is_match(s.text))
    {
        for name in platforms {
            let wanted = normalize(name);
            if wanted.len() < 3 {
                continue;
            }
            let mut from = 0;
            while let Some(pos) = s.text[from..].find(&wanted) {
                let at = from + pos;
                let end = at + wanted.len();
                let boundary_before = s.text[..at]
                    .chars()
                    .last()
                    .is_none_or(|c| !c.is_alphanumeric());
                let boundary_after = s.text[end..]
                    .chars()
                    .next()
                    .is_none_or(|c| !c.is_alphanumeric());
                if boundary_before && boundary_after && !negated(s.text, at) {
                    return Some(name.clone());
                }
                from = end;
            }
        }
    }
    None
}

/// The first e-mail address in the text that is neither the sender nor ours.
fn other_address(visible: &str, context: &Context<'_>) -> Option<String> {
    emails(visible).into_iter().find(|a| not_us(a, context))
}

fn not_us(address: &str, context: &Context<'_>) -> bool {
    Some(address) != context.sender
        && !context
            .own_domains
            .iter()
            .any(|d| address.ends_with(&format!("@{d}")))
}

/// Someone the client put in copy ("je mets en copie…"), not us, not the sender.
fn copied_address(context: &Context<'_>) -> Option<String> {
    context
        .copied
        .iter()
        .find(|a| a.contains('@') && not_us(a, context))
        .cloned()
}

/// Reads the intent of a reply's visible text.
pub fn read(visible: &str, context: &Context<'_>) -> Intent {
    let text = normalize(visible);
    let subject = normalize(context.subject);
    let all = sentences(&text);

    // 1. Unsubscribe: "STOP" (alone or as subject of an empty mail), or the words.
    let bare = text.trim_matches(|c: char| !c.is_alphanumeric());
    let subject_bare = subject.trim_matches(|c: char| !c.is_alphanumeric());
    if bare == "stop"
        || (text.starts_with("stop") && text.len() <= 40)
        || ((subject_bare == "stop" || subject_bare.starts_with("stop ")) && text.len() <= 40)
        || affirmed(&all, &UNSUBSCRIBE)
    {
        return Intent::Unsubscribe;
    }

    // 2. Wrong person, with the new contact's address when given.
    let new_contact = other_address(visible, context);
    let in_copy = || copied_address(context);
    if mentions(&all, &WRONG_PERSON) {
        return Intent::WrongPerson(new_contact.or_else(in_copy));
    }
    if mentions(&all, &CONTACT_INSTEAD) {
        if let Some(contact) = new_contact.or_else(in_copy) {
            return Intent::WrongPerson(Some(contact));
        }
    }

    // 3. Refusal (its words are negative already: no negation test); a bare
    // "Non." to a request to sign is one too.
    if matches!(bare, "non" | "no" | "non merci" | "no thanks")
        || all
            .iter()
            .filter(|s| !s.question)
            .any(|s| REFUSED.is_match(s.text))
    {
        return Intent::Refused;
    }

    // 4. A document, or a signature.
    // A signature said to be handed over later ("je vous renvoie le mandat
    // signé au plus tard le 4", "I will send the signed copy") is not one
    // received: it counts for an attachment only.
    let to_come = |s: &Sentence<'_>| {
        DELIVERY_FUTURE.is_match(s.text)
            || (DELIVERY_TO_COME.is_match(s.text)
                && dates::find_all(s.text, context.today)
                    .iter()
                    .any(|f| f.date > context.today))
    };
    let signed_in = |s: &&Sentence<'_>| {
        !s.question
            && SIGNED
                .find_iter(s.text)
                .any(|m| !negated(s.text, m.start()))
    };
    let signed = all.iter().any(|s| signed_in(&s));
    let signed_now = all.iter().filter(signed_in).any(|s| !to_come(s));
    let done: Vec<Sentence<'_>> = all
        .iter()
        .filter(|s| !to_come(s))
        .map(|s| Sentence {
            text: s.text,
            question: s.question,
        })
        .collect();
    let sign_negated = all.iter().any(|s| {
        SIGN_WORD
            .find_iter(s.text)
            .any(|m| negated(s.text, m.start()))
    });
    if context.documents > 0 {
        let attached = mentions(&all, &ATTACHED);
        let mandate = mentions(&all, &MANDATE_WORD) || context.mandate_document;
        if !sign_negated
            && (signed || (attached && mandate) || (text.is_empty() && context.mandate_document))
        {
            return Intent::SignedAttached;
        }
        return Intent::AttachmentUnclear;
    }
    if !sign_negated
        && (signed_now && (mentions(&all, &ELSEWHERE) || !mentions(&all, &ATTACHED))
            || affirmed(&done, &SENT_BY_POST))
    {
        return Intent::SignedElsewhere;
    }

    // 5. A platform chosen.
    if let Some(platform) = platform_chosen(&all, context.platforms) {
        return Intent::PlatformChosen(platform);
    }

    // 6. A date to come back to (stated, not asked).
    let asked: Vec<(usize, usize)> = all
        .iter()
        .filter(|s| s.question)
        .map(|s| {
            let start = s.text.as_ptr() as usize - text.as_ptr() as usize;
            (start, start + s.text.len())
        })
        .collect();
    // The latest date stated: "après la clôture du 31 décembre, donc début
    // janvier" means January; no reminder should come before it. "La
    // semaine prochaine" gives the client that whole week: the Monday after.
    if let Some(date) = dates::find_all(&text, context.today)
        .into_iter()
        .filter(|f| !asked.iter().any(|(s, e)| f.at >= *s && f.at < *e))
        .map(|f| match f.whole_week {
            true => f.date + chrono::Duration::days(7),
            false => f.date,
        })
        .filter(|d| *d > context.today)
        .max()
    {
        return Intent::Postponed(date);
    }

    // 7. A question.
    if all.iter().any(|s| s.question) {
        return Intent::Question;
    }
    Intent::Unclear
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_fr(text: &str, documents: usize) -> Intent {
        let platforms = vec![
            "Pennylane".to_string(),
            "Qonto".to_string(),
            "jefacture.com".to_string(),
        ];
        let own = vec!["cabinet.fr".to_string()];
        let context = Context {
            subject: "Re: [CabReady D002] Mandat",
            documents,
            mandate_document: false,
            copied: &[],
            sender: Some("paul@client.fr"),
            own_domains: &own,
            platforms: &platforms,
            today: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        };
        read(text, &context)
    }

    #[test]
    fn signed_with_attachment_and_negations() {
        assert_eq!(
            read_fr("Ci-joint le mandat signé.", 1),
            Intent::SignedAttached
        );
        assert_eq!(read_fr("Voici le document.", 1), Intent::SignedAttached);
        assert_eq!(
            read_fr("Here is the signed mandate.", 1),
            Intent::SignedAttached
        );
        assert_eq!(
            read_fr("Voici notre Kbis comme demandé par Marc.", 1),
            Intent::AttachmentUnclear
        );
        assert_eq!(
            read_fr(
                "Je n'ai pas encore signé, voici une question en pièce jointe.",
                1
            ),
            Intent::AttachmentUnclear
        );
        assert_eq!(read_fr("Je n'ai pas encore signé.", 0), Intent::Unclear);
        assert_eq!(read_fr("I haven't signed it yet.", 0), Intent::Unclear);
    }

    #[test]
    fn signed_elsewhere() {
        assert_eq!(
            read_fr("Je l'ai signé électroniquement via Yousign hier.", 0),
            Intent::SignedElsewhere
        );
        assert_eq!(
            read_fr("Le mandat vous a été envoyé par courrier ce matin.", 0),
            Intent::SignedElsewhere
        );
        assert_eq!(read_fr("C'est signé !", 0), Intent::SignedElsewhere);
        assert_eq!(
            read_fr("I signed it online yesterday.", 0),
            Intent::SignedElsewhere
        );
    }

    #[test]
    fn platform_postponed_question() {
        assert_eq!(
            read_fr("Nous avons choisi Pennylane.", 0),
            Intent::PlatformChosen("Pennylane".into())
        );
        assert_eq!(read_fr("Qonto est-il agréé ?", 0), Intent::Question);
        assert_eq!(
            read_fr(
                "Le mandat a déjà été signé sur Yousign hier, vous ne l'avez pas reçu ?",
                0
            ),
            Intent::SignedElsewhere
        );
        assert_eq!(
            read_fr(
                "Je ne sais pas quelle plateforme choisir, vous pouvez m'aider ?",
                0
            ),
            Intent::Question
        );
        assert_eq!(
            read_fr(
                "On hésite entre Qonto et Pennylane, lequel nous conseillez-vous",
                0
            ),
            Intent::Question
        );
        assert_eq!(
            read_fr("Rappelez-moi au 06 12 34 56 78 s'il vous plait.", 0),
            Intent::Question
        );
        assert_eq!(
            read_fr(
                "Je viens de signer électroniquement le mandat via DocuSign.",
                0
            ),
            Intent::SignedElsewhere
        );
        assert_eq!(
            read_fr("On en parle au prochain rendez-vous, merci.", 0),
            Intent::Unclear
        );
        assert_eq!(
            read_fr("Je vous le renvoie la semaine prochaine.", 0),
            Intent::Postponed(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap())
        );
        assert_eq!(
            read_fr("On verra en janvier.", 0),
            Intent::Postponed(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())
        );
        assert_eq!(
            read_fr(
                "Je n'ai pas encore signé, je le ferai après le 15 décembre.",
                0
            ),
            Intent::Postponed(NaiveDate::from_ymd_opt(2026, 12, 16).unwrap())
        );
        assert_eq!(
            read_fr("À quoi sert ce mandat exactement ?", 0),
            Intent::Question
        );
        assert_eq!(read_fr("Pouvez-vous m'appeler", 0), Intent::Question);
    }

    #[test]
    fn refused_wrong_person_unsubscribe() {
        assert_eq!(
            read_fr("Nous ne souhaitons pas signer ce mandat.", 0),
            Intent::Refused
        );
        assert_eq!(read_fr("Not interested, thanks.", 0), Intent::Refused);
        assert_eq!(
            read_fr(
                "Je ne m'occupe plus de la comptabilité, écrivez à compta@client.fr",
                0
            ),
            Intent::WrongPerson(Some("compta@client.fr".into()))
        );
        assert_eq!(
            read_fr("Merci de contacter marie@client.fr pour ce sujet.", 0),
            Intent::WrongPerson(Some("marie@client.fr".into()))
        );
        assert_eq!(read_fr("STOP", 0), Intent::Unsubscribe);
        assert_eq!(
            read_fr(
                "Merci de ne plus m'envoyer ces messages, désinscrivez-moi.",
                0
            ),
            Intent::Unsubscribe
        );
        assert_eq!(read_fr("Merci, bien reçu.", 0), Intent::Unclear);
        assert_eq!(read_fr("Non.", 0), Intent::Refused);
        assert_eq!(read_fr("Je ne signerai rien du tout.", 0), Intent::Refused);
        assert_eq!(
            read_fr("Nous ne signerons jamais ce mandat.", 0),
            Intent::Refused
        );
        assert_eq!(
            read_fr(
                "Nous ne sommes pas concernés, nous sommes une association.",
                0
            ),
            Intent::Refused
        );
        assert_eq!(
            read_fr("pouvez vous me renvoyer le mandat svp je l'ai perdu", 0),
            Intent::Question
        );
        assert_eq!(
            read_fr(
                "Merci de voir avec mon comptable, M. Lopez, au 04 91 22 33 44.",
                0
            ),
            Intent::WrongPerson(None)
        );
        assert_eq!(
            read_fr(
                "Je ne veux plus entendre parler de cette réforme, rayez-moi de votre liste.",
                0
            ),
            Intent::Unsubscribe
        );
        assert_eq!(
            read_fr("We are not going to use your firm for this, thanks.", 0),
            Intent::Refused
        );
        assert_eq!(
            read_fr(
                "Le mandat signé par mon associé vous parviendra la semaine prochaine.",
                0
            ),
            Intent::Postponed(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap())
        );
        assert_eq!(
            read_fr(
                "Nous avons décidé de changer de cabinet à la fin de l'exercice.",
                0
            ),
            Intent::Refused
        );
        assert_eq!(
            read_fr(
                "C'est notre comptable interne qui gère, je lui transmets.",
                0
            ),
            Intent::WrongPerson(None)
        );
        assert_eq!(
            read_fr(
                "Nous n'avons pas choisi Pennylane finalement, ce sera Qonto.",
                0
            ),
            Intent::PlatformChosen("Qonto".into())
        );
        // Said to be sent later: not a mandate received.
        assert_eq!(
            read_fr("Je vous renvoie le mandat signé dès que possible.", 0),
            Intent::Unclear
        );
        assert_eq!(
            read_fr("Je l'ai signé hier et posté ce matin.\nLe 2 décembre je passe au cabinet si besoin.", 0),
            Intent::SignedElsewhere
        );
        assert_eq!(
            read_fr(
                "J'ai signé le mandat, je vous le dépose vendredi au cabinet.",
                0
            ),
            Intent::Postponed(NaiveDate::from_ymd_opt(2026, 11, 27).unwrap())
        );
    }
}
