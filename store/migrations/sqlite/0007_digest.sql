-- The daily digest (SQLite). Keep in step with ../postgres/0007_digest.sql.
-- One row per recipient per day, claimed before sending: a restart never
-- sends the same day's digest twice (a row left 'sending' by a crash is not
-- retried automatically: maybe delivered).
CREATE TABLE digest_sends (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id     INTEGER NOT NULL REFERENCES firms(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    day         TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('sending', 'sent', 'failed')),
    message_id  TEXT,
    error       TEXT,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    UNIQUE (firm_id, user_id, day)
);
