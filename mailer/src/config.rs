//! The `[mail]` and `[reminders]` sections of the configuration file.
//! Secrets never live here: the SMTP password comes from
//! `CABREADY_SMTP_PASSWORD`, the HMAC key from `CABREADY_MAIL_HMAC_KEY` or
//! a key file.

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
    /// How often `cabready serve` runs the outbox (recover, plan, send), in
    /// seconds; 0 turns it off (then run `cabready remind` from cron).
    #[serde(default = "default_send_every")]
    pub send_every_seconds: u64,
}

fn default_send_every() -> u64 {
    60
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
