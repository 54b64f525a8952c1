//! clap's own errors (unknown option, missing argument…) in the user's
//! language: clap writes English, and French is the default here. `--help`,
//! `--version` and English keep clap's rendering; the exit code stays clap's.

use cabready_store::Lang;
use clap::error::{ContextKind, ContextValue, Error, ErrorKind};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// Prints `error` for the command line `args` (program name first) that
/// `command` refused, and returns clap's exit code (2 for a usage error, 0
/// for `--help` and `--version`).
pub fn report(error: &Error, command: clap::Command, args: &[OsString]) -> ExitCode {
    let code = ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
    let args: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .take_while(|a| a != "--")
        .collect();
    match french(error).filter(|_| language(&args) == Lang::Fr) {
        Some(message) => eprintln!(
            "erreur : {message}\nAide : {} --help",
            command_path(command, &args)
        ),
        None => {
            let _ = error.print();
        }
    }
    code
}

/// The language the command line asked for, read without clap (which
/// refused it): `--lang` on the line, else `CABREADY_LANG`, else the
/// configuration's (`--config`, `CABREADY_CONFIG`, `./cabready.toml`),
/// else French. Anything unreadable counts as not said.
pub(crate) fn language(args: &[String]) -> Lang {
    let option = |name: &str| {
        let (flag, prefix) = (format!("--{name}"), format!("--{name}="));
        let mut found = None;
        for (i, arg) in args.iter().enumerate() {
            if let Some(value) = arg.strip_prefix(&prefix) {
                found = Some(value.to_string());
            } else if *arg == flag {
                found = args.get(i + 1).cloned();
            }
        }
        found
    };
    let asked = option("lang").or_else(|| std::env::var("CABREADY_LANG").ok());
    if let Some(lang) = asked.and_then(|l| l.parse().ok()) {
        return lang;
    }
    let file = option("config")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("CABREADY_CONFIG").map(PathBuf::from));
    crate::config::load(file.as_deref())
        .map(|loaded| loaded.config.language)
        .unwrap_or_default()
}

/// `cabready import flux`: the program and the subcommands named on the
/// line, whose `--help` tells what they take.
fn command_path(mut command: clap::Command, args: &[String]) -> String {
    // Built, each subcommand knows its full name and the global options.
    command.build();
    let mut current = &command;
    let mut value_next = false;
    for arg in args {
        if std::mem::take(&mut value_next) {
            continue;
        }
        if let Some(long) = arg.strip_prefix("--") {
            value_next = !long.contains('=')
                && current
                    .get_arguments()
                    .any(|a| a.get_long() == Some(long) && a.get_action().takes_values());
        } else if let Some(sub) = current.find_subcommand(arg) {
            current = sub;
        }
    }
    current
        .get_bin_name()
        .unwrap_or(current.get_name())
        .to_string()
}

