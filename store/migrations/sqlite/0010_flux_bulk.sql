-- Invoice flows written in bulk (SQLite). Keep in step with
-- ../postgres/0010_flux_bulk.sql.
--
-- An event is its (invoice, code, time): the table is now keyed by it
-- (WITHOUT ROWID: one B-tree per event instead of the row and its unique
-- index; the surrogate id was read by no one). Its foreign keys go, as on
-- PostgreSQL: the table is written by one function only (the flux
-- import's `invoices::record_batch`) with invoice ids it read or created
-- in the same transaction, and no invoice is ever deleted.
-- (The foreign keys of `invoices` stay here: SQLite could only drop them by
-- rebuilding a table that anomalies reference, and its check is a cheap
-- in-process key lookup.)
CREATE TABLE invoice_statuses_keyed (
    firm_id      INTEGER NOT NULL,
    invoice_id   INTEGER NOT NULL,
    code         INTEGER NOT NULL,
    status_at    TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',       -- as the platform wrote it
    reason       TEXT,
    source_file  TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    PRIMARY KEY (invoice_id, code, status_at)
) WITHOUT ROWID;
INSERT INTO invoice_statuses_keyed (firm_id, invoice_id, code, status_at, label, reason, source_file, imported_at)
    SELECT firm_id, invoice_id, code, status_at, label, reason, source_file, imported_at FROM invoice_statuses;
DROP TABLE invoice_statuses;
ALTER TABLE invoice_statuses_keyed RENAME TO invoice_statuses;

-- A prefix of invoices_dossier_seen (firm_id, dossier_id, direction, current_at).
DROP INDEX invoices_dossier;
