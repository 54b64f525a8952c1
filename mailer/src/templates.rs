//! Reminder templates (handlebars): `templates/mail/<name>.<lang>.{subject,txt,html}.hbs`
//! over a shared HTML layout and text footer. Built into the binary; a firm
//! replaces any file by putting one of the same name in `mail.templates_dir`.
//!
//! Two registries: HTML parts escape every value (a client called
//! `<script>` stays text), subjects and text parts do not escape but lose
//! every control character, so no value can add a header line. Strict mode:
//! a missing variable is an error, found by `cabready check-config` before
//! anything is sent.

use crate::cadence::Template;
use cabready_store::Lang;
use handlebars::Handlebars;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const BUILT_IN: &[(&str, &str)] = &[
    (
        "mandate_request.fr.subject",
        include_str!("../../templates/mail/mandate_request.fr.subject.hbs"),
    ),
    (
        "mandate_request.fr.txt",
        include_str!("../../templates/mail/mandate_request.fr.txt.hbs"),
    ),
    (
        "mandate_request.fr.html",
        include_str!("../../templates/mail/mandate_request.fr.html.hbs"),
    ),
    (
        "mandate_request.en.subject",
        include_str!("../../templates/mail/mandate_request.en.subject.hbs"),
    ),
    (
        "mandate_request.en.txt",
        include_str!("../../templates/mail/mandate_request.en.txt.hbs"),
    ),
    (
        "mandate_request.en.html",
        include_str!("../../templates/mail/mandate_request.en.html.hbs"),
    ),
    (
        "mandate_followup.fr.subject",
        include_str!("../../templates/mail/mandate_followup.fr.subject.hbs"),
    ),
    (
        "mandate_followup.fr.txt",
        include_str!("../../templates/mail/mandate_followup.fr.txt.hbs"),
    ),
    (
        "mandate_followup.fr.html",
        include_str!("../../templates/mail/mandate_followup.fr.html.hbs"),
    ),
    (
        "mandate_followup.en.subject",
        include_str!("../../templates/mail/mandate_followup.en.subject.hbs"),
    ),
    (
        "mandate_followup.en.txt",
        include_str!("../../templates/mail/mandate_followup.en.txt.hbs"),
    ),
    (
        "mandate_followup.en.html",
        include_str!("../../templates/mail/mandate_followup.en.html.hbs"),
    ),
    (
        "mandate_deadline.fr.subject",
        include_str!("../../templates/mail/mandate_deadline.fr.subject.hbs"),
    ),
    (
        "mandate_deadline.fr.txt",
        include_str!("../../templates/mail/mandate_deadline.fr.txt.hbs"),
    ),
    (
        "mandate_deadline.fr.html",
        include_str!("../../templates/mail/mandate_deadline.fr.html.hbs"),
    ),
    (
        "mandate_deadline.en.subject",
        include_str!("../../templates/mail/mandate_deadline.en.subject.hbs"),
    ),
    (
        "mandate_deadline.en.txt",
        include_str!("../../templates/mail/mandate_deadline.en.txt.hbs"),
    ),
    (
        "mandate_deadline.en.html",
        include_str!("../../templates/mail/mandate_deadline.en.html.hbs"),
    ),
    (
        "platform_choice.fr.subject",
        include_str!("../../templates/mail/platform_choice.fr.subject.hbs"),
    ),
    (
        "platform_choice.fr.txt",
        include_str!("../../templates/mail/platform_choice.fr.txt.hbs"),
    ),
    (
        "platform_choice.fr.html",
        include_str!("../../templates/mail/platform_choice.fr.html.hbs"),
    ),
    (
        "platform_choice.en.subject",
        include_str!("../../templates/mail/platform_choice.en.subject.hbs"),
    ),
    (
        "platform_choice.en.txt",
        include_str!("../../templates/mail/platform_choice.en.txt.hbs"),
    ),
    (
        "platform_choice.en.html",
        include_str!("../../templates/mail/platform_choice.en.html.hbs"),
    ),
    (
        "layout.fr.html",
        include_str!("../../templates/mail/layout.fr.html.hbs"),
    ),
    (
        "footer.fr.txt",
        include_str!("../../templates/mail/footer.fr.txt.hbs"),
    ),
    (
        "layout.en.html",
        include_str!("../../templates/mail/layout.en.html.hbs"),
    ),
    (
        "footer.en.txt",
        include_str!("../../templates/mail/footer.en.txt.hbs"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name}: {message}")]
    Invalid { name: String, message: String },
    #[error("template {name}: cannot read {path}: {source}")]
    Read {
        name: String,
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A rendered reminder.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct Templates {
    html: Handlebars<'static>,
    text: Handlebars<'static>,
    /// Which files came from the firm's folder.
    pub overridden: Vec<String>,
}

fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::Fr => "fr",
        Lang::En => "en",
    }
}

/// One line, printable characters only: for subjects and header values.
pub fn one_line(value: &str) -> String {
    let cleaned: String = value
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Templates {
    /// The built-in templates, with the firm's overrides from `dir` if any.
    pub fn load(dir: Option<&Path>) -> Result<Templates, TemplateError> {
        let mut html = Handlebars::new();
        let mut text = Handlebars::new();
        html.set_strict_mode(true);
        text.set_strict_mode(true);
        text.register_escape_fn(handlebars::no_escape);
        let mut overridden = Vec::new();
        for (name, built_in) in BUILT_IN {
            let mut source = built_in.to_string();
            if let Some(dir) = dir {
                let path = dir.join(format!("{name}.hbs"));
                if path.exists() {
                    source =
                        std::fs::read_to_string(&path).map_err(|source| TemplateError::Read {
                            name: name.to_string(),
                            path: path.clone(),
                            source,
                        })?;
                    overridden.push(name.to_string());
                }
            }
            let invalid = |e: handlebars::TemplateError| TemplateError::Invalid {
                name: name.to_string(),
                message: e.to_string(),
            };
            let (registry, key) = if name.ends_with(".html") {
                (&mut html, *name)
            } else {
                (&mut text, *name)
            };
            if let Some(lang) = key
                .strip_prefix("layout.")
                .and_then(|r| r.strip_suffix(".html"))
            {
                registry
                    .register_partial(&format!("layout_{lang}"), source)
                    .map_err(invalid)?;
            } else if let Some(lang) = key
                .strip_prefix("footer.")
                .and_then(|r| r.strip_suffix(".txt"))
            {
                registry
                    .register_partial(&format!("footer_{lang}"), source)
                    .map_err(invalid)?;
            } else {
                registry
                    .register_template_string(key, source)
                    .map_err(invalid)?;
            }
        }
        Ok(Templates {
            html,
            text,
            overridden,
        })
    }

    /// Renders one reminder; the subject gets the dossier tag `[CabReady D002]`.
    pub fn render(
        &self,
        template: Template,
        lang: Lang,
        context: &Value,
    ) -> Result<Rendered, TemplateError> {
        let base = format!("{}.{}", template.name(), lang_code(lang));
        let fail = |name: &str, e: handlebars::RenderError| TemplateError::Invalid {
            name: name.to_string(),
            message: e.to_string(),
        };
        let subject_name = format!("{base}.subject");
        let subject = one_line(
            &self
                .text
                .render(&subject_name, context)
                .map_err(|e| fail(&subject_name, e))?,
        );
        let code = context
            .pointer("/dossier/code")
            .and_then(Value::as_str)
            .map(one_line)
            .unwrap_or_default();
        let subject = format!("[CabReady {code}] {subject}");
        let mut with_subject = context.clone();
        if let Some(map) = with_subject.as_object_mut() {
            map.insert("subject".into(), json!(subject));
        }
        let text_name = format!("{base}.txt");
        let text = self
            .text
            .render(&text_name, &with_subject)
            .map_err(|e| fail(&text_name, e))?;
        let html_name = format!("{base}.html");
        let html = self
            .html
            .render(&html_name, &with_subject)
            .map_err(|e| fail(&html_name, e))?;
        Ok(Rendered {
            subject,
            text: normalise_text(&text),
            html,
        })
    }

    /// Renders every template in both languages with sample data: the
    /// errors, one per failing template (check-config).
    pub fn check_all(&self) -> Vec<(String, Result<Rendered, TemplateError>)> {
        let mut results = Vec::new();
        for template in Template::ALL {
            for lang in [Lang::Fr, Lang::En] {
                let context = sample_context(lang);
                results.push((
                    format!("{}.{}", template.name(), lang_code(lang)),
                    self.render(template, lang, &context),
                ));
            }
        }
        results
    }
}

/// CRLF line ends (what SMTP wants), no trailing spaces, at most one blank line in a row.
fn normalise_text(text: &str) -> String {
    let mut out = Vec::new();
    let mut blank = false;
    for line in text.lines() {
        let line = line.trim_end();
        if line.is_empty() {
            if blank {
                continue;
            }
            blank = true;
        } else {
            blank = false;
        }
        out.push(line);
    }
    while out.last() == Some(&"") {
        out.pop();
    }
    out.join("\r\n") + "\r\n"
}

/// Everything a template can use; `docs/templates.md` lists it.
pub struct ContextData<'a> {
    pub lang: Lang,
    pub firm_name: &'a str,
    pub signature: &'a str,
    pub logo_url: &'a str,
    pub reply_to: &'a str,
    pub contact_name: &'a str,
    pub dossier_code: &'a str,
    pub legal_name: &'a str,
    pub siren: &'a str,
    pub accountant_name: &'a str,
    pub accountant_email: &'a str,
    /// The next unmet legal date, its label, days left (negative: past).
    pub deadline: Option<(chrono::NaiveDate, &'a str, i64)>,
    pub emission_date: Option<chrono::NaiveDate>,
    /// The day of sending (Paris): says whether emission already applies.
    pub today: chrono::NaiveDate,
    pub step: i64,
    pub token: &'a str,
}

pub fn context(data: &ContextData<'_>) -> Value {
    let lang = data.lang;
    let name = one_line(data.contact_name);
    let greeting = match (lang, name.is_empty()) {
        (Lang::Fr, true) => "Bonjour,".to_string(),
        (Lang::Fr, false) => format!("Bonjour {name},"),
        (Lang::En, true) => "Hello,".to_string(),
        (Lang::En, false) => format!("Hello {name},"),
    };
    let date = |d: chrono::NaiveDate| match lang {
        Lang::Fr => d.format("%d/%m/%Y").to_string(),
        Lang::En => d.format("%-d %B %Y").to_string(),
    };
    let (deadline_date, label, days_left) = match data.deadline {
        Some((d, label, days)) => (date(d), label.to_string(), days),
        None => (String::new(), String::new(), 0),
    };
    let accountant = if data.accountant_name.trim().is_empty() {
        lang.pick("votre collaborateur", "your accountant")
            .to_string()
    } else {
        one_line(data.accountant_name)
    };
    let subject_stop = lang.pick("STOP", "STOP");
    json!({
        "firm": {
            "name": one_line(data.firm_name),
            "signature": data.signature,
            "signature_lines": data.signature.lines().collect::<Vec<_>>(),
            "logo_url": data.logo_url,
            "reply_to": data.reply_to,
        },
        "client": { "name": name, "greeting": greeting },
        "dossier": {
            "code": one_line(data.dossier_code),
            "legal_name": one_line(data.legal_name),
            "of_name": of_name(&one_line(data.legal_name), lang),
            "siren": data.siren,
        },
        "accountant": { "name": accountant, "email": data.accountant_email },
        "deadline": {
            "date": deadline_date,
            "label": label,
            "days_left": days_left.max(0),
            "past": days_left < 0,
            "emission_date": data.emission_date.map(date).unwrap_or_default(),
            "emission_in_force": data.emission_date.is_some_and(|d| d <= data.today),
        },
        "reminder": { "step": data.step, "token": data.token },
        "unsubscribe": {
            "mailto_url": format!("mailto:{}?subject={}", data.reply_to, subject_stop),
        },
    })
}

/// "de Garage des Tilleuls", "d'Hôtel du Lac": French elides "de" before a
/// vowel or a mute h (not before an aspirated one: "de Haut-Rhin Bois").
/// English: "of …".
fn of_name(name: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return format!("of {name}");
    }
    let folded = cabready_store::domain::fold(name);
    const ASPIRATED: &[&str] = &[
        "hach", "haie", "hall", "hamac", "hameau", "hamst", "hanche", "hangar", "hard", "harp",
        "hasard", "haut", "havre", "herisson", "hernie", "heros", "hetre", "hibou", "hierarch",
        "hollande", "homard", "hongr", "honte", "hors", "hotte", "houblon", "housse", "hublot",
        "huit", "hutte",
    ];
    let mute_h = folded.starts_with('h')
        && folded[1..].starts_with(['a', 'e', 'i', 'o', 'u', 'y'])
        && !ASPIRATED.iter().any(|w| folded.starts_with(w));
    match folded.starts_with(['a', 'e', 'i', 'o', 'u', 'y']) || mute_h {
        true => format!("d'{name}"),
        false => format!("de {name}"),
    }
}

/// Sample data for check-config and the template docs (with a name that
/// would break HTML if it were not escaped).
pub fn sample_context(lang: Lang) -> Value {
    context(&ContextData {
        lang,
        firm_name: "Cabinet Durand & Associés",
        signature: "Claire Durand\nCabinet Durand & Associés\n01 23 45 67 89",
        logo_url: "https://cabinet-durand.example/logo.png",
        reply_to: "relances+0123456789abcdef0123456789ab@cabinet-durand.example",
        contact_name: "Jeanne <Martin>",
        dossier_code: "D002",
        legal_name: "Garage des Tilleuls & Fils",
        siren: "732829320",
        accountant_name: "Anne Leroy",
        accountant_email: "anne@cabinet-durand.example",
        deadline: chrono::NaiveDate::from_ymd_opt(2027, 9, 1)
            .map(|d| (d, "émission des factures électroniques", 280)),
        emission_date: chrono::NaiveDate::from_ymd_opt(2027, 9, 1),
        today: chrono::NaiveDate::from_ymd_opt(2026, 11, 25).expect("a date"),
        step: 1,
        token: "0123456789abcdef0123456789ab",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_renders_in_both_languages() {
        let templates = Templates::load(None).unwrap();
        for (name, result) in templates.check_all() {
            let rendered = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(rendered.subject.starts_with("[CabReady D002] "), "{name}");
            assert!(
                rendered.text.contains("Garage des Tilleuls & Fils"),
                "{name}"
            );
            // Escaped in HTML, plain in text.
            assert!(rendered.html.contains("Jeanne &lt;Martin&gt;"), "{name}");
            assert!(!rendered.html.contains("<Martin>"), "{name}");
            assert!(rendered.text.contains("Jeanne <Martin>"), "{name}");
            assert!(
                rendered.html.contains("Cabinet Durand &amp; Associés"),
                "{name}"
            );
            assert!(!rendered.text.contains("{{"), "{name}");
        }
    }

    #[test]
    fn french_request_reads_well() {
        let templates = Templates::load(None).unwrap();
        let r = templates
            .render(
                Template::MandateRequest,
                Lang::Fr,
                &sample_context(Lang::Fr),
            )
            .unwrap();
        assert_eq!(
            r.subject,
            "[CabReady D002] Garage des Tilleuls & Fils : votre mandat pour la facturation électronique"
        );
        assert!(r
            .text
            .starts_with("Bonjour Jeanne <Martin>,\r\n\r\nLa réforme"));
        assert!(r.text.contains("à partir du 01/09/2027"));
        assert!(r
            .text
            .contains("Claire Durand\r\nCabinet Durand & Associés"));
    }

    #[test]
    fn emission_is_told_in_its_tense_and_names_take_elision() {
        let templates = Templates::load(None).unwrap();
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let render = |template, lang, name: &str, emission: Option<chrono::NaiveDate>| {
            let context = context(&ContextData {
                lang,
                firm_name: "Cabinet Durand",
                signature: "Claire",
                logo_url: "",
                reply_to: "relances+t@cabinet.example",
                contact_name: "",
                dossier_code: "D001",
                legal_name: name,
                siren: "732829320",
                accountant_name: "",
                accountant_email: "",
                deadline: Some((day(2026, 9, 1), "réception", -85)),
                emission_date: emission,
                today: day(2026, 11, 25),
                step: 1,
                token: "t",
            });
            templates.render(template, lang, &context).unwrap()
        };
        let ge = render(
            Template::MandateRequest,
            Lang::Fr,
            "Hôtel du Lac",
            Some(day(2026, 9, 1)),
        );
        assert!(
            ge.text
                .contains("Hôtel du Lac doit les émettre ainsi depuis le 01/09/2026."),
            "{}",
            ge.text
        );
        let en = render(
            Template::MandateRequest,
            Lang::En,
            "Big Co",
            Some(day(2026, 9, 1)),
        );
        assert!(
            en.text
                .contains("Big Co must issue them that way since 1 September 2026."),
            "{}",
            en.text
        );
        let unknown = render(Template::MandateRequest, Lang::Fr, "Sans Catégorie", None);
        assert!(
            unknown
                .text
                .contains("l'émission suivra, au plus tard le 1er septembre 2027."),
            "{}",
            unknown.text
        );
        assert!(!unknown.text.contains("à partir du ."), "{}", unknown.text);
        let platform = render(
            Template::PlatformChoice,
            Lang::Fr,
            "Big Co",
            Some(day(2026, 9, 1)),
        );
        assert!(
            platform
                .text
                .contains("Big Co recevra et émettra ses factures"),
            "{}",
            platform.text
        );
        for (name, said) in [
            ("Hôtel du Lac", "mandat de délégation d'Hôtel du Lac"),
            ("Atelier Roux", "mandat de délégation d'Atelier Roux"),
            ("Haut-Rhin Bois", "mandat de délégation de Haut-Rhin Bois"),
            ("Garage Martin", "mandat de délégation de Garage Martin"),
        ] {
            let r = render(Template::MandateFollowUp, Lang::Fr, name, None);
            assert!(r.subject.contains(said), "{}", r.subject);
        }
    }

    #[test]
    fn no_header_injection_through_values() {
        let templates = Templates::load(None).unwrap();
        let mut context = sample_context(Lang::Fr);
        context["dossier"]["legal_name"] = json!("Evil\r\nBcc: victim@example.com");
        let r = templates
            .render(Template::MandateFollowUp, Lang::Fr, &context)
            .unwrap();
        assert!(!r.subject.contains('\n') && !r.subject.contains('\r'));
    }

    #[test]
    fn overrides_and_missing_variables() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("mandate_request.fr.subject.hbs"),
            "Mandat {{dossier.code}}",
        )
        .unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        assert_eq!(templates.overridden, vec!["mandate_request.fr.subject"]);
        let r = templates
            .render(
                Template::MandateRequest,
                Lang::Fr,
                &sample_context(Lang::Fr),
            )
            .unwrap();
        assert_eq!(r.subject, "[CabReady D002] Mandat D002");

        std::fs::write(
            dir.path().join("mandate_request.fr.txt.hbs"),
            "{{client.surname}}",
        )
        .unwrap();
        let templates = Templates::load(Some(dir.path())).unwrap();
        let failures: Vec<_> = templates
            .check_all()
            .into_iter()
            .filter(|(_, r)| r.is_err())
            .collect();
        assert_eq!(failures.len(), 1);
        assert_eq!(failures[0].0, "mandate_request.fr");

        std::fs::write(dir.path().join("mandate_request.fr.txt.hbs"), "{{#if}}").unwrap();
        assert!(Templates::load(Some(dir.path())).is_err());
    }
}
