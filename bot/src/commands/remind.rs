//! `relancer D`: chase a client now.

use super::dossier_named;
use crate::error::{CommandError, CommandResult};
use crate::{Caller, Core, Reply};

/// Email reminders are not built yet: after the same checks as a real
/// send (the dossier exists, the caller may act on it, a contact exists),
/// the answer says plainly that nothing was sent.
pub async fn run(core: &Core, caller: &Caller, query: &str) -> CommandResult {
    let lang = core.lang;
    let mut conn = core.store.pool().acquire().await?;
    let dossier = dossier_named(&mut conn, caller, query).await?;
    caller
        .may_act_on(&dossier, lang)
        .map_err(CommandError::Refused)?;
    let contact = dossier.record.contact.as_ref().map(|c| c.email.to_string());
    Ok(Reply::error(
        lang.pick("Relance non envoyée", "Reminder not sent"),
        match (contact, lang) {
            (Some(email), cabready_store::Lang::Fr) => format!(
                "L'envoi des relances par e-mail n'est pas encore disponible dans cette version : rien n'a été envoyé à {email}. Relancez le client directement en attendant."
            ),
            (Some(email), cabready_store::Lang::En) => format!(
                "Email reminders are not available in this version yet: nothing was sent to {email}. Contact the client directly meanwhile."
            ),
            (None, cabready_store::Lang::Fr) => "Ce dossier n'a pas de contact : ajoutez-le à la liste clients (contact_email), puis réimportez-la.".into(),
            (None, cabready_store::Lang::En) => "This dossier has no contact: add it to the client list (contact_email) and import it again.".into(),
        },
    )
    .action(format!("{} {}", lang.pick("Fiche", "Card"), dossier.record.code), format!("dossier {}", dossier.record.code)))
}
