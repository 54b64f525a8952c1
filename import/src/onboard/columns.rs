//! The columns of `users.csv` and `clients.csv` (documented in the README):
//! French names, English aliases, order free.

use crate::table::ColumnSpec;

const fn col(name: &'static str, aliases: &'static [&'static str], required: bool) -> ColumnSpec {
    ColumnSpec {
        name,
        aliases,
        required,
    }
}

pub const USER_COLUMNS: &[ColumnSpec] = &[
    col(
        "email",
        &["e-mail", "mail", "courriel", "adresse_email"],
        true,
    ),
    col("nom", &["name", "nom_complet", "full_name"], false),
    col("role", &["rôle", "profil"], true),
    col("discord_id", &["discord", "id_discord"], false),
    col(
        "portefeuilles",
        &["portefeuille", "portfolios", "portfolio"],
        false,
    ),
];

pub const CLIENT_COLUMNS: &[ColumnSpec] = &[
    col(
        "code_dossier",
        &[
            "code",
            "dossier",
            "ref",
            "reference",
            "ref_dossier",
            "client_code",
            "dossier_ref",
            "dossier_code",
        ],
        true,
    ),
    col(
        "raison_sociale",
        &[
            "legal_name",
            "denomination",
            "nom",
            "societe",
            "company",
            "name",
        ],
        true,
    ),
    // A SIRET's first nine digits are the SIREN: exports often carry it.
    col(
        "siren",
        &[
            "n_siren",
            "numero_siren",
            "siren_number",
            "siret",
            "n_siret",
            "numero_siret",
        ],
        true,
    ),
    col("forme_juridique", &["legal_form", "forme"], false),
    col(
        "effectif",
        &["headcount", "employees", "salaries", "effectifs"],
        false,
    ),
    col(
        "chiffre_affaires",
        &["ca", "ca_ht", "chiffre_d_affaires", "turnover", "revenue"],
        false,
    ),
    col(
        "total_bilan",
        &[
            "bilan",
            "balance_sheet",
            "balance_sheet_total",
            "total_du_bilan",
        ],
        false,
    ),
    col(
        "categorie",
        &[
            "category",
            "taille",
            "size_category",
            "catégorie_entreprise",
        ],
        false,
    ),
    col(
        "regime_tva",
        &["vat_regime", "regime", "regime_de_tva", "tva"],
        false,
    ),
    col(
        "contact_nom",
        &["contact_name", "contact", "nom_contact", "interlocuteur"],
        false,
    ),
    col(
        "contact_email",
        &[
            "email_contact",
            "contact_mail",
            "mail_contact",
            "email",
            "e_mail",
            "adresse_e_mail",
            "adresse_email",
            "adresse_mail",
            "courriel",
        ],
        false,
    ),
    col(
        "collaborateur",
        &[
            "accountant",
            "owner",
            "responsable",
            "email_collaborateur",
            "collaborateur_email",
        ],
        false,
    ),
    col("portefeuille", &["portfolio", "equipe", "team"], false),
    col("tags", &["etiquettes", "labels", "segments"], false),
    col("b2c", &["ventes_b2c", "vente_aux_particuliers"], false),
    col(
        "international",
        &["operations_internationales", "export"],
        false,
    ),
    col("groupe_tva", &["assujetti_unique", "vat_group"], false),
    col(
        "option_debits",
        &["tva_sur_les_debits", "debits_option"],
        false,
    ),
    col(
        "plateforme",
        &[
            "platform",
            "plateforme_agreee",
            "plateforme_de_reception",
            "pa",
            "pdp",
            "approved_platform",
        ],
        false,
    ),
    col(
        "etat_plateforme",
        &[
            "platform_state",
            "statut_plateforme",
            "etat_de_la_plateforme",
            "platform_status",
            "etat_pa",
        ],
        false,
    ),
    // The delegation mandate already collected (on paper, before CabReady).
    col(
        "mandat",
        &[
            "mandat_delegation",
            "mandat_de_delegation",
            "mandate",
            "mandate_status",
            "statut_mandat",
            "statut_du_mandat",
        ],
        false,
    ),
    col(
        "mandat_date",
        &[
            "mandat_signe_le",
            "mandate_date",
            "date_mandat",
            "date_du_mandat",
        ],
        false,
    ),
];
