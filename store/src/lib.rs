//! CabReady's domain and shared database.
//!
//! Everything that must agree between chat, mail and import lives here:
//! domain values ([`domain`]), the schema and queries for SQLite and
//! PostgreSQL ([`db`]), the journal, and the obligations calendar. No
//! network code, no chat or mail code.

pub mod anomalies;
pub mod calendar;
pub mod clock;
pub mod contacts;
pub mod db;
pub mod digest;
pub mod domain;
pub mod dossiers;
pub mod error;
pub mod firms;
pub mod inbound;
pub mod invoices;
pub mod journal;
pub mod lang;
pub mod mandates;
pub mod outbox;
pub mod platforms;
pub mod readiness;
mod staging;
pub mod users;

pub use clock::Clock;
pub use db::{Backend, Store};
pub use error::{StoreError, StoreResult};
pub use lang::{io_problem, Lang, Said};
