//! The `[mail]` and `[reminders]` sections of the configuration file.
//! Secrets never live here: the SMTP password comes from
//! `CABREADY_SMTP_PASSWORD`, the IMAP password from an environment
//! variable (`CABREADY_IMAP_PASSWORD` by default) or a file, the HMAC key
//! from `CABREADY_MAIL_HMAC_KEY` or a key file.

use serde::Deserialize;
use std::path::PathBuf;

/// How reminders leave: a Maildir of `.eml` files (embedded default) or SMTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    #[default]
    Maildir,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Implicit TLS (SMTPS, port 465).
    Tls,
    /// STARTTLS (port 587): the default.
    #[default]
    Starttls,
    /// No encryption: only for a relay on the loopback (tests, local MTA).
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
    /// Login; the password comes from CABREADY_SMTP_PASSWORD only.
    #[serde(default)]
    pub username: Option<String>,
    /// Connections kept open to the relay.
    #[serde(default = "default_pool")]
    pub pool_size: u32,
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_pool() -> u32 {
    4
}
fn default_timeout() -> u64 {
    30
}

impl SmtpConfig {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Tls => 465,
            Security::Starttls => 587,
            Security::None => 25,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    #[serde(default)]
    pub transport: TransportKind,
    /// The sender's display name (default: the firm's name).
    #[serde(default)]
    pub from_name: Option<String>,
    /// The sender's address; replies go to its plus-address `local+TOKEN@domain`.
    #[serde(default = "default_from")]
    pub from_address: String,
    /// Signature lines at the end of every reminder (default: the firm's name).
    #[serde(default = "default_signature")]
    pub signature: String,
    /// The firm's logo, shown at the top of the HTML part (https URL), or empty.
    #[serde(default)]
    pub logo_url: String,
    /// A folder whose templates replace the built-in ones, file by file.
    #[serde(default)]
    pub templates_dir: Option<PathBuf>,
    /// The outbox Maildir of the file transport (default: `<data_dir>/outbox`).
    #[serde(default)]
    pub maildir: Option<PathBuf>,
    /// The HMAC key file (default: `<data_dir>/mail-hmac.key`, created if
    /// missing); `CABREADY_MAIL_HMAC_KEY` takes precedence.
    #[serde(default)]
    pub hmac_key_file: Option<PathBuf>,
    #[serde(default)]
    pub smtp: Option<SmtpConfig>,
    /// The mailbox clients' replies are read from (`[mail.imap]`); without
    /// it, the inbox Maildir of the data directory.
    #[serde(default)]
    pub imap: Option<ImapSection>,
    /// How often `cabready serve` reads the inbox Maildir when there is no
    /// `[mail.imap]`, in seconds; 0 turns it off (then run `cabready replies`).
    #[serde(default = "default_replies_every")]
    pub replies_every_seconds: u64,
    /// How often `cabready serve` runs the outbox (recover, plan, send), in
    /// seconds; 0 turns it off (then run `cabready remind` from cron).
    #[serde(default = "default_send_every")]
    pub send_every_seconds: u64,
}

fn default_send_every() -> u64 {
    60
}

fn default_replies_every() -> u64 {
    60
}

/// How the IMAP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImapSecurity {
    /// TLS from the first byte (IMAPS, port 993).
    Tls,
    /// Plain connection upgraded by `STARTTLS` (port 143).
    Starttls,
    /// No encryption: only to a loopback host, unless
    /// `allow_plain_over_network = true`.
    Plain,
}

impl ImapSecurity {
    pub fn default_port(self) -> u16 {
        match self {
            ImapSecurity::Tls => 993,
            ImapSecurity::Starttls | ImapSecurity::Plain => 143,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImapSecurity::Tls => "tls",
            ImapSecurity::Starttls => "starttls",
            ImapSecurity::Plain => "plain",
        }
    }
}

/// A password: never printed (`Debug` shows `***`), only handed to the
/// server by [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

