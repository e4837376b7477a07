-- A confirmed person can cancel their seat from the link in their
-- confirmation. Such a link is about a seat, not a question: links gain
-- `seat_id`, `question_id` may be empty, and the purpose `cancel`. SQLite
-- cannot change a column or a CHECK in place; nothing refers to links, so
-- the table is rebuilt.
CREATE TABLE links_new (
    id INTEGER PRIMARY KEY,
    question_id INTEGER REFERENCES questions (id),
    seat_id INTEGER REFERENCES seats (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('accept', 'decline', 'swap', 'cancel')),
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL,
    CHECK ((purpose = 'cancel') = (seat_id IS NOT NULL AND question_id IS NULL)),
    CHECK (purpose = 'cancel' OR question_id IS NOT NULL)
);
INSERT INTO links_new (id, question_id, seat_id, person_id, purpose, expires_at, used_at, created_at)
    SELECT id, question_id, NULL, person_id, purpose, expires_at, used_at, created_at FROM links;
DROP TABLE links;
ALTER TABLE links_new RENAME TO links;
CREATE INDEX links_question ON links (question_id);
CREATE INDEX links_seat ON links (seat_id);
