-- The anomalies' dossier, invoice and firm are checked by their one bulk
-- writer, not by foreign keys (PostgreSQL only; SQLite checks a foreign key
-- by an index probe in C and keeps them).
--
-- The rules' evaluation inserts thousands of anomalies at once
-- (store/src/anomalies/rules.rs): its INSERT keeps only rows whose dossier
-- and invoice belong to the firm, and fails the evaluation when one does
-- not; `anomalies::raise` reads the dossier from the firm's own rows. No
-- dossier, invoice or firm is ever deleted. PostgreSQL checked each of the
-- three keys with a query per row: 0.75 of the 1.4 s it took to insert
-- 64,416 anomalies, and an anomaly evaluation near its 5 s target
-- (docs/PERFORMANCE.md, "flux"). The assignee's key stays: a user's
-- command sets it, one row at a time.
ALTER TABLE anomalies DROP CONSTRAINT IF EXISTS anomalies_firm_id_fkey;
ALTER TABLE anomalies DROP CONSTRAINT IF EXISTS anomalies_dossier_id_fkey;
ALTER TABLE anomalies DROP CONSTRAINT IF EXISTS anomalies_invoice_id_fkey;
