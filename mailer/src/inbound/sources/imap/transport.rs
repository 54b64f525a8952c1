//! The IMAP connection: a TCP stream, encrypted from the first byte (`tls`,
//! port 993), after `STARTTLS` (`starttls`, port 143), or not at all
//! (`plain`: only to a loopback host, unless the configuration explicitly
//! allows it). One stream type ([`ImapStream`]) serves the three modes so
//! that the rest of the worker has one `Session` type. Certificates are
//! checked with rustls (ring) against the public CAs of webpki-roots plus,
//! when set, the firm's own CA file (PEM). Every step up to the login has a
//! time limit: a server that does not answer is an error, never a hang.

use super::ImapConfig;
use crate::config::ImapSecurity;
use anyhow::{anyhow, bail, Context, Result};
use std::io;
use std::net::IpAddr;
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls::{self, pki_types};
use tokio_rustls::TlsConnector;

/// How long connecting, the TLS handshake, the greeting and the login may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The byte stream under an IMAP session, encrypted or not.
#[derive(Debug)]
pub enum ImapStream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for ImapStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_flush(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// A logged-in IMAP session, whatever the security mode.
pub type ImapSession = async_imap::Session<ImapStream>;

/// True for `localhost` and loopback addresses (no DNS lookup: a name that
/// merely resolves to 127.0.0.1 does not count).
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// The refusal of plain IMAP to a host on the network, in French and English.
pub fn plain_refused(host: &str) -> String {
    format!(
        "IMAP en clair (security = \"plain\") refusé vers {host} : le mot de passe et les e-mails des clients passeraient sans chiffrement. \
Utilisez security = \"tls\" (port 993) ou \"starttls\" (port 143) ; le clair n'est accepté que vers 127.0.0.1/localhost, \
ou avec allow_plain_over_network = true si le réseau est sûr. \
/ Plain IMAP refused to {host}: use security = \"tls\" or \"starttls\" (plain is only for loopback, or set allow_plain_over_network = true)"
    )
}

/// The certificates of a PEM file (the firm's private CA).
pub fn read_ca_file(path: &Path) -> Result<Vec<pki_types::CertificateDer<'static>>> {
    use pki_types::pem::PemObject;
    let pem = std::fs::read(path).with_context(|| {
        format!(
            "mail.imap.ca_file : impossible de lire {} (fichier PEM de l'autorité de certification)",
            path.display()
        )
    })?;
    let certificates = pki_types::CertificateDer::pem_slice_iter(&pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            anyhow!(
                "mail.imap.ca_file : {} n'est pas un fichier PEM de certificats lisible ({e})",
                path.display()
            )
        })?;
    if certificates.is_empty() {
        bail!(
            "mail.imap.ca_file : {} ne contient aucun certificat (« -----BEGIN CERTIFICATE----- » attendu)",
            path.display()
        );
    }
    Ok(certificates)
}

