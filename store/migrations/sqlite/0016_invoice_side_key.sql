-- no-transaction
-- An invoice is kept once per dossier of the firm it concerns (SQLite; keep
-- in step with ../postgres/0016_invoice_side_key.sql).
--
-- Two clients of one firm trading with each other on one platform see the
-- same invoice, under the same platform id: the seller's export has it as
-- emitted, the buyer's as received. Keyed by (firm, platform, platform id)
-- alone, the second was filed under the first one's invoice: the buyer
-- never saw its received flow. The key now carries the dossier.
--
-- SQLite cannot change a table's constraint in place: the table is built
-- again (https://www.sqlite.org/lang_altertable.html, "making other kinds
-- of table schema changes"), with foreign keys off while it is, hence no
-- transaction around this file but its own.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE invoices_keyed (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id              INTEGER NOT NULL REFERENCES firms(id),
    dossier_id           INTEGER NOT NULL REFERENCES dossiers(id),
    platform             TEXT NOT NULL,          -- '' when the export's platform is not known (generic profile)
    platform_invoice_id  TEXT NOT NULL,
    invoice_number       TEXT NOT NULL,
    issue_date           TEXT,
    direction            TEXT NOT NULL CHECK (direction IN ('emitted', 'received')),
    seller_siren         TEXT NOT NULL,
    buyer_siren          TEXT NOT NULL,
    siren_problem        TEXT,                   -- the counterpart's SIREN is invalid: which one
    amount_ht_cents      INTEGER,
    amount_ttc_cents     INTEGER,
    currency             TEXT NOT NULL DEFAULT 'EUR',
    current_code         INTEGER,
    current_at           TEXT,
    first_seen_at        TEXT NOT NULL,
    UNIQUE (firm_id, platform, platform_invoice_id, dossier_id)
);
INSERT INTO invoices_keyed (id, firm_id, dossier_id, platform, platform_invoice_id, invoice_number,
        issue_date, direction, seller_siren, buyer_siren, siren_problem, amount_ht_cents,
        amount_ttc_cents, currency, current_code, current_at, first_seen_at)
    SELECT id, firm_id, dossier_id, platform, platform_invoice_id, invoice_number,
        issue_date, direction, seller_siren, buyer_siren, siren_problem, amount_ht_cents,
        amount_ttc_cents, currency, current_code, current_at, first_seen_at
    FROM invoices;
-- The ids go on from the highest ever given, as before.
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'invoices'), 0))
    WHERE name = 'invoices_keyed';
DROP TABLE invoices;
ALTER TABLE invoices_keyed RENAME TO invoices;
CREATE INDEX invoices_current ON invoices (firm_id, current_code, current_at);
CREATE INDEX invoices_dossier_seen ON invoices (firm_id, dossier_id, direction, current_at);
CREATE INDEX invoices_siren_problem ON invoices (firm_id) WHERE siren_problem IS NOT NULL;
COMMIT;
PRAGMA foreign_keys = ON;
