//! The demo's simulated client answers: after the first wave of reminders,
//! five clients reply the way people do (the signed mandate attached, "on
//! verra en janvier", a question, an out-of-office, an address that
//! bounces). The messages are written into the inbox Maildir and processed
//! by the real reply pipeline, exactly as `cabready replies` would.

use crate::AppContext;
use anyhow::Result;
use cabready_mailer::inbound::sources::maildir;
use cabready_store::outbox::{self, State};
use cabready_store::{contacts, dossiers, Lang, Store};

fn reply(
    from: &str,
    reply_to: &str,
    message_id: &str,
    subject: &str,
    date: &str,
    body: &str,
    pdf: bool,
) -> String {
    let quoted = format!(
        "\r\n\r\nLe {date}, Cabinet <{reply_to}> a écrit :\r\n> Merci de nous retourner le mandat de délégation signé.\r\n"
    );
    let head = format!(
        "From: <{from}>\r\nTo: <{reply_to}>\r\nSubject: Re: {subject}\r\nDate: {date}\r\nMessage-ID: <demo-reply-{message_id}>\r\nIn-Reply-To: <{message_id}>\r\nReferences: <{message_id}>\r\nMIME-Version: 1.0\r\n"
    );
    if pdf {
        format!(
            "{head}Content-Type: multipart/mixed; boundary=\"demo\"\r\n\r\n--demo\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}{quoted}\r\n--demo\r\nContent-Type: application/pdf; name=\"mandat-signe.pdf\"\r\nContent-Disposition: attachment; filename=\"mandat-signe.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJSBNYW5kYXQgZGUgZMOpbMOpZ2F0aW9uIHNpZ27DqSAoZMOpbW8pCiUlRU9GCg==\r\n--demo--\r\n"
        )
    } else {
        format!("{head}Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{body}{quoted}")
    }
}

fn out_of_office(
    from: &str,
    reply_to: &str,
    message_id: &str,
    subject: &str,
    date: &str,
) -> String {
    format!(
        "From: <{from}>\r\nTo: <{reply_to}>\r\nSubject: =?utf-8?Q?R=C3=A9ponse_automatique_:?= {subject}\r\nDate: {date}\r\nMessage-ID: <demo-oof-{message_id}>\r\nIn-Reply-To: <{message_id}>\r\nAuto-Submitted: auto-replied\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBonjour, je suis absent du bureau, de retour le 7 décembre.\r\n"
    )
}

fn bounce(to: &str, from_address: &str, message_id: &str, subject: &str, date: &str) -> String {
    format!(
        "From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\nTo: <{from_address}>\r\nSubject: Undelivered Mail Returned to Sender\r\nDate: {date}\r\nMessage-ID: <demo-bounce-{message_id}>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n--r\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered to {to}.\r\n--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n\r\nFinal-Recipient: rfc822; {to}\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\r\n--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{message_id}>\r\nSubject: {subject}\r\n--r--\r\n"
    )
}

pub async fn run(ctx: &AppContext, store: &Store, firm_id: i64) -> Result<()> {
    let lang = ctx.lang;
    let mut conn = store.pool().acquire().await?;
    // The clients answer at once: the demo sends its reminders now, and
    // nothing it records is dated after the clock (the firm's data is
    // explored after the demo).
    let now = ctx.clock.now();
    let mut sent = outbox::in_state(&mut conn, firm_id, State::Sent).await?;
    sent.sort_by_key(|r| r.dossier_id);
    let dir = super::replies::inbox_dir(ctx);
    maildir::ensure(&dir)?;
    let date = now.to_rfc2822();
    let from_address = &ctx.config.mail.from_address;
    for (i, reminder) in sent.iter().take(5).enumerate() {
        let contact = contacts::get(&mut conn, firm_id, reminder.contact_id).await?;
        let Some(dossier) = dossiers::find_by_id(&mut conn, firm_id, reminder.dossier_id).await?
        else {
            continue;
        };
        let subject = format!("[CabReady {}] Votre mandat", dossier.record.code);
        let reply_to = cabready_mailer::token::reply_to(&reminder.token, from_address);
        let from = contact.email.as_str();
        let id = &reminder.message_id;
        let raw = match i {
            0 => reply(
                from,
                &reply_to,
                id,
                &subject,
                &date,
                "Bonjour,\r\n\r\nVeuillez trouver ci-joint le mandat signé.\r\n\r\nCordialement",
                true,
            ),
            1 => reply(
                from,
                &reply_to,
                id,
                &subject,
                &date,
                "Bonjour, on verra ça en janvier, fin d'année chargée.",
                false,
            ),
            2 => reply(
                from,
                &reply_to,
                id,
                &subject,
                &date,
                "Bonjour, à quoi sert exactement ce mandat ? Est-ce obligatoire pour nous ?",
                false,
            ),
            3 => out_of_office(from, &reply_to, id, &subject, &date),
            _ => bounce(from, from_address, id, &subject, &date),
        };
        let name = format!("demo-{}-{}.eml", i + 1, dossier.record.code);
        std::fs::write(dir.join("new").join(name), raw)?;
    }
    // Someone the firm never wrote to, without any reference: the triage queue.
    std::fs::write(
        dir.join("new").join("demo-6-inconnu.eml"),
        format!(
            "From: Sophie Marchand <s.marchand@nouvelle-compta.example>\r\nTo: <{from_address}>\r\nSubject: Mandat facturation électronique\r\nDate: {date}\r\nMessage-ID: <demo-unknown-sender@nouvelle-compta.example>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nBonjour,\r\n\r\nJe reprends la comptabilité de la SARL Marchand depuis ce mois-ci. Devons-nous signer un mandat pour la facturation électronique ?\r\n\r\nSophie Marchand\r\n"
        ),
    )?;
    let journal_start = cabready_store::journal::last_id(&mut conn, firm_id).await?;
    drop(conn);
    let inbox = super::replies::inbox(ctx, store, firm_id).await?;
    let report = maildir::pass(&inbox, store, &dir, now, false).await?;
    println!();
    println!(
        "{}",
        match lang {
            Lang::Fr => format!(
                "Réponses des clients (simulées, dans {}) : {} message(s) lu(s) et traité(s) :",
                dir.join("new").display(),
                report.processed
            ),
            Lang::En => format!(
                "Client replies (simulated, in {}): {} message(s) read and processed:",
                dir.join("new").display(),
                report.processed
            ),
        }
    );
    let mut conn = store.pool().acquire().await?;
    for line in &report.lines {
        if let Some(r) = &line.report {
            println!(
                "  {}",
                super::replies::report_text(&mut conn, firm_id, r, lang).await?
            );
        }
    }
    drop(conn);
    // What the team's chat shows for them (as `cabready serve` posts it).
    let core = super::chat::core(ctx).await?;
    let notices = cabready_bot::notices::since(&core, firm_id, journal_start)
        .await
        .map_err(|e| {
            let reply = e.into_reply(lang);
            anyhow::anyhow!(cabready_bot::console::render(&reply, lang)
                .trim()
                .to_string())
        })?;
    println!();
    println!(
        "{}",
        match lang {
            Lang::Fr => format!("Dans le chat de l'équipe, {} avis :", notices.replies.len()),
            Lang::En => format!("In the team's chat, {} notice(s):", notices.replies.len()),
        }
    );
    for reply in &notices.replies {
        println!();
        print!("{}", cabready_bot::console::render(reply, lang));
    }
    Ok(())
}
