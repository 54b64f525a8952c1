-- Each dossier's latest received and emitted flow (the latest current
-- status time of its invoices in that direction), kept on the dossier row
-- by the flux import (`invoices::refresh_flow_dates`, in the batch's
-- transaction) so that readiness (`pret cabinet` on thousands of dossiers)
-- reads no invoice at all. Derived data: rebuilt from `invoices` at will.
ALTER TABLE dossiers ADD COLUMN last_received_at TEXT;
ALTER TABLE dossiers ADD COLUMN last_emitted_at TEXT;
UPDATE dossiers SET
    last_received_at = (SELECT MAX(i.current_at) FROM invoices i
                         WHERE i.firm_id = dossiers.firm_id AND i.dossier_id = dossiers.id AND i.direction = 'received'),
    last_emitted_at = (SELECT MAX(i.current_at) FROM invoices i
                        WHERE i.firm_id = dossiers.firm_id AND i.dossier_id = dossiers.id AND i.direction = 'emitted');
