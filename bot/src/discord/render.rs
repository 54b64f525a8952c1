//! A [`Reply`] as Discord embeds and buttons, within Discord's limits
//! (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).

use crate::reply::{Reply, Tone};
use serenity::all::{ButtonStyle, Colour};
use serenity::builder::{CreateActionRow, CreateButton, CreateEmbed, CreateEmbedFooter};

pub const TITLE_MAX: usize = 256;
pub const DESCRIPTION_MAX: usize = 4096;
pub const FIELDS_MAX: usize = 25;
pub const FIELD_NAME_MAX: usize = 256;
pub const FIELD_VALUE_MAX: usize = 1024;
pub const FOOTER_MAX: usize = 2048;
/// All embeds of one message together.
pub const EMBED_TOTAL_MAX: usize = 6000;
pub const BUTTONS_PER_ROW: usize = 5;
pub const ROWS_MAX: usize = 5;
pub const CUSTOM_ID_MAX: usize = 100;
pub const BUTTON_LABEL_MAX: usize = 80;

/// The prefix of our buttons' custom ids: `cr|<core command>`.
pub const BUTTON_PREFIX: &str = "cr|";

/// Cuts `text` to `max` characters, marking the cut with `…`.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// What to send: one embed, its buttons, and whether only the caller sees it.
pub struct Rendered {
    pub embed: CreateEmbed,
    pub components: Vec<CreateActionRow>,
    pub ephemeral: bool,
    /// Characters counted against the 6,000 total (title, description, fields, footer).
    pub embed_chars: usize,
}

/// The characters left for one message's embeds, and those used.
struct Budget {
    left: usize,
    used: usize,
}

impl Budget {
    fn take(&mut self, text: &str, max: usize) -> String {
        let cut = truncate(text, max.min(self.left));
        let n = cut.chars().count();
        self.left -= n;
        self.used += n;
        cut
    }
}

/// Renders a reply; errors and refusals are ephemeral (only the caller sees them).
pub fn render(reply: &Reply) -> Rendered {
    let colour = match reply.tone {
        Tone::Info => Colour::from_rgb(0x2b, 0x6c, 0xb0),
        Tone::Success => Colour::from_rgb(0x2f, 0x9e, 0x44),
        Tone::Error => Colour::from_rgb(0xe0, 0x8e, 0x0b),
        Tone::Refused => Colour::from_rgb(0xc9, 0x2a, 0x2a),
    };
    // Keep room for the footer (page line) under the 6,000 total.
    let footer_reserve = 200;
    let mut budget = Budget {
        left: EMBED_TOTAL_MAX - footer_reserve,
        used: 0,
    };
    let mut embed = CreateEmbed::new()
        .title(budget.take(&reply.title, TITLE_MAX))
        .colour(colour);
    if let Some(description) = &reply.description {
        embed = embed.description(budget.take(description, DESCRIPTION_MAX));
    }
    let sections = reply.sections.iter().map(|section| {
        let value = if section.items.is_empty() {
            "(rien)".to_string()
        } else {
            section
                .items
                .iter()
                .map(|i| format!("• {i}"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        (section.title.as_str(), value, false)
    });
    let fields = reply.fields.iter().map(|f| {
        (
            f.name.as_str(),
            f.value.clone(),
            f.value.chars().count() <= 40,
        )
    });
    for (name, value, inline) in fields.chain(sections).take(FIELDS_MAX) {
        // A field needs at least a few characters of name and value to be worth sending.
        if budget.left < 40 {
            break;
        }
        let name = budget.take(name, FIELD_NAME_MAX.min(budget.left / 4));
        let value = budget.take(if value.is_empty() { "—" } else { &value }, FIELD_VALUE_MAX);
        embed = embed.field(name, value, inline);
    }
    if let Some(page) = &reply.page {
        let mut footer = format!("page {}/{}", page.current, page.total);
        if let Some(next) = &page.next {
            footer.push_str(&format!(" — suite : {next}"));
        }
        budget.left += footer_reserve;
        embed = embed.footer(CreateEmbedFooter::new(budget.take(&footer, FOOTER_MAX)));
    }
    Rendered {
        embed,
        components: buttons(reply),
        ephemeral: reply.is_error(),
        embed_chars: budget.used,
    }
}

/// One button per action whose command fits in a custom id, at most 5 rows of 5.
pub fn buttons(reply: &Reply) -> Vec<CreateActionRow> {
    let buttons: Vec<CreateButton> = reply
        .actions
        .iter()
        .filter(|a| BUTTON_PREFIX.len() + a.command.len() <= CUSTOM_ID_MAX)
        .take(BUTTONS_PER_ROW * ROWS_MAX)
        .map(|a| {
            CreateButton::new(format!("{BUTTON_PREFIX}{}", a.command))
                .label(truncate(&a.label, BUTTON_LABEL_MAX))
                .style(ButtonStyle::Secondary)
        })
        .collect();
    buttons
        .chunks(BUTTONS_PER_ROW)
        .map(|chunk| CreateActionRow::Buttons(chunk.to_vec()))
        .collect()
}

/// The core command behind one of our buttons.
pub fn command_of_button(custom_id: &str) -> Option<&str> {
    custom_id
        .strip_prefix(BUTTON_PREFIX)
        .filter(|c| !c.is_empty())
}
