//! Raw bytes → the facts the rest of the pipeline reads, through
//! mail-parser (any charset, encoded words, quoted-printable, base64,
//! nested parts). No I/O; never panics on what a client sends: a message
//! that cannot be read at all gives `None`.

use chrono::{DateTime, Utc};
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    pub filename: Option<String>,
    /// `type/subtype`, lower case.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Attachment {
    /// Outlook's TNEF wrapper (`winmail.dat`): recognised, kept as is.
    pub fn is_winmail(&self) -> bool {
        self.content_type == "application/ms-tnef"
            || self
                .filename
                .as_deref()
                .is_some_and(|n| n.eq_ignore_ascii_case("winmail.dat"))
    }

    /// A small inline image (logo in a signature): not a document.
    pub fn is_decoration(&self) -> bool {
        self.content_type.starts_with("image/") && self.bytes.len() < 40_000
    }
}

/// What the pipeline needs from one message.
#[derive(Debug, Clone, Default)]
pub struct ParsedMail {
    /// Without angle brackets.
    pub message_id: Option<String>,
    /// Lower-case address of From.
    pub from: Option<String>,
    pub from_name: Option<String>,
    /// To, Cc, Delivered-To, X-Original-To, Envelope-To (lower case).
    pub recipients: Vec<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    /// Header names (lower case) and their decoded values, in order.
    pub headers: Vec<(String, String)>,
    /// `type/subtype` of the top-level part, and its `report-type`.
    pub content_type: String,
    pub report_type: Option<String>,
    /// The body as text: the text part, else the HTML part without its
    /// quoted block, turned into text.
    pub text: String,
    pub attachments: Vec<Attachment>,
    /// The `message/delivery-status` part of a DSN.
    pub delivery_status: Option<String>,
    /// Headers of the returned message in a bounce (`message/rfc822` or
    /// `text/rfc822-headers`), as text.
    pub returned_headers: Option<String>,
}

