//! What a command answers, as structure: each adapter (console, Discord)
//! renders it within its own limits.

/// How the answer should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Success,
    /// The command could not run: bad argument, unknown dossier…
    Error,
    /// The caller's role does not allow it.
    Refused,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub items: Vec<String>,
}

/// A follow-up the user can take in one click (a button on Discord, a
/// command to type on the console).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub label: String,
    /// The core command it runs, e.g. `resoudre 12`.
    pub command: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub current: usize,
    pub total: usize,
    /// The command that shows the next page.
    pub next: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub tone: Tone,
    pub title: String,
    pub description: Option<String>,
    pub fields: Vec<Field>,
    pub sections: Vec<Section>,
    pub actions: Vec<Action>,
    pub page: Option<Page>,
}

/// Items per page of a long list.
pub const PAGE_SIZE: usize = 10;

impl Reply {
    pub fn new(tone: Tone, title: impl Into<String>) -> Reply {
        Reply {
            tone,
            title: title.into(),
            description: None,
            fields: Vec::new(),
            sections: Vec::new(),
            actions: Vec::new(),
            page: None,
        }
    }

    pub fn info(title: impl Into<String>) -> Reply {
        Reply::new(Tone::Info, title)
    }

    pub fn success(title: impl Into<String>) -> Reply {
        Reply::new(Tone::Success, title)
    }

    pub fn error(title: impl Into<String>, description: impl Into<String>) -> Reply {
        Reply::new(Tone::Error, title).with_description(description)
    }

    pub fn with_description(mut self, description: impl Into<String>) -> Reply {
        self.description = Some(description.into());
        self
    }

    pub fn field(mut self, name: impl Into<String>, value: impl Into<String>) -> Reply {
        self.fields.push(Field {
            name: name.into(),
            value: value.into(),
        });
        self
    }

    pub fn section(mut self, title: impl Into<String>, items: Vec<String>) -> Reply {
        self.sections.push(Section {
            title: title.into(),
            items,
        });
        self
    }

    pub fn action(mut self, label: impl Into<String>, command: impl Into<String>) -> Reply {
        self.actions.push(Action {
            label: label.into(),
            command: command.into(),
        });
        self
    }

    /// Adds these actions only when `condition` holds.
    pub fn actions_if(mut self, condition: bool, actions: &[(&str, String)]) -> Reply {
        if condition {
            for (label, command) in actions {
                self = self.action(*label, command.clone());
            }
        }
        self
    }

    /// Adds a section showing one page of `items`; `command` is the command
    /// without its page argument, to tell how to see the next page.
    pub fn paginated_section(
        mut self,
        title: impl Into<String>,
        items: Vec<String>,
        page: usize,
        command: &str,
    ) -> Reply {
        let total = items.len().div_ceil(PAGE_SIZE).max(1);
        let current = page.clamp(1, total);
        let shown: Vec<String> = items
            .into_iter()
            .skip((current - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .collect();
        self.sections.push(Section {
            title: title.into(),
            items: shown,
        });
        if total > 1 {
            let next = (current < total).then(|| format!("{command} page {}", current + 1));
            self.page = Some(Page {
                current,
                total,
                next,
            });
        }
        self
    }

    /// Adds a section holding one page already read (`page` of `total`).
    pub fn page_of(
        mut self,
        title: impl Into<String>,
        items: Vec<String>,
        page: usize,
        total: usize,
        command: &str,
    ) -> Reply {
        self.sections.push(Section {
            title: title.into(),
            items,
        });
        if total > 1 {
            let next = (page < total).then(|| format!("{command} page {}", page + 1));
            self.page = Some(Page {
                current: page,
                total,
                next,
            });
        }
        self
    }

    pub fn is_error(&self) -> bool {
        matches!(self.tone, Tone::Error | Tone::Refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_shows_one_page_and_the_next_command() {
        let items: Vec<String> = (1..=25).map(|i| i.to_string()).collect();
        let reply = Reply::info("t").paginated_section("s", items.clone(), 2, "anomalies ouvertes");
        assert_eq!(reply.sections[0].items.first().unwrap(), "11");
        assert_eq!(reply.sections[0].items.len(), 10);
        assert_eq!(
            reply.page,
            Some(Page {
                current: 2,
                total: 3,
                next: Some("anomalies ouvertes page 3".into())
            })
        );
        let last = Reply::info("t").paginated_section("s", items, 9, "x");
        assert_eq!(last.sections[0].items, vec!["21", "22", "23", "24", "25"]);
        assert_eq!(last.page.unwrap().next, None);
        let short = Reply::info("t").paginated_section("s", vec!["a".into()], 1, "x");
        assert_eq!(short.page, None);
    }
}