/// `[mail.imap]`: where the reply worker reads clients' answers. The
/// password is never written here: it comes from the environment variable
/// named by `password_env` (default `CABREADY_IMAP_PASSWORD`) or from
/// `password_file`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImapSection {
    pub host: String,
    /// Default: 993 with `tls`, 143 otherwise.
    #[serde(default)]
    pub port: Option<u16>,
    /// `tls` (default), `starttls` or `plain`; default `plain` for a loopback host.
    #[serde(default)]
    pub security: Option<ImapSecurity>,
    /// Plain IMAP to a host that is not 127.0.0.1/localhost (a trusted network only).
    #[serde(default)]
    pub allow_plain_over_network: bool,
    /// A PEM file of the CA that signed the server's certificate (a private
    /// CA), trusted besides the public ones.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    #[serde(default)]
    pub username: Option<String>,
    /// The environment variable holding the password.
    #[serde(default = "default_password_env")]
    pub password_env: String,
    /// A file holding the password (its first line), instead of the variable.
    #[serde(default)]
    pub password_file: Option<PathBuf>,
    /// Present only to refuse it with a clear message.
    #[serde(default, rename = "password", deserialize_with = "present")]
    pub password_written_in_file: bool,
    /// The mailbox replies arrive in.
    #[serde(default = "default_mailbox")]
    pub mailbox: String,
    /// Where processed messages are moved (created if missing).
    #[serde(default = "default_processed_folder")]
    pub processed_folder: String,
    /// Where messages a person must sort are moved (created if missing).
    #[serde(default = "default_triage_folder")]
    pub triage_folder: String,
    /// Seconds between two passes when the server has no IDLE (or `idle = false`).
    #[serde(default = "default_poll")]
    pub poll_seconds: u64,
    /// Wait for new mail with IDLE when the server offers it.
    #[serde(default = "default_true")]
    pub idle: bool,
}

fn present<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    serde::de::IgnoredAny::deserialize(deserializer).map(|_| true)
}

fn default_password_env() -> String {
    "CABREADY_IMAP_PASSWORD".into()
}
fn default_mailbox() -> String {
    "INBOX".into()
}
fn default_processed_folder() -> String {
    "CabReady/Traité".into()
}
fn default_triage_folder() -> String {
    "CabReady/À trier".into()
}
fn default_poll() -> u64 {
    60
}
fn default_true() -> bool {
    true
}

impl ImapSection {
    /// The configured mode, or `tls` (`plain` for a loopback host).
    pub fn security(&self) -> ImapSecurity {
        self.security
            .unwrap_or_else(|| default_security(&self.host))
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.security().default_port())
    }

    /// What is wrong with the section itself (not the environment), in
    /// French, each naming its key.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.host.trim().is_empty() {
            problems.push(
                "mail.imap.host : le nom du serveur IMAP manque (ex. \"imap.cabinet.fr\")".into(),
            );
        }
        if self.username.as_deref().is_none_or(|u| u.trim().is_empty()) {
            problems.push(
                "mail.imap.username : l'identifiant IMAP manque (ex. username = \"relances@cabinet.fr\", ou --imap-user)".into(),
            );
        }
        if self.password_written_in_file {
            problems.push(format!(
                "mail.imap.password : le mot de passe ne s'écrit jamais dans le fichier de configuration ; \
retirez-le et mettez-le dans la variable d'environnement {} (password_env) ou dans un fichier (password_file)",
                self.password_env
            ));
        }
        if self.security() == ImapSecurity::Plain
            && !self.allow_plain_over_network
            && !self.host.trim().is_empty()
            && !crate::inbound::sources::imap::is_loopback(&self.host)
        {
            problems.push(format!(
                "mail.imap.security : {}",
                crate::inbound::sources::imap::plain_refused(&self.host)
            ));
        }
        if self.password_env.trim().is_empty() && self.password_file.is_none() {
            problems.push("mail.imap.password_env : nom de variable vide".into());
        }
        if self.mailbox.trim().is_empty() {
            problems.push("mail.imap.mailbox : nom de boîte vide (ex. \"INBOX\")".into());
        }
        if self.poll_seconds == 0 {
            problems.push("mail.imap.poll_seconds doit être au moins 1".into());
        }
        problems
    }

    /// The password: from `password_file` when set, else from the
    /// `password_env` variable. The error names the key to fix.
    pub fn password(&self) -> anyhow::Result<Secret> {
        use anyhow::Context as _;
        if let Some(file) = &self.password_file {
            let text = std::fs::read_to_string(file).with_context(|| {
                format!(
                    "mail.imap.password_file : impossible de lire {}",
                    file.display()
                )
            })?;
            let password = text.lines().next().unwrap_or_default().to_string();
            if password.is_empty() {
                anyhow::bail!(
                    "mail.imap.password_file : {} est vide (le mot de passe IMAP est attendu sur la première ligne)",
                    file.display()
                );
            }
            return Ok(Secret(password));
        }
        match std::env::var(&self.password_env) {
            Ok(password) if !password.is_empty() => Ok(Secret(password)),
            _ => anyhow::bail!(
                "mail.imap.password_env : la variable d'environnement {} (mot de passe IMAP) n'est pas définie ; \
définissez-la, ou indiquez un fichier avec password_file",
                self.password_env
            ),
        }
    }
}

