-- The secretariat's web admin: its users, their sessions, the login
-- attempts that rate-limit guessing, API tokens, and which people belong
-- to which team (a party secretary sees their team's members only).

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    -- What the user logs in with, lower-cased (usually an e-mail address).
    login TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- PHC string (argon2id).
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('secretariat', 'team', 'station', 'reader')),
    team_id INTEGER REFERENCES teams (id),
    station_id INTEGER REFERENCES stations (id),
    language TEXT NOT NULL DEFAULT 'da' CHECK (language IN ('da', 'en')),
    disabled_at TEXT,
    created_at TEXT NOT NULL,
    CHECK ((role = 'team') = (team_id IS NOT NULL)),
    CHECK ((role = 'station') = (station_id IS NOT NULL))
);

-- A logged-in browser. The cookie holds a random token; the table holds
-- its SHA-256, so a copy of the database logs nobody in.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    -- Every form and script request of the session carries it.
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY,
    login TEXT NOT NULL,
    ip TEXT NOT NULL,
    at TEXT NOT NULL,
    ok BOOLEAN NOT NULL
);
CREATE INDEX login_attempts_login ON login_attempts (login, at);
CREATE INDEX login_attempts_ip ON login_attempts (ip, at);

-- Bearer tokens for the JSON API, stored as SHA-256 like sessions.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    last_used_at TEXT
);

CREATE TABLE team_members (
    team_id INTEGER NOT NULL REFERENCES teams (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    PRIMARY KEY (team_id, person_id)
);
CREATE INDEX team_members_person ON team_members (person_id);

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX outbox_seat ON outbox (seat_id);

-- Workflows edited in the admin: one draft per workflow until it is
-- published, and where each revision came from. A definition file is
-- published at start only when it changed since it was last read, so a
-- revision published in the admin is not overwritten by an unchanged file.
CREATE TABLE workflow_drafts (
    name TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    based_on INTEGER,
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL
);
ALTER TABLE workflow_revisions ADD COLUMN origin TEXT NOT NULL DEFAULT 'file'
    CHECK (origin IN ('file', 'admin'));
CREATE INDEX instances_waiting ON instances (revision_id, state) WHERE status = 'waiting';

-- A group message the secretariat sent to the people a filter chose; each
-- message is an outbox row that points at it, so its progress is counted
-- from the outbox.
CREATE TABLE broadcasts (
    id INTEGER PRIMARY KEY,
    election_id INTEGER NOT NULL REFERENCES elections (id),
    -- The filter, as JSON (ids only).
    filter TEXT NOT NULL,
    text TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipients INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
ALTER TABLE outbox ADD COLUMN broadcast_id INTEGER REFERENCES broadcasts (id);
CREATE INDEX outbox_broadcast ON outbox (broadcast_id) WHERE broadcast_id IS NOT NULL;
