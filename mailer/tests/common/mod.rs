//! What the mailer's integration tests share: the test mailer and the
//! small client dossiers they onboard.

use cabready_mailer::config::{CadenceConfig, MailConfig};
use cabready_mailer::templates::Templates;
use cabready_mailer::token::Signer;
use cabready_mailer::transport::Transport;
use cabready_mailer::Mailer;
use cabready_store::domain::Email;
use cabready_store::dossiers::DossierRecord;
use cabready_testkit::clients::small_client;
use std::path::Path;

/// The HMAC key every test mailer signs its tokens with.
pub const KEY: &[u8] = b"a test key of enough bytes";

/// The firm's sending address in the tests.
pub const FROM: &str = "relances@cabinet-durand.fr";

/// A mailer with the default cadence and templates that drops its messages
/// in the `outbox` Maildir.
pub fn maildir_mailer(outbox: &Path) -> Mailer {
    Mailer {
        mail: MailConfig {
            from_address: FROM.into(),
            ..MailConfig::default()
        },
        cadence: CadenceConfig::default(),
        templates: Templates::load(None).unwrap(),
        signer: Signer::new(KEY).unwrap(),
        transport: Transport::maildir(outbox).unwrap(),
        crash_after_send: false,
    }
}

/// A small client (`testkit::clients::small_client`) whose primary contact
/// is Jeanne Martin at `<code>@client.fr`, followed at the firm by `owner`.
pub fn client(code: &str, seed: u32, legal_name: &str, owner: Option<&str>) -> DossierRecord {
    let contact = format!("{}@client.fr", code.to_lowercase());
    DossierRecord {
        owner: owner.map(|o| Email::parse(o).unwrap()),
        ..small_client(code, seed, legal_name, &contact)
    }
}
