//! What kind of message this is: a **bounce** (an RFC 3464 DSN, or the
//! free-form notices some servers still send), an **auto-reply** (RFC 3834
//! `Auto-Submitted`, `X-Autoreply`, `X-Autorespond`, `Precedence`,
//! Exchange's headers, and the usual French and English subjects), or a
//! **human** reply. Headers first, then the subject and sender, then the body.

use super::dates;
use super::parse::ParsedMail;
use super::text::{emails, normalize};
use chrono::NaiveDate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Bounce {
        hard: bool,
        /// The address that failed, when the notice names it.
        address: Option<String>,
        /// The server's words (status code and diagnostic).
        diagnostic: String,
    },
    AutoReply {
        /// The day the person is back, when the message says it.
        return_date: Option<NaiveDate>,
    },
    Human,
}

impl Kind {
    pub fn code(&self) -> &'static str {
        match self {
            Kind::Bounce { .. } => "bounce",
            Kind::AutoReply { .. } => "autoreply",
            Kind::Human => "reply",
        }
    }
}

const BOUNCE_SUBJECTS: &[&str] = &[
    "undeliverable",
    "undelivered mail",
    "delivery status notification (failure)",
    "delivery status notification (delay)",
    "delivery failure",
    "delivery has failed",
    "mail delivery failed",
    "mail delivery failure",
    "returned mail",
    "failure notice",
    "non remis",
    "non distribuable",
    "echec de la remise",
    "echec de remise",
    "remise impossible",
    "message non delivre",
    "delivery notification: delivery has failed",
    "warning: could not send message",
    "delayed mail",
];

const BOUNCE_SENDERS: &[&str] = &["mailer-daemon@", "postmaster@", "mail-daemon@"];

/// What the first lines of a free-form notice say (Exchange 2003, Domino,
/// qmail…, whose subjects are sometimes as bare as "E"): counted only when
/// the sender is a mail system.
const BOUNCE_BODY: &[&str] = &[
    "did not reach the following recipient",
    "could not be delivered to",
    "couldn't be delivered to",
    "was not delivered to",
    "wasn't able to deliver your message",
    "delivery has failed to these recipients",
    "delivery to the following recipient failed",
    "the following addresses had permanent fatal errors",
    "this is a permanent error",
    "invalid user address",
    "requested action not taken: no such user",
    "unknown user:",
    "undeliverable mail",
    "n'a pas pu etre remis",
    "n'a pas pu etre distribue",
    "n'a pas pu etre delivre",
    "la remise a echoue",
    "echec de la remise",
];

const AUTOREPLY_SUBJECTS: &[&str] = &[
    "reponse automatique",
    "reponse auto",
    "absence du bureau",
    "absent du bureau",
    "absente du bureau",
    "message d'absence",
    "out of office",
    "out of the office",
    "automatic reply",
    "auto-reply",
    "autoreply",
    "auto reply",
    "auto response",
    "autoresponse",
    "abwesenheitsnotiz",
    "je suis absent",
    "je suis absente",
    "en conges",
    "vacation reply",
    "on vacation",
    "accuse de reception automatique",
];

fn is_bounce_subject(subject: &str) -> bool {
    BOUNCE_SUBJECTS.iter().any(|s| subject.contains(s))
}

