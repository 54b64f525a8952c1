-- Foundation schema (SQLite). Keep in step with ../postgres/0001_foundation.sql:
-- same tables, same columns, same meaning. Times are UTC RFC 3339 text,
-- dates are ISO text, booleans are 0/1 integers (portable through sqlx's Any driver).

CREATE TABLE firms (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id     INTEGER NOT NULL REFERENCES firms(id),
    email       TEXT NOT NULL,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'accountant', 'viewer')),
    discord_id  TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (firm_id, email)
);
CREATE UNIQUE INDEX users_discord_id ON users (firm_id, discord_id) WHERE discord_id IS NOT NULL;

CREATE TABLE portfolios (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id     INTEGER NOT NULL REFERENCES firms(id),
    name        TEXT NOT NULL,
    UNIQUE (firm_id, name)
);

CREATE TABLE user_portfolios (
    firm_id      INTEGER NOT NULL REFERENCES firms(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    portfolio_id INTEGER NOT NULL REFERENCES portfolios(id),
    PRIMARY KEY (user_id, portfolio_id)
);

CREATE TABLE platforms (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id     INTEGER NOT NULL REFERENCES firms(id),
    name        TEXT NOT NULL,
    UNIQUE (firm_id, name)
);

CREATE TABLE dossiers (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id              INTEGER NOT NULL REFERENCES firms(id),
    code                 TEXT NOT NULL,
    legal_name           TEXT NOT NULL,
    siren                TEXT NOT NULL,
    legal_form           TEXT,
    headcount            REAL,
    turnover_cents       INTEGER,
    balance_sheet_cents  INTEGER,
    category             TEXT CHECK (category IN ('micro', 'pme', 'eti', 'ge')),
    category_source      TEXT CHECK (category_source IN ('derived', 'override')),
    vat_regime           TEXT,
    vat_regime_next      TEXT,
    vat_regime_next_from TEXT,
    b2c                  INTEGER NOT NULL DEFAULT 0,
    international        INTEGER NOT NULL DEFAULT 0,
    vat_group            INTEGER NOT NULL DEFAULT 0,
    debits_option        INTEGER NOT NULL DEFAULT 0,
    owner_user_id        INTEGER REFERENCES users(id),
    portfolio_id         INTEGER REFERENCES portfolios(id),
    tags                 TEXT NOT NULL DEFAULT '',
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (firm_id, code),
    UNIQUE (firm_id, siren)
);
CREATE INDEX dossiers_portfolio ON dossiers (firm_id, portfolio_id);

CREATE TABLE contacts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id      INTEGER NOT NULL REFERENCES firms(id),
    dossier_id   INTEGER NOT NULL REFERENCES dossiers(id),
    name         TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL,
    email_status TEXT NOT NULL DEFAULT 'valid' CHECK (email_status IN ('valid', 'invalid')),
    opted_out    INTEGER NOT NULL DEFAULT 0,
    is_primary   INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    UNIQUE (firm_id, dossier_id, email)
);
CREATE INDEX contacts_email ON contacts (firm_id, email);

CREATE TABLE dossier_platforms (
    firm_id      INTEGER NOT NULL REFERENCES firms(id),
    dossier_id   INTEGER NOT NULL PRIMARY KEY REFERENCES dossiers(id),
    platform_id  INTEGER NOT NULL REFERENCES platforms(id),
    state        TEXT NOT NULL CHECK (state IN ('chosen', 'account_open', 'directory_registered', 'live')),
    updated_at   TEXT NOT NULL
);

CREATE TABLE mandates (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id      INTEGER NOT NULL REFERENCES firms(id),
    dossier_id   INTEGER NOT NULL REFERENCES dossiers(id),
    kind         TEXT NOT NULL CHECK (kind IN ('delegation', 'designation', 'invoicing')),
    status       TEXT NOT NULL CHECK (status IN ('not_requested', 'requested', 'reminded', 'received_to_verify', 'signed', 'refused', 'expired')),
    status_at    TEXT NOT NULL,
    requested_at TEXT,
    signed_at    TEXT,
    signer       TEXT,
    evidence     TEXT,
    note         TEXT,
    UNIQUE (firm_id, dossier_id, kind)
);
CREATE INDEX mandates_status ON mandates (firm_id, kind, status);

-- Append-only: who, when, what, before/after (details is JSON text).
CREATE TABLE journal (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    firm_id      INTEGER NOT NULL REFERENCES firms(id),
    at           TEXT NOT NULL,
    actor_kind   TEXT NOT NULL CHECK (actor_kind IN ('user', 'client', 'import', 'system')),
    actor        TEXT NOT NULL,
    entity       TEXT NOT NULL,
    entity_id    INTEGER,
    dossier_id   INTEGER,
    action       TEXT NOT NULL,
    details      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX journal_dossier ON journal (firm_id, dossier_id, id);

CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'the journal is append-only'); END;
