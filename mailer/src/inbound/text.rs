//! Text helpers shared by the classifier and the intent reader: one
//! normal form (lower case, no accents, straight apostrophes, single
//! spaces) so that patterns are written once, and the e-mail addresses in a text.

use unicode_normalization::UnicodeNormalization;

/// Lower case, accents removed, `’` → `'`, every run of blanks → one space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let c = match c {
            '\u{2019}' | '\u{2018}' | '`' | '\u{b4}' => '\'',
            '\u{a0}' | '\u{202f}' | '\t' | '\r' | '\n' => ' ',
            'œ' | 'Œ' => {
                out.push_str("oe");
                space = false;
                continue;
            }
            c => c,
        };
        if c == ' ' {
            if !space && !out.is_empty() {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        out.extend(c.to_lowercase());
    }
    out.trim_end().to_string()
}

/// Every e-mail address in a text, lower case, in order, without duplicates.
pub fn emails(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for word in text.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '<' | '>' | '(' | ')' | '[' | ']' | '"' | ',' | ';' | '\''
            )
    }) {
        let word = word
            .trim_start_matches("mailto:")
            .trim_matches(|c: char| matches!(c, '.' | ':' | '!' | '?'));
        let Some((local, domain)) = word.split_once('@') else {
            continue;
        };
        let ok_local = !local.is_empty()
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._%+-".contains(c));
        let ok_domain = domain.contains('.')
            && !domain.starts_with('.')
            && domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c));
        if ok_local && ok_domain {
            let address = word.to_ascii_lowercase();
            if !found.contains(&address) {
                found.push(address);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normal_form() {
        assert_eq!(
            normalize("Je n’ai  PAS encore\nsigné, l'Œuvre"),
            "je n'ai pas encore signe, l'oeuvre"
        );
    }

    #[test]
    fn addresses_in_text() {
        assert_eq!(
            emails("Écrivez à <Paul.Martin@client.fr>, ou mailto:compta@client.fr."),
            vec!["paul.martin@client.fr", "compta@client.fr"]
        );
        assert!(emails("rien @ ici").is_empty());
    }
}