impl ParsedMail {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn addresses(address: Option<&Address<'_>>) -> Vec<String> {
    address
        .map(|a| {
            a.iter()
                .filter_map(|addr| addr.address())
                .map(|s| s.trim().to_ascii_lowercase())
                .collect()
        })
        .unwrap_or_default()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![t.to_string()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn header_text(value: &HeaderValue<'_>) -> String {
    match value {
        HeaderValue::Text(t) => t.to_string(),
        HeaderValue::TextList(list) => list.join(", "),
        HeaderValue::Address(a) => addresses(Some(a)).join(", "),
        HeaderValue::DateTime(d) => d.to_rfc3339(),
        HeaderValue::ContentType(c) => match c.subtype() {
            Some(sub) => format!("{}/{}", c.ctype(), sub),
            None => c.ctype().to_string(),
        },
        _ => String::new(),
    }
}

/// Cuts the quoted block out of an HTML body before it becomes text:
/// Gmail's `gmail_quote`, Apple Mail's and Thunderbird's `<blockquote>`,
/// Outlook's `divRplyFwdMsg` / `appendonsend` and its top border.
fn html_without_quote(html: &str) -> &str {
    let lower = html.to_ascii_lowercase();
    let markers = [
        "<div class=\"gmail_quote",
        "<div class=\"gmail_extra",
        "<blockquote",
        "<div id=\"divrplyfwdmsg",
        "<div id=\"appendonsend",
        "<div id=\"mail-editor-reference-message-container",
        "<div class=\"moz-cite-prefix",
        "<hr",
    ];
    let cut = markers.iter().filter_map(|m| lower.find(m)).min();
    match cut {
        Some(at) if html.is_char_boundary(at) => &html[..at],
        _ => html,
    }
}

fn ctype_of(part: &mail_parser::MessagePart<'_>) -> String {
    part.content_type()
        .map(|c| match c.subtype() {
            Some(sub) => format!("{}/{}", c.ctype(), sub),
            None => c.ctype().to_string(),
        })
        .unwrap_or_else(|| "text/plain".into())
        .to_ascii_lowercase()
}

fn raw_part_text(raw: &[u8], part: &mail_parser::MessagePart<'_>) -> String {
    let start = part.offset_body as usize;
    let end = (part.offset_end as usize).min(raw.len());
    if start >= end {
        return String::new();
    }
    String::from_utf8_lossy(&raw[start..end]).into_owned()
}

pub fn parse(raw: &[u8]) -> Option<ParsedMail> {
    let message = MessageParser::default().parse(raw)?;
    let mut parsed = ParsedMail {
        message_id: message
            .message_id()
            .map(|id| id.trim().trim_matches(['<', '>']).to_string())
            .filter(|id| !id.is_empty()),
        from: addresses(message.from()).into_iter().next(),
        from_name: message
            .from()
            .and_then(|a| a.first())
            .and_then(|a| a.name())
            .map(str::to_string),
        in_reply_to: ids(message.in_reply_to()),
        references: ids(message.references()),
        subject: message.subject().unwrap_or_default().trim().to_string(),
        date: message
            .date()
            .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0)),
        ..ParsedMail::default()
    };
    parsed.recipients = addresses(message.to());
    parsed.recipients.extend(addresses(message.cc()));
    for header in message.headers() {
        let name = header.name().to_ascii_lowercase();
        let value = header_text(header.value());
        if matches!(
            name.as_str(),
            "delivered-to" | "x-original-to" | "envelope-to" | "x-envelope-to"
        ) {
            parsed.recipients.push(value.trim().to_ascii_lowercase());
        }
        parsed.headers.push((name, value));
    }
    let root = message.root_part();
    parsed.content_type = ctype_of(root);
    parsed.report_type = root
        .content_type()
        .and_then(|c| c.attribute("report-type"))
        .map(|r| r.to_ascii_lowercase());

    let raw_bytes = message.raw_message();
    for part in &message.parts {
        let ctype = ctype_of(part);
        match ctype.as_str() {
            "message/delivery-status" | "message/global-delivery-status" => {
                let text = match &part.body {
                    PartType::Text(t) => t.to_string(),
                    PartType::Binary(b) | PartType::InlineBinary(b) => {
                        String::from_utf8_lossy(b).into_owned()
                    }
                    _ => raw_part_text(raw_bytes, part),
                };
                parsed.delivery_status = Some(text);
            }
            "text/rfc822-headers" | "message/rfc822-headers" => {
                if let PartType::Text(t) = &part.body {
                    parsed.returned_headers = Some(t.to_string());
                } else {
                    parsed.returned_headers = Some(raw_part_text(raw_bytes, part));
                }
            }
            "message/rfc822" | "message/global" => {
                if let PartType::Message(inner) = &part.body {
                    let mut text = String::new();
                    for (name, value) in inner.headers_raw() {
                        text.push_str(name);
                        text.push(':');
                        text.push_str(value);
                    }
                    parsed.returned_headers = Some(text);
                }
            }
            _ => {}
        }
    }

    // The body: the first text part, else the first HTML part cut at its quote.
    let text_part = message
        .text_body
        .iter()
        .filter_map(|i| message.parts.get(*i as usize))
        .find_map(|p| match &p.body {
            PartType::Text(t) => Some(t.to_string()),
            _ => None,
        });
    parsed.text = match text_part {
        Some(text) => text,
        None => message
            .html_body
            .iter()
            .filter_map(|i| message.parts.get(*i as usize))
            .find_map(|p| match &p.body {
                PartType::Html(h) => Some(mail_parser::decoders::html::html_to_text(
                    html_without_quote(h),
                )),
                PartType::Text(t) => Some(t.to_string()),
                _ => None,
            })
            .unwrap_or_default(),
    };

    for index in &message.attachments {
        let Some(part) = message.parts.get(*index as usize) else {
            continue;
        };
        let ctype = ctype_of(part);
        if ctype.starts_with("message/") || ctype == "text/rfc822-headers" {
            continue;
        }
        // A nameless text part, or a multipart whose boundary could not be
        // read (a header folded without its leading space), is the body
        // when none was found: never a document.
        let nameless_text = part.attachment_name().is_none()
            && (ctype.starts_with("text/") || ctype.starts_with("multipart/"));
        if nameless_text {
            if parsed.text.trim().is_empty() {
                let text = match &part.body {
                    PartType::Text(t) => t.to_string(),
                    PartType::Html(h) => {
                        mail_parser::decoders::html::html_to_text(html_without_quote(h))
                    }
                    PartType::Binary(b) | PartType::InlineBinary(b) => {
                        String::from_utf8_lossy(b).into_owned()
                    }
                    _ => String::new(),
                };
                parsed.text = text;
            }
            continue;
        }
        let bytes = match &part.body {
            PartType::Binary(b) | PartType::InlineBinary(b) => b.to_vec(),
            PartType::Text(t) | PartType::Html(t) => t.as_bytes().to_vec(),
            _ => continue,
        };
        parsed.attachments.push(Attachment {
            filename: part.attachment_name().map(str::to_string),
            content_type: ctype,
            bytes,
        });
    }
    Some(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_never_panics() {
        for raw in [
            &b""[..],
            b"\x00\xff\xfe",
            b"Subject: =?utf-8?B?invalid?=\r\n\r\n",
            b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n",
        ] {
            let _ = parse(raw);
        }
    }

    #[test]
    fn a_broken_multipart_is_the_body_not_a_document() {
        let raw = b"From: post_master@sms.example\r\nSubject: Re: x\r\nContent-Type: multipart/mixed; boundary=\"o\"\r\n\r\n--o\r\nContent-Type: multipart/alternative;\r\nboundary=\"i\"\r\n\r\n--i\r\nContent-Type: text/plain\r\n\r\nError: Invalid user address\r\n--i--\r\n--o--\r\n";
        let mail = parse(raw).unwrap();
        assert!(mail.attachments.is_empty(), "{:?}", mail.attachments);
        assert!(
            mail.text.contains("Invalid user address"),
            "{:?}",
            mail.text
        );
    }

    #[test]
    fn html_quote_is_cut() {
        let html = "<p>Ok pour moi</p><div class=\"gmail_quote\">Le lun. a écrit : <blockquote>relance</blockquote></div>";
        assert_eq!(html_without_quote(html), "<p>Ok pour moi</p>");
    }
}
