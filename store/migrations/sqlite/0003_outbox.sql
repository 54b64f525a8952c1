-- Reminder emails (SQLite). Keep in step with ../postgres/0003_outbox.sql:
-- same tables, same columns, same meaning.

-- When a contact opted out (replied STOP, List-Unsubscribe) or bounced.
ALTER TABLE contacts ADD COLUMN opted_out_at TEXT;
ALTER TABLE contacts ADD COLUMN bounced_at TEXT;

-- The outbox: a reminder is written here first, then sent, then marked.
--   planned  → sending → sent
--                      → failed (due_at = next retry, with backoff) → sending …
--                      → abandoned (refused for good, or too many attempts)
--                      → unknown (the sender died while talking to the server:
--                                 maybe accepted, so never resent automatically)
--   planned | failed   → cancelled (stop rule: mandate received, opt-out, bounce…)
CREATE TABLE outbox (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id        INTEGER NOT NULL REFERENCES firms(id),
    dossier_id     INTEGER NOT NULL REFERENCES dossiers(id),
    contact_id     INTEGER NOT NULL REFERENCES contacts(id),
    topic          TEXT NOT NULL CHECK (topic IN ('mandate', 'platform')),
    mandate_kind   TEXT CHECK (mandate_kind IN ('delegation', 'designation', 'invoicing')),
    template       TEXT NOT NULL,
    step           INTEGER NOT NULL,
    lang           TEXT NOT NULL CHECK (lang IN ('fr', 'en')),
    reason         TEXT NOT NULL,
    token          TEXT NOT NULL UNIQUE,
    message_id     TEXT NOT NULL UNIQUE,
    state          TEXT NOT NULL CHECK (state IN ('planned', 'sending', 'sent', 'failed', 'abandoned', 'unknown', 'cancelled')),
    due_at         TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    claimed_at     TEXT,
    sent_at        TEXT,
    subject        TEXT,
    smtp_response  TEXT,
    last_error     TEXT,
    planned_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (state, due_at);
CREATE INDEX outbox_dossier ON outbox (firm_id, dossier_id, id);
CREATE INDEX outbox_contact ON outbox (firm_id, contact_id, sent_at);
-- At most one live reminder per dossier and topic: planning twice is a no-op.
CREATE UNIQUE INDEX outbox_one_live ON outbox (firm_id, dossier_id, topic)
    WHERE state IN ('planned', 'sending', 'failed', 'unknown');

-- Reminders that went unanswered: the cadence stopped and a person must act
-- ("relance sans réponse"). One per dossier, topic and round.
CREATE TABLE reminder_escalations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id      INTEGER NOT NULL REFERENCES firms(id),
    dossier_id   INTEGER NOT NULL REFERENCES dossiers(id),
    topic        TEXT NOT NULL CHECK (topic IN ('mandate', 'platform')),
    reminders    INTEGER NOT NULL,
    opened_at    TEXT NOT NULL,
    closed_at    TEXT,
    UNIQUE (firm_id, dossier_id, topic, reminders)
);
