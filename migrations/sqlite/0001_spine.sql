-- The election, its geography and staff, the workflow engine's state, and
-- the message outbox. Timestamps are UTC; dates are the election's local dates.

CREATE TABLE election_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    min_age INTEGER NOT NULL DEFAULT 18 CHECK (min_age >= 0)
);

CREATE TABLE elections (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    election_type_id INTEGER NOT NULL REFERENCES election_types (id),
    starts_on TEXT NOT NULL,
    election_day TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    lock_days INTEGER NOT NULL DEFAULT 0 CHECK (lock_days >= 0),
    time_zone TEXT NOT NULL DEFAULT 'Europe/Copenhagen',
    created_at TEXT NOT NULL,
    CHECK (starts_on <= election_day AND election_day <= ends_on)
);

CREATE TABLE areas (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE stations (
    id INTEGER PRIMARY KEY,
    area_id INTEGER NOT NULL REFERENCES areas (id),
    name TEXT NOT NULL UNIQUE,
    address TEXT NOT NULL,
    voting_area TEXT
);

CREATE TABLE teams (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE task_types (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    start_time TEXT NOT NULL,
    end_time TEXT NOT NULL,
    payment_ore INTEGER NOT NULL DEFAULT 0 CHECK (payment_ore >= 0),
    trusted BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE people (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    cpr TEXT NOT NULL UNIQUE,
    phone TEXT,
    email TEXT,
    preferred_channel TEXT NOT NULL DEFAULT 'sms' CHECK (preferred_channel IN ('sms', 'email', 'telegram')),
    language TEXT NOT NULL DEFAULT 'da' CHECK (language IN ('da', 'en')),
    sms_opt_out BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT NOT NULL
);
CREATE INDEX people_phone ON people (phone);

CREATE TABLE seats (
    id INTEGER PRIMARY KEY,
    election_id INTEGER NOT NULL REFERENCES elections (id),
    station_id INTEGER NOT NULL REFERENCES stations (id),
    task_type_id INTEGER NOT NULL REFERENCES task_types (id),
    team_id INTEGER NOT NULL REFERENCES teams (id),
    date TEXT NOT NULL,
    person_id INTEGER REFERENCES people (id),
    status TEXT NOT NULL DEFAULT 'vacant' CHECK (status IN ('vacant', 'invited', 'confirmed')),
    updated_at TEXT NOT NULL,
    CHECK ((status = 'vacant') = (person_id IS NULL))
);
CREATE INDEX seats_election ON seats (election_id, station_id);
-- Nobody holds two seats on the same day.
CREATE UNIQUE INDEX seats_one_per_person_per_day ON seats (person_id, date) WHERE person_id IS NOT NULL;

CREATE TABLE seat_history (
    id INTEGER PRIMARY KEY,
    seat_id INTEGER NOT NULL REFERENCES seats (id),
    person_id INTEGER REFERENCES people (id),
    at TEXT NOT NULL,
    event TEXT NOT NULL,
    channel TEXT,
    inbound_id INTEGER,
    detail TEXT
);
CREATE INDEX seat_history_seat ON seat_history (seat_id, id);

CREATE TABLE workflow_revisions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    revision INTEGER NOT NULL,
    source TEXT NOT NULL,
    compiled TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (name, revision)
);

CREATE TABLE instances (
    id INTEGER PRIMARY KEY,
    revision_id INTEGER NOT NULL REFERENCES workflow_revisions (id),
    seat_id INTEGER REFERENCES seats (id),
    person_id INTEGER REFERENCES people (id),
    state TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'finished')),
    reminders_sent INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX instances_seat ON instances (seat_id);

CREATE TABLE questions (
    id INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES instances (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    seat_id INTEGER REFERENCES seats (id),
    code TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    outcome TEXT
);
-- A person's open questions have distinct codes.
CREATE UNIQUE INDEX questions_open_code ON questions (person_id, code) WHERE closed_at IS NULL;
CREATE INDEX questions_instance ON questions (instance_id);

CREATE TABLE timers (
    id INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES instances (id),
    question_id INTEGER REFERENCES questions (id),
    kind TEXT NOT NULL CHECK (kind IN ('remind', 'timeout')),
    due_at TEXT NOT NULL,
    queued_at TEXT,
    fired_at TEXT,
    cancelled_at TEXT
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX timers_instance ON timers (instance_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    -- NULL for replies to numbers that belong to nobody.
    person_id INTEGER REFERENCES people (id),
    seat_id INTEGER REFERENCES seats (id),
    instance_id INTEGER REFERENCES instances (id),
    question_id INTEGER REFERENCES questions (id),
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    template TEXT NOT NULL,
    language TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_at TEXT,
    -- When a delivery job was last queued for the row.
    queued_at TEXT,
    last_error TEXT,
    provider TEXT,
    provider_message_id TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_person ON outbox (person_id);

CREATE TABLE inbound (
    id INTEGER PRIMARY KEY,
    provider TEXT NOT NULL,
    provider_message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    receiver TEXT,
    body TEXT NOT NULL,
    received_at TEXT NOT NULL,
    -- When a handling job was last queued for the row.
    queued_at TEXT,
    processed_at TEXT,
    outcome TEXT,
    UNIQUE (provider, provider_message_id)
);
CREATE INDEX inbound_unprocessed ON inbound (received_at) WHERE processed_at IS NULL;

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    seat_id INTEGER REFERENCES seats (id),
    person_id INTEGER REFERENCES people (id),
    instance_id INTEGER REFERENCES instances (id),
    inbound_id INTEGER REFERENCES inbound (id),
    message TEXT NOT NULL,
    resolved_at TEXT
);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    seat_id INTEGER,
    person_id INTEGER,
    instance_id INTEGER,
    detail TEXT
);
CREATE INDEX audit_events_seat ON audit_events (seat_id);

-- The dev SMS provider's phone: what was sent to each number, and what
-- was typed back on the demo page.
CREATE TABLE dev_sms (
    id INTEGER PRIMARY KEY,
    direction TEXT NOT NULL CHECK (direction IN ('out', 'in')),
    phone TEXT NOT NULL,
    body TEXT NOT NULL,
    at TEXT NOT NULL,
    outbox_id INTEGER
);
CREATE INDEX dev_sms_phone ON dev_sms (phone, id);
