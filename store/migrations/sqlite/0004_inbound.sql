-- Clients' replies (SQLite). Keep in step with ../postgres/0004_inbound.sql:
-- same tables, same columns, same meaning.

-- Every message the reply worker took in, once: per Message-ID (or the
-- sha256 of the raw message when it has none) and, for IMAP, per
-- (mailbox, UIDVALIDITY, UID). The row is written in the same transaction
-- as the actions it caused, so a crash before the commit reprocesses the
-- message and a crash after it finds the row and acts no more.
CREATE TABLE inbound_messages (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id        INTEGER NOT NULL REFERENCES firms(id),
    message_key    TEXT NOT NULL,
    mailbox        TEXT,
    uidvalidity    INTEGER,
    uid            INTEGER,
    sender         TEXT,
    subject        TEXT NOT NULL,
    sent_at        TEXT,                 -- the message's Date header
    kind           TEXT NOT NULL CHECK (kind IN ('bounce', 'autoreply', 'reply', 'unreadable')),
    intent         TEXT,
    reminder_id    INTEGER REFERENCES outbox(id),
    dossier_id     INTEGER REFERENCES dossiers(id),
    contact_id     INTEGER REFERENCES contacts(id),
    outcome        TEXT NOT NULL,        -- what CabReady did, in words
    visible_text   TEXT NOT NULL,        -- the reply without quotes and signature
    processed_at   TEXT NOT NULL,
    UNIQUE (firm_id, message_key),
    UNIQUE (firm_id, mailbox, uidvalidity, uid)
);
CREATE INDEX inbound_messages_dossier ON inbound_messages (firm_id, dossier_id, id);

-- Attachments kept from replies: the file lives under
-- <data_dir>/attachments/<first two hex digits>/<sha256> (content-addressed).
CREATE TABLE inbound_attachments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id       INTEGER NOT NULL REFERENCES firms(id),
    message_id    INTEGER NOT NULL REFERENCES inbound_messages(id),
    sha256        TEXT NOT NULL,
    size          INTEGER NOT NULL,
    filename      TEXT,
    content_type  TEXT NOT NULL
);
CREATE INDEX inbound_attachments_message ON inbound_attachments (firm_id, message_id);

-- Messages CabReady could not tie to a reminder: a person sorts them.
CREATE TABLE inbound_triage (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id      INTEGER NOT NULL REFERENCES firms(id),
    message_id   INTEGER NOT NULL REFERENCES inbound_messages(id),
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('open', 'done')),
    opened_at    TEXT NOT NULL,
    closed_at    TEXT,
    closed_by    TEXT,
    UNIQUE (firm_id, message_id)
);
CREATE INDEX inbound_triage_open ON inbound_triage (firm_id, status, id);

-- Where the IMAP worker stands in each mailbox.
CREATE TABLE mailbox_checkpoints (
    firm_id      INTEGER NOT NULL REFERENCES firms(id),
    mailbox      TEXT NOT NULL,
    uidvalidity  INTEGER NOT NULL,
    last_uid     INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (firm_id, mailbox)
);

-- "Not before": the client said when (postponed, out of office); the
-- cadence plans nothing for the dossier before the latest such date.
CREATE TABLE reminder_holds (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id             INTEGER NOT NULL REFERENCES firms(id),
    dossier_id          INTEGER NOT NULL REFERENCES dossiers(id),
    not_before          TEXT NOT NULL,
    reason              TEXT NOT NULL,
    inbound_message_id  INTEGER REFERENCES inbound_messages(id),
    created_at          TEXT NOT NULL
);
CREATE INDEX reminder_holds_dossier ON reminder_holds (firm_id, dossier_id, not_before);