/// The error said in French, for the kinds a user meets; `None` for the
/// others (clap's message is kept) and for help and version.
fn french(error: &Error) -> Option<String> {
    let one = |kind| match error.get(kind) {
        Some(ContextValue::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let all = |kind| match error.get(kind) {
        Some(ContextValue::Strings(v)) => v.clone(),
        Some(ContextValue::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    };
    let quoted = |values: &[String]| {
        values
            .iter()
            .map(|v| format!("« {v} »"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // clap lists the closest last: it comes first here.
    let did_you_mean = |values: &[String]| match values {
        [] => String::new(),
        _ => {
            let closest_first: Vec<String> = values.iter().rev().cloned().collect();
            format!(
                " (vouliez-vous dire {} ?)",
                quoted(&closest_first).replace(", ", " ou ")
            )
        }
    };
    let message = match error.kind() {
        ErrorKind::UnknownArgument => {
            let arg = one(ContextKind::InvalidArg)?;
            let suggested: Vec<String> = one(ContextKind::SuggestedArg)
                .map(str::to_string)
                .into_iter()
                .collect();
            // An option clap does not know, or a word where none is expected.
            let what = if arg.starts_with('-') {
                "argument inconnu"
            } else {
                "argument inattendu"
            };
            format!("{what} « {arg} »{}", did_you_mean(&suggested))
        }
        ErrorKind::MissingRequiredArgument => match all(ContextKind::InvalidArg).as_slice() {
            [] => return None,
            [arg] => format!("argument obligatoire manquant : « {arg} »"),
            args => format!("arguments obligatoires manquants : {}", quoted(args)),
        },
        ErrorKind::InvalidValue => {
            let arg = one(ContextKind::InvalidArg)?;
            let value = one(ContextKind::InvalidValue)?;
            let mut message = if value.is_empty() {
                format!("valeur manquante pour « {arg} »")
            } else {
                let suggested: Vec<String> = one(ContextKind::SuggestedValue)
                    .map(str::to_string)
                    .into_iter()
                    .collect();
                format!(
                    "valeur invalide « {value} » pour « {arg} »{}",
                    did_you_mean(&suggested)
                )
            };
            let valid = all(ContextKind::ValidValue);
            if !valid.is_empty() {
                message.push_str(&format!(" ; valeurs possibles : {}", valid.join(", ")));
            }
            message
        }
        ErrorKind::ValueValidation => {
            let arg = one(ContextKind::InvalidArg)?;
            let value = one(ContextKind::InvalidValue)?;
            match own_words(error) {
                Some(said) => format!("valeur invalide pour « {arg} » : {said}"),
                None => format!(
                    "valeur invalide « {value} » pour « {arg} »{}",
                    expected(arg, error)
                ),
            }
        }
        ErrorKind::InvalidSubcommand => {
            let sub = one(ContextKind::InvalidSubcommand)?;
            let suggested = all(ContextKind::SuggestedSubcommand);
            format!(
                "sous-commande inconnue « {sub} »{}",
                did_you_mean(&suggested)
            )
        }
        ErrorKind::MissingSubcommand => {
            let valid = all(ContextKind::ValidSubcommand);
            format!("sous-commande manquante ; au choix : {}", valid.join(", "))
        }
        ErrorKind::ArgumentConflict => {
            let arg = one(ContextKind::InvalidArg)?;
            match all(ContextKind::PriorArg).as_slice() {
                [prior] if prior == arg => format!("« {arg} » ne se donne qu'une fois"),
                [] => return None,
                prior => format!("« {arg} » ne va pas avec {}", quoted(prior)),
            }
        }
        ErrorKind::TooManyValues => {
            let arg = one(ContextKind::InvalidArg)?;
            let value = one(ContextKind::InvalidValue)?;
            format!("valeur en trop « {value} » pour « {arg} »")
        }
        _ => return None,
    };
    Some(message)
}

/// What a value refused by its parser should have been, when that can be
/// said in French: a number, a language.
fn expected(arg: &str, error: &Error) -> String {
    use std::num::{IntErrorKind, ParseFloatError, ParseIntError};
    let source = std::error::Error::source(error);
    if let Some(e) = source.and_then(|s| s.downcast_ref::<ParseIntError>()) {
        return match e.kind() {
            IntErrorKind::PosOverflow | IntErrorKind::NegOverflow => " (nombre hors limites)",
            _ => " (un nombre entier est attendu)",
        }
        .to_string();
    }
    if source.is_some_and(|s| s.is::<ParseFloatError>()) {
        return " (un nombre est attendu)".to_string();
    }
    if arg.starts_with("--lang") {
        return " (fr ou en)".to_string();
    }
    String::new()
}

/// What our own value parsers said: they answer in French, with « ».
fn own_words(error: &Error) -> Option<String> {
    std::error::Error::source(error)
        .map(ToString::to_string)
        .filter(|text| text.contains('«'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn words(line: &str) -> Vec<String> {
        line.split(' ').map(str::to_string).collect()
    }

    #[test]
    fn the_subcommands_named_not_the_options_values() {
        let path = |line: &str| command_path(crate::Cli::command(), &words(line));
        assert_eq!(path("import flux --foo x.csv"), "cabready import flux");
        assert_eq!(path("--config import readiness --x"), "cabready readiness");
        assert_eq!(path("--config=a.toml impor"), "cabready");
        assert_eq!(path("import flux-factures --now=x"), "cabready import flux");
    }

    #[test]
    fn the_language_asked_on_the_line_wins() {
        assert_eq!(language(&words("readiness --lang en --bogus")), Lang::En);
        assert_eq!(language(&words("--lang=en readiness")), Lang::En);
        assert_eq!(language(&words("--lang en --lang fr")), Lang::Fr);
    }
}
