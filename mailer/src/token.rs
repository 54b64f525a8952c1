//! Reminder tokens: a random nonce and its HMAC-SHA256 signature, carried
//! in the Message-ID (`<TOKEN@domain>`), in the plus-addressed Reply-To
//! (`relances+TOKEN@domain`) and in `X-CabReady-Token`, so that the replies
//! worker can match any answer and refuse a forged one without a lookup.
//! Lower-case hex only: safe in a local part, a Message-ID and a file name.

use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use sha2::Sha256;

const NONCE_BYTES: usize = 8;
const MAC_BYTES: usize = 6;

/// Issues and checks tokens with the firm's secret key.
#[derive(Clone)]
pub struct Signer {
    key: Vec<u8>,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signer(***)")
    }
}

impl Signer {
    /// `None` when the key is too short to be a secret (under 16 bytes).
    pub fn new(key: &[u8]) -> Option<Signer> {
        (key.len() >= 16).then(|| Signer { key: key.to_vec() })
    }

    fn mac(&self, nonce: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes keys of any length");
        mac.update(b"cabready-reminder:");
        mac.update(nonce);
        mac.finalize().into_bytes()[..MAC_BYTES].to_vec()
    }

    /// A fresh token: 16 hex digits of nonce, then 12 of signature.
    pub fn issue(&self) -> String {
        let mut nonce = [0u8; NONCE_BYTES];
        rand::thread_rng().fill_bytes(&mut nonce);
        format!("{}{}", hex::encode(nonce), hex::encode(self.mac(&nonce)))
    }

    /// Whether a token was issued with this key (constant-time comparison).
    pub fn verify(&self, token: &str) -> bool {
        let token = token.trim().to_ascii_lowercase();
        let Ok(bytes) = hex::decode(&token) else {
            return false;
        };
        if bytes.len() != NONCE_BYTES + MAC_BYTES {
            return false;
        }
        let (nonce, given) = bytes.split_at(NONCE_BYTES);
        let expected = self.mac(nonce);
        expected
            .iter()
            .zip(given)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

/// `<TOKEN@domain>` without the brackets (lettre adds them).
pub fn message_id(token: &str, from_address: &str) -> String {
    format!("{token}@{}", domain_of(from_address))
}

/// `relances+TOKEN@domain` for `relances@domain`.
pub fn reply_to(token: &str, from_address: &str) -> String {
    let (local, domain) = from_address
        .split_once('@')
        .unwrap_or((from_address, "localhost"));
    let local = local.split('+').next().unwrap_or(local);
    format!("{local}+{token}@{domain}")
}

fn domain_of(address: &str) -> &str {
    address
        .rsplit_once('@')
        .map(|(_, d)| d)
        .unwrap_or("localhost")
}

/// Finds a token in a plus-address, a Message-ID or a subject (replies):
/// a run of exactly 28 hex digits.
pub fn find_token(text: &str) -> Option<String> {
    let len = 2 * (NONCE_BYTES + MAC_BYTES);
    let bytes = text.to_ascii_lowercase().into_bytes();
    let mut run_start = None;
    for i in 0..=bytes.len() {
        let hex = i < bytes.len() && bytes[i].is_ascii_hexdigit();
        match (hex, run_start) {
            (true, None) => run_start = Some(i),
            (false, Some(start)) => {
                if i - start == len {
                    return String::from_utf8(bytes[start..i].to_vec()).ok();
                }
                run_start = None;
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_and_forgeries_do_not() {
        let signer = Signer::new(b"0123456789abcdef-secret").unwrap();
        let token = signer.issue();
        assert_eq!(token.len(), 28);
        assert!(signer.verify(&token));
        assert!(signer.verify(&token.to_uppercase()));
        let mut forged = token.clone().into_bytes();
        forged[27] = if forged[27] == b'0' { b'1' } else { b'0' };
        assert!(!signer.verify(std::str::from_utf8(&forged).unwrap()));
        let other = Signer::new(b"another key of 16+ bytes").unwrap();
        assert!(!other.verify(&token));
        assert!(!signer.verify("not a token"));
        assert!(Signer::new(b"short").is_none());
        assert_ne!(signer.issue(), token);
    }

    #[test]
    fn addresses_and_ids() {
        assert_eq!(message_id("abc", "relances@cabinet.fr"), "abc@cabinet.fr");
        assert_eq!(
            reply_to("abc", "relances@cabinet.fr"),
            "relances+abc@cabinet.fr"
        );
        assert_eq!(
            reply_to("abc", "relances+x@cabinet.fr"),
            "relances+abc@cabinet.fr"
        );
        let t = "0123456789abcdef0123456789ab";
        assert_eq!(
            find_token(&format!("relances+{t}@cabinet.fr")).as_deref(),
            Some(t)
        );
        assert_eq!(find_token(&format!("<{t}@cabinet.fr>")).as_deref(), Some(t));
        assert_eq!(find_token("Re: [CabReady D002] bonjour"), None);
    }
}
