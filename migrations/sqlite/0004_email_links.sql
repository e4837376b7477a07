-- E-mail: a message's subject, HTML part and calendar file beside its
-- plain text; links
-- in messages that answer one question with one click; the service's own
-- secrets.

ALTER TABLE outbox ADD COLUMN subject TEXT;
ALTER TABLE outbox ADD COLUMN html TEXT;
-- The seat's calendar entry (.ics), attached to e-mails about a confirmed seat.
ALTER TABLE outbox ADD COLUMN calendar TEXT;

-- One link: one purpose for one question, until it expires, once. The
-- token in the message is an HMAC of the row's id, purpose, question and
-- expiry under the link key; the database holds no token. A stored body
-- carries the marker [[link:ID]], which delivery turns into the address.
CREATE TABLE links (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('accept', 'decline')),
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX links_question ON links (question_id);

-- Made on first start when the configuration gives none (the link key).
CREATE TABLE secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
