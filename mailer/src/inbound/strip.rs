//! The part of a reply the client actually wrote: quoted text (the
//! reminder we sent, earlier messages) and signatures removed, so that
//! the intent reader never reads our own words back. French and English
//! client formats: "Le … a écrit :", "On … wrote:", Outlook's
//! "De : … Envoyé : … Objet :" block and its underscore rule,
//! "-----Message d'origine-----", `>` quotes, "-- ", "Envoyé de mon iPhone"…

use super::text::normalize;

/// Whether this (normalized) line opens a quoted message.
fn opens_quote(line: &str, next: &[String]) -> bool {
    let line = line.trim();
    if line.is_empty() {
        return false;
    }
    // "Le mar. 24 nov. 2026 à 10:02, X <x@y> a écrit :" (maybe wrapped over two lines).
    let wrote = |l: &str| {
        let l = l.trim_end();
        l.ends_with("a ecrit :")
            || l.ends_with("a ecrit:")
            || l.ends_with("a ecrit")
            || l.ends_with("wrote:")
            || l.ends_with("wrote :")
            || l.ends_with("schrieb:")
    };
    let intro = |l: &str| l.starts_with("le ") || l.starts_with("on ") || l.starts_with("am ");
    if intro(line) && wrote(line) {
        return true;
    }
    // Wrapped over two lines: a dated first half, the "a écrit :" second half.
    if intro(line)
        && line.chars().any(|c| c.is_ascii_digit())
        && !line.ends_with(['.', '!', '?'])
        && next.first().is_some_and(|n| wrote(n) && !intro(n))
    {
        return true;
    }
    if line.contains(" a ecrit :") && line.contains('@') {
        return true;
    }
    let rule = line.trim_matches(|c: char| c == '-' || c == '_' || c == ' ' || c == '=');
    if line.starts_with("-----") || line.starts_with("_____") || line.starts_with("=====") {
        if rule.is_empty() {
            // Outlook's underscore rule: a quote when a header block follows.
            return next.iter().take(3).any(|n| {
                n.starts_with("de :")
                    || n.starts_with("de:")
                    || n.starts_with("from:")
                    || n.starts_with("from :")
            });
        }
        return [
            "message d'origine",
            "original message",
            "message transfere",
            "forwarded message",
            "message d'origine",
            "reponse",
        ]
        .iter()
        .any(|m| rule.contains(m));
    }
    // Outlook's header block: "De : X", then "Envoyé :" / "Date :" within a few lines.
    if line.starts_with("de :")
        || line.starts_with("de:")
        || line.starts_with("from:")
        || line.starts_with("from :")
    {
        return next.iter().take(4).any(|n| {
            [
                "envoye :", "envoye:", "sent:", "sent :", "date :", "date:", "objet :", "subject:",
            ]
            .iter()
            .any(|h| n.starts_with(h))
        });
    }
    false
}

/// Whether this (normalized) line starts the signature or a mobile footer;
/// a closing word ("Cordialement") counts only after some text (`after_text`).
fn opens_signature(line: &str, after_text: bool) -> bool {
    let line = line.trim_end();
    if line == "--" || line == "-- " || line == "__" {
        return true;
    }
    let footers = [
        "envoye de mon iphone",
        "envoye de mon ipad",
        "envoye de mon mobile",
        "envoye depuis mon",
        "envoye a partir de",
        "envoye de mon smartphone",
        "sent from my iphone",
        "sent from my ipad",
        "sent from my mobile",
        "sent from outlook",
        "sent from mail for windows",
        "sent from my samsung",
        "sent from my android",
        "get outlook for",
        "telecharger outlook pour",
        "obtenir outlook pour",
        "provenance : courrier pour windows",
    ];
    if footers.iter().any(|f| line.starts_with(f)) {
        return true;
    }
    let closings = [
        "cordialement",
        "bien cordialement",
        "tres cordialement",
        "bien a vous",
        "bien a toi",
        "salutations",
        "sincères salutations",
        "sinceres salutations",
        "meilleures salutations",
        "bonne journee",
        "bonne fin de journee",
        "bonne soiree",
        "merci et bonne journee",
        "best regards",
        "kind regards",
        "regards",
        "best",
        "cheers",
        "thanks",
        "many thanks",
        "thank you",
        "merci",
        "merci d'avance",
        "merci beaucoup",
        "a bientot",
        "cdlt",
        "slts",
        "bav",
    ];
    let bare = line.trim_end_matches([',', '.', '!', ' ']);
    if !after_text {
        return false;
    }
    if closings.contains(&bare) {
        return true;
    }
    // "Salutations distinguées,", "Bien cordialement à vous", "Cordialement
    // et bonne journée": a short line opening on a formal closing.
    let formal = [
        "cordialement",
        "bien cordialement",
        "salutations",
        "sinceres salutations",
        "meilleures salutations",
        "veuillez agreer",
        "je vous prie d'agreer",
        "respectueusement",
        "amicalement",
        "bien a vous",
        "best regards",
        "kind regards",
        "warm regards",
    ];
    if bare.chars().count() <= 40 && formal.iter().any(|f| bare.starts_with(f)) {
        return true;
    }
    // A phone line ("Tél. 05 56 00 11 22", "Mob : +33 6…") after the text.
    PHONE_LINE.is_match(line)
}

