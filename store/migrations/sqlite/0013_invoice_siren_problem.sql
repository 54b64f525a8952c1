-- The invalid-SIREN anomaly rule reads the invoices whose counterpart
-- SIREN is invalid (about one in a thousand): without an index, a scan of
-- every invoice of the firm at each evaluation (0.6 s of 4.7 on SQLite for
-- 417,000 invoices, docs/PERFORMANCE.md). Partial: only those rows are in
-- it, so the flux import pays nearly nothing for it.
CREATE INDEX invoices_siren_problem ON invoices (firm_id) WHERE siren_problem IS NOT NULL;