/// The TLS client settings: public CAs, plus the configured CA file.
pub fn tls_connector(ca_file: Option<&Path>) -> Result<TlsConnector> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = ca_file {
        for certificate in read_ca_file(path)? {
            roots.add(certificate).map_err(|e| {
                anyhow!(
                    "mail.imap.ca_file : un certificat de {} est refusé ({e})",
                    path.display()
                )
            })?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS : versions du protocole indisponibles")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// What went wrong in a TLS handshake, said so that someone can act on it.
fn explain_tls(error: io::Error, config: &ImapConfig) -> anyhow::Error {
    let endpoint = format!("{}:{}", config.host, config.port);
    let rustls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    let hint = match rustls_error {
        Some(rustls::Error::InvalidCertificate(cause)) => {
            use rustls::CertificateError as C;
            match cause {
                C::UnknownIssuer => format!(
                    "certificat du serveur IMAP non reconnu (autorité de certification inconnue) : \
si le serveur utilise une autorité privée, indiquez son certificat dans mail.imap.ca_file \
/ certificate not trusted (unknown issuer){}",
                    config
                        .ca_file
                        .as_ref()
                        .map(|p| format!(", ca_file = {}", p.display()))
                        .unwrap_or_default()
                ),
                C::NotValidForName | C::NotValidForNameContext { .. } => format!(
                    "le certificat du serveur IMAP n'est pas valable pour « {} » : utilisez le nom exact du serveur dans mail.imap.host \
/ certificate not valid for this host name",
                    config.host
                ),
                C::Expired | C::ExpiredContext { .. } => {
                    "le certificat du serveur IMAP a expiré / the server's certificate has expired"
                        .to_string()
                }
                other => format!(
                    "certificat du serveur IMAP refusé / certificate refused: {other:?}"
                ),
            }
        }
        Some(other) => format!("échec de la négociation TLS / TLS handshake failed: {other}"),
        None => format!("échec de la négociation TLS / TLS handshake failed: {error}"),
    };
    anyhow!("{hint} ({endpoint})")
}

async fn handshake(
    tcp: TcpStream,
    connector: &TlsConnector,
    config: &ImapConfig,
) -> Result<ImapStream> {
    let name = pki_types::ServerName::try_from(
        config
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    )
    .map_err(|_| {
        anyhow!(
            "mail.imap.host : « {} » n'est pas un nom de serveur valable pour TLS",
            config.host
        )
    })?;
    let tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| explain_tls(e, config))?;
    Ok(ImapStream::Tls(Box::new(tls)))
}

/// Connects, negotiates the security mode, reads the greeting and logs in.
pub async fn connect(config: &ImapConfig, connector: Option<&TlsConnector>) -> Result<ImapSession> {
    let mode = match config.security {
        ImapSecurity::Tls => "TLS",
        ImapSecurity::Starttls => "STARTTLS",
        ImapSecurity::Plain => "en clair",
    };
    tokio::time::timeout(CONNECT_TIMEOUT, connect_inner(config, connector))
        .await
        .map_err(|_| {
            let hint = match config.security {
                ImapSecurity::Tls => "",
                _ => " ; si ce port attend TLS dès la connexion (souvent 993), mettez security = \"tls\"",
            };
            anyhow!(
                "le serveur IMAP {}:{} ({mode}) ne répond pas après {} s{hint} / no answer",
                config.host,
                config.port,
                CONNECT_TIMEOUT.as_secs()
            )
        })?
        .with_context(|| {
            format!(
                "connexion IMAP impossible à {}:{} ({mode})",
                config.host, config.port
            )
        })
}

async fn connect_inner(
    config: &ImapConfig,
    connector: Option<&TlsConnector>,
) -> Result<ImapSession> {
    if config.security == ImapSecurity::Plain
        && !config.allow_plain_over_network
        && !is_loopback(&config.host)
    {
        bail!(plain_refused(&config.host));
    }
    let built;
    let connector = match (config.security, connector) {
        (ImapSecurity::Plain, _) => None,
        (_, Some(connector)) => Some(connector),
        (_, None) => {
            built = tls_connector(config.ca_file.as_deref())?;
            Some(&built)
        }
    };
    let tcp = TcpStream::connect((config.host.as_str(), config.port)).await?;
    let _ = tcp.set_nodelay(true);
    let stream = match (config.security, connector) {
        (ImapSecurity::Tls, Some(connector)) => handshake(tcp, connector, config).await?,
        _ => ImapStream::Plain(tcp),
    };
    let mut client = async_imap::Client::new(stream);
    client
        .read_response()
        .await
        .context("le serveur IMAP n'a pas salué")?
        .ok_or_else(|| anyhow!("le serveur IMAP a fermé la connexion"))?;
    if let (ImapSecurity::Starttls, Some(connector)) = (config.security, connector) {
        client
            .run_command_and_check_ok("STARTTLS", None)
            .await
            .context("le serveur IMAP refuse STARTTLS : essayez security = \"tls\" (port 993)")?;
        let ImapStream::Plain(tcp) = client.into_inner() else {
            bail!("STARTTLS sur une connexion déjà chiffrée");
        };
        client = async_imap::Client::new(handshake(tcp, connector, config).await?);
    }
    client
        .login(&config.username, config.password.expose())
        .await
        .map_err(|(e, _)| anyhow!("connexion IMAP refusée pour {} : {e}", config.username))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "127.0.0.1",
            "localhost",
            "LOCALHOST",
            "::1",
            "[::1]",
            "127.1.2.3",
        ] {
            assert!(is_loopback(host), "{host}");
        }
        for host in [
            "imap.example.fr",
            "10.0.0.1",
            "192.168.1.2",
            "localhost.example.fr",
        ] {
            assert!(!is_loopback(host), "{host}");
        }
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("cabready-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("ca.pem");
        std::fs::write(&file, "not a certificate\n").unwrap();
        let error = read_ca_file(&file).unwrap_err().to_string();
        assert!(error.contains("aucun certificat"), "{error}");
        let missing = read_ca_file(&dir.join("missing.pem"))
            .unwrap_err()
            .to_string();
        assert!(missing.contains("impossible de lire"), "{missing}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
