pub mod anomalies;
pub mod calendar;
pub mod chat;
pub mod check_config;
pub mod clap_errors;
pub mod demo;
pub mod demo_flux;
pub mod demo_replies;
pub mod digest;
pub mod import;
pub mod journal;
pub mod onboard;
pub mod readiness;
pub mod remind;
pub mod replies;
pub mod report;
pub mod serve;

/// The firm a command works on: the one named (`--firm`), else the
/// config's `firm`, else the database's only firm; otherwise an error in
/// the user's words.
pub async fn firm_named(
    conn: &mut sqlx::AnyConnection,
    ctx: &crate::AppContext,
    name: Option<&str>,
) -> anyhow::Result<cabready_store::firms::Firm> {
    cabready_store::firms::resolve(conn, name.or(ctx.config.firm.as_deref()))
        .await
        .map_err(|e| anyhow::anyhow!(e.user_message(ctx.lang)))
}

/// The one dossier a user named (code, SIREN, start of a code or part of
/// the name, as in chat), or an error that lists those it could be.
pub async fn one_dossier(
    conn: &mut sqlx::AnyConnection,
    firm_id: i64,
    query: &str,
    lang: cabready_store::Lang,
) -> anyhow::Result<cabready_store::dossiers::Dossier> {
    use cabready_bot::lookup::{find_dossier, Found};
    let named = |m: &[(String, String)]| {
        m.iter()
            .map(|(c, n)| format!("{c} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match find_dossier(conn, firm_id, query).await? {
        Found::One(d) => Ok(*d),
        Found::Several(m) => Err(anyhow::anyhow!(
            "{} {}{}{}",
            lang.pick(
                "plusieurs dossiers correspondent à",
                "several dossiers match"
            ),
            lang.quote(query),
            lang.colon(),
            named(&m)
        )),
        Found::None(m) => {
            let closest = match m.is_empty() {
                true => String::new(),
                false => format!(
                    "{}{}{}{}",
                    lang.pick(" ; ", "; "),
                    lang.pick("proches", "closest"),
                    lang.colon(),
                    named(&m)
                ),
            };
            Err(anyhow::anyhow!(
                "{} {}{closest}",
                lang.pick("dossier introuvable", "dossier not found"),
                lang.quote(query)
            ))
        }
    }
}

/// Why a listing found no dossier: a portfolio the firm does not have
/// (listing those it has), or an empty scope.
/// The firm's portfolio a user named on the command line, as the firm
/// spells it (case and accents ignored, as in the chat: `--portfolio nord`
/// is Nord), or the error that lists the firm's portfolios.
pub async fn portfolio_named(
    conn: &mut sqlx::AnyConnection,
    firm_id: i64,
    name: Option<&str>,
    lang: cabready_store::Lang,
) -> anyhow::Result<Option<String>> {
    let Some(name) = name else { return Ok(None) };
    match cabready_store::users::portfolio_named(conn, firm_id, name).await? {
        Ok(exact) => Ok(Some(exact)),
        Err(_) => Err(no_dossier(conn, firm_id, Some(name), lang).await),
    }
}

pub async fn no_dossier(
    conn: &mut sqlx::AnyConnection,
    firm_id: i64,
    portfolio: Option<&str>,
    lang: cabready_store::Lang,
) -> anyhow::Error {
    let Some(portfolio) = portfolio else {
        return anyhow::anyhow!("{}", lang.pick("aucun dossier", "no dossier"));
    };
    let known = match cabready_store::users::portfolio_named(conn, firm_id, portfolio).await {
        Ok(Err(known)) => known,
        Ok(Ok(_)) => {
            return match lang {
                cabready_store::Lang::Fr => {
                    anyhow::anyhow!("aucun dossier dans le portefeuille « {portfolio} »")
                }
                cabready_store::Lang::En => {
                    anyhow::anyhow!("no dossier in portfolio '{portfolio}'")
                }
            };
        }
        // (Reading them failed: the message lists none.)
        Err(_) => Vec::new(),
    };
    match lang {
        cabready_store::Lang::Fr => anyhow::anyhow!(
            "aucun portefeuille « {portfolio} » ; portefeuilles du cabinet : {}",
            known.join(", ")
        ),
        cabready_store::Lang::En => anyhow::anyhow!(
            "no portfolio '{portfolio}'; the firm's portfolios: {}",
            known.join(", ")
        ),
    }
}
