//! Builds the MIME message of a reminder: multipart/alternative (text and
//! HTML), Message-ID `<TOKEN@domain>`, Reply-To `local+TOKEN@domain`,
//! `List-Unsubscribe` (mailto) and `Auto-Submitted: auto-generated` (RFC
//! 3834: auto-responders should not answer it). lettre encodes every value
//! (RFC 2047), and the values were made single-line before, so no client
//! data can add a header.

use crate::templates::{one_line, Rendered};
use lettre::message::header::{Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::Message;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

macro_rules! text_header {
    ($name:ident, $header:literal) => {
        #[derive(Debug, Clone)]
        pub struct $name(pub String);
        impl Header for $name {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($header)
            }
            fn parse(s: &str) -> Result<Self, BoxError> {
                Ok($name(s.to_string()))
            }
            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), one_line(&self.0))
            }
        }
    };
}

text_header!(ListUnsubscribe, "List-Unsubscribe");
text_header!(AutoSubmitted, "Auto-Submitted");
text_header!(CabReadyToken, "X-CabReady-Token");

pub struct Addresses<'a> {
    pub from_name: &'a str,
    pub from_address: &'a str,
    pub reply_to: &'a str,
    pub to_name: &'a str,
    pub to_address: &'a str,
}

pub fn build(
    addresses: &Addresses<'_>,
    rendered: &Rendered,
    message_id: &str,
    token: &str,
    date: std::time::SystemTime,
) -> Result<Message, String> {
    let mailbox = |name: &str, address: &str| -> Result<Mailbox, String> {
        let address = address
            .parse()
            .map_err(|e| format!("adresse invalide ({e})"))?;
        let name = one_line(name);
        Ok(Mailbox::new((!name.is_empty()).then_some(name), address))
    };
    let from = mailbox(addresses.from_name, addresses.from_address)?;
    Message::builder()
        .from(from)
        .reply_to(mailbox(addresses.from_name, addresses.reply_to)?)
        .to(mailbox(addresses.to_name, addresses.to_address)?)
        .subject(one_line(&rendered.subject))
        .message_id(Some(format!("<{message_id}>")))
        .date(date)
        .header(ListUnsubscribe(format!(
            "<mailto:{}?subject=STOP>",
            addresses.reply_to
        )))
        .header(AutoSubmitted("auto-generated".into()))
        .header(CabReadyToken(token.to_string()))
        .multipart(MultiPart::alternative_plain_html(
            rendered.text.clone(),
            rendered.html.clone(),
        ))
        .map_err(|e| format!("message invalide : {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cadence::Template;
    use crate::templates::{sample_context, Templates};
    use cabready_store::Lang;

    #[test]
    fn headers_and_parts() {
        let templates = Templates::load(None).unwrap();
        let mut context = sample_context(Lang::Fr);
        context["dossier"]["legal_name"] = serde_json::json!("Evil\r\nBcc: victim@example.com");
        let rendered = templates
            .render(Template::MandateRequest, Lang::Fr, &context)
            .unwrap();
        let addresses = Addresses {
            from_name: "Cabinet Durand",
            from_address: "relances@cabinet.example",
            reply_to: "relances+0123456789abcdef0123456789ab@cabinet.example",
            to_name: "Jeanne\r\nBcc: x@y.fr",
            to_address: "jeanne@client.example",
        };
        let message = build(
            &addresses,
            &rendered,
            "0123456789abcdef0123456789ab@cabinet.example",
            "0123456789abcdef0123456789ab",
            std::time::SystemTime::UNIX_EPOCH,
        )
        .unwrap();
        let text = String::from_utf8(message.formatted()).unwrap();
        let headers = text.split("\r\n\r\n").next().unwrap();
        assert!(
            headers.contains("Message-ID: <0123456789abcdef0123456789ab@cabinet.example>"),
            "{headers}"
        );
        assert!(headers.contains("Reply-To: \"Cabinet Durand\" <relances+0123456789abcdef0123456789ab@cabinet.example>"), "{headers}");
        assert!(headers.contains("Auto-Submitted: auto-generated"));
        assert!(headers.contains("List-Unsubscribe: <mailto:relances+"));
        assert!(headers.contains("multipart/alternative"));
        // No injected header line anywhere.
        assert!(!headers.lines().any(|l| l.starts_with("Bcc:")));
        assert!(text.contains("Content-Type: text/plain; charset=utf-8"));
        assert!(text.contains("Content-Type: text/html; charset=utf-8"));
    }
}
