//! Who is asking, and what their role lets them do. The same rules for
//! every adapter: viewers read; accountants act on the dossiers of their
//! portfolios (or that they own); managers on the whole firm; admins also
//! configure.

use cabready_store::domain::Role;
use cabready_store::dossiers::Dossier;
use cabready_store::users::User;
use cabready_store::Lang;

#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    pub firm_id: i64,
    pub firm_name: String,
    pub user: User,
}

impl Caller {
    pub fn role(&self) -> Role {
        self.user.record.role
    }

    pub fn email(&self) -> &str {
        self.user.record.email.as_str()
    }

    /// `Err(reason)` when the caller may not change this dossier.
    pub fn may_act_on(&self, dossier: &Dossier, lang: Lang) -> Result<(), String> {
        match self.role() {
            Role::Admin | Role::Manager => Ok(()),
            Role::Viewer => Err(lang
                .pick(
                    "votre rôle « lecteur » permet de consulter, pas de modifier : demandez à un associé de changer votre rôle",
                    "your role 'viewer' can read but not change anything: ask a manager to change your role",
                )
                .to_string()),
            Role::Accountant => {
                let in_portfolio =
                    dossier.record.portfolio.as_ref().is_some_and(|p| self.user.record.portfolios.contains(p));
                let owner = dossier.record.owner.as_ref().is_some_and(|o| o.as_str() == self.email());
                if in_portfolio || owner {
                    Ok(())
                } else {
                    let portfolio = dossier.record.portfolio.clone().unwrap_or_else(|| "—".into());
                    Err(match lang {
                        Lang::Fr => format!(
                            "le dossier {} est dans le portefeuille « {portfolio} », qui n'est pas l'un des vôtres ({}) : seul un associé ou le collaborateur du portefeuille peut le modifier",
                            dossier.record.code,
                            self.portfolios_label()
                        ),
                        Lang::En => format!(
                            "dossier {} is in portfolio '{portfolio}', which is not one of yours ({}): only a manager or the portfolio's accountant can change it",
                            dossier.record.code,
                            self.portfolios_label()
                        ),
                    })
                }
            }
        }
    }

    fn portfolios_label(&self) -> String {
        if self.user.record.portfolios.is_empty() {
            "aucun".into()
        } else {
            self.user.record.portfolios.join(", ")
        }
    }
}