/// `tls`, except for a loopback host (a local proxy, the tests): `plain`.
pub fn default_security(host: &str) -> ImapSecurity {
    if crate::inbound::sources::imap::is_loopback(host) {
        ImapSecurity::Plain
    } else {
        ImapSecurity::Tls
    }
}

fn default_from() -> String {
    "relances@cabinet.example".into()
}
fn default_signature() -> String {
    String::new()
}

impl Default for MailConfig {
    fn default() -> Self {
        toml::from_str("").expect("empty mail config is valid")
    }
}

/// The cadence of reminders (`[reminders]`). Days are calendar days;
/// sending times are in Europe/Paris.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CadenceConfig {
    /// The first mandate request goes this many days after onboarding.
    #[serde(default = "d2")]
    pub first_request_after_days: i64,
    /// Follow-ups, in days after the first request.
    #[serde(default = "default_follow_ups")]
    pub follow_up_days: Vec<i64>,
    /// Days after the last follow-up before the reminders stop and a person
    /// is asked to call the client ("relance sans réponse").
    #[serde(default = "d7")]
    pub escalate_after_days: i64,
    /// A dossier whose next legal date is this close (or past) is chased tighter…
    #[serde(default = "d60")]
    pub near_deadline_days: i64,
    /// …with at most this many days between two reminders.
    #[serde(default = "d4")]
    pub near_deadline_gap_days: i64,
    /// Once the mandate is signed, remind a client without a platform after this many days.
    #[serde(default = "d14")]
    pub platform_reminder_after_days: i64,
    /// At most one message per contact per this many days, whatever the reason.
    #[serde(default = "d3")]
    pub min_days_between_messages: i64,
    /// Sending hours, Europe/Paris: from `send_from_hour` to `send_until_hour` (exclusive).
    #[serde(default = "h9")]
    pub send_from_hour: u32,
    #[serde(default = "h18")]
    pub send_until_hour: u32,
    /// Adds Good Friday and 26 December (Alsace-Moselle firms).
    #[serde(default)]
    pub alsace_moselle: bool,
    /// Attempts before a failing reminder is abandoned.
    #[serde(default = "attempts")]
    pub max_attempts: i64,
}

fn d2() -> i64 {
    2
}
fn d3() -> i64 {
    3
}
fn d4() -> i64 {
    4
}
fn d7() -> i64 {
    7
}
fn d14() -> i64 {
    14
}
fn d60() -> i64 {
    60
}
fn h9() -> u32 {
    9
}
fn h18() -> u32 {
    18
}
fn attempts() -> i64 {
    8
}
fn default_follow_ups() -> Vec<i64> {
    vec![7, 14]
}

impl Default for CadenceConfig {
    fn default() -> Self {
        toml::from_str("").expect("empty cadence config is valid")
    }
}

impl CadenceConfig {
    /// What is wrong with the values, in French, if anything.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if !(self.send_from_hour < self.send_until_hour && self.send_until_hour <= 24) {
            problems.push(format!(
                "reminders : send_from_hour ({}) doit précéder send_until_hour ({}), entre 0 et 24",
                self.send_from_hour, self.send_until_hour
            ));
        }
        if self.follow_up_days.windows(2).any(|w| w[0] >= w[1])
            || self.follow_up_days.iter().any(|d| *d <= 0)
        {
            problems.push(
                "reminders : follow_up_days doit être croissant et positif (ex. [7, 14])".into(),
            );
        }
        for (name, value) in [
            ("first_request_after_days", self.first_request_after_days),
            ("escalate_after_days", self.escalate_after_days),
            ("near_deadline_days", self.near_deadline_days),
            ("near_deadline_gap_days", self.near_deadline_gap_days),
            (
                "platform_reminder_after_days",
                self.platform_reminder_after_days,
            ),
            ("min_days_between_messages", self.min_days_between_messages),
        ] {
            if !(0..=3650).contains(&value) {
                problems.push(format!(
                    "reminders : {name} doit être entre 0 et 3650 (lu : {value})"
                ));
            }
        }
        if !(1..=100).contains(&self.max_attempts) {
            problems.push("reminders : max_attempts doit être entre 1 et 100".into());
        }
        problems
    }
}

