-- The invoices' unique key leads with the platform's invoice id
-- (PostgreSQL only: SQLite's planner picks the index with the most
-- equality terms by itself).
--
-- The flux import looks each invoice of a batch up by (platform id,
-- platform) and filters the firm with `firm_id + 0`, which no index
-- serves: the unique key is then the only index the lookup can use.
-- Keyed (firm_id, platform, platform_invoice_id), it was one of three
-- indexes that lead with firm_id, and while the planner had no statistics
-- (a new database, autovacuum not yet run) it once probed through
-- invoices_dossier_seen instead, reading every invoice of the firm for
-- each line: 23 s for one batch of 20,000 lines (docs/PERFORMANCE.md).
ALTER TABLE invoices DROP CONSTRAINT invoices_firm_id_platform_platform_invoice_id_key;
ALTER TABLE invoices ADD CONSTRAINT invoices_platform_key
    UNIQUE (platform_invoice_id, platform, firm_id);
