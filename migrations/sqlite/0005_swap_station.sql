-- Swapping polling station: the stations offered to a person who asked
-- to swap, numbered as the message lists them, and a link purpose for
-- the swap page.

-- Option `n` of a swap question: a vacant seat of the same task type on
-- the same date at another station, as it was when the list was sent.
CREATE TABLE swap_options (
    question_id INTEGER NOT NULL REFERENCES questions (id),
    n INTEGER NOT NULL,
    seat_id INTEGER NOT NULL REFERENCES seats (id),
    PRIMARY KEY (question_id, n)
);

-- Links gain the purpose `swap`. SQLite cannot change a CHECK in place;
-- nothing refers to links, so the table is rebuilt.
CREATE TABLE links_new (
    id INTEGER PRIMARY KEY,
    question_id INTEGER NOT NULL REFERENCES questions (id),
    person_id INTEGER NOT NULL REFERENCES people (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('accept', 'decline', 'swap')),
    expires_at TEXT NOT NULL,
    used_at TEXT,
    created_at TEXT NOT NULL
);
INSERT INTO links_new SELECT id, question_id, person_id, purpose, expires_at, used_at, created_at FROM links;
DROP TABLE links;
ALTER TABLE links_new RENAME TO links;
CREATE INDEX links_question ON links (question_id);