/// Hard or soft, from a status code `5.x.x` / `4.x.x` or the server's words.
fn hardness(status: Option<&str>, action: Option<&str>, words: &str) -> bool {
    if let Some(action) = action {
        if action.starts_with("delayed")
            || action.starts_with("relayed")
            || action.starts_with("delivered")
        {
            return false;
        }
    }
    if let Some(status) = status {
        // 5.2.2 mailbox full, 5.2.3 message too large: the address is good.
        if status.starts_with("5.2.2") || status.starts_with("5.2.3") {
            return false;
        }
        // 5.7.x is a policy refusal: of the address ("access denied"), hard;
        // of the message (a spam filter), soft: the address is good.
        if status.starts_with("5.7")
            && [
                "content rejected",
                "message content",
                "spam",
                " ube",
                "bulk email",
                "blocked by our",
            ]
            .iter()
            .any(|w| words.contains(w))
        {
            return false;
        }
        // A generic 5.0.0 says only "failed": the server's words decide.
        if status.starts_with('5') && !status.starts_with("5.0.0") {
            return true;
        }
        if status.starts_with('4') {
            return false;
        }
    }
    let generic_failure = status.is_some_and(|s| s.starts_with('5'));
    let soft = [
        "mailbox full",
        "mailbox is full",
        "over quota",
        "exceeds the maximum message size",
        "message too large",
        "5.2.2",
        "5.2.3",
        "quota exceeded",
        "boite pleine",
        "boite aux lettres pleine",
        "temporarily",
        "temporairement",
        "delayed",
        "will retry",
        "still trying",
        "retardee",
        "try again later",
        " 4.2.2",
        " 4.4.",
        " 421 ",
        " 450 ",
        " 451 ",
        " 452 ",
    ];
    if soft.iter().any(|s| words.contains(s)) {
        return false;
    }
    if generic_failure {
        return true;
    }
    let hard = [
        "user unknown",
        "unknown user",
        "no such user",
        "does not exist",
        "doesn't exist",
        "mailbox unavailable",
        "address rejected",
        "recipient address rejected",
        "not found",
        "invalid recipient",
        "n'existe pas",
        "introuvable",
        "adresse inconnue",
        "destinataire inconnu",
        "couldn't be delivered",
        "could not be delivered",
        "wasn't found",
        "not listed in",
        "invalid user",
        "doesn't have a",
        "does not have a",
        "no such",
        "account has been disabled",
        "account is disabled",
        " 550:",
        " 554:",
        "name is not recognized",
        "not recognised",
        "unknown recipient",
        "recipient unknown",
        "permanent error",
        "failed permanently",
        "5.1.1",
        "5.1.10",
        "5.4.1",
        "5.2.1",
        " 550 ",
        " 550-",
        " 551 ",
        " 553 ",
        " 554 ",
    ];
    hard.iter().any(|s| words.contains(s))
}

/// `Field: value` lines of a DSN (first per-recipient block wins).
fn dsn_field<'a>(dsn: &'a str, name: &str) -> Option<&'a str> {
    dsn.lines().find_map(|line| {
        let (field, value) = line.split_once(':')?;
        field
            .trim()
            .eq_ignore_ascii_case(name)
            .then(|| value.trim())
    })
}

fn bounce(mail: &ParsedMail, own_domains: &[String]) -> Option<Kind> {
    let subject = normalize(&mail.subject);
    let from = mail.from.clone().unwrap_or_default();
    let from_name = normalize(mail.from_name.as_deref().unwrap_or_default());
    let is_dsn =
        mail.report_type.as_deref() == Some("delivery-status") || mail.delivery_status.is_some();
    // "post_master@", "Mailer_Daemon@": the same mail systems.
    let from_plain = from.replace(['_', '.'], "");
    let daemon = BOUNCE_SENDERS
        .iter()
        .any(|s| from.starts_with(s) || from_plain.starts_with(s))
        || from_name.contains("mail delivery")
        || from_name.contains("mailer-daemon")
        || from_name.contains("postmaster");
    let opening: String = mail.text.chars().take(1500).collect();
    let opening = normalize(&opening);
    let body_says = BOUNCE_BODY.iter().any(|s| opening.contains(s));
    let subject_says = is_bounce_subject(&subject);
    let failed_header = mail.header("x-failed-recipients").is_some();
    let recognised = is_dsn
        || (daemon && (body_says || subject_says || failed_header))
        || (subject_says && (mail.header("auto-submitted").is_some() || failed_header));
    if !recognised {
        return None;
    }
    if let Some(dsn) = &mail.delivery_status {
        let recipient = dsn_field(dsn, "Final-Recipient")
            .or_else(|| dsn_field(dsn, "Original-Recipient"))
            .map(|v| {
                v.rsplit(';')
                    .next()
                    .unwrap_or(v)
                    .trim()
                    .to_ascii_lowercase()
            });
        let status = dsn_field(dsn, "Status");
        let action = dsn_field(dsn, "Action").map(str::to_ascii_lowercase);
        let diagnostic = dsn_field(dsn, "Diagnostic-Code")
            .map(|d| d.rsplit(';').next().unwrap_or(d).trim().to_string())
            .unwrap_or_default();
        let words = format!(" {} {} ", normalize(&diagnostic), normalize(&mail.text));
        let hard = hardness(status, action.as_deref(), &words);
        return Some(Kind::Bounce {
            hard,
            address: recipient,
            diagnostic: format!("{} {}", status.unwrap_or(""), diagnostic)
                .trim()
                .to_string(),
        });
    }
    // Free-form notice: the failed address is in X-Failed-Recipients, or
    // the first address in the text that is neither the daemon nor ours.
    let words = format!(" {} ", normalize(&mail.text));
    let address = mail
        .header("x-failed-recipients")
        .and_then(|v| emails(v).into_iter().next())
        .or_else(|| {
            emails(&mail.text).into_iter().find(|a| {
                *a != from
                    && !BOUNCE_SENDERS.iter().any(|s| a.starts_with(s))
                    && !own_domains.iter().any(|d| a.ends_with(&format!("@{d}")))
            })
        });
    let diagnostic = mail
        .text
        .lines()
        .map(str::trim)
        .find(|l| {
            l.len() > 8
                && (l.contains(" 550")
                    || l.contains("5.1.1")
                    || l.contains(" 4") && l.contains("4.")
                    || l.starts_with("550")
                    || l.starts_with("554")
                    || l.starts_with("552"))
        })
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect();
    Some(Kind::Bounce {
        hard: hardness(None, None, &words),
        address,
        diagnostic,
    })
}

