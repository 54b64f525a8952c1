//! The Discord adapter: slash commands, autocomplete, embeds and buttons
//! over the command core. Thin on purpose: [`commands`] turns an
//! interaction's options into the core's text command, [`render`] turns a
//! [`crate::Reply`] into embeds and buttons within Discord's limits, and
//! [`handler`] wires both to serenity's gateway.

pub mod commands;
pub mod handler;
pub mod render;

pub use handler::{run, DiscordSettings};
