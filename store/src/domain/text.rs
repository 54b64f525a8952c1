use unicode_normalization::UnicodeNormalization;

/// Folds a user's word for comparison: lower case, accents removed, every
/// run of other characters (spaces, dashes, apostrophes, `°`…) collapsed to
/// one `_`, trimmed.
///
/// `"Réel  Normal-Mensuel"` and `"reel_normal_mensuel"` fold to the same key.
pub fn fold(raw: &str) -> String {
    // Already folded (status codes, "emitted"…): the common case of a
    // million-line import, without the Unicode decomposition.
    if raw
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut pending_sep = false;
    for c in raw.nfd() {
        if unicode_normalization::char::is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'œ' | 'Œ' => {
                out.push_str(if pending_sep && !out.is_empty() {
                    "_oe"
                } else {
                    "oe"
                });
                pending_sep = false;
                continue;
            }
            _ => c,
        };
        if !c.is_alphanumeric() {
            pending_sep = true;
            continue;
        }
        if pending_sep && !out.is_empty() {
            out.push('_');
        }
        pending_sep = false;
        out.extend(c.to_lowercase());
    }
    out
}

/// Splits a cell holding several values ("Nord | Sud", "a, b; c").
pub fn split_list(raw: &str) -> Vec<String> {
    raw.split(['|', ',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Levenshtein distance (on chars).
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The candidate closest to `word` (case and accents ignored), when one is
/// a letter or two off: what "vouliez-vous dire" offers.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let key = fold(word);
    candidates
        .into_iter()
        .map(|candidate| (distance(&key, &fold(candidate)), candidate))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, candidate)| candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levenshtein() {
        assert_eq!(distance("pert", "pret"), 2);
        assert_eq!(distance("tilleul", "tilleuls"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("d001", "d001"), 0);
    }

    #[test]
    fn closest_is_a_letter_or_two_off() {
        let platforms = ["Iopole", "Pennylane", "jefacture.com"];
        assert_eq!(closest("Iopol", platforms), Some("Iopole"));
        assert_eq!(closest("PENYLANE", platforms), Some("Pennylane"));
        assert_eq!(closest("Docusign", platforms), None);
    }

    #[test]
    fn fold_removes_accents_case_and_separators() {
        assert_eq!(fold("  Réel  Normal-Mensuel "), "reel_normal_mensuel");
        assert_eq!(fold("Chiffre d'affaires"), "chiffre_d_affaires");
        assert_eq!(fold("N° facture"), "n_facture");
        assert_eq!(fold("jefacture.com"), "jefacture_com");
        assert_eq!(fold("CA3 mensuelle"), "ca3_mensuelle");
        assert_eq!(fold("212"), "212");
        assert_eq!(fold("emitted"), "emitted");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn split_list_accepts_pipes_commas_semicolons() {
        assert_eq!(split_list("Nord | Sud,Est;; "), vec!["Nord", "Sud", "Est"]);
        assert!(split_list("  ").is_empty());
    }
}
