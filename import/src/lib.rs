//! CSV adapters: what firms export from their accounting software and
//! platforms, turned into the store's typed records.
//!
//! [`table`] reads any delimited text file the way French software writes
//! it (encodings, delimiters, header spellings); [`onboard`] imports a
//! firm's users and client list.

pub mod flux;
pub mod onboard;
pub mod table;
