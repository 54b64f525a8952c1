//! serenity's gateway wiring: registers the slash commands on the firm's
//! server, answers commands, autocomplete and button clicks.

use super::commands::{definitions, to_line};
use super::render::{command_of_button, render, Rendered};
use crate::notices;
use crate::reply::Reply;
use crate::{Caller, Core};
use cabready_store::domain::fold;
use cabready_store::{dossiers, platforms, users};
use serenity::all::{
    ChannelId, CommandInteraction, ComponentInteraction, Context, EventHandler, GatewayIntents,
    GuildId, Interaction, Ready,
};
use serenity::builder::{
    CreateAutocompleteResponse, CreateInteractionResponse, CreateInteractionResponseMessage,
    CreateMessage, EditInteractionResponse,
};
use serenity::Client;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// What binds a Discord server to a firm (config `[discord]`; the token comes
/// from the environment only).
#[derive(Debug, Clone)]
pub struct DiscordSettings {
    pub token: String,
    pub guild_id: u64,
    pub firm_id: i64,
    /// Where notices go (new critical anomalies, mandates updated by email).
    pub notices_channel_id: Option<u64>,
}

/// Discord wants an answer within 3 seconds: past this, defer, then edit.
const ANSWER_DIRECTLY_WITHIN: Duration = Duration::from_millis(2000);

struct Handler {
    core: Core,
    guild_id: GuildId,
    firm_id: i64,
    notices_channel: Option<ChannelId>,
    notices_started: AtomicBool,
}

fn message(rendered: Rendered) -> CreateInteractionResponseMessage {
    CreateInteractionResponseMessage::new()
        .embed(rendered.embed)
        .components(rendered.components)
        .ephemeral(rendered.ephemeral)
}

fn refusal(title: &str, description: String) -> Reply {
    Reply::new(crate::Tone::Refused, title).with_description(description)
}

impl Handler {
    /// The CabReady user behind a Discord user, or the reply that explains why not.
    async fn caller(&self, guild: Option<GuildId>, user_id: u64) -> Result<Caller, Reply> {
        let lang = self.core.lang;
        if guild != Some(self.guild_id) {
            return Err(refusal(
                lang.pick("Serveur non relié", "Server not bound"),
                lang.pick(
                    "CabReady ne répond que sur le serveur Discord de votre cabinet.",
                    "CabReady only answers on your firm's Discord server.",
                )
                .into(),
            ));
        }
        match self.core.caller_by_discord(self.firm_id, &user_id.to_string()).await {
            Ok(Some(caller)) => Ok(caller),
            Ok(None) => Err(refusal(
                lang.pick("Compte Discord non relié", "Discord account not linked"),
                match lang {
                    cabready_store::Lang::Fr => format!("Votre compte Discord ({user_id}) n'est relié à aucun utilisateur du cabinet. Demandez à un associé d'ajouter votre identifiant dans la colonne discord_id de users.csv puis de relancer l'import."),
                    cabready_store::Lang::En => format!("Your Discord account ({user_id}) is not linked to any user of the firm. Ask a manager to add your id in the discord_id column of users.csv and import it again."),
                },
            )),
            Err(e) => Err(e.into_reply(lang)),
        }
    }

    async fn on_command(
        &self,
        ctx: &Context,
        interaction: &CommandInteraction,
    ) -> serenity::Result<()> {
        let caller = match self
            .caller(interaction.guild_id, interaction.user.id.get())
            .await
        {
            Ok(c) => c,
            Err(reply) => {
                let response = CreateInteractionResponse::Message(message(render(&reply)));
                return interaction.create_response(&ctx.http, response).await;
            }
        };
        let line = match to_line(&interaction.data) {
            Ok(line) => line,
            Err(problem) => {
                let reply = Reply::error(
                    self.core
                        .lang
                        .pick("Commande incomplète", "Incomplete command"),
                    problem,
                );
                let response = CreateInteractionResponse::Message(message(render(&reply)));
                return interaction.create_response(&ctx.http, response).await;
            }
        };
        let run = self.core.execute(&caller, &line);
        tokio::pin!(run);
        match tokio::time::timeout(ANSWER_DIRECTLY_WITHIN, &mut run).await {
            Ok(reply) => {
                let response = CreateInteractionResponse::Message(message(render(&reply)));
                interaction.create_response(&ctx.http, response).await
            }
            Err(_) => {
                interaction.defer(&ctx.http).await?;
                let rendered = render(&run.await);
                let edit = EditInteractionResponse::new()
                    .embed(rendered.embed)
                    .components(rendered.components);
                interaction.edit_response(&ctx.http, edit).await.map(|_| ())
            }
        }
    }

    async fn on_autocomplete(
        &self,
        ctx: &Context,
        interaction: &CommandInteraction,
    ) -> serenity::Result<()> {
        let Some(focused) = interaction.data.autocomplete() else {
            return Ok(());
        };
        // Strangers get no suggestions: never data to an unknown user.
        if self
            .caller(interaction.guild_id, interaction.user.id.get())
            .await
            .is_err()
        {
            return interaction
                .create_response(
                    &ctx.http,
                    CreateInteractionResponse::Autocomplete(CreateAutocompleteResponse::new()),
                )
                .await;
        }
        let choices = match focused.name {
            "portefeuille" => self.portfolio_choices(focused.value).await,
            "nom" => self.platform_choices(focused.value).await,
            _ => self.dossier_choices(focused.value).await,
        };
        let mut response = CreateAutocompleteResponse::new();
        for (label, value) in choices {
            response = response.add_string_choice(super::render::truncate(&label, 100), value);
        }
        interaction
            .create_response(&ctx.http, CreateInteractionResponse::Autocomplete(response))
            .await
    }

