-- Two indexes fewer on the invoices, one narrow one instead (keep in step
-- with ../sqlite/0017_invoice_indexes.sql).
--
-- Every invoice an import adds is an entry in each index of the table, at
-- a place of its own (by status, by dossier): the indexes cost the import
-- more than the rows themselves. Measured in the databases' own shells,
-- 400,000 invoices (docs/PERFORMANCE.md, "flux"): SQLite 1.9 s with the
-- two indexes below, 1.0 s with the narrow one alone; PostgreSQL 2.6 s and
-- 1.8 s.
-- - invoices_current (firm, status, time) served the anomaly rules on
--   statuses, which run after an import or on a schedule and read every
--   invoice of the firm for their other rules anyway: they scan.
-- - invoices_dossier_seen (firm, dossier, direction, time) served a
--   dossier's invoices and its latest flow dates; a dossier's few hundred
--   invoices are found as fast by their dossier alone (the firm is checked
--   on the rows), and the flow dates are kept on the dossiers (0009).
DROP INDEX invoices_current;
DROP INDEX invoices_dossier_seen;
CREATE INDEX invoices_dossier ON invoices (dossier_id);