fn auto_reply(mail: &ParsedMail) -> bool {
    let header = |name: &str| mail.header(name).map(|v| v.trim().to_ascii_lowercase());
    if let Some(value) = header("auto-submitted") {
        if value != "no" && !value.is_empty() {
            return true;
        }
    }
    if header("x-autoreply").is_some()
        || header("x-autorespond").is_some()
        || header("x-autoresponder").is_some()
        || header("x-vacation").is_some()
        || header("x-ms-exchange-inbox-rules-loop").is_some()
        || header("x-autogenerated").is_some_and(|v| v.contains("reply"))
    {
        return true;
    }
    if header("precedence").is_some_and(|v| matches!(v.as_str(), "auto_reply" | "bulk" | "junk")) {
        return true;
    }
    // Some responders say it in their first words, whatever the headers.
    let opening: String = mail.text.chars().take(300).collect();
    let opening = normalize(&opening);
    if [
        "ceci est une reponse automatique",
        "ceci est un message automatique",
        "ceci est un message genere automatiquement",
        "message genere automatiquement",
        "reponse generee automatiquement",
        "this is an automatic reply",
        "this is an automatic response",
        "this is an automated response",
        "this is an automated reply",
        "this is an automated message",
    ]
    .iter()
    .any(|s| opening.contains(s))
    {
        return true;
    }
    // Exchange and some webmails send no RFC 3834 header: the subject tells.
    let subject = normalize(&mail.subject);
    AUTOREPLY_SUBJECTS.iter().any(|s| subject.contains(s))
        // A subject of its own that opens on an absence ("Congés - retour le
        // 4 janvier", "Away until Monday"): a person answering writes "Re:".
        || AUTOREPLY_SUBJECT_STARTS
            .iter()
            .any(|s| subject.starts_with(s))
}

const AUTOREPLY_SUBJECT_STARTS: &[&str] = &[
    "conges",
    "absence",
    "absent",
    "absente",
    "vacances",
    "en deplacement",
    "away until",
    "away from",
    "away on",
    "auto:",
    "automatic response",
];

/// The return date an out-of-office states ("de retour le 2 décembre",
/// "absent jusqu'au 30/11", "back on December 2").
fn return_date(mail: &ParsedMail, today: NaiveDate) -> Option<NaiveDate> {
    let text = normalize(&format!("{}\n{}", mail.subject, mail.text));
    let found: Vec<dates::Found> = dates::find_all(&text, today)
        .into_iter()
        .filter(|f| f.date >= today)
        .collect();
    // A date the message gives as the return ("de retour le 2 décembre",
    // "returning 7th Dec") is the one that counts; else the latest stated.
    let said_back = |f: &&dates::Found| {
        let start = text[..f.at]
            .char_indices()
            .rev()
            .nth(30)
            .map_or(0, |(i, _)| i);
        let before = &text[start..f.at];
        [
            "retour",
            "returning",
            "return",
            "back",
            "reprise",
            "reprendrai",
            "reviens",
        ]
        .iter()
        .any(|w| before.contains(w))
    };
    found
        .iter()
        .filter(said_back)
        .map(|f| f.date)
        .max()
        .or_else(|| found.iter().map(|f| f.date).max())
}