#[cfg(test)]
mod imap_tests {
    use super::*;

    fn section(toml_text: &str) -> ImapSection {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn defaults_follow_the_host() {
        let remote = section("host = \"imap.cabinet.fr\"\nusername = \"relances@cabinet.fr\"");
        assert_eq!((remote.security(), remote.port()), (ImapSecurity::Tls, 993));
        assert_eq!(remote.mailbox, "INBOX");
        assert_eq!(remote.processed_folder, "CabReady/Traité");
        assert_eq!(remote.triage_folder, "CabReady/À trier");
        assert_eq!(remote.password_env, "CABREADY_IMAP_PASSWORD");
        assert!(remote.idle);
        assert_eq!(remote.poll_seconds, 60);
        assert!(remote.problems().is_empty(), "{:?}", remote.problems());
        let local = section("host = \"127.0.0.1\"\nusername = \"u\"");
        assert_eq!((local.security(), local.port()), (ImapSecurity::Plain, 143));
        let starttls =
            section("host = \"imap.cabinet.fr\"\nsecurity = \"starttls\"\nusername = \"u\"");
        assert_eq!(starttls.port(), 143);
    }

    #[test]
    fn problems_name_their_key() {
        let missing_user = section("host = \"imap.cabinet.fr\"");
        assert!(missing_user.problems()[0].starts_with("mail.imap.username"));
        let plain = section("host = \"imap.cabinet.fr\"\nsecurity = \"plain\"\nusername = \"u\"");
        let problem = &plain.problems()[0];
        assert!(problem.starts_with("mail.imap.security"), "{problem}");
        assert!(problem.contains("allow_plain_over_network"), "{problem}");
        let allowed = section(
            "host = \"imap.cabinet.fr\"\nsecurity = \"plain\"\nallow_plain_over_network = true\nusername = \"u\"",
        );
        assert!(allowed.problems().is_empty());
        let written =
            section("host = \"imap.cabinet.fr\"\nusername = \"u\"\npassword = \"hunter2\"");
        let problem = &written.problems()[0];
        assert!(problem.starts_with("mail.imap.password :"), "{problem}");
        assert!(!format!("{written:?}").contains("hunter2"));
        assert!(toml::from_str::<ImapSection>("host = \"h\"\nsecurity = \"ssl\"").is_err());
        assert!(toml::from_str::<ImapSection>("host = \"h\"\npasword_env = \"X\"").is_err());
    }

    #[test]
    fn the_password_comes_from_its_variable_or_its_file() {
        let var = format!("CABREADY_TEST_IMAP_PW_{}", std::process::id());
        let from_env = section(&format!(
            "host = \"imap.cabinet.fr\"\nusername = \"u\"\npassword_env = \"{var}\""
        ));
        let error = from_env.password().unwrap_err().to_string();
        assert!(
            error.starts_with("mail.imap.password_env") && error.contains(&var),
            "{error}"
        );
        std::env::set_var(&var, "s3cret");
        assert_eq!(from_env.password().unwrap().expose(), "s3cret");
        assert_eq!(format!("{:?}", from_env.password().unwrap()), "***");
        std::env::remove_var(&var);

        let dir = std::env::temp_dir().join(format!("cabready-pw-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("imap-password");
        std::fs::write(&file, "from-file\n").unwrap();
        let from_file = section(&format!(
            "host = \"imap.cabinet.fr\"\nusername = \"u\"\npassword_file = \"{}\"",
            file.display()
        ));
        assert_eq!(from_file.password().unwrap().expose(), "from-file");
        std::fs::remove_file(&file).unwrap();
        let error = from_file.password().unwrap_err().to_string();
        assert!(error.starts_with("mail.imap.password_file"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
