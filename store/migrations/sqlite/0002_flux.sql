-- Invoice flows and the anomaly queue (SQLite). Keep in step with
-- ../postgres/0002_flux.sql: same tables, same columns, same meaning.

-- One invoice as a platform reports it; its current status is the latest
-- event of invoice_statuses (kept here so that rules and lists read one row).
CREATE TABLE invoices (
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
    UNIQUE (firm_id, platform, platform_invoice_id)
);
CREATE INDEX invoices_dossier ON invoices (firm_id, dossier_id, direction);
CREATE INDEX invoices_current ON invoices (firm_id, current_code, current_at);

-- The status history: one row per lifecycle event, never duplicated.
CREATE TABLE invoice_statuses (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id      INTEGER NOT NULL REFERENCES firms(id),
    invoice_id   INTEGER NOT NULL REFERENCES invoices(id),
    code         INTEGER NOT NULL,
    status_at    TEXT NOT NULL,
    label        TEXT NOT NULL DEFAULT '',       -- as the platform wrote it
    reason       TEXT,
    source_file  TEXT NOT NULL,
    imported_at  TEXT NOT NULL,
    UNIQUE (invoice_id, code, status_at)
);

CREATE TABLE anomalies (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id       INTEGER NOT NULL REFERENCES firms(id),
    anomaly_key   TEXT NOT NULL,                 -- stable: re-evaluation finds the same row
    rule_name     TEXT NOT NULL,
    severity      TEXT NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
    status        TEXT NOT NULL CHECK (status IN ('open', 'closed', 'resolved', 'dismissed')),
    dossier_id    INTEGER REFERENCES dossiers(id),
    invoice_id    INTEGER REFERENCES invoices(id),
    details       TEXT NOT NULL DEFAULT '{}',
    opened_at     TEXT NOT NULL,
    closed_at     TEXT,
    assignee_id   INTEGER REFERENCES users(id),
    note          TEXT,
    UNIQUE (firm_id, anomaly_key)
);
CREATE INDEX anomalies_queue ON anomalies (firm_id, status, severity);
CREATE INDEX anomalies_dossier ON anomalies (firm_id, dossier_id);

CREATE TABLE anomaly_comments (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id     INTEGER NOT NULL REFERENCES firms(id),
    anomaly_id  INTEGER NOT NULL REFERENCES anomalies(id),
    author      TEXT NOT NULL,
    at          TEXT NOT NULL,
    body        TEXT NOT NULL
);
CREATE INDEX anomaly_comments_anomaly ON anomaly_comments (firm_id, anomaly_id);
