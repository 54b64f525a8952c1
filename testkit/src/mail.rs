//! The mail servers of `scripts/test-env up` (an SMTP server on loopback
//! that delivers into a private Dovecot), a minimal IMAP reader to look at
//! what arrived, and a TCP gate to take the SMTP server "down" and "up"
//! again without disturbing tests that share it.
//!
//! Missing environment is a failure, never a skip: run the tests through
//! `scripts/test` (or `eval "$(scripts/test-env up)"` first).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

/// Where the test mail servers listen (from `scripts/test-env up`).
#[derive(Debug, Clone)]
pub struct MailServers {
    /// The SMTP server (`host:port`), plain on loopback.
    pub smtp: String,
    /// Dovecot's IMAP listener (`host:port`), plain on loopback.
    pub imap: String,
    /// The password every test mailbox accepts.
    pub password: String,
}

fn required(var: &str) -> String {
    std::env::var(var).ok().filter(|v| !v.is_empty()).unwrap_or_else(|| {
        panic!(
            "{var} is not set: these tests need the SMTP server and Dovecot of `scripts/test-env up`. \
             Run them with `scripts/test`, or `eval \"$(scripts/test-env up)\"` first."
        )
    })
}

impl MailServers {
    /// Reads `CABREADY_TEST_SMTP`, `CABREADY_TEST_IMAP`,
    /// `CABREADY_TEST_MAIL_PASSWORD`; panics (fails the test) when missing.
    pub fn from_env() -> MailServers {
        MailServers {
            smtp: required("CABREADY_TEST_SMTP"),
            imap: required("CABREADY_TEST_IMAP"),
            password: required("CABREADY_TEST_MAIL_PASSWORD"),
        }
    }

    pub fn smtp_host_port(&self) -> (String, u16) {
        split(&self.smtp)
    }

    /// Every message in `user`'s INBOX, raw, in arrival order.
    pub fn inbox(&self, user: &str) -> Vec<String> {
        imap_fetch_all(&self.imap, user, &self.password)
            .unwrap_or_else(|e| panic!("IMAP {} as {user}: {e}", self.imap))
    }
}

fn split(addr: &str) -> (String, u16) {
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    (host.to_string(), port.parse().expect("port"))
}

/// A mailbox address nobody else uses (tests run in parallel and share Dovecot).
pub fn unique_address(local: &str, domain: &str) -> String {
    use rand::Rng;
    format!(
        "{local}-{:012x}@{domain}",
        rand::thread_rng().gen::<u64>() & 0xffff_ffff_ffff
    )
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// LOGIN, SELECT INBOX, FETCH every message's body: just enough IMAP.
pub fn imap_fetch_all(addr: &str, user: &str, password: &str) -> std::io::Result<Vec<String>> {
    let stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(20)))?;
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line)?; // greeting
    let mut run = |tag: &str, command: String| -> std::io::Result<Vec<String>> {
        writer.write_all(format!("{tag} {command}\r\n").as_bytes())?;
        let mut literals = Vec::new();
        loop {
            let mut line = Vec::new();
            if reader.read_until(b'\n', &mut line)? == 0 {
                return Err(std::io::Error::other("IMAP server closed the connection"));
            }
            let text = String::from_utf8_lossy(&line).into_owned();
            let trimmed = text.trim_end();
            if let Some(size) = trimmed
                .strip_suffix('}')
                .and_then(|t| t.rsplit_once('{'))
                .and_then(|(_, n)| n.parse::<usize>().ok())
            {
                let mut body = vec![0; size];
                reader.read_exact(&mut body)?;
                literals.push(String::from_utf8_lossy(&body).into_owned());
                continue;
            }
            if let Some(status) = trimmed.strip_prefix(&format!("{tag} ")) {
                if status.starts_with("OK") {
                    return Ok(literals);
                }
                return Err(std::io::Error::other(format!("{command}: {status}")));
            }
        }
    };
    run("a1", format!("LOGIN {} {}", quote(user), quote(password)))?;
    run("a2", "SELECT INBOX".into())?;
    let messages = run("a3", "FETCH 1:* (BODY.PEEK[])".into()).or_else(|e| {
        // An empty mailbox answers "BAD … invalid messageset" to 1:*.
        if e.to_string().contains("BAD") || e.to_string().contains("NO") {
            Ok(Vec::new())
        } else {
            Err(e)
        }
    })?;
    let _ = run("a4", "LOGOUT".into());
    Ok(messages)
}

/// A header's value (unfolded, RFC 2047 encoded words decoded), first match.
pub fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next().unwrap_or("");
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| decode_words(v.trim()))
    })
}

/// Decodes `=?utf-8?b?…?=` and `=?utf-8?q?…?=` words (what lettre writes).
pub fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    let mut last_was_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(last_was_word && before.trim().is_empty()) {
            out.push_str(before);
        }
        let word = &rest[start + 2..];
        let parts: Vec<&str> = word.splitn(3, '?').collect();
        let Some(end) = parts.get(2).and_then(|p| p.find("?=")) else {
            out.push_str(&rest[start..]);
            return out;
        };
        let (encoding, text) = (parts[1], &parts[2][..end]);
        let bytes = if encoding.eq_ignore_ascii_case("b") {
            base64(text)
        } else {
            quoted_printable(&text.replace('_', " "))
        };
        out.push_str(&String::from_utf8_lossy(&bytes));
        let consumed = 2 + parts[0].len() + 1 + parts[1].len() + 1 + end + 2;
        rest = &rest[start + consumed..];
        last_was_word = true;
    }
    out.push_str(rest);
    out
}

pub fn base64(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

pub fn quoted_printable(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' {
            if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if let Some(hex) = text.get(i + 1..i + 3) {
                if let Ok(b) = u8::from_str_radix(hex, 16) {
                    out.push(b);
                    i += 3;
                    continue;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// A TCP forwarder in front of the shared SMTP server: while closed, its
/// port refuses connections (the relay is "down" for this test only);
/// open again, it forwards to the real server.
pub struct SmtpGate {
    pub port: u16,
    target: String,
    task: Option<tokio::task::JoinHandle<()>>,
    connections: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl SmtpGate {
    /// A gate on a free port, closed.
    pub fn closed(target: &str) -> SmtpGate {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        SmtpGate {
            port,
            target: target.to_string(),
            task: None,
            connections: Default::default(),
        }
    }

    /// Starts forwarding (the port accepts connections again).
    pub async fn open(&mut self) {
        if self.task.is_some() {
            return;
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("rebind the gate's port");
        let target = self.target.clone();
        let connections = self.connections.clone();
        self.task = Some(tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let target = target.clone();
                let handle = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                connections.lock().unwrap().push(handle);
            }
        }));
    }

    /// Stops listening and cuts every forwarded connection.
    pub fn close(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
        for c in self.connections.lock().unwrap().drain(..) {
            c.abort();
        }
    }
}

impl Drop for SmtpGate {
    fn drop(&mut self) {
        self.close();
    }
}
