-- One index fewer on the anomalies (keep in step with ../postgres/0015_anomalies_queue_prefix.sql).
--
-- anomalies_queue (firm_id, status, severity) served what
-- anomalies_queue_order (firm_id, status, severity's rank, opened_at, id),
-- migration 0008, serves as well: the queue of a firm by status, whose
-- severity the few queries that filter on it (the open critical ones)
-- check on rows already narrowed to the firm's open anomalies. Each index
-- costs every anomaly an evaluation opens an entry: 0.2 of the 1.6 s it
-- took PostgreSQL to insert 64,416 (docs/PERFORMANCE.md, "flux").
DROP INDEX anomalies_queue;