/// Classifies a parsed message. `own_domains`: the firm's mail domains
/// (never taken for the failed address of a bounce). `today`: the day the
/// message was written, in Paris.
pub fn classify(mail: &ParsedMail, own_domains: &[String], today: NaiveDate) -> Kind {
    if let Some(kind) = bounce(mail, own_domains) {
        return kind;
    }
    if auto_reply(mail) {
        return Kind::AutoReply {
            return_date: return_date(mail, today),
        };
    }
    Kind::Human
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    #[test]
    fn an_absence_subject_without_headers_is_an_auto_reply() {
        let mail = ParsedMail {
            from: Some("marie@salon.example".into()),
            subject: "Congés - retour le 4 janvier".into(),
            text: "Je suis en congés, retour le lundi 4 janvier.".into(),
            ..ParsedMail::default()
        };
        assert_eq!(
            classify(&mail, &[], day()),
            Kind::AutoReply {
                return_date: NaiveDate::from_ymd_opt(2027, 1, 4)
            }
        );
        let reply = ParsedMail {
            subject: "Re: [CabReady D001] Votre mandat".into(),
            text: "Je suis en congés, je signe à mon retour.".into(),
            ..mail
        };
        assert_eq!(classify(&reply, &[], day()), Kind::Human);
    }

    #[test]
    fn a_mail_system_saying_it_failed_is_a_bounce_whatever_the_subject() {
        let mail = ParsedMail {
            from: Some("postmaster@client.example".into()),
            subject: "E".into(),
            text: "Your message\n\n  To: gerance@client.example\n\ndid not reach the following recipient(s):\n\ngerance@client.example\n    The recipient name is not recognized".into(),
            ..ParsedMail::default()
        };
        match classify(&mail, &[], day()) {
            Kind::Bounce { hard, address, .. } => {
                assert!(hard);
                assert_eq!(address.as_deref(), Some("gerance@client.example"));
            }
            other => panic!("read as {other:?}"),
        }
        // The same words from a person are a reply.
        let person = ParsedMail {
            from: Some("paul@client.example".into()),
            ..mail
        };
        assert_eq!(classify(&person, &[], day()), Kind::Human);
    }

    #[test]
    fn a_responder_saying_so_is_an_auto_reply() {
        let mail = ParsedMail {
            from: Some("patrice@client.example".into()),
            subject: "Re: [CabReady D001] Votre mandat".into(),
            text:
                "Ceci est une réponse automatique.\n\nJe suis absent jusqu'au 1er décembre inclus."
                    .into(),
            ..ParsedMail::default()
        };
        assert_eq!(
            classify(&mail, &[], day()),
            Kind::AutoReply {
                return_date: NaiveDate::from_ymd_opt(2026, 12, 2)
            }
        );
    }

    #[test]
    fn full_mailbox_and_too_large_are_soft() {
        assert!(!hardness(Some("5.2.2"), Some("failed"), " mailbox full "));
        assert!(!hardness(
            Some("5.2.3"),
            Some("failed"),
            " message too large "
        ));
        assert!(hardness(Some("5.1.1"), Some("failed"), " user unknown "));
        assert!(!hardness(
            Some("5.0.0"),
            Some("failed"),
            " unknown address error 550-'5.2.2 <x@y.example>... mailbox full' "
        ));
        assert!(!hardness(
            Some("5.7.1"),
            Some("failed"),
            " 550 5.7.1 message content rejected, ube "
        ));
        assert!(hardness(
            Some("5.7.1"),
            Some("failed"),
            " recipient address rejected: access denied "
        ));
        assert!(hardness(
            None,
            None,
            " 554: delivery error: dd this user doesn't have a yahoo.example account "
        ));
    }
}