    async fn dossier_choices(&self, typed: &str) -> Vec<(String, String)> {
        let Ok(mut conn) = self.core.store.pool().acquire().await else {
            return Vec::new();
        };
        let all = dossiers::codes_and_names(&mut conn, self.firm_id)
            .await
            .unwrap_or_default();
        autocomplete_dossiers(&all, typed)
    }

    async fn portfolio_choices(&self, typed: &str) -> Vec<(String, String)> {
        let Ok(mut conn) = self.core.store.pool().acquire().await else {
            return Vec::new();
        };
        let names = users::portfolio_names(&mut conn, self.firm_id).await;
        names_matching(names.unwrap_or_default(), typed)
    }

    async fn platform_choices(&self, typed: &str) -> Vec<(String, String)> {
        let Ok(mut conn) = self.core.store.pool().acquire().await else {
            return Vec::new();
        };
        let names = platforms::names(&mut conn, self.firm_id).await;
        let mut choices = names_matching(names.unwrap_or_default(), typed);
        // "aucune" removes the dossier's platform (`plateforme D aucune`).
        if choices.len() < 25 && fold("aucune retirer").contains(&fold(typed)) {
            choices.push((
                "aucune (retirer la plateforme du dossier)".into(),
                "aucune".into(),
            ));
        }
        choices
    }

    async fn on_button(
        &self,
        ctx: &Context,
        interaction: &ComponentInteraction,
    ) -> serenity::Result<()> {
        let reply = match (
            self.caller(interaction.guild_id, interaction.user.id.get())
                .await,
            command_of_button(&interaction.data.custom_id),
        ) {
            (Err(reply), _) => reply,
            (Ok(caller), Some(command)) => self.core.execute(&caller, command).await,
            (Ok(_), None) => return Ok(()),
        };
        // The clicker gets the answer for themselves; the original message stays.
        let mut rendered = render(&reply);
        rendered.ephemeral = true;
        interaction
            .create_response(
                &ctx.http,
                CreateInteractionResponse::Message(message(rendered)),
            )
            .await
    }
}

/// Up to 25 dossiers whose code or name contains what was typed, as (label, code).
pub fn autocomplete_dossiers(all: &[(String, String)], typed: &str) -> Vec<(String, String)> {
    let wanted = fold(typed);
    all.iter()
        .filter(|(code, name)| {
            wanted.is_empty() || fold(code).contains(&wanted) || fold(name).contains(&wanted)
        })
        .take(25)
        .map(|(code, name)| (format!("{code} — {name}"), code.clone()))
        .collect()
}

#[serenity::async_trait]
impl EventHandler for Handler {
    async fn ready(&self, ctx: Context, ready: Ready) {
        match self.guild_id.set_commands(&ctx.http, definitions()).await {
            Ok(commands) => {
                tracing::info!(bot = %ready.user.name, count = commands.len(), "slash commands registered")
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot register the slash commands on the firm's server")
            }
        }
        // `ready` comes again after a reconnection: start the notices loop once.
        if let (Some(channel), false) = (
            self.notices_channel,
            self.notices_started.swap(true, Ordering::SeqCst),
        ) {
            tokio::spawn(post_notices(
                self.core.clone(),
                self.firm_id,
                channel,
                ctx.http.clone(),
            ));
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let result = match &interaction {
            Interaction::Command(c) => self.on_command(&ctx, c).await,
            Interaction::Autocomplete(c) => self.on_autocomplete(&ctx, c).await,
            Interaction::Component(c) => self.on_button(&ctx, c).await,
            _ => Ok(()),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "Discord interaction not answered");
        }
    }
}

/// Posts the journal's notices to the channel, from the journal's end at start.
async fn post_notices(
    core: Core,
    firm_id: i64,
    channel: ChannelId,
    http: std::sync::Arc<serenity::http::Http>,
) {
    let mut follower = loop {
        match notices::Follower::start(&core, firm_id).await {
            Ok(follower) => break follower,
            Err(e) => tracing::warn!(error = ?e, "cannot read notices"),
        }
        tokio::time::sleep(notices::EVERY).await;
    };
    loop {
        tokio::time::sleep(notices::EVERY).await;
        match follower.poll(&core).await {
            Ok(replies) => {
                for reply in &replies {
                    let rendered = render(reply);
                    let message = CreateMessage::new()
                        .embed(rendered.embed)
                        .components(rendered.components);
                    if let Err(e) = channel.send_message(&http, message).await {
                        tracing::warn!(error = %e, "notice not posted");
                    }
                }
            }
            Err(e) => tracing::warn!(error = ?e, "cannot read notices"),
        }
    }
}

/// Connects to Discord and serves until the connection ends.
pub async fn run(core: Core, settings: DiscordSettings) -> anyhow::Result<()> {
    // Slash commands need no privileged intent.
    let handler = Handler {
        core,
        guild_id: GuildId::new(settings.guild_id),
        firm_id: settings.firm_id,
        notices_channel: settings.notices_channel_id.map(ChannelId::new),
        notices_started: AtomicBool::new(false),
    };
    let mut client = Client::builder(&settings.token, GatewayIntents::GUILDS)
        .event_handler(handler)
        .await?;
    client.start().await?;
    Ok(())
}

/// The names that contain what was typed (accents and case aside), as
/// Discord's autocomplete takes them: at most 25 (label, value) pairs.
fn names_matching(names: Vec<String>, typed: &str) -> Vec<(String, String)> {
    let wanted = fold(typed);
    names
        .into_iter()
        .filter(|n| fold(n).contains(&wanted))
        .take(25)
        .map(|n| (n.clone(), n))
        .collect()
}
