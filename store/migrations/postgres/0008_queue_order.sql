-- The anomaly queue is read most severe first, then oldest: an index in
-- that exact order lets a page of the queue stop after its rows instead of
-- sorting every open anomaly (chat latency, issue 4). The expression must
-- stay identical to the ORDER BY of store/src/anomalies/mod.rs `list`.
CREATE INDEX anomalies_queue_order ON anomalies
    (firm_id, status, (CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END), opened_at, id);
