//! What the mailer's integration tests share: the test mailer and the
//! small client dossiers they onboard.

use cabready_mailer::config::{CadenceConfig, MailConfig};
use cabready_mailer::templates::Templates;
use cabready_mailer::token::Signer;
use cabready_mailer::transport::Transport;
use cabready_mailer::Mailer;
use cabready_store::domain::*;
use cabready_store::dossiers::{ActivityFlags, ContactRecord, DossierRecord};
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

/// A micro-enterprise (3 people, 300 k€) whose primary contact is Jeanne
/// Martin at `<code>@client.fr`.
pub fn client(code: &str, seed: u32, legal_name: &str, owner: Option<&str>) -> DossierRecord {
    let financials = Financials {
        headcount: Some(3.0),
        turnover: Some(30_000_000),
        balance_sheet: None,
    };
    DossierRecord {
        code: code.into(),
        legal_name: legal_name.into(),
        siren: Siren::with_check_digit(seed),
        legal_form: None,
        financials,
        category: SizeCategory::derive(&financials).map(|c| (c, CategorySource::Derived)),
        vat: None,
        flags: ActivityFlags::default(),
        owner: owner.map(|o| Email::parse(o).unwrap()),
        portfolio: None,
        tags: vec![],
        contact: Some(ContactRecord {
            name: "Jeanne Martin".into(),
            email: Email::parse(&format!("{}@client.fr", code.to_lowercase())).unwrap(),
        }),
    }
}
