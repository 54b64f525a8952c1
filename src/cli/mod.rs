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
pub mod onboard;
pub mod readiness;
pub mod remind;
pub mod replies;
pub mod report;
pub mod serve;

/// Why a listing found no dossier: a portfolio the firm does not have
/// (listing those it has), or an empty scope.
pub async fn no_dossier(
    conn: &mut sqlx::AnyConnection,
    firm_id: i64,
    portfolio: Option<&str>,
    lang: cabready_store::Lang,
) -> anyhow::Error {
    use cabready_store::domain::fold;
    let Some(portfolio) = portfolio else {
        return anyhow::anyhow!("{}", lang.pick("aucun dossier", "no dossier"));
    };
    let known = cabready_store::users::portfolio_names(conn, firm_id)
        .await
        .unwrap_or_default();
    if known.iter().any(|k| fold(k) == fold(portfolio)) {
        return match lang {
            cabready_store::Lang::Fr => {
                anyhow::anyhow!("aucun dossier dans le portefeuille « {portfolio} »")
            }
            cabready_store::Lang::En => anyhow::anyhow!("no dossier in portfolio '{portfolio}'"),
        };
    }
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
