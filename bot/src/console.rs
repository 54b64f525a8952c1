//! The console adapter: renders replies as text, runs one command or a REPL.

use crate::commands::help::in_readers_words;
use crate::notices;
use crate::reply::{Reply, Tone};
use crate::{Caller, Core};
use cabready_store::Lang;
use std::io::{BufRead, Write};

/// A reply as plain text, the same content Discord shows.
pub fn render(reply: &Reply, lang: Lang) -> String {
    let marker = match reply.tone {
        Tone::Info => "",
        Tone::Success => "✔ ",
        Tone::Error => "✖ ",
        Tone::Refused => "⛔ ",
    };
    let mut out = format!("{marker}{}\n", reply.title);
    if let Some(description) = &reply.description {
        out.push_str(&format!("{description}\n"));
    }
    if !reply.fields.is_empty() {
        let width = reply
            .fields
            .iter()
            .map(|f| f.name.chars().count())
            .max()
            .unwrap_or(0);
        for field in &reply.fields {
            let pad = " ".repeat(width - field.name.chars().count());
            // Aligned values: French sets its colons in a column, English
            // writes each after its name.
            out.push_str(&match lang {
                Lang::Fr => format!("  {}{pad} : {}\n", field.name, field.value),
                Lang::En => format!("  {}:{pad} {}\n", field.name, field.value),
            });
        }
    }
    for section in &reply.sections {
        out.push_str(&format!("{}\n", section.title));
        if section.items.is_empty() {
            out.push_str(&format!("  {}\n", lang.pick("(rien)", "(none)")));
        }
        for item in &section.items {
            out.push_str(&format!("  • {item}\n"));
        }
    }
    if let Some(page) = &reply.page {
        out.push_str(&format!("page {}/{}", page.current, page.total));
        if let Some(next) = &page.next {
            out.push_str(&format!(
                " — {}{}{next}",
                lang.pick("suite", "more"),
                lang.colon(),
                next = in_readers_words(next, lang)
            ));
        }
        out.push('\n');
    }
    if !reply.actions.is_empty() {
        let actions: Vec<String> = reply
            .actions
            .iter()
            .map(|a| format!("{} → {}", a.label, in_readers_words(&a.command, lang)))
            .collect();
        out.push_str(&format!(
            "{}{}{}\n",
            lang.pick("Actions", "Actions"),
            lang.colon(),
            actions.join(" | ")
        ));
    }
    out
}

/// The interactive console: reads lines, answers each; `quitter`/`exit` or
/// end of input stops it. Line editing and history come from the terminal
/// (e.g. `rlwrap cabready chat --as …`); `!!` repeats the last command and
/// `historique` lists the session's commands. Between commands it shows the
/// notices the team's channel would get (a mandate received by email, an
/// email to sort, a new critical anomaly…), as they come.
pub async fn repl(core: &Core, caller: &Caller) -> std::io::Result<()> {
    let lang = core.lang;
    // Standard input is read on its own thread, so that notices can be
    // shown while the console waits for a line.
    let (lines_tx, mut lines) = tokio::sync::mpsc::channel::<std::io::Result<String>>(1);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if lines_tx.blocking_send(line).is_err() {
                break;
            }
        }
    });
    let mut follower = notices::Follower::start(core, caller.firm_id).await.ok();
    let mut tick = tokio::time::interval(notices::EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut history: Vec<String> = Vec::new();
    println!(
        "{} {} ({}) — {}",
        lang.pick("Connecté en tant que", "Signed in as"),
        caller.email(),
        caller.firm_name,
        lang.pick("tapez « aide », ou « quitter »", "type 'help', or 'exit'")
    );
    prompt()?;
    loop {
        let line = tokio::select! {
            line = lines.recv() => match line {
                Some(line) => line?,
                None => break,
            },
            _ = tick.tick(), if follower.is_some() => {
                let replies = match follower.as_mut() {
                    Some(f) => f.poll(core).await.unwrap_or_default(),
                    None => Vec::new(),
                };
                if !replies.is_empty() {
                    println!();
                    for reply in &replies {
                        print!("{}", render(reply, lang));
                    }
                    prompt()?;
                }
                continue;
            }
        };
        let mut line = line.trim().to_string();
        match line.as_str() {
            "" => {
                prompt()?;
                continue;
            }
            "quitter" | "exit" | "quit" => break,
            "historique" | "history" => {
                for (i, entry) in history.iter().enumerate() {
                    println!("{:>3}  {entry}", i + 1);
                }
                prompt()?;
                continue;
            }
            "!!" => match history.last() {
                Some(last) => line = last.clone(),
                None => {
                    prompt()?;
                    continue;
                }
            },
            _ => {}
        }
        history.push(line.clone());
        let reply = core.execute(caller, &line).await;
        print!("{}", render(&reply, lang));
        prompt()?;
    }
    Ok(())
}

fn prompt() -> std::io::Result<()> {
    print!("cabready> ");
    std::io::stdout().flush()
}
