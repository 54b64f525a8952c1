//! Where reminders go: a Maildir of `.eml` files (the embedded default, so
//! a person can open what would have been sent) or an SMTP relay through
//! lettre (implicit TLS, STARTTLS, or plain on the loopback for tests;
//! authentication; a connection pool). Same seam, no mocking.

use crate::config::{Security, SmtpConfig};
use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a message did not go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later (connection refused, 4xx, timeout).
    #[error("temporary failure: {0}")]
    Transient(String),
    /// Refused for good (5xx): retrying would not help.
    #[error("permanent failure: {0}")]
    Permanent(String),
}

pub enum Transport {
    Maildir(PathBuf),
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
}

impl Transport {
    /// A Maildir (its `tmp/`, `new/`, `cur/` folders created if missing).
    pub fn maildir(dir: &Path) -> std::io::Result<Transport> {
        for sub in ["tmp", "new", "cur"] {
            std::fs::create_dir_all(dir.join(sub))?;
        }
        Ok(Transport::Maildir(dir.to_path_buf()))
    }

    /// An SMTP relay; the password comes from `password` (the caller reads
    /// it from the environment, never from the file).
    pub fn smtp(config: &SmtpConfig, password: Option<String>) -> Result<Transport, String> {
        let builder = match config.security {
            Security::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
                .map_err(|e| format!("SMTP {} (TLS): {e}", config.host))?,
            Security::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                    .map_err(|e| format!("SMTP {} (STARTTLS): {e}", config.host))?
            }
        };
        let mut builder = builder
            .port(config.port())
            .timeout(Some(Duration::from_secs(config.timeout_seconds)))
            .pool_config(PoolConfig::new().max_size(config.pool_size.max(1)));
        if let Some(user) = &config.username {
            let password = password.ok_or_else(|| {
                format!("SMTP : identifiant « {user} » configuré mais CABREADY_SMTP_PASSWORD n'est pas défini")
            })?;
            builder = builder.credentials(Credentials::new(user.clone(), password));
        }
        Ok(Transport::Smtp(Box::new(builder.build())))
    }

    pub fn describe(&self) -> String {
        match self {
            Transport::Maildir(dir) => format!("Maildir {}", dir.display()),
            Transport::Smtp(_) => "SMTP".into(),
        }
    }

    /// Hands one formatted message over; the server's answer on success.
    pub async fn send(
        &self,
        envelope: &Envelope,
        formatted: &[u8],
        token: &str,
    ) -> Result<String, SendError> {
        match self {
            Transport::Maildir(dir) => {
                let dir = dir.clone();
                let bytes = formatted.to_vec();
                let token = token.to_string();
                tokio::task::spawn_blocking(move || write_maildir(&dir, &token, &bytes))
                    .await
                    .map_err(|e| SendError::Transient(e.to_string()))?
                    .map_err(|e| SendError::Transient(format!("Maildir: {e}")))
            }
            Transport::Smtp(smtp) => match smtp.send_raw(envelope, formatted).await {
                Ok(response) => Ok(format!(
                    "{} {}",
                    response.code(),
                    response.message().collect::<Vec<_>>().join(" ")
                )),
                Err(error) if error.is_permanent() => Err(SendError::Permanent(error.to_string())),
                Err(error) => Err(SendError::Transient(error.to_string())),
            },
        }
    }

    /// Whether [`Transport::delivered`] can answer after a crash.
    pub fn can_tell_delivery(&self) -> bool {
        matches!(self, Transport::Maildir(_))
    }

    /// After a crash: was the message with this token delivered? `None`
    /// when the transport cannot tell (SMTP: the relay keeps no index).
    pub fn delivered(&self, token: &str) -> Option<bool> {
        match self {
            Transport::Maildir(dir) => {
                let found = ["new", "cur"].iter().any(|sub| {
                    std::fs::read_dir(dir.join(sub)).is_ok_and(|entries| {
                        entries
                            .flatten()
                            .any(|e| e.file_name().to_string_lossy().contains(token))
                    })
                });
                Some(found)
            }
            Transport::Smtp(_) => None,
        }
    }
}

/// Maildir delivery: written in `tmp/`, synced, then renamed into `new/`
/// (atomic: a reader never sees half a message). The name carries the
/// token so that recovery can find it, and ends in `.eml` for people.
fn write_maildir(dir: &Path, token: &str, bytes: &[u8]) -> std::io::Result<String> {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = format!("{seconds}.{token}.cabready.eml");
    let tmp = dir.join("tmp").join(&name);
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&tmp, dir.join("new").join(&name))?;
    Ok(format!("250 stored as new/{name}"))
}
