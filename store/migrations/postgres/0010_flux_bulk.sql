-- Invoice flows written in bulk (PostgreSQL). Keep in step with
-- ../sqlite/0010_flux_bulk.sql.
--
-- The two flow tables are written by one function only (the flux import's
-- `invoices::record_batch`), which links each row to a dossier of the firm
-- it read itself and to an invoice it read or created in the same
-- transaction; no row of them, nor of dossiers or firms, is ever deleted.
-- Their foreign keys guarded nothing that code can break, and PostgreSQL
-- checks each one with a query per row (≈ 10 µs): 28 of the 40 s that the
-- same million-line import took in plain SQL (docs/PERFORMANCE.md, "flux").
ALTER TABLE invoices DROP CONSTRAINT IF EXISTS invoices_firm_id_fkey;
ALTER TABLE invoices DROP CONSTRAINT IF EXISTS invoices_dossier_id_fkey;
ALTER TABLE invoice_statuses DROP CONSTRAINT IF EXISTS invoice_statuses_firm_id_fkey;
ALTER TABLE invoice_statuses DROP CONSTRAINT IF EXISTS invoice_statuses_invoice_id_fkey;

-- An event is its (invoice, code, time): the surrogate id was read by no
-- one and cost a second index entry per event.
ALTER TABLE invoice_statuses DROP COLUMN id;

-- A prefix of invoices_dossier_seen (firm_id, dossier_id, direction, current_at).
DROP INDEX invoices_dossier;
