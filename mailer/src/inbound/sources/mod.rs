//! Where replies come from. Every source hands raw messages to the same
//! [`super::Inbox::process`] and files them away afterwards, never deleting
//! them: the embedded default reads a local Maildir ([`maildir`]).

pub mod imap;
pub mod maildir;
