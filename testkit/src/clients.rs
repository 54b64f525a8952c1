//! A firm's small client dossiers, as the mail tests and benchmarks onboard
//! them: one micro-enterprise per dossier with one contact, so that the
//! mailer has a mandate reminder due for each (the default cadence sends
//! the first one three weeks after onboarding), and, once the caller's
//! mailer has sent them, the reminders a reply must answer.
//!
//! Store-level only: the caller plans and sends with its own `Mailer`, so
//! that the store's and the importer's tests, which use this crate too, do
//! not build the mailer.

use cabready_store::domain::*;
use cabready_store::dossiers::{self, ActivityFlags, ContactRecord, DossierRecord};
use cabready_store::journal::Actor;
use cabready_store::{firms, Store};
use chrono::{DateTime, Utc};
use sqlx::Row;

/// The firm every mail test and benchmark works for.
pub const FIRM_NAME: &str = "Cabinet Durand";

/// A micro-enterprise (3 people, 300 k€) whose one contact is Jeanne Martin
/// at `contact`: the smallest dossier the reminders are sent for.
pub fn small_client(code: &str, siren_seed: u32, legal_name: &str, contact: &str) -> DossierRecord {
    let financials = Financials {
        headcount: Some(3.0),
        turnover: Some(30_000_000),
        balance_sheet: None,
    };
    DossierRecord {
        code: code.into(),
        legal_name: legal_name.into(),
        siren: Siren::with_check_digit(siren_seed),
        legal_form: None,
        financials,
        category: SizeCategory::derive(&financials).map(|c| (c, CategorySource::Derived)),
        vat: None,
        flags: ActivityFlags::default(),
        owner: None,
        portfolio: None,
        tags: vec![],
        contact: Some(ContactRecord {
            name: "Jeanne Martin".into(),
            email: Email::parse(contact).unwrap(),
        }),
    }
}

/// [`FIRM_NAME`], onboarded at `onboarded`, with `n` small clients in one
/// transaction: dossier `i` is `D{i:05}`, "Boulangerie Lefèvre n°i", SIREN
/// `40 000 000 + i` (with its check digit), reached at `contact(i)` (the
/// callers differ there: one mailbox per client, or plus-addresses of one
/// mailbox that must receive them all). Returns the firm's id.
pub async fn firm_with_small_clients(
    store: &Store,
    n: usize,
    onboarded: DateTime<Utc>,
    contact: impl Fn(usize) -> String,
) -> i64 {
    let mut tx = store.begin().await.unwrap();
    let (firm, _) = firms::ensure(&mut tx, FIRM_NAME, &[], &Actor::System, onboarded)
        .await
        .unwrap();
    for i in 0..n {
        let record = small_client(
            &format!("D{i:05}"),
            40_000_000 + i as u32,
            &format!("Boulangerie Lefèvre n°{i}"),
            &contact(i),
        );
        dossiers::upsert(&mut tx, firm.id, &record, &Actor::System, onboarded)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    firm.id
}

/// A reminder in the `sent` state, with what a reply to it is made of.
#[derive(Debug, Clone)]
pub struct SentReminder {
    /// The dossier's code (in the reminder's subject).
    pub code: String,
    /// The contact's address (the reply comes from it).
    pub contact: String,
    /// The signed token of the reply address `relances+TOKEN@…`.
    pub token: String,
    /// The reminder's Message-ID, without angle brackets (In-Reply-To).
    pub message_id: String,
}

/// The firm's sent reminders, by dossier code (so reminder `i` is dossier
/// `i` of [`firm_with_small_clients`]).
pub async fn sent_reminders(store: &Store, firm_id: i64) -> Vec<SentReminder> {
    let mut conn = store.pool().acquire().await.unwrap();
    sqlx::query(
        "SELECT d.code, c.email, o.token, o.message_id FROM outbox o
         JOIN dossiers d ON d.firm_id = o.firm_id AND d.id = o.dossier_id
         JOIN contacts c ON c.firm_id = o.firm_id AND c.id = o.contact_id
         WHERE o.firm_id = $1 AND o.state = 'sent' ORDER BY d.code",
    )
    .bind(firm_id)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .iter()
    .map(|r| SentReminder {
        code: r.get(0),
        contact: r.get(1),
        token: r.get(2),
        message_id: r.get(3),
    })
    .collect()
}

/// The one integer `sql` returns for a firm (`$1` is its id): the counts
/// the exactly-once checks compare.
pub async fn firm_scalar(store: &Store, sql: &'static str, firm_id: i64) -> i64 {
    let mut conn = store.pool().acquire().await.unwrap();
    sqlx::query(sql)
        .bind(firm_id)
        .fetch_one(&mut *conn)
        .await
        .unwrap()
        .get(0)
}
