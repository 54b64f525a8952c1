//! CabReady's chat-agnostic command core: parse → authorise → run → render.
//!
//! Adapters (the console in `console`, Discord in `discord`) turn what a
//! user typed or clicked into a line of text, identify the caller, and
//! render the structured [`Reply`]. Same commands, same permissions, same
//! texts everywhere.

pub mod auth;
mod commands;
pub mod console;
pub mod discord;
mod error;
pub mod lookup;
pub mod notices;
pub mod parse;
pub mod reply;

pub use auth::Caller;
pub use commands::anomalies::card as anomaly_card;
pub use commands::journal::line_text as journal_line_text;
pub use commands::ready::{dossier_line, dossier_reply};
pub use commands::triage::message_read_as;
pub use error::CommandError;
pub use reply::{Action, Field, Page, Reply, Section, Tone};

use cabready_store::calendar::CalendarRules;
use cabready_store::{firms, users, Clock, Lang, Store};
use parse::{parse, ParseError, Parsed};

/// Everything commands need, shared by all adapters.
#[derive(Clone)]
pub struct Core {
    pub store: Store,
    pub clock: Clock,
    pub rules: CalendarRules,
    pub lang: Lang,
    /// The outbox, for `relancer`; `None` where mail is not set up.
    pub mailer: Option<std::sync::Arc<cabready_mailer::Mailer>>,
}

impl Core {
    /// The caller behind an email, in the named firm (or the only one).
    pub async fn caller_by_email(&self, firm: Option<&str>, email: &str) -> Result<Caller, Reply> {
        let lang = self.lang;
        let result: Result<Option<Caller>, CommandError> = async {
            let mut conn = self.store.pool().acquire().await?;
            let firm = firms::resolve(&mut conn, firm).await?;
            let user = users::find_by_email(&mut conn, firm.id, email).await?;
            Ok(user.map(|user| Caller {
                firm_id: firm.id,
                firm_name: firm.name,
                user,
            }))
        }
        .await;
        match result {
            Ok(Some(caller)) => Ok(caller),
            Ok(None) => Err(unknown_user(lang, email)),
            Err(CommandError::Store(e @ cabready_store::StoreError::UnknownFirm { .. })) => {
                Err(Reply::error(
                    lang.pick("Cabinet introuvable", "Firm not found"),
                    e.user_message(lang),
                ))
            }
            Err(e) => Err(e.into_reply(lang)),
        }
    }

    /// The caller behind a Discord user id in a firm; `None` for a stranger.
    pub async fn caller_by_discord(
        &self,
        firm_id: i64,
        discord_id: &str,
    ) -> Result<Option<Caller>, CommandError> {
        let mut conn = self.store.pool().acquire().await?;
        let firm = firms::list(&mut conn)
            .await?
            .into_iter()
            .find(|f| f.id == firm_id);
        let Some(firm) = firm else { return Ok(None) };
        let user = users::find_by_discord_id(&mut conn, firm_id, discord_id).await?;
        Ok(user.map(|user| Caller {
            firm_id,
            firm_name: firm.name,
            user,
        }))
    }

    /// Runs one line typed by `caller` and answers; never fails: errors are replies.
    pub async fn execute(&self, caller: &Caller, input: &str) -> Reply {
        let lang = self.lang;
        let parsed = match parse(input) {
            Ok(parsed) => parsed,
            Err(ParseError::Empty) => return commands::help::run(self, None),
            Err(ParseError::UnknownCommand { word, suggestion }) => {
                let mut reply = Reply::error(
                    lang.pick("Commande inconnue", "Unknown command"),
                    match (suggestion, lang) {
                        (Some(s), Lang::Fr) => format!(
                            "« {word} » n'est pas une commande. Vouliez-vous dire « {s} » ?"
                        ),
                        (Some(s), Lang::En) => {
                            format!("'{word}' is not a command. Did you mean '{s}'?")
                        }
                        (None, Lang::Fr) => format!(
                            "« {word} » n'est pas une commande. Tapez « aide » pour la liste."
                        ),
                        (None, Lang::En) => {
                            format!("'{word}' is not a command. Type 'help' for the list.")
                        }
                    },
                );
                reply = reply.action(lang.pick("Aide", "Help"), "aide");
                return reply;
            }
            Err(ParseError::Usage { command, fr, en }) => {
                return commands::help::usage_error(self, command, self.lang.pick(&fr, &en));
            }
        };
        self.run_line(caller, parsed, Some(input)).await
    }

    /// Runs a command already parsed, with the same permissions, texts and
    /// journal as typed ones: for adapters that have their own syntax (the
    /// `cabready anomalies` command line).
    pub async fn run(&self, caller: &Caller, parsed: Parsed) -> Reply {
        self.run_line(caller, parsed, None).await
    }

    /// Runs `parsed`; its errors answer the command line `input` when typed.
    async fn run_line(&self, caller: &Caller, parsed: Parsed, input: Option<&str>) -> Reply {
        tracing::info!(user = caller.email(), firm = caller.firm_id, command = ?parsed.command, "chat command");
        match (commands::run(self, caller, parsed).await, input) {
            (Ok(reply), _) => reply,
            (Err(error), Some(line)) => error.into_reply_to(line, self.lang),
            (Err(error), None) => error.into_reply(self.lang),
        }
    }
}

fn unknown_user(lang: Lang, email: &str) -> Reply {
    Reply::new(Tone::Refused, lang.pick("Utilisateur inconnu", "Unknown user")).with_description(match lang {
        Lang::Fr => format!(
            "« {email} » n'est pas un utilisateur de ce cabinet. Demandez à un associé de vous ajouter (cabready onboard --users)."
        ),
        Lang::En => format!("'{email}' is not a user of this firm. Ask a manager to add you (cabready onboard --users)."),
    })
}
