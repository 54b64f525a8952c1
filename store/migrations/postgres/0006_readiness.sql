-- Readiness (PostgreSQL). Keep in step with ../sqlite/0006_readiness.sql:
-- same tables, same columns, same meaning.

-- A successful test flow on the dossier's platform (before emission applies,
-- it stands for "emitted flows seen"): date, RFC 3339 UTC.
ALTER TABLE dossier_platforms ADD COLUMN test_flow_at TEXT;

-- "Flows seen since a date" per dossier and direction is read with one
-- index seek per dossier (MAX(current_at)), not a scan of the invoices.
CREATE INDEX invoices_dossier_seen ON invoices (firm_id, dossier_id, direction, current_at);

-- One row per dossier per day (Europe/Paris date): the day's score, state and
-- missing items (comma-separated item codes). Taking it twice the same day
-- replaces the row: idempotent. Feeds trends and "newly at risk".
CREATE TABLE readiness_snapshots (
    firm_id     BIGINT NOT NULL REFERENCES firms(id),
    dossier_id  BIGINT NOT NULL REFERENCES dossiers(id),
    day         TEXT NOT NULL,
    score       BIGINT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('ready', 'on_track', 'at_risk', 'late')),
    missing     TEXT NOT NULL DEFAULT '',
    taken_at    TEXT NOT NULL,
    PRIMARY KEY (firm_id, dossier_id, day)
);
CREATE INDEX readiness_snapshots_day ON readiness_snapshots (firm_id, day);