static PHONE_LINE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"^(?:tel|telephone|tel\.|mob|mobile|portable|port|phone|fax|standard|ligne directe|direct)\s*[.:]?\s*(?:\+|\(|\d)",
    )
    .expect("static pattern")
});

/// The reply's own text: everything before the first quote, without the
/// signature, `>` lines dropped; blank lines at the ends trimmed.
pub fn visible_text(body: &str) -> String {
    let lines: Vec<&str> = body.lines().collect();
    let normal: Vec<String> = lines.iter().map(|l| normalize(l)).collect();
    let mut kept: Vec<&str> = Vec::new();
    // Bottom-posting ("Le … a écrit :", `>` lines, then the answer): a quote
    // that comes before any text of the client's is skipped, not the end.
    let mut skipping_quote = false;
    for (i, line) in lines.iter().enumerate() {
        let n = &normal[i];
        if skipping_quote {
            if line.trim_start().starts_with('>') || n.is_empty() {
                continue;
            }
            skipping_quote = false;
        }
        let rest: Vec<String> = normal[i + 1..]
            .iter()
            .filter(|l| !l.is_empty())
            .take(5)
            .cloned()
            .collect();
        if opens_quote(n, &rest) {
            let nothing_yet = kept.iter().all(|l| l.trim().is_empty());
            let next_is_quoted = lines[i + 1..]
                .iter()
                .find(|l| !l.trim().is_empty())
                .is_some_and(|l| l.trim_start().starts_with('>'));
            let answer_after = lines[i + 1..]
                .iter()
                .skip_while(|l| l.trim().is_empty() || l.trim_start().starts_with('>'))
                .any(|l| !l.trim().is_empty());
            if nothing_yet && next_is_quoted && answer_after {
                skipping_quote = true;
                continue;
            }
            break;
        }
        if opens_signature(n, kept.iter().any(|l| !l.trim().is_empty())) {
            break;
        }
        if line.trim_start().starts_with('>') {
            continue;
        }
        kept.push(line.trim_end());
    }
    while kept.first().is_some_and(|l| l.trim().is_empty()) {
        kept.remove(0);
    }
    while kept.last().is_some_and(|l| l.trim().is_empty()) {
        kept.pop();
    }
    // Collapse runs of blank lines.
    let mut out = String::new();
    let mut blank = false;
    for line in kept {
        if line.trim().is_empty() {
            if !blank {
                out.push('\n');
            }
            blank = true;
            continue;
        }
        blank = false;
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_french() {
        let body = "Bonjour,\n\nCi-joint le mandat signé.\n\nCordialement,\nPaul Martin\n06 12 34 56 78\n\nLe mar. 24 nov. 2026 à 10:02, Cabinet Durand <relances+abc@cabinet.fr> a écrit :\n> Bonjour, pouvez-vous signer le mandat ?\n";
        assert_eq!(visible_text(body), "Bonjour,\n\nCi-joint le mandat signé.");
    }

    #[test]
    fn gmail_wrapped_header() {
        let body = "OK pour janvier.\n\nLe mar. 24 nov. 2026 à 10:02, Cabinet Durand <\nrelances+abc@cabinet.fr> a écrit :\n\n> texte\n";
        assert_eq!(visible_text(body), "OK pour janvier.");
    }

    #[test]
    fn outlook_french_block() {
        let body = "Nous avons choisi Pennylane.\n\n________________________________\nDe : Cabinet Durand <relances@cabinet.fr>\nEnvoyé : mardi 24 novembre 2026 10:02\nÀ : Paul Martin\nObjet : [CabReady D002] Mandat\n\nMerci de signer le mandat ci-joint.";
        assert_eq!(visible_text(body), "Nous avons choisi Pennylane.");
    }

    #[test]
    fn outlook_without_rule_and_original_message() {
        let body = "Je refuse.\nDe : Cabinet <a@b.fr>\nEnvoyé : mardi\nObjet : x\n\nsigné";
        assert_eq!(visible_text(body), "Je refuse.");
        let body = "Thanks, see attached.\n-----Original Message-----\nFrom: x\nsigned";
        assert_eq!(visible_text(body), "Thanks, see attached.");
        let body = "Question ?\n\n-----Message d'origine-----\nDe : x";
        assert_eq!(visible_text(body), "Question ?");
    }

    #[test]
    fn english_and_mobile() {
        let body = "I signed it, attached.\n\nSent from my iPhone\n\nOn Tue, Nov 24, 2026 at 10:02 AM Cabinet <x@y.fr> wrote:\n> please sign";
        assert_eq!(visible_text(body), "I signed it, attached.");
        let body = "Je n'ai pas encore signé.\n\nEnvoyé de mon iPhone\n\n> Le 24 nov. 2026 à 10:02, Cabinet a écrit :";
        assert_eq!(visible_text(body), "Je n'ai pas encore signé.");
    }

    #[test]
    fn a_sentence_before_the_quote_header_stays() {
        let body = "On verra ça en janvier.\n\nLe mar. 24 nov. 2026 à 10:02, Cabinet <x@y.fr> a écrit :\n> texte";
        assert_eq!(visible_text(body), "On verra ça en janvier.");
    }

    #[test]
    fn bottom_posting_keeps_the_answer() {
        let body = "Le 24/11/2026 à 10:02, Cabinet a écrit :\n> Merci de signer.\n> Cordialement\nC'est fait, déposé ce matin.\n\nPaul";
        assert_eq!(visible_text(body), "C'est fait, déposé ce matin.\n\nPaul");
        let body = "On 04/02/2012 06:26 PM, Megan wrote:\n> Hi\nHello";
        assert_eq!(visible_text(body), "Hello");
        // A top-posted quote with nothing after it stays cut.
        let body = "Le 24/11/2026 à 10:02, Cabinet a écrit :\n> Merci de signer.";
        assert_eq!(visible_text(body), "");
    }

    #[test]
    fn formal_closings_and_phone_lines_open_the_signature() {
        let body = "Nous ne donnerons pas suite.\n\nSalutations distinguées,\n\nThierry Colin\nRCS Lyon 123 456 789";
        assert_eq!(visible_text(body), "Nous ne donnerons pas suite.");
        let body = "Nous avons opté pour Qonto.\nKarine Vidal\nTél. 05 56 00 11 22\nCe courriel est confidentiel.";
        assert_eq!(
            visible_text(body),
            "Nous avons opté pour Qonto.\nKarine Vidal"
        );
        // A sentence that merely starts like a closing stays.
        let body = "Cordialement et merci, je vous envoie le mandat lundi.\nPaul";
        assert_eq!(visible_text(body), body);
        let body = "Rappelez-moi au 06 12 34 56 78.";
        assert_eq!(visible_text(body), body);
    }

    #[test]
    fn signature_dash() {
        let body = "STOP\n-- \nJean\nSARL Jean";
        assert_eq!(visible_text(body), "STOP");
    }
}
